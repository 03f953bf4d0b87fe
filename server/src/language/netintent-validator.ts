/**
 * Every check of an intent file, registered in one place. Checks also run on statements that
 * syntax errors left incomplete, so they read every part as possibly absent.
 */
import * as path from 'node:path';
import { MAX_PARTS } from '../intent/overlap.js';
import { AstUtils, type AstNode, type LangiumDocument, type ValidationAcceptor, type ValidationChecks } from 'langium';
import type { EndpointSet, Requirement as RequirementIR } from '../intent/model.js';
import { isEmptyAddresses, parseAnyPrefix } from '../net/family.js';
import { formatPrefix } from '../net/ipv4.js';
import { formatPrefix6 } from '../net/ipv6.js';
import { describePacket } from '../net/packet-set.js';
import { findLink, linkName } from '../twin/model.js';
import {
    isAllow,
    isDefaultPolicy,
    isGroup,
    isHopsBound,
    isIntent,
    isLatencyBound,
    isNamedEndpoint,
    isPrefixEndpoint,
    isScenario,
    isService,
    isSurvive,
    type Clause,
    type Group,
    type LinkRef,
    type Model,
    type NetintentAstType,
    type PrefixEndpoint,
    type Requirement,
    type Service,
    type ServiceEntry,
    type Survive
} from './generated/ast.js';
import { GroupNesting, memberGroups } from './group-nesting.js';
import { isTooLarge } from './netintent-lexer.js';
import type { IntentPrograms } from './intent-programs.js';
import type { NetintentServices } from './netintent-module.js';
import type { TwinWorkspace } from './twin-workspace.js';

export function registerValidationChecks(services: NetintentServices): void {
    const registry = services.validation.ValidationRegistry;
    const validator = services.validation.NetintentValidator;
    const checks: ValidationChecks<NetintentAstType> = {
        Model: [
            validator.checkTwinBinding,
            validator.checkDefaults,
            validator.checkDuplicateNames,
            validator.checkOverlaps,
            validator.checkFamilies
        ],
        Group: validator.checkGroup,
        Service: validator.checkService,
        ServiceEntry: validator.checkPorts,
        PrefixEndpoint: validator.checkPrefix,
        Allow: validator.checkClauses,
        Deny: validator.checkClauses,
        Isolate: validator.checkClauses,
        LinkRef: validator.checkLinkExists,
        Survive: validator.checkSurvive,
        HopsBound: validator.checkHops
    };
    registry.register(checks, validator);
}

const NAMED_KINDS = { Group: 'group', Service: 'service', Scenario: 'scenario', Intent: 'intent' } as const;
const CLAUSE_KEYWORDS: Record<Clause['$type'], string> = {
    Via: 'via',
    Avoid: 'avoid',
    Survive: 'survive',
    LatencyBound: 'latency',
    HopsBound: 'hops',
    During: 'during'
};

export class NetintentValidator {
    private readonly twins: TwinWorkspace;
    private readonly programs: IntentPrograms;
    private readonly nesting: GroupNesting;

    constructor(services: NetintentServices) {
        this.twins = services.shared.twin.TwinWorkspace;
        this.programs = services.intent.IntentPrograms;
        this.nesting = new GroupNesting(services.shared, memberGroups);
    }

    checkTwinBinding = (model: Model, accept: ValidationAcceptor): void => {
        const document = AstUtils.getDocument(model);
        if (!model.twin) {
            if (isTooLarge(document.textDocument.getText())) return;
            accept(
                'error',
                'This file binds no twin. Start it with the network it is about: twin "network.twin.yaml".',
                {
                    node: model,
                    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
                    code: 'no-twin'
                }
            );
            return;
        }
        const loaded = this.twins.forDocument(document);
        const errors = loaded?.diagnostics.filter(d => d.severity === 'error') ?? [];
        if (errors.length === 0) return;
        const first = errors[0];
        const missing = first.code === 'missing-file' && first.file === loaded?.twin.file;
        const message = missing
            ? `Cannot read the twin '${model.twin.path}': no such file. Check the path; it is relative to this file.`
            : `The twin '${model.twin.path}' has ${errors.length} error${errors.length === 1 ? '' : 's'}; the first, at ${path.basename(first.file)}:${first.range.start.line}:${first.range.start.column}: ${first.message}`;
        accept('error', message, { node: model.twin, property: 'path', code: 'twin-error' });
    };

