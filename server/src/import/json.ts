/**
 * The JSON sources of importers (RFC 8345 files, NetBox exports and API pages): read as files
 * netintent reads every file (common/files.ts), a syntax error at its line and column, and each
 * value checked where it is used, an error naming its place.
 */
import { FileRefused, MB, readRegularFile } from '../common/files.js';
import { ImportError } from './document.js';

/** An exported topology of tens of thousands of devices is some tens of MB. */
export const MAX_IMPORT_BYTES = 200 * MB;

export type JsonObject = Record<string, unknown>;

/** The JSON value in `file`; an ImportError when it cannot be read or is not JSON (at its line and column). */
export function readJsonFile(file: string): unknown {
    let text: string | undefined;
    try {
        text = readRegularFile(file, MAX_IMPORT_BYTES);
    } catch (error) {
        if (error instanceof FileRefused) throw new ImportError(file, error.message);
        throw error;
    }
    if (text === undefined) throw new ImportError(file, 'no such file.');
    return parseJson(text, file);
}

/** `text` as JSON; not JSON: an ImportError at `source:line:column`. */
export function parseJson(text: string, source: string): unknown {
    // A byte order mark is no JSON, but editors on Windows write one.
    const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
    try {
        return JSON.parse(body);
    } catch {
        // V8's messages give a position for some errors only: the first wrong character is found here.
        const offset = syntaxErrorAt(body);
        const before = body.slice(0, offset).split(/\r\n|\r|\n/);
        const reason =
            offset >= body.length
                ? 'the text ends before the JSON value does'
                : body[offset] === '"'
                  ? 'a string starts here that is not closed, or holds a control character or a bad escape'
                  : `${JSON.stringify(body[offset])} is not what JSON has here`;
        throw new ImportError(
            `${source}:${before.length}:${before[before.length - 1].length + 1}`,
            `not JSON: ${reason}.`
        );
    }
}

const JSON_STRING = /"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const JSON_SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** The offset of the first character of `text` where it stops being JSON (its length: it ends too early). */
function syntaxErrorAt(text: string): number {
    let i = 0;
    const open: string[] = [];
    let expect: 'value' | 'value or ]' | 'key' | 'key or }' | ':' | 'next' = 'value';
    const match = (pattern: RegExp) => {
        pattern.lastIndex = i;
        if (!pattern.test(text)) return false;
        i = pattern.lastIndex;
        return true;
    };
    for (;;) {
        while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
        if (expect === 'next' && open.length === 0) return i;
        if (i >= text.length) return i;
        const c = text[i];
        const top = open[open.length - 1];
        if ((expect === 'value or ]' && c === ']') || (expect === 'key or }' && c === '}')) {
            open.pop();
            i++;
            expect = 'next';
        } else if (expect === 'value' || expect === 'value or ]') {
            if (c === '{' || c === '[') {
                open.push(c);
                i++;
                expect = c === '{' ? 'key or }' : 'value or ]';
            } else if (match(c === '"' ? JSON_STRING : JSON_SCALAR)) {
                expect = 'next';
            } else {
                return i;
            }
        } else if (expect === 'key' || expect === 'key or }') {
            if (c !== '"' || !match(JSON_STRING)) return i;
            expect = ':';
        } else if (expect === ':') {
            if (c !== ':') return i;
            i++;
            expect = 'value';
        } else if (c === ',') {
            i++;
            expect = top === '{' ? 'key' : 'value';
        } else if (c === (top === '{' ? '}' : ']')) {
            open.pop();
            i++;
        } else {
            return i;
        }
    }
}

/** What a value is, in a message: "a list", "the text 'x'". */
export function describeJson(value: unknown): string {
    if (value === undefined) return 'nothing';
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'a list';
    if (typeof value === 'object') return 'an object';
    if (typeof value === 'string')
        return `the text ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
    return `${typeof value} ${String(value)}`;
}

export function jsonObject(value: unknown, where: string, what: string): JsonObject {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
    throw new ImportError(where, `${what} must be an object, not ${describeJson(value)}.`);
}

/** A list; absent (undefined) is an empty list. */
export function jsonList(value: unknown, where: string, what: string): unknown[] {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value;
    throw new ImportError(where, `${what} must be a list, not ${describeJson(value)}.`);
}

export function jsonString(value: unknown, where: string, what: string): string {
    if (typeof value === 'string' && value.length > 0) return value;
    throw new ImportError(where, `${what} must be a non-empty text, not ${describeJson(value)}.`);
}
