/** IPv6 in the twin (docs/twin.md, "IPv6 and dual stack"): lists per family, IPv6 pools, every rule at its YAML line. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkCostEdits } from '../../server/src/twin/diff.js';
import { loadTwin, type TwinLoadResult } from '../../server/src/twin/load.js';
import { formatAddress6, formatPrefix6, formatRange6, parseAddress6 } from '../../server/src/net/ipv6.js';
import { formatAddress, formatPrefix } from '../../server/src/net/ipv4.js';

const SAMPLE = path.join(__dirname, '..', '..', 'samples', 'dual-stack', 'dual-stack.twin.yaml');
const FILE = '/t/a.twin.yaml';

function load(...lines: string[]): TwinLoadResult {
    return loadTwin(FILE, f => (f === FILE ? lines.join('\n') + '\n' : undefined));
}

function show(result: TwinLoadResult): string {
    return result.diagnostics
        .map(d => `${d.range.start.line}:${d.range.start.column} ${d.code}: ${d.message}`)
        .join('\n');
}

/** The one error or warning with `code`, at `line`. */
function one(result: TwinLoadResult, code: string, line: number) {
    const found = result.diagnostics.filter(d => d.code === code);
    expect(found, show(result)).toHaveLength(1);
    expect(found[0].range.start.line, found[0].message).toBe(line);
    return found[0];
}

const errors = (result: TwinLoadResult) => result.diagnostics.filter(d => d.severity === 'error');

/** Lines 1-7: two devices, pools of both families. */
const HEAD = [
    'pools:',
    '  links: 10.0.0.0/24',
    '  loopbacks: 10.255.0.0/24',
    '  links6: 2001:db8:ff00::/48',
    '  loopbacks6: 2001:db8:fffe::/64',
    'devices:',
    '  r1: {}',
    '  r2: {}'
];

describe('the dual-stack sample', () => {
    const result = loadTwin(SAMPLE, f => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined));
    const { twin } = result;

    it('loads without a diagnostic', () => {
        expect(result.diagnostics, show(result)).toEqual([]);
    });

    it('gives each link a /127 of links6 (RFC 6164, lower end first) and each device a /128 of loopbacks6', () => {
        expect(twin.links.map(l => formatPrefix6(l.subnet6!))).toEqual([
            '2001:db8:ff00::/127',
            '2001:db8:ff00::2/127',
            '2001:db8:ff00::4/127',
            '2001:db8:ff00::6/127',
            '2001:db8:ff00::8/127'
        ]);
        const [r1, r2] = ['r1', 'r2'].map(d => twin.devices.get(d)!);
        expect(formatAddress6(r1.interfaces.get('eth1')!.address6!)).toBe('2001:db8:ff00::');
        expect(formatAddress6(r2.interfaces.get('eth1')!.address6!)).toBe('2001:db8:ff00::1');
        expect(r2.interfaces.get('eth1')!.prefixLength6).toBe(127);
        expect([...twin.devices.values()].map(d => formatAddress6(d.loopback6!))).toEqual([
            '2001:db8:fffe::1',
            '2001:db8:fffe::2',
            '2001:db8:fffe::3',
            '2001:db8:fffe::4'
        ]);
        // IPv4 is allocated as it always was.
        expect(formatPrefix(twin.links[0].subnet!)).toBe('10.0.0.0/31');
        expect(formatAddress(r1.loopback!)).toBe('10.255.0.1');
    });

    it('reads segments of one family or both, with a gateway in each', () => {
        const { staff, lab6, guest } = Object.fromEntries(twin.segments);
        expect([formatPrefix(staff.prefix!), formatPrefix6(staff.prefix6!)]).toEqual([
            '10.6.1.0/24',
            '2001:db8:1::/64'
        ]);
        expect([formatAddress(staff.gateway!), formatAddress6(staff.gateway6!)]).toEqual(['10.6.1.1', '2001:db8:1::1']);
        expect([lab6.prefix, formatPrefix6(lab6.prefix6!)]).toEqual([undefined, '2001:db8:6::/64']);
        expect([formatPrefix(guest.prefix!), guest.prefix6]).toEqual(['10.6.4.0/24', undefined]);
        // The attachment interface is the gateway in each family.
        const attachment = twin.devices.get('r1')!.interfaces.get('eth9')!;
        expect([attachment.address, attachment.prefixLength]).toEqual([staff.gateway, 24]);
        expect([attachment.address6, attachment.prefixLength6]).toEqual([staff.gateway6, 64]);
    });

    it('reads a host per family, and an external whose IPv6 space is ::/0 minus what the twin places and no router forwards', () => {
        const web = twin.hosts.get('web')!;
        expect([formatAddress(web.address!), formatAddress6(web.address6!)]).toEqual(['10.6.3.80', '2001:db8:3::80']);
        const internet = twin.externals.get('internet')!;
        expect(internet.prefixes6.map(formatPrefix6)).toEqual(['::/0']);
        expect(formatAddress6(internet.peer6!)).toBe('2001:db8:ee::1');
        expect(internet.address6 && formatAddress6(internet.address6.address)).toBe('2001:db8:ee::2');
        expect(internet.space6.has(0x20010db8000300000000000000000080n)).toBe(false);
        expect(internet.space6.has(0x20010db8fffe00000000000000000009n)).toBe(false); // the loopbacks6 pool
        expect(internet.space6.has(0x20010db8000900000000000000000001n)).toBe(true);
        expect(internet.space.has(0x0a060350)).toBe(false);
        // No router forwards to link-local, multicast, :: or ::1: an external holds none of them.
        for (const address of ['fe80::1', 'ff02::1', '::', '::1'])
            expect(internet.space6.has(parseAddress6(address)!), address).toBe(false);
        expect(internet.space6.intervals.map(([lo, hi]) => formatRange6(lo, hi)).slice(0, 2)).toEqual([
            '::2-2001:db8:0:ffff:ffff:ffff:ffff:ffff',
            '2001:db8:1:1::-2001:db8:2:ffff:ffff:ffff:ffff:ffff'
        ]);
    });
});

