/** Reading FRR text back: parse(render(m)) is m, hand-written forms, and every line accounted for. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { parseFrrConf } from '../../server/src/config/frr/parse.js';
import { renderFrrConf } from '../../server/src/config/frr/render.js';
import {
    emptyDevice,
    type DeviceConfig,
    type OspfAuthentication,
    type OspfInterface,
    type StaticRoute
} from '../../server/src/config/model.js';
import { formatPrefix, prefixContains } from '../../server/src/net/ipv4.js';
import { loadConfigs } from '../../server/src/config/load.js';
import { loadTwin } from '../../server/src/twin/load.js';
import { mulberry32, type Rng } from '../support/random.js';
import { SAMPLES, sampleProgram } from '../support/samples.js';
import { writeWorkspace } from '../support/workspace.js';
import { parseAddress6, parsePrefix6 } from '../../server/src/net/ipv6.js';
import { requireTool, sbin } from '../support/system.js';
import { spawnSync } from 'node:child_process';
import { temporaryFolder } from '../support/temporary.js';

/** The parts of a device's configuration that frr.conf carries. */
const FRR_PARTS = [
    'hostname',
    'interfaces',
    'ospf',
    'ospf6',
    'bgp',
    'staticRoutes',
    'staticRoutes6',
    'prefixLists',
    'prefixLists6',
    'routeMaps'
] as const;

function frrPart(config: DeviceConfig) {
    return Object.fromEntries(FRR_PARTS.map(part => [part, config[part]]));
}

function roundTrip(config: DeviceConfig) {
    const parsed = parseFrrConf(renderFrrConf(config), 'frr.conf');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.config.unmodelled).toEqual([]);
    return parsed.config;
}

describe('parse(render(m)) = m', () => {
    it.each(SAMPLES)('for every device of %s', async sample => {
        const compiled = compileNetwork(await sampleProgram(sample));
        for (const config of compiled.devices.values())
            expect(frrPart(roundTrip(config)), config.hostname).toEqual(frrPart(config));
    });

    it('for 300 random models', () => {
        const next = mulberry32(42);
        for (let i = 0; i < 300; i++) {
            const config = randomDevice(next, i);
            expect(frrPart(roundTrip(config)), `model ${i}`).toEqual(frrPart(config));
        }
    });
});

