/** `netintent verify --configs`: configurations read back from text, compiled or edited by hand. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { parseNftables } from '../../server/src/config/nftables/parse.js';
import { renderNftables, renderPolicyRouting } from '../../server/src/config/nftables/render.js';
import { emptyDevice, FILTER_HOOKS } from '../../server/src/config/model.js';
import { PacketSet } from '../../server/src/net/packet-set.js';
import { FilterEvaluator } from '../../server/src/verify/filter.js';
import { ROOT, SAMPLES, sampleProgram } from '../support/samples.js';
import { temporaryFolder } from '../support/temporary.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function netintent(args: string[]) {
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function compiledTo(sample: string): string {
    const out = temporaryFolder('netintent-configs-');
    expect(netintent(['compile', `samples/${sample}`, '--out', out]).code).toBe(0);
    return out;
}

describe('nftables and policy routing read back', () => {
    it.each(SAMPLES)('parse(render(m)) filters and steers exactly as m, on every device of %s', async sample => {
        const { devices } = compileNetwork(await sampleProgram(sample));
        for (const config of devices.values()) {
            const read = emptyDevice(config.hostname);
            read.interfaces = config.interfaces;
            const script = renderPolicyRouting(config);
            const parsed = parseNftables(
                read,
                renderNftables(config),
                'nftables.nft',
                script === undefined ? undefined : { text: script, file: 'policy-routing.sh' }
            );
            expect(parsed.diagnostics).toEqual([]);
            expect(read.unmodelled).toEqual([]);
            expect(read.ipRules, config.hostname).toEqual(config.ipRules);
            expect(read.ipRules6, config.hostname).toEqual(config.ipRules6);
            // Same packets accepted at every hook, from every interface, in every state.
            const compiled = new FilterEvaluator(config.filter);
            const readBack = new FilterEvaluator(read.filter);
            for (const hook of FILTER_HOOKS) {
                for (const iif of [undefined, ...config.interfaces.map(i => i.name)]) {
                    for (const state of ['new', 'established'] as const) {
                        for (const reply of [false, true]) {
                            const context = { iif, state, ctMark: 0, mark: 0, reply };
                            const accepted = (e: FilterEvaluator) => e.run(hook, PacketSet.ALL, context).accepted;
                            // The packets accepted with each connection mark and each packet mark.
                            const marks = (groups: ReturnType<typeof accepted>) =>
                                new Set(groups.map(g => `${g.ctMark}/${g.mark}`));
                            const union = (groups: ReturnType<typeof accepted>, key: string) =>
                                groups
                                    .filter(g => `${g.ctMark}/${g.mark}` === key)
                                    .reduce((all, g) => all.union(g.packets), PacketSet.EMPTY);
                            const keys = new Set([...marks(accepted(readBack)), ...marks(accepted(compiled))]);
                            for (const key of keys) {
                                expect(
                                    union(accepted(readBack), key).equals(union(accepted(compiled), key)),
                                    `${config.hostname} ${hook} ${iif} ${state} ${reply} ${key}`
                                ).toBe(true);
                            }
                        }
                    }
                }
            }
        }
    });
});

describe('netintent verify --configs', () => {
    it.each([...SAMPLES, 'violations'])(
        'the compiled configurations of %s, read from disk, verify as check does',
        sample => {
            const out = compiledTo(sample);
            const fromDisk = JSON.parse(
                netintent(['verify', `samples/${sample}`, '--configs', out, '--format', 'json']).stdout
            );
            const compiled = JSON.parse(netintent(['check', `samples/${sample}`, '--format', 'json']).stdout);
            expect(fromDisk.intents).toEqual(compiled.intents);
        }
    );

    it('finds what a hand edit broke: ACL rules removed', () => {
        const out = compiledTo('campus');
        const file = path.join(out, 'acc3', 'nftables.nft');
        // Without the isolate rule, default deny still stops guests; without both, nothing does.
        fs.writeFileSync(
            file,
            fs
                .readFileSync(file, 'utf8')
                .split('\n')
                .filter(l => !l.includes('guest-isolation: isolate') && !l.includes('default deny'))
                .join('\n')
        );
        const run = netintent(['verify', 'samples/campus', '--configs', out]);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain(
            'samples/campus/policy.intent:48:3: error: Violated: delivered to segment staff (acc3 → dist2 → core1 → dist1 → acc1); nothing stops it.'
        );
    });

    it('a counterexample names the line of the rule in the file as edited, not as compiled', () => {
        const out = compiledTo('campus');
        const file = path.join(out, 'acc3', 'nftables.nft');
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        // Comments above the ruleset and a rule first in guest's chain move every rule down.
        lines.splice(2, 0, '# edited by hand', '# during an incident', '');
        lines.splice(
            lines.indexOf('\tchain from_eth10 {') + 1,
            0,
            '\t\tmeta l4proto udp th dport 53 drop comment "hand-added"'
        );
        fs.writeFileSync(file, lines.join('\n'));
        const added = lines.findIndex(l => l.includes('hand-added')) + 1;
        expect(added).toBeGreaterThan(26);
        const report = JSON.parse(netintent(['verify', 'samples/campus', '--configs', out, '--format', 'json']).stdout);
        const dns = report.intents.find((i: { name: string }) => i.name === 'guest-isolation').requirements[1];
        expect(dns.counterexample.reason).toBe(`dropped at acc3 by nftables.nft line ${added} (hand-added)`);
    });

    it('finds what a hand edit broke: OSPF off on a link', () => {
        const out = compiledTo('violations');
        const file = path.join(out, 'r2', 'frr.conf');
        fs.writeFileSync(
            file,
            fs
                .readFileSync(file, 'utf8')
                .replace(/(interface eth2\n description to r3:eth1\n ip address \S+\n) ip ospf area 0\n/, '$1')
        );
        const run = netintent(['verify', 'samples/violations', '--configs', out, '--format', 'json']);
        const report = JSON.parse(run.stdout);
        expect(
            report.diagnostics.filter(
                (d: { severity: string; code: string }) => d.severity === 'error' && d.code !== 'violated'
            )
        ).toEqual([]);
        // Without OSPF on r2-r3, r1 learns no route to b; the intents whose paths are pinned by
        // policy routes still get through on them.
        const resilience = report.intents.find((i: { name: string }) => i.name === 'link-resilience').requirements[0];
        expect(resilience.counterexample).toMatchObject({
            failures: [],
            path: ['r1'],
            reason: 'dropped at r1: no route to 10.1.2.3'
        });
        const fast = report.intents.find((i: { name: string }) => i.name === 'fast-path').requirements[0];
        expect(fast.counterexample.path).toEqual(['r1', 'r2', 'r3']);
    });

    it('a line it does not model is an error at its line, and no verdict it could change holds: unknown, exit 1', () => {
        const out = compiledTo('wan');
        const file = path.join(out, 'dc-r1', 'frr.conf');
        const text = fs.readFileSync(file, 'utf8');
        // `passive-interface default` was once read as an interface named "default": all intents held.
        fs.writeFileSync(file, text.replace('router ospf\n', 'router ospf\n redistribute kernel\n'));
        const run = netintent(['verify', 'samples/wan', '--configs', out, '--format', 'json']);
        expect(run.code).toBe(1);
        const report = JSON.parse(run.stdout);
        const line = text.split('\n').indexOf('router ospf') + 2;
        expect(report.diagnostics.find((d: { code: string }) => d.code === 'frr-unsupported')).toMatchObject({
            file,
            line,
            severity: 'error'
        });
        expect(report.intents.map((i: { verdict: string }) => i.verdict)).toEqual(report.intents.map(() => 'unknown'));
        expect(report.intents[1].requirements[0].reason).toBe(
            `dc-r1: netintent does not model 'redistribute kernel' (frr.conf line ${line})`
        );
        expect(report.summary).toMatchObject({ holding: 0, violated: 0, unknown: report.intents.length });
    });

    it('passive-interface default turns OSPF adjacencies off: the WAN falls apart, and the verifier says so', () => {
        const out = compiledTo('wan');
        for (const device of fs.readdirSync(out).filter(d => fs.existsSync(path.join(out, d, 'frr.conf')))) {
            const file = path.join(out, device, 'frr.conf');
            fs.writeFileSync(
                file,
                fs.readFileSync(file, 'utf8').replace('router ospf\n', 'router ospf\n passive-interface default\n')
            );
        }
        const report = JSON.parse(netintent(['verify', 'samples/wan', '--configs', out, '--format', 'json']).stdout);
        expect(
            report.diagnostics.filter(
                (d: { severity: string; code: string }) => d.severity === 'error' && d.code !== 'violated'
            )
        ).toEqual([]);
        expect(report.intents.find((i: { name: string }) => i.name === 'branch-to-dc').verdict).toBe('violated');
    });

    it('a device without a configuration is an error at the device in the twin', () => {
        const out = compiledTo('wan');
        fs.rmSync(path.join(out, 'dc-r1'), { recursive: true });
        const run = netintent(['verify', 'samples/wan', '--configs', out]);
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(
            /^samples\/wan\/wan\.twin\.yaml:\d+:3: error: No configuration for device dc-r1: .*dc-r1\/frr\.conf does not exist\./m
        );
        expect(netintent(['verify', 'samples/wan', '--configs', '/nonexistent']).code).toBe(2);
    });
});
