/** `netintent check` as CI runs it: the built CLI in a child process (docs/cli.md). */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv04Module from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { OVERLAP_BESIDE_PROVED, TYPO_BESIDE_PROVED } from '../support/broken-statements.js';
import { smallWorkspace, writeWorkspace } from '../support/workspace.js';

// ajv-draft-04 is CommonJS with a default export; under NodeNext its class is on `.default`.
const Ajv04 = Ajv04Module.default;
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function netintent(args: string[], options: { cwd?: string; node?: string } = {}) {
    const result = spawnSync(options.node ?? process.execPath, [BIN, ...args], {
        cwd: options.cwd ?? ROOT,
        encoding: 'utf8'
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('exit codes', () => {
    it('0 for a clean sample, with the report', () => {
        for (const sample of ['campus', 'dc-fabric', 'wan']) {
            const run = netintent(['check', `samples/${sample}`]);
            expect(run.stderr).toBe('');
            expect(run.code, run.stdout).toBe(0);
            expect(run.stdout).toMatch(/0 errors, 0 warnings\n$/);
        }
    });

    it('a reader that stops early (| head) ends the output, not in a stack trace; the exit status stands', async () => {
        const child = spawn(process.execPath, [BIN, 'check', 'samples/', '--format', 'json'], { cwd: ROOT });
        let stderr = '';
        child.stderr.on('data', chunk => {
            stderr += String(chunk);
        });
        // Closed before the first line: every write meets a closed pipe (EPIPE).
        child.stdout.destroy();
        const code = await new Promise(resolve => child.once('exit', resolve));
        expect(stderr).toBe('');
        // samples/broken has errors.
        expect(code).toBe(1);
    });

    it('1 for errors, each as file:line:col: severity: message [code]', () => {
        const run = netintent(['check', 'samples/broken']);
        expect(run.code).toBe(1);
        const diagnostics = run.stdout.split('\n').filter(l => /^\S+:\d+:\d+: /.test(l));
        expect(diagnostics.length).toBeGreaterThan(10);
        for (const line of diagnostics)
            expect(line).toMatch(/^samples\/broken\/\S+:\d+:\d+: (error|warning|info): .+ \[[a-z-]+\]$/);
        expect(run.stdout).toContain(
            "samples/broken/unknown-name.intent:6:17: error: Unknown segment 'webb'. Did you mean 'web'? [unknown-name]"
        );
    });

    it('2 for bad usage: an unknown option, a bad format, a missing path, a non-intent file', () => {
        expect(netintent(['check', '--frobnicate']).code).toBe(2);
        expect(netintent(['check', '--format', 'xml', 'samples/campus']).code).toBe(2);
        const missing = netintent(['check', 'samples/nope']);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toBe('netintent: no such file or folder: samples/nope\n');
        expect(netintent(['check', 'package.json']).code).toBe(2);
        expect(netintent(['frobnicate']).code).toBe(2);
    });

    it('--help on every command, exit 0', () => {
        const top = netintent(['--help']);
        expect(top.code).toBe(0);
        expect(top.stdout).toContain('check [options] [paths...]');
        const check = netintent(['check', '--help']);
        expect(check.code).toBe(0);
        expect(check.stdout).toContain('--format <format>');
        expect(check.stdout).toContain('--no-verify');
    });

    it('folders are searched for intent files; the default path is the working folder', () => {
        const run = netintent(['check', '--format', 'json'], { cwd: path.join(ROOT, 'samples', 'wan') });
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout).intents.map((i: { file: string }) => i.file)).toContain('wan.intent');
    });

    it('runs on an older Node by re-running itself on the Node 22 that npm install brought', () => {
        const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find(f => fs.existsSync(f));
        if (!systemNode) return;
        const run = netintent(['check', '--no-verify', 'samples/campus'], { node: systemNode });
        expect(run.code).toBe(0);
    });
});

describe('--format json', () => {
    it('has exactly the shape of docs/cli.md', () => {
        const run = netintent(['check', '--format', 'json', 'samples/broken/unknown-name.intent', 'samples/campus']);
        expect(run.code).toBe(1);
        const report = JSON.parse(run.stdout);
        expect(Object.keys(report)).toEqual(['version', 'diagnostics', 'intents', 'summary']);
        expect(report.version).toBe(1);
        expect(report.diagnostics).toEqual([
            {
                file: 'samples/broken/unknown-name.intent',
                line: 6,
                column: 17,
                endLine: 6,
                endColumn: 21,
                severity: 'error',
                code: 'unknown-name',
                message: "Unknown segment 'webb'. Did you mean 'web'?"
            }
        ]);
        const webToDb = report.intents.find((i: { name: string }) => i.name === 'web-to-db');
        expect(webToDb).toEqual({
            name: 'web-to-db',
            file: 'samples/campus/policy.intent',
            line: webToDb.line,
            verdict: 'holds',
            requirements: [{ line: webToDb.line + 1, kind: 'allow', verdict: 'holds' }]
        });
        const broken = report.intents.find((i: { file: string }) => i.file === 'samples/broken/unknown-name.intent');
        expect(broken.verdict).toBe('error');
        expect(broken.requirements[0].verdict).toBe('error');
        expect(report.intents.find((i: { name: string }) => i.name === 'default deny').requirements[0].kind).toBe(
            'default'
        );
        // The file with an unknown name is not verified; every campus intent is, and holds.
        expect(report.summary).toEqual({
            errors: 1,
            warnings: 0,
            intents: report.intents.length,
            holding: report.intents.length - 1,
            violated: 0,
            unknown: 0
        });
    });

    it('a violation: verdict, counterexample and a diagnostic at the requirement, exit 1', () => {
        const run = netintent(['check', '--format', 'json', 'samples/violations']);
        expect(run.code).toBe(1);
        const report = JSON.parse(run.stdout);
        const detour = report.intents.find((i: { name: string }) => i.name === 'detour');
        expect(detour.verdict).toBe('violated');
        expect(detour.requirements[0]).toEqual({
            line: 28,
            kind: 'allow',
            verdict: 'violated',
            counterexample: {
                packet: { src: '10.1.1.3', dst: '10.1.2.3', protocol: 'tcp', dstPort: 444 },
                origin: 'segment a',
                forged: false,
                failures: [],
                path: ['r1', 'r2', 'r3'],
                reason: 'the path r1 → r2 → r3 passes r2, which it must avoid',
                branches: [['r1', 'r2', 'r3']],
                hops: [
                    { device: 'r1', in: 'eth10', out: 'eth1' },
                    { device: 'r2', in: 'eth1', out: 'eth2' },
                    { device: 'r3', in: 'eth1', out: 'eth10' }
                ]
            }
        });
        expect(report.diagnostics.filter((d: { code: string }) => d.code === 'violated')).toHaveLength(10);
        expect(report.summary).toMatchObject({ intents: 10, holding: 0, violated: 10 });
    });

    it('isolate requirements and their kinds', () => {
        const report = JSON.parse(netintent(['check', '--format', 'json', 'samples/campus']).stdout);
        const kinds = report.intents.flatMap((i: { requirements: { kind: string }[] }) =>
            i.requirements.map(r => r.kind)
        );
        expect(new Set(kinds)).toEqual(new Set(['default', 'allow', 'isolate']));
    });
});

describe('verdicts while statements have errors (docs/cli.md)', () => {
    interface Requirement {
        line: number;
        verdict: string;
        reason?: string;
    }
    interface Intent {
        name: string;
        verdict: string;
        requirements: Requirement[];
    }
    /** `check --format json` of one intent file bound to SMALL_TWIN: r1 - r2 - r3, segment web on r1, db on r3. */
    function check(body: string) {
        const folder = writeWorkspace(smallWorkspace(body));
        const run = netintent(['check', '--format', 'json', folder]);
        const report = JSON.parse(run.stdout) as {
            diagnostics: Array<{ line: number; severity: string; code: string; message: string }>;
            intents: Intent[];
        };
        const intent = (name: string) => report.intents.find(i => i.name === name)!;
        return { code: run.code, report, intent };
    }

    it('a typo in one intent: the others keep holds and violated; default deny is unknown, naming the line', () => {
        const { code, report, intent } = check(TYPO_BESIDE_PROVED);
        expect(code).toBe(1);
        expect(intent('typo').verdict).toBe('error');
        expect(intent('typo').requirements[0].verdict).toBe('error');
        expect(intent('holding').verdict).toBe('holds');
        expect(intent('detour').verdict).toBe('violated');
        expect(report.diagnostics.filter(d => d.code === 'violated').map(d => d.line)).toEqual([10]);
        expect(intent('default deny').requirements[0]).toEqual({
            line: 2,
            kind: 'default',
            verdict: 'unknown',
            reason: 'what it covers depends on every allow and deny, and the allow at main.intent:4 has errors'
        });
        expect(report.diagnostics.map(d => `${d.line} ${d.severity} ${d.code}`)).toEqual([
            '2 warning unknown',
            '4 error unknown-name',
            '10 error violated'
        ]);
    });

    it('an overlap: the pair are errors, what overlaps them is unknown naming the line, the rest is proved', () => {
        const { report, intent } = check(OVERLAP_BESIDE_PROVED);
        expect(report.diagnostics.filter(d => d.code === 'overlap').map(d => d.line)).toEqual([3, 6]);
        expect(intent('overlap-allow').requirements[0].verdict).toBe('error');
        expect(intent('overlap-deny').requirements[0].verdict).toBe('error');
        expect(intent('inside-both').requirements[0]).toMatchObject({
            verdict: 'unknown',
            reason: 'its packets or replies overlap those of the allow at main.intent:3, which has errors'
        });
        expect(intent('unrelated').requirements.map(r => r.verdict)).toEqual(['holds', 'holds']);
        expect(report.diagnostics.find(d => d.line === 9)).toMatchObject({
            severity: 'warning',
            code: 'unknown',
            message: 'Not proved: its packets or replies overlap those of the allow at main.intent:3, which has errors.'
        });
    });

    it('a requirement that uses a group with errors is unknown, naming the group; text that cannot be read leaves every verdict unknown', () => {
        const group = check(`group mixed = segment web, segment nope
intent uses-group {
  allow mixed -> db : tcp 22
}
intent other {
  allow web -> db : tcp 443
}
`);
        expect(group.intent('uses-group').requirements[0]).toMatchObject({
            verdict: 'unknown',
            reason: "it uses group 'mixed' with errors (main.intent:2)"
        });
        expect(group.intent('uses-group').verdict).toBe('unknown');
        expect(group.intent('other').verdict).toBe('holds');
        const syntax = check(`intent typo {
  allw web -> db : tcp 22
}
intent other {
  allow web -> db : tcp 443
}
`);
        expect(syntax.intent('typo').verdict).toBe('error');
        expect(syntax.intent('other').requirements[0]).toMatchObject({
            verdict: 'unknown',
            reason: 'main.intent:3 could not be read, and what it says may change this verdict'
        });
    });
});

describe('--format sarif', () => {
    const schema = JSON.parse(
        fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'schemas', 'sarif-2.1.0.json'), 'utf8')
    );
    const validate = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);

    it('is valid SARIF 2.1.0 with a result per diagnostic, at its place', () => {
        const run = netintent(['check', '--format', 'sarif', 'samples/broken']);
        expect(run.code).toBe(1);
        const sarif = JSON.parse(run.stdout);
        expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
        const json = JSON.parse(netintent(['check', '--format', 'json', 'samples/broken']).stdout);
        const [runData] = sarif.runs;
        expect(runData.tool.driver.name).toBe('netintent');
        expect(runData.results).toHaveLength(json.diagnostics.length);
        const typo = runData.results.find((r: { ruleId: string }) => r.ruleId === 'syntax');
        expect(typo.level).toBe('error');
        expect(typo.locations[0].physicalLocation).toEqual({
            artifactLocation: { uri: 'samples/broken/syntax-typo.intent', uriBaseId: 'SRCROOT' },
            region: { startLine: 8, startColumn: 3, endLine: 8, endColumn: 7 }
        });
        // Every result's rule is declared (GitHub code scanning shows rules by id).
        const ids = runData.tool.driver.rules.map((r: { id: string }) => r.id);
        for (const result of runData.results) expect(ids[result.ruleIndex]).toBe(result.ruleId);
    });

    it('a clean run is valid SARIF with no results', () => {
        const sarif = JSON.parse(netintent(['check', '--format', 'sarif', 'samples/campus']).stdout);
        expect(validate(sarif)).toBe(true);
        expect(sarif.runs[0].results).toEqual([]);
    });
});

describe('bad input never crashes', () => {
    it('a binary file named .intent, an empty file and a twin that is not a mapping', () => {
        const folder = writeWorkspace({
            'binary.intent': '\u0000\u0001\u00ff\ufffd twin {{{',
            'empty.intent': '',
            'list.twin.yaml': '- a\n- b\n',
            'list.intent': 'twin "list.twin.yaml"\n'
        });
        const run = netintent(['check', folder]);
        expect(run.code).toBe(1);
        expect(run.stderr).toBe('');
        expect(run.stdout).not.toMatch(/\n\s+at /);
        expect(run.stdout).toContain('list.twin.yaml:1:1: error: the twin must be a mapping');
    });
});
