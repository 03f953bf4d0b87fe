/**
 * nftables with both address families: what a rule tests of IPv4 and IPv6 (addresses, ICMP and
 * ICMPv6 types, `meta nfproto`, the table's family) written, read back as nft reads it, and the
 * packets it matches in each family.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyDevice, type DeviceConfig, type FilterRule } from '../../server/src/config/model.js';
import { parseNftables } from '../../server/src/config/nftables/parse.js';
import { renderNftables, TABLE_NAME } from '../../server/src/config/nftables/render.js';
import { parseAddress6 } from '../../server/src/net/ipv6.js';
import { PacketSet } from '../../server/src/net/packet-set.js';
import { matchSet, ruleSet } from '../../server/src/verify/filter.js';
import { requireTool, sbin } from '../support/system.js';
import { temporaryFolder } from '../support/temporary.js';

const v6 = (text: string) => parseAddress6(text)!;

/** Rules of every kind of family test, on the forward hook. */
function device(): DeviceConfig {
    const config = emptyDevice('r1');
    const rules: FilterRule[] = [
        {
            match: {
                family: 6,
                src6: [[v6('2001:db8:1::'), v6('2001:db8:1::ffff:ffff:ffff:ffff')]],
                protocols: [[6, 6]],
                dstPorts: [[22, 22]]
            },
            verdict: { kind: 'drop' },
            comment: 'v6 ssh'
        },
        {
            match: { family: 6, dst6: [[v6('2001:db8:3::80'), v6('2001:db8:3::82')]] },
            verdict: { kind: 'accept' },
            comment: 'v6 range'
        },
        {
            match: { family: 4, protocols: [[17, 17]], dstPorts: [[53, 53]] },
            verdict: { kind: 'accept' },
            comment: 'v4 only'
        },
        {
            match: { family: 6 },
            icmpTypes: ['nd-neighbor-solicit', 'nd-neighbor-advert'],
            verdict: { kind: 'accept' },
            comment: 'nd'
        },
        {
            match: { family: 4 },
            icmpTypes: ['destination-unreachable'],
            verdict: { kind: 'accept' },
            comment: 'errors'
        },
        { match: { protocols: [[6, 6]], dstPorts: [[80, 80]] }, verdict: { kind: 'accept' }, comment: 'both families' },
        { match: { src: [[0x0a000000, 0x0affffff]] }, verdict: { kind: 'drop' }, comment: 'v4 by its address' }
    ];
    config.filter.chains.push({
        table: TABLE_NAME,
        name: 'forward',
        base: { hook: 'forward', priority: 0, policy: 'accept' },
        rules
    });
    return config;
}

/** The rules as the model has them, without where they were read. */
const rulesOf = (config: DeviceConfig) =>
    config.filter.chains.flatMap(c => c.rules).map(({ location: _, ...rule }) => rule);

function readBack(text: string): { config: DeviceConfig; errors: string[] } {
    const config = emptyDevice('r1');
    const { diagnostics } = parseNftables(config, text, 'nftables.nft');
    return { config, errors: diagnostics.map(d => `${d.range.start.line}: ${d.message}`) };
}

