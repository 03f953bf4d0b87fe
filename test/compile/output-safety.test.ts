/**
 * `netintent compile --out DIR` against hostile or broken output folders: links, crafted
 * manifests, folders that cannot be one, a run killed while it writes, two runs at once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOutput } from '../../server/src/compile/output.js';
import { COMPILE_REQUEST, type CompileParams, type CompileResult } from '../../server/src/lsp/protocol.js';
import { FAMILIES, networkFiles } from '../bench/generate.js';
import { LspClient } from '../lsp/lsp-client.js';
import { ROOT } from '../support/samples.js';
import { temporaryFolder } from '../support/temporary.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');
// What compile keeps in the output folder besides the files (docs/cli.md).
const MANIFEST = '.netintent-manifest.json';
const JOURNAL = '.netintent-journal.json';
const LOCK = '.netintent-lock';
// The CLI itself, not bin's re-run of itself on an older Node: a kill must reach the process that writes.
const NODE =
    Number(process.versions.node.split('.')[0]) >= 22
        ? process.execPath
        : path.join(ROOT, 'node_modules', 'node', 'bin', 'node');

interface Run {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

function netintent(args: string[], timeout = 60_000): Run {
    const run = spawnSync(NODE, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout });
    return { code: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}

/** A CLI run in the background: the process, and its end. */
function startNetintent(args: string[]) {
    const child = spawn(NODE, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => {
        stdout += chunk;
    });
    child.stderr.on('data', chunk => {
        stderr += chunk;
    });
    const ended = new Promise<Run>(resolve =>
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    );
    return { child, ended };
}

function tempDir(): string {
    return temporaryFolder('netintent-safety-');
}

/** Every regular file under `folder` (dot files too) → its content. */
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

function sha256(text: string): string {
    return createHash('sha256').update(text).digest('hex');
}

