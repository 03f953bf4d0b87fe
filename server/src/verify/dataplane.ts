/**
 * The data plane: where a set of packets goes from where it enters. Per device, in the order
 * Linux applies them: the prerouting hook (anti-spoofing), the policy routes (nft mark → table),
 * then the routing decision — the device's own addresses are delivered locally through the input
 * hook, everything else goes by the FIB (longest prefix match, every ECMP branch) through the
 * forward and postrouting hooks; packets a device sends itself meet its output hook. Header sets
 * are exact (packet-set cubes); destinations split into the address classes of the routes that
 * decide them. Connection state is per device: a reply is `established` only at the devices its
 * connection passed, with the mark the connection got there.
 *
 * A trace is a forwarding graph, not a list of paths: the packets that reach a device on an
 * interface are one node however many ECMP branches lead there, so its cost grows with the
 * network, not with the number of paths (exponential in the depth of a mesh). Questions about
 * every path are answered over the graph (graph-paths.ts).
 */
import { ruleLocation, type DeviceConfig, type FilterHook, type IpRule, type Unmodelled } from '../config/model.js';
import type { Addresses } from '../net/family.js';
import { IntervalSet, type Bound, type Interval } from '../net/interval-set.js';
import { LINK_LOCAL6, MULTICAST6, NOT_FORWARDED6 } from '../net/ipv6.js';
import { describePacket, PacketSet, type Family } from '../net/packet-set.js';
import type { SimNetwork } from '../simulate/network.js';
import type { Route, RoutingState } from '../simulate/routing.js';
import type { RoutingFamily } from '../simulate/routing-family.js';
import type { Place } from '../twin/places.js';
import { FilterEvaluator, type Dropped, type HookContext, type Marked } from './filter.js';

export interface Hop {
    device: string;
    /** The interface the packets came in on (none where they start on the device). */
    in?: string;
    /** The interface they leave by. */
    out?: string;
    /** The twin link they cross next, if any. */
    link?: number;
    /** The mark their connection got at this device (oneway connections), if any. */
    ctMark?: number;
    /** Some IPv6 packets leave by a route of an IPv6 policy table (steering): see IPV6_STEERING_AFTER_FAILURES in verify.ts. */
    policyTable6?: true;
}

export type Fate =
    | { kind: 'delivered'; place: Place }
    | { kind: 'dropped'; device: string; reason: string }
    | { kind: 'loop'; device: string }
    /** The device's configuration has something the verifier does not model: what happens there is not known. */
    | { kind: 'unknown'; device: string; reason: string }
    /** Replies whose fate at this device depends on which of several paths their connection took (see TraceOptions.unsure). */
    | { kind: 'ambiguous'; device: string };

/**
 * A device that packets reach, with the packets: each (device, interface in, packets) is one node
 * of a trace however many ECMP branches lead to it, so a trace costs what the forwarding graph
 * has, not what its paths number.
 */
export interface FlowNode {
    readonly device: string;
    readonly in?: string;
    readonly packets: PacketSet;
    /** The hops that leave it for other nodes. */
    readonly next: FlowEdge[];
    /** The hops that lead to it (none for the start). */
    readonly from: FlowEdge[];
}

export interface FlowEdge {
    /** The hop at `from`'s device: interfaces, link and connection mark. */
    readonly hop: Hop;
    readonly from: FlowNode;
    readonly to: FlowNode;
}

/** Packets whose journey ends at a node; `tail` are the last hops of their paths (the node's own, and a looping next one). */
export interface Terminal {
    readonly node: FlowNode;
    readonly tail: Hop[];
    readonly packets: PacketSet;
    readonly fate: Fate;
}

/** Where a set of packets goes from where it enters: a directed acyclic graph of nodes, and where each part ends. */
export class ForwardingGraph {
    /** Every node, in topological order (each edge leads to a later node); the start first. */
    readonly nodes: FlowNode[] = [];
    readonly terminals: Terminal[] = [];

    /** Up to `limit` paths from the start to the terminal, hop by hop. */
    paths(terminal: Terminal, limit: number): Hop[][] {
        const out: Hop[][] = [];
        const back = (node: FlowNode, suffix: Hop[]): void => {
            if (out.length >= limit) return;
            if (node.from.length === 0) {
                out.push(suffix);
                return;
            }
            for (const edge of node.from) back(edge.from, [edge.hop, ...suffix]);
        };
        back(terminal.node, terminal.tail);
        return out;
    }

    /** One path to the terminal. */
    path(terminal: Terminal): Hop[] {
        return this.paths(terminal, 1)[0];
    }

    /** How many paths lead to each node (a float: ECMP makes the count exponential in depth). */
    pathCounts(): Map<FlowNode, number> {
        const counts = new Map<FlowNode, number>();
        for (const node of this.nodes)
            counts.set(
                node,
                node.from.length === 0 ? 1 : node.from.reduce((sum, edge) => sum + counts.get(edge.from)!, 0)
            );
        return counts;
    }
}

export interface TraceOptions {
    /**
     * Replies of connections the network accepted: the devices the connection passed, each with
     * the mark it got there. There the replies are `established`; elsewhere they are new.
     */
    replyTo?: ReadonlyMap<string, number>;
    /**
     * Devices some of the connection's paths passed and others did not, with the marks it may
     * have got there. Where the replies' fate at such a device depends on it, they end `ambiguous`.
     */
    unsure?: ReadonlyMap<string, readonly number[]>;
}

const MAX_HOPS = 64;

