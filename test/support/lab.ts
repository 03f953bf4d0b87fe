/**
 * For the lab tests, whose labs run side by side (each network's namespaces and FRR path spaces
 * carry its name, so labs of different networks do not meet): the CLI run without blocking the
 * test file, what a lab left behind, and in-process work that must not interleave.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './samples.js';

export const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

export interface CliRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

/**
 * The CLI, run while the test file's other tests go on (a spawnSync would stop them all until
 * it ended); killed after `timeout` ms, its code then null.
 */
export function netintent(args: string[], timeout: number): Promise<CliRun> {
    return new Promise(resolve => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', chunk => {
            stdout += String(chunk);
        });
        child.stderr.on('data', chunk => {
            stderr += String(chunk);
        });
        const timer = setTimeout(() => child.kill('SIGTERM'), timeout);
        child.on('close', code => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}

/**
 * What a lab leaves on the machine: its namespaces and the FRR processes of its path spaces.
 * `others`: labs running meanwhile whose names extend this one's (lab rand1's namespaces start
 * with ni-rand1-, so do those of lab rand1-6), whose namespaces and processes are theirs.
 */
export function leftovers(lab: string, others: readonly string[] = []): string[] {
    const theirs = others.filter(o => o.startsWith(`${lab}-`)).map(o => `ni-${o}-`);
    const ours = (text: string) => !theirs.some(prefix => text.includes(prefix));
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(l => l.startsWith(`ni-${lab}-`) && ours(l));
    const processes = spawnSync('pgrep', ['-af', `frr/.* ni-${lab}-`], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(l => l && ours(l));
    return [...namespaces, ...processes];
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` once the work handed here before it has ended: what uses the test file's one set
 * of language services (checkFiles, then the program it built) must not interleave with another
 * test's.
 */
export function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
}
