/** Every construct of docs/language.md parses and means what the page says (the intent IR). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI } from 'langium';
import { describe, expect, it } from 'vitest';
import { isTwinSymbol } from '../../server/src/language/twin-symbols.js';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { formatRange, parsePrefix, prefixRange } from '../../server/src/net/ipv4.js';
import { PacketSet, ALL_PORTS, ALL_PROTOCOLS } from '../../server/src/net/packet-set.js';
import type { IntentProgram, Requirement } from '../../server/src/intent/model.js';
import { checkWorkspace, netintentServices, smallWorkspace, type Checked } from '../support/workspace.js';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'language');

function range(...prefixes: string[]): IntervalSet {
    return prefixes.map(p => prefixRange(parsePrefix(p)!.prefix)).reduce((a, b) => a.union(b), IntervalSet.EMPTY);
}

function programOf(checked: Checked, twin: string): IntentProgram {
    return netintentServices().intent.IntentPrograms.forTwin(path.join(checked.folder, twin)).program;
}

function requirement(program: IntentProgram, intent: string, index = 0): Requirement {
    const found = program.intents.find(i => i.name === intent);
    expect(found, `intent ${intent}`).toBeDefined();
    return found!.requirements[index];
}

const tcp = (from: number, to = from) => ({ protocol: IntervalSet.of(6, 6), dstPort: IntervalSet.of(from, to) });
const udp = (port: number) => ({ protocol: IntervalSet.of(17, 17), dstPort: IntervalSet.of(port, port) });

describe('the whole file of docs/language.md', async () => {
    const checked = await checkWorkspace({
        'campus.twin.yaml': fs.readFileSync(path.join(FIXTURES, 'campus.twin.yaml'), 'utf8'),
        'policy.intent': fs.readFileSync(path.join(FIXTURES, 'policy.intent'), 'utf8')
    });
    const program = programOf(checked, 'campus.twin.yaml');
    const twin = program.twin;
    const internet = twin.externals.get('internet')!.space;

    it('checks clean', () => {
        expect(checked.lines).toEqual([]);
        expect(program.intents.map(i => i.name)).toEqual([
            'web-to-db',
            'staff-web',
            'guest-isolation',
            'during-maintenance'
        ]);
    });

    it('default deny makes the implicit default requirement', () => {
        expect(program.defaultAction).toBe('deny');
        expect(program.defaultRequirement?.kind).toBe('default');
        expect(program.defaultRequirement?.location.range.start.line).toBe(4);
    });

    it('allow web -> db : postgres with every path constraint', () => {
        const r = requirement(program, 'web-to-db');
        expect(r.kind).toBe('allow');
        expect(r.stateful).toBe(true);
        expect(
            r.packets.equals(PacketSet.cube({ src: range('10.1.10.0/24'), dst: range('10.1.20.0/24'), ...tcp(5432) }))
        ).toBe(true);
        expect(r.constraints).toEqual({
            via: [['fw1']],
            avoidDevices: ['core2'],
            avoidLinks: [],
            survive: { count: 1, kind: 'link' },
            latencyUs: 4000,
            hops: 5
        });
        expect(r.location.range.start.line).toBe(20);
    });

    it('a group of two segments, a service of two ports', () => {
        const r = requirement(program, 'staff-web');
        const staff = range('10.2.0.0/22', '10.2.8.0/22');
        const expected = PacketSet.cube({ src: staff, dst: range('10.1.10.0/24'), ...tcp(80) }).union(
            PacketSet.cube({ src: staff, dst: range('10.1.10.0/24'), ...tcp(443) })
        );
        expect(r.packets.equals(expected)).toBe(true);
    });

    it('allow admin -> any: a host to every segment and external, all IP traffic', () => {
        const r = requirement(program, 'staff-web', 1);
        const everything = [...twin.segments.values()]
            .map(s => prefixRange(s.prefix!))
            .reduce((a, b) => a.union(b), internet);
        expect(
            r.packets.equals(
                PacketSet.cube({
                    src: range('10.1.10.5/32'),
                    dst: everything,
                    protocol: ALL_PROTOCOLS,
                    dstPort: ALL_PORTS
                })
            )
        ).toBe(true);
    });

    it("an external stands for its prefixes minus the twin's own address space", () => {
        expect(internet.has(parsePrefix('8.8.8.8')!.prefix.network)).toBe(true);
        for (const inside of ['10.1.10.5', '10.2.0.1', '10.255.0.1', '10.0.0.0', '203.0.113.2']) {
            expect(internet.has(parsePrefix(inside)!.prefix.network), inside).toBe(false);
        }
        const r = requirement(program, 'guest-isolation');
        const guest = range('10.3.0.0/22');
        expect(
            r.packets.equals(
                PacketSet.cube({ src: guest, dst: internet, ...tcp(80) }).union(
                    PacketSet.cube({ src: guest, dst: internet, ...tcp(443) })
                )
            )
        ).toBe(true);
    });

    it('a bare name that is no group is a host of the twin (dc-dns), with a udp+tcp service', () => {
        const r = requirement(program, 'guest-isolation', 1);
        const dns = range('10.1.20.53/32');
        const guest = range('10.3.0.0/22');
        expect(
            r.packets.equals(
                PacketSet.cube({ src: guest, dst: dns, ...udp(53) }).union(
                    PacketSet.cube({ src: guest, dst: dns, ...tcp(53) })
                )
            )
        ).toBe(true);
    });

    it('isolate is deny both ways', () => {
        const r = requirement(program, 'guest-isolation', 2);
        expect(r.kind).toBe('isolate');
        expect(r.flows.map(f => [f.source.label, f.destination.label])).toEqual([
            ['guest', 'staff'],
            ['staff', 'guest']
        ]);
        const guest = range('10.3.0.0/22');
        const staff = range('10.2.0.0/22', '10.2.8.0/22');
        const all = { protocol: ALL_PROTOCOLS, dstPort: ALL_PORTS };
        expect(
            r.packets.equals(
                PacketSet.cube({ src: guest, dst: staff, ...all }).union(
                    PacketSet.cube({ src: staff, dst: guest, ...all })
                )
            )
        ).toBe(true);
    });

    it('a scenario fails a device and a link; during names it', () => {
        const r = requirement(program, 'during-maintenance');
        expect(r.scenarios).toHaveLength(1);
        expect(r.scenarios[0].name).toBe('core1-maintenance');
        expect(r.scenarios[0].failures).toEqual([
            { kind: 'device', device: 'core1' },
            { kind: 'link', a: { device: 'core2', interface: 'eth1' }, b: { device: 'dist1', interface: 'eth2' } }
        ]);
    });
});

describe('constructs beyond the whole-file example', () => {
    it('inline endpoints, oneway, avoid link, node failures, units, quoted interfaces, comments', async () => {
        const twin = `network: q
pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }
devices:
  leaf-01: { role: access, loopback: 10.255.0.11 }
  web_tier: { role: core }
links:
  - endpoints: ["leaf-01:eth1.100", web_tier:eth1]
segments:
  web: { prefix: 10.1.1.0/24, attach: leaf-01:eth10 }
hosts:
  h1: { segment: web, address: 10.1.1.10 }
externals:
  internet: { prefixes: [0.0.0.0/0], attach: web_tier:eth9, address: 203.0.113.2/30, peer: 203.0.113.1 }
`;
        const checked = await checkWorkspace({
            'q.twin.yaml': twin,
            'q.intent': `twin "q.twin.yaml"
/* block
   comment */