/** IPv6 packets no router forwards, by their source or destination. */
const NOT_FORWARDED_PACKETS6 = PacketSet.cube6({ src: NOT_FORWARDED6 }).union(PacketSet.cube6({ dst: NOT_FORWARDED6 }));
/**
 * IPv6 packets to a link-local or multicast address: the device takes them itself where the
 * address is its own or a group it is in (the twin has neither), else no router forwards them.
 */
const ON_LINK_PACKETS6 = PacketSet.cube6({ dst: LINK_LOCAL6.union(MULTICAST6) });

/** One way the routing decision sends packets on. */
type Decision =
    | { kind: 'next'; interface: string; packets: PacketSet; policyTable6?: true }
    | { kind: 'dropped'; packets: PacketSet; reason: string };

/** A route of either family, as the routing decision takes it. */
type AnyRoute = Route<number> | Route<bigint>;

/** A routing decision and the route lookups it rests on: it holds wherever they give the same routes. */
interface RecordedDecision {
    decisions: readonly Decision[];
    lookups: Array<{ table?: number; address: Bound; route: AnyRoute | undefined }>;
}

/** Records (routing decisions; a device's steps) kept per packet set and device: the intact network's and a few failure sets'. */
const MAX_RECORDS_KEPT = 4;

/**
 * What a device did with packets under some failure set, and all that it rested on there: the
 * routing decisions (the very objects decide gave) and whether each interface it sent by was up.
 * Under another failure set where decide gives the same objects and the same interfaces are up,
 * the device does the same.
 */
interface RecordedSteps {
    steps: DeviceStep[];
    decisions: Array<{ mark: number; packets: PacketSet; made: readonly Decision[] }>;
    sends: Array<{ interface: string; up: boolean }>;
}

/** The records kept for a packet set at a device under a key, made empty where there are none yet. */
function recordsOf<K, T>(
    records: WeakMap<PacketSet, WeakMap<DeviceConfig, Map<K, T[]>>>,
    packets: PacketSet,
    config: DeviceConfig,
    key: K
): T[] {
    let byDevice = records.get(packets);
    if (!byDevice) records.set(packets, (byDevice = new WeakMap()));
    let byKey = byDevice.get(config);
    if (!byKey) byDevice.set(config, (byKey = new Map()));
    let made = byKey.get(key);
    if (!made) byKey.set(key, (made = []));
    return made;
}

/** Whether two routes forward alike: the same prefix, next hops (in order) or blackhole. */
function sameRoute(a: AnyRoute | undefined, b: AnyRoute | undefined): boolean {
    if (a === b) return true;
    if (
        !a ||
        !b ||
        a.blackhole !== b.blackhole ||
        a.prefix.network !== b.prefix.network ||
        a.prefix.length !== b.prefix.length
    )
        return false;
    return (
        a.nextHops.length === b.nextHops.length &&
        a.nextHops.every((hop, i) => hop.interface === b.nextHops[i].interface && hop.address === b.nextHops[i].address)
    );
}

/** What a device does with a part of the packets that reach it: sends it across a link to a peer, or ends it. */
type DeviceStep =
    | { kind: 'across'; hop: Hop; peer: { device: string; interface: string }; packets: PacketSet }
    | { kind: 'end'; hop: Hop; packets: PacketSet; fate: Fate };

/** One trace in progress. */
interface Trace {
    graph: ForwardingGraph;
    options: TraceOptions;
    /** Nodes by "device>interface in". */
    memo: Map<string, FlowNode[]>;
    /** The (device, interface in) pairs on the current branch: met again, the packets loop. */
    onBranch: Set<string>;
    /** Finished nodes, children before parents. */
    finished: FlowNode[];
}

/** The hooks after prerouting: those run before the routing decision, and those after it. */
interface OnwardHooks {
    early: readonly FilterHook[];
    late: readonly FilterHook[];
}

/**
 * What the data planes of one network share whatever fails: its places, where address classes
 * start, and what each device's configuration gives (its own addresses, its filter ready to run).
 */
export class DataPlaneShared {
    /** Places by their attachment ("device:interface"). */
    readonly attachments: Map<string, Place>;
    readonly devicePlaces: Map<string, Place>;
    private readonly owned = new WeakMap<DeviceConfig, Addresses>();
    private readonly ownedPackets = new WeakMap<DeviceConfig, PacketSet>();
    private readonly onward = new WeakMap<DeviceConfig, { forwarded: OnwardHooks; sent: OnwardHooks }>();
    private readonly evaluators = new WeakMap<DeviceConfig, FilterEvaluator>();
    private readonly sensitive = new WeakMap<DeviceConfig, Map<string, PacketSet>>();
    private readonly altering = new WeakMap<DeviceConfig, Map<string, PacketSet>>();
    private readonly parts = new WeakMap<PacketSet, Map<string, PacketSet>>();
    /** Unions of parts sent out of one interface (see byInterface), by the parts' ids. */
    private readonly unions = new WeakMap<PacketSet, Map<string, PacketSet>>();
    private readonly ids = new WeakMap<PacketSet, number>();
    private nextId = 0;
    /** By the device's configuration object: another configuration (other policy rules) decides anew. */
    private readonly decisions = new WeakMap<PacketSet, WeakMap<DeviceConfig, Map<number, RecordedDecision[]>>>();
    private readonly steps = new WeakMap<PacketSet, WeakMap<DeviceConfig, Map<string, RecordedSteps[]>>>();

