/**
 * The commands the lab runs: always an argument array, never a shell, and names checked before
 * they reach a command.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Packet } from '../net/packet-set.js';

export class LabError extends Error {}

/** Names the lab puts into commands: namespaces, interfaces, FRR path spaces. */
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function checkName(name: string, what: string): string {
    if (!SAFE_NAME.test(name))
        throw new LabError(
            `${what} '${name}' cannot be used in the lab: only letters, digits, '.', '-' and '_' (at most 64).`
        );
    return name;
}

/** Runs a command; its failure is a LabError with the command and what it printed. */
export function run(
    command: string,
    args: readonly string[],
    options: { input?: string; allowFailure?: boolean } = {}
): string {
    const result = spawnSync(command, args, { encoding: 'utf8', input: options.input, maxBuffer: 1 << 26 });
    if (result.error) throw new LabError(`cannot run ${command}: ${result.error.message}`);
    if (result.status !== 0 && !options.allowFailure) {
        throw new LabError(
            `${command} ${args.join(' ')} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`
        );
    }
    return result.stdout;
}

/** Runs a command inside a network namespace. */
export function inNamespace(
    namespace: string,
    command: string,
    args: readonly string[],
    options: { input?: string; allowFailure?: boolean } = {}
): string {
    return run('ip', ['netns', 'exec', namespace, command, ...args], options);
}

export function namespaces(): string[] {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .map(l => l.split(' ')[0])
        .filter(Boolean);
}

/** Whether this machine can run a lab: root, and the tools it needs. */
export function missingTools(): string[] {
    const tools = [
        'ip',
        'nft',
        'vtysh',
        'traceroute',
        `${FRR_DAEMONS}/zebra`,
        `${FRR_DAEMONS}/staticd`,
        `${FRR_DAEMONS}/ospfd`,
        `${FRR_DAEMONS}/ospf6d`,
        `${FRR_DAEMONS}/bgpd`
    ];
    const missing = tools.filter(t => !found(t));
    if (process.getuid?.() !== 0) missing.unshift('root');
    return missing;
}

/** Where Debian's frr package puts the daemons. */
export const FRR_DAEMONS = '/usr/lib/frr';

/** The traffic probe (probe.ts, bundled): beside the running bundle, or in out/ when the lab runs from the sources (tests). */
export const PROBE =
    [path.join(__dirname, 'probe.cjs'), path.join(__dirname, '..', '..', '..', 'out', 'probe.cjs')].find(file =>
        fs.existsSync(file)
    ) ?? path.join(__dirname, 'probe.cjs');

function found(tool: string): boolean {
    if (tool.includes('/')) return fs.existsSync(tool);
    const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
    return dirs.some(dir => fs.existsSync(path.join(dir, tool)));
}

/** The probe's connection attempt from a namespace, with the packet's addresses, protocol and port, given up after `ms`. */
export function connectFrom(namespace: string, packet: Packet, ms: number): SpawnSyncReturns<string> {
    const args = ['connect', packet.protocol, packet.src, packet.dst, String(packet.dstPort), String(ms)];
    return spawnSync('ip', ['netns', 'exec', namespace, process.execPath, PROBE, ...args], { encoding: 'utf8' });
}

/** `count` pings from a namespace, from the packet's source address to its destination, a second each at most. */
export function pingFrom(namespace: string, packet: Packet, count: number): SpawnSyncReturns<string> {
    return spawnSync(
        'ip',
        ['netns', 'exec', namespace, 'ping', '-c', String(count), '-W', '1', '-I', packet.src, packet.dst],
        { encoding: 'utf8' }
    );
}
