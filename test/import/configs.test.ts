/**
 * `netintent twin import DIR --from configs --out FILE` (docs/twin.md, "Importing"): hand-made
 * configuration folders case by case, every sample compiled and imported back, the shared
 * writer's rules (what it overwrites, atomically), and the command end to end.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../server/src/check/check.js';
import { compileFiles } from '../../server/src/compile/targets.js';
import { importConfigs } from '../../server/src/import/configs.js';
import { ImportError, type TwinImport } from '../../server/src/import/document.js';
import { renderTwinImport, writeTwinFile, writtenByImport } from '../../server/src/import/write.js';
import type { IntentProgram } from '../../server/src/intent/model.js';
import { formatAddress, formatPrefix } from '../../server/src/net/ipv4.js';
import { formatAddress6, formatPrefix6 } from '../../server/src/net/ipv6.js';
import { loadTwin } from '../../server/src/twin/load.js';
import { interfaceName, type Twin } from '../../server/src/twin/model.js';
import { ROOT, sampleProgram } from '../support/samples.js';
import { temporaryFolder } from '../support/temporary.js';
import { netintentServices, writeWorkspace } from '../support/workspace.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'twin.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, validateFormats: false }).compile(schema);

/** An frr.conf: a hostname, then the given blocks. */
function frr(hostname: string, ...blocks: string[]): string {
    return [`hostname ${hostname}`, '!', ...blocks.map(b => `${b.trim()}\n!`), 'end', ''].join('\n');
}

function iface(name: string, ...lines: string[]): string {
    return [`interface ${name}`, ...lines.map(l => ` ${l}`), 'exit'].join('\n');
}

const lo = (address: string, address6?: string) =>
    iface('lo', `ip address ${address}/32`, ...(address6 ? [`ipv6 address ${address6}/128`] : []));

/** A folder per device, each with its frr.conf. */
function configs(devices: Record<string, string>): string {
    return writeWorkspace(
        Object.fromEntries(Object.entries(devices).map(([name, text]) => [`${name}/frr.conf`, text]))
    );
}

interface Imported extends TwinImport {
    text: string;
    loaded: Twin;
    /** The warnings as "file:line: message", the file relative to the folder. */
    said: string[];
}

/** Imports a folder; the twin written of it must load without errors and pass the JSON Schema. */
function importFolder(folder: string): Imported {
    const imported = importConfigs(folder);
    const text = renderTwinImport(imported, `${folder} --from configs --out imported.twin.yaml`);
    const file = path.join(folder, 'imported.twin.yaml');
    const loaded = loadTwin(file, f => (f === file ? text : undefined));
    expect(
        loaded.diagnostics.filter(d => d.severity === 'error').map(d => `${d.range.start.line}: ${d.message}`),
        text
    ).toEqual([]);
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    const said = imported.warnings.map(w => `${path.relative(folder, w.where)}: ${w.message}`);
    return { ...imported, text, loaded: loaded.twin, said };
}

function importDevices(devices: Record<string, string>): Imported {
    return importFolder(configs(devices));
}

/** Two routers r1 and r2 with a /31 between them (r1 the lower address), OSPF, each with more interfaces. */
function pair(r1: string[] = [], r2: string[] = []): Record<string, string> {
    const ospf = (id: string) => `router ospf\n ospf router-id ${id}\nexit`;
    return {
        r1: frr(
            'r1',
            iface('eth1', 'ip address 10.0.0.0/31', 'ip ospf area 0', 'ip ospf cost 10'),
            ...r1,
            lo('10.255.0.1'),
            ospf('10.255.0.1')
        ),
        r2: frr(
            'r2',
            iface('eth1', 'ip address 10.0.0.1/31', 'ip ospf area 0', 'ip ospf cost 10'),
            ...r2,
            lo('10.255.0.2'),
            ospf('10.255.0.2')
        )
    };
}