    /**
     * `cuts` (IPv4) and `cuts6` (IPv6): sorted addresses where the routes that could match
     * change, and every interface address and the one after it (packets to a router's own address
     * are delivered to it).
     */
    constructor(
        readonly places: readonly Place[],
        readonly cuts: readonly number[],
        readonly cuts6: readonly bigint[]
    ) {
        this.attachments = new Map(
            places.filter(p => p.interface !== undefined).map(p => [`${p.device}:${p.interface}`, p])
        );
        this.devicePlaces = new Map(places.filter(p => p.kind === 'device').map(p => [p.device, p]));
    }

    /** The device's own addresses of both families. */
    ownAddresses(config: DeviceConfig): Addresses {
        let own = this.owned.get(config);
        if (!own) {
            own = {
                v4: IntervalSet.fromIntervals(
                    config.interfaces.flatMap(i =>
                        [i.address, ...(i.secondary ?? [])].flatMap(a => (a ? [[a.address, a.address] as const] : []))
                    )
                ),
                v6: IntervalSet.fromIntervals(
                    config.interfaces.flatMap(i =>
                        i.address6 ? [[i.address6.address, i.address6.address] as const] : []
                    )
                )
            };
            this.owned.set(config, own);
        }
        return own;
    }

    /** Packets to the device's own addresses. */
    ownPackets(config: DeviceConfig): PacketSet {
        let packets = this.ownedPackets.get(config);
        if (!packets)
            this.ownedPackets.set(config, (packets = PacketSet.between(undefined, this.ownAddresses(config))));
        return packets;
    }

    /**
     * The hooks forwarded packets (or, `sent`, the device's own) cross after prerouting: forward (or
     * output), then postrouting; those that test the outgoing interface run late, once the routing
     * decision has chosen it.
     */
    onwardHooks(config: DeviceConfig, sent: boolean): OnwardHooks {
        let both = this.onward.get(config);
        if (!both) {
            const evaluator = this.evaluator(config);
            const split = (hooks: FilterHook[]) => ({
                early: hooks.filter(h => !evaluator.dependsOnOif(h)),
                late: hooks.filter(h => evaluator.dependsOnOif(h))
            });
            this.onward.set(
                config,
                (both = { forwarded: split(['forward', 'postrouting']), sent: split(['output', 'postrouting']) })
            );
        }
        return sent ? both.sent : both.forwarded;
    }

    evaluator(config: DeviceConfig): FilterEvaluator {
        let evaluator = this.evaluators.get(config);
        if (!evaluator) {
            evaluator = new FilterEvaluator(config.filter);
            this.evaluators.set(config, evaluator);
        }
        return evaluator;
    }

    /** The packets whose fate at a device may depend on their connection, arriving on an interface (see FilterEvaluator.connectionSensitive). */
    connectionSensitive(config: DeviceConfig, iif: string | undefined, reply: boolean): PacketSet {
        let byInterface = this.sensitive.get(config);
        if (!byInterface) this.sensitive.set(config, (byInterface = new Map()));
        const key = `${iif ?? ''}\n${reply}`;
        let sensitive = byInterface.get(key);
        if (!sensitive) {
            const hooks: FilterHook[] =
                iif === undefined ? ['output', 'postrouting'] : ['prerouting', 'input', 'forward', 'postrouting'];
            byInterface.set(key, (sensitive = this.evaluator(config).connectionSensitive(hooks, { iif, reply })));
        }
        return sensitive;
    }

    /**
     * Whether a device forwards these packets, arriving in this context, exactly as they are:
     * none dropped, none rewritten, none marked (prerouting, forward and postrouting). Packets no
     * rule that alters could match (found once per interface and context) pass; others are run.
     */
    passesUntouched(config: DeviceConfig, context: HookContext, packets: PacketSet): boolean {
        return !this.mayAlter(config, context).intersects(packets) || this.untouched(config, context, packets);
    }

    /** What the device's forwarding hooks may drop, mark or rewrite in this context (a superset; memoised). */
    mayAlter(config: DeviceConfig, context: HookContext): PacketSet {
        let byContext = this.altering.get(config);
        if (!byContext) this.altering.set(config, (byContext = new Map()));
        const key = JSON.stringify(context);
        let altered = byContext.get(key);
        if (!altered)
            byContext.set(
                key,
                (altered = this.evaluator(config).mayAlter(['prerouting', 'forward', 'postrouting'], context))
            );
        return altered;
    }

    /** Whether the prerouting hook leaves these packets without a mark (a mark would choose a policy table). */
    leavesUnmarked(config: DeviceConfig, context: HookContext, packets: PacketSet): boolean {
        const evaluator = this.evaluator(config);
        return (
            !evaluator.has('prerouting') ||
            evaluator.run('prerouting', packets, context).accepted.every(g => g.mark === context.mark)
        );
    }

    private untouched(config: DeviceConfig, context: HookContext, packets: PacketSet): boolean {
        const evaluator = this.evaluator(config);
        let groups: Marked[] = [{ packets, ctMark: context.ctMark, mark: context.mark }];
        for (const hook of ['prerouting', 'forward', 'postrouting'] as const) {
            if (!evaluator.has(hook)) continue;
            const next: Marked[] = [];
            for (const group of groups) {
                const result = evaluator.run(hook, group.packets, {
                    ...context,
                    ctMark: group.ctMark,
                    mark: group.mark
                });
                if (result.dropped.some(d => !d.packets.isEmpty())) return false;
                next.push(...result.accepted);
            }
            groups = next;
        }
        return (
            groups.every(g => g.mark === context.mark && g.ctMark === context.ctMark) &&
            groups.reduce((set, g) => set.union(g.packets), PacketSet.EMPTY).equals(packets)
        );
    }