function randomDevice(next: Rng, index: number): DeviceConfig {
    const int = (n: number) => Math.floor(next() * n);
    const address = () => (int(223) + 1) * 2 ** 24 + int(2 ** 24);
    const prefix = () => {
        const length = int(33);
        const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
        return { network: (address() & mask) >>> 0, length };
    };
    const word = (length: number) =>
        Array.from({ length }, () => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[int(62)]).join(
            ''
        );
    // Intervals and keys as FRR keeps them: defaults absent, keys within FRR's lengths.
    const interval = (fallback: number) => {
        const seconds = 1 + int(65535);
        return seconds === fallback ? seconds + 1 : seconds;
    };
    const authentication = (): OspfAuthentication =>
        next() < 0.5
            ? { kind: 'simple', key: word(int(9)) }
            : { kind: 'md5', keyId: 1 + int(255), key: word(1 + int(16)) };
    const ospf = (cost: number): OspfInterface => ({
        cost,
        passive: next() < 0.3,
        pointToPoint: next() < 0.5,
        ...(next() < 0.3 ? { helloInterval: interval(10) } : {}),
        ...(next() < 0.3 ? { deadInterval: interval(40) } : {}),
        ...(next() < 0.4 ? { authentication: authentication() } : {})
    });
    const config = emptyDevice(`r${index}`);
    const interfaceCount = 1 + int(5);
    for (let i = 0; i < interfaceCount; i++) {
        config.interfaces.push({
            name: `eth${i}`,
            ...(next() < 0.7 ? { description: `to peer${i}:eth${int(9)}` } : {}),
            ...(next() < 0.9 ? { address: { address: address(), length: 8 + int(25) } } : {}),
            ...(next() < 0.6 ? { ospf: ospf(1 + int(65535)) } : {}),
            ...(next() < 0.1 ? { shutdown: true } : {})
        });
    }
    // The loopback's cost without `ip ospf cost` is 0.
    if (next() < 0.3)
        config.interfaces.push({
            name: 'lo',
            address: { address: address(), length: 32 },
            ospf: ospf(next() < 0.5 ? 0 : 1 + int(65535))
        });
    for (let i = int(4); i > 0; i--)
        config.staticRoutes.push({
            prefix: prefix(),
            nextHop: address(),
            ...(next() < 0.3 ? { distance: 1 + int(254) } : {})
        });
    // FRR rejects blackhole and gateway next hops for one prefix at one distance.
    const gateway = (route: StaticRoute) =>
        config.staticRoutes.some(
            r =>
                r.nextHop !== 'blackhole' &&
                formatPrefix(r.prefix) === formatPrefix(route.prefix) &&
                (r.distance ?? 1) === (route.distance ?? 1)
        );
    for (let i = int(3); i > 0; i--) {
        const route: StaticRoute = {
            prefix: prefix(),
            nextHop: 'blackhole',
            ...(next() < 0.3 ? { distance: 1 + int(254) } : {})
        };
        if (!gateway(route)) config.staticRoutes.push(route);
    }
    if (next() < 0.5) {
        config.prefixLists.push({
            name: 'PL',
            entries: [
                { seq: 5, action: 'permit', prefix: prefix(), ...(next() < 0.5 ? { le: 32 } : {}) },
                { seq: 10, action: 'deny', prefix: prefix() }
            ]
        });
        config.routeMaps.push({
            name: 'RM',
            entries: [
                { seq: 10, action: 'permit', matchPrefixList: 'PL' },
                { seq: 20, action: 'deny' }
            ]
        });
    }
    if (next() < 0.5) {
        config.ospf = {
            routerId: address(),
            redistribute: next() < 0.5 ? ['static'] : ['connected', 'static'],
            defaultOriginate: next() < 0.5,
            networks: next() < 0.3 ? [prefix()] : []
        };
        // With networks, they alone put interfaces in area 0 (FRR refuses `ip ospf area` beside them).
        for (const iface of config.ospf.networks.length > 0 ? config.interfaces : []) {
            const covered =
                iface.address !== undefined &&
                config.ospf.networks.some(n => prefixContains(n, iface.address!.address));
            if (covered) iface.ospf ??= ospf(1 + int(65535));
            else delete iface.ospf;
        }
    }
    if (next() < 0.5) {
        config.bgp = {
            asn: 1 + int(4_294_967_294),
            routerId: address(),
            multipathRelax: next() < 0.5,
            ebgpRequiresPolicy: next() < 0.5,
            maximumPaths: 1 + int(64),
            neighbors: Array.from({ length: int(4) }, (_, i) => ({
                address: address() + i,
                remoteAs: 1 + int(65534),
                ...(next() < 0.5 ? { description: `peer ${i}` } : {}),
                ...(next() < 0.5 ? { routeMapIn: 'RM', routeMapOut: 'RM' } : {}),
                ...(next() < 0.3 ? { nextHopSelf: true } : {})
            })),
            networks: Array.from({ length: int(3) }, prefix),
            redistribute: next() < 0.5 ? [{ source: 'static' }] : [{ source: 'connected', routeMap: 'RM' }]
        };
        // IPv6 unicast: sessions over IPv6 addresses, an ipv6 prefix-list matched by the route-map.
        if (next() < 0.5) {
            const address6 = () => (0x2001_0db8n << 96n) | BigInt(int(2 ** 30));
            const prefix6 = () => {
                const length = int(129);
                return {
                    network:
                        address6() & (length === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - length)) - 1n)),
                    length
                };
            };
            config.prefixLists6.push({
                name: 'PL',
                entries: [{ seq: 5, action: 'permit', prefix: prefix6(), ...(next() < 0.5 ? { le: 128 } : {}) }]
            });
            config.routeMaps.push({ name: 'RM6', entries: [{ seq: 10, action: 'permit', matchPrefixList6: 'PL' }] });
            config.bgp.ipv6 = {
                maximumPaths: 1 + int(64),
                neighbors: Array.from({ length: int(3) }, (_, i) => ({
                    address: address6() + BigInt(i),
                    remoteAs: 1 + int(65534),
                    ...(next() < 0.5 ? { description: `peer6 ${i}` } : {}),
                    ...(next() < 0.5 ? { routeMapIn: 'RM6', routeMapOut: 'RM6' } : {}),
                    ...(next() < 0.3 ? { nextHopSelf: true } : {})
                })),
                networks: Array.from({ length: int(3) }, prefix6),
                redistribute: next() < 0.5 ? [{ source: 'static' }] : []
            };
        }
    }
    return config;
}