describe('devices, links, segments and externals from hand-made configurations', () => {
    it('a point-to-point link: two interfaces of two devices in one /31, the lower address first', () => {
        const { twin, said, sources } = importDevices(pair());
        expect(twin.routing).toBe('ospf');
        expect(twin.devices).toEqual({ r1: { loopback: '10.255.0.1' }, r2: { loopback: '10.255.0.2' } });
        expect(twin.links).toEqual([{ endpoints: ['r1:eth1', 'r2:eth1'], subnet: '10.0.0.0/31' }]);
        expect(twin.segments).toBeUndefined();
        expect(said).toEqual([]);
        expect(sources.get('links.0')).toBe('r1/frr.conf:3 interface eth1, r2/frr.conf:3 interface eth1');
        expect(sources.get('devices.r1')).toBe('r1/frr.conf: interface lo (line 9)');
    });

    it('a link whose ends are not the addresses the twin gives them keeps its subnet, with a warning per family', () => {
        const { twin, said } = importDevices({
            a: frr('a', iface('eth1', 'ip address 10.0.1.1/30', 'ipv6 address 2001:db8:1::1/64'), lo('10.255.0.1')),
            b: frr('b', iface('eth1', 'ip address 10.0.1.3/30', 'ipv6 address 2001:db8:1::5/64'), lo('10.255.0.2'))
        });
        expect(twin.links).toEqual([
            { endpoints: ['a:eth1', 'b:eth1'], subnet: '10.0.1.0/30', subnet6: '2001:db8:1::/64' }
        ]);
        expect(said).toEqual([
            'a/frr.conf:3: link a:eth1 -- b:eth1: the twin gives the ends of 10.0.1.0/30 the addresses 10.0.1.1 and 10.0.1.2, not the configured 10.0.1.1 and 10.0.1.3.',
            'a/frr.conf:3: link a:eth1 -- b:eth1: the twin gives the ends of 2001:db8:1::/64 the addresses 2001:db8:1::1 and 2001:db8:1::2, not the configured 2001:db8:1::1 and 2001:db8:1::5.'
        ]);
    });

    it("a segment's gateway is a usable address of its subnet: an interface on the network or (IPv4) last address is left out, said", () => {
        const { twin, said } = importDevices({
            a: frr(
                'a',
                iface('eth7', 'ip address 10.7.0.255/24', 'ipv6 address 2001:db8:7::/64'),
                iface('eth8', 'ip address 10.8.0.0/24'),
                iface('eth9', 'ip address 10.9.0.1/24', 'ipv6 address 2001:db8:9::ffff/64'),
                lo('10.255.0.1')
            )
        });
        expect(twin.segments).toEqual({
            'a-eth9': {
                prefix: ['10.9.0.0/24', '2001:db8:9::/64'],
                attach: 'a:eth9',
                gateway: ['10.9.0.1', '2001:db8:9::ffff']
            }
        });
        expect(said).toEqual([
            "a/frr.conf:3: interface eth7: 10.7.0.255 is not a usable address of 10.7.0.0/24, so it cannot be a segment's gateway: left out.",
            "a/frr.conf:3: interface eth7: 2001:db8:7:: is not a usable address of 2001:db8:7::/64, so it cannot be a segment's gateway: left out.",
            "a/frr.conf:8: interface eth8: 10.8.0.0 is not a usable address of 10.8.0.0/24, so it cannot be a segment's gateway: left out."
        ]);
    });

    it('pools keep out of what the twin places and of the prefixes its externals route toward', () => {
        const { twin } = importDevices({
            a: frr(
                'a',
                iface('eth1', 'ip address 10.254.0.0/31'),
                iface('eth9', 'ip address 198.51.100.2/30'),
                'ip route 10.255.0.0/16 198.51.100.1'
            ),
            b: frr('b', iface('eth1', 'ip address 10.254.0.1/31'))
        });
        expect(twin.externals?.['a-eth9']?.prefixes).toEqual(['10.255.0.0/16']);
        // 10.255.0.0/24, the first choice, is routed toward: the highest free /24 of 10/8 below it.
        expect(twin.pools).toEqual({ loopbacks: '10.254.255.0/24' });
    });

    it('a link whose ends are the other way round, and one over a /30, keep the configured addresses', () => {
        const { twin, loaded, said } = importDevices({
            a: frr('a', iface('eth1', 'ip address 10.0.0.1/31'), iface('eth2', 'ip address 10.0.1.2/30')),
            b: frr('b', iface('eth1', 'ip address 10.0.0.0/31'), iface('eth2', 'ip address 10.0.1.1/30'))
        });
        expect(twin.links).toEqual([
            { endpoints: ['b:eth1', 'a:eth1'], subnet: '10.0.0.0/31' },
            { endpoints: ['b:eth2', 'a:eth2'], subnet: '10.0.1.0/30' }
        ]);
        const addressOf = (device: string, name: string) =>
            formatAddress(loaded.devices.get(device)!.interfaces.get(name)!.address!);
        expect([addressOf('a', 'eth1'), addressOf('b', 'eth1'), addressOf('a', 'eth2')]).toEqual([
            '10.0.0.1',
            '10.0.0.0',
            '10.0.1.2'
        ]);
        expect(twin.routing).toBe('static');
        // Neither device has a loopback: the twin gives each one from a pool the import chose.
        expect(twin.pools).toEqual({ loopbacks: '10.255.0.0/24' });
        expect(said).toEqual([
            expect.stringMatching(/^: 2 device\(s\) have no IPv4 address on interface lo \(a, b\).*10\.255\.0\.0\/24/)
        ]);
    });

    it('a segment named by its description: as compile writes it, or a bare name', () => {
        const { twin, said, sources } = importDevices(
            pair(
                [iface('eth10', 'description segment web', 'ip address 10.1.1.1/24')],
                [iface('eth10', 'description users', 'ip address 10.1.2.254/24')]
            )
        );
        expect(twin.segments).toEqual({
            web: { prefix: '10.1.1.0/24', attach: 'r1:eth10' },
            users: { prefix: '10.1.2.0/24', attach: 'r2:eth10', gateway: '10.1.2.254' }
        });
        expect(said).toEqual([]);
        expect(sources.get('segments.web')).toBe('r1/frr.conf:9 interface eth10');
    });

    it('a segment named <device>-<interface> without a description that names it', () => {
        const { twin } = importDevices(
            pair(
                [iface('eth10', 'ip address 10.1.1.1/24')],
                [
                    iface('eth10', 'description Users on floor 2', 'ip address 10.1.2.1/24'),
                    iface('eth11.100', 'description web', 'ip address 10.1.3.1/24'),
                    // A second description naming a segment another has: <device>-<interface> too.
                    iface('eth12', 'description web', 'ip address 10.1.4.1/24')
                ]
            )
        );
        expect(Object.keys(twin.segments!)).toEqual(['r1-eth10', 'r2-eth10', 'web', 'r2-eth12']);
        expect(twin.segments!.web.attach).toBe('r2:eth11.100');
    });

    it('an external from static routes through an address on an interface no other device shares', () => {
        const { twin, said, sources } = importDevices(
            pair(
                [],
                [
                    iface('eth9', 'description external internet', 'ip address 203.0.113.2/30'),
                    iface('eth8', 'ip address 198.51.100.6/30'),
                    'ip route 0.0.0.0/0 203.0.113.1',
                    'ip route 192.0.2.0/24 203.0.113.1',
                    'ip route 10.250.0.0/16 198.51.100.5',
                    // Steering's own table, a route inside the network, a next hop nowhere: none is an external.
                    'ip route 0.0.0.0/0 10.255.0.1 table 1000',
                    'ip route 10.9.0.0/16 10.0.0.0',
                    'ip route 172.16.0.0/12 192.0.2.77'
                ]
            )
        );
        expect(twin.externals).toEqual({
            internet: {
                prefixes: ['0.0.0.0/0', '192.0.2.0/24'],
                attach: 'r2:eth9',
                address: '203.0.113.2/30',
                peer: '203.0.113.1'
            },
            'r2-eth8': {
                prefixes: ['10.250.0.0/16'],
                attach: 'r2:eth8',
                address: '198.51.100.6/30',
                peer: '198.51.100.5'
            }
        });
        expect(twin.segments).toBeUndefined();
        expect(said).toEqual([
            "r2/frr.conf:28: the route to 172.16.0.0/12 goes through 192.0.2.77, on no interface's subnet of the twin: not imported."
        ]);
        expect(sources.get('externals.internet')).toBe('r2/frr.conf:9 interface eth9; next hops at lines 18, 20');
        // An external with more than a few prefixes has them a line each.
        const many = importDevices({
            r: frr(
                'r',
                iface('eth9', 'ip address 203.0.113.2/30'),
                ...['0.0.0.0/0', '192.0.2.0/24', '198.51.100.0/24', '10.8.0.0/16', '10.9.0.0/16'].map(
                    p => `ip route ${p} 203.0.113.1`
                )
            )
        });
        expect(many.text).toContain(
            '  r-eth9:\n    prefixes:\n      - 0.0.0.0/0\n      - 192.0.2.0/24\n      - 198.51.100.0/24\n      - 10.8.0.0/16\n      - 10.9.0.0/16\n    attach: r:eth9\n'
        );
    });

    it('BGP: the AS of each device, routing bgp, and an external at a neighbour outside the twin', () => {
        const bgp = (asn: number, id: string, ...lines: string[]) =>
            [`router bgp ${asn}`, ` bgp router-id ${id}`, ...lines.map(l => ` ${l}`), 'exit'].join('\n');
        const { twin, said } = importDevices({
            leaf1: frr(
                'leaf1',
                iface('eth1', 'ip address 10.0.0.1/31'),
                iface('eth9', 'ip address 198.51.100.2/30'),
                iface('eth8', 'ip address 198.51.100.6/30'),
                lo('10.255.255.11'),
                'ip prefix-list FROM-ISP seq 5 permit 0.0.0.0/0',
                'ip prefix-list FROM-ISP seq 10 permit 192.0.2.0/24 le 32',
                'route-map FROM-ISP permit 10\n match ip address prefix-list FROM-ISP\nexit',
                bgp(
                    65101,
                    '10.255.255.11',
                    'neighbor 10.0.0.0 remote-as 65000',
                    'neighbor 198.51.100.1 remote-as 64500',
                    'neighbor 198.51.100.5 remote-as 64501',
                    'address-family ipv4 unicast',
                    ' neighbor 198.51.100.1 route-map FROM-ISP in',
                    'exit-address-family'
                )
            ),
            spine1: frr(
                'spine1',
                iface('eth1', 'ip address 10.0.0.0/31'),
                lo('10.255.255.1'),
                bgp(65000, '10.255.255.99', 'neighbor 10.0.0.1 remote-as 65101')
            )
        });
        expect(twin.routing).toBe('bgp');
        // spine1's router ID is not its loopback: said.
        expect(twin.devices).toEqual({
            leaf1: { loopback: '10.255.255.11', asn: 65101 },
            spine1: { loopback: '10.255.255.1', asn: 65000, 'router-id': '10.255.255.99' }
        });
        expect(twin.links).toEqual([{ endpoints: ['spine1:eth1', 'leaf1:eth1'], subnet: '10.0.0.0/31' }]);
        expect(twin.externals).toEqual({
            'leaf1-eth9': {
                prefixes: ['0.0.0.0/0', '192.0.2.0/24'],
                attach: 'leaf1:eth9',
                address: '198.51.100.2/30',
                peer: '198.51.100.1'
            },
            'leaf1-eth8': {
                prefixes: ['0.0.0.0/0'],
                attach: 'leaf1:eth8',
                address: '198.51.100.6/30',
                peer: '198.51.100.5'
            }
        });
        expect(said).toEqual([
            expect.stringMatching(
                /^leaf1\/frr\.conf:\d+: external leaf1-eth8: BGP neighbour 198\.51\.100\.5 has no route-map in .* taken to be 0\.0\.0\.0\/0/
            )
        ]);
    });

    it("OSPF costs: one both ends say is the link's (10, the default, unwritten); ends that differ take the first's, said", () => {
        const cost = (address: string, value: number) =>
            iface('eth2', `ip address ${address}`, 'ip ospf area 0', `ip ospf cost ${value}`);
        const six = (address: string, value: number) =>
            iface(
                'eth3',
                `ip address ${address}`,
                'ip ospf area 0',
                'ip ospf cost 30',
                `ipv6 address 2001:db8:ff00::${address.endsWith('4/31') ? '4' : '5'}/127`,
                'ipv6 ospf6 area 0',
                `ipv6 ospf6 cost ${value}`
            );
        const devices = pair(
            [cost('10.0.0.2/31', 50), six('10.0.0.4/31', 30), 'router ospf6\n ospf6 router-id 10.255.0.1\nexit'],
            [cost('10.0.0.3/31', 70), six('10.0.0.5/31', 35), 'router ospf6\n ospf6 router-id 10.255.0.2\nexit']
        );
        const { twin, said } = importDevices(devices);
        expect(twin.links.map(l => l.cost)).toEqual([undefined, 50, 30]);
        expect(twin.links[2].subnet6).toBe('2001:db8:ff00::4/127');
        expect(said).toEqual([
            'r1/frr.conf:9: link r1:eth2 -- r2:eth2: its ends or families have different OSPF costs (50, 70); the twin has one cost per link: 50.',
            'r1/frr.conf:15: link r1:eth3 -- r2:eth3: its ends or families have different OSPF costs (30, 35); the twin has one cost per link: 30.'
        ]);
    });

    it('IPv6: a dual-stack /127 link, an IPv6-only link, an IPv6 segment and a dual-stack one, IPv6 loopbacks', () => {
        const { twin, loaded, said } = importDevices({
            r1: frr(
                'r1',
                iface('eth1', 'ip address 10.0.0.0/31', 'ipv6 address 2001:db8:ff00::/127'),
                iface('eth2', 'ipv6 address 2001:db8:ff00::2/127'),
                iface('eth9', 'description segment lab6', 'ipv6 address 2001:db8:6::1/64'),
                iface('eth10', 'ip address 10.6.1.1/24', 'ipv6 address 2001:db8:1::1/64'),
                lo('10.255.0.1', '2001:db8:fffe::1')
            ),
            r2: frr(
                'r2',
                iface('eth1', 'ip address 10.0.0.1/31', 'ipv6 address 2001:db8:ff00::1/127'),
                iface('eth2', 'ipv6 address 2001:db8:ff00::3/127'),
                lo('10.255.0.2', '2001:db8:fffe::2')
            )
        });
        expect(twin.devices.r1).toEqual({ loopback: ['10.255.0.1', '2001:db8:fffe::1'] });
        expect(twin.links).toEqual([
            { endpoints: ['r1:eth1', 'r2:eth1'], subnet: '10.0.0.0/31', subnet6: '2001:db8:ff00::/127' },
            { endpoints: ['r1:eth2', 'r2:eth2'], subnet6: '2001:db8:ff00::2/127' }
        ]);
        expect(twin.segments).toEqual({
            lab6: { prefix: '2001:db8:6::/64', attach: 'r1:eth9' },
            'r1-eth10': { prefix: ['10.6.1.0/24', '2001:db8:1::/64'], attach: 'r1:eth10' }
        });
        // The twin gives every link an IPv4 subnet: the IPv6-only link takes one from a pool, said.
        expect(twin.pools).toEqual({ links: '10.254.0.0/16' });
        expect(said).toEqual([expect.stringMatching(/^: 1 link\(s\) have no IPv4 subnet .*r1:eth2 -- r2:eth2/)]);
        const eth2 = loaded.devices.get('r1')!.interfaces.get('eth2')!;
        expect(formatAddress6(eth2.address6!)).toBe('2001:db8:ff00::2');
        expect(formatAddress(eth2.address!)).toBe('10.254.0.0');
        // Written as docs/twin.md asks: '::' quoted where a value starts with it.
        expect(
            importDevices({
                r: frr('r', iface('eth8', 'ipv6 address 2001:db8:ee::2/64'), 'ipv6 route ::/0 2001:db8:ee::1')
            }).text
        ).toContain('prefixes: ["::/0"]');
    });

    it('an interface whose subnet matches no other device: a /31 is left out, a /30 becomes a segment; both said', () => {
        const { twin, said } = importDevices(
            pair([iface('eth5', 'ip address 10.0.9.0/31'), iface('eth6', 'ip address 10.0.9.5/30')])
        );
        expect(twin.links).toHaveLength(1);
        expect(twin.segments).toEqual({ 'r1-eth6': { prefix: '10.0.9.4/30', attach: 'r1:eth6' } });
        expect(said).toEqual([
            expect.stringMatching(
                /^r1\/frr\.conf:9: interface eth5: no other device has an address in 10\.0\.9\.0\/31, and a segment needs room .* left out\. A link to a device whose configuration is not in /
            ),
            expect.stringMatching(
                /^r1\/frr\.conf:13: interface eth6: 10\.0\.9\.4\/30 looks like a point-to-point subnet, but no other device .* imported as a segment\.$/
            )
        ]);
    });

    it('a subnet on three devices is no link and no segment: each address left out, said', () => {
        const lan = (address: string) => iface('eth7', `ip address ${address}/24`);
        const { twin, said } = importDevices({
            ...pair([lan('10.5.0.1')], [lan('10.5.0.2')]),
            r3: frr('r3', lan('10.5.0.3'))
        });
        expect(twin.links).toHaveLength(1);
        expect(twin.segments).toBeUndefined();
        expect(said.filter(s => s.includes('10.5.0.0/24 is on 3 interfaces (r1:eth7, r2:eth7, r3:eth7)'))).toHaveLength(
            3
        );
    });

    it('what it reads but cannot place is said: a hostname not the folder, a folder without frr.conf, an unmodelled line, mixed routing', () => {
        const devices = pair();
        const folder = configs({
            ...devices,
            r2: devices.r2.replace('hostname r2', 'hostname edge-2'),
            r3: frr('r3', iface('eth1', 'ip address 10.0.1.0/31'), 'router rip\n network 10.0.0.0/8\nexit')
        });
        fs.mkdirSync(path.join(folder, 'notes'));
        const { twin, said } = importFolder(folder);
        expect(Object.keys(twin.devices)).toEqual(['r1', 'r2', 'r3']);
        expect(twin.routing).toBe('ospf');
        expect(said).toEqual([
            'notes: no frr.conf in this folder: not a device, left out.',
            "r3/frr.conf:7: netintent does not model 'router rip'; not imported.",
            "r3/frr.conf:8: netintent does not model 'network 10.0.0.0/8' (in router rip); not imported.",
            "r2/frr.conf:1: hostname edge-2 is not the folder's name: the device is named r2, the name 'verify --configs' looks its configuration up by.",
            expect.stringMatching(
                /^r3\/frr\.conf:3: interface eth1: no other device has an address in 10\.0\.1\.0\/31/
            ),
            'r3/frr.conf: this device has neither router ospf nor router bgp, 2 other(s) router ospf: the twin has one routing for all, ospf.',
            expect.stringMatching(/^: 1 device\(s\) have no IPv4 address on interface lo \(r3\)/)
        ]);
    });
});

