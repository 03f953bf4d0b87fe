/**
 * Reads a YAML file as a tree of nodes with positions, so that every problem the twin loader
 * finds is reported at its line and column. Aliases are expanded with a bound (no billion laughs).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Scalar } from 'yaml';
import type { Diagnostic, SourceLocation, SourceRange } from '../common/diagnostic.js';
import { nearestName } from '../common/suggest.js';

/** More aliases than any hand-written twin needs, far fewer than an expansion attack uses. */
export const MAX_ALIAS_COUNT = 200;

export interface MapEntry {
    key: string;
    keyNode: Scalar;
    value: Node | null;
}

export class YamlReader {
    readonly diagnostics: Diagnostic[] = [];
    readonly root: Node | null;
    private readonly lineCounter = new LineCounter();
    private readonly document: Document;

    constructor(readonly file: string, text: string) {
        this.document = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
        for (const error of this.document.errors) {
            const code = error.code === 'DUPLICATE_KEY' ? 'duplicate-name' : 'yaml-syntax';
            const message = error.code === 'DUPLICATE_KEY'
                ? 'This name is already used in this map; names must be unique. Rename one of them.'
                : `YAML syntax error: ${firstLine(error.message)}`;
            this.report({ start: this.position(error.pos[0]), end: this.position(error.pos[1]) }, message, code);
        }
        // Best effort after syntax errors too: what could be read still names things.
        let root = this.document.contents as Node | null;
        if (root) {
            try {
                this.document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
            } catch (error) {
                // yaml refuses an expansion past the bound ("Excessive alias count …"); anything
                // else it throws here concerns a document whose syntax errors are already reported.
                if (/alias/i.test((error as Error).message)) {
                    this.error(root, `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} expansions); write the values out or use fewer nested aliases.`, 'yaml-alias');
                }
                root = null;
            }
        }
        this.root = root;
    }

    position(offset: number) {
        const { line, col } = this.lineCounter.linePos(offset);
        return { line, column: col };
    }

    range(node: Node | null | undefined): SourceRange {
        const [start, end] = node?.range ?? [0, 0];
        return { start: this.position(start), end: this.position(end) };
    }

    location(node: Node | null | undefined): SourceLocation {
        return { file: this.file, range: this.range(node) };
    }

    report(range: SourceRange, message: string, code: string, severity: Diagnostic['severity'] = 'error'): void {
        this.diagnostics.push({ file: this.file, range, severity, code, message });
    }

    error(node: Node | null | undefined, message: string, code = 'twin'): void {
        this.report(this.range(node), message, code);
    }

    warning(node: Node | null | undefined, message: string, code = 'twin'): void {
        this.report(this.range(node), message, code, 'warning');
    }

    resolve(node: Node | null | undefined): Node | null {
        let current = node ?? null;
        for (let depth = 0; current && isAlias(current) && depth < MAX_ALIAS_COUNT; depth++) {
            current = (current.resolve(this.document) as Node | undefined) ?? null;
        }
        return current && isAlias(current) ? null : current;
    }

    /** The entries of a mapping; reports anything else. `known` keys guard against typos. */
    map(node: Node | null | undefined, what: string, known?: readonly string[]): MapEntry[] {
        const resolved = this.resolve(node);
        if (resolved === null || (isScalar(resolved) && resolved.value === null)) return [];
        if (!isMap(resolved)) {
            this.error(node, `${what} must be a mapping of 'key: value' lines.`);
            return [];
        }
        const entries: MapEntry[] = [];
        for (const pair of resolved.items) {
            const keyNode = pair.key as Node;
            if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
                this.error(keyNode, `A key in ${what} must be a plain name.`);
                continue;
            }
            const key = String(keyNode.value);
            if (known && !known.includes(key)) {
                const nearest = nearestName(key, known);
                this.error(keyNode, `Unknown key '${key}' in ${what}.${nearest ? ` Did you mean '${nearest}'?` : ` Expected one of: ${known.join(', ')}.`}`, 'unknown-key');
                continue;
            }
            entries.push({ key, keyNode, value: pair.value as Node | null });
        }
        return entries;
    }

    seq(node: Node | null | undefined, what: string): Node[] {
        const resolved = this.resolve(node);
        if (resolved === null || (isScalar(resolved) && resolved.value === null)) return [];
        if (!isSeq(resolved)) {
            this.error(node, `${what} must be a list ('- item' lines or [a, b]).`);
            return [];
        }
        return resolved.items as Node[];
    }

    string(node: Node | null | undefined, what: string): string | undefined {
        const resolved = this.resolve(node);
        if (resolved && isScalar(resolved) && (typeof resolved.value === 'string' || typeof resolved.value === 'number')) {
            return String(resolved.value);
        }
        this.error(node, `${what} must be a text value.`);
        return undefined;
    }

    integer(node: Node | null | undefined, what: string, min: number, max: number): number | undefined {
        const resolved = this.resolve(node);
        const value = resolved && isScalar(resolved) ? resolved.value : undefined;
        if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
        this.error(node, `${what} must be a whole number from ${min} to ${max}.`);
        return undefined;
    }
}

function firstLine(text: string): string {
    return text.split('\n')[0];
}