    /**
     * The packets to these destination ranges, memoised by the very set: a failure set that
     * splits a flow where the intact network did meets the same parts (see FilterEvaluator.run).
     */
    toDestinations<A extends Bound>(packets: PacketSet, family: Family, ranges: ReadonlyArray<Interval<A>>): PacketSet {
        let byRanges = this.parts.get(packets);
        if (!byRanges) this.parts.set(packets, (byRanges = new Map()));
        const key = `${family}:${ranges.map(([lo, hi]) => `${lo}-${hi}`).join(',')}`;
        let part = byRanges.get(key);
        if (!part) {
            const destinations = IntervalSet.fromIntervals<Bound>(ranges);
            const only =
                family === 4
                    ? PacketSet.cube({ dst: destinations as IntervalSet })
                    : PacketSet.cube6({ dst: destinations as IntervalSet<bigint> });
            byRanges.set(key, (part = packets.intersect(only)));
        }
        return part;
    }

    /**
     * The routing decisions with every part sent out of one interface as one set (both families,
     * all destination classes that go the same way): the packets travel on as one node of the
     * trace rather than one per route. The same parts give the very same set each time, as
     * toDestinations does. Drops stay apart (each has its reason).
     */
    byInterface(packets: PacketSet, decisions: readonly Decision[]): readonly Decision[] {
        const parts = new Map<string, PacketSet[]>();
        const policyTable6 = new Set<string>();
        for (const d of decisions) {
            if (d.kind !== 'next') continue;
            if (d.policyTable6) policyTable6.add(d.interface);
            const list = parts.get(d.interface) ?? [];
            // Two next hops on one interface (gateways on a segment) send the same part once.
            if (!list.includes(d.packets)) list.push(d.packets);
            parts.set(d.interface, list);
        }
        if ([...parts.values()].every(list => list.length === 1)) return decisions;
        const merged: Decision[] = [];
        for (const d of decisions) {
            if (d.kind === 'dropped') merged.push(d);
            else if (parts.has(d.interface)) {
                merged.push({
                    kind: 'next',
                    interface: d.interface,
                    packets: this.together(packets, parts.get(d.interface)!),
                    ...(policyTable6.has(d.interface) ? { policyTable6: true as const } : {})
                });
                parts.delete(d.interface);
            }
        }
        return merged;
    }

    private together(packets: PacketSet, parts: readonly PacketSet[]): PacketSet {
        if (parts.length === 2 && parts.includes(packets.family(4)) && parts.includes(packets.family(6)))
            return packets;
        let byParts = this.unions.get(packets);
        if (!byParts) this.unions.set(packets, (byParts = new Map()));
        const key = parts.map(part => this.idOf(part)).join(',');
        let union = byParts.get(key);
        if (!union) byParts.set(key, (union = PacketSet.disjointUnion(parts)));
        return union;
    }

    private idOf(set: PacketSet): number {
        let id = this.ids.get(set);
        if (id === undefined) this.ids.set(set, (id = this.nextId++));
        return id;
    }

    /** What a device did with these packets in a context ("ingress, state, marks, reply"), the latest first (see DataPlane.stepsWith). */
    stepsMade(config: DeviceConfig, packets: PacketSet, context: string): RecordedSteps[] {
        return recordsOf(this.steps, packets, config, context);
    }

    /** The routing decisions made for these packets at a device under a mark, the latest first (see DataPlane.decide). */
    decisionsMade(config: DeviceConfig, mark: number, packets: PacketSet): RecordedDecision[] {
        return recordsOf(this.decisions, packets, config, mark);
    }

    /** The devices that own an address (several for an anycast address). */
    ownersOf(configs: ReadonlyMap<string, DeviceConfig>, address: Bound): string[] {
        const owns = (own: Addresses) => (typeof address === 'bigint' ? own.v6.has(address) : own.v4.has(address));
        return [...configs.values()].filter(c => owns(this.ownAddresses(c))).map(c => c.hostname);
    }
}

export class DataPlane {
    private readonly attachments: Map<string, Place>;

    /** `routing6`: the same failures' IPv6 routes. */
    constructor(
        private readonly network: SimNetwork,
        private readonly routing: RoutingState,
        private readonly routing6: RoutingState<bigint>,
        private readonly shared: DataPlaneShared
    ) {
        this.attachments = shared.attachments;
    }

    /** Where `packets` entering at `device` (on `ingress`, or sent by the device itself) go. */
    trace(
        device: string,
        ingress: string | undefined,
        packets: PacketSet,
        options: TraceOptions = {}
    ): ForwardingGraph {
        const trace: Trace = {
            graph: new ForwardingGraph(),
            options,
            memo: new Map(),
            onBranch: new Set(),
            finished: []
        };
        if (!packets.isEmpty()) this.node(trace, device, ingress, packets);
        trace.graph.nodes.push(...trace.finished.reverse());
        return trace.graph;
    }

