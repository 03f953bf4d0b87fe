/**
 * Builds the intent IR from the linked syntax trees of the files bound to one twin.
 * After a syntax error the parser's recovery leaves parts of a statement missing even where the
 * grammar requires them, so every property is read as possibly absent.
 */
import { createHash } from 'node:crypto';
import { AstUtils, type AstNode } from 'langium';
import { fromZeroBased, type SourceLocation } from '../common/diagnostic.js';
import { IntervalSet } from '../net/interval-set.js';
import { ALL_ADDRESSES, parsePrefix, prefixRange } from '../net/ipv4.js';
import { ALL_PORTS, ALL_PROTOCOLS, PacketSet, PROTOCOL_NUMBERS, type ProtocolName } from '../net/packet-set.js';
import type { InterfaceKey, Twin } from '../twin/model.js';
import { deviceAddresses, routerAddresses } from '../twin/places.js';
import {
    isAllow,
    isAnyEndpoint,
    isAvoid,
    isDefaultPolicy,
    isDeny,
    isDeviceEndpoint,
    isDeviceFailure,
    isDuring,
    isExternalEndpoint,
    isGroup,
    isHopsBound,
    isHostEndpoint,
    isIntent,
    isInterfaceFailure,
    isIsolate,
    isLatencyBound,
    isLinkFailure,
    isNamedEndpoint,
    isPrefixEndpoint,
    isScenario,
    isSegmentEndpoint,
    isService,
    isServiceEntry,
    isServiceUse,
    isSurvive,
    isVia,
    type Endpoint,
    type Group,
    type InterfaceRef,
    type Model,
    type Requirement as RequirementNode,
    type Scenario,
    type ServiceEntry,
    type ServiceSpec
} from './generated/ast.js';
import { memberGroups } from './group-nesting.js';
import { isTwinSymbol } from './twin-symbols.js';
import { parseDuration } from '../common/units.js';
import { resolveOverlaps } from '../intent/overlap.js';
import type {
    EndpointSet,
    Failure,
    IntentIR,
    IntentProgram,
    PathConstraints,
    Requirement,
    ScenarioIR
} from '../intent/model.js';

export interface BuildOptions {
    /** Called for each requirement with the statement it came from (the language server maps back). */
    onRequirement?: (requirement: Requirement, node: AstNode) => void;
    /** Requirements of an earlier build on the same twin, by what they were built from (see `built`). */
    previous?: ReadonlyMap<string, Requirement>;
    /** Filled with this build's requirements, by the text they were built from and its declarations. */
    built?: Map<string, Requirement>;
}

export function buildIntentProgram(twin: Twin, models: readonly Model[], options: BuildOptions = {}): IntentProgram {
    const builder = new ProgramBuilder(twin, options);
    return builder.build(models);
}

class ProgramBuilder {
    private readonly groupAddresses = new Map<Group, IntervalSet>();

    constructor(
        private readonly twin: Twin,
        private readonly options: BuildOptions
    ) {}

    /**
     * A digest of the text of every group, service and scenario: a requirement means the same
     * while it and they do. A digest, since it is part of every requirement's key (the text itself
     * made building quadratic in the size of the files).
     */
    private declarations = '';

    build(models: readonly Model[]): IntentProgram {
        const declarations = models
            .flatMap(m => m.statements)
            .filter(s => isGroup(s) || isService(s) || isScenario(s))
            .map(s => s.$cstNode?.text ?? '');
        this.declarations = createHash('sha256').update(declarations.join('\n')).digest('hex');
        const intents: IntentIR[] = [];
        let defaultNode: AstNode | undefined;
        for (const model of models) {
            for (const statement of model.statements) {
                if (isDefaultPolicy(statement) && statement.action === 'deny') defaultNode ??= statement;
                if (!isIntent(statement)) continue;
                intents.push({
                    name: statement.name,
                    description: statement.description,
                    location: locationOf(statement),
                    requirements: statement.requirements.map(r => this.requirement(statement.name, r))
                });
            }
        }
        const defaultRequirement = defaultNode ? this.defaultRequirement(defaultNode) : undefined;
        const requirements = intents.flatMap(i => i.requirements);
        return {
            twin: this.twin,
            defaultAction: defaultNode ? 'deny' : 'allow',
            intents,
            defaultRequirement,
            ...resolveOverlaps(requirements)
        };
    }

