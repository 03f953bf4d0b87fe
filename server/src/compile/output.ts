/**
 * Writes compiled files into an output folder, safely against a broken or hostile folder:
 * - only inside it: its real path is resolved, and a symbolic link (or anything but a folder or a
 *   plain file) on the way to a file it writes is refused; links are never followed, to write or
 *   to delete;
 * - atomically per file (temporary file + rename), one compile at a time (a lock file in the
 *   folder holds the writer's pid);
 * - never over a file netintent did not write there unless forced: a manifest records what it
 *   wrote, with hashes. The manifest is untrusted input: an entry that is not a plain relative
 *   path with a sha256 is ignored, with a warning;
 * - recoverably: a journal, written before any file, lists every hash the run may leave, so the
 *   run after a kill recognises netintent's files, removes its temporary files and rolls forward.
 * The same input gives the same bytes every time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const MANIFEST = '.netintent-manifest.json';
const JOURNAL = '.netintent-journal.json';
const LOCK = '.netintent-lock';
const BOOKKEEPING = new Set([MANIFEST, JOURNAL, LOCK]);

export interface WriteResult {
    written: string[];
    unchanged: string[];
    removed: string[];
    /** Files that exist and were not written by netintent (or were edited since): left alone. */
    refused: string[];
    /** What was ignored or left alone in the folder, for the user to look at. */
    warnings: string[];
}

export interface WriteOptions {
    force: boolean;
    /** How long to wait for another compile writing into the same folder, in ms. */
    lockTimeout?: number;
}

export class OutputError extends Error {}

const LOCK_TIMEOUT = 30_000;
const LOCK_POLL = 50;
/** A lock with no readable holder is being written (for microseconds) or its writer was killed doing it. */
const UNREADABLE_LOCK_AGE = 2_000;

/** Kernel interfaces, not storage: a write there fails oddly, or recursive mkdir spins forever. */
const KERNEL_FOLDERS = ['/proc', '/sys', '/dev'];
/** statfs types (linux/magic.h) of the kernel's pseudo-filesystems, wherever they are mounted. */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
    [0x9fa0, 'proc'],
    [0x62656572, 'sysfs'],
    [0x1cd1, 'devpts'],
    [0x27e0eb, 'cgroup'],
    [0x63677270, 'cgroup2'],
    [0x64626720, 'debugfs'],
    [0x74726163, 'tracefs'],
    [0x73636673, 'securityfs'],
    [0xcafe4a11, 'bpf'],
    [0x6165676c, 'pstore'],
    [0x62656570, 'configfs'],
    [0xde5e81e4, 'efivarfs'],
    [0x65735543, 'fusectl'],
    [0x42494e4d, 'binfmt_misc'],
    [0x6e736673, 'nsfs']
]);

/** `files`: path relative to `folder` → content. */
export async function writeOutput(
    folder: string,
    files: ReadonlyMap<string, string>,
    options: WriteOptions
): Promise<WriteResult> {
    for (const relative of files.keys()) {
        if (!isOwnablePath(relative))
            throw new OutputError(
                `refusing to write ${JSON.stringify(relative)}: it is not a plain path inside the output folder ${folder}`
            );
    }
    const root = prepareFolder(folder);
    const unlock = await lockFolder(root, folder, options.lockTimeout ?? LOCK_TIMEOUT);
    try {
        return writeLocked(root, files, options.force);
    } finally {
        unlock();
    }
}

/**
 * Throws a usage error unless `folder` is, or can be made, a writable folder on a disk; writes
 * nothing. Returns the deepest part of it that exists.
 */