    /**
     * The sources that can get past the device's prerouting hook on `ingress` at all (for new
     * connections): packets from anywhere else are dropped where they enter.
     */
    admittedSources(device: string, ingress: string): Addresses {
        const any = { v4: PacketSet.ALL.cubes[0].src, v6: PacketSet.ALL.cubes6[0].src };
        const config = this.network.configs.get(device);
        if (!config || config.unmodelled.some(u => u.scope === 'filtering')) return any;
        const evaluator = this.evaluator(config);
        if (!evaluator.has('prerouting')) return any;
        const { accepted } = evaluator.run('prerouting', PacketSet.ALL, {
            iif: ingress,
            state: 'new',
            ctMark: 0,
            mark: 0,
            reply: false
        });
        return {
            v4: IntervalSet.fromIntervals(accepted.flatMap(g => g.packets.cubes.flatMap(c => c.src.intervals))),
            v6: IntervalSet.fromIntervals(accepted.flatMap(g => g.packets.cubes6.flatMap(c => c.src.intervals)))
        };
    }

    /** The node of these packets at this device, found or made (with everything after it). */
    private node(trace: Trace, device: string, ingress: string | undefined, packets: PacketSet): FlowNode {
        const key = `${device}>${ingress ?? ''}`;
        // ECMP branches mostly carry the very same set; equal sets built apart are found too.
        const same = trace.memo.get(key);
        const known =
            same?.find(n => n.packets === packets) ??
            same?.find(n => n.packets.cubes.length === packets.cubes.length && n.packets.equals(packets));
        if (known) return known;
        const node: FlowNode = { device, in: ingress, packets, next: [], from: [] };
        const nodes = trace.memo.get(key) ?? [];
        nodes.push(node);
        trace.memo.set(key, nodes);
        trace.onBranch.add(key);
        for (const step of this.steps(device, ingress, packets, trace.options)) {
            if (step.kind === 'end') {
                trace.graph.terminals.push({ node, tail: [step.hop], packets: step.packets, fate: step.fate });
                continue;
            }
            const { peer } = step;
            const peerKey = `${peer.device}>${peer.interface}`;
            if (trace.onBranch.has(peerKey) || trace.onBranch.size >= MAX_HOPS) {
                trace.graph.terminals.push({
                    node,
                    tail: [step.hop, { device: peer.device, in: peer.interface }],
                    packets: step.packets,
                    fate: { kind: 'loop', device: peer.device }
                });
                continue;
            }
            const to = this.node(trace, peer.device, peer.interface, step.packets);
            const edge: FlowEdge = { hop: step.hop, from: node, to };
            node.next.push(edge);
            to.from.push(edge);
        }
        trace.onBranch.delete(key);
        trace.finished.push(node);
        return node;
    }

    /**
     * What the device does with packets that reach it, in the order Linux applies it. At a device
     * the replies' connection may or may not have passed, both are tried: where they differ, the
     * replies end `ambiguous` (the caller decides per path).
     */
    private steps(
        device: string,
        ingress: string | undefined,
        packets: PacketSet,
        options: TraceOptions
    ): DeviceStep[] {
        const config = this.network.configs.get(device);
        const hop: Hop = { device, in: ingress };
        if (!config || this.routing.failures.devices.has(device))
            return [{ kind: 'end', hop, packets, fate: { kind: 'dropped', device, reason: `${device} is down` } }];
        if (ingress !== undefined && !this.network.isUp(device, ingress, this.routing.failures)) {
            return [
                { kind: 'end', hop, packets, fate: { kind: 'dropped', device, reason: `${device}:${ingress} is down` } }
            ];
        }
        const unmodelled = config.unmodelled.find(u => u.scope === 'filtering');
        if (unmodelled)
            return [
                {
                    kind: 'end',
                    hop,
                    packets,
                    fate: { kind: 'unknown', device, reason: describeUnmodelled(device, unmodelled) }
                }
            ];
        const reply = options.replyTo !== undefined;
        const passed = options.replyTo?.get(device);
        const context: HookContext = {
            iif: ingress,
            state: passed !== undefined ? 'established' : 'new',
            ctMark: passed ?? 0,
            mark: 0,
            reply
        };
        const steps = this.stepsWith(config, ingress, packets, context);
        const marks = options.unsure?.get(device);
        if (!marks) return steps;
        if (!this.shared.connectionSensitive(config, ingress, reply).intersects(packets)) return steps;
        const variants = [
            { ...context, state: 'new' as const, ctMark: 0 },
            ...marks.map(ctMark => ({ ...context, state: 'established' as const, ctMark }))
        ];
        if (variants.every(variant => sameSteps(steps, this.stepsWith(config, ingress, packets, variant))))
            return steps;
        return [{ kind: 'end', hop, packets, fate: { kind: 'ambiguous', device } }];
    }

    /**
     * What the device does with the packets in this context: as under another failure set where
     * what it rested on is the same (see RecordedSteps), else worked out and recorded.
     */
    private stepsWith(
        config: DeviceConfig,
        ingress: string | undefined,
        packets: PacketSet,
        context: HookContext
    ): DeviceStep[] {
        const made = this.shared.stepsMade(
            config,
            packets,
            `${ingress ?? ''}\n${context.state}\n${context.ctMark}\n${context.mark}\n${context.reply}`
        );
        const still = made.find(
            r =>
                r.decisions.every(d => this.decide(config, d.mark, d.packets) === d.made) &&
                r.sends.every(
                    send => this.network.isUp(config.hostname, send.interface, this.routing.failures) === send.up
                )
        );
        if (still) return still.steps;
        const record: RecordedSteps = { steps: [], decisions: [], sends: [] };
        record.steps = this.workOutSteps(config, ingress, packets, context, record);
        made.unshift(record);
        if (made.length > MAX_RECORDS_KEPT) made.pop();
        return record.steps;
    }

