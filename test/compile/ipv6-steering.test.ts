/**
 * Steering in IPv6 on the dual-stack square: the steer chain marks IPv6 packets by `ip6 dscp`,
 * `ip -6 rule`s select IPv6 tables that FRR keeps (`ipv6 route … table N`, toward the waypoint's
 * IPv6 loopback or the next hop's IPv6 link address, then a blackhole), numbered apart from
 * IPv4's; FRR and nft accept the files, and `verify --configs` reads them back as compiled.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { compileFiles } from '../../server/src/compile/targets.js';
import { loadConfigs } from '../../server/src/config/load.js';
import type { DeviceConfig } from '../../server/src/config/model.js';
import { renderFrrConf } from '../../server/src/config/frr/render.js';
import { renderNftables, renderPolicyRouting } from '../../server/src/config/nftables/render.js';
import type { IntentProgram } from '../../server/src/intent/model.js';
import { formatAddress6 } from '../../server/src/net/ipv6.js';
import { SQUARE6 } from '../support/networks.js';
import { requireTool, sbin } from '../support/system.js';
import { temporaryFolder } from '../support/temporary.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';

async function program(intents: string): Promise<IntentProgram> {
    const checked = await checkWorkspace({
        'square.twin.yaml': SQUARE6('ospf', true),
        'main.intent': `twin "square.twin.yaml"\n${intents}`
    });
    expect(checked.lines.filter(l => l.includes(' error '))).toEqual([]);
    return netintentServices().intent.IntentPrograms.forTwin(path.join(checked.folder, 'square.twin.yaml')).program;
}

const lines = (text: string | undefined, pattern: RegExp) => (text ?? '').split('\n').filter(l => pattern.test(l));

describe('steering in IPv6', async () => {
    const intents =
        'intent v { allow web -> db : tcp 443 via r3 }\nintent l { allow web -> db : tcp 8443 latency <= 2ms }\n';
    const compiled = compileNetwork(await program(intents));
    const device = (name: string) => compiled.devices.get(name)!;

    it('toward the waypoint by its IPv6 loopback, a pinned path by the IPv6 link address, each table failing closed', () => {
        expect(compiled.warnings).toEqual([]);
        const r1 = device('r1');
        // r1's targets in each family: pinned to r3 over r1 -- r3, toward r3's loopback; numbered apart per family.
        const r3 = device('r3');
        const r3Link6 = r3.interfaces.find(i => i.name === 'eth1')!.address6!.address;
        expect(lines(renderFrrConf(r1), /table/)).toEqual([
            'ip route 0.0.0.0/0 10.0.0.5 table 1000',
            'ip route 0.0.0.0/0 blackhole 254 table 1000',
            'ip route 0.0.0.0/0 10.255.0.3 table 1001',
            'ip route 0.0.0.0/0 blackhole 254 table 1001',
            `ipv6 route ::/0 ${formatAddress6(r3Link6)} table 1000`,
            'ipv6 route ::/0 blackhole 254 table 1000',
            'ipv6 route ::/0 2001:db8:fffe::3 table 1001',
            'ipv6 route ::/0 blackhole 254 table 1001'
        ]);
        expect(lines(renderPolicyRouting(r1), /rule add/)).toEqual([
            'ip rule add fwmark 0x100 table 1000 priority 1000',
            'ip rule add fwmark 0x101 table 1001 priority 1001',
            'ip -6 rule add fwmark 0x100 table 1000 priority 1000',
            'ip -6 rule add fwmark 0x101 table 1001 priority 1001'
        ]);
        // The edge resets the traffic class of IPv6 requests, then marks them by it.
        const nft = renderNftables(r1);
        expect(lines(nft, /ip6 dscp set 0 .*"v: steer through r3: enters/)).toHaveLength(1);
        expect(lines(nft, /ip6 daddr 2001:db8:2::2-.* ip6 dscp 0 .*dport 443 meta mark set 0x101/)).toHaveLength(1);
        // The waypoint counts itself passed, in IPv6 too.
        expect(lines(renderNftables(r3), /ip6 .*ip6 dscp 0 .*ip6 dscp set 1 /)).toHaveLength(2);
    });

    it('FRR (vtysh -C) and nft (nft -c) accept every file', () => {
        const folder = temporaryFolder('netintent-steer6-');
        const checks: Array<[string, (file: string) => string[], (config: DeviceConfig) => string]> = [
            ['vtysh', file => ['-C', '-f', file], renderFrrConf],
            ['nft', file => ['-c', '-f', file], renderNftables]
        ];
        for (const [tool, args, render] of checks) {
            if (!requireTool(tool, tool === 'vtysh' ? 'frr' : 'nftables')) continue;
            for (const [name, config] of compiled.devices) {
                const file = path.join(folder, `${name}.${tool}`);
                fs.writeFileSync(file, render(config));
                const run = spawnSync(sbin(tool), args(file), { encoding: 'utf8' });
                expect(run.status, `${tool} ${name}: ${run.stdout}${run.stderr}`).toBe(0);
            }
        }
    });

    it('read back as verify --configs reads them: the IPv6 rules, tables and traffic-class marks as compiled', async () => {
        const { files } = compileFiles(await program(intents), 'frr');
        const folder = temporaryFolder('netintent-steer6-read-');
        for (const [name, content] of files) {
            fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
            fs.writeFileSync(path.join(folder, name), content);
        }
        const loaded = loadConfigs(folder, compiled.reuse.twin);
        expect(loaded.diagnostics.filter(d => d.severity !== 'info')).toEqual([]);
        for (const [name, config] of compiled.devices) {
            const read = loaded.configs.get(name)!;
            expect(read.ipRules6, name).toEqual(config.ipRules6);
            expect(read.staticRoutes6, name).toEqual(config.staticRoutes6);
            const steer = (c: DeviceConfig) =>
                c.filter.chains.find(chain => chain.name === 'steer')?.rules.map(r => [r.match, r.setDscp, r.setMark]);
            expect(steer(read), name).toEqual(steer(config));
        }
    });

    it('via any of: IPv6 has no anycast address for the set, a warning says so; IPv4 is steered', async () => {
        const { warnings, devices } = compileNetwork(
            await program('intent a { allow web -> db : tcp 443 via any of r2, r3 survive 1 link failure }\n')
        );
        expect(warnings.map(w => w.message)).toEqual([
            'Its IPv6 packets cannot be steered through any of r2, r3: IPv6 has no anycast address for a set of waypoints; the verifier will report this requirement as violated.'
        ]);
        expect(devices.get('r1')!.ipRules).toHaveLength(1);
        expect(devices.get('r1')!.ipRules6).toEqual([]);
    });

    it('no path that meets the constraints: a warning at the statement, and nothing steered in either family', async () => {
        const { warnings, devices } = compileNetwork(
            await program('intent n { allow web -> db : tcp 5 avoid r2 avoid r3 }\n')
        );
        expect(warnings.map(w => w.message)).toEqual([
            'No path leads from r1 to r4 while avoiding what it must avoid; the verifier will report this requirement as violated.'
        ]);
        expect([...devices.values()].flatMap(d => [...d.ipRules, ...d.ipRules6])).toEqual([]);
    });
});
