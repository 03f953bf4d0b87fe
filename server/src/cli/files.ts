/** Turns the paths a user gives into the intent files to check, and the folders its twins may be read from. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileProblem } from '../common/files.js';
import { MAX_INTENT_FILE_BYTES } from '../language/safe-file-system.js';
import type { TwinScope } from '../language/twin-workspace.js';

export class UsageError extends Error {}

const SKIPPED_FOLDERS = new Set(['node_modules', '.git', 'out', 'dist']);

/** Files are taken as given; folders are searched for *.intent (the twins come with them). */
export function intentFiles(paths: readonly string[]): string[] {
    const found = new Set<string>();
    for (const given of paths) {
        const absolute = path.resolve(given);
        const stat = statOf(given);
        if (stat.isDirectory()) {
            for (const file of walk(absolute)) found.add(file);
        } else if (stat.isFile() && !absolute.endsWith('.intent')) {
            throw new UsageError(
                `${given} is not an .intent file; give intent files or folders that hold them (their twins are found through their 'twin' lines).`
            );
        } else {
            found.add(absolute); // a FIFO or a device is refused below
        }
    }
    if (found.size === 0) throw new UsageError(`no .intent files in ${paths.join(', ')}`);
    // Refused here, as a usage error, rather than when the language reads them.
    for (const file of found) {
        const problem = fileProblem(file, fs.statSync(file), MAX_INTENT_FILE_BYTES);
        if (problem) throw new UsageError(problem);
    }
    return [...found].sort();
}

/**
 * The workspace of a run, which twins and their topologies are read only inside: the folders
 * given (a file's folder, the working folder by default) and what `--allow-outside` adds.
 */
export function twinScope(paths: readonly string[], allowOutside: readonly string[]): TwinScope {
    const folders = (paths.length > 0 ? paths : ['.']).map(given =>
        statOf(given).isDirectory() ? path.resolve(given) : path.dirname(path.resolve(given))
    );
    return {
        folders: [...new Set([...folders, ...allowOutside.map(allowed => path.resolve(allowed))])],
        howToAllow: file => `run with --allow-outside ${file}`
    };
}

function statOf(given: string): fs.Stats {
    try {
        return fs.statSync(given);
    } catch {
        throw new UsageError(`no such file or folder: ${given}`);
    }
}

/** Regular *.intent files only: a FIFO or a device named so would hang or flood the run. */
function* walk(folder: string): Generator<string> {
    const entries = fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) yield* walk(full);
        if (entry.isFile() && entry.name.endsWith('.intent')) yield full;
    }
}