    private workOutSteps(
        config: DeviceConfig,
        ingress: string | undefined,
        packets: PacketSet,
        context: HookContext,
        record: RecordedSteps
    ): DeviceStep[] {
        const device = config.hostname;
        const hop: Hop = { device, in: ingress };
        const steps: DeviceStep[] = [];
        const own = this.ownAddresses(config);
        const ownPackets = this.shared.ownPackets(config);
        const toOwn = (packets: PacketSet) =>
            packets.cubes.some(c => c.dst.intersects(own.v4)) || packets.cubes6.some(c => c.dst.intersects(own.v6));
        const { early, late } = this.shared.onwardHooks(config, ingress === undefined);
        const at = (ctMark: number): Hop => (ctMark === 0 ? hop : { ...hop, ctMark });
        for (const group of this.hook(config, 'prerouting', packets, context, hop, steps)) {
            const local = toOwn(group.packets) ? group.packets.intersect(ownPackets) : PacketSet.EMPTY;
            const onLink =
                group.packets.cubes6.length > 0 ? group.packets.intersect(ON_LINK_PACKETS6) : PacketSet.EMPTY;
            let onward = local.isEmpty() ? group.packets : group.packets.subtract(local);
            if (!onLink.isEmpty()) onward = onward.subtract(onLink);
            // Addressed to the device itself: the input hook, then delivered to it.
            const inputHooks: FilterHook[] = ingress === undefined ? [] : ['input'];
            for (const delivered of this.hooks(config, inputHooks, { ...group, packets: local }, context, hop, steps)) {
                steps.push({
                    kind: 'end',
                    hop: at(delivered.ctMark),
                    packets: delivered.packets,
                    fate: { kind: 'delivered', place: this.placeOfDevice(device) }
                });
            }
            // To a link-local or multicast address: the input hook too; past it, whether the device holds the address is not known.
            for (const taken of this.hooks(config, inputHooks, { ...group, packets: onLink }, context, hop, steps)) {
                steps.push({
                    kind: 'end',
                    hop: at(taken.ctMark),
                    packets: taken.packets,
                    fate: {
                        kind: 'unknown',
                        device,
                        reason: `${device}: ${describePacket(taken.packets.witness()!)} is to a link-local or multicast address, which the device may hold itself (the twin has no link-local addresses or groups)`
                    }
                });
            }
            // The routing decision takes the mark the prerouting hook gave the packets.
            for (const passed of this.hooks(config, early, { ...group, packets: onward }, context, hop, steps)) {
                const decisions = this.decide(config, group.mark, passed.packets);
                record.decisions.push({ mark: group.mark, packets: passed.packets, made: decisions });
                for (const decision of decisions) {
                    const leaving: Hop = {
                        ...at(passed.ctMark),
                        ...(decision.kind === 'next' ? { out: decision.interface } : {}),
                        ...(decision.kind === 'next' && decision.policyTable6 ? { policyTable6: true as const } : {})
                    };
                    if (decision.kind === 'dropped') {
                        steps.push({
                            kind: 'end',
                            hop: leaving,
                            packets: decision.packets,
                            fate: { kind: 'dropped', device, reason: decision.reason }
                        });
                        continue;
                    }
                    const byOif: HookContext = { ...context, oif: decision.interface };
                    for (const sent of this.hooks(
                        config,
                        late,
                        { ...passed, packets: decision.packets },
                        byOif,
                        leaving,
                        steps
                    )) {
                        steps.push(
                            this.send(
                                device,
                                decision.interface,
                                sent.packets,
                                { ...leaving, ...at(sent.ctMark), out: decision.interface },
                                record
                            )
                        );
                    }
                }
            }
        }
        return steps;
    }

    /** Runs the hooks in turn; drops end there. */
    private hooks(
        config: DeviceConfig,
        hooks: readonly FilterHook[],
        group: Marked,
        context: HookContext,
        hop: Hop,
        steps: DeviceStep[]
    ): readonly Marked[] {
        let groups = group.packets.isEmpty() ? [] : [group];
        for (const hook of hooks)
            groups = groups.flatMap(g =>
                this.hook(config, hook, g.packets, { ...context, ctMark: g.ctMark, mark: g.mark }, hop, steps)
            );
        return groups;
    }

    private hook(
        config: DeviceConfig,
        hook: FilterHook,
        packets: PacketSet,
        context: HookContext,
        hop: Hop,
        steps: DeviceStep[]
    ): readonly Marked[] {
        const evaluator = this.evaluator(config);
        if (packets.isEmpty()) return [];
        if (!evaluator.has(hook)) return [{ packets, ctMark: context.ctMark, mark: context.mark }];
        const result = evaluator.run(hook, packets, context);
        for (const dropped of result.dropped) {
            // The reason names the rule's line, which for a compiled rule takes laying the ruleset out: only when read.
            const reasonOf = () => this.dropReason(config, hook, dropped);
            let reason: string | undefined;
            steps.push({
                kind: 'end',
                hop,
                packets: dropped.packets,
                fate: {
                    kind: 'dropped',
                    device: config.hostname,
                    get reason() {
                        return (reason ??= reasonOf());
                    }
                }
            });
        }
        return result.accepted;
    }