    checkDefaults = (model: Model, accept: ValidationAcceptor): void => {
        const defaults = model.statements.filter(isDefaultPolicy);
        for (const extra of defaults.slice(1)) {
            accept(
                'error',
                `The default is already set to '${defaults[0].action}' (line ${lineOf(defaults[0])}); keep one 'default' line.`,
                { node: extra, code: 'duplicate-default' }
            );
        }
    };

    checkDuplicateNames = (model: Model, accept: ValidationAcceptor): void => {
        const document = AstUtils.getDocument(model);
        const bound = this.programs.forDocument(document);
        const all = bound ? bound.documents.flatMap(d => d.parseResult.value.statements) : model.statements;
        // The first declaration of each kind and name, in the order of the files and statements.
        const first = new Map<string, AstNode>();
        for (const statement of all) {
            const name = (statement as { name?: string }).name;
            const key = `${statement.$type}\n${name}`;
            if (name !== undefined && !first.has(key)) first.set(key, statement);
        }
        for (const statement of model.statements) {
            if (
                !(isGroup(statement) || isService(statement) || isScenario(statement) || isIntent(statement)) ||
                !statement.name
            )
                continue;
            const earlier = first.get(`${statement.$type}\n${statement.name}`);
            if (earlier && earlier !== statement) {
                const kind = NAMED_KINDS[statement.$type];
                accept(
                    'error',
                    `Duplicate ${kind} '${statement.name}': already declared at ${whereIs(earlier, document)}. Rename one of them.`,
                    {
                        node: statement,
                        property: 'name',
                        code: 'duplicate-name'
                    }
                );
            }
        }
    };

    checkOverlaps = (model: Model, accept: ValidationAcceptor): void => {
        const bound = this.programs.forDocument(AstUtils.getDocument(model));
        if (!bound) return;
        for (const conflict of bound.program.conflicts) {
            const packet = describePacket(conflict.witness);
            const pairs = [
                [conflict.allow, conflict.deny],
                [conflict.deny, conflict.allow]
            ] as const;
            for (const [here, other] of pairs) {
                const node = bound.statementOf.get(here);
                if (!node || AstUtils.getDocument(node) !== AstUtils.getDocument(model)) continue;
                const otherNode = bound.statementOf.get(other)!;
                accept(
                    'error',
                    `This ${here.kind} overlaps the ${other.kind} of intent '${other.intent}' (${whereIs(otherNode, AstUtils.getDocument(model))}) and neither contains the other; both match ${packet}. Make one of them more specific.`,
                    { node, code: 'overlap' }
                );
            }
        }
        for (const requirement of bound.program.tooCarved) {
            const node = bound.statementOf.get(requirement);
            if (!node || AstUtils.getDocument(node) !== AstUtils.getDocument(model)) continue;
            accept(
                'error',
                `The more specific statements inside this ${requirement.kind} carve it into more than ${MAX_PARTS} parts, more than netintent resolves; split it into narrower statements, or merge the ones inside it.`,
                { node, code: 'too-complex' }
            );
        }
    };