/** `count` segment interfaces eth10… of router `n`, each with its own /24. */
function segments(n: number, count: number): string[] {
    return Array.from({ length: count }, (_, i) => iface(`eth${10 + i}`, `ip address 10.${n}.${i}.1/24`));
}

describe('device names', () => {
    it("a folder name that cannot name a device gives way to the hostname's first label, else to one made of it", () => {
        const { twin, said, sources } = importDevices({
            '10.0.0.2': frr('edge-2.example.net', iface('eth1', 'ip address 10.0.0.1/31')),
            '10.0.0.3': frr('10.0.0.3', iface('eth1', 'ip address 10.0.0.0/31'))
        });
        expect(Object.keys(twin.devices)).toEqual(['edge-2', 'device-10-0-0-3']);
        expect(twin.links).toEqual([{ endpoints: ['device-10-0-0-3:eth1', 'edge-2:eth1'], subnet: '10.0.0.0/31' }]);
        expect(said.slice(0, 2)).toEqual([
            "10.0.0.2/frr.conf: the folder name '10.0.0.2' cannot name a device (letters, digits, '-' and '_', starting with a letter): named edge-2; 'verify --configs' will not find its configuration under that name.",
            "10.0.0.3/frr.conf: the folder name '10.0.0.3' cannot name a device (letters, digits, '-' and '_', starting with a letter): named device-10-0-0-3; 'verify --configs' will not find its configuration under that name."
        ]);
        expect(sources.get('routing')).toBe('neither router ospf nor router bgp: every device');
    });
});

