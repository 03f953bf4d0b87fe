/** Turns the paths a user gives into the intent files to check. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class UsageError extends Error {}

const SKIPPED_FOLDERS = new Set(['node_modules', '.git', 'out', 'dist']);

/** Files are taken as given; folders are searched for *.intent (the twins come with them). */
export function intentFiles(paths: readonly string[]): string[] {
    const found = new Set<string>();
    for (const given of paths) {
        const absolute = path.resolve(given);
        let stat: fs.Stats;
        try {
            stat = fs.statSync(absolute);
        } catch {
            throw new UsageError(`no such file or folder: ${given}`);
        }
        if (stat.isDirectory()) {
            for (const file of walk(absolute)) found.add(file);
        } else if (absolute.endsWith('.intent')) {
            found.add(absolute);
        } else {
            throw new UsageError(`${given} is not an .intent file; give intent files or folders that hold them (their twins are found through their 'twin' lines).`);
        }
    }
    if (found.size === 0) throw new UsageError(`no .intent files in ${paths.join(', ')}`);
    return [...found].sort();
}

function* walk(folder: string): Generator<string> {
    const entries = fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) yield* walk(full);
        if (entry.isFile() && entry.name.endsWith('.intent')) yield full;
    }
}