export function checkOutputFolder(folder: string): string {
    const existing = deepestExisting(path.resolve(folder), folder);
    const real = fs.realpathSync(existing);
    const kernel = KERNEL_FOLDERS.find(k => real === k || real.startsWith(k + '/'));
    if (kernel)
        throw new OutputError(
            `cannot write the output to ${folder}: ${kernel} holds the kernel's interfaces, not files on a disk. Choose an output folder on a disk (e.g. build/).`
        );
    const pseudo = process.platform === 'linux' ? PSEUDO_FILESYSTEMS.get(fs.statfsSync(real).type) : undefined;
    if (pseudo)
        throw new OutputError(
            `cannot write the output to ${folder}: ${real} is on the kernel's ${pseudo} filesystem, not on a disk. Choose an output folder on a disk (e.g. build/).`
        );
    try {
        fs.accessSync(real, fs.constants.W_OK | fs.constants.X_OK);
    } catch (error) {
        throw new OutputError(
            `cannot write the output to ${folder}: ${real} is not writable (${errorCode(error)}). Choose an output folder you can write to.`
        );
    }
    return existing;
}

/** The longest part of `absolute` that exists (links followed: the user may route the output folder through one); it must be a folder. */
function deepestExisting(absolute: string, folder: string): string {
    for (let at = absolute; ; at = path.dirname(at)) {
        let stat: fs.Stats | undefined;
        try {
            stat = fs.statSync(at);
        } catch (error) {
            if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') continue;
            throw new OutputError(`cannot use ${folder} as the output folder: ${(error as Error).message}`);
        }
        if (!stat.isDirectory())
            throw new OutputError(
                `cannot use ${folder} as the output folder: ${at} is ${describe(stat, at)}, not a folder. Choose an output folder that is not a file or inside one.`
            );
        return at;
    }
}

/** Checks the output folder, makes it if need be, and returns its real path. */
function prepareFolder(folder: string): string {
    const absolute = path.resolve(folder);
    let at = checkOutputFolder(folder);
    try {
        for (const part of path.relative(at, absolute).split(path.sep).filter(Boolean)) {
            at = path.join(at, part);
            makeFolder(at);
        }
        return fs.realpathSync(absolute);
    } catch (error) {
        if (error instanceof OutputError) throw error;
        throw new OutputError(`cannot make the output folder ${folder}: ${(error as Error).message}`);
    }
}

/** One level at a time: recursive mkdir spins forever where mkdir fails with ENOENT under an existing folder. */
function makeFolder(at: string): void {
    try {
        fs.mkdirSync(at);
    } catch (error) {
        // Made meanwhile by another run, or something else stands there (the caller looks).
        if (errorCode(error) !== 'EEXIST') throw error;
    }
}

function writeLocked(root: string, files: ReadonlyMap<string, string>, force: boolean): WriteResult {
    const result: WriteResult = { written: [], unchanged: [], removed: [], refused: [], warnings: [] };
    const owned = ownedFiles(root, result.warnings);
    const next = new Map([...files.keys()].sort().map(relative => [relative, hash(files.get(relative)!)]));
    const changed: string[] = [];
    for (const [relative, digest] of next) {
        const current = currentDigest(root, relative);
        if (current === digest) {
            result.unchanged.push(relative);
            continue;
        }
        changed.push(relative);
        if (current !== undefined && !owned.get(relative)?.has(current)) result.refused.push(relative);
    }
    if (result.refused.length > 0 && !force) return result;
    removeTemporaryFiles(root, [...next.keys(), ...owned.keys(), ...BOOKKEEPING]);
    // Before any file: every hash this run may leave, for the run after a kill to recognise.
    writeRecord(root, JOURNAL, {
        files: Object.fromEntries(next),
        previous: Object.fromEntries([...owned].map(([relative, digests]) => [relative, [...digests].sort()]))
    });
    for (const relative of changed) {
        writeFile(root, relative, files.get(relative)!);
        result.written.push(relative);
    }
    // Files of an earlier (or killed) compile that this one no longer makes, unless someone edited them.
    for (const relative of [...owned.keys()].sort()) {
        if (!next.has(relative) && removeIfOwned(root, relative, owned.get(relative)!, result.warnings))
            result.removed.push(relative);
    }
    writeRecord(root, MANIFEST, { files: Object.fromEntries(next) });
    fs.rmSync(path.join(root, JOURNAL));
    if (force) result.refused = [];
    return result;
}

