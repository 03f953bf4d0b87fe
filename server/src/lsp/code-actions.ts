/**
 * Quick fixes, read from the codes and data of the diagnostics (never their text): an unknown
 * name changed to the nearest known one, or declared as a service or group; a prefix with host
 * bits written as the prefix it stands for.
 */
import type { LangiumDocument, MaybePromise } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import {
    CodeActionKind,
    type CodeAction,
    type CodeActionParams,
    type Command,
    type Range
} from 'vscode-languageserver';
import type { Model } from '../language/generated/ast.js';
import { UNKNOWN_NAME, type UnknownNameData } from '../language/netintent-linking.js';

export class NetintentCodeActionProvider implements CodeActionProvider {
    getCodeActions(document: LangiumDocument, params: CodeActionParams): MaybePromise<Array<Command | CodeAction>> {
        const actions: CodeAction[] = [];
        for (const diagnostic of params.context.diagnostics) {
            const edit = (range: Range, newText: string) => ({
                changes: { [document.uri.toString()]: [{ range, newText }] }
            });
            if (diagnostic.code === UNKNOWN_NAME) {
                const { suggestion, declare } = (diagnostic.data ?? {}) as UnknownNameData;
                if (suggestion) {
                    actions.push({
                        title: `Change to '${suggestion}'`,
                        kind: CodeActionKind.QuickFix,
                        diagnostics: [diagnostic],
                        isPreferred: true,
                        edit: edit(diagnostic.range, suggestion)
                    });
                }
                const name = document.textDocument.getText(diagnostic.range);
                if (declare) {
                    const declaration = declare === 'service' ? `service ${name} = tcp\n` : `group ${name} = any\n`;
                    actions.push({
                        title: `Declare ${declare} '${name}'`,
                        kind: CodeActionKind.QuickFix,
                        diagnostics: [diagnostic],
                        edit: edit(declarationPoint(document), declaration)
                    });
                }
            }
            if (diagnostic.code === 'host-bits') {
                const normalized = (diagnostic.data as { normalized?: string } | undefined)?.normalized;
                if (normalized)
                    actions.push({
                        title: `Write ${normalized}`,
                        kind: CodeActionKind.QuickFix,
                        diagnostics: [diagnostic],
                        isPreferred: true,
                        edit: edit(diagnostic.range, normalized)
                    });
            }
        }
        return actions;
    }
}

/** Where a new declaration goes: after the `twin` line (and any `default`), else at the top. */
function declarationPoint(document: LangiumDocument): Range {
    const model = document.parseResult.value as Model;
    const after = [model.twin, ...model.statements.filter(s => s.$type === 'DefaultPolicy')]
        .filter((n): n is NonNullable<typeof n> => n !== undefined)
        .at(-1);
    const line = after?.$cstNode ? after.$cstNode.range.end.line + 1 : 0;
    return { start: { line, character: 0 }, end: { line, character: 0 } };
}
