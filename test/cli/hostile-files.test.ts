/**
 * Hostile files given to the built CLI: twins outside the workspace, FIFOs, devices, folders and
 * huge files where a file is expected. Every run ends (within the spawn timeout), with exit 0, 1
 * or 2 and a clear message, never an internal error, and quotes nothing of a file that is no twin.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InitializeParams } from 'vscode-languageserver';
import { URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { describe, expect, it } from 'vitest';
import { MB } from '../../server/src/common/files.js';
import { createNetintentServices } from '../../server/src/language/netintent-module.js';
import { SMALL_TWIN, writeWorkspace } from '../support/workspace.js';

const ROOT = path.join(__dirname, '..', '..');
const NODE = path.join(ROOT, 'node_modules', 'node', 'bin', 'node');
const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

/** The CLI in a child process, killed after 10 s: a run that hangs fails here. */
function netintent(args: string[], cwd: string) {
    const result = spawnSync(NODE, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 10_000 });
    expect(result.error?.message, `netintent ${args.join(' ')} did not end`).toBeUndefined();
    expect(result.stderr).not.toContain('internal error');
    expect([0, 1, 2]).toContain(result.status);
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function mkfifo(file: string): void {
    execFileSync('mkfifo', [file]);
}

/** What /etc/shadow looks like: a YAML mapping whose keys hold what must not reach a report. */
const SHADOW =
    ['root', 'daemon', 'admin'].map(user => `${user}:$6$${'s'.repeat(30)}LEAKED-HASH:19000:0:99999:7:::`).join('\n') +
    '\n';

describe('twins outside the workspace', () => {
    it('a twin path outside the folders given is an error at the twin line, in every format, saying how to allow it', () => {
        const secrets = writeWorkspace({ shadow: SHADOW });
        const shadow = path.join(secrets, 'shadow');
        const folder = writeWorkspace({ 'a.intent': `twin "${shadow}"\ndefault deny\n` });
        for (const format of ['text', 'json', 'sarif']) {
            const run = netintent(['check', '.', '--format', format], folder);
            expect(run.code).toBe(1);
            expect(run.stdout).not.toContain('LEAKED');
            expect(run.stdout).not.toContain('root:');
            expect(run.stdout).toContain('is outside the workspace');
        }
        const text = netintent(['check', 'a.intent'], folder).stdout;
        expect(text).toContain(
            `a.intent:1:6: error: The twin '${shadow}' has 1 error; the first, at shadow:1:1: '${shadow}' is outside the workspace (${folder}): twins and their topologies are read only inside it. To read it, run with --allow-outside ${shadow}. [twin-error]`
        );
    });

    it('--allow-outside reads it; a diagnostic then quotes no more than 40 characters of a key', () => {
        const secrets = writeWorkspace({ shadow: SHADOW });
        const folder = writeWorkspace({ 'a.intent': `twin "${path.join(secrets, 'shadow')}"\ndefault deny\n` });
        const run = netintent(['check', '.', '--allow-outside', secrets], folder);
        expect(run.code).toBe(1);
        expect(run.stdout).not.toContain('outside the workspace');
        expect(run.stdout).toContain(`shadow:1:1: error: Unknown key 'root:$6$${'s'.repeat(30)}LE…' in the twin.`);
        expect(run.stdout).not.toContain('LEAKED');
    });

    it('a topology outside, or a link in the workspace to a file outside, is refused at the line that names it', () => {
        const secrets = writeWorkspace({ shadow: SHADOW, 'lab.clab.yml': 'name: lab\ntopology:\n  nodes: {}\n' });
        const folder = writeWorkspace({
            'net.twin.yaml': `pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/24 }\ntopology: ${path.join(secrets, 'lab.clab.yml')}\n`,
            'a.intent': 'twin "net.twin.yaml"\ndefault deny\n',
            'b.intent': 'twin "link.twin.yaml"\ndefault deny\n'
        });
        fs.symlinkSync(path.join(secrets, 'shadow'), path.join(folder, 'link.twin.yaml'));
        const run = netintent(['check', '.'], folder);
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(
            /^net\.twin\.yaml:2:11: error: '\S+lab\.clab\.yml' is outside the workspace .* \[unreadable-file\]$/m
        );
        expect(run.stdout).toMatch(
            /^b\.intent:1:6: error: The twin 'link\.twin\.yaml' has 1 error; .*link\.twin\.yaml' is outside the workspace/m
        );
        expect(run.stdout).not.toContain('LEAKED');
    });
});