describe('IPv6 in a twin', () => {
    it('leaves an IPv4-only twin without IPv6 (no pools6: no IPv6 addresses)', () => {
        const result = load(
            'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }',
            'devices: { r1: {}, r2: {} }',
            'links: [{ endpoints: [r1:eth1, r2:eth1] }]'
        );
        expect(errors(result), show(result)).toEqual([]);
        expect(result.twin.links[0].subnet6).toBeUndefined();
        expect(result.twin.devices.get('r1')!.loopback6).toBeUndefined();
        expect(result.twin.ownSpace6.isEmpty()).toBe(true);
    });

    it('takes a subnet6 and loopbacks of both families as given', () => {
        const result = load(
            ...HEAD,
            '  r3: { loopback: [10.9.9.9, "2001:db8:9::9"] }',
            'links:',
            '  - { endpoints: [r1:eth1, r2:eth1], subnet6: "2001:db8:77::/64" }'
        );
        expect(errors(result), show(result)).toEqual([]);
        const iface = result.twin.devices.get('r2')!.interfaces.get('eth1')!;
        expect([formatAddress6(iface.address6!), iface.prefixLength6]).toEqual(['2001:db8:77::2', 64]);
        expect(formatAddress6(result.twin.devices.get('r3')!.loopback6!)).toBe('2001:db8:9::9');
        expect(formatAddress(result.twin.devices.get('r3')!.loopback!)).toBe('10.9.9.9');
    });

    it('reports a second value of one family in a list, at that value', () => {
        const result = load(...HEAD, 'segments:', '  a: { prefix: [10.1.0.0/24, 10.2.0.0/24], attach: r1:eth9 }');
        const d = one(result, 'twin', 10);
        expect(d.message).toContain('second IPv4 prefix');
        expect(d.message).toContain('at most one per family');
        expect(d.range.start.column).toBe(30);
    });

    it('reports an IPv6 segment prefix too small for a gateway and hosts', () => {
        const result = load(...HEAD, 'segments:', '  a: { prefix: "2001:db8::/127", attach: r1:eth9 }');
        expect(one(result, 'twin', 10).message).toContain('use a /126 or shorter prefix');
        expect(result.twin.segments.has('a')).toBe(false);
    });

    it('reports IPv6 segments that overlap, and not IPv4 and IPv6 ranges as overlapping', () => {
        const result = load(
            ...HEAD,
            'segments:',
            '  a: { prefix: [10.1.0.0/24, "2001:db8:1::/48"], attach: r1:eth9 }',
            '  b: { prefix: [10.2.0.0/24, "2001:db8:1:5::/64"], attach: r2:eth9 }'
        );
        const d = one(result, 'overlap', 11);
        expect(d.message).toBe(
            'The segment b overlaps the segment a (a.twin.yaml line 10); address ranges must not overlap.'
        );
    });

    it('reports a links6 pool too small for a /127 per link at the pool', () => {
        const result = load(
            ...HEAD.map(l => (l.startsWith('  links6') ? '  links6: "2001:db8:ff00::/127"' : l)),
            'links:',
            '  - { endpoints: [r1:eth1, r2:eth1] }',
            '  - { endpoints: [r1:eth2, r2:eth2] }'
        );
        expect(one(result, 'pool', 4).message).toBe(
            'pools.links6 2001:db8:ff00::/127 is too small: a /127 for each link without a subnet6 needs 2, only 1 are free. Use a larger prefix.'
        );
    });

    it('skips addresses in use when allocating from an IPv6 pool, range by range', () => {
        // A segment takes a /64 of the loopback pool's first /63: the loopbacks go past it.
        const result = load(
            ...HEAD.map(l => (l.startsWith('  loopbacks6') ? '  loopbacks6: "2001:db8:fffe::/48"' : l)),
            'segments:',
            '  a: { prefix: "2001:db8:fffe::/64", attach: r1:eth9 }'
        );
        expect(formatAddress6(result.twin.devices.get('r1')!.loopback6!)).toBe('2001:db8:fffe:1::');
    });

    it('reports a subnet6 with no room for two ends, and an IPv4 prefix where IPv6 is asked', () => {
        const result = load(
            ...HEAD,
            'links:',
            '  - { endpoints: [r1:eth1, r2:eth1], subnet6: "2001:db8::1/128" }',
            '  - { endpoints: [r1:eth2, r2:eth2], subnet6: 10.9.0.0/31 }'
        );
        expect(one(result, 'twin', 10).message).toContain('no room for two interfaces; use a /127 or shorter prefix');
        expect(one(result, 'bad-prefix', 11).message).toBe(
            "'10.9.0.0/31' is not an IPv6 prefix; write it like 2001:db8:1::/64."
        );
    });

    it('reports a gateway or host address of a family the segment has no prefix of', () => {
        const result = load(
            ...HEAD,
            'segments:',
            '  v4: { prefix: 10.1.0.0/24, attach: r1:eth9, gateway: "2001:db8::1" }',
            'hosts:',
            '  h1: { segment: v4, address: "2001:db8::5" }'
        );
        expect(
            result.diagnostics.map(d => [d.range.start.line, d.message]),
            show(result)
        ).toEqual([
            [
                10,
                'Gateway 2001:db8::1 is IPv6, but segment v4 has no IPv6 prefix; add one to its prefix list or remove this gateway.'
            ],
            [
                12,
                'Address 2001:db8::5 is IPv6, but segment v4 has no IPv6 prefix; add one to its prefix list or remove this address.'
            ]
        ]);
        expect(result.twin.hosts.has('h1')).toBe(false);
    });

    it('gives a host the first free address of each family it was not given, and reports one outside its segment', () => {
        const result = load(
            ...HEAD,
            'segments:',
            '  d: { prefix: [10.1.0.0/24, "2001:db8:1::/64"], attach: r1:eth9 }',
            'hosts:',
            '  h1: { segment: d, address: 10.1.0.9 }',
            '  h2: { segment: d }',
            '  h3: { segment: d, address: "2001:db8:2::5" }'
        );
        const { h1, h2 } = Object.fromEntries(result.twin.hosts);
        expect([formatAddress(h1.address!), formatAddress6(h1.address6!)]).toEqual(['10.1.0.9', '2001:db8:1::2']);
        expect([formatAddress(h2.address!), formatAddress6(h2.address6!)]).toEqual(['10.1.0.2', '2001:db8:1::3']);
        expect(one(result, 'twin', 14).message).toBe(
            'Address 2001:db8:2::5 is not inside segment d (2001:db8:1::/64); use an address of that segment.'
        );
    });

    it('reports an IPv6 peer off its attachment subnet, a bad IPv6 address, and IPv6 host bits', () => {
        const result = load(
            ...HEAD,
            'externals:',
            '  up: { prefixes: ["::/0"], attach: r1:eth8, address: "2001:db8:ee::2/64", peer: "2001:db8:ef::1" }',
            '  up2: { prefixes: ["2001:db8:aa::5/48"], attach: r2:eth8, peer: "2001:db8::g" }'
        );
        expect(one(result, 'twin', 10).message).toBe(
            'Peer 2001:db8:ef::1 is not on the attachment subnet of 2001:db8:ee::2/64.'
        );
        expect(one(result, 'bad-address', 11).message).toBe(
            "'2001:db8::g' is not an IPv4 or IPv6 address; write it like 10.1.0.1 or 2001:db8:1::1."
        );
        expect(one(result, 'host-bits', 11).message).toBe(
            '2001:db8:aa::5/48 has host bits set; it is read as 2001:db8:aa::/48.'
        );
    });
});

describe('a dual-stack twin edited', () => {
    it('is compared whole (its IPv6 addresses are bigints): a cost edit is taken as such, an address edit is not', () => {
        const text = fs.readFileSync(SAMPLE, 'utf8');
        const read = (yaml: string) => loadTwin(SAMPLE, f => (f === SAMPLE ? yaml : undefined)).twin!;
        const before = read(text);
        const costed = read(
            text.replace('{ endpoints: [r2:eth3, r4:eth3], cost: 15 }', '{ endpoints: [r2:eth3, r4:eth3], cost: 20 }')
        );
        expect(linkCostEdits(before, costed)).toEqual([4]);
        const moved = read(text.replace('"2001:db8:3::80"', '"2001:db8:3::81"'));
        expect(linkCostEdits(before, moved)).toBeUndefined();
    });
});
