/**
 * The step every twin importer shares: a `TwinImport` as the text of a twin file (YAML, keys in
 * the order docs/twin.md shows them, where each part came from as a comment above it, a header
 * naming the source and the command), and that text written into place atomically.
 *
 * The header also tells later imports that netintent wrote the file: its first line is
 * `# netintent twin import …`, its second the sha256 of the rest. An import replaces a file only
 * while both still hold, i.e. one it wrote and nobody edited since; anything else (a hand-written
 * twin, an imported one someone added hosts to, a link) only with --force.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileNotWritten, MAX_FILE_BYTES, writeFileAtomically } from '../common/files.js';
import { Document, isMap, isScalar, isSeq, Scalar, type Node, type Pair } from 'yaml';
import { DEVICE_KEYS, EXTERNAL_KEYS, HOST_KEYS, LINK_KEYS, POOL_KEYS, SEGMENT_KEYS, TOP_KEYS } from '../twin/load.js';
import type { TwinImport } from './document.js';

export const HEADER = '# netintent twin import';
const DIGEST_LINE = /^# sha256 ([0-9a-f]{64}) of this file but this line: /;
/** An external with more prefixes than this is written a prefix a line. */
const FLOW_PREFIXES = 4;

/** A file is not written (refused, or cannot be): the message says why and what to do. */
export class ImportWriteError extends Error {}

/** The keys of each part, in the documented order (parts are named by the top-level key they are under). */
const PART_KEYS: Record<string, readonly string[]> = {
    pools: POOL_KEYS,
    devices: DEVICE_KEYS,
    links: LINK_KEYS,
    segments: SEGMENT_KEYS,
    hosts: HOST_KEYS,
    externals: EXTERNAL_KEYS
};

/**
 * The twin file's text. `args` are the import's arguments (`DIR --from configs --out FILE`): its
 * first line is the command that made it.
 */
export function renderTwinImport(imported: TwinImport, args: string): string {
    const document = new Document(ordered(imported.twin as unknown as Record<string, unknown>, TOP_KEYS));
    const top = document.contents;
    if (!isMap(top)) throw new Error('a twin document is a mapping');
    for (const pair of top.items) styleTopLevel(pair);
    for (const [where, text] of imported.sources) addComment(top, where, text);
    const body = document.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq: true });
    return withHeader(`${HEADER} ${oneLine(args)}`, `\n${body}`);
}

/**
 * Writes `text` into `file` atomically (a temporary file beside it, then renamed over it): the
 * file is the old one or the new one, never part of either. A file that is there is replaced
 * only when an import wrote it and it is unedited, or with `force`. `accept` is given the text
 * read back from the temporary file before it takes the file's place: what it throws leaves the
 * file as it was.
 */
export function writeTwinFile(
    file: string,
    text: string,
    force: boolean,
    accept: (written: string) => void = () => undefined
): void {
    checkTwinFile(file, force);
    try {
        writeFileAtomically(file, text, accept);
    } catch (error) {
        if (error instanceof FileNotWritten) throw new ImportWriteError(error.message);
        throw error;
    }
}

/**
 * Throws an ImportWriteError unless `file` may be written: its folder exists, and nothing is there
 * but a file an import wrote and nobody edited (anything else with `force`, but a folder).
 */
export function checkTwinFile(file: string, force: boolean): void {
    const existing = lstatIfAny(file);
    if (existing?.isDirectory())
        throw new ImportWriteError(`${file} is a folder; give --out the twin file to write (e.g. network.twin.yaml).`);
    if (existing && !force) {
        const why = !existing.isFile()
            ? `is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`
            : existing.size > MAX_FILE_BYTES || !writtenByImport(fs.readFileSync(file, 'utf8'))
              ? 'was not written by netintent twin import, or was edited since'
              : undefined;
        if (why)
            throw new ImportWriteError(
                `${file} ${why}: not overwritten. Choose another --out, or run again with --force to replace it.`
            );
    }
    const folder = path.dirname(file);
    if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory())
        throw new ImportWriteError(`cannot write ${file}: there is no folder ${folder}. Make it first.`);
}

/** Whether `text` is a twin file an import wrote, unedited since. */
export function writtenByImport(text: string): boolean {
    const [first, second] = text.split('\n', 2);
    const digest = DIGEST_LINE.exec(second ?? '')?.[1];
    if (!first.startsWith(`${HEADER} `) || digest === undefined) return false;
    return sha256(withoutLine(text, 1)) === digest;
}

