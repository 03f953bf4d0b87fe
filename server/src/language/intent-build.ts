/**
 * Builds the intent IR from the linked syntax trees of the files bound to one twin.
 * After a syntax error the parser's recovery leaves parts of a statement missing even where the
 * grammar requires them, so every property is read as possibly absent.
 */
import { createHash } from 'node:crypto';
import { AstUtils, type AstNode } from 'langium';
import { fromZeroBased, type SourceLocation } from '../common/diagnostic.js';
import { IPV4, IPV6, NO_ADDRESSES, parseAnyPrefix, unionAddresses, type Addresses } from '../net/family.js';
import { IntervalSet } from '../net/interval-set.js';
import { ALL_ADDRESSES } from '../net/ipv4.js';
import { ALL_ADDRESSES6 } from '../net/ipv6.js';
import {
    ALL_PORTS,
    ALL_PROTOCOLS,
    PacketSet,
    protocolNumber,
    type Family,
    type ProtocolName
} from '../net/packet-set.js';
import type { InterfaceKey, Twin, TwinSegment } from '../twin/model.js';
import { deviceAddresses, deviceAddresses6, routerAddresses, routerAddresses6 } from '../twin/places.js';
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
    private readonly groupAddresses = new Map<Group, Addresses>();

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
            unknown(part)
                ? { label: part?.$cstNode?.text ?? '', addresses: ALL_ADDRESSES, addresses6: ALL_ADDRESSES6 }
                : this.endpoint(part);
        const specs = node.services.some(unknown) ? [] : node.services;
        const [services, services6] = [this.services(specs, 4), this.services(specs, 6)];
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
        // Each family where both ends have addresses; nothing for one where either has none.
        const packets = flows.reduce(
            (set, { source, destination }) =>
                set
                    .union(
                        services.reduce(
                            (acc, s) =>
                                acc.union(PacketSet.cube({ src: source.addresses, dst: destination.addresses, ...s })),
                            PacketSet.EMPTY
                        )
                    )
                    .union(
                        services6.reduce(
                            (acc, s) =>
                                acc.union(
                                    PacketSet.cube6({ src: source.addresses6, dst: destination.addresses6, ...s })
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
        const any = this.anyAddresses();
        const everywhere = any.v4.union(routerAddresses(this.twin));
        const everywhere6 = any.v6.union(routerAddresses6(this.twin));
        const flow = {
            source: { label: 'any source', addresses: ALL_ADDRESSES, addresses6: ALL_ADDRESSES6 },
            destination: { label: 'any', addresses: everywhere, addresses6: everywhere6 }
        };
        const packets = PacketSet.cube({ src: ALL_ADDRESSES, dst: everywhere }).union(
            PacketSet.cube6({ src: ALL_ADDRESSES6, dst: everywhere6 })
        );
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

    /** Protocol and port sets of a statement's services in a family; none written means all IP traffic. */
    private services(
        specs: readonly ServiceSpec[],
        family: Family
    ): Array<{ protocol: IntervalSet; dstPort: IntervalSet }> {
        if (specs.length === 0) return [{ protocol: ALL_PROTOCOLS, dstPort: ALL_PORTS }];
        const entries = specs.flatMap(spec =>
            isServiceUse(spec) ? (spec.service?.ref?.entries ?? []) : isServiceEntry(spec) ? [spec] : []
        );
        return entries.map(entry => serviceCube(entry, family));
    }

    private endpoint(node: Endpoint | undefined): EndpointSet {
        const { v4, v6 } = this.addresses(node);
        return { label: node?.$cstNode?.text ?? '', addresses: v4, addresses6: v6 };
    }

    private addresses(node: Endpoint | undefined): Addresses {
        if (!node) return NO_ADDRESSES;
        if (isAnyEndpoint(node)) return this.anyAddresses();
        if (isPrefixEndpoint(node)) {
            const parsed = node.prefix ? parseAnyPrefix(node.prefix) : undefined;
            if (!parsed) return NO_ADDRESSES;
            return parsed.family === 4
                ? { ...NO_ADDRESSES, v4: IPV4.range(parsed.prefix) }
                : { ...NO_ADDRESSES, v6: IPV6.range(parsed.prefix) };
        }
        if (isDeviceEndpoint(node)) {
            const name = node.device?.ref?.name;
            return name === undefined
                ? NO_ADDRESSES
                : { v4: deviceAddresses(this.twin, name), v6: deviceAddresses6(this.twin, name) };
        }
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
        if (!isTwinSymbol(target)) return NO_ADDRESSES;
        switch (target.$type) {
            case 'TwinSegment': {
                const segment = this.twin.segments.get(target.name);
                return segment ? segmentAddresses(segment) : NO_ADDRESSES;
            }
            case 'TwinHost': {
                const host = this.twin.hosts.get(target.name);
                if (!host) return NO_ADDRESSES;
                const { address: a, address6: a6 } = host;
                return {
                    v4: a === undefined ? IntervalSet.EMPTY : IntervalSet.of(a, a),
                    v6: a6 === undefined ? IntervalSet.EMPTY6 : IntervalSet.of(a6, a6)
                };
            }
            case 'TwinExternal': {
                const external = this.twin.externals.get(target.name);
                return external ? { v4: external.space, v6: external.space6 } : NO_ADDRESSES;
            }
            default:
                return NO_ADDRESSES;
        }
    }

    /**
     * A group's addresses; a group that contains itself contributes nothing the second time.
     * Members first, depth first, without recursion: groups may nest deeper than the call stack.
     */
    groupSet(root: Group): Addresses {
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
                    group.members.reduce((acc, m) => unionAddresses(acc, this.memberAddresses(m)), NO_ADDRESSES)
                );
                open.delete(group);
                pending.pop();
            }
        }
        return this.groupAddresses.get(root)!;
    }

    /** A member's addresses once its groups are computed; a group still open is a cycle: nothing. */
    private memberAddresses(member: Endpoint): Addresses {
        const target = isNamedEndpoint(member) ? member.target?.ref : undefined;
        return isGroup(target) ? (this.groupAddresses.get(target) ?? NO_ADDRESSES) : this.addresses(member);
    }

    /** `any`: every segment and external of the twin. */
    private anyAddresses(): Addresses {
        return [...this.twin.segments.values()]
            .map(segmentAddresses)
            .concat([...this.twin.externals.values()].map(e => ({ v4: e.space, v6: e.space6 })))
            .reduce(unionAddresses, NO_ADDRESSES);
    }
}

function segmentAddresses(segment: TwinSegment): Addresses {
    return {
        v4: segment.prefix ? IPV4.range(segment.prefix) : IntervalSet.EMPTY,
        v6: segment.prefix6 ? IPV6.range(segment.prefix6) : IntervalSet.EMPTY6
    };
}

/** The addresses a group stands for (for a hover). */
export function groupAddresses(twin: Twin, group: Group): Addresses {
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
export function groupAddressLookup(twin: Twin): (group: Group) => Addresses {
    const builder = new ProgramBuilder(twin, {});
    return group => builder.groupSet(group);
}

/** A service entry's protocol and ports in a family (`icmp`: ICMP in IPv4, ICMPv6 in IPv6). */
export function serviceCube(entry: ServiceEntry, family: Family): { protocol: IntervalSet; dstPort: IntervalSet } {
    if (entry.protocol === 'ip') return { protocol: ALL_PROTOCOLS, dstPort: ALL_PORTS };
    const number = protocolNumber(entry.protocol as ProtocolName, family);
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