    /** A requirement whose ends have addresses, but in no family in common, covers no packet at all. */
    checkFamilies = (model: Model, accept: ValidationAcceptor): void => {
        const bound = this.programs.forDocument(AstUtils.getDocument(model));
        if (!bound) return;
        const families = (end: EndpointSet) =>
            [...(end.addresses.isEmpty() ? [] : ['IPv4']), ...(end.addresses6.isEmpty() ? [] : ['IPv6'])].join(' and ');
        for (const [requirement, node] of bound.statementOf) {
            if (!requirement.packets.isEmpty() || AstUtils.getDocument(node) !== AstUtils.getDocument(model)) continue;
            // Empty for another reason (a service with errors, a group of nothing): said there.
            const common = (f: RequirementIR['flows'][number]) =>
                (!f.source.addresses.isEmpty() && !f.destination.addresses.isEmpty()) ||
                (!f.source.addresses6.isEmpty() && !f.destination.addresses6.isEmpty());
            const apart = requirement.flows.find(f => families(f.source) && families(f.destination));
            if (!apart || requirement.flows.some(common)) continue;
            accept(
                'error',
                `This ${requirement.kind} covers no packet: ${apart.source.label} has ${families(apart.source)} addresses only, ${apart.destination.label} ${families(apart.destination)} only. A requirement covers each family in which both of its ends have addresses.`,
                { node, code: 'no-packet' }
            );
        }
    };

    checkGroup = (group: Group, accept: ValidationAcceptor): void => {
        if (group.members.length === 0) {
            accept(
                'error',
                `Group '${group.name}' is empty; add at least one member (a segment, host, external, prefix or group).`,
                { node: group, property: 'name', code: 'empty-group' }
            );
            return;
        }
        if (this.nesting.of(group).cyclic) {
            accept('error', `Group '${group.name}' contains itself through its members; remove the cycle.`, {
                node: group,
                property: 'name',
                code: 'group-cycle'
            });
            return;
        }
        const bound = this.programs.forDocument(AstUtils.getDocument(group));
        // Only a group whose members are all sound can be said to stand for nothing.
        const sound = group.members.every(m =>
            isNamedEndpoint(m) ? m.target?.ref : !isPrefixEndpoint(m) || (m.prefix && parseAnyPrefix(m.prefix))
        );
        if (bound && sound && isEmptyAddresses(bound.groupAddresses(group))) {
            accept(
                'warning',
                `Group '${group.name}' stands for no addresses of the twin; intents that use it check nothing.`,
                { node: group, property: 'name', code: 'empty-group' }
            );
        }
    };

    checkService = (service: Service, accept: ValidationAcceptor): void => {
        if (service.entries.length === 0) {
            accept('error', `Service '${service.name}' is empty; add a protocol and port, e.g. tcp 443.`, {
                node: service,
                property: 'name',
                code: 'empty-service'
            });
        }
    };

    checkPorts = (entry: ServiceEntry, accept: ValidationAcceptor): void => {
        const ports = entry.ports;
        if (ports?.from === undefined) return;
        if (entry.protocol !== 'tcp' && entry.protocol !== 'udp') {
            accept('error', `${entry.protocol} has no ports; write ports only after tcp or udp.`, {
                node: entry,
                property: 'ports',
                code: 'bad-port'
            });
            return;
        }
        for (const [value, property] of [
            [ports.from, 'from'],
            [ports.to, 'to']
        ] as const) {
            if (value !== undefined && value > 65535) {
                accept('error', `Port ${value} is out of range; ports are 0 to 65535.`, {
                    node: ports,
                    property,
                    code: 'bad-port'
                });
            }
        }
        if (ports.to !== undefined && ports.to < ports.from) {
            accept('error', `Port range ${ports.from}-${ports.to} is backwards; write ${ports.to}-${ports.from}.`, {
                node: ports,
                code: 'bad-port'
            });
        }
    };

