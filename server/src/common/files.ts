/**
 * Reads the files a user's input names (twins, topologies, intent files, device configurations)
 * so that no file can hang or crash a run: regular files only, opened without blocking (a FIFO
 * with no writer would wait forever), and no larger than a cap (/dev/zero has no end).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MB = 1024 * 1024;
/** Twins, containerlab topologies and device configurations: far larger than any real one. */
export const MAX_FILE_BYTES = 10 * MB;

/** A file that is there but is not read: a FIFO, a device, a folder, too large, not readable. */
export class FileRefused extends Error {}

/** The text of `file` (UTF-8), or undefined when there is no such file; FileRefused otherwise. */
export function readRegularFile(file: string, maxBytes: number): string | undefined {
    try {
        return readRegular(file, maxBytes).toString('utf8');
    } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
    }
}

/** The bytes of `file`; throws fs's own error when it does not exist, FileRefused otherwise. */
export function readRegular(file: string, maxBytes: number): Buffer {
    // Refused before opening, too: opening some devices does something (a watchdog arms).
    refuseUnlessRegular(
        file,
        attempt(file, () => fs.statSync(file)),
        maxBytes
    );
    // O_NONBLOCK: a FIFO put in place since the stat opens at once instead of waiting for a writer.
    const fd = attempt(file, () => fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    try {
        // What is read is what was opened, whatever the path names now.
        refuseUnlessRegular(file, fs.fstatSync(fd), maxBytes);
        return readAtMost(fd, file, maxBytes);
    } finally {
        fs.closeSync(fd);
    }
}

/** Why `file` with `stat` is not read, or undefined when it may be. */
export function fileProblem(file: string, stat: fs.Stats, maxBytes: number): string | undefined {
    if (!stat.isFile()) return `'${file}' is ${kindOf(stat)}, not a regular file.`;
    if (stat.size > maxBytes) return tooLarge(file, maxBytes);
    return undefined;
}

/** A limit as a message says it: "10 MB". */
function formatBytes(bytes: number): string {
    return bytes >= MB ? `${+(bytes / MB).toFixed(1)} MB` : `${+(bytes / 1024).toFixed(1)} KB`;
}

function isMissing(error: unknown): boolean {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
}

/** `file` is `folder` or inside it (both absolute and resolved). */
export function isWithin(file: string, folder: string): boolean {
    const relative = path.relative(folder, file);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function refuseUnlessRegular(file: string, stat: fs.Stats, maxBytes: number): void {
    const problem = fileProblem(file, stat, maxBytes);
    if (problem) throw new FileRefused(problem);
}

/** `action` on `file`; a failure other than "no such file" (permissions, a loop of links) is a refusal. */
function attempt<T>(file: string, action: () => T): T {
    try {
        return action();
    } catch (error) {
        if (isMissing(error)) throw error;
        throw new FileRefused(
            `Cannot read '${file}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`
        );
    }
}

/** Reads to the end, but never more than `maxBytes`: a file's size can grow, or lie (/proc). */
function readAtMost(fd: number, file: string, maxBytes: number): Buffer {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
        const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
        const read = fs.readSync(fd, chunk, 0, chunk.length, null);
        if (read === 0) return Buffer.concat(chunks, total);
        chunks.push(chunk.subarray(0, read));
        total += read;
        if (total > maxBytes) throw new FileRefused(tooLarge(file, maxBytes));
    }
}

function tooLarge(file: string, maxBytes: number): string {
    return `'${file}' is larger than ${formatBytes(maxBytes)}, more than netintent reads.`;
}

function kindOf(stat: fs.Stats): string {
    if (stat.isDirectory()) return 'a folder';
    if (stat.isFIFO()) return 'a FIFO';
    if (stat.isCharacterDevice()) return 'a character device';
    if (stat.isBlockDevice()) return 'a block device';
    if (stat.isSocket()) return 'a socket';
    return 'a special file';
}

/** A file that could not be written whole: it is left as it was, and no temporary file stays. */
export class FileNotWritten extends Error {}

/**
 * Writes `text` to `file` whole or not at all: into `.NAME.tmp-PID` beside it (created with
 * O_EXCL, so a link planted at that name is not written through), synced, handed to `accept`
 * (which may throw to refuse it) as read back, then renamed over `file`.
 */
export function writeFileAtomically(file: string, text: string, accept: (written: string) => void = () => {}): void {
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
    let fd: number;
    try {
        fd = fs.openSync(temporary, 'wx', 0o644);
    } catch (error) {
        throw new FileNotWritten(`cannot write ${file}: ${(error as Error).message}`);
    }
    let renamed = false;
    try {
        try {
            fs.writeFileSync(fd, text);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        accept(fs.readFileSync(temporary, 'utf8'));
        fs.renameSync(temporary, file);
        renamed = true;
    } catch (error) {
        if (!(error instanceof Error) || !('code' in error)) throw error;
        throw new FileNotWritten(`cannot write ${file}: ${error.message}; it is left as it was.`);
    } finally {
        if (!renamed) fs.rmSync(temporary, { force: true });
    }
}
