/**
 * Name resolution. Twin names (devices, interfaces, segments, hosts, externals) come from the
 * twin the file binds; groups, services and scenarios from every intent file bound to the same
 * twin (the index, filtered by binding). A bare endpoint name is a group first, then a twin name.
 */
import { AstUtils, DefaultScopeProvider, MapScope, type AstNodeDescription, type LangiumDocuments, type ReferenceInfo, type Scope, type Stream } from 'langium';
import type { NetintentServices } from './netintent-module.js';
import { EndpointTarget, isInterfaceRef, TwinExternal, TwinHost, TwinInterface, TwinSegment } from './generated/ast.js';
import { TWIN_KIND_NAMES, TwinSymbols, type TwinSymbolType } from './twin-symbols.js';
import type { TwinWorkspace } from './twin-workspace.js';
import type { Twin } from '../twin/model.js';

export class NetintentScopeProvider extends DefaultScopeProvider {
    private readonly twins: TwinWorkspace;
    private readonly documents: LangiumDocuments;
    private readonly symbolsByTwin = new WeakMap<Twin, TwinSymbols>();

    constructor(services: NetintentServices) {
        super(services);
        this.twins = services.shared.twin.TwinWorkspace;
        this.documents = services.shared.workspace.LangiumDocuments;
    }

    override getScope(context: ReferenceInfo): Scope {
        const type = this.reflection.getReferenceType(context);
        // Twin names are looked up by name (a map), not searched: a twin may have thousands.
        if (type in TWIN_KIND_NAMES) return new MapScope(this.twinSymbols(context, type as TwinSymbolType));
        if (type === EndpointTarget.$type) {
            const twinNames = [TwinSegment.$type, TwinHost.$type, TwinExternal.$type].flatMap(t => this.twinSymbols(context, t));
            // Groups shadow twin names: the outer scope is consulted only when no group matches.
            return new MapScope(super.getScope(context).getAllElements(), new MapScope(twinNames));
        }
        return super.getScope(context);
    }

    /** Groups, services and scenarios of the files bound to the same twin as this one. */
    protected override getGlobalScope(referenceType: string, context: ReferenceInfo): Scope {
        const document = AstUtils.getDocument(context.container);
        const twinFile = this.twins.twinFileOf(document);
        const elements: Stream<AstNodeDescription> = this.indexManager.allElements(referenceType).filter(description => {
            const other = this.documents.getDocument(description.documentUri);
            return other !== undefined && this.twins.twinFileOf(other) === twinFile;
        });
        return new MapScope(elements);
    }

    private twinSymbols(context: ReferenceInfo, type: TwinSymbolType): AstNodeDescription[] {
        const loaded = this.twins.forDocument(AstUtils.getDocument(context.container));
        if (!loaded) return [];
        let symbols = this.symbolsByTwin.get(loaded.twin);
        if (!symbols) {
            symbols = new TwinSymbols(loaded.twin);
            this.symbolsByTwin.set(loaded.twin, symbols);
        }
        if (type === TwinInterface.$type) {
            const device = isInterfaceRef(context.container) ? context.container.device?.ref?.name : undefined;
            return device === undefined ? [] : symbols.interfacesOf(device);
        }
        return symbols.of(type);
    }
}
