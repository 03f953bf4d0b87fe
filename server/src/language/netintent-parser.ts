/**
 * The parsers (the document's and completion's), bounded.
 *
 * Chevrotain recovers from a syntax error in a repetition (the statements of a file, the
 * requirements of an intent) by skipping to a token that can start another iteration and then
 * calling the repetition again from inside its recovery (Recoverable.tryInRepetitionRecovery):
 * every such error nests the rest of the parse a few frames deeper, and a file of a thousand
 * broken lines (`group x = ,`) overflowed the call stack. So after MAX_SYNTAX_ERRORS errors no
 * repetition iterates any more, which also ends that recovery: the rest of the file is not read,
 * and one more error says so. Below that, parsing is exactly Langium's.
 */
import {
    CstNodeBuilder,
    createParser,
    LangiumCompletionParser,
    LangiumParser,
    type AstNode,
    type CompositeCstNode,
    type CstNode,
    type LangiumCoreServices,
    type ParseResult,
    type ParserOptions
} from 'langium';
import type { DSLMethodOpts, IToken } from 'chevrotain';
import { MAX_SYNTAX_ERRORS } from './limits.js';

export class NetintentParser extends LangiumParser {
    constructor(services: LangiumCoreServices) {
        super(services);
        // Langium keeps its builder private; this one builds the same tree, in linear time.
        (this as unknown as { nodeBuilder: CstNodeBuilder }).nodeBuilder = new LinearCstNodeBuilder();
    }

    override many(idx: number, callback: DSLMethodOpts<unknown>): void {
        super.many(idx, untilTooManyErrors(this.wrapper, callback));
    }

    override atLeastOne(idx: number, callback: DSLMethodOpts<unknown>): void {
        super.atLeastOne(idx, untilTooManyErrors(this.wrapper, callback));
    }

    override parse<T extends AstNode = AstNode>(input: string, options?: ParserOptions): ParseResult<T> {
        const result = super.parse<T>(input, options);
        if (result.parserErrors.length <= MAX_SYNTAX_ERRORS) return result;
        const message = `More than ${MAX_SYNTAX_ERRORS} syntax errors in this file: the first ${MAX_SYNTAX_ERRORS} are reported, and the rest of the file is not checked.`;
        const stop = { ...result.parserErrors[MAX_SYNTAX_ERRORS], message };
        return { ...result, parserErrors: [...result.parserErrors.slice(0, MAX_SYNTAX_ERRORS), stop] };
    }
}

export class NetintentCompletionParser extends LangiumCompletionParser {
    override many(idx: number, callback: DSLMethodOpts<unknown>): void {
        super.many(idx, untilTooManyErrors(this.wrapper, callback));
    }

    override atLeastOne(idx: number, callback: DSLMethodOpts<unknown>): void {
        super.atLeastOne(idx, untilTooManyErrors(this.wrapper, callback));
    }
}

/** A repetition that stops iterating once the parser has MAX_SYNTAX_ERRORS errors. */
function untilTooManyErrors(parser: { errors: unknown[] }, repetition: DSLMethodOpts<unknown>): DSLMethodOpts<unknown> {
    const gate = repetition.GATE;
    return { ...repetition, GATE: () => parser.errors.length < MAX_SYNTAX_ERRORS && (gate?.() ?? true) };
}

export function createNetintentParser(services: LangiumCoreServices): NetintentParser {
    const parser = createParser(services.Grammar, new NetintentParser(services), services.parser.Lexer.definition);
    parser.finalize();
    return parser;
}

export function createNetintentCompletionParser(services: LangiumCoreServices): NetintentCompletionParser {
    const parser = createParser(
        services.Grammar,
        new NetintentCompletionParser(services),
        services.parser.Lexer.definition
    );
    parser.finalize();
    return parser;
}

/**
 * Langium's CST builder, placing comments in constant time and stack space. Before each token
 * Langium looks for the node its comments go before with indexOf among that node's siblings,
 * also when there are no comments: quadratic in a long list (a group of 100,000 members took
 * minutes). The node being built is the last of its siblings, so lastIndexOf finds it at once.
 * And it adds the comments as arguments of one call, which overflows the stack for a file of
 * 100,000 comments in a row.
 */
class LinearCstNodeBuilder extends CstNodeBuilder {
    override addHiddenNodes(tokens: IToken[]): void {
        if (tokens.length === 0) return;
        const nodes = tokens.map(token => this.createLeafNode(token, true));
        const current = this.current;
        if (current.content.length > 0) {
            this.appendChildren(current, nodes);
            return;
        }
        // A new node: the comments go before the first node up from it that has a sibling before it.
        let node: CstNode = current;
        while (node.container) {
            const index = node.container.content.lastIndexOf(node);
            if (index > 0) {
                this.insertChildren(node.container, index, nodes);
                return;
            }
            node = node.container;
        }
        this.insertChildren(node as CompositeCstNode, 0, nodes);
    }

    override appendChildren(parent: CompositeCstNode, children: CstNode[]): void {
        for (const child of children) this.appendChild(parent, child);
    }

    override insertChildren(parent: CompositeCstNode, index: number, children: CstNode[]): void {
        // Read-only to Langium's users, not to its builder. What follows is mostly the node being built.
        const content = parent.content as CstNode[];
        const after = content.splice(index);
        this.appendChildren(parent, children);
        for (const node of after) content.push(node);
    }
}
