/** `netintent compile`: a folder per device, the same bytes every run, written safely. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/samples.js';
import { smallWorkspace, writeWorkspace } from '../support/workspace.js';
import { temporaryFolder } from '../support/temporary.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function netintent(args: string[], cwd = ROOT) {
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function tempDir(): string {
    return temporaryFolder('netintent-out-');
}

function listFiles(folder: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
        if (entry.isFile())
            out[path.relative(folder, path.join(entry.parentPath, entry.name))] = fs.readFileSync(
                path.join(entry.parentPath, entry.name),
                'utf8'
            );
    }
    return out;
}

describe('netintent compile', () => {
    it('writes a folder per device and prints a summary', () => {
        const out = path.join(tempDir(), 'configs');
        const run = netintent(['compile', 'samples/campus', '--out', out]);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/^compiled campus: 9 devices, 35 files, \d+ lines → /);
        expect(fs.readdirSync(out).sort()).toEqual([
            '.netintent-manifest.json',
            'acc1',
            'acc2',
            'acc3',
            'core1',
            'core2',
            'dist1',
            'dist2',
            'fw1',
            'srv1'
        ]);
        expect(fs.readdirSync(path.join(out, 'srv1')).sort()).toEqual([
            'daemons',
            'frr.conf',
            'nftables.nft',
            'policy-routing.sh'
        ]);
    });

    it('is byte-identical on every run, and leaves no temporary files', () => {
        const first = tempDir();
        const second = tempDir();
        expect(netintent(['compile', 'samples/dc-fabric', '--out', first, '--target', 'containerlab']).code).toBe(0);
        expect(netintent(['compile', 'samples/dc-fabric', '--out', second, '--target', 'containerlab']).code).toBe(0);
        const again = netintent(['compile', 'samples/dc-fabric', '--out', first, '--target', 'containerlab']);
        expect(again.stdout).toContain('0 written, 19 unchanged, 0 removed');
        expect(listFiles(first)).toEqual(listFiles(second));
        expect(Object.keys(listFiles(first)).filter(f => f.includes('.tmp-'))).toEqual([]);
    });

    it('refuses to overwrite a file it did not write, unless --force', () => {
        const out = tempDir();
        fs.mkdirSync(path.join(out, 'core1'));
        fs.writeFileSync(path.join(out, 'core1', 'frr.conf'), '! my own config\n');
        const refused = netintent(['compile', 'samples/campus', '--out', out]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('core1/frr.conf');
        expect(refused.stderr).toContain('--force');
        expect(fs.readFileSync(path.join(out, 'core1', 'frr.conf'), 'utf8')).toBe('! my own config\n');
        expect(fs.existsSync(path.join(out, 'core2'))).toBe(false);
        // A file it wrote and someone edited since is not its own any more either.
        const clean = tempDir();
        expect(netintent(['compile', 'samples/campus', '--out', clean]).code).toBe(0);
        fs.appendFileSync(path.join(clean, 'fw1', 'frr.conf'), '! hand edit\n');
        expect(netintent(['compile', 'samples/campus', '--out', clean]).code).toBe(1);
        const forced = netintent(['compile', 'samples/campus', '--out', out, '--force']);
        expect(forced.code, forced.stderr).toBe(0);
        expect(fs.readFileSync(path.join(out, 'core1', 'frr.conf'), 'utf8')).toMatch(/^frr version 8.4/);
    });

    it('never writes outside the output folder, and removes only its own stale files', () => {
        const out = tempDir();
        expect(netintent(['compile', 'samples/wan', '--out', out]).code).toBe(0);
        const manifest = JSON.parse(fs.readFileSync(path.join(out, '.netintent-manifest.json'), 'utf8'));
        manifest.files['../escape.txt'] = 'x';
        fs.writeFileSync(path.join(out, '.netintent-manifest.json'), JSON.stringify(manifest));
        fs.writeFileSync(path.join(out, '..', 'escape.txt'), 'mine');
        expect(netintent(['compile', 'samples/wan', '--out', out]).code).toBe(0);
        expect(fs.readFileSync(path.join(out, '..', 'escape.txt'), 'utf8')).toBe('mine');
    });

    it('does not compile intents with errors', () => {
        const out = tempDir();
        const run = netintent(['compile', 'samples/broken/unknown-name.intent', '--out', out]);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("Unknown segment 'webb'");
        expect(run.stderr).toContain('not compiled: 1 error to fix first');
        expect(fs.readdirSync(out)).toEqual([]);
    });

    it('names what it cannot realise in a warning at the statement', () => {
        const folder = writeWorkspace(smallWorkspace('intent i {\n  allow web -> db : tcp 22\n    avoid r2\n}\n'));
        const out = tempDir();
        const run = netintent(['compile', folder, '--out', out]);
        expect(run.code).toBe(0);
        expect(run.stderr).toBe(
            'main.intent:3:3: warning: No path leads from r1 to r3 while avoiding what it must avoid; the verifier will report this requirement as violated. [not-realisable]\n'.replace(
                'main.intent',
                path.join(folder, 'main.intent')
            )
        );
    });

    it('bad usage: no --out, an unknown target', () => {
        expect(netintent(['compile', 'samples/campus']).code).toBe(2);
        expect(netintent(['compile', 'samples/campus', '--out', tempDir(), '--target', 'junos']).code).toBe(2);
        expect(netintent(['compile', '--help']).code).toBe(0);
    });
});

describe('--target containerlab', () => {
    const schema = JSON.parse(
        fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'schemas', 'clab.schema.json'), 'utf8')
    );
    const ajv = new Ajv({ strict: false, allErrors: true });
    // The vendored schema names draft-07 by its https address; ajv knows it by http.
    ajv.addMetaSchema({
        ...JSON.parse(
            fs.readFileSync(path.join(ROOT, 'node_modules', 'ajv', 'dist', 'refs', 'json-schema-draft-07.json'), 'utf8')
        ),
        $id: 'https://json-schema.org/draft-07/schema'
    });
    const validate = ajv.compile(schema);

    it.each(['campus', 'dc-fabric', 'wan'])(
        "the %s topology is valid against containerlab's schema, with the twin's links and hosts",
        sample => {
            const out = tempDir();
            expect(netintent(['compile', `samples/${sample}`, '--out', out, '--target', 'containerlab']).code).toBe(0);
            const topology = parse(fs.readFileSync(path.join(out, `${sample}.clab.yml`), 'utf8'));
            expect(validate(topology), JSON.stringify(validate.errors)).toBe(true);
            for (const node of Object.values(topology.topology.nodes) as Array<{ binds?: string[] }>) {
                for (const bind of node.binds ?? [])
                    expect(fs.existsSync(path.join(out, bind.split(':')[0])), bind).toBe(true);
            }
        }
    );

    it('a broken topology is rejected by the same schema (the check can fail)', () => {
        expect(
            validate({
                name: 'x',
                topology: { nodes: { r1: { kind: 'linux', imag: 'x' } }, links: [{ endpoints: ['r1eth1'] }] }
            })
        ).toBe(false);
    });
});