/** The pid of a process that has ended. */
function pidOfEndedProcess(): number {
    return Number(spawnSync(NODE, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('links in the output folder', () => {
    it('a linked device folder is refused, naming the link; nothing is written, here or there', () => {
        const parent = tempDir();
        const out = path.join(parent, 'out');
        fs.mkdirSync(out);
        fs.mkdirSync(path.join(parent, 'elsewhere'));
        fs.symlinkSync('../elsewhere', path.join(out, 'core1'));
        for (const force of [[], ['--force']]) {
            const run = netintent(['compile', 'samples/campus', '--out', out, ...force]);
            expect(run.code, run.stderr).toBe(2);
            expect(run.stderr).toContain('core1 is a symbolic link (to ../elsewhere)');
            expect(run.stderr).not.toContain('internal error');
            expect(fs.readdirSync(path.join(parent, 'elsewhere'))).toEqual([]);
            expect(fs.readdirSync(out)).toEqual(['core1']);
        }
    });

    it('a linked file is refused, even with --force, and what it points to is untouched', () => {
        const parent = tempDir();
        const out = path.join(parent, 'out');
        fs.mkdirSync(path.join(out, 'core1'), { recursive: true });
        fs.writeFileSync(path.join(parent, 'victim.conf'), 'precious\n');
        fs.symlinkSync('../../victim.conf', path.join(out, 'core1', 'frr.conf'));
        const run = netintent(['compile', 'samples/campus', '--out', out, '--force']);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain('core1/frr.conf is a symbolic link');
        expect(fs.readFileSync(path.join(parent, 'victim.conf'), 'utf8')).toBe('precious\n');
        expect(fs.lstatSync(path.join(out, 'core1', 'frr.conf')).isSymbolicLink()).toBe(true);
        expect(fs.readdirSync(out)).toEqual(['core1']);
    });

    it('a file where a device folder goes, or a named pipe where a file goes: a usage error naming it, never a hang', () => {
        const out = tempDir();
        fs.writeFileSync(path.join(out, 'core1'), 'mine\n');
        const file = netintent(['compile', 'samples/campus', '--out', out]);
        expect(file.code, file.stderr).toBe(2);
        expect(file.stderr).toContain('core1 is a file');
        expect(file.stderr).not.toContain('internal error');
        const piped = tempDir();
        fs.mkdirSync(path.join(piped, 'core1'));
        expect(spawnSync('mkfifo', [path.join(piped, 'core1', 'frr.conf')]).status).toBe(0);
        const pipe = netintent(['compile', 'samples/campus', '--out', piped], 15_000);
        expect(pipe.signal, 'compile hung on a named pipe').toBeNull();
        expect(pipe.code, pipe.stderr).toBe(2);
        expect(pipe.stderr).toContain('core1/frr.conf is a named pipe');
    });
});

describe('the manifest is untrusted input', () => {
    it('a crafted entry through a link, outside, absolute or with `..` is ignored with a warning, and deletes nothing', () => {
        const parent = tempDir();
        const out = path.join(parent, 'out');
        expect(netintent(['compile', 'samples/wan', '--out', out]).code).toBe(0);
        fs.mkdirSync(path.join(parent, 'outside'));
        const victim = path.join(parent, 'outside', 'victim.txt');
        fs.writeFileSync(victim, 'precious\n');
        fs.symlinkSync('../outside', path.join(out, 'trap'));
        const manifest = JSON.parse(fs.readFileSync(path.join(out, MANIFEST), 'utf8'));
        const digest = sha256('precious\n');
        Object.assign(manifest.files, {
            'trap/victim.txt': digest,
            '../outside/victim.txt': digest,
            [victim]: digest,
            'trap/./victim.txt': digest,
            'x/frr.conf': 'not a hash'
        });
        fs.writeFileSync(path.join(out, MANIFEST), JSON.stringify(manifest));
        const run = netintent(['compile', 'samples/wan', '--out', out]);
        expect(run.code, run.stderr).toBe(0);
        expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
        expect(run.stderr).toContain('warning: .netintent-manifest.json: 4 entries ignored');
        expect(run.stderr).toContain('"../outside/victim.txt"');
        expect(run.stderr).toContain(
            'trap/victim.txt (of an earlier compile) left alone: trap is a symbolic link (to ../outside)'
        );
        // The next manifest lists only what this compile wrote.
        expect(
            Object.keys(JSON.parse(fs.readFileSync(path.join(out, MANIFEST), 'utf8')).files).every(
                f => !f.includes('victim')
            )
        ).toBe(true);
    });

    it("a manifest that is not JSON of the expected shape counts as none: files it cannot prove are netintent's are not overwritten", () => {
        for (const broken of ['{ not json', '{"files": ["core1/frr.conf"]}', 'null']) {
            const out = tempDir();
            expect(netintent(['compile', 'samples/campus', '--out', out]).code).toBe(0);
            fs.writeFileSync(path.join(out, 'core1', 'frr.conf'), '! my own config\n');
            fs.writeFileSync(path.join(out, MANIFEST), broken);
            const run = netintent(['compile', 'samples/campus', '--out', out]);
            expect(run.code, run.stderr).toBe(1);
            expect(run.stderr).toContain('warning: .netintent-manifest.json is not one netintent wrote');
            expect(run.stderr).toContain('core1/frr.conf');
            expect(fs.readFileSync(path.join(out, 'core1', 'frr.conf'), 'utf8')).toBe('! my own config\n');
            // Files identical to what it writes are its own again: with the hand-written one moved away, it compiles.
            fs.rmSync(path.join(out, 'core1', 'frr.conf'));
            expect(netintent(['compile', 'samples/campus', '--out', out]).code).toBe(0);
        }
    });
});

describe('output folders that cannot be one', () => {
    it.each(['/proc/netintent-out', '/sys/netintent-out', '/dev/netintent-out'])(
        '--out %s is a usage error, at once',
        folder => {
            const started = Date.now();
            try {
                const run = netintent(['compile', 'samples/campus', '--out', folder], 15_000);
                expect(run.signal, 'compile hung').toBeNull();
                expect(run.code).toBe(2);
                expect(run.stderr).toMatch(
                    /holds the kernel's interfaces, not files on a disk\. Choose an output folder on a disk/
                );
                expect(Date.now() - started).toBeLessThan(10_000);
                expect(fs.existsSync(folder)).toBe(false);
            } finally {
                // What a failing compile (as root) may have written into /dev.
                fs.rmSync(folder, { recursive: true, force: true });
            }
        }
    );

    it('a path under a regular file is a usage error naming the file, not an internal error', () => {
        const file = path.join(tempDir(), 'hostname');
        fs.writeFileSync(file, 'h\n');
        const run = netintent(['compile', 'samples/campus', '--out', path.join(file, 'sub')]);
        expect(run.code).toBe(2);
        expect(run.stderr).toBe(
            `netintent: cannot use ${path.join(file, 'sub')} as the output folder: ${file} is a file, not a folder. Choose an output folder that is not a file or inside one.\n`
        );
    });

    describe("through the editor's compile request", () => {
        const folder = tempDir();
        fs.cpSync(path.join(ROOT, 'samples', 'campus'), folder, { recursive: true });
        const uri = `file://${path.join(folder, 'policy.intent')}`;
        let client: LspClient;

        beforeAll(async () => {
            client = new LspClient();
            await client.initialize(folder);
            await client.connection.sendNotification('textDocument/didOpen', {
                textDocument: {
                    uri,
                    languageId: 'netintent',
                    version: 1,
                    text: fs.readFileSync(path.join(folder, 'policy.intent'), 'utf8')
                }
            });
            await client.diagnosticsFor(uri, () => true);
        });

        afterAll(async () => {
            // A deaf server (what this guards against) never answers the shutdown: end it all the same.
            const stopped = await Promise.race([client.stop().then(() => true), sleep(5_000).then(() => false)]);
            if (!stopped) (client as unknown as { process: ChildProcess }).process.kill('SIGKILL');
        });

        async function compileInto(outDir: string): Promise<CompileResult> {
            const timeout = new Promise<never>((_, reject) =>
                setTimeout(() => reject(new Error('the compile request got no answer')), 10_000)
            );
            const params: CompileParams = { uri, outDir, target: 'frr' };
            return Promise.race([client.connection.sendRequest<CompileResult>(COMPILE_REQUEST, params), timeout]);
        }

        it('answers with an error, and the server stays responsive', async () => {
            expect((await compileInto('/proc/netintent-out')).error).toMatch(
                /^cannot write the output to \/proc\/netintent-out: \/proc holds the kernel's interfaces/
            );
            const elsewhere = tempDir();
            fs.mkdirSync(path.join(folder, 'linked'));
            fs.symlinkSync(elsewhere, path.join(folder, 'linked', 'core1'));
            expect((await compileInto('linked')).error).toContain(`core1 is a symbolic link (to ${elsewhere})`);
            expect(fs.readdirSync(elsewhere)).toEqual([]);
            expect((await compileInto('build')).written).toBe(35);
        });
    });
});

describe('the lock on the output folder', () => {
    const files = new Map([
        ['r1/frr.conf', 'frr\n'],
        ['r1/daemons', 'daemons\n']
    ]);

    it('a live holder: waits a bounded time, then refuses naming its pid; nothing is written', async () => {
        const out = tempDir();
        const holder = spawn(NODE, ['-e', 'setTimeout(() => {}, 60_000)']);
        try {
            fs.writeFileSync(path.join(out, LOCK), JSON.stringify({ pid: holder.pid, host: os.hostname() }) + '\n');
            const started = Date.now();
            await expect(writeOutput(out, files, { force: false, lockTimeout: 400 })).rejects.toThrow(
                `is being written by process ${holder.pid} (another netintent compile)`
            );
            expect(Date.now() - started).toBeGreaterThanOrEqual(400);
            expect(fs.readdirSync(out)).toEqual([LOCK]);
            // Released while another waits: that one goes on.
            setTimeout(() => fs.rmSync(path.join(out, LOCK)), 200);
            const result = await writeOutput(out, files, { force: false, lockTimeout: 10_000 });
            expect(result.written).toEqual(['r1/daemons', 'r1/frr.conf']);
        } finally {
            holder.kill();
        }
    });

    it('a stale lock (its process is gone) is taken over, and released after', async () => {
        const out = tempDir();
        fs.writeFileSync(
            path.join(out, LOCK),
            JSON.stringify({ pid: pidOfEndedProcess(), host: os.hostname() }) + '\n'
        );
        const result = await writeOutput(out, files, { force: false, lockTimeout: 400 });
        expect(result.written).toEqual(['r1/daemons', 'r1/frr.conf']);
        expect(fs.readdirSync(out).sort()).toEqual([MANIFEST, 'r1']);
    });
});

describe('temporary files', () => {
    it('those netintent owns (NAME.tmp-PID beside its files and records) are removed; others are not', async () => {
        const out = tempDir();
        const files = new Map([['r1/frr.conf', 'frr\n']]);
        await writeOutput(out, files, { force: false });
        const leftovers = [
            'r1/frr.conf.tmp-4194303',
            `${MANIFEST}.tmp-17`,
            `${JOURNAL}.tmp-17`,
            `${LOCK}.tmp-${pidOfEndedProcess()}`
        ];
        const others = ['r1/notes.tmp-12', 'r1/frr.conf.tmp-x', 'other.tmp-3'];
        for (const name of [...leftovers, ...others]) fs.writeFileSync(path.join(out, name), 'half\n');
        await writeOutput(out, files, { force: false });
        expect(Object.keys(listFiles(out)).sort()).toEqual([
            MANIFEST,
            'other.tmp-3',
            'r1/frr.conf',
            'r1/frr.conf.tmp-x',
            'r1/notes.tmp-12'
        ]);
    });
});

describe('large compiles (two 1,000-device Clos fabrics, test/bench/generate.ts)', () => {
    /** Two fabrics of the same devices and different intents, each compiled cleanly. */
    const fabrics = {
        first: '',
        second: '',
        secondOut: '',
        firstFiles: {} as Record<string, string>,
        secondFiles: {} as Record<string, string>
    };

    beforeAll(() => {
        const compiledFabric = (seed: number) => {
            const folder = tempDir();
            for (const [file, text] of Object.entries(networkFiles(FAMILIES.clos(1000, 1000, seed))))
                fs.writeFileSync(path.join(folder, file), text);
            const out = path.join(tempDir(), 'out');
            const run = netintent(['compile', folder, '--out', out]);
            if (run.code !== 0) throw new Error(run.stderr);
            return { folder, out, files: listFiles(out) };
        };
        const first = compiledFabric(1);
        const second = compiledFabric(2);
        Object.assign(fabrics, {
            first: first.folder,
            second: second.folder,
            secondOut: second.out,
            firstFiles: first.files,
            secondFiles: second.files
        });
    });

    it('a run killed while it writes leaves no debris: the next plain compile succeeds and leaves what an uninterrupted run leaves', async () => {
        let killedWhileWriting = 0;
        // Killed when a share of the files is written (they are written in sorted order), or when the
        // manifest is; into an earlier compile of other intents (half old, half new), or into nothing.
        const kills: Array<{ from?: string; at: number | 'manifest' }> = [
            { from: fabrics.secondOut, at: 0 },
            { from: fabrics.secondOut, at: 0.3 },
            { from: fabrics.secondOut, at: 0.7 },
            { from: fabrics.secondOut, at: 1 },
            { from: fabrics.secondOut, at: 'manifest' },
            { at: 0.5 }
        ];
        for (const { from, at } of kills) {
            const out = path.join(tempDir(), 'out');
            if (from) fs.cpSync(from, out, { recursive: true });
            else fs.mkdirSync(out);
            const changing = Object.keys(fabrics.firstFiles)
                .sort()
                .filter(f => f !== MANIFEST && contentOf(out, f) !== fabrics.firstFiles[f]);
            const marker = path.join(
                out,
                at === 'manifest' ? MANIFEST : changing[Math.min(changing.length - 1, Math.floor(at * changing.length))]
            );
            const before = inode(marker);
            const { child, ended } = startNetintent(['compile', fabrics.first, '--out', out]);
            let exited = false;
            void ended.then(() => {
                exited = true;
            });
            while (!exited && inode(marker) === before) await new Promise(resolve => setTimeout(resolve, 1));
            child.kill('SIGKILL');
            if ((await ended).signal === 'SIGKILL') killedWhileWriting++;
            const again = netintent(['compile', fabrics.first, '--out', out]);
            expect(again.code, `killed at ${at}: ${again.stderr}`).toBe(0);
            const left = listFiles(out);
            expect(Object.keys(left).filter(f => f.includes('.tmp-') || f === JOURNAL || f === LOCK)).toEqual([]);
            expect(
                isDeepStrictEqual(left, fabrics.firstFiles),
                `killed at ${at}: not what an uninterrupted run leaves`
            ).toBe(true);
        }
        expect(killedWhileWriting).toBeGreaterThan(0);
    }, 180_000);

    it('two compiles into one folder at once: both succeed, the folder is one of theirs, no false refusal', async () => {
        for (let pair = 0; pair < 5; pair++) {
            const out = path.join(tempDir(), 'out');
            const [first, second] = await Promise.all([
                startNetintent(['compile', fabrics.first, '--out', out]).ended,
                startNetintent(['compile', fabrics.second, '--out', out]).ended
            ]);
            for (const run of [first, second]) {
                expect(run.code, run.stderr).toBe(0);
                expect(run.stderr).not.toContain('not written by netintent');
            }
            const left = listFiles(out);
            expect(
                [fabrics.firstFiles, fabrics.secondFiles].some(reference => isDeepStrictEqual(reference, left)),
                `pair ${pair}: the folder is neither compile's output`
            ).toBe(true);
        }
    }, 180_000);
});

function inode(file: string): number | undefined {
    return fs.statSync(file, { throwIfNoEntry: false })?.ino;
}

function contentOf(folder: string, relative: string): string | undefined {
    const file = path.join(folder, relative);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}