    private requirement(intent: string, node: RequirementNode): Requirement {
        const location = locationOf(node);
        const key = [
            this.declarations,
            intent,
            location.file,
            location.range.start.line,
            location.range.start.column,
            node.$cstNode?.text
        ].join('\n');
        const earlier = this.options.previous?.get(key);
        // A fresh object: its effective packets are decided again with the others'.
        const requirement = earlier
            ? { ...earlier, effective: earlier.packets }
            : this.newRequirement(intent, node, location);
        this.options.built?.set(key, requirement);
        this.options.onRequirement?.(requirement, node);
        return requirement;
    }

    private newRequirement(intent: string, node: RequirementNode, location: SourceLocation): Requirement {
        const { flows, packets } = this.flows(node, () => false);
        const requirement: Requirement = {
            kind: isAllow(node) ? 'allow' : isDeny(node) ? 'deny' : 'isolate',
            intent,
            location,
            flows,
            packets,
            effective: packets,
            stateful: isAllow(node) && !node.oneway,
            constraints: this.constraints(node),
            scenarios: node.clauses
                .filter(isDuring)
                .flatMap(d => d.scenarios.map(s => s?.ref))
                .filter((s): s is Scenario => s !== undefined)
                .map(s => this.scenario(s))
        };
        return requirement;
    }

    /**
     * A statement's flows and the packets they carry. A part for which `unknown` says so (one
     * with errors) stands for anything: every address, or every protocol and port.
     */
    flows(
        node: RequirementNode,
        unknown: (part: AstNode | undefined) => boolean
    ): Pick<Requirement, 'flows' | 'packets'> {
        const endpoint = (part: Endpoint | undefined): EndpointSet =>
            unknown(part) ? { label: part?.$cstNode?.text ?? '', addresses: ALL_ADDRESSES } : this.endpoint(part);
        const services = node.services.some(unknown) ? this.services([]) : this.services(node.services);
        const flows = isIsolate(node)
            ? node.members
                  .flatMap((a, i) =>
                      node.members.slice(i + 1).flatMap(
                          b =>
                              [
                                  [a, b],
                                  [b, a]
                              ] as const
                      )
                  )
                  .map(([a, b]) => ({ source: endpoint(a), destination: endpoint(b) }))
            : [{ source: endpoint(node.source), destination: endpoint(node.destination) }];
        const packets = flows.reduce(
            (set, flow) =>
                set.union(
                    services.reduce(
                        (acc, s) =>
                            acc.union(
                                PacketSet.cube({ src: flow.source.addresses, dst: flow.destination.addresses, ...s })
                            ),
                        PacketSet.EMPTY
                    )
                ),
            PacketSet.EMPTY
        );
        return { flows, packets };
    }

    /**
     * `default deny`: every packet an edge may send (any source: it may be forged) toward the
     * twin's endpoints and its devices' own addresses that no allow takes.
     */
    private defaultRequirement(node: AstNode): Requirement {
        const everywhere = this.anyAddresses().union(routerAddresses(this.twin));
        const anySource = IntervalSet.of(0, 0xffffffff);
        const flow = {
            source: { label: 'any source', addresses: anySource },
            destination: { label: 'any', addresses: everywhere }
        };
        const packets = PacketSet.cube({
            src: anySource,
            dst: everywhere,
            protocol: ALL_PROTOCOLS,
            dstPort: ALL_PORTS
        });
        return {
            kind: 'default',
            intent: 'default',
            location: locationOf(node),
            flows: [flow],
            packets,
            effective: packets,
            stateful: false,
            constraints: emptyConstraints(),
            scenarios: []
        };
    }