    private dropReason(config: DeviceConfig, hook: FilterHook, dropped: Dropped): string {
        const device = config.hostname;
        if (!dropped.rule) return `dropped at ${device} by the policy of chain ${dropped.chain.name} (hook ${hook})`;
        const location = ruleLocation(config, dropped.rule);
        const where = location
            ? `${location.file.split(/[\\/]/).pop()} line ${location.range.start.line}`
            : `a rule of chain ${dropped.chain.name}`;
        return `dropped at ${device} by ${where}${dropped.rule.comment ? ` (${dropped.rule.comment})` : ''}`;
    }

    /**
     * The routing decision for packets the device forwards or sends: in each family, the family's
     * policy rules that take the packets' mark (`ip rule` for IPv4, `ip -6 rule` for IPv6: the
     * kernel keeps them apart), in the order of their priorities, each with its table (a table
     * without a route for a destination leaves it to the next rule), then the main table. The
     * destinations are cut into the address classes the routing tables tell apart; classes that
     * the same route decides travel on together.
     */
    private decide(config: DeviceConfig, mark: number, packets: PacketSet): readonly Decision[] {
        const device = config.hostname;
        // Made before (under other failures) on routes that are still the same: the very same decisions.
        const made = this.shared.decisionsMade(config, mark, packets);
        const lookup = (table: number | undefined, address: Bound): AnyRoute | undefined => {
            const routing = (typeof address === 'bigint' ? this.routing6 : this.routing) as RoutingState<Bound>;
            return (
                table === undefined ? routing.lookup(device, address) : routing.tableLookup(device, table, address)
            ) as AnyRoute | undefined;
        };
        const still = made.find(m => m.lookups.every(l => sameRoute(lookup(l.table, l.address), l.route)));
        if (still) return still.decisions;
        const decisions: Decision[] = [];
        const lookups: RecordedDecision['lookups'] = [];
        const recording =
            (table?: number) =>
            <A extends Bound>(address: A): Route<A> | undefined => {
                const route = lookup(table, address);
                lookups.push({ table, address, route });
                return route as Route<A> | undefined;
            };
        /** Through the family's policy rules that take the mark, then the main table. */
        const routeFamily = <A extends Bound>(
            family: Family,
            ipRules: readonly IpRule[],
            remaining: PacketSet,
            cuts: readonly A[]
        ) => {
            const rules =
                mark === 0 ? [] : ipRules.filter(r => r.fwmark === mark).sort((a, b) => a.priority - b.priority);
            for (const rule of rules) {
                if (remaining.isEmpty()) break;
                remaining = this.route(device, remaining, family, cuts, recording(rule.table), decisions, rule.table);
            }
            if (!remaining.isEmpty()) this.route(device, remaining, family, cuts, recording(), decisions);
        };
        const ipv4 = packets.family(4);
        routeFamily(4, config.ipRules, ipv4, this.shared.cuts);
        let ipv6 = ipv4 === packets ? PacketSet.EMPTY : packets.family(6);
        // What the input hook took (see stepsWith) never comes here: a link-local source is left.
        const scoped = ipv6.isEmpty() ? PacketSet.EMPTY : ipv6.intersect(NOT_FORWARDED_PACKETS6);
        if (!scoped.isEmpty()) {
            decisions.push({
                kind: 'dropped',
                packets: scoped,
                reason: `dropped at ${device}: a router does not forward ${describePacket(scoped.witness()!)} (a link-local source, or the unspecified or loopback address)`
            });
            ipv6 = ipv6.subtract(scoped);
        }
        if (!ipv6.isEmpty()) routeFamily(6, config.ipRules6, ipv6, this.shared.cuts6);
        const byInterface = this.shared.byInterface(packets, decisions);
        made.unshift({ decisions: byInterface, lookups });
        if (made.length > MAX_RECORDS_KEPT) made.pop();
        return byInterface;
    }

    /**
     * Decides the packets of one family that `lookup` has a route for; returns those it has none
     * for (`table` given) or drops them (the main table).
     */
    private route<A extends Bound>(
        device: string,
        packets: PacketSet,
        family: Family,
        cuts: readonly A[],
        lookup: (address: A) => Route<A> | undefined,
        decisions: Decision[],
        table?: number
    ): PacketSet {
        const byRoute = new Map<Route<A> | 'none', Array<Interval<A>>>();
        const cubes = (family === 4 ? packets.cubes : packets.cubes6) as unknown as ReadonlyArray<{
            dst: IntervalSet<A>;
        }>;
        for (const cube of cubes) {
            for (const [lo, hi] of cube.dst.intervals) {
                for (const range of addressClasses(cuts, lo, hi)) {
                    const decision = lookup(range[0]) ?? 'none';
                    const ranges = byRoute.get(decision) ?? [];
                    ranges.push(range);
                    byRoute.set(decision, ranges);
                }
            }
        }
        let unrouted = PacketSet.EMPTY;
        for (const [route, ranges] of byRoute) {
            const part = byRoute.size === 1 ? packets : this.shared.toDestinations(packets, family, ranges);
            if (route === 'none') {
                if (table !== undefined) unrouted = part;
                else
                    decisions.push({
                        kind: 'dropped',
                        packets: part,
                        reason: `dropped at ${device}: no route to ${part.witness()!.dst}`
                    });
            } else if (route.blackhole) {
                decisions.push({ kind: 'dropped', packets: part, reason: this.blackholeReason(device, route, table) });
            } else {
                const policyTable6 = family === 6 && table !== undefined ? { policyTable6: true as const } : {};
                for (const nextHop of route.nextHops)
                    decisions.push({ kind: 'next', interface: nextHop.interface, packets: part, ...policyTable6 });
            }
        }
        return unrouted;
    }

