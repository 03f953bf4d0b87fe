/** `netintent twin export --to rfc8345` through the built CLI (docs/cli.md): a file or standard output, never overwriting by surprise. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/samples.js';
import { temporaryFolder } from '../support/temporary.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function netintent(args: string[]) {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('twin export --to rfc8345', () => {
    it('writes a twin file’s twin to --out, and refuses to overwrite it without --force', () => {
        const out = path.join(temporaryFolder('netintent-export-'), 'campus.json');
        const args = ['twin', 'export', '--to', 'rfc8345', 'samples/campus/campus.twin.yaml', '--out', out];
        const run = netintent(args);
        expect(run.stderr).toBe('');
        expect(run.stdout).toBe(`exported campus: 9 devices, 15 links (30 one-way), 6 segments → ${out}\n`);
        expect(run.code).toBe(0);
        const written = JSON.parse(fs.readFileSync(out, 'utf8'));
        expect(written['ietf-network:networks'].network[0]['network-id']).toBe('campus');
        const again = netintent(args);
        expect(again.code).toBe(2);
        expect(again.stderr).toBe(`netintent: ${out} exists; run again with --force to overwrite it.\n`);
        expect(netintent([...args, '--force']).code).toBe(0);
        expect(fs.readdirSync(path.dirname(out))).toEqual(['campus.json']);
    });

    it('writes to standard output the one twin that intent files bind', () => {
        const run = netintent(['twin', 'export', '--to', 'rfc8345', 'samples/dual-stack']);
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)['ietf-network:networks'].network[0]['network-id']).toBe('dual-stack');
    });

    it('exits 1 with the twin’s errors, 2 without --to or with several twins', () => {
        const broken = netintent(['twin', 'export', '--to', 'rfc8345', 'samples/broken/bad-twin/bad-twin.twin.yaml']);
        expect(broken.code).toBe(1);
        expect(broken.stdout).toBe('');
        expect(broken.stderr).toMatch(/bad-twin\.twin\.yaml:16:26: error: Unknown device 'r9'/);
        expect(broken.stderr).toMatch(/netintent: not exported: 5 error\(s\) in the twin to fix first\.\n$/);
        expect(netintent(['twin', 'export', 'samples/wan']).stderr).toBe(
            'netintent: twin export needs --to: rfc8345.\n'
        );
        const several = netintent(['twin', 'export', '--to', 'rfc8345', 'samples/wan', 'samples/campus']);
        expect(several.code).toBe(2);
        expect(several.stderr).toContain('twin export writes one twin; these files bind 2.');
    });
});
