/** Formatting of intent files. */
import { GrammarUtils, type AstNode } from 'langium';
import { AbstractFormatter, Formatting } from 'langium/lsp';
import { isAllow, isIntent, isModel, isScenario } from '../language/generated/ast.js';

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
        if (GrammarUtils.findNodeForKeyword(node.$cstNode, '->'))
            formatter.keyword('->').surround(Formatting.oneSpace());
        if (GrammarUtils.findNodeForKeyword(node.$cstNode, '=')) formatter.keyword('=').surround(Formatting.oneSpace());
    }
}