    private constraints(node: RequirementNode): PathConstraints {
        const constraints = emptyConstraints();
        for (const clause of node.clauses) {
            if (isVia(clause)) {
                const devices = clause.devices.flatMap(d => (d?.ref ? [d.ref.name] : []));
                if (devices.length > 0) constraints.via.push([...new Set(devices)].sort());
            }
            if (isAvoid(clause) && clause.device?.ref) constraints.avoidDevices.push(clause.device.ref.name);
            if (isAvoid(clause) && clause.link) {
                const a = interfaceKey(clause.link?.a);
                const b = interfaceKey(clause.link?.b);
                if (a && b) constraints.avoidLinks.push({ a, b });
            }
            if (isSurvive(clause)) constraints.survive = { count: clause.count, kind: clause.kind as 'link' | 'node' };
            if (isLatencyBound(clause) && clause.limit) constraints.latencyUs = parseDuration(clause.limit);
            if (isHopsBound(clause) && clause.limit !== undefined) constraints.hops = clause.limit;
        }
        return constraints;
    }

    private scenario(node: Scenario): ScenarioIR {
        const failures: Failure[] = [];
        for (const failure of node.failures) {
            if (isDeviceFailure(failure) && failure.device?.ref)
                failures.push({ kind: 'device', device: failure.device.ref.name });
            if (isLinkFailure(failure)) {
                const a = interfaceKey(failure.link?.a);
                const b = interfaceKey(failure.link?.b);
                if (a && b) failures.push({ kind: 'link', a, b });
            }
            if (isInterfaceFailure(failure)) {
                const key = interfaceKey(failure.interface);
                if (key) failures.push({ kind: 'interface', interface: key });
            }
        }
        return { name: node.name, failures, location: locationOf(node) };
    }

    /** Protocol and port sets of a statement's services; none written means all IP traffic. */
    private services(specs: readonly ServiceSpec[]): Array<{ protocol: IntervalSet; dstPort: IntervalSet }> {
        if (specs.length === 0) return [{ protocol: ALL_PROTOCOLS, dstPort: ALL_PORTS }];
        const entries = specs.flatMap(spec =>
            isServiceUse(spec) ? (spec.service?.ref?.entries ?? []) : isServiceEntry(spec) ? [spec] : []
        );
        return entries.map(serviceCube);
    }

    private endpoint(node: Endpoint | undefined): EndpointSet {
        return { label: node?.$cstNode?.text ?? '', addresses: this.addresses(node) };
    }

    private addresses(node: Endpoint | undefined): IntervalSet {
        if (!node) return IntervalSet.EMPTY;
        if (isAnyEndpoint(node)) return this.anyAddresses();
        if (isPrefixEndpoint(node)) {
            const parsed = node.prefix ? parsePrefix(node.prefix) : undefined;
            return parsed ? prefixRange(parsed.prefix) : IntervalSet.EMPTY;
        }
        if (isDeviceEndpoint(node))
            return node.device?.ref ? deviceAddresses(this.twin, node.device.ref.name) : IntervalSet.EMPTY;
        const target = isSegmentEndpoint(node)
            ? node.segment?.ref
            : isHostEndpoint(node)
              ? node.host?.ref
              : isExternalEndpoint(node)
                ? node.external?.ref
                : isNamedEndpoint(node)
                  ? node.target?.ref
                  : undefined;
        if (isGroup(target)) return this.groupSet(target);
        if (!isTwinSymbol(target)) return IntervalSet.EMPTY;
        switch (target.$type) {
            case 'TwinSegment': {
                const segment = this.twin.segments.get(target.name);
                return segment ? prefixRange(segment.prefix) : IntervalSet.EMPTY;
            }
            case 'TwinHost': {
                const host = this.twin.hosts.get(target.name);
                return host ? IntervalSet.of(host.address, host.address) : IntervalSet.EMPTY;
            }
            case 'TwinExternal':
                return this.twin.externals.get(target.name)?.space ?? IntervalSet.EMPTY;
            default:
                return IntervalSet.EMPTY;
        }
    }

