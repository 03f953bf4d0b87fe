/** `netintent verify --configs`: configurations read back from text, compiled or edited by hand. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { parseNftables } from '../../server/src/config/nftables/parse.js';
import { renderNftables, renderPolicyRouting } from '../../server/src/config/nftables/render.js';
import { emptyDevice } from '../../server/src/config/model.js';
import { ROOT, SAMPLES, sampleProgram } from '../support/samples.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function netintent(args: string[]) {
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function compiledTo(sample: string): string {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'netintent-configs-'));
    expect(netintent(['compile', `samples/${sample}`, '--out', out]).code).toBe(0);
    return out;
}

describe('nftables and policy routing read back', () => {
    it.each(SAMPLES)('parse(render(m)) gives the ACLs and policy routes of every device of %s', async sample => {
        const { devices } = compileNetwork(await sampleProgram(sample));
        for (const config of devices.values()) {
            const read = emptyDevice(config.hostname);
            const script = renderPolicyRouting(config);
            const parsed = parseNftables(read, renderNftables(config), 'nftables.nft', script === undefined ? undefined : { text: script, file: 'policy-routing.sh' });
            expect(parsed.diagnostics).toEqual([]);
            expect(read.acls, config.hostname).toEqual(config.acls);
            expect(read.policyRoutes, config.hostname).toEqual(config.policyRoutes);
            expect(read.acceptEstablished).toBe(config.acceptEstablished);
        }
    });
});

describe('netintent verify --configs', () => {
    it.each([...SAMPLES, 'violations'])('the compiled configurations of %s, read from disk, verify as check does', sample => {
        const out = compiledTo(sample);
        const fromDisk = JSON.parse(netintent(['verify', `samples/${sample}`, '--configs', out, '--format', 'json']).stdout);
        const compiled = JSON.parse(netintent(['check', `samples/${sample}`, '--format', 'json']).stdout);
        expect(fromDisk.intents).toEqual(compiled.intents);
    });

    it('finds what a hand edit broke: ACL rules removed', () => {
        const out = compiledTo('campus');
        const file = path.join(out, 'acc3', 'nftables.nft');
        // Without the isolate rule, default deny still stops guests; without both, nothing does.
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split('\n').filter(l => !l.includes('guest-isolation: isolate') && !l.includes('default deny')).join('\n'));
        const run = netintent(['verify', 'samples/campus', '--configs', out]);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain('samples/campus/policy.intent:47:3: error: Violated: delivered to segment staff (acc3 → dist2 → core1 → dist1 → acc1); nothing stops it.');
    });

    it('finds what a hand edit broke: OSPF off on a link, and reports the lines it does not understand', () => {
        const out = compiledTo('violations');
        const file = path.join(out, 'r2', 'frr.conf');
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/interface eth2\n description to r3:eth1\n ip address (\S+)\n ip ospf area 0\n/, 'interface eth2\n description to r3:eth1\n ip address $1\n ipv6 nd suppress-ra\n'));
        const run = netintent(['verify', 'samples/violations', '--configs', out, '--format', 'json']);
        const report = JSON.parse(run.stdout);
        expect(report.diagnostics.find((d: { code: string }) => d.code === 'frr-unsupported')).toMatchObject({
            file, line: 18, severity: 'warning', message: "netintent does not understand 'ipv6 nd suppress-ra' in interface eth2; verification ignores this line."
        });
        // Without OSPF on r2-r3, r1 learns no route to b; the intents whose paths are pinned by
        // policy routes still get through on them.
        const resilience = report.intents.find((i: { name: string }) => i.name === 'link-resilience').requirements[0];
        expect(resilience.counterexample).toMatchObject({ failures: [], path: ['r1'], reason: 'dropped at r1: no route to 10.1.2.3' });
        const fast = report.intents.find((i: { name: string }) => i.name === 'fast-path').requirements[0];
        expect(fast.counterexample.path).toEqual(['r1', 'r2', 'r3']);
    });

    it('a device without a configuration is an error at the device in the twin', () => {
        const out = compiledTo('wan');
        fs.rmSync(path.join(out, 'dc-r1'), { recursive: true });
        const run = netintent(['verify', 'samples/wan', '--configs', out]);
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/^samples\/wan\/wan\.twin\.yaml:\d+:3: error: No configuration for device dc-r1: .*dc-r1\/frr\.conf does not exist\./m);
        expect(netintent(['verify', 'samples/wan', '--configs', '/nonexistent']).code).toBe(2);
    });
});
