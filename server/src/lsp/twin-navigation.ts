/**
 * Go to definition and find references for twin names: their declarations live in the twin
 * YAML, not in a Langium document, so the links point at the YAML file and range the loader kept.
 */
import {
    AstUtils,
    CstUtils,
    URI,
    type CstNode,
    type LangiumDocument,
    type MaybePromise,
    type Reference
} from 'langium';
import { DefaultDefinitionProvider, DefaultReferencesProvider } from 'langium/lsp';
import type { DefinitionParams, Location, LocationLink, ReferenceParams } from 'vscode-languageserver';
import { toZeroBased } from '../common/diagnostic.js';
import type { NetintentLspServices } from './netintent-lsp-module.js';
import { isTwinSymbol, type TwinSymbolNode } from '../language/twin-symbols.js';

/** The reference under the cursor, with its CST node, if it names a twin symbol. */
export function twinReferenceAt(
    document: LangiumDocument,
    offset: number
): { reference: Reference; target: TwinSymbolNode; node: CstNode } | undefined {
    const leaf = CstUtils.findLeafNodeAtOffset(document.parseResult.value.$cstNode!, offset);
    if (!leaf) return undefined;
    for (const reference of AstUtils.streamReferences(leaf.astNode)) {
        const r = reference.reference as Reference;
        const refNode = r.$refNode;
        if (refNode && refNode.offset <= offset && offset <= refNode.end && isTwinSymbol(r.ref)) {
            return { reference: r, target: r.ref, node: refNode };
        }
    }
    return undefined;
}

function sameSymbol(a: TwinSymbolNode, b: TwinSymbolNode): boolean {
    return a.$type === b.$type && a.name === b.name && a.device === b.device && a.location.file === b.location.file;
}

export class NetintentDefinitionProvider extends DefaultDefinitionProvider {
    protected override collectLocationLinks(
        sourceCstNode: CstNode,
        params: DefinitionParams
    ): MaybePromise<LocationLink[] | undefined> {
        const document = AstUtils.getDocument(sourceCstNode.astNode);
        const found = twinReferenceAt(document, document.textDocument.offsetAt(params.position));
        if (!found) return super.collectLocationLinks(sourceCstNode, params);
        const range = toZeroBased(found.target.location.range);
        return [
            {
                originSelectionRange: found.node.range,
                targetUri: URI.file(found.target.location.file).toString(),
                targetRange: range,
                targetSelectionRange: range
            }
        ];
    }
}

export class NetintentReferencesProvider extends DefaultReferencesProvider {
    private readonly documents;

    constructor(services: NetintentLspServices) {
        super(services);
        this.documents = services.shared.workspace.LangiumDocuments;
    }

    override findReferences(document: LangiumDocument, params: ReferenceParams): MaybePromise<Location[]> {
        const found = twinReferenceAt(document, document.textDocument.offsetAt(params.position));
        if (!found) return super.findReferences(document, params);
        const locations: Location[] = [];
        if (params.context.includeDeclaration)
            locations.push({
                uri: URI.file(found.target.location.file).toString(),
                range: toZeroBased(found.target.location.range)
            });
        for (const other of this.documents.all) {
            for (const reference of other.references) {
                const target = 'ref' in reference ? reference.ref : undefined;
                if (isTwinSymbol(target) && sameSymbol(target, found.target) && reference.$refNode) {
                    locations.push({ uri: other.uri.toString(), range: reference.$refNode.range });
                }
            }
        }
        return locations;
    }
}
