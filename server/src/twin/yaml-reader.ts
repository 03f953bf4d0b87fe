/**
 * Reads a YAML file as a tree of nodes with positions, so that every problem the twin loader
 * finds is reported at its line and column. Aliases are resolved with a bound on what they
 * expand to (no billion laughs), nesting is bounded, and a file that is no twin at all (a
 * binary, /etc/passwd) gives one error, not one that quotes each of its lines.
 */
import * as path from 'node:path';
import {
    Composer,
    isAlias,
    isMap,
    isNode,
    isScalar,
    isSeq,
    Lexer,
    LineCounter,
    Parser,
    visit,
    YAMLParseError,
    type Alias,
    type CST,
    type Document,
    type Node,
    type Scalar
} from 'yaml';
import { MAX_QUOTED, quoted, type Diagnostic, type SourceLocation, type SourceRange } from '../common/diagnostic.js';
import { nearestName } from '../common/suggest.js';
import type { InterfaceKey } from './model.js';

/** Nodes all the aliases of a file may stand for together: far more than a twin repeats, far fewer than would slow the loader. */
export const MAX_ALIAS_NODES = 100_000;
/**
 * YAML tokens (names, values, punctuation) of a file: a twin of 20,000 devices has 3,000,000. A
 * token takes the yaml package about a microsecond and 200 bytes, so this bounds time and memory
 * (a file that passes it is refused within seconds) while networks of that size still load.
 */
export const MAX_TOKENS = 3_000_000;
/** Collections in collections: a twin has a handful; the yaml package's composer recurses and overflows near a thousand. */
export const MAX_DEPTH = 100;
/** Problems reported of one file: enough to fix, not a report as large as the file. */
export const MAX_PROBLEMS = 1000;
/** The tags of YAML's core schema; any other (`!!js/function`, `!custom`) means something a twin does not. */
const CORE_TAGS = ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map(t => `tag:yaml.org,2002:${t}`);

/** A `device:interface` as read from the YAML: the interface, and the node and place it was written at. */
export interface Endpoint {
    key: InterfaceKey;
    node: Node | null;
    location: SourceLocation;
}

export interface MapEntry {
    key: string;
    keyNode: Scalar;
    value: Node | null;
}

export class YamlReader {
    readonly diagnostics: Diagnostic[] = [];
    readonly root: Node | null = null;
    private readonly lineCounter = new LineCounter();
    /** The node each alias stands for: the last with its anchor before it. */
    private readonly targets = new Map<Alias, Node>();

    constructor(
        readonly file: string,
        text: string
    ) {
        if (text.includes('\0')) {
            this.notATwin('it is binary, not text');
            return;
        }
        // Old Mac files end lines with CR alone, which the yaml package does not take for a line
        // break; the same length keeps every offset.
        const source = text.replace(/\r(?!\n)/g, '\n');
        const tokens = this.parse(source);
        if (!Array.isArray(tokens)) {
            const at = this.position(tokens.offset);
            this.report({ start: at, end: at }, tokens.message, tokens.code);
            return;
        }
        const document = firstDocument(tokens, source.length);
        const root = document.contents;
        // A list is a twin of the wrong shape, which the loader says; a scalar is text, not a twin.
        if (root ? !isMap(root) && !isSeq(root) : document.errors.length > 0) {
            this.notATwin('its top level is not a YAML mapping');
            return;
        }
        this.reportSyntaxErrors(document);
        this.reportDuplicateKeys(document);
        this.reportTags(document);
        // Best effort after syntax errors too: what could be read still names things.
        if (this.resolveAliases(document)) this.root = root as Node | null;
    }

    /** One error for a file that is no twin at all, at its start: nothing of it is quoted. */
    private notATwin(why: string): void {
        const start = { line: 1, column: 1 };
        this.report({ start, end: start }, `'${path.basename(this.file)}' is not a twin: ${why}.`, 'not-a-twin');
    }

