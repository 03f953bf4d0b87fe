/**
 * Editing help: quick fixes (did-you-mean, declare a missing service or group, the normalised
 * prefix), completion items that say what a twin name is, semantic tokens by kind of name,
 * formatting, renames kept to the names intent files own, and re-checking when a twin changes.
 */
import * as fs from 'node:fs';
import { AstUtils, GrammarAST, GrammarUtils, URI, type AstNode, type AstNodeDescription, type LangiumDocument, type MaybePromise, type ReferenceInfo } from 'langium';
import {
    AbstractFormatter, AbstractSemanticTokenProvider, DefaultCompletionProvider, DefaultDocumentUpdateHandler, DefaultRenameProvider, Formatting,
    type CodeActionProvider, type CompletionContext, type CompletionValueItem, type LangiumServices, type SemanticTokenAcceptor
} from 'langium/lsp';
import {
    CodeActionKind, ErrorCodes, FileChangeType, LSPErrorCodes, ResponseError, SemanticTokenTypes, type CancellationToken, type CodeAction, type CodeActionParams, type Command,
    type DidChangeWatchedFilesParams, type FileEvent, type PrepareRenameParams, type Range, type RenameParams
} from 'vscode-languageserver';
import {
    isAllow, isAvoid, isDeviceEndpoint, isDeviceFailure, isDuring, isExternalEndpoint, isGroup, isHostEndpoint, isIntent, isInterfaceRef,
    isModel, isNamedEndpoint, isScenario, isSegmentEndpoint, isService, isServiceUse, isVia, type Model
} from '../language/generated/ast.js';
import type { NetintentLspSharedServices } from './netintent-lsp-module.js';
import { isTwinSymbol } from '../language/twin-symbols.js';
import { twinReferenceAt } from './twin-navigation.js';

export class NetintentCodeActionProvider implements CodeActionProvider {
    getCodeActions(document: LangiumDocument, params: CodeActionParams): MaybePromise<Array<Command | CodeAction>> {
        const actions: CodeAction[] = [];
        for (const diagnostic of params.context.diagnostics) {
            const message = typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
            const edit = (range: Range, newText: string) => ({ changes: { [document.uri.toString()]: [{ range, newText }] } });
            if (diagnostic.code === 'unknown-name') {
                const suggestion = /Did you mean '([^']+)'\?/.exec(message)?.[1];
                if (suggestion) {
                    actions.push({ title: `Change to '${suggestion}'`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true, edit: edit(diagnostic.range, suggestion) });
                }
                const name = document.textDocument.getText(diagnostic.range);
                const kind = /^Unknown (service|group, segment, host or external) /.exec(message)?.[1];
                if (kind) {
                    const declaration = kind === 'service' ? `service ${name} = tcp\n` : `group ${name} = any\n`;
                    actions.push({
                        title: `Declare ${kind === 'service' ? 'service' : 'group'} '${name}'`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic],
                        edit: edit(declarationPoint(document), declaration)
                    });
                }
            }
            if (diagnostic.code === 'host-bits') {
                const normalized = (diagnostic.data as { normalized?: string } | undefined)?.normalized;
                if (normalized) actions.push({ title: `Write ${normalized}`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true, edit: edit(diagnostic.range, normalized) });
            }
        }
        return actions;
    }
}

/** Where a new declaration goes: after the `twin` line (and any `default`), else at the top. */
function declarationPoint(document: LangiumDocument): Range {
    const model = document.parseResult.value as Model;
    const after = [model.twin, ...model.statements.filter(s => s.$type === 'DefaultPolicy')].filter((n): n is NonNullable<typeof n> => n !== undefined).at(-1);
    const line = after?.$cstNode ? after.$cstNode.range.end.line + 1 : 0;
    return { start: { line, character: 0 }, end: { line, character: 0 } };
}

export class NetintentCompletionProvider extends DefaultCompletionProvider {
    protected override createReferenceCompletionItem(description: AstNodeDescription, refInfo: ReferenceInfo, context: CompletionContext): CompletionValueItem {
        const item = super.createReferenceCompletionItem(description, refInfo, context);
        const node = description.node;
        if (isTwinSymbol(node)) return { ...item, detail: `${node.$type.replace('Twin', '').toLowerCase()} · ${node.detail}` };
        if (node && (isGroup(node) || isService(node) || isScenario(node))) return { ...item, detail: `${node.$type.toLowerCase()} · ${node.$cstNode?.text.split('\n')[0] ?? ''}` };
        return item;
    }
}