/** The hashes netintent may have left at each path: its manifest's, and a killed run's (its journal's). */
function ownedFiles(root: string, warnings: string[]): Map<string, Set<string>> {
    const owned = new Map<string, Set<string>>();
    const manifest = readRecord(root, MANIFEST, ['files'], warnings);
    const journal = readRecord(root, JOURNAL, ['files', 'previous'], warnings);
    addOwned(owned, MANIFEST, manifest?.files, warnings);
    addOwned(owned, JOURNAL, journal?.files, warnings);
    addOwned(owned, JOURNAL, journal?.previous, warnings);
    return owned;
}

/** A manifest or journal, or undefined when there is none or it is not what netintent writes. */
function readRecord(
    root: string,
    name: string,
    keys: string[],
    warnings: string[]
): Record<string, Record<string, unknown>> | undefined {
    if (plainEntry(root, name) === 'absent') return undefined;
    let record: unknown;
    try {
        record = JSON.parse(fs.readFileSync(path.join(root, name), 'utf8'));
    } catch {
        record = undefined;
    }
    if (isObject(record) && keys.every(key => isObject(record[key])))
        return record as Record<string, Record<string, unknown>>;
    warnings.push(
        `${name} is not one netintent wrote (not JSON of the expected shape): ignored; files in the folder are replaced only where they are identical to the new ones.`
    );
    return undefined;
}

function addOwned(
    owned: Map<string, Set<string>>,
    name: string,
    entries: Record<string, unknown> | undefined,
    warnings: string[]
): void {
    const ignored: string[] = [];
    for (const [relative, value] of Object.entries(entries ?? {})) {
        const digests: unknown[] = Array.isArray(value) ? value : [value];
        if (!isOwnablePath(relative) || digests.length === 0 || !digests.every(isDigest)) {
            ignored.push(JSON.stringify(relative));
            continue;
        }
        for (const digest of digests) owned.set(relative, (owned.get(relative) ?? new Set()).add(digest));
    }
    if (ignored.length > 0) {
        warnings.push(
            `${name}: ${ignored.length} entr${ignored.length === 1 ? 'y' : 'ies'} ignored (not a plain path inside the output folder with a sha256 hash): ${ignored.slice(0, 5).join(', ')}${ignored.length > 5 ? ', …' : ''}`
        );
    }
}

/** A path made of plain names below the folder (no `..`, `.`, empty or absolute part), not one of netintent's own records. */
function isOwnablePath(relative: string): boolean {
    return (
        relative.length > 0 &&
        !BOOKKEEPING.has(relative) &&
        !/[\\\0]/.test(relative) &&
        relative.split('/').every(part => part !== '' && part !== '.' && part !== '..')
    );
}