describe('hand-written FRR configurations', () => {
    it('network … area, passive-interface, peer-groups, prefix-list any, and positions', () => {
        const text = [
            'frr version 8.4',
            'hostname edge1',
            '!',
            'interface eth0',
            ' ip address 10.0.0.1/31',
            ' ip ospf cost 10',
            '!',
            'interface lo',
            ' ip address 10.255.0.9/32',
            '!',
            'router ospf',
            ' router-id 10.255.0.9',
            ' network 10.0.0.0/31 area 0.0.0.0',
            ' passive-interface lo',
            '!',
            'ip prefix-list ALL permit any',
            'router bgp 65001',
            ' neighbor FABRIC peer-group',
            ' neighbor FABRIC remote-as external',
            ' neighbor 10.0.0.0 peer-group FABRIC',
            ' address-family ipv4 unicast',
            '  neighbor FABRIC route-map OPEN in',
            '  neighbor FABRIC route-map OPEN out',
            ' exit-address-family',
            '!'
        ].join('\n');
        const parsed = parseFrrConf(text, '/x/edge1/frr.conf');
        expect(parsed.diagnostics).toEqual([]);
        const { config } = parsed;
        expect(config.hostname).toBe('edge1');
        expect(config.ospf?.networks).toEqual([{ network: 0x0a000000, length: 31 }]);
        // The network puts eth0 in area 0; lo is outside it.
        expect(config.interfaces.map(i => i.ospf)).toEqual([
            { cost: 10, passive: false, pointToPoint: false },
            undefined
        ]);
        expect(config.prefixLists).toEqual([
            { name: 'ALL', entries: [{ seq: 5, action: 'permit', prefix: { network: 0, length: 0 }, le: 32 }] }
        ]);
        expect(config.bgp?.neighbors).toEqual([
            { address: 0x0a000000, remoteAs: 'external', routeMapIn: 'OPEN', routeMapOut: 'OPEN' }
        ]);
        expect(parsed.locations.get(config.bgp!.neighbors[0])?.range.start.line).toBe(20);
        expect(parsed.locations.get(config.interfaces[1])?.range.start.line).toBe(8);
    });

    it("an export of a running router: what vtysh's show running-config prints before the configuration is harmless", () => {
        const text = [
            'Building configuration...',
            '',
            'Current configuration:',
            '!',
            'frr version 8.4.4',
            'frr defaults traditional',
            'hostname edge1',
            'service integrated-vtysh-config',
            '!',
            'interface eth0',
            ' ip address 10.0.0.1/31',
            'exit',
            '!',
            'end'
        ].join('\n');
        const parsed = parseFrrConf(text, 'frr.conf');
        expect(parsed.diagnostics).toEqual([]);
        expect(parsed.config.hostname).toBe('edge1');
        expect(parsed.config.interfaces.map(i => i.name)).toEqual(['eth0']);
    });

    it('every line it does not model is an error at that line with an unmodelled entry, and bad values are errors', () => {
        const parsed = parseFrrConf(
            [
                'hostname r1',
                'interface eth1',
                ' ip address 10.0.0.0/31',
                ' ipv6 nd prefix 2001:db8::/64',
                'exit',
                'router rip',
                ' network 10.0.0.0/8',
                'exit',
                'ip route 10.9.0.0/16 300.1.1.1',
                'bgp community-list standard X permit 65000:1',
                'line vty',
                ' exec-timeout 0 0',
                'log syslog informational'
            ].join('\n'),
            'r1/frr.conf'
        );
        const suffix = 'the verdicts of this network are unknown until it is removed or modelled.';
        expect(
            parsed.diagnostics.map(
                d => `${d.range.start.line}:${d.range.start.column} ${d.severity} ${d.code}: ${d.message}`
            )
        ).toEqual([
            `4:2 error frr-unsupported: netintent does not model 'ipv6 nd prefix 2001:db8::/64' (in interface eth1); ${suffix}`,
            `6:1 error frr-unsupported: netintent does not model 'router rip'; ${suffix}`,
            `7:2 error frr-unsupported: netintent does not model 'network 10.0.0.0/8' (in router rip); ${suffix}`,
            "9:1 error frr-invalid: 'ip route 10.9.0.0/16 300.1.1.1': not a prefix and a next-hop address.",
            `10:1 error frr-unsupported: netintent does not model 'bgp community-list standard X permit 65000:1'; ${suffix}`
        ]);
        expect(
            parsed.config.unmodelled.map(u => `${u.location.file}:${u.location.range.start.line} ${u.scope} ${u.text}`)
        ).toEqual([
            'r1/frr.conf:4 routing ipv6 nd prefix 2001:db8::/64',
            'r1/frr.conf:6 routing router rip',
            'r1/frr.conf:7 routing network 10.0.0.0/8',
            'r1/frr.conf:10 routing bgp community-list standard X permit 65000:1'
        ]);
        expect(parsed.config.interfaces[0].address).toEqual({ address: 0x0a000000, length: 31 });
    });

    it('BGP in IPv6 unicast: IPv6 neighbours kept out of IPv4 unicast and activated in IPv6, ipv6 prefix-lists, match ipv6', () => {
        const parsed = parseFrrConf(
            [
                'ipv6 prefix-list ALL6 permit any',
                'route-map OPEN permit 10',
                ' match ipv6 address prefix-list ALL6',
                'exit',
                'router bgp 65001',
                ' neighbor 2001:db8:ff00::1 remote-as 65002',
                ' neighbor 2001:db8:ff00::3 remote-as external',
                ' neighbor 2001:db8:ff00::3 timers connect 1',
                ' address-family ipv4 unicast',
                '  no neighbor 2001:db8:ff00::1 activate',
                '  no neighbor 2001:db8:ff00::3 activate',
                ' exit-address-family',
                ' address-family ipv6 unicast',
                '  network 2001:db8:6::/64',
                '  redistribute static',
                '  neighbor 2001:db8:ff00::1 activate',
                '  neighbor 2001:db8:ff00::1 route-map OPEN in',
                '  maximum-paths 8',
                ' exit-address-family',
                'exit'
            ].join('\n'),
            'frr.conf'
        );
        expect(parsed.diagnostics).toEqual([]);
        expect(parsed.config.prefixLists6).toEqual([
            { name: 'ALL6', entries: [{ seq: 5, action: 'permit', prefix: { network: 0n, length: 0 }, le: 128 }] }
        ]);
        expect(parsed.config.routeMaps[0].entries).toEqual([{ seq: 10, action: 'permit', matchPrefixList6: 'ALL6' }]);
        // ::3 is never activated in IPv6 unicast: a session that carries nothing.
        expect(parsed.config.bgp?.ipv6).toEqual({
            maximumPaths: 8,
            neighbors: [{ address: parseAddress6('2001:db8:ff00::1'), remoteAs: 65002, routeMapIn: 'OPEN' }],
            networks: [parsePrefix6('2001:db8:6::/64')!.prefix],
            redistribute: [{ source: 'static' }]
        });
        expect(parsed.config.bgp?.neighbors).toEqual([]);
    });

    it('unmodelled: an IPv6 session left in IPv4 unicast, IPv6 routes over an IPv4 session, IPv4 settings of an IPv6 neighbour, an IPv6 neighbour in a peer-group', () => {
        expect(
            unmodelled(
                [
                    'router bgp 65001',
                    ' neighbor 2001:db8:ff00::1 remote-as 65002',
                    ' neighbor 10.0.0.1 remote-as 65002',
                    ' address-family ipv4 unicast',
                    '  neighbor 2001:db8:ff00::1 route-map OPEN in',
                    '  no neighbor 10.0.0.1 activate',
                    ' exit-address-family',
                    ' address-family ipv6 unicast',
                    '  neighbor 10.0.0.1 activate',
                    '  neighbor 2001:db8:ff00::1 activate',
                    ' exit-address-family',
                    ' neighbor G peer-group',
                    ' neighbor 2001:db8:ff00::9 peer-group G',
                    'exit'
                ].join('\n')
            )
        ).toEqual([
            '5: neighbor 2001:db8:ff00::1 route-map OPEN in',
            '6: no neighbor 10.0.0.1 activate',
            '9: neighbor 10.0.0.1 activate',
            '13: neighbor 2001:db8:ff00::9 peer-group G',
            '2: neighbor 2001:db8:ff00::1 remote-as 65002'
        ]);
    });

    /** The lines of `text` unmodelled, as "line: text". */
    const unmodelled = (text: string) =>
        parseFrrConf(text, 'frr.conf').config.unmodelled.map(u => `${u.location.range.start.line}: ${u.text}`);

    it('unmodelled: a defaults profile other than traditional, no ip forwarding, a second address, route-map sets, prefix-list ge, interface routes', () => {
        expect(
            unmodelled(
                [
                    'frr version 8.4',
                    'frr defaults datacenter',
                    'no ip forwarding',
                    'interface eth0',
                    ' ip address 10.0.0.1/24',
                    ' ip address 10.0.0.1/24',
                    ' ip address 10.0.1.1/24',
                    'exit',
                    'ip prefix-list P seq 5 permit 10.0.0.0/8 ge 16 le 24',
                    'route-map RM permit 10',
                    ' match ip address prefix-list P',
                    ' set local-preference 200',
                    ' match community C',
                    'exit',
                    'ip route 10.8.0.0/16 eth0',
                    'ip route 10.9.0.0/16 10.0.0.2 eth0',
                    'interface eth2 vrf blue',
                    ' ip address 10.2.0.1/24',
                    'exit'
                ].join('\n')
            )
        ).toEqual([
            '2: frr defaults datacenter',
            '3: no ip forwarding',
            '7: ip address 10.0.1.1/24',
            '9: ip prefix-list P seq 5 permit 10.0.0.0/8 ge 16 le 24',
            '12: set local-preference 200',
            '13: match community C',
            '15: ip route 10.8.0.0/16 eth0',
            '16: ip route 10.9.0.0/16 10.0.0.2 eth0',
            '17: interface eth2 vrf blue',
            '18: ip address 10.2.0.1/24'
        ]);
    });

    it('passive-interface default, and the interfaces that leave it', () => {
        const config = parseFrrConf(
            [
                'interface eth1',
                ' ip address 10.0.0.0/31',
                ' ip ospf area 0',
                ' ip ospf cost 10',
                'exit',
                'interface eth2',
                ' ip address 10.0.0.2/31',
                ' ip ospf area 0',
                ' ip ospf cost 10',
                ' no ip ospf passive',
                'exit',
                'interface eth3',
                ' ip address 10.0.0.4/31',
                ' ip ospf area 0',
                ' ip ospf cost 10',
                'exit',
                // A setting and its opposite leave the interface to the default again (FRR 8.4, measured).
                'interface eth4',
                ' ip address 10.0.0.6/31',
                ' ip ospf area 0',
                ' ip ospf cost 10',
                ' ip ospf passive',
                ' no ip ospf passive',
                'exit',
                'router ospf',
                ' passive-interface default',
                ' no passive-interface eth1',
                'exit'
            ].join('\n'),
            'frr.conf'
        ).config;
        expect(config.unmodelled).toEqual([]);
        expect(config.interfaces.map(i => `${i.name} ${i.ospf!.passive}`)).toEqual([
            'eth1 false',
            'eth2 false',
            'eth3 true',
            'eth4 true'
        ]);
        const without = parseFrrConf(
            'interface eth1\n ip address 10.0.0.0/31\n ip ospf area 0\n ip ospf cost 10\n!\nrouter ospf\n passive-interface eth1\n',
            'frr.conf'
        ).config;
        expect(without.interfaces[0].ospf).toEqual({ cost: 10, passive: true, pointToPoint: false });
    });

    it('OSPF authentication as FRR 8.4 resolves it: the interface type over the area type, the last MD5 key, keys cut to FRR length', () => {
        const ospfOf = (ifaceLines: string[], routerLines: string[] = []) => {
            const parsed = parseFrrConf(
                [
                    'interface eth1',
                    ' ip address 10.0.0.0/31',
                    ' ip ospf area 0',
                    ' ip ospf cost 10',
                    ...ifaceLines.map(l => ` ${l}`),
                    'exit',
                    'router ospf',
                    ...routerLines.map(l => ` ${l}`),
                    'exit'
                ].join('\n'),
                'frr.conf'
            );
            expect(parsed.diagnostics).toEqual([]);
            return parsed.config.interfaces[0].ospf!.authentication;
        };
        expect(ospfOf([])).toBeUndefined();
        expect(ospfOf(['ip ospf authentication'])).toEqual({ kind: 'simple', key: '' });
        expect(ospfOf(['ip ospf authentication', 'ip ospf authentication-key secretpassword'])).toEqual({
            kind: 'simple',
            key: 'secretpa'
        });
        expect(
            ospfOf([
                'ip ospf authentication message-digest',
                'ip ospf message-digest-key 1 md5 k1',
                'ip ospf message-digest-key 2 md5 k2'
            ])
        ).toEqual({ kind: 'md5', keyId: 2, key: 'k2' });
        // A key defined again moves to the end of FRR's list, and the last key is the one sent.
        expect(
            ospfOf([
                'ip ospf authentication message-digest',
                'ip ospf message-digest-key 1 md5 k1',
                'ip ospf message-digest-key 2 md5 k2',
                'ip ospf message-digest-key 1 md5 k3'
            ])
        ).toEqual({ kind: 'md5', keyId: 1, key: 'k3' });
        expect(
            ospfOf(['ip ospf authentication message-digest', 'ip ospf message-digest-key 7 md5 0123456789abcdefXYZ'])
        ).toEqual({ kind: 'md5', keyId: 7, key: '0123456789abcdef' });
        // MD5 without a key is no authentication.
        expect(ospfOf(['ip ospf authentication message-digest'])).toBeUndefined();
        expect(ospfOf(['ip ospf message-digest-key 1 md5 k1'], ['area 0 authentication message-digest'])).toEqual({
            kind: 'md5',
            keyId: 1,
            key: 'k1'
        });
        expect(ospfOf(['ip ospf authentication-key pw'], ['area 0.0.0.0 authentication'])).toEqual({
            kind: 'simple',
            key: 'pw'
        });
        expect(
            ospfOf(
                ['ip ospf authentication null', 'ip ospf message-digest-key 1 md5 k1'],
                ['area 0 authentication message-digest']
            )
        ).toBeUndefined();
    });

    it('OSPF intervals (the dead interval follows the hello interval unless given), network type and cost', () => {
        const ospfOf = (ifaceLines: string[], routerLines: string[] = [], name = 'eth1') =>
            parseFrrConf(
                [
                    `interface ${name}`,
                    ' ip address 10.0.0.0/31',
                    ' ip ospf area 0',
                    ...ifaceLines.map(l => ` ${l}`),
                    'exit',
                    'router ospf',
                    ...routerLines.map(l => ` ${l}`),
                    'exit'
                ].join('\n'),
                'frr.conf'
            ).config;
        const ospf = (ifaceLines: string[], routerLines: string[] = [], name = 'eth1') =>
            ospfOf(ifaceLines, routerLines, name).interfaces[0].ospf;
        expect(ospf(['ip ospf cost 5', 'ip ospf hello-interval 5'])).toEqual({
            cost: 5,
            passive: false,
            pointToPoint: false,
            helloInterval: 5,
            deadInterval: 20
        });
        expect(ospf(['ip ospf cost 5', 'ip ospf dead-interval 30', 'ip ospf hello-interval 3'])).toEqual({
            cost: 5,
            passive: false,
            pointToPoint: false,
            helloInterval: 3,
            deadInterval: 30
        });
        expect(
            ospf([
                'ip ospf cost 5',
                'ip ospf hello-interval 10',
                'ip ospf dead-interval 40',
                'ip ospf network point-to-point'
            ])
        ).toEqual({ cost: 5, passive: false, pointToPoint: true });
        expect(ospf(['ip ospf cost 5', 'ip ospf network point-to-point', 'ip ospf network broadcast'])).toEqual({
            cost: 5,
            passive: false,
            pointToPoint: false
        });
        // Without `ip ospf cost`: the reference bandwidth (100 Gbit/s) over `bandwidth` (Mbit/s), rounded, at least 1.
        expect(ospf(['bandwidth 1000'])?.cost).toBe(100);
        expect(ospf(['bandwidth 100'], ['auto-cost reference-bandwidth 1000'])?.cost).toBe(10);
        expect(ospf(['bandwidth 100000'], ['auto-cost reference-bandwidth 1000'])?.cost).toBe(1);
        expect(ospf([], [], 'lo')?.cost).toBe(0);
        // Else the kernel's link speed decides it, which the configuration does not say.
        const speed = ospfOf([]);
        expect(speed.interfaces[0].ospf?.cost).toBe(10);
        expect(speed.unmodelled.map(u => `${u.location.range.start.line}: ${u.text}`)).toEqual(['1: interface eth1']);
        const invalid = parseFrrConf(
            'interface eth1\n ip ospf cost 0\n ip ospf hello-interval 70000\n',
            'frr.conf'
        ).diagnostics;
        expect(invalid.map(d => `${d.code}: ${d.message}`)).toEqual([
            "frr-invalid: 'ip ospf cost 0': 0 is not within 1-65535.",
            "frr-invalid: 'ip ospf hello-interval 70000': 70000 is not within 1-65535."
        ]);
        expect(
            unmodelled(
                'interface eth1\n ip ospf dead-interval minimal hello-multiplier 4\n ip ospf network non-broadcast\n ip ospf area 1\n'
            )
        ).toEqual([
            '2: ip ospf dead-interval minimal hello-multiplier 4',
            '3: ip ospf network non-broadcast',
            '4: ip ospf area 1'
        ]);
    });

    it("'network … area' beside 'ip ospf area' is unmodelled: FRR refuses whichever comes second", () => {
        expect(
            unmodelled(
                'interface eth1\n ip address 10.0.0.0/31\n ip ospf area 0\n ip ospf cost 10\nexit\nrouter ospf\n network 10.1.0.0/16 area 0\nexit\n'
            )
        ).toEqual(['7: network 10.1.0.0/16 area 0']);
    });

    it('static routes that drop: blackhole, Null0 and reject, with a distance; beside a gateway at one distance, unmodelled', () => {
        const parsed = parseFrrConf(
            [
                'ip route 10.1.0.0/16 blackhole',
                'ip route 10.2.0.0/16 Null0 200',
                'ip route 10.3.0.0/16 reject',
                'ip route 10.4.0.0/16 10.0.0.2',
                'ip route 10.4.0.0/16 blackhole 250',
                'ip route 10.5.0.0/16 10.0.0.2',
                'ip route 10.5.0.0/16 blackhole'
            ].join('\n'),
            'frr.conf'
        );
        expect(
            parsed.config.staticRoutes.map(r => `${formatPrefix(r.prefix)} ${r.nextHop} ${r.distance ?? ''}`)
        ).toEqual([
            '10.1.0.0/16 blackhole ',
            '10.2.0.0/16 blackhole 200',
            '10.3.0.0/16 blackhole ',
            `10.4.0.0/16 ${0x0a000002} `,
            '10.4.0.0/16 blackhole 250',
            `10.5.0.0/16 ${0x0a000002} `,
            '10.5.0.0/16 blackhole '
        ]);
        expect(parsed.config.unmodelled.map(u => `${u.location.range.start.line}: ${u.text}`)).toEqual([
            '7: ip route 10.5.0.0/16 blackhole'
        ]);
        expect(renderFrrConf(parsed.config)).toContain('ip route 10.2.0.0/16 blackhole 200\n');
    });
});

