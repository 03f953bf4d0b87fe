/** `netintent twin import SOURCE --from KIND --out FILE [--force]` (docs/cli.md, docs/twin.md "Importing"). */
import * as path from 'node:path';
import { importConfigs } from '../import/configs.js';
import type { TwinImport } from '../import/document.js';
import { importNetbox } from '../import/netbox.js';
import { importRfc8345 } from '../import/rfc8345.js';
import { checkTwinFile, renderTwinImport, writeTwinFile } from '../import/write.js';
import { loadTwin } from '../twin/load.js';
import type { Twin } from '../twin/model.js';

export const IMPORT_SOURCES = ['configs', 'rfc8345', 'netbox'] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

export interface TwinImportOptions {
    from: ImportSource;
    out: string;
    force: boolean;
}

/** Imports, and writes the twin file once the loader has read it back; warnings go to stderr. */
export async function runTwinImport(source: string, options: TwinImportOptions): Promise<void> {
    // Before the import, which may take long: an --out that will be refused is said at once.
    checkTwinFile(options.out, options.force);
    const imported = await importFrom(source, options.from);
    for (const warning of imported.warnings) process.stderr.write(`warning: ${warning.where}: ${warning.message}\n`);
    const args = [source, '--from', options.from, '--out', options.out].map(shellWord).join(' ');
    const text = renderTwinImport(imported, args);
    const file = path.resolve(options.out);
    // Loaded as written, before it takes the place of --out: a twin that does not load replaces nothing.
    let twin: Twin | undefined;
    writeTwinFile(options.out, text, options.force, written => {
        twin = failUnlessLoads(file, written, options.from);
    });
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    process.stdout.write(
        `imported ${source} (${options.from}): ${count(twin!.devices.size, 'device')}, ${count(twin!.links.length, 'link')}, ${count(twin!.segments.size, 'segment')}, ${count(twin!.externals.size, 'external')}, ${count(imported.warnings.length, 'warning')} → ${options.out}\n`
    );
}

function importFrom(source: string, from: ImportSource): Promise<TwinImport> | TwinImport {
    switch (from) {
        case 'configs':
            return importConfigs(source);
        case 'rfc8345':
            return importRfc8345(source);
        case 'netbox':
            // A token on the command line would show in the process list and the shell's history.
            return importNetbox(source, { token: process.env.NETBOX_TOKEN });
    }
}

/** The twin `text` is, as the file `file`; an importer whose twin does not load has a bug, said loudly. */
function failUnlessLoads(file: string, text: string, from: ImportSource): Twin {
    const loaded = loadTwin(file, f => (f === file ? text : undefined));
    const errors = loaded.diagnostics.filter(d => d.severity === 'error');
    if (errors.length > 0)
        throw new Error(
            `the twin imported from ${from} does not load, a bug of the importer: ${errors
                .slice(0, 5)
                .map(e => `line ${e.range.start.line}: ${e.message}`)
                .join('; ')}`
        );
    return loaded.twin;
}

/** A word as a shell reads it back: bare when it can be, else in single quotes. */
function shellWord(word: string): string {
    return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