    /**
     * The syntax tree of `source`, or where it passes MAX_TOKENS or MAX_DEPTH and why. The parser
     * keeps a stack of its own (what it is building: the document, collections, a scalar), so
     * both are measured before anything recurses or a file of brackets fills the memory.
     */
    private parse(source: string): CST.Token[] | { offset: number; message: string; code: string } {
        const parser = new Parser(this.lineCounter.addNewLine);
        this.lineCounter.addNewLine(0); // as Parser.parse does: the first line starts at 0
        const tokens: CST.Token[] = [];
        let count = 0;
        for (const lexeme of new Lexer().lex(source)) {
            if (++count > MAX_TOKENS) {
                return {
                    offset: parser.offset,
                    code: 'yaml-size',
                    message: `YAML with more than ${MAX_TOKENS.toLocaleString('en')} tokens (names, values, punctuation); a twin of 20,000 devices has that many. The file is not read.`
                };
            }
            tokens.push(...parser.next(lexeme));
            if (parser.stack.length > MAX_DEPTH) {
                return {
                    offset: parser.offset,
                    code: 'yaml-depth',
                    message: `YAML nested more than ${MAX_DEPTH} levels deep; a twin needs a few. The file is not read.`
                };
            }
        }
        tokens.push(...parser.end());
        return tokens;
    }

    private reportSyntaxErrors(document: Document): void {
        for (const error of document.errors) {
            this.report(
                { start: this.position(error.pos[0]), end: this.position(error.pos[1]) },
                `YAML syntax error: ${shortQuotes(firstLine(error.message))}`,
                'yaml-syntax'
            );
        }
    }

    /** The yaml package's own check compares each key with every other of its map: minutes for 100,000 keys. */
    private reportDuplicateKeys(document: Document): void {
        visit(document, {
            Map: (_, map) => {
                const keys = new Set<unknown>();
                for (const { key } of map.items) {
                    if (!isScalar(key)) continue;
                    if (keys.has(key.value))
                        this.error(
                            key,
                            'This name is already used in this map; names must be unique. Rename one of them.',
                            'duplicate-name'
                        );
                    keys.add(key.value);
                }
            }
        });
    }

    private reportTags(document: Document): void {
        visit(document, {
            Node: (_, node) => {
                if (node.tag !== undefined && !CORE_TAGS.includes(node.tag)) {
                    this.error(
                        node,
                        `Unknown YAML tag ${quoted(node.tag.replace(/^tag:yaml\.org,2002:/, '!!'))}: a twin holds plain values; remove the tag.`,
                        'yaml-tag'
                    );
                }
            }
        });
    }

    /**
     * Finds what each alias stands for, and refuses the file when all of them together stand for
     * more than MAX_ALIAS_NODES nodes (error at the alias that crosses it): the loader walks
     * every expansion, so that is the work a file can ask for. An alias in the node it names
     * stands for endlessly many.
     */
    private resolveAliases(document: Document): boolean {
        const anchors = new Map<string, Node>();
        const aliases: Alias[] = [];
        visit(document, {
            Node: (_, node) => {
                if (isAlias(node)) {
                    aliases.push(node);
                    const target = anchors.get(node.source);
                    if (target) this.targets.set(node, target);
                    else
                        this.error(
                            node,
                            `Unknown alias ${quoted(`*${node.source}`)}: no anchor ${quoted(`&${node.source}`)} is set before it.`,
                            'yaml-alias'
                        );
                } else if (node.anchor) {
                    anchors.set(node.anchor, node);
                }
            }
        });
        const sizes = new Map<Node, number>();
        let total = 0;
        for (const alias of aliases) {
            total += this.expandedSize(alias, sizes);
            if (total > MAX_ALIAS_NODES) {
                this.error(
                    alias,
                    `YAML aliases expand too far: with this one, the aliases of this file stand for more than ${MAX_ALIAS_NODES.toLocaleString('en')} nodes. Write the values out, or use fewer aliases.`,
                    'yaml-alias'
                );
                return false;
            }
        }
        return true;
    }

