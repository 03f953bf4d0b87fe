/**
 * The lab on real FRR: for every sample, the compiled network runs in network namespaces, and
 * every device's FIB must equal the simulated one (prefix → next hops); `down` leaves nothing
 * behind, also after `up` was killed midway. Needs root, Debian's frr, nftables and iproute2
 * (.ci/run installs them); without them the tests are skipped loudly, and fail under CI=true.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/samples.js';
import { writeWorkspace } from '../support/workspace.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function labAvailable(): boolean {
    const tools: Record<string, string[]> = {
        'frr (zebra)': ['/usr/lib/frr/zebra'], vtysh: ['/usr/bin/vtysh'], nft: ['/usr/sbin/nft'], ip: ['/usr/sbin/ip', '/usr/bin/ip', '/sbin/ip', '/bin/ip']
    };
    const missing = [...(process.getuid?.() === 0 ? [] : ['root']), ...Object.entries(tools).filter(([, paths]) => !paths.some(p => fs.existsSync(p))).map(([name]) => name)];
    if (missing.length === 0) return true;
    const message = `the lab tests need ${missing.join(', ')}; SKIPPED (.ci/run installs them).`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! ${message}\n`);
    return false;
}

function netintent(args: string[]) {
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** What a lab leaves on the machine: its namespaces and FRR processes of its path spaces. */
function leftovers(lab: string): string[] {
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter(l => l.startsWith(`ni-${lab}-`));
    const processes = spawnSync('pgrep', ['-af', `frr/.* ni-${lab}-`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    return [...namespaces, ...processes];
}

describe.skipIf(!labAvailable())('the lab', () => {
    it.each(['campus', 'dc-fabric', 'wan', 'violations'])('runs %s on FRR with every FIB as simulated, and leaves nothing behind', sample => {
        const up = netintent(['lab', 'up', `samples/${sample}`]);
        try {
            expect(up.code, up.stderr).toBe(0);
            expect(up.stdout).toMatch(/devices converged in [\d.]+ s, \d+ FIB entries as simulated\n$/);
            const status = netintent(['lab', 'status', `samples/${sample}`]);
            expect(status.stdout).toContain('every FIB is the simulated one');
            // Real traffic agrees with the verifier on every requirement tried.
            const test = netintent(['lab', 'test', `samples/${sample}`]);
            expect(test.code, test.stdout).toBe(0);
            expect(test.stdout).toMatch(/\n\d+ requirements tried with traffic, 0 disagree with the verifier/);
            // Every segment's test host forged a source: no such packet arrived anywhere.
            expect(test.stdout).toMatch(/\n\d+ packets with forged sources sent from \d+ segments, 0 delivered\n/);
            expect(test.stdout).not.toContain('✗');
            const entries = /(\d+) FIB entries as simulated/.exec(up.stdout)?.[1];
            const tried = /\n(\d+) requirements tried/.exec(test.stdout)?.[1];
            console.log(`differential ${sample}: ${entries} FIB entries equal, ${tried} requirements agree`);
        } finally {
            const down = netintent(['lab', 'down', `samples/${sample}`]);
            expect(down.code, down.stderr).toBe(0);
        }
        expect(leftovers(sample)).toEqual([]);
    }, 240_000);

    it('down cleans up after up was killed (kill -9) midway', async () => {
        const state = '/run/netintent/wan.json';
        const up = spawn(process.execPath, [BIN, 'lab', 'up', 'samples/wan'], { cwd: ROOT, stdio: 'ignore' });
        // Kill it once some devices exist but before it is done.
        for (let i = 0; i < 300; i++) {
            const made = fs.existsSync(state) ? (JSON.parse(fs.readFileSync(state, 'utf8')) as { namespaces: string[] }).namespaces.length : 0;
            if (made >= 3) break;
            await new Promise(resolve => setTimeout(resolve, 20));
        }
        up.kill('SIGKILL');
        await new Promise(resolve => up.once('exit', resolve));
        // What it made so far is still there ...
        expect(leftovers('wan').length).toBeGreaterThan(0);
        const down = netintent(['lab', 'down', 'samples/wan']);
        expect(down.code, down.stderr).toBe(0);
        expect(leftovers('wan')).toEqual([]);
        expect(fs.existsSync(state)).toBe(false);
    }, 120_000);

    it('twin sync writes what is down into the twin, keeping its comments, and compares the live FIBs', async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'netintent-sync-'));
        fs.cpSync(path.join(ROOT, 'samples', 'violations'), folder, { recursive: true });
        const twinFile = path.join(folder, 'violations.twin.yaml');
        const original = fs.readFileSync(twinFile, 'utf8');
        expect(netintent(['lab', 'up', folder]).code).toBe(0);
        try {
            spawnSync('ip', ['-n', 'ni-violations-r2', 'link', 'set', 'eth2', 'down']);
            // Until OSPF notices (dead interval 3 s), the live FIBs still differ from the simulated ones.
            let sync = netintent(['twin', 'sync', folder]);
            for (let i = 0; i < 40 && sync.code !== 0; i++) {
                await new Promise(resolve => setTimeout(resolve, 500));
                sync = netintent(['twin', 'sync', folder]);
            }
            expect(sync.code, sync.stdout).toBe(0);
            expect(sync.stdout).toContain('2 interface(s) down: r2:eth2, r3:eth1');
            expect(sync.stdout).toContain('every live FIB is the simulated one');
            const synced = fs.readFileSync(twinFile, 'utf8');
            expect(synced.split('\n').slice(0, 2)).toEqual(original.split('\n').slice(0, 2));
            expect(synced).toMatch(/\nstate:\n {2}observed: \d{4}-\d\d-\d\dT[\d:]+Z\n {2}down: \[ r2:eth2, r3:eth1 \]\n$/);
        } finally {
            netintent(['lab', 'down', folder]);
        }
    }, 120_000);

    it('a forged source arrives where an edge has no anti-spoofing: lab test sees it and fails', () => {
        // Default allow: only the guard stops sb from claiming sa's address, which may reach sc.
        const folder = writeWorkspace({
            'spoof.twin.yaml': [
                'network: spoof', 'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }',
                'devices:', '  r1: { role: access }', '  r2: { role: access }', '  r3: { role: access }',
                'links:', '  - endpoints: [r1:eth1, r2:eth1]', '  - endpoints: [r2:eth2, r3:eth1]',
                'segments:', '  sa: { prefix: 10.1.1.0/24, attach: r1:eth10 }', '  sb: { prefix: 10.1.2.0/24, attach: r2:eth10 }', '  sc: { prefix: 10.1.3.0/24, attach: r3:eth10 }'
            ].join('\n') + '\n',
            'spoof.intent': 'twin "spoof.twin.yaml"\nintent dns { allow segment sa -> segment sc : udp 53 }\nintent rest { deny segment sb -> segment sc : udp 53 }\n'
        });
        const up = netintent(['lab', 'up', folder]);
        try {
            expect(up.code, up.stderr).toBe(0);
            const guarded = netintent(['lab', 'test', folder]);
            expect(guarded.code, guarded.stdout).toBe(0);
            expect(guarded.stdout).toContain('✓ forged source from segment sb, claiming segment sa: udp 10.1.1.');
            spawnSync('ip', ['netns', 'exec', 'ni-spoof-r2', 'nft', 'flush', 'chain', 'inet', 'netintent', 'guard']);
            const open = netintent(['lab', 'test', folder]);
            expect(open.code).toBe(1);
            expect(open.stdout).toMatch(/✗ forged source from segment sb, claiming segment sa: udp 10\.1\.1\.\d+ -> 10\.1\.3\.\d+:53 delivered/);
        } finally {
            netintent(['lab', 'down', folder]);
        }
        expect(leftovers('spoof')).toEqual([]);
    }, 180_000);

    it('refuses a second up of the same lab, and down of a lab that is not up', () => {
        const down = netintent(['lab', 'down', 'samples/violations']);
        expect(down.code).toBe(2);
        expect(down.stderr).toContain('no lab violations is up');
    });
});
