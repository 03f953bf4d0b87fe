/** Completion items that say what a name is: a twin name's kind and detail, a declaration's first line. */
import type { AstNodeDescription, ReferenceInfo } from 'langium';
import { DefaultCompletionProvider, type CompletionContext, type CompletionValueItem } from 'langium/lsp';
import { isGroup, isScenario, isService } from '../language/generated/ast.js';
import { isTwinSymbol } from '../language/twin-symbols.js';

export class NetintentCompletionProvider extends DefaultCompletionProvider {
    protected override createReferenceCompletionItem(
        description: AstNodeDescription,
        refInfo: ReferenceInfo,
        context: CompletionContext
    ): CompletionValueItem {
        const item = super.createReferenceCompletionItem(description, refInfo, context);
        const node = description.node;
        if (isTwinSymbol(node))
            return { ...item, detail: `${node.$type.replace('Twin', '').toLowerCase()} · ${node.detail}` };
        if (node && (isGroup(node) || isService(node) || isScenario(node)))
            return { ...item, detail: `${node.$type.toLowerCase()} · ${node.$cstNode?.text.split('\n')[0] ?? ''}` };
        return item;
    }
}