function isDigest(value: unknown): value is string {
    return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Entry = { kind: 'absent' } | { kind: 'file' } | { kind: 'folder' } | { kind: 'blocked'; reason: string };

/** What is at `relative` in `root`, seen without following links: only real folders may stand on the way. */
function lookAt(root: string, relative: string): Entry {
    const parts = relative.split('/');
    let stat: fs.Stats | undefined;
    for (let count = 1; count <= parts.length; count++) {
        const shown = parts.slice(0, count).join('/');
        stat = lstatIfAny(path.join(root, shown));
        if (stat === undefined) return { kind: 'absent' };
        if (!stat.isDirectory() && !(count === parts.length && stat.isFile()))
            return { kind: 'blocked', reason: `${shown} is ${describe(stat, path.join(root, shown))}` };
    }
    return { kind: stat!.isFile() ? 'file' : 'folder' };
}

/** Whether a plain file is at `relative`; anything else there or on the way is a usage error. */
function plainEntry(root: string, relative: string): 'absent' | 'file' {
    const entry = lookAt(root, relative);
    if (entry.kind === 'absent' || entry.kind === 'file') return entry.kind;
    const reason = entry.kind === 'folder' ? `${relative} is a folder` : entry.reason;
    throw new OutputError(
        `cannot write ${relative} in ${root}: ${reason}. netintent follows no links and replaces only plain files in its output folder: move it away, or choose another output folder.`
    );
}

function currentDigest(root: string, relative: string): string | undefined {
    return plainEntry(root, relative) === 'file' ? hash(fs.readFileSync(path.join(root, relative))) : undefined;
}

function writeFile(root: string, relative: string, content: string): void {
    // Looked at again, as the folder may have changed since the first look: before making folders
    // (not to make one through a link), and after (for a link made meanwhile).
    plainEntry(root, relative);
    const parts = relative.split('/');
    try {
        for (let count = 1; count < parts.length; count++) makeFolder(path.join(root, ...parts.slice(0, count)));
        plainEntry(root, relative);
        writeAtomically(path.join(root, relative), content, relative.endsWith('.sh') ? 0o755 : 0o644);
    } catch (error) {
        if (error instanceof OutputError) throw error;
        throw new OutputError(`cannot write ${relative} in ${root}: ${(error as Error).message}`);
    }
}

function writeRecord(root: string, name: string, record: object): void {
    writeFile(root, name, JSON.stringify(record, null, 2) + '\n');
}

function removeIfOwned(root: string, relative: string, digests: ReadonlySet<string>, warnings: string[]): boolean {
    const entry = lookAt(root, relative);
    if (entry.kind === 'blocked') warnings.push(`${relative} (of an earlier compile) left alone: ${entry.reason}`);
    if (entry.kind !== 'file') return false;
    const target = path.join(root, relative);
    if (!digests.has(hash(fs.readFileSync(target)))) return false;
    fs.rmSync(target);
    return true;
}

function writeAtomically(target: string, content: string, mode: number): void {
    const temporary = temporaryName(target, process.pid);
    try {
        // 'wx' (O_EXCL): a link planted at the temporary name is not followed.
        fs.writeFileSync(temporary, content, { mode, flag: 'wx' });
        fs.renameSync(temporary, target);
    } finally {
        fs.rmSync(temporary, { force: true });
    }
}

function temporaryName(target: string, pid: number): string {
    return `${target}.tmp-${pid}`;
}

/** Removes what a killed run left half-written: `NAME.tmp-PID` beside a file netintent writes or wrote, nothing else. */
function removeTemporaryFiles(root: string, relatives: Iterable<string>): void {
    const namesByFolder = new Map<string, Set<string>>();
    for (const relative of relatives) {
        const folder = path.posix.dirname(relative);
        namesByFolder.set(folder, (namesByFolder.get(folder) ?? new Set()).add(path.posix.basename(relative)));
    }
    for (const [folder, names] of namesByFolder) {
        if (folder !== '.' && lookAt(root, folder).kind !== 'folder') continue;
        for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true })) {
            if (entry.isFile() && isStaleTemporary(entry.name, names)) fs.rmSync(path.join(root, folder, entry.name));
        }
    }
}

function isStaleTemporary(name: string, names: ReadonlySet<string>): boolean {
    const match = /^(.+)\.tmp-(\d+)$/.exec(name);
    // Under the lock no other run writes files; a lock's own temporary name is a take-over in progress while its run lives.
    return match !== null && names.has(match[1]) && !(match[1] === LOCK && isAlive(Number(match[2])));
}

interface LockHolder {
    pid?: number;
    host?: string;
    /** The lock as it was read (mtime and content), to take over that lock and no newer one. */
    stamp: string;
    age: number;
}