/** Twin names by what they are; the grammar's keywords are left to the TextMate grammar. */
export class NetintentSemanticTokenProvider extends AbstractSemanticTokenProvider {
    protected override highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
        const reference = (property: string, type: string) => acceptor({ node, property, type });
        if (isSegmentEndpoint(node)) reference('segment', SemanticTokenTypes.namespace);
        else if (isHostEndpoint(node)) reference('host', SemanticTokenTypes.variable);
        else if (isExternalEndpoint(node)) reference('external', SemanticTokenTypes.interface);
        else if (isDeviceEndpoint(node) || isVia(node) || isDeviceFailure(node)) reference('device', SemanticTokenTypes.class);
        else if (isAvoid(node) && node.device) reference('device', SemanticTokenTypes.class);
        else if (isInterfaceRef(node)) {
            reference('device', SemanticTokenTypes.class);
            reference('interface', SemanticTokenTypes.property);
        } else if (isNamedEndpoint(node)) reference('target', isGroup(node.target.ref) ? SemanticTokenTypes.type : SemanticTokenTypes.namespace);
        else if (isServiceUse(node)) reference('service', SemanticTokenTypes.enum);
        else if (isDuring(node)) reference('scenarios', SemanticTokenTypes.event);
        else if (isGroup(node)) reference('name', SemanticTokenTypes.type);
        else if (isService(node)) reference('name', SemanticTokenTypes.enum);
        else if (isScenario(node)) reference('name', SemanticTokenTypes.event);
        else if (isIntent(node)) reference('name', SemanticTokenTypes.function);
    }
}

/** One statement a line, the body of an intent or scenario indented, a clause a line under its allow. */
export class NetintentFormatter extends AbstractFormatter {
    protected format(node: AstNode): void {
        const formatter = this.getNodeFormatter(node);
        if (isModel(node)) {
            formatter.nodes(...node.statements).prepend(Formatting.newLine({ allowMore: true }));
        } else if (isIntent(node) || isScenario(node)) {
            const open = formatter.keyword('{');
            const close = formatter.keyword('}');
            open.prepend(Formatting.oneSpace());
            formatter.interior(open, close).prepend(Formatting.indent());
            close.prepend(Formatting.newLine());
        } else if (isAllow(node)) {
            formatter.nodes(...node.clauses).prepend(Formatting.indent({ allowMore: false }));
        }
        if (GrammarUtils.findNodeForKeyword(node.$cstNode, '->')) formatter.keyword('->').surround(Formatting.oneSpace());
        if (GrammarUtils.findNodeForKeyword(node.$cstNode, '=')) formatter.keyword('=').surround(Formatting.oneSpace());
    }
}

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
        const id = services.Grammar.rules.find(rule => GrammarAST.isTerminalRule(rule) && rule.name === 'ID') as GrammarAST.TerminalRule;
        const pattern = GrammarUtils.terminalRegex(id);
        this.identifier = new RegExp(`^(?:${pattern.source})$`, pattern.flags);
        this.keywords = new Set(AstUtils.streamAllContents(services.Grammar).filter(GrammarAST.isKeyword).map(keyword => keyword.value));
    }

    override prepareRename(document: LangiumDocument, params: PrepareRenameParams) {
        if (twinReferenceAt(document, document.textDocument.offsetAt(params.position))) return undefined;
        return super.prepareRename(document, params);
    }

    override async rename(document: LangiumDocument, params: RenameParams, cancelToken?: CancellationToken) {
        const twinName = twinReferenceAt(document, document.textDocument.offsetAt(params.position));
        if (twinName) throw new ResponseError(LSPErrorCodes.RequestFailed, `'${twinName.target.name}' is a name of the twin: rename it in the twin file.`);
        this.checkNewName(params.newName);
        return super.rename(document, params, cancelToken);
    }

    private checkNewName(name: unknown): void {
        if (typeof name !== 'string' || !this.identifier.test(name)) {
            throw new ResponseError(ErrorCodes.InvalidParams, `${JSON.stringify(name)} is not a name: a name is a letter (a-z, A-Z) or _, then letters, digits, _ and -, and not a keyword.`);
        }
        if (this.keywords.has(name)) throw new ResponseError(ErrorCodes.InvalidParams, `'${name}' is a keyword of the language, not a name.`);
    }
}

/**
 * A twin file saved or changed on disk (the client watches *.twin.yaml and *.clab.yml): the
 * twin is read again and every intent file bound to it is checked again, without a restart.
 */
export class NetintentDocumentUpdateHandler extends DefaultDocumentUpdateHandler {
    private readonly shared: NetintentLspSharedServices;

    constructor(shared: NetintentLspSharedServices) {
        super(shared);
        this.shared = shared;
    }

    /** Saves are wanted: with verifyOnType off, they start verification (see VerificationScheduler). */
    didSaveDocument(): void {
        // The scheduler listens to the documents' save events; nothing more to do here.
    }

    override didChangeWatchedFiles(params: DidChangeWatchedFilesParams): void {
        const twins = this.shared.twin.TwinWorkspace;
        const affected = new Set(params.changes.flatMap(change => twins.changed(URI.parse(change.uri).fsPath)));
        // Documents open in the editor, or on disk: a closed file that was never saved has no text to reload.
        const open = this.shared.workspace.TextDocuments;
        const bound = this.shared.workspace.LangiumDocuments.all
            .filter(d => affected.has(twins.twinFileOf(d) ?? '') && (open.get(d.uri.toString()) !== undefined || fs.existsSync(d.uri.fsPath)))
            .map((d): FileEvent => ({ uri: d.uri.toString(), type: FileChangeType.Changed })).toArray();
        // The intent files bound to a changed twin count as changed, in the same update: a second
        // one would cancel the verification the first scheduled.
        super.didChangeWatchedFiles({ changes: [...params.changes, ...bound] });
    }
}