intent inline {
  allow segment web -> external internet : tcp 8000-8080 oneway  // a range, one way
    avoid link "leaf-01":"eth1.100" -- web_tier:eth1
    survive 2 node failures
    latency <= 1500us
  allow host h1 -> prefix 192.0.2.0/24 : udp 53
    latency <= 2s
  deny device leaf-01 -> any : icmp
}
`.replace('"leaf-01":"eth1.100"', 'leaf-01:"eth1.100"')
        });
        expect(checked.lines).toEqual([]);
        const program = programOf(checked, 'q.twin.yaml');
        const [first, second, third] = program.intents[0].requirements;
        expect(first.stateful).toBe(false);
        expect(
            first.packets.equals(
                PacketSet.cube({
                    src: range('10.1.1.0/24'),
                    dst: program.twin.externals.get('internet')!.space,
                    ...tcp(8000, 8080)
                })
            )
        ).toBe(true);
        expect(first.constraints.avoidLinks).toEqual([
            { a: { device: 'leaf-01', interface: 'eth1.100' }, b: { device: 'web_tier', interface: 'eth1' } }
        ]);
        expect(first.constraints.survive).toEqual({ count: 2, kind: 'node' });
        expect(first.constraints.latencyUs).toBe(1500);
        expect(second.constraints.latencyUs).toBe(2_000_000);
        expect(
            second.packets.equals(
                PacketSet.cube({ src: range('10.1.1.10/32'), dst: range('192.0.2.0/24'), ...udp(53) })
            )
        ).toBe(true);
        expect(third.kind).toBe('deny');
        // A device stands for every address it has: its link end, its gateway on web, its loopback.
        expect(third.flows[0].source.addresses.intervals.map(([lo, hi]) => formatRange(lo, hi))).toEqual([
            '10.0.0.0',
            '10.1.1.1',
            '10.255.0.11'
        ]);
        expect(third.packets.cubes.every(c => c.protocol.equals(IntervalSet.of(1, 1)))).toBe(true);
    });

    it('a bare name is a group when one has that name, even if a segment has it too', async () => {
        const checked = await checkWorkspace(
            smallWorkspace(`group web = host h1
