/**
 * Name resolution. Twin names (devices, interfaces, segments, hosts, externals) come from the
 * twin the file binds; groups, services and scenarios from every intent file bound to the same
 * twin (the index, filtered by binding). A bare endpoint name is a group first, then a twin name.
 */
import {
    AstUtils,
    DefaultScopeProvider,
    EMPTY_SCOPE,
    MapScope,
    type AstNodeDescription,
    type LangiumDocuments,
    type ReferenceInfo,
    type Scope,
    type Stream
} from 'langium';
import type { NetintentServices } from './netintent-module.js';
import {
    EndpointTarget,
    Group,
    isInterfaceRef,
    TwinExternal,
    TwinHost,
    TwinInterface,
    TwinSegment
} from './generated/ast.js';
import { TWIN_KIND_NAMES, TwinSymbols, type TwinSymbolType } from './twin-symbols.js';
import type { TwinWorkspace } from './twin-workspace.js';
import type { Twin } from '../twin/model.js';

export class NetintentScopeProvider extends DefaultScopeProvider {
    private readonly twins: TwinWorkspace;
    private readonly documents: LangiumDocuments;
    private readonly symbolsByTwin = new WeakMap<Twin, { symbols: TwinSymbols; scopes: Map<string, Scope> }>();

    constructor(services: NetintentServices) {
        super(services);
        this.twins = services.shared.twin.TwinWorkspace;
        this.documents = services.shared.workspace.LangiumDocuments;
    }

    override getScope(context: ReferenceInfo): Scope {
        const type = this.reflection.getReferenceType(context);
        if (type in TWIN_KIND_NAMES) return this.twinScope(context, type as TwinSymbolType);
        if (type === EndpointTarget.$type) {
            // Groups shadow twin names: the outer scope is consulted only when no group matches.
            const twinFile = this.twins.twinFileOf(AstUtils.getDocument(context.container));
            return this.globalScopeCache.get(
                `${twinFile}|${type}`,
                () =>
                    new MapScope(
                        this.boundElements(Group.$type, twinFile),
                        this.twinScope(context, [TwinSegment.$type, TwinHost.$type, TwinExternal.$type])
                    )
            );
        }
        // Services and scenarios: not Langium's scope of the file's own declarations first, which it
        // searches one by one for every reference (quadratic); the bound files include this one.
        return this.getGlobalScope(type, context);
    }

    /** Groups, services and scenarios of the files bound to the same twin as this one. */
    protected override getGlobalScope(referenceType: string, context: ReferenceInfo): Scope {
        const twinFile = this.twins.twinFileOf(AstUtils.getDocument(context.container));
        return this.globalScopeCache.get(
            `${twinFile}|${referenceType}`,
            () => new MapScope(this.boundElements(referenceType, twinFile))
        );
    }

    private boundElements(referenceType: string, twinFile: string | undefined): Stream<AstNodeDescription> {
        return this.indexManager.allElements(referenceType).filter(description => {
            const other = this.documents.getDocument(description.documentUri);
            return other !== undefined && this.twins.twinFileOf(other) === twinFile;
        });
    }

    /**
     * Twin names of some kinds, looked up by name (a map made once per twin and kind: a twin may
     * have thousands). Interfaces are those of the device the reference names.
     */
    private twinScope(context: ReferenceInfo, types: TwinSymbolType | TwinSymbolType[]): Scope {
        const loaded = this.twins.forDocument(AstUtils.getDocument(context.container));
        if (!loaded) return EMPTY_SCOPE;
        let symbols = this.symbolsByTwin.get(loaded.twin);
        if (!symbols) {
            symbols = { symbols: new TwinSymbols(loaded.twin), scopes: new Map() };
            this.symbolsByTwin.set(loaded.twin, symbols);
        }
        const { symbols: all, scopes } = symbols;
        const kinds = Array.isArray(types) ? types : [types];
        const device =
            kinds[0] === TwinInterface.$type && isInterfaceRef(context.container)
                ? context.container.device?.ref?.name
                : undefined;
        const key = kinds[0] === TwinInterface.$type ? `interfaces of ${device}` : kinds.join();
        let scope = scopes.get(key);
        if (!scope) {
            const descriptions =
                kinds[0] === TwinInterface.$type
                    ? device === undefined
                        ? []
                        : all.interfacesOf(device)
                    : kinds.flatMap(k => all.of(k));
            scope = new MapScope(descriptions);
            scopes.set(key, scope);
        }
        return scope;
    }
}
