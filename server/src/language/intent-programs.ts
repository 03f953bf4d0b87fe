/**
 * The intent IR of each twin, built from every intent file bound to it and kept until the next
 * workspace change. Validation reads the overlaps from it; the CLI and the language server read
 * the intents and their requirements.
 */
import { WorkspaceCache, type AstNode, type LangiumDocument, type LangiumDocuments } from 'langium';
import { buildIntentProgram, groupAddressLookup } from './intent-build.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import type { Addresses } from '../net/family.js';
import type { TwinLoadResult } from '../twin/load.js';
import type { Twin } from '../twin/model.js';
import { isDefaultPolicy, type Group, type Model } from './generated/ast.js';
import type { NetintentServices } from './netintent-module.js';
import type { TwinWorkspace } from './twin-workspace.js';

export interface BoundProgram {
    program: IntentProgram;
    loaded: TwinLoadResult;
    documents: LangiumDocument<Model>[];
    /** The statement each requirement was written as. */
    statementOf: Map<Requirement, AstNode>;
    /** The `default deny` line the default requirement comes from. */
    defaultStatement?: AstNode;
    /** What a group stands for, each computed once (validation asks of every group). */
    groupAddresses: (group: Group) => Addresses;
}

export class IntentPrograms {
    private readonly twins: TwinWorkspace;
    private readonly documents: LangiumDocuments;
    private readonly cache: WorkspaceCache<string, BoundProgram>;
    /** Each twin's requirements of the last build, outliving the workspace cache. */
    private readonly built = new Map<string, { twin: Twin; requirements: Map<string, Requirement> }>();

    constructor(services: NetintentServices) {
        this.twins = services.shared.twin.TwinWorkspace;
        this.documents = services.shared.workspace.LangiumDocuments;
        this.cache = new WorkspaceCache(services.shared);
    }

    forDocument(document: LangiumDocument): BoundProgram | undefined {
        const twinFile = this.twins.twinFileOf(document);
        return twinFile === undefined ? undefined : this.forTwin(twinFile);
    }

    forTwin(twinFile: string): BoundProgram {
        return this.cache.get(twinFile, () => {
            const documents = this.documents.all
                .filter(d => this.twins.twinFileOf(d) === twinFile)
                .toArray() as LangiumDocument<Model>[];
            documents.sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath));
            const loaded = this.twins.get(twinFile);
            const statementOf = new Map<Requirement, AstNode>();
            // Requirements whose statements and declarations are unchanged are reused from the last build.
            const earlier = this.built.get(twinFile);
            const built = new Map<string, Requirement>();
            const program = buildIntentProgram(
                loaded.twin,
                documents.map(d => d.parseResult.value),
                {
                    onRequirement: (requirement, node) => statementOf.set(requirement, node),
                    previous: earlier?.twin === loaded.twin ? earlier.requirements : undefined,
                    built
                }
            );
            this.built.set(twinFile, { twin: loaded.twin, requirements: built });
            const defaultStatement = documents
                .flatMap(d => d.parseResult.value.statements)
                .find(s => isDefaultPolicy(s) && s.action === 'deny');
            return {
                program,
                loaded,
                documents,
                statementOf,
                defaultStatement,
                groupAddresses: groupAddressLookup(loaded.twin)
            };
        });
    }
}