    /**
     * Why a blackhole drops: in a steering table, the waypoint it steers to cannot be reached (the
     * table's other routes name it); elsewhere, the route itself.
     */
    private blackholeReason<A extends Bound>(device: string, route: Route<A>, table: number | undefined): string {
        const family = (typeof route.prefix.network === 'bigint' ? this.routing6 : this.routing)
            .family as unknown as RoutingFamily<A>;
        if (table === undefined)
            return `dropped at ${device}: a blackhole route for ${family.addresses.format(route.prefix)}`;
        const config = this.network.configs.get(device)!;
        const targets = family
            .staticRoutes(config)
            .filter(r => r.table === table && r.nextHop !== 'blackhole')
            .map(r => r.nextHop as A);
        const owners = (address: A) => this.shared.ownersOf(this.network.configs, address);
        const named = (address: A) =>
            `${owners(address).join(' or ') || 'nobody'} (${family.addresses.formatAddress(address)})`;
        const because = `the steering table ${table} holds only its blackhole`;
        // Next hops on the device's own subnets pin a path; others are waypoints reached by the IGP.
        const onLink = (address: A) =>
            config.interfaces.some(i => {
                const port = this.network.port(device, i.name);
                return (
                    port !== undefined &&
                    family.addressed(port) &&
                    family.addresses.contains(family.subnets(port)[0], address)
                );
            });
        if (targets.length > 0 && targets.every(onLink))
            return `dropped at ${device}: the next hop of its pinned path, ${targets.map(named).join(', ')}, cannot be reached (${because})`;
        return `dropped at ${device}: no path through ${[...new Set(targets.flatMap(owners))].sort().join(' or ') || targets.map(a => family.addresses.formatAddress(a)).join(', ')} (${because})`;
    }

    /** Hands packets out of an interface: to a device across a link, a segment or an external. */
    private send(device: string, out: string, packets: PacketSet, leaving: Hop, record: RecordedSteps): DeviceStep {
        const port = this.network.port(device, out)!;
        const hop: Hop = { ...leaving, link: port.peer?.link };
        const place = this.attachments.get(`${device}:${out}`);
        if (place) return { kind: 'end', hop, packets, fate: { kind: 'delivered', place } };
        const up = this.network.isUp(device, out, this.routing.failures);
        record.sends.push({ interface: out, up });
        if (!port.peer || !up) {
            return {
                kind: 'end',
                hop,
                packets,
                fate: { kind: 'dropped', device, reason: `dropped at ${device}: ${out} leads nowhere` }
            };
        }
        return { kind: 'across', hop, peer: port.peer, packets };
    }

    private ownAddresses(config: DeviceConfig): Addresses {
        return this.shared.ownAddresses(config);
    }

    private evaluator(config: DeviceConfig): FilterEvaluator {
        return this.shared.evaluator(config);
    }

    private placeOfDevice(device: string): Place {
        const place = this.shared.devicePlaces.get(device);
        return (
            place ?? {
                device,
                space: this.ownAddresses(this.network.configs.get(device)!).v4,
                hosts: IntervalSet.EMPTY,
                hosts6: IntervalSet.EMPTY6,
                local: IntervalSet.EMPTY,
                space6: this.ownAddresses(this.network.configs.get(device)!).v6,
                local6: IntervalSet.EMPTY6,
                name: `device ${device}`,
                kind: 'device'
            }
        );
    }
}

/** [lo, hi] cut at every route boundary and at every interface address (delivered locally). */
export function addressClasses<A extends Bound>(cuts: readonly A[], lo: A, hi: A): Array<Interval<A>> {
    // The first cut above lo, by binary search.
    let low = 0;
    let high = cuts.length;
    while (low < high) {
        const mid = (low + high) >> 1;
        if (cuts[mid] <= lo) low = mid + 1;
        else high = mid;
    }
    const out: Array<Interval<A>> = [];
    let start = lo;
    for (let i = low; i < cuts.length && cuts[i] <= hi; i++) {
        out.push([start, before(cuts[i])]);
        start = cuts[i];
    }
    out.push([start, hi]);
    return out;
}

/** The address before `address` (a cut is the first address of its class). */
function before<A extends Bound>(address: A): A {
    return (typeof address === 'bigint' ? address - 1n : (address as number) - 1) as A;
}

/** "r2: netintent does not model 'limit rate 10/second' (nftables.nft line 12)". */
export function describeUnmodelled(device: string, unmodelled: Unmodelled): string {
    return `${device}: netintent does not model '${unmodelled.text}' (${unmodelled.location.file.split(/[\\/]/).pop()} line ${unmodelled.location.range.start.line})`;
}

/** Whether a device does the same with packets under two contexts (same parts, same hops, same ends). */
function sameSteps(a: readonly DeviceStep[], b: readonly DeviceStep[]): boolean {
    return (
        a.length === b.length &&
        a.every((step, i) => {
            const other = b[i];
            if (
                step.kind !== other.kind ||
                step.hop.out !== other.hop.out ||
                step.hop.ctMark !== other.hop.ctMark ||
                !step.packets.equals(other.packets)
            )
                return false;
            if (step.kind === 'across' || other.kind === 'across') return true;
            return JSON.stringify(fateKey(step.fate)) === JSON.stringify(fateKey(other.fate));
        })
    );
}

function fateKey(fate: Fate): unknown {
    return fate.kind === 'delivered' ? [fate.kind, fate.place.name] : fate;
}
