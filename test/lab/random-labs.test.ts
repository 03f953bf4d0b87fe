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
import { needsLab } from '../support/system.js';
import { checkFiles } from '../../server/src/check/check.js';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { applyFailures, waitForConvergence } from '../../server/src/lab/converge.js';
import { labName, readState } from '../../server/src/lab/lab.js';
import { NO_FAILURES } from '../../server/src/simulate/network.js';
import { netintentServices, writeWorkspace } from '../support/workspace.js';

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

    // Dual stack, OSPF (seeds 0-3: a ring, a mesh, a leaf-spine, a dual-hub WAN): up returns once
    // both families' FIBs are the simulated ones (OSPFv2 and OSPFv3); then three links fail one
    // at a time, and each time both families' FIBs must become the simulator's for the failure,
    // and the intact ones again once the link is back, with no difference at all: FRR 8.4's ospf6d
    // keeps stale equal-cost routes to a prefix that two routers announce after a failure
    // (FRRouting/frr#13579 class; lab/state.ts keeps such differences apart as `known`), and the
    // compiler has one end of each link announce its subnet so that there is none (when both
    // ends announced it, these networks showed 3, 1, 9 and 7 known differences). Before the
    // failures, real traffic of both families must agree with the verifier on every requirement
    // tried.
    const next6 = mulberry32(6262);
    const dualStack = Array.from({ length: 4 }, (_, seed) => ({ seed, ...randomNetwork(seed, next6, true) }));
    it.each(dualStack)(
        'dual-stack network $seed: FIBs of both families as simulated, also with a link failed and back',
        async ({ seed, twin, intents }) => {
            const folder = writeWorkspace({ 'net.twin.yaml': twin, 'net.intent': intents });
            const up = netintent(['lab', 'up', folder]);
            try {
                expect(up.code, `${up.stderr}\n${twin}`).toBe(0);
                const test = netintent(['lab', 'test', folder, '--failure-trials', '2']);
                expect(test.code, `${test.stdout}\n${twin}\n${intents}`).toBe(0);
                expect(test.stdout).toMatch(/\n\d+ requirements tried with traffic, 0 disagree with the verifier/);
                expect(test.stdout).toMatch(/\n\d+ packets with forged sources sent from \d+ segments, 0 delivered\n/);
                // IPv6 packets were tried.
                expect(test.stdout).toMatch(/ (tcp|udp|icmp) [0-9a-f:]+:[0-9a-f:]* -> /);
                const services = netintentServices();
                await checkFiles(services, [path.join(folder, 'net.intent')], { verify: false });
                const program = services.intent.IntentPrograms.forTwin(path.join(folder, 'net.twin.yaml')).program!;
                const compiled = compileNetwork(program);
                const state = readState(labName(program.twin))!;
                const links = program.twin.links.map((_, index) => index);
                const pick = mulberry32(7000 + seed);
                const tried: string[] = [];
                for (let k = 0; k < 3; k++) {
                    const [link] = links.splice(Math.floor(pick() * links.length), 1);
                    const failures = { ...NO_FAILURES, links: new Set([link]) };
                    const restore = applyFailures(state, program.twin, failures);
                    try {
                        const failed = waitForConvergence(state, program.twin, compiled, 12_000, failures);
                        expect(failed.differences, `link ${link} failed\n${twin}`).toEqual([]);
                        expect(failed.known, `link ${link} failed\n${twin}`).toEqual([]);
                        const steering6 = failed.steering6.length;
                        tried.push(
                            `${failed.fibEntries} with link ${link} down${steering6 ? ` (${steering6} IPv6 steering routes left on their blackhole, known)` : ''}`
                        );
                    } finally {
                        restore();
                    }
                    const back = waitForConvergence(state, program.twin, compiled, 12_000);
                    expect(back.differences, `link ${link} back\n${twin}`).toEqual([]);
                    expect(back.known, `link ${link} back\n${twin}`).toEqual([]);
                    expect(back.steering6, `link ${link} back\n${twin}`).toEqual([]);
                }
                const entries = /(\d+) FIB entries/.exec(up.stdout)?.[1];
                const agreed = /\n(\d+) requirements tried/.exec(test.stdout)?.[1];
                console.log(
                    `differential dual-stack network ${seed}: ${entries} FIB entries equal (both families), ${agreed} requirements agree with traffic of both families, then ${tried.join(', ')}, and back each time`
                );
            } finally {
                netintent(['lab', 'down', folder]);
            }
            expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`ni-rand${seed}-6-`);
        },
        300_000
    );
});
