/** `netintent twin export --to rfc8345 [paths] [--out FILE]` (docs/cli.md, docs/twin.md "Export to RFC 8345"). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../check/check.js';
import { exportRfc8345 } from '../export/rfc8345.js';
import { createNetintentServices } from '../language/netintent-module.js';
import type { TwinLoadResult } from '../twin/load.js';
import { intentFiles, twinScope, UsageError } from './files.js';
import { formatDiagnostics } from './format.js';
import { FileNotWritten, writeFileAtomically } from '../common/files.js';

export const EXPORT_FORMATS = ['rfc8345'] as const;

export interface TwinExportOptions {
    to?: (typeof EXPORT_FORMATS)[number];
    /** The file to write; without (or `-`), standard output. */
    out?: string;
    /** Overwrite `out` if it exists. */
    force: boolean;
    allowOutside: string[];
}

/**
 * Writes the twin of `paths` (a twin file, or intent files and folders that bind one twin) in
 * the format asked for. Exit code 0 written, 1 the twin has errors (printed); a usage error throws.
 */
export async function runTwinExport(paths: string[], options: TwinExportOptions): Promise<number> {
    if (!options.to) throw new UsageError(`twin export needs --to: ${EXPORT_FORMATS.join(', ')}.`);
    const loaded = await loadOneTwin(paths, options.allowOutside);
    const errors = loaded.diagnostics.filter(d => d.severity === 'error');
    if (errors.length > 0) {
        process.stderr.write(formatDiagnostics(errors, process.cwd()));
        process.stderr.write(`netintent: not exported: ${errors.length} error(s) in the twin to fix first.\n`);
        return 1;
    }
    const { twin } = loaded;
    const text = `${JSON.stringify(exportRfc8345(twin), null, 2)}\n`;
    if (options.out === undefined || options.out === '-') {
        process.stdout.write(text);
        return 0;
    }
    if (fs.existsSync(options.out) && !options.force)
        throw new UsageError(`${options.out} exists; run again with --force to overwrite it.`);
    try {
        writeFileAtomically(options.out, text);
    } catch (error) {
        if (error instanceof FileNotWritten) throw new UsageError(error.message);
        throw error;
    }
    process.stdout.write(
        `exported ${twin.network}: ${twin.devices.size} devices, ${twin.links.length} links (${2 * twin.links.length} one-way), ${twin.segments.size} segments → ${options.out}\n`
    );
    return 0;
}

/** The twin a twin file is, or the one twin that the intent files at `paths` bind. */
async function loadOneTwin(paths: string[], allowOutside: readonly string[]): Promise<TwinLoadResult> {
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const twins = Netintent.shared.twin.TwinWorkspace;
    const scope = twinScope(paths, allowOutside);
    if (paths.length === 1 && /\.ya?ml$/i.test(paths[0])) {
        if (!fs.existsSync(paths[0])) throw new UsageError(`no such file: ${paths[0]}`);
        twins.setScope(scope);
        return twins.get(path.resolve(paths[0]));
    }
    const files = intentFiles(paths.length > 0 ? paths : ['.']);
    const report = await checkFiles(Netintent, files, { verify: false, twinScope: scope });
    if (report.programs.size !== 1)
        throw new UsageError(
            `twin export writes one twin; these files bind ${report.programs.size}. Give one twin file, or the intent files of one twin.`
        );
    return twins.get([...report.programs.keys()][0]);
}
