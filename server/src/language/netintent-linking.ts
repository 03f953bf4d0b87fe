/**
 * Unknown names: one error at the name, saying what kind of name was expected there and the
 * nearest known name of that kind; no follow-on errors (an interface of an unknown device, twin
 * names of a twin that could not be read). Groups nested too deep are not linked (see
 * NetintentLinker). And at most MAX_PROBLEMS problems per file.
 */
import {
    DefaultDocumentValidator,
    DefaultLinker,
    DocumentValidator,
    isLinkingError,
    type AstNode,
    type AstNodeDescription,
    type AstReflection,
    type Cancellation,
    type LangiumDocument,
    type LinkingError,
    type ReferenceInfo,
    type ScopeProvider,
    type ValidationOptions
} from 'langium';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import { nearestName, suggesting } from '../common/suggest.js';
import { EndpointTarget, isGroup, isInterfaceRef, isNamedEndpoint, Group, Scenario, Service } from './generated/ast.js';
import type { NetintentServices } from './netintent-module.js';
import { isTooLongName } from './netintent-lexer.js';
import { GroupNesting } from './group-nesting.js';
import { count, MAX_GROUP_DEPTH, MAX_PROBLEMS } from './limits.js';
import { TWIN_KIND_NAMES, type TwinSymbolType } from './twin-symbols.js';
import type { TwinLoadResult } from '../twin/load.js';
import type { TwinWorkspace } from './twin-workspace.js';

/** The diagnostic code of an unknown name (quick fixes key on it). */
export const UNKNOWN_NAME = 'unknown-name';

/** What an unknown name's diagnostic carries for its quick fixes: the nearest known name, and what it could be declared as. */
export interface UnknownNameData {
    suggestion?: string;
    declare?: 'service' | 'group';
}

/** A linking error that is not an unknown name: it has its own code and no nearest name. */
interface CodedLinkingError extends LinkingError {
    code: string;
}

const KIND_NAMES: Record<string, string> = {
    ...TWIN_KIND_NAMES,
    [Group.$type]: 'group',
    [Service.$type]: 'service',
    [Scenario.$type]: 'scenario',
    [EndpointTarget.$type]: 'group, segment, host or external'
};

/** Codes of a twin file that could not be read at all. */
const UNREAD = ['missing-file', 'unreadable-file'];

/**
 * The nearest known name is added where the error is reported (NetintentDocumentValidator).
 *
 * A group member that names a group already MAX_GROUP_DEPTH levels deep is an error and is not
 * linked, so no walk through linked groups ever goes deeper (check.ts walks them recursively,
 * and so may anyone). How deep a group nests is found from the names as the scope resolves them,
 * not from links: finding it by links would link the members of the members first, recursively.
 */
export class NetintentLinker extends DefaultLinker {
    private readonly nesting: GroupNesting;

    constructor(services: NetintentServices) {
        super(services);
        this.nesting = new GroupNesting(services.shared, group => this.namedGroups(group));
    }

    override getCandidate(refInfo: ReferenceInfo): AstNodeDescription | LinkingError {
        const candidate = super.getCandidate(refInfo);
        if (isLinkingError(candidate) || !isGroup(refInfo.container.$container)) return candidate;
        const target = this.loadAstNode(candidate);
        const depth = isGroup(target) ? this.nesting.of(target).depth : 0;
        if (depth < MAX_GROUP_DEPTH) return candidate;
        const message = `Group '${refInfo.reference.$refText}' nests groups ${count(depth)} levels deep; a group may nest at most ${count(MAX_GROUP_DEPTH)}, so it cannot be a member of another. Name its segments, hosts or prefixes here instead.`;
        const error: CodedLinkingError = { info: refInfo, message, code: 'group-depth' };
        return error;
    }

    /** The groups a group's members name, as the scope resolves them (without linking). */
    private namedGroups(group: Group): Group[] {
        return group.members.flatMap(member => {
            if (!isNamedEndpoint(member) || !member.target) return [];
            const candidate = super.getCandidate({ reference: member.target, container: member, property: 'target' });
            const target = isLinkingError(candidate) ? undefined : this.loadAstNode(candidate);
            return isGroup(target) ? [target] : [];
        });
    }

    protected override createLinkingError(
        refInfo: ReferenceInfo,
        targetDescription?: AstNodeDescription
    ): LinkingError {
        const type = this.reflection.getReferenceType(refInfo);
        const kind = KIND_NAMES[type] ?? type;
        const where =
            isInterfaceRef(refInfo.container) && refInfo.property === 'interface'
                ? ` of device ${refInfo.container.device?.$refText}`
                : '';
        return {
            info: refInfo,
            message: `Unknown ${kind}${where} '${refInfo.reference.$refText}'.`,
            targetDescription
        };
    }
}

