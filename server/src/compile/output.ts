/**
 * Writes compiled files into an output folder: atomically (temporary file + rename), never
 * outside the folder, and never over a file netintent did not write there (a manifest records
 * what it wrote, with hashes) unless forced. The same input gives the same bytes every time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MANIFEST = '.netintent-manifest.json';

export interface WriteResult {
    written: string[];
    unchanged: string[];
    removed: string[];
    /** Files that exist and were not written by netintent (or were edited since): left alone. */
    refused: string[];
}

interface Manifest {
    files: Record<string, string>;
}

export class OutputError extends Error {}

/** `files`: path relative to `folder` → content. */
export function writeOutput(folder: string, files: ReadonlyMap<string, string>, options: { force: boolean }): WriteResult {
    const root = path.resolve(folder);
    const targets = [...files.keys()].sort();
    for (const relative of targets) {
        const target = path.resolve(root, relative);
        if (!target.startsWith(root + path.sep)) throw new OutputError(`refusing to write ${relative}: it is outside the output folder ${folder}`);
    }
    if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) throw new OutputError(`${folder} exists and is not a folder`);
    const manifest = readManifest(root);
    const result: WriteResult = { written: [], unchanged: [], removed: [], refused: [] };
    for (const relative of targets) {
        const target = path.join(root, relative);
        if (!fs.existsSync(target)) continue;
        const current = hash(fs.readFileSync(target));
        if (manifest.files[relative] !== current && current !== hash(Buffer.from(files.get(relative)!))) result.refused.push(relative);
    }
    if (result.refused.length > 0 && !options.force) return result;
    const next: Manifest = { files: {} };
    for (const relative of targets) {
        const content = files.get(relative)!;
        const target = path.join(root, relative);
        next.files[relative] = hash(Buffer.from(content));
        if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === content) {
            result.unchanged.push(relative);
            continue;
        }
        writeAtomically(target, content, relative.endsWith('.sh') ? 0o755 : 0o644);
        result.written.push(relative);
    }
    // Files of an earlier compile that this one no longer makes, unless someone edited them.
    for (const [relative, digest] of Object.entries(manifest.files)) {
        if (files.has(relative)) continue;
        const target = path.join(root, relative);
        if (target.startsWith(root + path.sep) && fs.existsSync(target) && hash(fs.readFileSync(target)) === digest) {
            fs.rmSync(target);
            result.removed.push(relative);
        }
    }
    writeAtomically(path.join(root, MANIFEST), JSON.stringify(next, null, 2) + '\n', 0o644);
    if (options.force) result.refused = [];
    return result;
}

function readManifest(root: string): Manifest {
    try {
        const parsed = JSON.parse(fs.readFileSync(path.join(root, MANIFEST), 'utf8')) as Manifest;
        return typeof parsed.files === 'object' && parsed.files !== null ? parsed : { files: {} };
    } catch {
        return { files: {} };
    }
}

function writeAtomically(target: string, content: string, mode: number): void {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temporary = `${target}.tmp-${process.pid}`;
    try {
        fs.writeFileSync(temporary, content, { mode });
        fs.renameSync(temporary, target);
    } finally {
        fs.rmSync(temporary, { force: true });
    }
}

function hash(content: Buffer): string {
    return createHash('sha256').update(content).digest('hex');
}
