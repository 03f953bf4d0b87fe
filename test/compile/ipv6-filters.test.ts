/**
 * The filters compiled for a dual-stack twin (samples/dual-stack): each statement's IPv6 packets
 * get rules of their own, every edge drops forged sources in both families, IPv6's link traffic
 * passes; nft accepts the files, and what they do is read with the verifier's own evaluator.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { emptyDevice, type DeviceConfig } from '../../server/src/config/model.js';
import { parseNftables } from '../../server/src/config/nftables/parse.js';
import { renderNftables, TABLE_NAME } from '../../server/src/config/nftables/render.js';
import { rulesetChains } from '../../server/src/lab/state.js';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { parseAddress6, parsePrefix6 } from '../../server/src/net/ipv6.js';
import { PacketSet } from '../../server/src/net/packet-set.js';
import { FilterEvaluator, type HookContext } from '../../server/src/verify/filter.js';
import { sampleProgram } from '../support/samples.js';
import { needs, requireTool, sbin } from '../support/system.js';
import { temporaryFolder } from '../support/temporary.js';

const NEW: HookContext = { state: 'new', ctMark: 0, mark: 0, reply: false };
const v6 = (text: string) => parseAddress6(text)!;
const net6 = (text: string) => {
    const { prefix } = parsePrefix6(text)!;
    return IntervalSet.of(prefix.network, prefix.network | ((1n << BigInt(128 - prefix.length)) - 1n));
};

/** What the written file does: the configuration read back from its text, as `verify --configs` reads it. */
function readBack(config: DeviceConfig): FilterEvaluator {
    const read = emptyDevice(config.hostname);
    const { diagnostics } = parseNftables(read, renderNftables(config), 'nftables.nft');
    expect(diagnostics).toEqual([]);
    return new FilterEvaluator(read.filter);
}

const accepted = (
    evaluator: FilterEvaluator,
    hook: 'prerouting' | 'input' | 'forward',
    packets: PacketSet,
    iif: string
) =>
    evaluator
        .run(hook, packets, { ...NEW, iif })
        .accepted.reduce((all, part) => all.union(part.packets), PacketSet.EMPTY);

describe('the filters of a dual-stack twin', async () => {
    const program = await sampleProgram('dual-stack');
    const { devices } = compileNetwork(program);

    it('nft accepts every file', () => {
        if (!requireTool('nft', 'nftables')) return;
        const folder = temporaryFolder('netintent-nft-dual-');
        for (const [name, config] of devices) {
            const file = path.join(folder, `${name}.nft`);
            fs.writeFileSync(file, renderNftables(config));
            const run = spawnSync(sbin('nft'), ['-c', '-f', file], { encoding: 'utf8' });
            expect(run.status, `${name}: ${run.stderr}`).toBe(0);
        }
    });

    it('nft lists what it loaded as compiled (ICMPv6 type sets in its own order and names), as the lab compares them', () => {
        if (
            !requireTool('unshare', 'util-linux') ||
            !needs('loading a ruleset', process.getuid?.() === 0 ? [] : ['root'])
        )
            return;
        const folder = temporaryFolder('netintent-nft-list-');
        for (const [name, config] of devices) {
            const file = path.join(folder, `${name}.nft`);
            fs.writeFileSync(file, renderNftables(config));
            // A network namespace of its own, gone with the command: the machine's ruleset is untouched.
            const run = spawnSync(
                sbin('unshare'),
                ['-n', 'sh', '-c', `${sbin('nft')} -f "$1" && ${sbin('nft')} list table ${TABLE_NAME}`, 'nft', file],
                { encoding: 'utf8' }
            );
            expect(run.status, `${name}: ${run.stderr}`).toBe(0);
            expect(rulesetChains(config, run.stdout), name).toEqual(rulesetChains(config, renderNftables(config)));
        }
    });

    it('anti-spoofing in both families: an edge lets in its own sources and link-local ones on the link, nothing else', () => {
        const r2 = readBack(devices.get('r2')!); // lab6, IPv6-only, on r2:eth9
        const from = (src: IntervalSet<bigint>, dst: IntervalSet<bigint>) => PacketSet.cube6({ src, dst });
        const lab = net6('2001:db8:6::/64').subtract(IntervalSet.of(v6('2001:db8:6::'), v6('2001:db8:6::1')));
        const servers = net6('2001:db8:3::/64');
        expect(accepted(r2, 'prerouting', from(net6('::/0'), servers), 'eth9').equals(from(lab, servers))).toBe(true);
        // IPv4 has no source of its own there.
        expect(accepted(r2, 'prerouting', PacketSet.IPV4, 'eth9').isEmpty()).toBe(true);
        // Link-local sources: toward link-local and link-scope multicast addresses only.
        const linkLocal = net6('fe80::/10');
        const onLink = linkLocal.union(net6('ff02::/16'));
        expect(accepted(r2, 'prerouting', from(linkLocal, net6('::/0')), 'eth9').equals(from(linkLocal, onLink))).toBe(
            true
        );
    });

    it("each statement's IPv6 packets are filtered at their edge: the lab reaches the servers on SSH only, never staff", () => {
        const r2 = readBack(devices.get('r2')!);
        const lab = IntervalSet.of(v6('2001:db8:6::99'), v6('2001:db8:6::99'));
        const to = (dst: string, protocol: number, port?: number) =>
            PacketSet.cube6({
                src: lab,
                dst: net6(dst),
                protocol: IntervalSet.of(protocol, protocol),
                ...(port === undefined ? {} : { dstPort: IntervalSet.of(port, port) })
            });
        const passes = (packets: PacketSet) => accepted(r2, 'forward', packets, 'eth9').equals(packets);
        expect(passes(to('2001:db8:3::/64', 6, 22))).toBe(true);
        expect(accepted(r2, 'forward', to('2001:db8:3::/64', 6, 80), 'eth9').isEmpty()).toBe(true);
        expect(accepted(r2, 'forward', to('2001:db8:1::/64', 6, 22), 'eth9').isEmpty()).toBe(true);
    });

    it('neighbour discovery reaches the device from any edge under default deny; an echo request does not', () => {
        const r2 = readBack(devices.get('r2')!);
        const icmp6 = PacketSet.cube6({ protocol: IntervalSet.of(58, 58), src: net6('2001:db8:6::/64') });
        // The evaluator's ICMPv6 packets are echo requests: the ND rule does not let them in, the default deny drops them.
        expect(accepted(r2, 'input', icmp6, 'eth9').isEmpty()).toBe(true);
        const ndRule = devices
            .get('r2')!
            .filter.chains.find(c => c.name === 'input')!
            .rules.find(r => r.icmpTypes?.includes('nd-neighbor-solicit'));
        expect(ndRule).toMatchObject({ match: { family: 6 }, verdict: { kind: 'accept' } });
        expect(renderNftables(devices.get('r2')!)).toMatch(
            /\t\ticmpv6 type \{ mld-listener-query, mld-listener-report, mld-listener-done, nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld2-listener-report \} accept/
        );
    });

    it('an IPv4-only twin gets no IPv6 rules', async () => {
        const campus = compileNetwork(await sampleProgram('campus'));
        for (const config of campus.devices.values()) expect(renderNftables(config)).not.toMatch(/ip6|icmpv6/);
    });
});