describe('the daemons file', () => {
    const TWIN =
        'network: pair\npools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }\ndevices:\n  r1: { role: router }\n  r2: { role: router }\nlinks:\n  - endpoints: [r1:eth1, r2:eth1]\n';
    const FRR =
        'hostname r1\ninterface eth1\n ip address 10.0.0.0/31\n ip ospf area 0\n ip ospf cost 10\nexit\nrouter ospf\n ospf router-id 10.255.0.1\nexit\nrouter bgp 65001\n bgp router-id 10.255.0.1\nexit\n';

    function load(daemons: string | undefined, frr = FRR) {
        const folder = writeWorkspace({
            'pair.twin.yaml': TWIN,
            'configs/r1/frr.conf': frr,
            'configs/r2/frr.conf': 'hostname r2\n',
            ...(daemons === undefined ? {} : { 'configs/r1/daemons': daemons })
        });
        const twinFile = path.join(folder, 'pair.twin.yaml');
        const { twin } = loadTwin(twinFile, file => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined));
        const loaded = loadConfigs(path.join(folder, 'configs'), twin);
        return {
            config: loaded.configs.get('r1')!,
            lines: loaded.diagnostics.map(
                d => `${path.basename(d.file)}:${d.range.start.line} ${d.severity} ${d.code}: ${d.message}`
            )
        };
    }

    it('without one, frr.conf is taken as it is', () => {
        const { config, lines } = load(undefined);
        expect(lines).toEqual([]);
        expect(config.ospf).toBeDefined();
        expect(config.bgp).toBeDefined();
    });

    it('ospfd=no: router ospf does nothing and is left out, with a note at that line; a daemon not in it is not run', () => {
        const { config, lines } = load(
            '# which daemons run\nospfd=no\nvtysh_enable=yes\nzebra_options="  -A 127.0.0.1 -s 90000000"\n'
        );
        expect(config.ospf).toBeUndefined();
        expect(config.bgp).toBeUndefined();
        expect(config.unmodelled).toEqual([]);
        expect(lines).toEqual([
            'daemons:2 info frr-daemon-off: ospfd=no: FRR does not run ospfd on r1, so the router ospf section of frr.conf does nothing; verification leaves it out.',
            'daemons:1 info frr-daemon-off: bgpd is not in daemons: FRR does not run bgpd on r1, so the router bgp section of frr.conf does nothing; verification leaves it out.'
        ]);
    });

    it('ospf6d: modelled where it runs; with ospf6d=no router ospf6 is left out, with a note at that line', () => {
        const frr = `${FRR}router ospf6\n ospf6 router-id 10.255.0.1\nexit\n`;
        const on = load('ospfd=yes\nospf6d=yes\nbgpd=yes\n', frr);
        expect(on.lines).toEqual([]);
        expect(on.config.ospf6).toBeDefined();
        const off = load('ospfd=yes\nospf6d=no\nbgpd=yes\n', frr);
        expect(off.config.ospf6).toBeUndefined();
        expect(off.config.unmodelled).toEqual([]);
        expect(off.lines).toEqual([
            'daemons:2 info frr-daemon-off: ospf6d=no: FRR does not run ospf6d on r1, so the router ospf6 section of frr.conf does nothing; verification leaves it out.'
        ]);
    });

    it('routing daemons netintent does not model, other profiles and instances are unmodelled; pbrd without a pbr-map is harmless', () => {
        const { config, lines } = load(
            'ospfd=yes\nbgpd="yes"\nisisd=yes\nripd=no\npbrd=yes\nfrr_profile="datacenter"\nospfd_instances=1,2\nbgpd_options="-A 127.0.0.1 -F datacenter"\nsource /etc/other\n'
        );
        expect(config.ospf).toBeDefined();
        expect(config.bgp).toBeDefined();
        expect(config.unmodelled.map(u => `${u.location.range.start.line}: ${u.text}`)).toEqual([
            '6: frr_profile="datacenter"',
            '7: ospfd_instances=1,2',
            '8: bgpd_options="-A 127.0.0.1 -F datacenter"',
            '9: source /etc/other',
            '3: isisd=yes'
        ]);
        expect(lines.every(l => l.includes('error frr-unsupported'))).toBe(true);
        expect(
            load(
                'pbrd=yes\nospfd=yes\nbgpd=yes\n',
                `${FRR}pbr-map P seq 10\n match dst-ip 10.0.0.0/8\n set nexthop 10.0.0.1\nexit\n`
            ).config.unmodelled.map(u => u.text)
        ).toEqual(['pbr-map P seq 10', 'match dst-ip 10.0.0.0/8', 'set nexthop 10.0.0.1', 'pbrd=yes']);
    });
});