describe('nftables in both families', () => {
    it('writes each family as nft tests it, and reads every rule back as written', () => {
        const text = renderNftables(device());
        expect(text).toContain('ip6 saddr 2001:db8:1::/64 meta l4proto tcp th dport 22 drop');
        expect(text).toContain('ip6 daddr 2001:db8:3::80-2001:db8:3::82 accept');
        expect(text).toContain('meta nfproto ipv4 meta l4proto udp th dport 53 accept');
        expect(text).toContain('icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept');
        expect(text).toContain('icmp type { destination-unreachable } accept');
        expect(text).toContain('\t\tmeta l4proto tcp th dport 80 accept');
        const { config, errors } = readBack(text);
        expect(errors).toEqual([]);
        const read = rulesOf(config).map(r => ({ ...r, match: { ...r.match } }));
        // Read back, a rule names the family its addresses imply.
        const written = rulesOf(device()).map(r => ({
            ...r,
            match: r.match.src ? { family: 4 as const, ...r.match } : r.match,
            icmpTypes: r.icmpTypes
        }));
        expect(read.map(r => r.match)).toEqual(
            written.map(r =>
                r.icmpTypes
                    ? { ...r.match, protocols: [[r.match.family === 6 ? 58 : 1, r.match.family === 6 ? 58 : 1]] }
                    : r.match
            )
        );
        expect(read.map(r => [r.icmpTypes, r.verdict.kind, r.comment])).toEqual(
            written.map(r => [r.icmpTypes, r.verdict.kind, r.comment])
        );
    });

    it('nft accepts what is written', () => {
        if (!requireTool('nft', 'nftables')) return;
        const file = path.join(temporaryFolder('netintent-nft6-'), 'nftables.nft');
        fs.writeFileSync(file, renderNftables(device()));
        const run = spawnSync(sbin('nft'), ['-c', '-f', file], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
    });

    it('a rule matches packets of its family only; one that tests neither, both', () => {
        const [ssh, range, v4only, nd, , both, byAddress] = rulesOf(device());
        const families = (rule: FilterRule) =>
            [4, 6].filter(
                f =>
                    !matchSet(rule.match)
                        .family(f as 4 | 6)
                        .isEmpty()
            );
        expect([ssh, range, v4only, both, byAddress].map(families)).toEqual([[6], [6], [4], [4, 6], [4]]);
        expect(matchSet(ssh.match).witness()).toMatchObject({ src: '2001:db8:1::1', protocol: 'tcp', dstPort: 22 });
        // ICMPv6 types: neighbour discovery is not an echo request; an echo request rule, in its family.
        expect(ruleSet(nd, { reply: false }).isEmpty()).toBe(true);
        const ping6 = ruleSet({ ...nd, icmpTypes: ['echo-request'] }, { reply: false });
        expect(ping6.equals(PacketSet.IPV6.intersect(PacketSet.cube6({ protocol: ping6.cubes6[0]?.protocol })))).toBe(
            true
        );
        expect(ping6.witness()).toMatchObject({ protocol: 'icmp' });
    });

    it('reads hand-written IPv6: an ip6 table, nfproto, and what it cannot model at its line', () => {
        const { config, errors } = readBack(
            [
                'table ip6 filter6 {',
                '\tchain input {',
                '\t\ttype filter hook input priority 0; policy accept;',
                '\t\ttcp dport 22 drop',
                '\t\tip6 nexthdr tcp drop',
                '\t}',
                '}',
                'table inet mixed {',
                '\tchain forward {',
                '\t\ttype filter hook forward priority 0; policy accept;',
                '\t\tip saddr 10.0.0.1 ip6 daddr ::1 drop',
                '\t\tmeta nfproto ipv6 udp dport 53 accept',
                '\t\ticmpv6 type nd-bogus accept',
                '\t}',
                '}'
            ].join('\n') + '\n'
        );
        // ip6 nexthdr is the first extension header, not the transport protocol; an unknown ICMPv6 type.
        expect(errors).toEqual([
            expect.stringMatching(/^5: netintent does not model 'ip6 nexthdr tcp drop'/),
            expect.stringMatching(/^13: netintent does not model 'icmpv6 type nd-bogus accept' \(ICMPv6 type names\)/)
        ]);
        const [input, forward] = config.filter.chains;
        // In an ip6 table a rule sees IPv6 packets only.
        expect(input.rules.map(r => r.match)).toEqual([{ family: 6, protocols: [[6, 6]], dstPorts: [[22, 22]] }]);
        // IPv4 and IPv6 addresses in one rule: no packet matches it, so it is not there.
        expect(forward.rules.map(r => r.match)).toEqual([{ family: 6, protocols: [[17, 17]], dstPorts: [[53, 53]] }]);
    });
});
