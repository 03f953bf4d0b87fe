/**
 * The lexer, bounded: a file over MAX_SOURCE_BYTES is not lexed at all (one error at line 1), a name
 * or string over its length is an error at it, and characters that fit no token are reported up
 * to MAX_SYNTAX_ERRORS. Comments and strings are matched in linear time (see LinearMatchers).
 */
import { DefaultLexer, DefaultTokenBuilder, type GrammarAST, type LexerResult, type TokenizeOptions } from 'langium';
import type { CustomPatternMatcherReturn, ILexingError, IToken, TokenType } from 'chevrotain';
import { count, MAX_SOURCE_BYTES, MAX_NAME_LENGTH, MAX_STRING_LENGTH, MAX_SYNTAX_ERRORS } from './limits.js';

export class NetintentLexer extends DefaultLexer {
    override tokenize(text: string, options?: TokenizeOptions): LexerResult {
        if (isTooLarge(text)) {
            const bytes = Buffer.byteLength(text, 'utf8');
            const message = `This file is ${count(bytes)} bytes; an intent file may have at most ${count(MAX_SOURCE_BYTES)} (1 MiB), so it is not checked. Split it into files that bind the same twin.`;
            return { tokens: [], hidden: [], errors: [{ offset: 0, line: 1, column: 1, length: 0, message }] };
        }
        const result = super.tokenize(text, options);
        return { ...result, errors: [...capped(result.errors), ...result.tokens.flatMap(tooLong)] };
    }
}

/** Over the size limit: the lexer reads none of it, and nothing else about it need be said. */
export function isTooLarge(text: string): boolean {
    return Buffer.byteLength(text, 'utf8') > MAX_SOURCE_BYTES;
}

/** The first MAX_SYNTAX_ERRORS errors, and one more saying that there are more. */
function capped(errors: ILexingError[]): ILexingError[] {
    if (errors.length <= MAX_SYNTAX_ERRORS) return errors;
    const message = `More than ${MAX_SYNTAX_ERRORS} unexpected characters in this file; the first ${MAX_SYNTAX_ERRORS} are reported.`;
    return [...errors.slice(0, MAX_SYNTAX_ERRORS), { ...errors[MAX_SYNTAX_ERRORS], message }];
}

/** An error at a name or string that is longer than one may be. */
function tooLong(token: IToken): ILexingError[] {
    const { startOffset: offset, startLine: line = 1, startColumn: column = 1, image } = token;
    const at = { offset, line, column, length: image.length };
    if (token.tokenType.name === 'ID' && image.length > MAX_NAME_LENGTH) {
        return [
            {
                ...at,
                message: `This name is ${count(image.length)} characters long; a name has at most ${MAX_NAME_LENGTH}.`
            }
        ];
    }
    if (token.tokenType.name === 'STRING' && image.length - 2 > MAX_STRING_LENGTH) {
        return [
            {
                ...at,
                message: `This string is ${count(image.length - 2)} characters long; a string has at most ${count(MAX_STRING_LENGTH)}.`
            }
        ];
    }
    return [];
}

/** A name is too long for an intent file (the lexer reports it; nothing else need). */
export function isTooLongName(text: string): boolean {
    return text.length > MAX_NAME_LENGTH && !text.startsWith('"');
}

/** The grammar's tokens, with comments and strings matched by LinearMatchers instead of their regular expressions. */
export class NetintentTokenBuilder extends DefaultTokenBuilder {
    private readonly matchers = new LinearMatchers();

    protected override buildTerminalToken(terminal: GrammarAST.TerminalRule): TokenType {
        const token = super.buildTerminalToken(terminal);
        if (terminal.name === 'ML_COMMENT')
            return { ...token, PATTERN: this.matchers.comment, START_CHARS_HINT: ['/'], LINE_BREAKS: true };
        if (terminal.name === 'STRING')
            return { ...token, PATTERN: this.matchers.string, START_CHARS_HINT: ['"'], LINE_BREAKS: false };
        return token;
    }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LINE_END = /[\n\r\u2028\u2029]/;

/**
 * ML_COMMENT (/\/\*[\s\S]*?\*\//) and STRING (/"(\\.|[^"\\\r\n])*"/), matched the same, in
 * linear time. A regular expression scans to the end of the file for an unclosed comment (to the
 * end of the line for an unclosed string) at every place one could start; after an error the
 * lexer tries again one character further, so "/*" or "\"\\" repeated takes quadratic time.
 * These remember the failure for the text being lexed. (Strings also overflowed the regular
 * expression stack at a few MB.)
 */
class LinearMatchers {
    private text = '';
    /** Where the last closing of a comment starts (-1: none). */
    private lastClose = -1;
    /** A string opened at `from` is not closed before `to`: neither is one opened between them. */
    private unclosed = { from: -1, to: -1 };

    comment = (text: string, offset: number): CustomPatternMatcherReturn | null => {
        if (!text.startsWith('/*', offset)) return null;
        this.use(text);
        if (this.lastClose < offset + 2) return null;
        return [text.slice(offset, text.indexOf('*/', offset + 2) + 2)];
    };

    string = (text: string, offset: number): CustomPatternMatcherReturn | null => {
        if (text.charCodeAt(offset) !== QUOTE) return null;
        this.use(text);
        if (offset > this.unclosed.from && offset < this.unclosed.to) return null;
        const end = closingQuote(text, offset);
        if (end >= 0) return [text.slice(offset, end + 1)];
        // A quote in between was escaped, and the scan from just after it is the same as this one.
        this.unclosed = { from: offset, to: -end };
        return null;
    };

    /** Starts over for another text (comparing is cheap after the first call: the same string). */
    private use(text: string): void {
        if (text === this.text) return;
        this.text = text;
        this.lastClose = text.lastIndexOf('*/');
        this.unclosed = { from: -1, to: -1 };
    }
}

/** Where the string opened at `offset` closes, or minus where it stops unclosed (a line end, the end). */
function closingQuote(text: string, offset: number): number {
    let i = offset + 1;
    while (i < text.length) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) return i;
        if (c === BACKSLASH) {
            if (i + 1 >= text.length || LINE_END.test(text[i + 1])) return -i;
            i += 2;
        } else if (c === 0x0a || c === 0x0d) {
            return -i;
        } else {
            i++;
        }
    }
    return -i;
}
