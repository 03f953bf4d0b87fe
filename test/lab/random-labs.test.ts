/**
 * Differential: seeded random networks (rings, partial meshes, leaf-spines; OSPF or eBGP;
 * segments, ACL intents, a waypoint, an external) run on real FRR; every FIB must equal the
 * simulated one and real traffic must agree with the verifier on every requirement tried.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32, type Rng } from '../support/random.js';
import { ROOT } from '../support/samples.js';
import { writeWorkspace } from '../support/workspace.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');
const COUNT = Number(process.env.RANDOM_LABS ?? 20);
const enabled = process.getuid?.() === 0 && fs.existsSync('/usr/lib/frr/zebra') && fs.existsSync('/usr/bin/traceroute');
if (!enabled) {
    const message = 'the random lab tests need root, frr and traceroute; SKIPPED (.ci/run installs them).';
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! ${message}\n`);
}

interface Network {
    twin: string;
    intents: string;
}

function randomNetwork(seed: number, next: Rng): Network {
    const shape = ['ring', 'mesh', 'leaf-spine'][seed % 3];
    const routing = seed % 2 === 0 ? 'ospf' : 'bgp';
    const links: Array<[number, number]> = [];
    let devices: string[];
    if (shape === 'leaf-spine') {
        devices = ['s0', 's1', 'l0', 'l1', 'l2'];
        for (const leaf of [2, 3, 4]) links.push([leaf, 0], [leaf, 1]);
    } else {
        const n = 4 + Math.floor(next() * 2);
        devices = Array.from({ length: n }, (_, i) => `r${i}`);
        for (let i = 0; i < n; i++) links.push([i, (i + 1) % n]);
        if (shape === 'mesh') links.push([0, 2], [1, n - 1]);
    }
    const ports = new Map<number, number>();
    const port = (d: number) => {
        ports.set(d, (ports.get(d) ?? 0) + 1);
        return `${devices[d]}:eth${ports.get(d)}`;
    };
    const edge = devices.map((_, i) => i).filter(i => shape !== 'leaf-spine' || i >= 2);
    const [a, b, c] = [edge[0], edge[1 + Math.floor(next() * (edge.length - 1))], edge[edge.length - 1]];
    const waypoint = devices[shape === 'leaf-spine' ? 0 : 1 + Math.floor(next() * (devices.length - 2))];
    const twin = [
        `network: rand${seed}`, `routing: ${routing}`, 'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }', 'devices:',
        ...devices.map(d => `  ${d}: { role: router }`),
        'links:',
        ...links.flatMap(([x, y]) => [`  - endpoints: [${port(x)}, ${port(y)}]`, `    cost: ${1 + Math.floor(next() * 3)}`]),
        'segments:',
        `  sa: { prefix: 10.1.1.0/24, attach: ${devices[a]}:eth10 }`,
        `  sb: { prefix: 10.1.2.0/24, attach: ${devices[b]}:eth11 }`,
        `  sc: { prefix: 10.1.3.0/24, attach: ${devices[c]}:eth12 }`,
        'externals:',
        `  net: { prefixes: [0.0.0.0/0], attach: ${devices[a]}:eth9, address: 203.0.113.2/30, peer: 203.0.113.1 }`
    ].join('\n') + '\n';
    const intents = [
        'twin "net.twin.yaml"',
        seed % 4 === 0 ? 'default deny' : '',
        'intent ab { allow segment sa -> segment sb : tcp 8080 }',
        'intent bc { deny segment sb -> segment sc : tcp 22 }',
        `intent cw { allow segment sc -> segment sa : tcp 443 via ${waypoint} }`,
        'intent out { allow segment sb -> external net : udp 53 }',
        'intent iso { isolate segment sa, segment sc : udp 514 }'
    ].join('\n') + '\n';
    return { twin, intents };
}

function netintent(args: string[]) {
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe.skipIf(!enabled)('random networks on real FRR', () => {
    const next = mulberry32(6161);
    const networks = Array.from({ length: COUNT }, (_, seed) => ({ seed, ...randomNetwork(seed, next) }));

    it.each(networks)('network $seed: FIBs as simulated, traffic as verified', ({ seed, twin, intents }) => {
        const folder = writeWorkspace({ 'net.twin.yaml': twin, 'net.intent': intents });
        const up = netintent(['lab', 'up', folder]);
        try {
            expect(up.code, `${up.stderr}\n${twin}`).toBe(0);
            const test = netintent(['lab', 'test', folder]);
            expect(test.code, `${test.stdout}\n${twin}\n${intents}`).toBe(0);
            expect(test.stdout).toMatch(/\n\d+ requirements tried with traffic, 0 disagree with the verifier/);
            expect(test.stdout).toMatch(/\n\d+ packets with forged sources sent from 3 segments, 0 delivered\n/);
            // For the record of what the differential compared (the CI log keeps it).
            const entries = /(\d+) FIB entries as simulated/.exec(up.stdout)?.[1];
            const tried = /\n(\d+) requirements tried/.exec(test.stdout)?.[1];
            console.log(`differential network ${seed}: ${entries} FIB entries equal, ${tried} requirements agree`);
        } finally {
            netintent(['lab', 'down', folder]);
        }
        expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`ni-rand${seed}-`);
    }, 300_000);
});
