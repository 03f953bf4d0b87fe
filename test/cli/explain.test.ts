/**
 * `netintent check --explain` (docs/cli.md, "How a verdict was reached"): the built CLI in a child
 * process on the samples. The paths below are worked out from samples/campus/campus.twin.yaml: web
 * (srv1:eth10) and db (srv1:eth11) hang off srv1, dual-homed to dist1 (eth1) and dist2 (eth2); `via
 * fw1` steers toward fw1's loopback by OSPF, ECMP over both dists, each reaching fw1 straight
 * (cost 100, less than 10 + 100 through a core); from fw1 the two links back to the dists cost the
 * same, so 2 × 2 paths.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequirementReport } from '../../server/src/check/report.js';
import { temporaryFolder } from '../support/temporary.js';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function netintent(args: string[]) {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface JsonReport {
    intents: Array<{ name: string; requirements: RequirementReport[] }>;
}

function requirementsOf(sample: string, command = ['check']): Map<string, RequirementReport[]> {
    const run = netintent([...command, `samples/${sample}`, '--explain', '--format', 'json']);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as JsonReport;
    return new Map(report.intents.map(i => [i.name, i.requirements]));
}

/** A path as text shows it: devices, then each device with the interfaces it is entered and left by. */
const WEB_TO_DB = [
    'srv1 → dist1 → fw1 → dist1 → srv1',
    'srv1 (eth10→eth1), dist1 (eth6→eth3), fw1 (eth3→eth3), dist1 (eth3→eth6), srv1 (eth1→eth11)',
    'srv1 → dist1 → fw1 → dist2 → srv1',
    'srv1 (eth10→eth1), dist1 (eth6→eth3), fw1 (eth3→eth4), dist2 (eth3→eth6), srv1 (eth2→eth11)',
    'srv1 → dist2 → fw1 → dist1 → srv1',
    'srv1 (eth10→eth2), dist2 (eth6→eth3), fw1 (eth4→eth3), dist1 (eth3→eth6), srv1 (eth1→eth11)',
    'srv1 → dist2 → fw1 → dist2 → srv1',
    'srv1 (eth10→eth2), dist2 (eth6→eth3), fw1 (eth4→eth4), dist2 (eth3→eth6), srv1 (eth2→eth11)'
];

describe('check --explain, text', () => {
    const campus = netintent(['check', 'samples/campus', '--explain']);
    const lines = campus.stdout.split('\n');
    /** The lines under an intent's line, up to the next intent's (or the summary). */
    const under = (intent: string) => {
        const start = lines.findIndex(l => l.startsWith(`  ${intent} `));
        const end = lines.findIndex((l, i) => i > start && (l === '' || /^ {2}\S/.test(l)));
        return lines.slice(start + 1, end === -1 ? undefined : end);
    };

    it('exits as check does, with the same summary', () => {
        expect(campus.stderr).toBe('');
        expect(campus.code).toBe(0);
        expect(campus.stdout).toMatch(/8 intents: 8 hold, 0 violated, 0 unknown · 0 errors, 0 warnings\n$/);
    });

    it('draws every ECMP path of a via fw1 requirement, device by device and interface by interface, with its steering', () => {
        expect(under('web-to-db')).toEqual([
            '    line 23 allow: holds',
            '      4 paths without failures:',
            ...WEB_TO_DB.map((line, i) => (i % 2 === 0 ? `        ${line}` : `          ${line}`)),
            '      steering: toward the waypoints by the IGP; marked on entry at srv1:eth10, srv1:eth11 (DSCP 0), passed at fw1 (DSCP + 1); policy tables on 8 devices: acc1, acc2, acc3, core1, core2, dist1, dist2, srv1'
        ]);
    });

    it('lists the failure sets a survive requirement was tried under: each link its traffic crosses', () => {
        expect(under('web-to-db-resilient')).toContain(
            '      4 failure sets tried (survive decided by failure sets): {fw1:eth3 -- dist1:eth3}, {fw1:eth4 -- dist2:eth3}, {dist1:eth6 -- srv1:eth1}, {dist2:eth6 -- srv1:eth2}'
        );
    });

    it('a requirement without path constraints: its paths, no steering; a during scenario is a failure set', () => {
        expect(under('during-maintenance')).toEqual([
            '    line 60 allow: holds',
            '      3 paths without failures:',
            '        acc1 → dist1 → srv1',
            '          acc1 (eth10→eth1), dist1 (eth4→eth6), srv1 (eth1→eth10)',
            '        acc2 → dist1 → srv1',
            '          acc2 (eth10→eth1), dist1 (eth5→eth6), srv1 (eth1→eth10)',
            '        acc2 → dist2 → srv1',
            '          acc2 (eth10→eth2), dist2 (eth4→eth6), srv1 (eth2→eth10)',
            '      1 failure set tried: {core1}'
        ]);
    });

    it('a violated requirement keeps its counterexample (the diagnostic, and under the requirement)', () => {
        const run = netintent(['check', 'samples/violations', '--explain']);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain(
            'samples/violations/violations.intent:47:3: error: Violated with r1:eth1 -- r2:eth1 failed: dropped at r1: no route to 10.1.2.3. Packet: tcp 10.1.1.3 -> 10.1.2.3:448. [violated]'
        );
        const at = run.stdout.split('\n').findIndex(l => l.startsWith('  link-resilience '));
        expect(run.stdout.split('\n').slice(at + 1, at + 10)).toEqual([
            '    line 47 allow: violated',
            '      1 path without failures:',
            '        r1 → r2 → r3',
            '          r1 (eth10→eth1), r2 (eth1→eth2), r3 (eth1→eth10)',
            '      1 failure set tried (survive decided by minimum cut): {r1:eth1 -- r2:eth1}',
            '      counterexample with r1:eth1 -- r2:eth1 failed: dropped at r1: no route to 10.1.2.3',
            '        packet tcp 10.1.1.3 -> 10.1.2.3:448 from segment a',
            '        r1',
            '          r1 (eth10→)'
        ]);
        // What steering could not realise is said where it was asked for.
        expect(run.stdout).toContain(
            '      steering: none; not realisable: No path leads from r1 to r3 while avoiding what it must avoid'
        );
    });

    it('plain check shows none of it', () => {
        const plain = netintent(['check', 'samples/campus']);
        expect(plain.stdout).not.toContain('paths without failures');
        expect(plain.stdout.split('\n').length).toBeLessThan(lines.length);
    });
});

