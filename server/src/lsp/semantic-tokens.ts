/** Semantic tokens: names coloured by what they name. */
import type { AstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenTypes } from 'vscode-languageserver';
import {
    isAvoid,
    isDeviceEndpoint,
    isDeviceFailure,
    isDuring,
    isExternalEndpoint,
    isGroup,
    isHostEndpoint,
    isIntent,
    isInterfaceRef,
    isNamedEndpoint,
    isScenario,
    isSegmentEndpoint,
    isService,
    isServiceUse,
    isVia
} from '../language/generated/ast.js';

/** Twin names by what they are; the grammar's keywords are left to the TextMate grammar. */
export class NetintentSemanticTokenProvider extends AbstractSemanticTokenProvider {
    protected override highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
        const reference = (property: string, type: string) => acceptor({ node, property, type });
        if (isSegmentEndpoint(node)) reference('segment', SemanticTokenTypes.namespace);
        else if (isHostEndpoint(node)) reference('host', SemanticTokenTypes.variable);
        else if (isExternalEndpoint(node)) reference('external', SemanticTokenTypes.interface);
        else if (isDeviceEndpoint(node) || isVia(node) || isDeviceFailure(node))
            reference('device', SemanticTokenTypes.class);
        else if (isAvoid(node) && node.device) reference('device', SemanticTokenTypes.class);
        else if (isInterfaceRef(node)) {
            reference('device', SemanticTokenTypes.class);
            reference('interface', SemanticTokenTypes.property);
        } else if (isNamedEndpoint(node))
            reference('target', isGroup(node.target.ref) ? SemanticTokenTypes.type : SemanticTokenTypes.namespace);
        else if (isServiceUse(node)) reference('service', SemanticTokenTypes.enum);
        else if (isDuring(node)) reference('scenarios', SemanticTokenTypes.event);
        else if (isGroup(node)) reference('name', SemanticTokenTypes.type);
        else if (isService(node)) reference('name', SemanticTokenTypes.enum);
        else if (isScenario(node)) reference('name', SemanticTokenTypes.event);
        else if (isIntent(node)) reference('name', SemanticTokenTypes.function);
    }
}
