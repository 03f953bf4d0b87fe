/**
 * Differential: seeded random networks (rings, partial meshes, leaf-spines with a firewall leaf,
 * dual-hub WANs; OSPF or eBGP; segments, ACL intents, waypoints on ECMP alternatives, also one that
 * must survive a link failure, an external) run on real FRR; the whole state must be the compiled
 * one, real traffic must agree with the verifier on every requirement tried (each failure trial
 * traced while in force), and steering must come back after each waypoint link flapped.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../support/random.js';
import { randomNetwork } from '../support/random-networks.js';
import { ROOT } from '../support/samples.js';
import { writeWorkspace } from '../support/workspace.js';
import { needsLab } from '../support/system.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');
const COUNT = Number(process.env.RANDOM_LABS ?? 12);
const enabled = needsLab('the random lab tests');

function netintent(args: string[]) {
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe.skipIf(!enabled)('random networks on real FRR', () => {
    const next = mulberry32(6161);
    const networks = Array.from({ length: COUNT }, (_, seed) => ({ seed, ...randomNetwork(seed, next) }));

    it.each(networks)(
        'network $seed: FIBs as simulated, traffic as verified',
        ({ seed, twin, intents }) => {
            const folder = writeWorkspace({ 'net.twin.yaml': twin, 'net.intent': intents });
            const up = netintent(['lab', 'up', folder]);
            try {
                expect(up.code, `${up.stderr}\n${twin}`).toBe(0);
                // A few failure sets per survive requirement: the samples try every one.
                const test = netintent(['lab', 'test', folder, '--failure-trials', '4']);
                expect(test.code, `${test.stdout}\n${twin}\n${intents}`).toBe(0);
                expect(test.stdout).toMatch(/\n\d+ requirements tried with traffic, 0 disagree with the verifier/);
                expect(test.stdout).toMatch(/\n\d+ packets with forged sources sent from 3 segments, 0 delivered\n/);
                // Flapping each waypoint link left every steered requirement holding.
                expect(test.stdout).toMatch(/\n[1-9]\d* waypoint links flapped, 0 left a steered requirement broken\n/);
                expect(test.stdout).not.toContain('\n?');
                // For the record of what the differential compared (the CI log keeps it).
                const entries = /(\d+) FIB entries/.exec(up.stdout)?.[1];
                const tried = /\n(\d+) requirements tried/.exec(test.stdout)?.[1];
                const flapped = /\n(\d+) waypoint links flapped/.exec(test.stdout)?.[1];
                console.log(
                    `differential network ${seed}: ${entries} FIB entries equal, ${tried} requirements agree, ${flapped} waypoint links flapped`
                );
            } finally {
                netintent(['lab', 'down', folder]);
            }
            expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`ni-rand${seed}-`);
        },
        300_000
    );
});