describe('an export of running routers', () => {
    it("vtysh's preamble reads; unmodelled lines (the lab's timers) are said, a few per device, then counted", () => {
        const timers = (name: string, address: string) =>
            iface(name, `ip address ${address}`, 'ip ospf cost 10', 'ip ospf retransmit-interval 1');
        const exported = (text: string) =>
            `Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\n${text.replace('hostname r1', 'hostname vm')}`;
        const devices = pair(
            [
                timers('eth2', '10.0.9.1/24'),
                timers('eth3', '10.0.8.1/24'),
                timers('eth4', '10.0.7.1/24'),
                timers('eth5', '10.0.6.1/24'),
                timers('eth6', '10.0.5.1/24'),
                timers('eth7', '10.0.4.1/24')
            ],
            [timers('eth2', '10.0.10.1/24')]
        );
        const { twin, said } = importDevices({ r1: exported(devices.r1), r2: devices.r2 });
        expect(Object.keys(twin.segments!)).toHaveLength(7);
        expect(said).toEqual([
            "r1/frr.conf:17: netintent does not model 'ip ospf retransmit-interval 1' (in interface eth2); not imported.",
            "r1/frr.conf:23: netintent does not model 'ip ospf retransmit-interval 1' (in interface eth3); not imported.",
            "r1/frr.conf:29: netintent does not model 'ip ospf retransmit-interval 1' (in interface eth4); not imported.",
            "r1/frr.conf:35: netintent does not model 'ip ospf retransmit-interval 1' (in interface eth5); not imported.",
            "r1/frr.conf: 2 more lines netintent does not model (lines 41, 47): not imported; 'netintent verify --configs' reports each.",
            "r2/frr.conf:12: netintent does not model 'ip ospf retransmit-interval 1' (in interface eth2); not imported.",
            "r1/frr.conf:6: hostname vm is not the folder's name: the device is named r1, the name 'verify --configs' looks its configuration up by."
        ]);
    });
});