    /** The nodes `node` stands for, aliases expanded; Infinity for an alias inside what it names. */
    private expandedSize(node: unknown, sizes: Map<Node, number>): number {
        if (!isNode(node)) return 0;
        if (isAlias(node)) {
            const target = this.targets.get(node);
            return target ? this.expandedSize(target, sizes) : 1;
        }
        const known = sizes.get(node);
        if (known !== undefined) return known;
        sizes.set(node, Infinity);
        let size = 1;
        if (isMap(node))
            for (const pair of node.items)
                size += this.expandedSize(pair.key, sizes) + this.expandedSize(pair.value, sizes);
        if (isSeq(node)) for (const item of node.items) size += this.expandedSize(item, sizes);
        sizes.set(node, size);
        return size;
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
        if (this.diagnostics.length > MAX_PROBLEMS) return;
        if (this.diagnostics.length === MAX_PROBLEMS) {
            this.diagnostics.push({
                file: this.file,
                range,
                severity: 'error',
                code: 'too-many-problems',
                message: `More than ${MAX_PROBLEMS.toLocaleString('en')} problems in this file; the first ${MAX_PROBLEMS.toLocaleString('en')} are reported.`
            });
            return;
        }
        this.diagnostics.push({ file: this.file, range, severity, code, message });
    }

    error(node: Node | null | undefined, message: string, code = 'twin'): void {
        this.report(this.range(node), message, code);
    }

    warning(node: Node | null | undefined, message: string, code = 'twin'): void {
        this.report(this.range(node), message, code, 'warning');
    }

    /** The node itself, or what an alias stands for (null for an unknown alias). */
    resolve(node: Node | null | undefined): Node | null {
        if (!node) return null;
        return isAlias(node) ? (this.targets.get(node) ?? null) : node;
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
                this.unknownKey(keyNode, key, what, known);
                continue;
            }
            entries.push({ key, keyNode, value: pair.value as Node | null });
        }
        return entries;
    }

    private unknownKey(keyNode: Scalar, key: string, what: string, known: readonly string[]): void {
        // Past the last problem reported, a suggestion is work for nothing (150,000 keys: seconds).
        if (this.diagnostics.length > MAX_PROBLEMS) return;
        // A long key is no typo of a known one, and may be a line of some other file.
        const nearest = key.length <= MAX_QUOTED ? nearestName(key, known) : undefined;
        this.error(
            keyNode,
            `Unknown key ${quoted(key)} in ${what}.${nearest ? ` Did you mean '${nearest}'?` : ` Expected one of: ${known.join(', ')}.`}`,
            'unknown-key'
        );
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
        if (
            resolved &&
            isScalar(resolved) &&
            (typeof resolved.value === 'string' || typeof resolved.value === 'number')
        ) {
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

/** The first document of a file, as `parseDocument` composes it: a twin is one. */
function firstDocument(tokens: CST.Token[], length: number): Document {
    let first: Document | undefined;
    // Duplicate keys are found by reportDuplicateKeys, in one pass.
    for (const document of new Composer({ uniqueKeys: false }).compose(tokens, true, length)) {
        if (first) {
            first.errors.push(
                new YAMLParseError(
                    [document.range[0], document.range[1]],
                    'MULTIPLE_DOCS',
                    'Source contains multiple documents; a twin is one.'
                )
            );
            break;
        }
        first = document;
    }
    return first!;
}

function firstLine(text: string): string {
    return text.split('\n')[0];
}

/** The yaml package quotes the token it stumbled on: keep a name's worth of it. */
function shortQuotes(message: string): string {
    return message.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) =>
        inner.length > MAX_QUOTED ? `"${inner.slice(0, MAX_QUOTED)}…"` : whole
    );
}
