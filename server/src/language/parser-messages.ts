/**
 * Syntax errors as a person reads them: what was found, what fits there, and the keyword a
 * misspelt word was probably meant to be ("Unexpected 'allw'. Did you mean 'allow'?").
 */
import { GrammarAST, AstUtils, type LangiumCoreServices } from 'langium';
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { nearestName } from '../common/suggest.js';

/** What a message quotes of a token: a string or a name may be long. */
const MAX_QUOTED = 40;

const TERMINAL_NAMES: Record<string, string> = {
    ID: 'a name',
    INT: 'a number',
    STRING: 'a quoted string',
    IPV4: 'an IPv4 prefix like 10.0.0.0/8',
    IPV6: 'an IPv6 prefix like 2001:db8::/32',
    DURATION: 'a duration like 4ms'
};

export class NetintentParserErrorMessages implements IParserErrorMessageProvider {
    private readonly keywords: string[];

    constructor(services: LangiumCoreServices) {
        const words = AstUtils.streamAllContents(services.Grammar)
            .filter(GrammarAST.isKeyword)
            .map(k => k.value)
            .filter(k => /^[a-z]+$/.test(k));
        this.keywords = [...new Set(words)].sort();
    }

    buildMismatchTokenMessage({ expected, actual }: { expected: TokenType; actual: IToken }): string {
        return this.message(actual, [expected]);
    }

    buildNotAllInputParsedMessage({ firstRedundant }: { firstRedundant: IToken }): string {
        return `Unexpected ${describeToken(firstRedundant)}: a statement starts with twin, default, group, service, scenario or intent.${this.hint(firstRedundant, [])}`;
    }

    buildNoViableAltMessage({
        expectedPathsPerAlt,
        actual
    }: {
        expectedPathsPerAlt: TokenType[][][];
        actual: IToken[];
    }): string {
        return this.message(
            actual[0],
            expectedPathsPerAlt.flatMap(alt => alt.map(path => path[0]))
        );
    }

    buildEarlyExitMessage({
        expectedIterationPaths,
        actual
    }: {
        expectedIterationPaths: TokenType[][];
        actual: IToken[];
    }): string {
        return this.message(
            actual[0],
            expectedIterationPaths.map(path => path[0])
        );
    }

    private message(actual: IToken, expected: Array<TokenType | undefined>): string {
        const names = [...new Set(expected.filter((t): t is TokenType => t !== undefined).map(tokenName))];
        const fits = names.length === 1 ? names[0] : `one of ${names.join(', ')}`;
        return `Unexpected ${describeToken(actual)}; expected ${fits}.${this.hint(actual, names)}`;
    }

    /** Did-you-mean for a word that is close to a keyword, preferring the keywords that fit. */
    private hint(actual: IToken, expectedNames: string[]): string {
        if (!/^[A-Za-z_][\w-]*$/.test(actual.image) || this.keywords.includes(actual.image)) return '';
        const fitting = expectedNames.map(n => n.replace(/^'|'$/g, '')).filter(n => this.keywords.includes(n));
        const nearest = nearestName(actual.image, fitting) ?? nearestName(actual.image, this.keywords);
        return nearest ? ` Did you mean '${nearest}'?` : '';
    }
}

function tokenName(type: TokenType): string {
    const name = type.name.replace(/:KW$/, '');
    return TERMINAL_NAMES[name] ?? `'${name}'`;
}

function describeToken(token: IToken): string {
    if (token.tokenType?.name === 'EOF' || token.image === '') return 'end of file';
    return `'${token.image.length > MAX_QUOTED ? `${token.image.slice(0, MAX_QUOTED)}…` : token.image}'`;
}