export class NetintentDocumentValidator extends DefaultDocumentValidator {
    private readonly twins: TwinWorkspace;
    private readonly reflection: AstReflection;
    private readonly scopes: ScopeProvider;

    constructor(services: NetintentServices) {
        super(services);
        this.twins = services.shared.twin.TwinWorkspace;
        this.reflection = services.shared.AstReflection;
        this.scopes = services.references.ScopeProvider;
    }

    /** The first MAX_PROBLEMS problems of the file, in order, and one more saying that there are more. */
    override async validateDocument(
        document: LangiumDocument,
        options?: ValidationOptions,
        cancelToken?: Cancellation.CancellationToken
    ): Promise<Diagnostic[]> {
        const diagnostics = await super.validateDocument(document, options, cancelToken);
        if (diagnostics.length <= MAX_PROBLEMS) return diagnostics;
        diagnostics.sort(byPosition);
        const message = `More than ${count(MAX_PROBLEMS)} problems in this file; the first ${count(MAX_PROBLEMS)} are reported.`;
        const more: Diagnostic = {
            severity: DiagnosticSeverity.Error,
            range: diagnostics[MAX_PROBLEMS].range,
            message,
            code: 'too-many-problems',
            source: this.getSource()
        };
        return [...diagnostics.slice(0, MAX_PROBLEMS), more];
    }

    /** No more than can be reported (Langium also passes them all as the arguments of one call). */
    protected override async validateAst(
        rootNode: AstNode,
        options: ValidationOptions,
        cancelToken?: Cancellation.CancellationToken
    ): Promise<Diagnostic[]> {
        return (await super.validateAst(rootNode, options, cancelToken)).sort(byPosition).slice(0, MAX_PROBLEMS + 1);
    }

    /**
     * The nearest known name is looked for here, not in the linker, so only for the errors
     * reported: a file may name thousands of unknown names.
     */
    protected override processLinkingErrors(document: LangiumDocument, diagnostics: Diagnostic[]): void {
        const loaded = this.twins.forDocument(document);
        for (const reference of document.references) {
            if (diagnostics.length > MAX_PROBLEMS) return;
            const error = reference.error;
            const code = (error as Partial<CodedLinkingError> | undefined)?.code;
            if (!error || (!code && this.isConsequential(error, loaded))) continue;
            const suggestion = code ? undefined : nearestName(reference.$refText, this.knownNames(error.info));
            const type = this.reflection.getReferenceType(error.info);
            const unknownName: UnknownNameData = {
                suggestion,
                declare: type === Service.$type ? 'service' : type === EndpointTarget.$type ? 'group' : undefined
            };
            diagnostics.push(
                this.toDiagnostic('error', `${error.message}${suggesting(suggestion)}`, {
                    node: error.info.container,
                    range: reference.$refNode?.range,
                    property: error.info.property,
                    index: error.info.index,
                    code: code ?? UNKNOWN_NAME,
                    data: {
                        code: DocumentValidator.LinkingError,
                        containerType: error.info.container.$type,
                        property: error.info.property,
                        refText: error.info.reference.$refText,
                        ...(code ? {} : unknownName)
                    }
                })
            );
        }
    }

    private knownNames(info: ReferenceInfo): Iterable<string> {
        return this.scopes
            .getScope(info)
            .getAllElements()
            .map(d => d.name);
    }

    /**
     * An unknown name that follows from another error: a name too long to be one, an interface of
     * an unknown device, any twin name when the twin cannot be read, a twin name whose
     * declaration has errors.
     */
    private isConsequential(error: LinkingError, loaded: TwinLoadResult | undefined): boolean {
        if (isTooLongName(error.info.reference.$refNode?.text ?? '')) return true;
        const container = error.info.container;
        if (isInterfaceRef(container) && error.info.property === 'interface' && !container.device?.ref) return true;
        const type = this.reflection.getReferenceType(error.info);
        if (!(type in TWIN_KIND_NAMES || type === EndpointTarget.$type)) return false;
        // A twin that could not be read (missing, refused): its names are not known, not unknown.
        if (!loaded || loaded.diagnostics.some(d => UNREAD.includes(d.code) && d.file === loaded.twin.file))
            return true;
        const name = error.info.reference.$refText;
        const kinds =
            type === EndpointTarget.$type ? ['segment', 'host', 'external'] : [TWIN_KIND_NAMES[type as TwinSymbolType]];
        return kinds.some(kind => loaded.twin.rejected.has(`${kind}:${name}`));
    }
}

function byPosition(x: Diagnostic, y: Diagnostic): number {
    return x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character;
}