describe('addresses that overlap: the twin has none, so what comes later is left out', () => {
    it('a segment inside another, a loopback two devices have, a link subnet inside a segment', () => {
        const { twin, said } = importDevices(
            pair(
                [iface('eth10', 'ip address 10.1.0.1/24'), iface('eth11', 'ip address 10.9.0.1/24')],
                [
                    iface('eth10', 'ip address 10.1.0.129/25'),
                    iface('eth11', 'ip address 10.2.0.1/24', 'ipv6 address 2001:db8:1::1/64')
                ]
            )
        );
        expect(twin.segments).toEqual({
            'r1-eth10': { prefix: '10.1.0.0/24', attach: 'r1:eth10' },
            'r1-eth11': { prefix: '10.9.0.0/24', attach: 'r1:eth11' },
            'r2-eth11': { prefix: ['10.2.0.0/24', '2001:db8:1::/64'], attach: 'r2:eth11' }
        });
        expect(said).toEqual([
            "r2/frr.conf:9: segment at r2:eth10 (10.1.0.128/25) overlaps segment at r1:eth10: the twin's addresses do not overlap, so 10.1.0.128/25 is left out."
        ]);
        // r3 has r1's loopback; its link to r4 is inside r1's segment at eth11 (links come before segments).
        const reused = importDevices({
            ...pair([iface('eth11', 'ip address 10.9.0.1/24')]),
            r3: frr('r3', iface('eth1', 'ip address 10.9.0.8/31'), lo('10.255.0.1')),
            r4: frr('r4', iface('eth1', 'ip address 10.9.0.9/31'), lo('10.255.0.4'))
        });
        expect(reused.twin.devices.r3).toEqual({});
        expect(reused.twin.links).toEqual([
            { endpoints: ['r1:eth1', 'r2:eth1'], subnet: '10.0.0.0/31' },
            { endpoints: ['r3:eth1', 'r4:eth1'], subnet: '10.9.0.8/31' }
        ]);
        expect(reused.twin.segments).toBeUndefined();
        expect(reused.said).toEqual([
            "r3/frr.conf:7: the loopback of r3 (10.255.0.1) overlaps the loopback of r1: the twin's addresses do not overlap, so 10.255.0.1 is left out.",
            "r1/frr.conf:9: segment at r1:eth11 (10.9.0.0/24) overlaps link r3:eth1 -- r4:eth1: the twin's addresses do not overlap, so 10.9.0.0/24 is left out.",
            expect.stringMatching(/r4\/frr\.conf: these devices have neither router ospf nor router bgp/),
            expect.stringMatching(/^: 1 device\(s\) have no IPv4 address on interface lo \(r3\)/)
        ]);
    });
});