function withHeader(first: string, body: string): string {
    const unsigned = `${first}\n${body}`;
    const second = `# sha256 ${sha256(unsigned)} of this file but this line: while it holds, a later import may replace the file; edited, it asks for --force.`;
    return `${first}\n${second}\n${body}`;
}

/** `text` without its line at `index` (0-based). */
function withoutLine(text: string, index: number): string {
    const lines = text.split('\n');
    lines.splice(index, 1);
    return lines.join('\n');
}

function sha256(text: string): string {
    return createHash('sha256').update(text).digest('hex');
}

/** `value`'s keys in `order`, then any others; undefined values left out. */
function ordered(value: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
    const keys = [...order.filter(key => key in value), ...Object.keys(value).filter(key => !order.includes(key))];
    return Object.fromEntries(keys.filter(key => value[key] !== undefined).map(key => [key, value[key]]));
}

/**
 * Each part's keys in order; a part on one line (`r1: { loopback: 10.255.0.1 }`) as the samples
 * write them, but an external with many prefixes, whose prefixes are then a line each.
 */
function styleTopLevel(pair: Pair): void {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as Node | null;
    const order = PART_KEYS[key];
    if (!order || !value) {
        quoteColons(value);
        return;
    }
    if (key === 'pools' && isMap(value)) {
        sortMap(value, order);
        quoteColons(value);
        return;
    }
    const parts = isMap(value) ? value.items.map(item => item.value as Node) : isSeq(value) ? value.items : [];
    for (const part of parts as Node[]) {
        if (!isMap(part)) continue;
        sortMap(part, order);
        quoteColons(part);
        const prefixes = part.get('prefixes', true);
        const long = isSeq(prefixes) && prefixes.items.length > FLOW_PREFIXES;
        part.flow = !long;
        for (const item of part.items) if (isSeq(item.value)) item.value.flow = !long || item.value !== prefixes;
    }
}

function sortMap(map: { items: Pair[] }, order: readonly string[]): void {
    const rank = (pair: Pair) => {
        const index = order.indexOf(String(isScalar(pair.key) ? pair.key.value : pair.key));
        return index < 0 ? order.length : index;
    };
    map.items.sort((a, b) => rank(a) - rank(b));
}

/** Values that start with ':' (`::/0`) in double quotes, as docs/twin.md asks: not every YAML reader takes them bare. */
function quoteColons(node: Node | null | undefined): void {
    if (!node) return;
    if (isScalar(node)) {
        if (typeof node.value === 'string' && node.value.startsWith(':')) node.type = Scalar.QUOTE_DOUBLE;
    } else if (isMap(node)) {
        for (const pair of node.items) quoteColons(pair.value as Node);
    } else if (isSeq(node)) {
        for (const item of node.items) quoteColons(item as Node);
    }
}

/**
 * The source of a part as a comment above it: `devices.r1` above r1's line, `links.3` above the
 * fourth link, `routing` above the key; a deeper path (`links.3.cost`) goes above its part, saying
 * what it is about.
 */
function addComment(top: { items: Pair[] }, where: string, text: string): void {
    const [key, name, ...rest] = where.split('.');
    const pair = top.items.find(p => isScalar(p.key) && p.key.value === key);
    if (!pair) throw new Error(`a source for '${where}', which the twin does not have`);
    let target: Node | undefined = pair.key as Node;
    if (name !== undefined) {
        const value = pair.value as Node;
        if (isMap(value)) target = value.items.find(p => isScalar(p.key) && String(p.key.value) === name)?.key as Node;
        else if (isSeq(value)) target = value.items[Number(name)] as Node | undefined;
        else target = undefined;
    }
    if (!target) throw new Error(`a source for '${where}', which the twin does not have`);
    const line = ` ${rest.length > 0 ? `${rest.join('.')}: ` : ''}${oneLine(text)}`;
    target.commentBefore = target.commentBefore ? `${target.commentBefore}\n${line}` : line;
}

/** Text for a comment line: no line breaks or other control characters. */
function oneLine(text: string): string {
    return text.replace(/[\x00-\x1f\x7f]+/g, ' ');
}

function lstatIfAny(at: string): fs.Stats | undefined {
    return fs.lstatSync(at, { throwIfNoEntry: false });
}
