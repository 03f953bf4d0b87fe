/** Renames, kept to the names intent files own. */
import { AstUtils, GrammarAST, GrammarUtils, type LangiumDocument } from 'langium';
import { DefaultRenameProvider, type LangiumServices } from 'langium/lsp';
import {
    ErrorCodes,
    LSPErrorCodes,
    ResponseError,
    type CancellationToken,
    type PrepareRenameParams,
    type RenameParams
} from 'vscode-languageserver';
import { twinReferenceAt } from './twin-navigation.js';

/**
 * Groups, services, scenarios and intents are renamed across files, to a name the grammar reads
 * back as the same name (else the edits would break every file using it); twin names belong to the twin.
 */
export class NetintentRenameProvider extends DefaultRenameProvider {
    /** The grammar's ID terminal, matched whole. */
    private readonly identifier: RegExp;
    private readonly keywords: Set<string>;

    constructor(services: LangiumServices) {
        super(services);
        const id = services.Grammar.rules.find(
            rule => GrammarAST.isTerminalRule(rule) && rule.name === 'ID'
        ) as GrammarAST.TerminalRule;
        const pattern = GrammarUtils.terminalRegex(id);
        this.identifier = new RegExp(`^(?:${pattern.source})$`, pattern.flags);
        this.keywords = new Set(
            AstUtils.streamAllContents(services.Grammar)
                .filter(GrammarAST.isKeyword)
                .map(keyword => keyword.value)
        );
    }

    override prepareRename(document: LangiumDocument, params: PrepareRenameParams) {
        if (twinReferenceAt(document, document.textDocument.offsetAt(params.position))) return undefined;
        return super.prepareRename(document, params);
    }

    override async rename(document: LangiumDocument, params: RenameParams, cancelToken?: CancellationToken) {
        const twinName = twinReferenceAt(document, document.textDocument.offsetAt(params.position));
        if (twinName)
            throw new ResponseError(
                LSPErrorCodes.RequestFailed,
                `'${twinName.target.name}' is a name of the twin: rename it in the twin file.`
            );
        this.checkNewName(params.newName);
        return super.rename(document, params, cancelToken);
    }

    private checkNewName(name: unknown): void {
        if (typeof name !== 'string' || !this.identifier.test(name)) {
            throw new ResponseError(
                ErrorCodes.InvalidParams,
                `${JSON.stringify(name)} is not a name: a name is a letter (a-z, A-Z) or _, then letters, digits, _ and -, and not a keyword.`
            );
        }
        if (this.keywords.has(name))
            throw new ResponseError(ErrorCodes.InvalidParams, `'${name}' is a keyword of the language, not a name.`);
    }
}
