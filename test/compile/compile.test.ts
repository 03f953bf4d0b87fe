/** Compiling the samples: FRR and nftables accept every file, and the output is as reviewed. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFiles } from '../../server/src/compile/targets.js';
import { ROOT, SAMPLES, sampleProgram } from '../support/samples.js';
import { requireTool, sbin } from '../support/system.js';
import { temporaryFolder } from '../support/temporary.js';

const GOLDEN = path.join(ROOT, 'test', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

async function compiled(sample: string) {
    return compileFiles(await sampleProgram(sample), 'containerlab');
}

function writeTemp(files: Map<string, string>): string {
    const folder = temporaryFolder('netintent-compiled-');
    for (const [name, content] of files) {
        fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
        fs.writeFileSync(path.join(folder, name), content);
    }
    return folder;
}

describe.each(SAMPLES)('compiling %s', sample => {
    it("every frr.conf passes FRR's own checker (vtysh -C)", async () => {
        if (!requireTool('vtysh', 'frr')) return;
        const { files } = await compiled(sample);
        const folder = writeTemp(files);
        const confs = [...files.keys()].filter(f => f.endsWith('frr.conf'));
        expect(confs.length).toBeGreaterThan(0);
        for (const conf of confs) {
            const run = spawnSync(sbin('vtysh'), ['-C', '-f', path.join(folder, conf)], { encoding: 'utf8' });
            expect(run.status, `${conf}: ${run.stdout}${run.stderr}`).toBe(0);
        }
    });

    it('every nftables ruleset passes nft -c', async () => {
        if (!requireTool('nft', 'nftables')) return;
        const { files } = await compiled(sample);
        const folder = writeTemp(files);
        for (const ruleset of [...files.keys()].filter(f => f.endsWith('nftables.nft'))) {
            const run = spawnSync(sbin('nft'), ['-c', '-f', path.join(folder, ruleset)], { encoding: 'utf8' });
            expect(run.status, `${ruleset}: ${run.stderr}`).toBe(0);
        }
    });

    it('every policy-routing script is valid sh', async () => {
        const { files } = await compiled(sample);
        const folder = writeTemp(files);
        for (const script of [...files.keys()].filter(f => f.endsWith('.sh'))) {
            execFileSync('sh', ['-n', path.join(folder, script)]);
        }
    });

    it('matches the reviewed golden files (UPDATE_GOLDEN=1 rewrites them)', async () => {
        const { files } = await compiled(sample);
        const folder = path.join(GOLDEN, sample);
        if (UPDATE) {
            fs.rmSync(folder, { recursive: true, force: true });
            for (const [name, content] of files) {
                fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
                fs.writeFileSync(path.join(folder, name), content);
            }
        }
        const golden = fs
            .readdirSync(folder, { recursive: true, withFileTypes: true })
            .filter(e => e.isFile())
            .map(e => path.relative(folder, path.join(e.parentPath, e.name)))
            .sort();
        expect(golden).toEqual([...files.keys()].sort());
        for (const [name, content] of files)
            expect(content, name).toBe(fs.readFileSync(path.join(folder, name), 'utf8'));
    });
});