describe('check --explain --format json', () => {
    const campus = requirementsOf('campus');

    it('gives "paths" hop by hop (device, in, out), their count, and the steering', () => {
        const [webToDb] = campus.get('web-to-db')!;
        const drawn = webToDb.paths!.map(p => p.map(h => h.device).join(' → '));
        expect(drawn).toEqual(WEB_TO_DB.filter((_, i) => i % 2 === 0));
        expect(webToDb.paths![0]).toEqual([
            { device: 'srv1', in: 'eth10', out: 'eth1' },
            { device: 'dist1', in: 'eth6', out: 'eth3' },
            { device: 'fw1', in: 'eth3', out: 'eth3' },
            { device: 'dist1', in: 'eth3', out: 'eth6' },
            { device: 'srv1', in: 'eth1', out: 'eth11' }
        ]);
        expect(webToDb.pathCount).toBe(4);
        expect(webToDb.steering).toEqual({
            method: 'waypoints',
            marked: ['srv1:eth10', 'srv1:eth11'],
            waypoints: ['fw1'],
            tables: ['acc1', 'acc2', 'acc3', 'core1', 'core2', 'dist1', 'dist2', 'srv1'],
            problems: []
        });
        expect(webToDb.failureSetCount).toBe(0);
    });

    it('gives the failure sets of a survive requirement and their count', () => {
        const [resilient] = campus.get('web-to-db-resilient')!;
        expect(resilient.failureSetCount).toBe(4);
        expect(resilient.survivedBy).toBe('failure sets');
        expect(resilient.failureSets).toEqual([
            ['fw1:eth3 -- dist1:eth3'],
            ['fw1:eth4 -- dist2:eth3'],
            ['dist1:eth6 -- srv1:eth1'],
            ['dist2:eth6 -- srv1:eth2']
        ]);
    });

    it('keeps the counterexample of a violated requirement as it was', () => {
        const violations = requirementsOf('violations');
        const [node] = violations.get('node-resilience')!;
        expect(node.verdict).toBe('violated');
        expect(node.counterexample).toMatchObject({ failures: ['r2'], path: ['r1'] });
        expect(node.failureSets).toEqual([['r2']]);
        expect(node.survivedBy).toBe('minimum cut');
        expect(node.paths!.map(p => p.map(h => h.device))).toEqual([['r1', 'r2', 'r3']]);
    });

    it('plain check --format json has no explanation fields', () => {
        const run = netintent(['check', 'samples/campus', '--format', 'json']);
        const report = JSON.parse(run.stdout) as JsonReport;
        for (const requirement of report.intents.flatMap(i => i.requirements))
            expect(Object.keys(requirement).sort()).toEqual(['kind', 'line', 'verdict']);
    });
});

describe('verify --configs --explain', () => {
    it('explains verdicts on configurations read, without steering (it was not compiled here)', () => {
        const out = temporaryFolder('netintent-explain-');
        expect(netintent(['compile', 'samples/campus', '--out', out]).code).toBe(0);
        const read = requirementsOf('campus', ['verify', '--configs', out]);
        const [webToDb] = read.get('web-to-db')!;
        expect(webToDb.paths!.map(p => p.map(h => h.device).join(' → '))).toEqual(
            WEB_TO_DB.filter((_, i) => i % 2 === 0)
        );
        expect(webToDb.steering).toBeUndefined();
    });
});

describe('check --explain, usage', () => {
    it('is an error (2) with SARIF, which has no place for it, and with --no-verify', () => {
        const sarif = netintent(['check', 'samples/campus', '--explain', '--format', 'sarif']);
        expect(sarif.code).toBe(2);
        expect(sarif.stderr).toBe('netintent: --explain has no SARIF form; use --format text or json.\n');
        const unverified = netintent(['check', 'samples/campus', '--explain', '--no-verify']);
        expect(unverified.code).toBe(2);
        expect(unverified.stderr).toContain('--no-verify');
    });
});