describe('input that cannot be imported: an error naming the file and line, and what would fix it', () => {
    it('a configuration line that does not parse', () => {
        const devices = pair([iface('eth5', 'ip address 10.0.0.300/24')]);
        const folder = configs(devices);
        const error = catchError(() => importConfigs(folder));
        expect(error).toBeInstanceOf(ImportError);
        expect((error as ImportError).where).toBe(path.join(folder, 'r1', 'frr.conf:10'));
        expect((error as ImportError).message).toBe(
            `${path.join(folder, 'r1', 'frr.conf')}:10: 'ip address 10.0.0.300/24': not an address with a prefix length. FRR would refuse this line too: correct it or remove it, then import again.`
        );
    });

    it('a frr.conf that is not a regular file', () => {
        const folder = configs(pair());
        fs.rmSync(path.join(folder, 'r2', 'frr.conf'));
        spawnSync('mkfifo', [path.join(folder, 'r2', 'frr.conf')]);
        const file = path.join(folder, 'r2', 'frr.conf');
        expect(catchError(() => importConfigs(folder))?.message).toBe(
            `${file}: '${file}' is a FIFO, not a regular file. Give each device's frr.conf as a regular file.`
        );
    });

    it('a folder that is not there, or holds no device', () => {
        const missing = path.join(temporaryFolder('netintent-import-'), 'nowhere');
        expect(catchError(() => importConfigs(missing))?.message).toBe(
            `${missing}: no such folder. Give the folder that holds a folder per device, each with its frr.conf (as 'netintent compile --out DIR' writes them).`
        );
        const empty = temporaryFolder('netintent-import-');
        expect(catchError(() => importConfigs(empty))?.message).toMatch(/: no device folder with a frr\.conf in it\./);
    });
});

/** Every sample's folder with its twin (samples/broken has one valid twin beside broken intents). */
const SAMPLE_TWINS = fs
    .readdirSync(path.join(ROOT, 'samples'))
    .map(sample => ({
        sample,
        twin: fs.readdirSync(path.join(ROOT, 'samples', sample)).find(f => f.endsWith('.twin.yaml'))
    }))
    .filter((s): s is { sample: string; twin: string } => s.twin !== undefined);

/** The sample's program; where its intents have errors (samples/broken), its twin's with no intents. */
async function programOf(sample: string, twinFile: string): Promise<IntentProgram> {
    if (sample !== 'broken') return sampleProgram(sample);
    const alone = writeWorkspace({
        [twinFile]: fs.readFileSync(path.join(ROOT, 'samples', sample, twinFile), 'utf8'),
        'main.intent': `twin "${twinFile}"\n`
    });
    const report = await checkFiles(netintentServices(), [path.join(alone, 'main.intent')], { verify: false });
    expect(report.summary.errors).toBe(0);
    return [...report.programs.values()][0];
}

/** What the round trip keeps: devices, links (ends, subnets, costs under OSPF), segments, externals, routing. */
function shape(twin: Twin) {
    const both = (v4?: string, v6?: string) => [v4, v6].filter(Boolean).join(' ');
    return {
        routing: twin.routing,
        devices: [...twin.devices.values()]
            .map(d =>
                [
                    d.name,
                    d.loopback !== undefined ? formatAddress(d.loopback) : '',
                    d.loopback6 !== undefined ? formatAddress6(d.loopback6) : '',
                    d.asn ?? ''
                ].join(' ')
            )
            .sort(),
        links: twin.links
            .map(l =>
                [
                    `${interfaceName(l.a)} -- ${interfaceName(l.b)}`,
                    both(l.subnet && formatPrefix(l.subnet), l.subnet6 && formatPrefix6(l.subnet6)),
                    twin.routing === 'ospf' ? `cost ${l.cost}` : ''
                ].join(' ')
            )
            .sort(),
        segments: [...twin.segments.values()]
            .map(s =>
                [
                    s.name,
                    both(s.prefix && formatPrefix(s.prefix), s.prefix6 && formatPrefix6(s.prefix6)),
                    `at ${s.attach && interfaceName(s.attach)}`,
                    `gateway ${both(s.gateway !== undefined ? formatAddress(s.gateway) : undefined, s.gateway6 !== undefined ? formatAddress6(s.gateway6) : undefined)}`
                ].join(' ')
            )
            .sort(),
        externals: [...twin.externals.values()]
            .map(e =>
                [
                    e.name,
                    [...e.prefixes.map(formatPrefix), ...e.prefixes6.map(formatPrefix6)].join(','),
                    `at ${e.attach && interfaceName(e.attach)}`,
                    both(
                        e.peer !== undefined ? formatAddress(e.peer) : undefined,
                        e.peer6 !== undefined ? formatAddress6(e.peer6) : undefined
                    )
                ].join(' ')
            )
            .sort()
    };
}