/** Takes the folder's lock, waiting up to `timeout` ms for a live holder; returns its release. */
async function lockFolder(root: string, folder: string, timeout: number): Promise<() => void> {
    const file = path.join(root, LOCK);
    const mine = JSON.stringify({ pid: process.pid, host: os.hostname() }) + '\n';
    const deadline = Date.now() + timeout;
    while (!createExclusively(file, mine)) {
        const holder = readHolder(file);
        if (holder === undefined) continue;
        if (isStale(holder)) {
            takeOver(file, holder);
        } else if (Date.now() >= deadline) {
            const who =
                holder.pid === undefined
                    ? 'another process'
                    : `process ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${holder.host}`}`;
            throw new OutputError(
                `the output folder ${folder} is being written by ${who} (another netintent compile); waited ${Math.round(timeout / 1000)} s. Try again when it has finished, or, if no netintent is running, remove ${file}.`
            );
        } else {
            await sleep(LOCK_POLL);
        }
    }
    return () => {
        // Only our own: a lock that is not ours any more stays.
        if (readLockFile(file)?.content === mine) fs.rmSync(file, { force: true });
    };
}

function createExclusively(file: string, content: string): boolean {
    try {
        fs.writeFileSync(file, content, { flag: 'wx' });
        return true;
    } catch (error) {
        if (errorCode(error) === 'EEXIST') return false;
        throw new OutputError(`cannot lock the output folder: ${(error as Error).message}`);
    }
}

interface LockFile {
    mtimeMs: number;
    content: string;
}

function readLockFile(file: string): LockFile | undefined {
    const stat = lstatIfAny(file);
    if (stat === undefined) return undefined;
    if (!stat.isFile()) throw new OutputError(`${file} is ${describe(stat, file)}, not netintent's lock: remove it.`);
    try {
        return { mtimeMs: stat.mtimeMs, content: fs.readFileSync(file, 'utf8') };
    } catch (error) {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw error;
    }
}

function readHolder(file: string): LockHolder | undefined {
    const lock = readLockFile(file);
    if (lock === undefined) return undefined;
    const seen = { stamp: stampOf(lock), age: Date.now() - lock.mtimeMs };
    let holder: unknown;
    try {
        holder = JSON.parse(lock.content);
    } catch {
        return seen;
    }
    if (
        !isObject(holder) ||
        !Number.isInteger(holder.pid) ||
        (holder.pid as number) <= 0 ||
        typeof holder.host !== 'string'
    )
        return seen;
    return { ...seen, pid: holder.pid as number, host: holder.host };
}

/** A lock made anew, even with the inode of an old one, differs from it in mtime or content. */
function stampOf(lock: LockFile): string {
    return `${lock.mtimeMs} ${lock.content}`;
}

/** A holder on another host cannot be asked; one on this host is stale when its process is gone. */
function isStale(holder: LockHolder): boolean {
    if (holder.pid === undefined) return holder.age > UNREADABLE_LOCK_AGE;
    return holder.host === os.hostname() && !isAlive(holder.pid);
}

/**
 * Moved aside first, then compared: a run that took the same stale lock over a moment earlier has
 * made a new one, which goes back rather than away.
 */
function takeOver(file: string, holder: LockHolder): void {
    const aside = temporaryName(file, process.pid);
    try {
        fs.renameSync(file, aside);
    } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw new OutputError(`cannot take over the stale lock ${file}: ${(error as Error).message}`);
    }
    const moved = readLockFile(aside);
    if (moved === undefined || stampOf(moved) !== holder.stamp) {
        try {
            fs.linkSync(aside, file);
        } catch {
            // A newer lock stands already.
        }
    }
    fs.rmSync(aside, { force: true });
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return errorCode(error) === 'EPERM';
    }
}

function lstatIfAny(at: string): fs.Stats | undefined {
    try {
        return fs.lstatSync(at);
    } catch (error) {
        if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
        throw error;
    }
}

function describe(stat: fs.Stats, at: string): string {
    if (stat.isSymbolicLink()) return `a symbolic link (to ${fs.readlinkSync(at)})`;
    if (stat.isDirectory()) return 'a folder';
    if (stat.isFile()) return 'a file';
    if (stat.isFIFO()) return 'a named pipe';
    if (stat.isSocket()) return 'a socket';
    return 'a device';
}

function errorCode(error: unknown): string | undefined {
    return (error as NodeJS.ErrnoException).code;
}

function hash(content: Buffer | string): string {
    return createHash('sha256').update(content).digest('hex');
}