    /**
     * A group's addresses; a group that contains itself contributes nothing the second time.
     * Members first, depth first, without recursion: groups may nest deeper than the call stack.
     */
    groupSet(root: Group): IntervalSet {
        // The groups whose members are being computed: the path from the root.
        const open = new Set<Group>();
        const pending = [root];
        while (pending.length > 0) {
            const group = pending[pending.length - 1];
            if (this.groupAddresses.has(group)) {
                pending.pop();
            } else if (!open.has(group)) {
                open.add(group);
                for (const member of memberGroups(group)) {
                    if (!open.has(member) && !this.groupAddresses.has(member)) pending.push(member);
                }
            } else {
                this.groupAddresses.set(
                    group,
                    group.members.reduce((acc, m) => acc.union(this.memberAddresses(m)), IntervalSet.EMPTY)
                );
                open.delete(group);
                pending.pop();
            }
        }
        return this.groupAddresses.get(root)!;
    }

    /** A member's addresses once its groups are computed; a group still open is a cycle: nothing. */
    private memberAddresses(member: Endpoint): IntervalSet {
        const target = isNamedEndpoint(member) ? member.target?.ref : undefined;
        return isGroup(target) ? (this.groupAddresses.get(target) ?? IntervalSet.EMPTY) : this.addresses(member);
    }

    /** `any`: every segment and external of the twin. */
    private anyAddresses(): IntervalSet {
        return [...this.twin.segments.values()]
            .map(s => prefixRange(s.prefix))
            .concat([...this.twin.externals.values()].map(e => e.space))
            .reduce((acc, s) => acc.union(s), IntervalSet.EMPTY);
    }
}

/** The addresses a group stands for (for a hover). */
export function groupAddresses(twin: Twin, group: Group): IntervalSet {
    return groupAddressLookup(twin)(group);
}

/**
 * What statements with errors may stand for once they are fixed: their packets, with every part
 * `unknown` names (one with errors, or using a declaration with errors) and every part the parser
 * could not read standing for anything. Each group is computed once however many are asked.
 */
export function possiblePacketsLookup(
    twin: Twin
): (node: RequirementNode, unknown: (part: AstNode) => boolean) => PacketSet {
    const builder = new ProgramBuilder(twin, {});
    return (node, unknown) => builder.flows(node, part => part === undefined || unknown(part)).packets;
}

/** What groups stand for, each group computed once however many are asked (for validation: empty groups). */
export function groupAddressLookup(twin: Twin): (group: Group) => IntervalSet {
    const builder = new ProgramBuilder(twin, {});
    return group => builder.groupSet(group);
}

export function serviceCube(entry: ServiceEntry): { protocol: IntervalSet; dstPort: IntervalSet } {
    if (entry.protocol === 'ip') return { protocol: ALL_PROTOCOLS, dstPort: ALL_PORTS };
    const number = PROTOCOL_NUMBERS[entry.protocol as ProtocolName];
    const ports =
        entry.ports?.from !== undefined
            ? IntervalSet.of(entry.ports.from, entry.ports.to ?? entry.ports.from)
            : ALL_PORTS;
    return { protocol: IntervalSet.of(number, number), dstPort: entry.protocol === 'icmp' ? ALL_PORTS : ports };
}

function interfaceKey(ref: InterfaceRef | undefined): InterfaceKey | undefined {
    const device = ref?.device?.ref?.name;
    const iface = ref?.interface?.ref?.name;
    return device !== undefined && iface !== undefined ? { device, interface: iface } : undefined;
}

function emptyConstraints(): PathConstraints {
    return { via: [], avoidDevices: [], avoidLinks: [] };
}

/** Where a syntax node was written, 1-based. */
export function locationOf(node: AstNode): SourceLocation {
    const range = node.$cstNode?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return { file: AstUtils.getDocument(node).uri.fsPath, range: fromZeroBased(range) };
}
