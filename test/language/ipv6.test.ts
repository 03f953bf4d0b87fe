/**
 * IPv6 in the intent language (docs/language.md, "Address families"): literals, what a requirement
 * covers in each family, ICMPv6, overlaps per family, and the verdicts in both families (the
 * routers' IPv6 link addresses included: one end announces each link subnet).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ICMPV6, PROTOCOL_NUMBERS } from '../../server/src/net/packet-set.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';

const TWIN = fs.readFileSync(path.join(__dirname, '..', '..', 'samples', 'dual-stack', 'dual-stack.twin.yaml'), 'utf8');

async function check(body: string, verify = false) {
    return checkWorkspace({ 'ds.twin.yaml': TWIN, 'main.intent': `twin "ds.twin.yaml"\n${body}` }, verify);
}

/** Each requirement of the report: "line verdict (reason)". */
function verdicts(report: Awaited<ReturnType<typeof check>>): string[] {
    return report.intents.flatMap(i =>
        i.requirements.map(r => `${r.line} ${r.verdict}${r.reason ? ` (${r.reason})` : ''}`)
    );
}

describe('IPv6 literals', () => {
    it('reads IPv6 prefixes and bare addresses where IPv4 ones are read, and device:interface still', async () => {
        const report = await check(
            [
                'group six = prefix 2001:db8:6::/64, prefix 2001:db8:3::80, prefix ::ffff:10.6.1.5',
                'scenario cut { fail link r1:eth1 -- r2:eth1 }',
                'intent a { allow six -> prefix 2001:db8:3::/64 : tcp 22 during cut }'
            ].join('\n')
        );
        expect(report.lines).toEqual([]);
    });

    it('says what is wrong with an IPv6 prefix, and warns of host bits naming the prefix meant', async () => {
        const report = await check(
            [
                'intent a { allow prefix 2001:db8:::1/64 -> prefix 2001:db8:3::/64 }',
                'intent b {',
                '  allow prefix 2001:db8:6::1/48 -> prefix 2001:db8:3::/64',
                '}'
            ].join('\n')
        );
        expect(report.lines).toEqual([
            "main.intent:2:25 error bad-prefix: '2001:db8:::1/64' is not an IPv6 prefix; write up to eight groups of 1-4 hex digits, :: once for a run of zeros, and a length 0-128, e.g. 2001:db8::/32.",
            'main.intent:4:16 warning host-bits: 2001:db8:6::1/48 has host bits set; it means 2001:db8:6::/48.'
        ]);
    });

    it('is an error at a requirement whose ends have addresses in no family in common', async () => {
        const report = await check('intent a {\n  allow segment lab6 -> segment guest\n}');
        expect(report.lines).toEqual([
            'main.intent:3:3 error no-packet: This allow covers no packet: segment lab6 has IPv6 addresses only, segment guest IPv4 only. A requirement covers each family in which both of its ends have addresses.'
        ]);
    });
});

describe('what a requirement covers in each family', () => {
    it('builds packets in each family where both ends have addresses; icmp is ICMPv6 in IPv6', async () => {
        const report = await check(
            [
                'intent both { allow segment staff -> segment servers : icmp }',
                'intent six { allow segment lab6 -> segment servers : tcp 22 }',
                'intent four { allow segment guest -> segment servers : tcp 22 }'
            ].join('\n')
        );
        expect(report.lines).toEqual([]);
        const twin = path.join(report.folder, 'ds.twin.yaml');
        const { program } = netintentServices().intent.IntentPrograms.forTwin(twin);
        const [both, six, four] = program.intents.map(i => i.requirements[0].packets);
        expect(both.cubes.map(c => c.protocol.intervals)).toEqual([[[PROTOCOL_NUMBERS.icmp, PROTOCOL_NUMBERS.icmp]]]);
        expect(both.cubes6.map(c => c.protocol.intervals)).toEqual([[[ICMPV6, ICMPV6]]]);
        expect([six.cubes.length, six.cubes6.length]).toEqual([0, 1]);
        expect([four.cubes.length, four.cubes6.length]).toEqual([1, 0]);
    });

    it('finds overlaps in IPv6 and names the packet in RFC 5952 form', async () => {
        const report = await check(
            [
                'intent a { allow segment lab6 -> segment servers : tcp 22 }',
                'intent d { deny segment lab6 -> host web }'
            ].join('\n')
        );
        expect(report.lines).toContain(
            "main.intent:2:12 error overlap: This allow overlaps the deny of intent 'd' (line 3) and neither contains the other; both match tcp 2001:db8:6::1 -> [2001:db8:3::80]:22. Make one of them more specific."
        );
    });
});

describe('verdicts in both families', () => {
    it('holds in IPv4 only, IPv6 only and both; violated in either; packets to the routers proved', async () => {
        const report = await check(
            [
                'default deny',
                'intent four { allow segment guest -> external internet : tcp 443 }',
                'intent both { allow segment staff -> host web : tcp 443 }',
                'intent six { allow segment lab6 -> host web : tcp 22 }',
                'intent far { allow segment staff -> host web : tcp 80 hops <= 1 }',
                'intent far6 { allow segment lab6 -> host web : tcp 80 hops <= 1 }',
                'intent routers { allow segment lab6 -> device r3 : tcp 179 oneway }'
            ].join('\n'),
            true
        );
        // default deny speaks of both families, routers' link addresses too.
        expect(verdicts(report)).toEqual([
            '2 holds',
            '3 holds',
            '4 holds',
            '5 holds',
            '6 violated',
            '7 violated',
            // r3's loopback and its link addresses (those r3 does not announce through the far ends).
            '8 holds'
        ]);
    });
});