    checkPrefix = (endpoint: PrefixEndpoint, accept: ValidationAcceptor): void => {
        if (!endpoint.prefix) return;
        const parsed = parseAnyPrefix(endpoint.prefix);
        if (!parsed) {
            const how = endpoint.prefix.includes(':')
                ? 'an IPv6 prefix; write up to eight groups of 1-4 hex digits, :: once for a run of zeros, and a length 0-128, e.g. 2001:db8::/32'
                : 'an IPv4 prefix; write four numbers 0-255 and a length 0-32, e.g. 10.0.0.0/8';
            accept('error', `'${endpoint.prefix}' is not ${how}.`, {
                node: endpoint,
                property: 'prefix',
                code: 'bad-prefix'
            });
        } else if (parsed.hostBitsSet) {
            const normalized = parsed.family === 4 ? formatPrefix(parsed.prefix) : formatPrefix6(parsed.prefix);
            accept('warning', `${endpoint.prefix} has host bits set; it means ${normalized}.`, {
                node: endpoint,
                property: 'prefix',
                code: 'host-bits',
                data: { normalized }
            });
        }
    };

    checkClauses = (requirement: Requirement, accept: ValidationAcceptor): void => {
        const seen = new Map<string, Clause>();
        for (const clause of requirement.clauses) {
            const keyword = CLAUSE_KEYWORDS[clause.$type];
            if (!isAllow(requirement) && clause.$type !== 'During') {
                accept(
                    'error',
                    `'${keyword}' constrains the paths of allowed traffic; it has no meaning after '${requirement.$type.toLowerCase()}'.`,
                    { node: clause, code: 'misplaced-clause' }
                );
            }
            const single = isSurvive(clause) || isLatencyBound(clause) || isHopsBound(clause);
            const previous = seen.get(clause.$type);
            if (single && previous) {
                accept(
                    'warning',
                    `'${keyword}' is already given at line ${lineOf(previous)}; only the last one counts.`,
                    { node: clause, code: 'duplicate-clause' }
                );
            }
            seen.set(clause.$type, clause);
        }
    };

    checkLinkExists = (link: LinkRef, accept: ValidationAcceptor): void => {
        const a = link.a?.interface?.ref?.name;
        const b = link.b?.interface?.ref?.name;
        const deviceA = link.a?.device?.ref?.name;
        const deviceB = link.b?.device?.ref?.name;
        if (a === undefined || b === undefined || deviceA === undefined || deviceB === undefined) return;
        const loaded = this.twins.forDocument(AstUtils.getDocument(link));
        if (!loaded) return;
        const ends = { a: { device: deviceA, interface: a }, b: { device: deviceB, interface: b } };
        if (findLink(loaded.twin, ends.a, ends.b)) return;
        const linked = loaded.twin.links.find(l => [l.a, l.b].some(e => e.device === deviceA && e.interface === a));
        const hint = linked ? ` ${deviceA}:${a} is linked as ${linkName(linked)}.` : '';
        accept('error', `${linkName(ends)} is not a link of the twin.${hint}`, { node: link, code: 'unknown-link' });
    };

    checkSurvive = (survive: Survive, accept: ValidationAcceptor): void => {
        if (survive.count === 0) {
            accept(
                'warning',
                `'survive 0 ${survive.kind} failures' asks nothing; remove it or give a count of 1 or more.`,
                { node: survive, property: 'count', code: 'survive-zero' }
            );
        }
    };

    checkHops = (bound: { limit: number } & AstNode, accept: ValidationAcceptor): void => {
        if (bound.limit === 0) {
            accept('error', 'A path passes through at least one device; use hops <= 1 or more.', {
                node: bound,
                code: 'bad-hops'
            });
        }
    };
}

function lineOf(node: AstNode): number {
    return (node.$cstNode?.range.start.line ?? 0) + 1;
}

/** "line 12" in the same file, "other.intent:12" elsewhere. */
function whereIs(node: AstNode, from: LangiumDocument): string {
    const document = AstUtils.getDocument(node);
    return document === from ? `line ${lineOf(node)}` : `${path.basename(document.uri.fsPath)}:${lineOf(node)}`;
}
