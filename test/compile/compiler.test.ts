/** The compiler's decisions on small hand-checked networks. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import type { DeviceConfig, FilterRule } from '../../server/src/config/model.js';
import { chainName, renderNftables } from '../../server/src/config/nftables/render.js';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { formatAddress, formatPrefix, formatRange, parseAddress } from '../../server/src/net/ipv4.js';
import { SQUARE } from '../support/networks.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';

async function compile(routing: string, intents: string) {
    const checked = await checkWorkspace({
        'square.twin.yaml': SQUARE(routing),
        'main.intent': `twin "square.twin.yaml"\n${intents}`
    });
    expect(checked.lines.filter(l => l.includes(' error '))).toEqual([]);
    const program = netintentServices().intent.IntentPrograms.forTwin(
        path.join(checked.folder, 'square.twin.yaml')
    ).program;
    return compileNetwork(program);
}

describe('underlays', () => {
    it("ospf: point-to-point links with the twin's costs, passive edges, the default route originated", async () => {
        const { devices } = await compile('ospf', '');
        const r1 = devices.get('r1')!;
        expect(r1.interfaces.map(i => [i.name, i.ospf])).toEqual([
            ['eth1', { cost: 10, passive: false, pointToPoint: true }],
            ['eth2', { cost: 20, passive: false, pointToPoint: true }],
            ['eth10', { cost: 10, passive: true, pointToPoint: false }],
            ['lo', { cost: 10, passive: true, pointToPoint: false }]
        ]);
        const r2 = devices.get('r2')!;
        expect(r2.staticRoutes.map(r => `${formatPrefix(r.prefix)} via ${formatAddress(r.nextHop as number)}`)).toEqual(
            ['0.0.0.0/0 via 203.0.113.1']
        );
        expect(r2.ospf?.defaultOriginate).toBe(true);
    });

    it('bgp: eBGP on every link, one private ASN per device, the policies FRR requires', async () => {
        const { devices } = await compile('bgp', '');
        const r1 = devices.get('r1')!.bgp!;
        expect(r1.asn).toBe(64512);
        expect(r1.neighbors.map(n => [formatAddress(n.address), n.remoteAs, n.routeMapIn, n.routeMapOut])).toEqual([
            ['10.0.0.1', 64513, 'NETINTENT-ANY', 'NETINTENT-ANY'],
            ['10.0.0.5', 64514, 'NETINTENT-ANY', 'NETINTENT-ANY']
        ]);
        expect(r1.networks.map(formatPrefix)).toEqual(['10.255.0.1/32', '10.1.1.0/24']);
        expect(devices.get('r2')!.bgp!.redistribute).toEqual([{ source: 'static' }]);
    });

    it('static: routes on every shortest path, ECMP kept', async () => {
        const { devices } = await compile('static', '');
        const toDb = devices
            .get('r1')!
            .staticRoutes.filter(r => formatPrefix(r.prefix) === '10.1.2.0/24')
            .map(r => formatAddress(r.nextHop as number));
        // r1-r2-r4 costs 20, r1-r3-r4 costs 40.
        expect(toDb).toEqual(['10.0.0.1']);
        const fromR2 = devices
            .get('r2')!
            .staticRoutes.filter(r => formatPrefix(r.prefix) === '10.255.0.3/32')
            .map(r => formatAddress(r.nextHop as number));
        expect(fromR2.sort()).toEqual(['10.0.0.0', '10.0.0.3']);
    });
});

describe('packet filters', () => {
    const chain = (config: DeviceConfig, name: string) => config.filter.chains.find(c => c.name === name);
    const verdictOf = (r: FilterRule) => (r.verdict.kind === 'jump' ? `jump ${r.verdict.chain}` : r.verdict.kind);

    it('a deny at the ingress of the source, nothing elsewhere', async () => {
        const { devices } = await compile('ospf', 'intent i { deny web -> db : tcp 22 }\n');
        const r1 = devices.get('r1')!;
        expect(chain(r1, 'from_eth10')!.rules.map(r => [r.match, verdictOf(r), r.comment])).toEqual([
            [
                {
                    family: 4,
                    src: [[0x0a010102, 0x0a0101fe]],
                    dst: [[0x0a010200, 0x0a0102ff]],
                    protocols: [[6, 6]],
                    dstPorts: [[22, 22]]
                },
                'drop',
                'i: deny (main.intent:2)'
            ],
            [{}, 'accept', '']
        ]);
        // r4 has an edge too (db): anti-spoofing, and nothing else to filter.
        expect(devices.get('r4')!.filter.chains.map(c => c.name)).toEqual(['guard']);
    });

    it('anti-spoofing at every edge, before connection tracking: a segment sends from its hosts only, an external from its space', async () => {
        const { devices } = await compile('ospf', '');
        const guard = chain(devices.get('r1')!, 'guard')!;
        expect(guard.base).toEqual({ hook: 'prerouting', priority: -300, policy: 'accept' });
        expect(renderNftables(devices.get('r1')!)).toContain(
            'iifname "eth10" ip saddr != 10.1.1.2-10.1.1.254 drop comment "anti-spoofing: segment web sends only from its own addresses"'
        );
        // The internet (0.0.0.0/0) may send from anything but the twin's own space; its peer too.
        const internet = chain(devices.get('r2')!, 'guard')!.rules[0];
        const admitted = IntervalSet.of(0, 0xffffffff).subtract(IntervalSet.fromIntervals(internet.match.src!));
        expect(admitted.has(parseAddress('8.8.8.8')!)).toBe(true);
        expect(admitted.has(parseAddress('203.0.113.1')!)).toBe(true);
        for (const internal of ['10.1.1.5', '10.1.2.5', '10.0.0.1', '10.255.0.1', '203.0.113.2'])
            expect(admitted.has(parseAddress(internal)!), internal).toBe(false);
    });

    it('traffic to the device itself meets the same rules: the edge chain is jumped to from the input hook too', async () => {
        const { devices } = await compile('ospf', 'intent i { deny web -> device r1 : tcp 22 }\n');
        const r1 = devices.get('r1')!;
        for (const hook of ['input', 'forward']) {
            expect(chain(r1, hook)!.rules.map(verdictOf), hook).toEqual(['accept', 'accept', 'jump from_eth10']);
        }
        // `device r1` is every address of r1: its loopback, its link ends and its gateway on web.
        const drop = chain(r1, 'from_eth10')!.rules[0];
        expect(IntervalSet.fromIntervals(drop.match.dst!).intervals.map(([lo, hi]) => formatRange(lo, hi))).toEqual([
            '10.0.0.0',
            '10.0.0.4',
            '10.1.1.1',
            '10.255.0.1'
        ]);
    });

    it('default deny: allows first, then every edge chain ends in a drop; replies pass by state', async () => {
        const { devices } = await compile('ospf', 'default deny\nintent i { allow web -> db : tcp 443 }\n');
        const r1 = devices.get('r1')!;
        expect(chain(r1, 'from_eth10')!.rules.map(r => [verdictOf(r), r.comment])).toEqual([
            ['accept', 'i: allow (main.intent:3)'],
            ['drop', 'default deny (main.intent:2)']
        ]);
        // An edge no statement speaks of drops everything under default deny.
        expect(chain(devices.get('r4')!, 'from_eth10')!.rules.map(r => [verdictOf(r), r.comment])).toEqual([
            ['drop', 'default deny (main.intent:2)']
        ]);
        const text = renderNftables(r1);
        expect(text).toContain('ct state established,related ct mark != 0x1 accept');
        expect(text).toContain(
            'ip saddr 10.1.1.2-10.1.1.254 ip daddr 10.1.2.0/24 meta l4proto tcp th dport 443 accept comment "i: allow (main.intent:3)"'
        );
    });

    it('oneway: the accepted connection is marked so that its replies are not let back by state', async () => {
        const { devices } = await compile('ospf', 'default deny\nintent i { allow web -> db : udp 514 oneway }\n');
        expect(renderNftables(devices.get('r1')!)).toContain('meta l4proto udp th dport 514 ct mark set 0x1 accept');
    });

    it('a firewall holds everything it forwards to the whole policy, statefully; other devices do not', async () => {
        const twin = SQUARE('ospf').replace('r3: { role: core }', 'r3: { role: firewall }');
        const checked = await checkWorkspace({
            'square.twin.yaml': twin,
            'main.intent': 'twin "square.twin.yaml"\ndefault deny\nintent i { allow web -> db : tcp 443 via r3 }\n'
        });
        const program = netintentServices().intent.IntentPrograms.forTwin(
            path.join(checked.folder, 'square.twin.yaml')
        ).program;
        const { devices } = compileNetwork(program);
        const r3 = devices.get('r3')!;
        expect(chain(r3, 'forward')!.rules.map(verdictOf)).toEqual(['accept', 'accept', 'jump firewall']);
        expect(chain(r3, 'firewall')!.rules.map(r => [verdictOf(r), r.comment])).toEqual([
            ['accept', 'i: allow (main.intent:3)'],
            ['drop', 'default deny (main.intent:2)']
        ]);
        // Not source-restricted: whatever reaches the firewall meets the policy.
        expect(chain(r3, 'firewall')!.rules[0].match.src).toEqual([[0x0a010100, 0x0a0101ff]]);
        expect(chain(devices.get('r2')!, 'firewall')).toBeUndefined();
    });

    it('chain names are injective: no two interfaces share a chain', () => {
        // Also where an escape's hex digits could run into the letters after it: '-a' and U+02DA '˚'.
        const names = [
            'eth-10',
            'eth_10',
            'eth_2d10',
            'eth.10',
            'eth10',
            'eth-a',
            'eth˚',
            'eth_2da',
            'eth\u{1F600}',
            'eth_u01f600',
            'ethé1',
            'eth\u00e91'.normalize('NFD')
        ].map(chainName);
        expect(new Set(names).size).toBe(names.length);
        for (const name of names) expect(name).toMatch(/^from_[A-Za-z0-9_]+$/);
    });
});

describe('steering', () => {
    /** A device's steer chain as "match → what", its policy rules and the routes of its tables. */
    function steering(config: DeviceConfig) {
        const chain = config.filter.chains.find(c => c.name === 'steer');
        const rules = (chain?.rules ?? []).map(r =>
            [
                r.iif ? `from ${r.iif.names[0]}` : '',
                r.ctDirection ?? '',
                r.match.dscp ? `dscp ${r.match.dscp[0][0]}` : '',
                r.setDscp !== undefined ? `set dscp ${r.setDscp}` : '',
                r.setMark !== undefined ? `mark ${r.setMark.toString(16)}` : ''
            ]
                .filter(Boolean)
                .join(' ')
        );
        const tables = config.staticRoutes
            .filter(r => r.table !== undefined)
            .map(
                r =>
                    `table ${r.table}: ${r.nextHop === 'blackhole' ? `blackhole ${r.distance}` : formatAddress(r.nextHop)}`
            );
        return {
            rules,
            ipRules: config.ipRules.map(
                r => `fwmark ${r.fwmark.toString(16)} → table ${r.table} (priority ${r.priority})`
            ),
            tables
        };
    }

    it('via a device off the shortest path: toward its loopback by the IGP on every device, failing closed; the DSCP says what passed it', async () => {
        const { devices, warnings } = await compile('ospf', 'intent i { allow web -> db : tcp 443 via r3 }\n');
        expect(warnings).toEqual([]);
        // r1: the edge of web and of nothing else steered: resets the DSCP of the requests that enter
        // (a reply of a connection opened from db's side that uses port 443 as its client port only
        // looks like one: it gets a DSCP no rule steers), then toward r3.
        expect(steering(devices.get('r1')!)).toEqual({
            rules: ['from eth10 set dscp 63', 'from eth10 original set dscp 0', 'dscp 0 mark 100', 'dscp 0 mark 100'],
            ipRules: ['fwmark 100 → table 1000 (priority 1000)'],
            tables: ['table 1000: 10.255.0.3', 'table 1000: blackhole 254']
        });
        // r3 is the waypoint: packets of the flow (and of its replies) that reach it have passed it.
        expect(steering(devices.get('r3')!).rules).toEqual(['dscp 0 set dscp 1', 'dscp 0 set dscp 1']);
        expect(steering(devices.get('r3')!).tables).toEqual([]);
        // r4 (db's edge) resets the DSCP of the replies, only of connections it saw leave (a packet that
        // only looks like one gets a DSCP no rule steers), and sends them back toward r3 too.
        expect(steering(devices.get('r4')!).rules).toEqual([
            'from eth10 set dscp 63',
            'from eth10 reply set dscp 0',
            'dscp 0 mark 100',
            'dscp 0 mark 100'
        ]);
        const replies = devices.get('r4')!.filter.chains.find(c => c.name === 'steer')!.rules[0].match;
        // The hosts of db answer the hosts of web (not the routers' own addresses on those segments).
        expect(replies).toEqual({
            family: 4,
            src: [[0x0a010202, 0x0a0102fe]],
            dst: [[0x0a010102, 0x0a0101fe]],
            protocols: [[6, 6]],
            srcPorts: [[443, 443]]
        });
        const text = renderNftables(devices.get('r1')!);
        expect(text).toContain(
            'ip saddr 10.1.1.2-10.1.1.254 ip daddr 10.1.2.2-10.1.2.254 ip dscp 0 meta l4proto tcp th dport 443 meta mark set 0x100 comment "i: steer through r3: toward r3"'
        );
    });

    it('via any of two devices: both carry an anycast address from the top of the loopback pool, announced by OSPF', async () => {
        const { devices } = await compile(
            'ospf',
            'intent i { allow web -> db : tcp 443 via any of r2, r3 survive 1 link failure }\n'
        );
        const anycast = (device: string) =>
            (devices.get(device)!.interfaces.find(i => i.name === 'lo')!.secondary ?? []).map(a =>
                formatAddress(a.address)
            );
        expect(anycast('r2')).toEqual(['10.255.0.254']);
        expect(anycast('r3')).toEqual(['10.255.0.254']);
        expect(anycast('r1')).toEqual([]);
        expect(steering(devices.get('r1')!).tables).toEqual(['table 1000: 10.255.0.254', 'table 1000: blackhole 254']);
        expect(steering(devices.get('r2')!).rules).toEqual(['dscp 0 set dscp 1', 'dscp 0 set dscp 1']);
    });

    it('no steering where the shortest path already meets the constraints', async () => {
        const { devices, warnings } = await compile('ospf', 'intent i { allow web -> db via r2 avoid r3 hops <= 3 }\n');
        expect(warnings).toEqual([]);
        expect([...devices.values()].flatMap(d => d.ipRules)).toEqual([]);
    });

    it('a latency bound the shortest path breaks: a pinned path onto the faster one, each hop to its next, failing closed', async () => {
        const { devices, warnings } = await compile('ospf', 'intent i { allow web -> db latency <= 3ms }\n');
        expect(warnings).toEqual([]);
        expect(steering(devices.get('r1')!)).toEqual({
            rules: ['from eth10 set dscp 63', 'from eth10 original set dscp 0', 'from eth10 dscp 0 mark 100'],
            ipRules: ['fwmark 100 → table 1000 (priority 1000)'],
            tables: ['table 1000: 10.0.0.5', 'table 1000: blackhole 254']
        });
        // The replies, pinned back: told from look-alikes at r4 (by DSCP from there on).
        expect(steering(devices.get('r3')!).rules).toEqual(['from eth1 dscp 0 mark 101', 'from eth2 dscp 0 mark 100']);
        expect(steering(devices.get('r4')!).rules).toEqual([
            'from eth10 set dscp 63',
            'from eth10 reply set dscp 0',
            'from eth10 dscp 0 mark 100'
        ]);
    });

    it('the equal-cost paths are judged all at once, however many: one slow branch among 512 is found', async () => {
        // A ladder of nine diamonds: 512 equal-cost paths from d0 to d9; one link of the last
        // diamond is slow, so the paths through it break the bound and the flow must be pinned.
        const diamonds = Array.from({ length: 9 }, (_, i) => i);
        const twin = [
            'network: ladder',
            'routing: ospf',
            'pools: { links: 10.0.0.0/22, loopbacks: 10.255.0.0/24 }',
            'devices:',
            ...[...diamonds, 9].map(i => `  d${i}: { role: core }`),
            ...diamonds.flatMap(i => [`  a${i}: { role: core }`, `  b${i}: { role: core }`]),
            'links:',
            ...diamonds.flatMap(i => [
                `  - { endpoints: [d${i}:eth1, a${i}:eth1], latency: 100us }`,
                `  - { endpoints: [a${i}:eth2, d${i + 1}:eth2], latency: 100us }`,
                `  - { endpoints: [d${i}:eth3, b${i}:eth1], latency: 100us }`,
                `  - { endpoints: [b${i}:eth2, d${i + 1}:eth4], latency: ${i === 8 ? '5ms' : '100us'} }`
            ]),
            'segments:',
            '  src: { prefix: 10.1.1.0/24, attach: d0:eth10 }',
            '  dst: { prefix: 10.1.2.0/24, attach: d9:eth10 }',
            ''
        ].join('\n');
        const checked = await checkWorkspace({
            'ladder.twin.yaml': twin,
            'main.intent': 'twin "ladder.twin.yaml"\nintent fast { allow src -> dst : tcp 80 latency <= 3ms }\n'
        });
        expect(checked.lines.filter(l => l.includes(' error '))).toEqual([]);
        const program = netintentServices().intent.IntentPrograms.forTwin(
            path.join(checked.folder, 'ladder.twin.yaml')
        ).program;
        const { devices, warnings } = compileNetwork(program);
        expect(warnings).toEqual([]);
        expect(steering(devices.get('d0')!).ipRules).toHaveLength(1);
        const [verdict] = verifyProgram(program, devices).verdicts.values();
        expect(verdict.verdict).toBe('holds');
    });

    it('what no path can meet is a warning at the statement', async () => {
        const { warnings } = await compile(
            'ospf',
            'intent i {\n  allow web -> db hops <= 2\n  allow web -> db : tcp 1 latency <= 1ms\n}\n'
        );
        expect(warnings.map(w => `${w.range.start.line} ${w.code}: ${w.message}`)).toEqual([
            '3 not-realisable: The shortest path that meets its other constraints passes 3 devices (r1 → r2 → r4), more than hops <= 2; the verifier will report this requirement as violated.',
            '4 not-realisable: The lowest-latency path that meets its other constraints takes 2000us (r1 → r3 → r4), more than latency <= 1000us; the verifier will report this requirement as violated.'
        ]);
    });
});