describe('special files where a file is expected', () => {
    it('a FIFO as twin is an error at the twin line; a FIFO named .intent in a folder is passed over', () => {
        const folder = writeWorkspace({ 'a.intent': 'twin "fifo.twin.yaml"\ndefault deny\n' });
        mkfifo(path.join(folder, 'fifo.twin.yaml'));
        mkfifo(path.join(folder, 'fifo.intent'));
        const run = netintent(['check', '.'], folder);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain(
            `a.intent:1:6: error: The twin 'fifo.twin.yaml' has 1 error; the first, at fifo.twin.yaml:1:1: '${path.join(folder, 'fifo.twin.yaml')}' is a FIFO, not a regular file.`
        );
        expect(run.stdout).toContain('1 intent:');
    });

    it('a FIFO or a device given on the command line is bad usage, exit 2', () => {
        const folder = writeWorkspace({});
        mkfifo(path.join(folder, 'fifo.intent'));
        const fifo = netintent(['check', 'fifo.intent'], folder);
        expect(fifo.code).toBe(2);
        expect(fifo.stderr).toBe(`netintent: '${path.join(folder, 'fifo.intent')}' is a FIFO, not a regular file.\n`);
        const device = netintent(['check', '/dev/null'], folder);
        expect(device.code).toBe(2);
        expect(device.stderr).toBe("netintent: '/dev/null' is a character device, not a regular file.\n");
    });

    it('/dev/zero, a folder and a file over 10 MB as twins are errors at their twin lines', () => {
        const folder = writeWorkspace({
            'zero.intent': 'twin "/dev/zero"\n',
            'folder.intent': 'twin "sub"\n',
            'big.intent': 'twin "big.twin.yaml"\n',
            'big.twin.yaml': '',
            'sub/x': ''
        });
        fs.truncateSync(path.join(folder, 'big.twin.yaml'), 10 * MB + 1);
        const run = netintent(['check', '.', '--allow-outside', '/dev/zero'], folder);
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(
            /^zero\.intent:1:6: error: .*'\/dev\/zero' is a character device, not a regular file\. \[twin-error\]$/m
        );
        expect(run.stdout).toMatch(
            /^folder\.intent:1:6: error: .*'\S+\/sub' is a folder, not a regular file\. \[twin-error\]$/m
        );
        expect(run.stdout).toMatch(
            /^big\.intent:1:6: error: .*'\S+\/big\.twin\.yaml' is larger than 10 MB, more than netintent reads\. \[twin-error\]$/m
        );
    });

    it('an intent file over the cap is bad usage, exit 2', () => {
        const folder = writeWorkspace({ 'small.twin.yaml': SMALL_TWIN });
        fs.writeFileSync(path.join(folder, 'huge.intent'), 'twin "small.twin.yaml"\n');
        fs.truncateSync(path.join(folder, 'huge.intent'), 10 * MB + 1);
        const run = netintent(['check', '.'], folder);
        expect(run.code).toBe(2);
        expect(run.stderr).toBe(
            `netintent: '${path.join(folder, 'huge.intent')}' is larger than 10 MB, more than netintent reads.\n`
        );
    });

    it('verify --configs: a FIFO frr.conf and a folder for nftables.nft are errors at their devices in the twin', () => {
        const folder = writeWorkspace({
            'small.twin.yaml': SMALL_TWIN,
            'main.intent':
                'twin "small.twin.yaml"\ndefault deny\nintent web-db { allow segment web -> segment db : tcp 5432 }\n'
        });
        expect(netintent(['compile', '.', '--out', 'out'], folder).code).toBe(0);
        fs.rmSync(path.join(folder, 'out', 'r1', 'frr.conf'));
        mkfifo(path.join(folder, 'out', 'r1', 'frr.conf'));
        fs.rmSync(path.join(folder, 'out', 'r3', 'nftables.nft'));
        fs.mkdirSync(path.join(folder, 'out', 'r3', 'nftables.nft'));
        const run = netintent(['verify', '.', '--configs', 'out'], folder);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain(
            `small.twin.yaml:4:3: error: Cannot read the configuration of device r1: 'out/r1/frr.conf' is a FIFO, not a regular file. [missing-config]`
        );
        expect(run.stdout).toContain(
            `small.twin.yaml:6:3: error: Cannot read the configuration of device r3: 'out/r3/nftables.nft' is a folder, not a regular file. [missing-config]`
        );
        expect(run.stdout).not.toMatch(/holds/);
    });
});

describe('the language server', () => {
    it("keeps twins to the editor's workspace folders, and reads intent files as the CLI does", () => {
        const secrets = writeWorkspace({ shadow: SHADOW });
        const folder = writeWorkspace({});
        mkfifo(path.join(folder, 'fifo.intent'));
        fs.writeFileSync(path.join(folder, 'huge.intent'), '');
        fs.truncateSync(path.join(folder, 'huge.intent'), 10 * MB + 1);
        const { shared } = createNetintentServices(NodeFileSystem);
        shared.workspace.WorkspaceManager.initialize({
            workspaceFolders: [{ uri: URI.file(folder).toString(), name: 'ws' }]
        } as InitializeParams);
        const loaded = shared.twin.TwinWorkspace.get(path.join(secrets, 'shadow'));
        expect(loaded.diagnostics.map(d => d.message)).toEqual([
            `'${path.join(secrets, 'shadow')}' is outside the workspace (${folder}): twins and their topologies are read only inside it. To read it, add a folder that holds it to the editor's workspace.`
        ]);
        const files = shared.workspace.FileSystemProvider;
        expect(() => files.readFileSync(URI.file(path.join(folder, 'fifo.intent')))).toThrow(
            'is a FIFO, not a regular file'
        );
        // What the workspace indexes: never a file it cannot read, which would stop the indexing.
        expect(files.readDirectorySync(URI.file(folder)).filter(entry => entry.isFile)).toEqual([]);
    });
});