describe('IPv6: interface addresses, OSPFv3 and static routes', () => {
    const ospf6 = { cost: 10, passive: false, pointToPoint: true };
    const config: DeviceConfig = {
        ...emptyDevice('r1'),
        ospf6: { routerId: 0x0aff0001, redistribute: ['static'], defaultOriginate: true },
        staticRoutes6: [
            { prefix: { network: 0n, length: 0 }, nextHop: parseAddress6('2001:db8:ee::1')! },
            { prefix: parsePrefix6('2001:db8:99::/48')!.prefix, nextHop: 'blackhole', distance: 200 },
            // A steering table's routes.
            { prefix: { network: 0n, length: 0 }, nextHop: parseAddress6('2001:db8:fffe::3')!, table: 1000 },
            { prefix: { network: 0n, length: 0 }, nextHop: 'blackhole', distance: 254, table: 1000 }
        ],
        prefixLists6: [
            { name: 'QUIET', entries: [{ seq: 5, action: 'deny', prefix: { network: 0n, length: 0 }, le: 128 }] }
        ],
        interfaces: [
            {
                name: 'eth1',
                address: { address: 0x0a000000, length: 31 },
                address6: { address: parseAddress6('2001:db8:ff00::')!, length: 127 },
                ospf6
            },
            {
                name: 'eth2',
                address6: { address: parseAddress6('2001:db8:ff00::3')!, length: 127 },
                ospf6: { ...ospf6, advertisePrefixList: 'QUIET' }
            },
            {
                name: 'eth9',
                address6: { address: parseAddress6('2001:db8:1::1')!, length: 64 },
                ospf6: { cost: 10, passive: true, pointToPoint: false, helloInterval: 5 }
            },
            {
                name: 'lo',
                address6: { address: parseAddress6('2001:db8:fffe::1')!, length: 128 },
                ospf6: { ...ospf6, cost: 0, pointToPoint: false }
            }
        ]
    };

    it('reads back what it writes, and FRR accepts it (vtysh -C)', () => {
        expect(frrPart(roundTrip(config))).toEqual(frrPart(config));
        const text = renderFrrConf(config);
        expect(text).toContain(
            ' ipv6 address 2001:db8:ff00::/127\n ipv6 ospf6 area 0\n ipv6 ospf6 network point-to-point\n ipv6 ospf6 cost 10\n'
        );
        expect(text).toContain(
            'router ospf6\n ospf6 router-id 10.255.0.1\n redistribute static\n default-information originate\n'
        );
        expect(text).toContain(' ipv6 ospf6 advertise prefix-list QUIET\n');
        expect(text).toContain(
            'ipv6 route ::/0 2001:db8:ee::1\nipv6 route 2001:db8:99::/48 blackhole 200\nipv6 route ::/0 2001:db8:fffe::3 table 1000\nipv6 route ::/0 blackhole 254 table 1000\n'
        );
        if (!requireTool('vtysh', 'frr')) return;
        const file = path.join(temporaryFolder('ni-frr6-'), 'frr.conf');
        fs.writeFileSync(file, text);
        const run = spawnSync(sbin('vtysh'), ['-C', '-f', file], { encoding: 'utf8' });
        expect(run.status, run.stdout + run.stderr).toBe(0);
    });

    it('leaves unmodelled what it cannot know: no router ospf6, no cost, a second address, other ospf6 lines', () => {
        const parsed = parseFrrConf(
            [
                'interface eth1',
                ' ipv6 address 2001:db8::/127',
                ' ipv6 address 2001:db8:1::/127',
                ' ipv6 ospf6 area 0',
                ' ipv6 ospf6 bfd',
                'exit',
                ''
            ].join('\n'),
            'frr.conf'
        );
        expect(parsed.diagnostics.map(d => [d.range.start.line, d.message])).toEqual([
            [
                3,
                "netintent does not model 'ipv6 address 2001:db8:1::/127' (in interface eth1): a second IPv6 address on the interface; the verdicts of this network are unknown until it is removed or modelled."
            ],
            [
                5,
                "netintent does not model 'ipv6 ospf6 bfd' (in interface eth1); the verdicts of this network are unknown until it is removed or modelled."
            ],
            [
                1,
                "netintent does not model 'interface eth1': 'ipv6 ospf6 area' without 'router ospf6'; the verdicts of this network are unknown until it is removed or modelled."
            ]
        ]);
        const costless = parseFrrConf(
            'router ospf6\n ospf6 router-id 1.1.1.1\nexit\ninterface eth1\n ipv6 ospf6 area 0\nexit\n',
            'frr.conf'
        );
        expect(costless.config.unmodelled.map(u => u.location.range.start.line)).toEqual([4]);
        const routes = parseFrrConf(
            [
                'ipv6 route 2001:db8::/32 eth0',
                'ipv6 route 2001:db8::/32 fe80::1 eth0',
                'ipv6 route 2001:db8::/32 10.0.0.1',
                'router ospf6',
                ' area 0.0.0.1 range 2001:db8::/48',
                'exit',
                ''
            ].join('\n'),
            'frr.conf'
        );
        expect(routes.diagnostics.map(d => [d.range.start.line, d.code])).toEqual([
            [1, 'frr-unsupported'],
            [2, 'frr-unsupported'],
            [3, 'frr-invalid'],
            [5, 'frr-unsupported']
        ]);
        expect(routes.config.staticRoutes6).toEqual([]);
    });
});