intent i { allow web -> db }
`)
        );
        expect(checked.lines).toEqual([]);
        const r = requirement(programOf(checked, 'small.twin.yaml'), 'i');
        expect(r.flows[0].source.addresses.equals(range('10.1.1.10/32'))).toBe(true);
    });

    it('groups, services and scenarios resolve across the files bound to the same twin', async () => {
        const checked = await checkWorkspace(
            smallWorkspace(
                `intent uses-shared { allow shared-web -> db : shared-svc during shared-scenario }
`,
                {
                    'shared.intent': `twin "small.twin.yaml"
group shared-web = segment web
service shared-svc = tcp 443
scenario shared-scenario { fail device r2 }
`
                }
            )
        );
        expect(checked.lines).toEqual([]);
        const r = requirement(programOf(checked, 'small.twin.yaml'), 'uses-shared');
        expect(r.scenarios[0].failures).toEqual([{ kind: 'device', device: 'r2' }]);
        expect(r.packets.cubes.every(c => c.dstPort.equals(IntervalSet.of(443, 443)))).toBe(true);
    });

    it('a group of a file bound to another twin is not visible', async () => {
        const checked = await checkWorkspace(
            smallWorkspace(
                `intent i { allow other-group -> db }
`,
                {
                    'other/other.twin.yaml': `network: other
pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }
devices: { x1: {} }
segments: { web: { prefix: 10.1.1.0/24, attach: x1:eth1 } }
`,
                    'other/other.intent': `twin "other.twin.yaml"
group other-group = segment web
`
                }
            )
        );
        expect(checked.lines).toEqual([
            "main.intent:2:18 error unknown-name: Unknown group, segment, host or external 'other-group'."
        ]);
    });

    it('a .clab.yml is accepted as the twin', async () => {
        const checked = await checkWorkspace({
            'lab.clab.yml': `name: lab
topology:
  nodes:
    r1: { kind: linux, image: frrouting/frr }
    r2: { kind: linux, image: frrouting/frr }
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
`,
            'lab.intent': `twin "lab.clab.yml"
scenario cut { fail link r1:eth1 -- r2:eth1 }
`
        });
        expect(checked.lines).toEqual([]);
        const twin = programOf(checked, 'lab.clab.yml').twin;
        expect([...twin.devices.keys()]).toEqual(['r1', 'r2']);
        expect(twin.links[0].subnet).toEqual({ network: 0x0afe0000, length: 31 });
    });
});

describe('twin names link to where the twin declares them', () => {
    it('a segment, a device and an interface resolve to their YAML file and line', async () => {
        const checked = await checkWorkspace(
            smallWorkspace('scenario s { fail link r1:eth1 -- r2:eth1 }\nintent i { allow segment web -> db via r2 }\n')
        );
        expect(checked.lines).toEqual([]);
        const document = netintentServices().shared.workspace.LangiumDocuments.getDocument(
            URI.file(path.join(checked.folder, 'main.intent'))
        )!;
        const targets = document.references
            .map(r => ('ref' in r ? r.ref : undefined))
            .filter(isTwinSymbol)
            .map(
                t =>
                    `${t.$type} ${t.name} ${path.basename(t.location.file)}:${t.location.range.start.line}:${t.location.range.start.column}`
            );
        expect(targets).toEqual([
            'TwinDevice r1 small.twin.yaml:4:3',
            'TwinInterface eth1 small.twin.yaml:8:17',
            'TwinDevice r2 small.twin.yaml:5:3',
            'TwinInterface eth1 small.twin.yaml:8:26',
            'TwinSegment web small.twin.yaml:11:3',
            'TwinSegment db small.twin.yaml:12:3',
            'TwinDevice r2 small.twin.yaml:5:3'
        ]);
    });
});