describe('every sample, compiled and imported back', () => {
    it('knows every sample', () => {
        expect(SAMPLE_TWINS.map(s => s.sample).sort()).toEqual([
            'broken',
            'campus',
            'dc-fabric',
            'dual-hub',
            'dual-stack',
            'violations',
            'wan'
        ]);
    });

    it.each(SAMPLE_TWINS)('$sample: the same devices, links, segments and externals', async ({ sample, twin }) => {
        const program = await programOf(sample, twin);
        const folder = temporaryFolder(`netintent-import-${sample}-`);
        for (const [relative, content] of compileFiles(program, 'frr').files) {
            fs.mkdirSync(path.dirname(path.join(folder, relative)), { recursive: true });
            fs.writeFileSync(path.join(folder, relative), content);
        }
        const imported = importFolder(folder);
        expect(shape(imported.loaded)).toEqual(shape(program.twin));
        // Only what the configurations cannot say: the anycast addresses of 'via any of' sets.
        for (const warning of imported.said) expect(warning).toMatch(/the loopback's other addresses/);
        expect(imported.said.length > 0).toBe(sample === 'dual-hub');
    });
});

describe('writing: atomically, and over no file an import did not write unless forced', () => {
    const small = () => importConfigs(configs(pair()));

    it('writes a file that starts with the command and says it is unedited; a second import replaces its own file', () => {
        const folder = temporaryFolder('netintent-write-');
        const file = path.join(folder, 'net.twin.yaml');
        const text = renderTwinImport(small(), `DIR --from configs --out ${file}`);
        writeTwinFile(file, text, false);
        expect(fs.readFileSync(file, 'utf8')).toBe(text);
        expect(text.split('\n')[0]).toBe(`# netintent twin import DIR --from configs --out ${file}`);
        expect(writtenByImport(text)).toBe(true);
        const again = renderTwinImport(small(), `OTHER --from configs --out ${file}`);
        writeTwinFile(file, again, false);
        expect(fs.readFileSync(file, 'utf8')).toBe(again);
        expect(fs.readdirSync(folder)).toEqual(['net.twin.yaml']);
    });

    it('refuses a file it did not write, one edited since, a link; --force replaces each', () => {
        const folder = temporaryFolder('netintent-write-');
        const text = renderTwinImport(small(), 'DIR --from configs --out x');
        const cases: Array<[string, (file: string) => void, RegExp]> = [
            [
                'hand.twin.yaml',
                f => fs.writeFileSync(f, 'network: mine\n'),
                /was not written by netintent twin import, or was edited since/
            ],
            [
                'edited.twin.yaml',
                f => fs.writeFileSync(f, text.replace('devices:', 'devices:\n  r9: {}')),
                /was not written by netintent twin import, or was edited since/
            ],
            ['link.twin.yaml', f => fs.symlinkSync(path.join(folder, 'elsewhere'), f), /is a symbolic link/]
        ];
        for (const [name, make, why] of cases) {
            const file = path.join(folder, name);
            make(file);
            const before = fs.lstatSync(file).isSymbolicLink() ? 'link' : fs.readFileSync(file, 'utf8');
            expect(() => writeTwinFile(file, text, false)).toThrow(why);
            expect(fs.lstatSync(file).isSymbolicLink() ? 'link' : fs.readFileSync(file, 'utf8')).toBe(before);
            writeTwinFile(file, text, true);
            expect(fs.lstatSync(file).isFile()).toBe(true);
            expect(fs.readFileSync(file, 'utf8')).toBe(text);
        }
        // A link is replaced, not written through.
        expect(fs.existsSync(path.join(folder, 'elsewhere'))).toBe(false);
        expect(() => writeTwinFile(folder, text, true)).toThrow(/is a folder/);
        expect(() => writeTwinFile(path.join(folder, 'no', 'x.twin.yaml'), text, true)).toThrow(/there is no folder/);
    });

    it('leaves the file as it was when writing fails or what was written is refused, and nothing beside it', () => {
        const folder = temporaryFolder('netintent-write-');
        const file = path.join(folder, 'net.twin.yaml');
        const first = renderTwinImport(small(), 'DIR --from configs --out x');
        writeTwinFile(file, first, false);
        // The temporary file's name taken by a folder: the write cannot begin.
        const blocker = path.join(folder, `.net.twin.yaml.tmp-${process.pid}`);
        fs.mkdirSync(blocker);
        expect(() => writeTwinFile(file, first.replace('r1', 'r7'), false)).toThrow(/cannot write/);
        fs.rmdirSync(blocker);
        expect(fs.readFileSync(file, 'utf8')).toBe(first);
        expect(fs.readdirSync(folder)).toEqual(['net.twin.yaml']);
        // What is written is read back before it takes the file's place; refused there, it replaces nothing.
        const bug = new Error('does not load');
        const second = first.replace('r1', 'r7');
        let readBack: string | undefined;
        const refuse = (written: string) => {
            readBack = written;
            throw bug;
        };
        expect(catchError(() => writeTwinFile(file, second, false, refuse))).toBe(bug);
        expect(readBack).toBe(second);
        expect(fs.readFileSync(file, 'utf8')).toBe(first);
        expect(fs.readdirSync(folder)).toEqual(['net.twin.yaml']);
    });
});

function netintent(args: string[], shell?: string) {
    const result = shell
        ? spawnSync('bash', ['-c', `${shell}; exec "$0" "$@"`, process.execPath, BIN, ...args], {
              cwd: ROOT,
              encoding: 'utf8'
          })
        : spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('netintent twin import (the built CLI in a child process)', () => {
    it('imports, says what and warns on stderr; replaces its own file, refuses an edited one without --force', () => {
        const source = configs({ ...pair(), r3: frr('r3', iface('eth1', 'ip address 10.0.1.0/31')) });
        const out = path.join(temporaryFolder('netintent-cli-'), 'net.twin.yaml');
        const args = ['twin', 'import', source, '--from', 'configs', '--out', out];
        const run = netintent(args);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toBe(
            `imported ${source} (configs): 3 devices, 1 link, 0 segments, 0 externals, 3 warnings → ${out}\n`
        );
        expect(run.stderr.split('\n').filter(Boolean)).toEqual([
            expect.stringMatching(
                new RegExp(`^warning: ${path.join(source, 'r3', 'frr.conf')}:3: interface eth1: no other device`)
            ),
            expect.stringMatching(/^warning: .*r3\/frr\.conf: this device has neither router ospf nor router bgp/),
            expect.stringMatching(/^warning: .*: 1 device\(s\) have no IPv4 address on interface lo \(r3\)/)
        ]);
        const text = fs.readFileSync(out, 'utf8');
        expect(text.split('\n')[0]).toBe(`# netintent twin import ${source} --from configs --out ${out}`);
        expect(netintent(args).code).toBe(0);
        fs.appendFileSync(out, 'hosts: {}\n');
        const refused = netintent(args);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toBe(
            `netintent: ${out} was not written by netintent twin import, or was edited since: not overwritten. Choose another --out, or run again with --force to replace it.\n`
        );
        expect(netintent([...args, '--force']).code).toBe(0);
        expect(fs.readFileSync(out, 'utf8')).toBe(text);
    });

    it('exit 2 with a message, never a stack: a line that does not parse, a missing folder, a missing option, another kind', () => {
        const source = configs(pair([iface('eth5', 'ip address 10.0.0.300/24')]));
        const out = path.join(temporaryFolder('netintent-cli-'), 'net.twin.yaml');
        const bad = netintent(['twin', 'import', source, '--from', 'configs', '--out', out]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(
            new RegExp(
                `^netintent: ${path.join(source, 'r1', 'frr.conf')}:10: 'ip address 10\\.0\\.0\\.300/24': not an address`
            )
        );
        expect(fs.existsSync(out)).toBe(false);
        const runs = [
            netintent(['twin', 'import', '/nonexistent/configs', '--from', 'configs', '--out', out]),
            netintent(['twin', 'import', source, '--out', out]),
            netintent(['twin', 'import', source, '--from', 'configs']),
            netintent(['twin', 'import', '--from', 'configs', '--out', out]),
            netintent(['twin', 'import', 'x.json', '--from', 'rfc8345', '--out', out]),
            netintent(['twin', 'import', 'http://127.0.0.1:1', '--from', 'netbox', '--out', out]),
            netintent(['twin', 'import', source, '--from', 'yang', '--out', out]),
            netintent(['twin', 'sync', '--out', out])
        ];
        expect(runs.map(r => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
        expect(runs.map(r => r.stderr.split('\n')[0])).toEqual([
            "netintent: /nonexistent/configs: no such folder. Give the folder that holds a folder per device, each with its frr.conf (as 'netintent compile --out DIR' writes them).",
            'netintent: twin import needs --from configs|rfc8345|netbox: what SOURCE is.',
            'netintent: twin import needs --out FILE.twin.yaml: the twin file to write.',
            'netintent: twin import takes one SOURCE, none is given: netintent twin import SOURCE --from configs|rfc8345|netbox --out FILE.twin.yaml',
            'netintent: x.json: no such file.',
            expect.stringMatching(
                /^netintent: http:\/\/127\.0\.0\.1:1\/api\/dcim\/devices\/\?limit=1000: cannot reach NetBox: /
            ),
            expect.stringMatching(/option '--from <kind>' argument 'yang' is invalid/),
            'netintent: --from, --to, --out and --force are options of twin import and export, not of twin sync.'
        ]);
        for (const run of runs) expect(run.stderr).not.toMatch(/^\s+at /m);
        expect(fs.existsSync(out)).toBe(false);
    });

    it('a write that fails half-way (the file size limit) leaves the old file whole and no temporary file', () => {
        const source = configs(pair());
        const folder = temporaryFolder('netintent-cli-');
        const out = path.join(folder, 'net.twin.yaml');
        const args = ['twin', 'import', source, '--from', 'configs', '--out', out];
        expect(netintent(args).code).toBe(0);
        const before = fs.readFileSync(out, 'utf8');
        // 1 KB at most per file: the new twin (larger) is cut short while written.
        const failed = netintent(
            ['twin', 'import', configs(pair(segments(1, 8), segments(2, 8))), '--from', 'configs', '--out', out],
            'ulimit -f 1'
        );
        expect(failed.code, failed.stdout).toBe(2);
        expect(failed.stderr).toMatch(new RegExp(`netintent: cannot write ${out}: .*; it is left as it was\\.`));
        expect(fs.readFileSync(out, 'utf8')).toBe(before);
        expect(fs.readdirSync(folder)).toEqual(['net.twin.yaml']);
    });

    it('a sample compiled by the CLI imports back into a twin the CLI checks', () => {
        const folder = temporaryFolder('netintent-cli-');
        const compiled = netintent(['compile', 'samples/dual-stack', '--out', path.join(folder, 'configs')]);
        expect(compiled.code, compiled.stderr).toBe(0);
        const out = path.join(folder, 'dual-stack.twin.yaml');
        const run = netintent(['twin', 'import', path.join(folder, 'configs'), '--from', 'configs', '--out', out]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/: 4 devices, 5 links, 4 segments, 1 external, 0 warnings → /);
        fs.writeFileSync(path.join(folder, 'main.intent'), 'twin "dual-stack.twin.yaml"\ndefault deny\n');
        const checked = netintent(['check', folder]);
        expect(checked.stdout).toMatch(/0 errors, 0 warnings/);
    });
});

function catchError(run: () => unknown): Error | undefined {
    try {
        run();
    } catch (error) {
        return error as Error;
    }
    return undefined;
}
