/**
 * Unknown names: one error at the name, saying what kind of name was expected there and the
 * nearest known name of that kind; no follow-on errors (an interface of an unknown device, twin
 * names of a twin that could not be read).
 */
import { DefaultDocumentValidator, DefaultLinker, DocumentValidator, type AstNodeDescription, type AstReflection, type LangiumDocument, type LinkingError, type ReferenceInfo, type ScopeProvider } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { didYouMean } from '../common/suggest.js';
import { EndpointTarget, isInterfaceRef, Group, Scenario, Service } from './generated/ast.js';
import type { NetintentServices } from './netintent-module.js';
import { TWIN_KIND_NAMES, type TwinSymbolType } from './twin-symbols.js';
import type { TwinLoadResult } from '../twin/load.js';
import type { TwinWorkspace } from './twin-workspace.js';

/** The diagnostic code of an unknown name (quick fixes key on it). */
export const UNKNOWN_NAME = 'unknown-name';

const KIND_NAMES: Record<string, string> = {
    ...TWIN_KIND_NAMES,
    [Group.$type]: 'group',
    [Service.$type]: 'service',
    [Scenario.$type]: 'scenario',
    [EndpointTarget.$type]: 'group, segment, host or external'
};

export class NetintentLinker extends DefaultLinker {
    private readonly scopes: ScopeProvider;

    constructor(services: NetintentServices) {
        super(services);
        this.scopes = services.references.ScopeProvider;
    }

    protected override createLinkingError(refInfo: ReferenceInfo, targetDescription?: AstNodeDescription): LinkingError {
        const type = this.reflection.getReferenceType(refInfo);
        const name = refInfo.reference.$refText;
        const candidates = this.scopes.getScope(refInfo).getAllElements().map(d => d.name);
        const kind = KIND_NAMES[type] ?? type;
        const where = isInterfaceRef(refInfo.container) && refInfo.property === 'interface'
            ? ` of device ${refInfo.container.device?.$refText}` : '';
        return {
            info: refInfo,
            message: `Unknown ${kind}${where} '${name}'.${didYouMean(name, candidates)}`,
            targetDescription
        };
    }
}

export class NetintentDocumentValidator extends DefaultDocumentValidator {
    private readonly twins: TwinWorkspace;
    private readonly reflection: AstReflection;

    constructor(services: NetintentServices) {
        super(services);
        this.twins = services.shared.twin.TwinWorkspace;
        this.reflection = services.shared.AstReflection;
    }

    protected override processLinkingErrors(document: LangiumDocument, diagnostics: Diagnostic[]): void {
        const loaded = this.twins.forDocument(document);
        for (const reference of document.references) {
            const error = reference.error;
            if (!error || this.isConsequential(error, loaded)) continue;
            diagnostics.push(this.toDiagnostic('error', error.message, {
                node: error.info.container,
                range: reference.$refNode?.range,
                property: error.info.property,
                index: error.info.index,
                code: UNKNOWN_NAME,
                data: {
                    code: DocumentValidator.LinkingError,
                    containerType: error.info.container.$type,
                    property: error.info.property,
                    refText: error.info.reference.$refText
                }
            }));
        }
    }

    /**
     * An unknown name that follows from another error: an interface of an unknown device, any
     * twin name when the twin cannot be read, a twin name whose declaration has errors.
     */
    private isConsequential(error: LinkingError, loaded: TwinLoadResult | undefined): boolean {
        const container = error.info.container;
        if (isInterfaceRef(container) && error.info.property === 'interface' && !container.device?.ref) return true;
        const type = this.reflection.getReferenceType(error.info);
        if (!(type in TWIN_KIND_NAMES || type === EndpointTarget.$type)) return false;
        if (!loaded || loaded.diagnostics.some(d => d.code === 'missing-file' && d.file === loaded.twin.file)) return true;
        const name = error.info.reference.$refText;
        const kinds = type === EndpointTarget.$type ? ['segment', 'host', 'external'] : [TWIN_KIND_NAMES[type as TwinSymbolType]];
        return kinds.some(kind => loaded.twin.rejected.has(`${kind}:${name}`));
    }
}
