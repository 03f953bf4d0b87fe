/** Reading FRR text back: parse(render(m)) is m, hand-written forms, and every line accounted for. */
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { parseFrrConf } from '../../server/src/config/frr/parse.js';
import { renderFrrConf } from '../../server/src/config/frr/render.js';
import { emptyDevice, type DeviceConfig } from '../../server/src/config/model.js';
import { mulberry32, type Rng } from '../support/random.js';
import { SAMPLES, sampleProgram } from '../support/samples.js';

/** The part of a device's configuration that frr.conf carries. */
function frrPart(config: DeviceConfig) {
    const { hostname, loopback: _loopback, interfaces, ospf, bgp, staticRoutes, prefixLists, routeMaps } = config;
    return { hostname, interfaces, ospf, bgp, staticRoutes, prefixLists, routeMaps };
}

function roundTrip(config: DeviceConfig) {
    const parsed = parseFrrConf(renderFrrConf(config), 'frr.conf');
    expect(parsed.diagnostics).toEqual([]);
    return parsed.config;
}

describe('parse(render(m)) = m', () => {
    it.each(SAMPLES)('for every device of %s', async sample => {
        const compiled = compileNetwork(await sampleProgram(sample));
        for (const config of compiled.devices.values()) expect(frrPart(roundTrip(config)), config.hostname).toEqual(frrPart(config));
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
    const config = emptyDevice(`r${index}`);
    const interfaceCount = 1 + int(5);
    for (let i = 0; i < interfaceCount; i++) {
        config.interfaces.push({
            name: `eth${i}`,
            ...(next() < 0.7 ? { description: `to peer${i}:eth${int(9)}` } : {}),
            ...(next() < 0.9 ? { address: { address: address(), length: 8 + int(25) } } : {}),
            ...(next() < 0.6 ? { ospf: { cost: 1 + int(65535), passive: next() < 0.3, pointToPoint: next() < 0.5 } } : {}),
            ...(next() < 0.1 ? { shutdown: true } : {})
        });
    }
    for (let i = int(4); i > 0; i--) config.staticRoutes.push({ prefix: prefix(), nextHop: address(), ...(next() < 0.3 ? { distance: 1 + int(254) } : {}) });
    if (next() < 0.5) {
        config.prefixLists.push({ name: 'PL', entries: [{ seq: 5, action: 'permit', prefix: prefix(), ...(next() < 0.5 ? { le: 32 } : {}) }, { seq: 10, action: 'deny', prefix: prefix() }] });
        config.routeMaps.push({ name: 'RM', entries: [{ seq: 10, action: 'permit', matchPrefixList: 'PL' }, { seq: 20, action: 'deny' }] });
    }
    if (next() < 0.5) {
        config.ospf = { routerId: address(), redistribute: next() < 0.5 ? ['static'] : ['connected', 'static'], defaultOriginate: next() < 0.5, networks: next() < 0.3 ? [prefix()] : [] };
    }
    if (next() < 0.5) {
        config.bgp = {
            asn: 1 + int(4_294_967_294), routerId: address(), multipathRelax: next() < 0.5, ebgpRequiresPolicy: next() < 0.5, maximumPaths: 1 + int(64),
            neighbors: Array.from({ length: int(4) }, (_, i) => ({
                address: address() + i, remoteAs: 1 + int(65534),
                ...(next() < 0.5 ? { description: `peer ${i}` } : {}),
                ...(next() < 0.5 ? { routeMapIn: 'RM', routeMapOut: 'RM' } : {}),
                ...(next() < 0.3 ? { nextHopSelf: true } : {})
            })),
            networks: Array.from({ length: int(3) }, prefix),
            redistribute: next() < 0.5 ? [{ source: 'static' }] : [{ source: 'connected', routeMap: 'RM' }]
        };
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
        expect(config.prefixLists).toEqual([{ name: 'ALL', entries: [{ seq: 5, action: 'permit', prefix: { network: 0, length: 0 }, le: 32 }] }]);
        expect(config.bgp?.neighbors).toEqual([{ address: 0x0a000000, remoteAs: 'external', routeMapIn: 'OPEN', routeMapOut: 'OPEN' }]);
        expect(parsed.locations.get(config.bgp!.neighbors[0])?.range.start.line).toBe(19);
        expect(parsed.locations.get(config.interfaces[1])?.range.start.line).toBe(7);
    });

    it('ip ospf area with passive via router ospf', () => {
        const parsed = parseFrrConf('interface eth1\n ip address 10.0.0.0/31\n ip ospf area 0\n!\nrouter ospf\n passive-interface eth1\n', 'frr.conf');
        expect(parsed.config.interfaces[0].ospf).toEqual({ cost: 10, passive: true, pointToPoint: false });
    });

    it('every line it does not understand is a warning at that line, and bad values are errors', () => {
        const parsed = parseFrrConf([
            'hostname r1',
            'interface eth1',
            ' ip address 10.0.0.0/31',
            ' ipv6 address 2001:db8::1/64',
            'exit',
            'router rip',
            ' network 10.0.0.0/8',
            'exit',
            'ip route 10.9.0.0/16 300.1.1.1',
            'bgp community-list standard X permit 65000:1'
        ].join('\n'), 'r1/frr.conf');
        expect(parsed.diagnostics.map(d => `${d.range.start.line}:${d.range.start.column} ${d.severity} ${d.code}: ${d.message}`)).toEqual([
            "4:2 warning frr-unsupported: netintent does not understand 'ipv6 address 2001:db8::1/64' in interface eth1; verification ignores this line.",
            "6:1 warning frr-unsupported: netintent does not understand 'router rip'; verification ignores this line.",
            "7:2 warning frr-unsupported: netintent does not understand 'network 10.0.0.0/8' in router rip; verification ignores this line.",
            "9:1 error frr-invalid: 'ip route 10.9.0.0/16 300.1.1.1': not a prefix and a next-hop address.",
            "10:1 warning frr-unsupported: netintent does not understand 'bgp community-list standard X permit 65000:1'; verification ignores this line."
        ]);
        expect(parsed.config.interfaces[0].address).toEqual({ address: 0x0a000000, length: 31 });
    });
});
