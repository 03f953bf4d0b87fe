/**
 * Proves each requirement on the simulated network, or finds a counterexample: a concrete
 * packet, the failures it needs, the path it takes (device and interfaces per hop) and why it
 * fails there. Failure tolerance (`survive K`) is checked exactly over every failure set of up to
 * K elements that could matter: only links, external uplinks and devices on the paths the flow
 * uses, there and back for its replies, recursively (a failure off every path of a flow changes
 * none of its shortest paths).
 *
 * The threat model is an edge: at a segment's or external's attachment, a host may send any
 * packet, from any source address. An allow must hold for its true sources (the hosts of the
 * places it names); a deny, an isolate and `default deny` must hold against every packet any edge
 * can send, forged sources included. Traffic that stays within one segment (or one external)
 * never meets a router: an allow of it holds unless it must pass a waypoint, a deny of it cannot
 * be enforced. Where a device's configuration holds what the verifier does not model, what
 * crosses that device is not known, and a requirement that depends on it is `unknown`, never
 * `holds`.
 */
import { contentKey } from '../common/content-key.js';
import type { DeviceConfig } from '../config/model.js';
import { constrainsPath, type PathConstraints, type Requirement } from '../intent/model.js';
import { compareBounds, IntervalSet, type Bound, type Interval } from '../net/interval-set.js';
import { PacketSet, type Packet } from '../net/packet-set.js';
import {
    addressesIntersect,
    inFamily,
    intersectAddresses,
    IPV6,
    subtractAddresses,
    unionAddresses,
    type Addresses
} from '../net/family.js';
import { IPV4_ROUTING, IPV6_ROUTING, type PrefixOf, type RoutingFamily } from '../simulate/routing-family.js';
import {
    describeFailures,
    failureKey,
    NO_FAILURES,
    scenarioFailures,
    SimNetwork,
    type Failures
} from '../simulate/network.js';
import { lastAddress, type Prefix } from '../net/ipv4.js';
import { NOT_FORWARDED6 } from '../net/ipv6.js';
import { FlowNetwork } from '../net/min-cut.js';
import { PrefixUniverse, RoutingState, type MovedRoutes } from '../simulate/routing.js';
import { findLink, interfaceName, linkIndices, type Twin } from '../twin/model.js';
import { AddressIndex, hostsOf, PlaceIndex, placesOf, spaceOf, type Place } from '../twin/places.js';
import { describeWaypoint, missedWaypoint } from '../intent/waypoints.js';
import { ruleSet, type HookContext } from './filter.js';
import {
    addressClasses,
    DataPlane,
    DataPlaneShared,
    describeUnmodelled,
    type ForwardingGraph,
    type Hop,
    type Terminal
} from './dataplane.js';
import { connectionAlong, connectionPasses, marksConnections, PathAnalysis, type PathLimits } from './graph-paths.js';
import { formatMicroseconds } from '../common/units.js';
import type { SteeringSummary } from '../compile/steering.js';

export interface Counterexample {
    packet: Packet;
    /** Where the packet is sent from ("segment guest"); `forged` when its source is not that place's. */
    origin: string;
    forged: boolean;
    failures: string[];
    /** The same failures, as the simulator takes them (the lab applies them). */
    failed: Failures;
    /** The devices of the failing path. */
    path: string[];
    /** Every failing ECMP branch (device paths), the one above first. */
    branches: string[][];
    /** The failing path hop by hop, with interfaces. */
    hops: Hop[];
    reason: string;
}

export interface ForwardingProblem {
    kind: 'loop' | 'blackhole';
    device: string;
    destination: string;
    /** From where the traffic entered to the device where it loops or has no route. */
    path: string[];
}

/** Where routes may have moved after link costs changed, per family. */
export interface MovedRoutesOfBoth {
    v4: MovedRoutes[];
    v6: MovedRoutes<bigint>[];
}

export interface RequirementVerdict {
    verdict: 'holds' | 'violated' | 'unknown';
    /** Why the verdict is unknown: what the verifier does not model, and where it is written. */
    unknown?: string;
    /** Every device the requirement's traffic reached, in every scenario examined. */
    devices: ReadonlySet<string>;
    counterexample?: Counterexample;
    /** Distinct forwarding paths the requirement's traffic takes without failures. */
    paths: number;
    /** Those paths as device lists (for drawing them). */
    pathDevices: string[][];
    /** Failure scenarios examined (survive and during). */
    scenarios: number;
    /** How `survive K` was decided: by a minimum cut of the network, or by simulating failure sets. */
    survivedBy?: 'minimum cut' | 'failure sets';
    /** What `check --explain` shows; only from a verifier made with `explain`. */
    explanation?: Explanation;
}

/** How a verdict was reached, in the terms of the twin. */
export interface Explanation {
    /** The listed paths of the requirement's traffic without failures, hop by hop, in a stable order. */
    paths: Hop[][];
    /** The failure sets examined, in the order they were (`scenarios` counts them all), as the counterexample names failures; the first MAX_LISTED_FAILURE_SETS. */
    failureSets: string[][];
    /** The compiled steering of a requirement with path constraints (added by the check, which compiled it). */
    steering?: SteeringSummary;
}

export interface VerifierOptions {
    /** Also record each verdict's explanation (paths hop by hop, failure sets examined). */
    explain?: boolean;
}

/** The simulated network under one set of failures. */
interface Context {
    failures: Failures;
    routing: RoutingState;
    routing6: RoutingState<bigint>;
    dataplane: DataPlane;
}

/**
 * Failure sets kept simulated at once, besides the intact network: the most recent, which the
 * next requirements over the same links meet again. More only holds memory (256 held 100 MB more
 * at 1,000 devices, and saved no time).
 */
const MAX_CONTEXTS = 32;

/** A place that sends some of a requirement's packets: those that stay within it, and those that cross the network. */
interface Sender {
    place: Place;
    staying: PacketSet;
    crossing: PacketSet;
}

/** What one check found: a violation, or the elements the traffic passed (for failure enumeration). */
interface Finding {
    violation?: { path: Hop[]; packets: PacketSet; reason: string; origin: Place; forged: boolean };
    /** Every failing branch of the trace that found the violation (the first is the violation's). */
    failingPaths: string[][];
    /** Why some of the traffic's fate is not known (a device whose configuration is not modelled). */
    unknown?: string;
    links: Set<number>;
    /** External uplinks the traffic crossed ("device:interface"): failure elements of `survive K link`. */
    uplinks: Set<string>;
    devices: Set<string>;
    /** Distinct paths, listed while they are few ... */
    paths: Set<string>;
    /** ... and counted past that. */
    uncountedPaths: number;
    /** Each sender's packets that cross the network, and where they went. */
    traces: Array<{ place: Place; crossing: PacketSet; graph: ForwardingGraph }>;
    /** Some IPv6 packets (or replies) left a device by a route of an IPv6 policy table (see IPV6_STEERING_AFTER_FAILURES). */
    policyTable6: boolean;
}

/** Paths of a trace listed one by one (for drawing them); past this they are only counted. */
const MAX_LISTED_PATHS = 64;
/** Failure sets listed in an explanation; past this they are only counted. */
const MAX_LISTED_FAILURE_SETS = 100;
/** Forward paths tried one by one where the replies' fate depends on the path their connection took. */
const MAX_REPLY_PATHS = 64;
/** A problem found on a path: the packets it concerns, why, and the path. */
interface Problem {
    packets: PacketSet;
    text: string;
    path: Hop[];
}

/** The contexts a flow's packets and replies may meet a device in, for cutDecides (the interface added). */
const CUT_CONTEXTS = {
    FORWARD: { state: 'new', ctMark: 0, mark: 0, reply: false },
    REPLY_ESTABLISHED: { state: 'established', ctMark: 0, mark: 0, reply: true },
    REPLY_NEW: { state: 'new', ctMark: 0, mark: 0, reply: true }
} as const satisfies Record<string, HookContext>;

/** What deciding `survive K` by a cut needs to know of every device (see cutDecides). */
interface CutBasis {
    /** Some filter tests the outgoing interface: what it does depends on the path. */
    testsOif: boolean;
    /** Every address a static route of a main table (not a default route) covers. */
    staticRoutes: Addresses;
    /** Each interface's subnet (`device:interface`), found by address. */
    subnets: AddressIndex<{ at: string; range: Addresses }>;
    /**
     * Per context (as JSON, without the interface): what some device may alter arriving from some
     * OSPF interface, and the devices and interfaces where one may alter any packet.
     */
    mayAlter: Map<string, { anywhere: PacketSet; entries: Array<{ device: string; interface: string }> }>;
}

/** Enough for any real network; past it a survive check reports what it saw so far. */
const MAX_FAILURE_SETS = 20_000;

export class NetworkVerifier {
    /** The network as configured: replaced where only OSPF costs change (replaceRouting). */
    network: SimNetwork;
    private readonly universe: PrefixUniverse;
    private readonly universe6: PrefixUniverse<bigint>;
    private readonly places: Place[];
    private readonly contexts = new Map<string, Context>();

    /** The places with an attachment: where any packet at all may enter. */
    private readonly edges: Place[];
    /** Every address a host at an edge may have. */
    private readonly edgeHosts: Addresses;
    /** Every address some place holds. */
    private readonly placed: Addresses;
    /** What `hostsOf` and `placesNamedBy` found, by the endpoint asked about. */
    private readonly hostSets = new WeakMap<Addresses, Addresses>();
    private readonly namedPlaces = new WeakMap<Addresses, Place[]>();
    /** The endpoints' addresses of both families, the same object each time (the memos above are by it). */
    private readonly endpointAddresses = new WeakMap<Requirement['flows'][number]['source'], Addresses>();
    /** Every place's address intervals, by where they start, with the furthest end up to each. */
    private readonly placeIndex: PlaceIndex;
    /** What each place sends of a requirement (by its effective packets, then flow). */
    private readonly senderCache = new WeakMap<PacketSet, Map<object, Sender[]>>();
    /** Every interface address of every router, secondaries too: delivered to it, not forwarded. */
    private readonly routerAddresses: Addresses;
    /** What every failure set's data plane shares. */
    private readonly shared: DataPlaneShared;
    /** Per edge, the sources its prerouting hook lets in (by the configuration they come from). */
    private readonly admitted = new WeakMap<DeviceConfig, Map<string, Addresses>>();
    /** The IPv6 packets to prefixes several routers announce into OSPFv3, and those of connections to or from them (see IPV6_STALE_ROUTES). */
    private readonly sharedRouted6: { packets: PacketSet; connections: PacketSet };
    private cutBasis?: CutBasis;
    private routingUnmodelledIn?: { configs: ReadonlyMap<string, DeviceConfig>; reason: string | undefined };
    private readonly flowNetworks = new WeakMap<object, { link?: FlowNetwork; node?: FlowNetwork }>();
    /** Whether OSPFv3's adjacencies are OSPFv2's (sameLinks), by the two routing states' adjacency maps (each made once). */
    private readonly sameAdjacencyMemo = new WeakMap<object, { v6: object; same: boolean }>();

    constructor(
        public twin: Twin,
        configs: ReadonlyMap<string, DeviceConfig>,
        private readonly options: VerifierOptions = {}
    ) {
        this.network = new SimNetwork(twin, configs);
        this.universe = new PrefixUniverse(configs.values());
        this.universe6 = new PrefixUniverse(configs.values(), IPV6_ROUTING);
        const interfaces = [...configs.values()].flatMap(c => c.interfaces);
        const routers: Addresses = {
            v4: IntervalSet.fromIntervals(
                interfaces.flatMap(i => (i.address ? [[i.address.address, i.address.address] as const] : []))
            ),
            v6: IntervalSet.fromIntervals(
                interfaces.flatMap(i => (i.address6 ? [[i.address6.address, i.address6.address] as const] : []))
            )
        };
        this.places = placesOf(twin, routers);
        this.edges = this.places.filter(p => p.interface !== undefined);
        this.placed = {
            v4: IntervalSet.fromIntervals(this.places.flatMap(p => p.space.intervals)),
            v6: IntervalSet.fromIntervals(this.places.flatMap(p => p.space6.intervals))
        };
        this.placeIndex = new PlaceIndex(this.places);
        this.edgeHosts = {
            v4: IntervalSet.fromIntervals(this.edges.flatMap(p => p.hosts.intervals)),
            v6: IntervalSet.fromIntervals(this.edges.flatMap(p => p.hosts6.intervals))
        };
        this.routerAddresses = {
            v4: IntervalSet.fromIntervals([...this.network.addressOwner.keys()].map(a => [a, a] as const)),
            v6: routers.v6
        };
        const cuts = new Set(this.universe.boundaries());
        for (const owned of this.network.addressOwner.keys()) {
            cuts.add(owned);
            cuts.add(owned + 1);
        }
        const cuts6 = new Set(this.universe6.boundaries());
        for (const { address6 } of interfaces) {
            if (!address6) continue;
            cuts6.add(address6.address);
            cuts6.add(address6.address + 1n);
        }
        this.shared = new DataPlaneShared(
            this.places,
            [...cuts].sort((a, b) => a - b),
            [...cuts6].sort(compareBounds)
        );
        this.sharedRouted6 = sharedPrefixPackets6(this.context().routing6);
    }

    /**
     * The simulated network under these failures, memoised: routes are computed once per set,
     * and a failure set reuses every shortest-path tree of the intact network it does not touch.
     */
    context(failures: Failures = NO_FAILURES): Context {
        const k = failureKey(failures);
        let context = this.contexts.get(k);
        if (!context) {
            const base = k === failureKey(NO_FAILURES) ? undefined : this.context();
            const routing = new RoutingState(this.network, failures, this.universe, base?.routing);
            const routing6 = new RoutingState(this.network, failures, this.universe6, base?.routing6, IPV6_ROUTING);
            routing6.shareDistancesWith(routing);
            context = this.simulated(routing, routing6);
            // Keep the intact network and the most recent failure sets.
            if (this.contexts.size > MAX_CONTEXTS) this.contexts.delete([...this.contexts.keys()][1]);
            this.contexts.set(k, context);
        }
        return context;
    }

    private simulated(routing: RoutingState, routing6: RoutingState<bigint>): Context {
        return {
            failures: routing.failures,
            routing,
            routing6,
            dataplane: new DataPlane(this.network, routing, routing6, this.shared)
        };
    }

    verify(requirement: Requirement, defaultEffective?: PacketSet): RequirementVerdict {
        const routingUnknown = this.routingUnmodelled();
        if (routingUnknown)
            return {
                verdict: 'unknown',
                unknown: routingUnknown,
                devices: new Set(),
                paths: 0,
                pathDevices: [],
                scenarios: 0
            };
        const effective =
            requirement.kind === 'default' ? (defaultEffective ?? requirement.effective) : requirement.effective;
        // What FRR's OSPFv3 is known to route otherwise than OSPF's SPF says is not proved: where a
        // requirement has such packets, what holds for the others is not enough to hold.
        const unproved = requirement.stateful ? this.sharedRouted6.connections : this.sharedRouted6.packets;
        const verifiable = effective.intersects(unproved) ? effective.subtract(unproved) : effective;
        try {
            const verdict = this.decide(requirement, verifiable, this.options.explain ? [] : undefined);
            if (verifiable === effective || verdict.verdict !== 'holds') return verdict;
            return { ...verdict, verdict: 'unknown', unknown: IPV6_STALE_ROUTES };
        } finally {
            // Its senders' packets were shared by all its failure sets; let them (and what filters
            // memoised of them, hop by hop) go, rather than keep every requirement's traces.
            this.senderCache.delete(verifiable);
        }
    }

    /** `tried`: where to record the failure sets examined (for an explanation), if anywhere. */
    private decide(requirement: Requirement, effective: PacketSet, tried?: Failures[]): RequirementVerdict {
        const baseline = this.check(requirement, effective, this.context());
        let scenarios = 0;
        let unknown = baseline.unknown;
        const devices = new Set(baseline.devices);
        const examined = (failures: Failures) => {
            scenarios++;
            if (tried && tried.length < MAX_LISTED_FAILURE_SETS) tried.push(failures);
        };
        const explained = (verdict: RequirementVerdict): RequirementVerdict =>
            tried
                ? {
                      ...verdict,
                      explanation: {
                          paths: hopPaths(baseline),
                          failureSets: tried.map(failures => describeFailures(this.twin, failures))
                      }
                  }
                : verdict;
        const result = (finding: Finding, failures: Failures): RequirementVerdict =>
            explained({
                verdict: 'violated',
                devices: union(devices, finding.devices),
                counterexample: this.counterexample(finding, failures),
                paths: baseline.paths.size + baseline.uncountedPaths,
                pathDevices: pathDevices(baseline),
                scenarios
            });
        if (baseline.violation) return result(baseline, NO_FAILURES);
        for (const scenario of requirement.scenarios) {
            const failures = scenarioFailures(this.twin, scenario);
            examined(failures);
            const finding = this.check(requirement, effective, this.context(failures));
            if (finding.violation) return result(finding, failures);
            unknown ??= unprovedUnderFailures(finding);
            finding.devices.forEach(d => devices.add(d));
        }
        const survive = requirement.constraints.survive;
        if (survive && requirement.kind === 'allow' && !unknown) {
            // Where connectivity decides, a minimum cut does: no cut within K, it holds; a cut, it is the counterexample.
            const cut = this.cutDecides(requirement, baseline, survive);
            if (cut === 'holds')
                return explained({
                    verdict: 'holds',
                    devices,
                    paths: baseline.paths.size + baseline.uncountedPaths,
                    pathDevices: pathDevices(baseline),
                    scenarios,
                    survivedBy: 'minimum cut'
                });
            if (cut) {
                examined(cut);
                const found = this.check(requirement, effective, this.context(cut));
                if (found.violation) return { ...result(found, cut), survivedBy: 'minimum cut' };
            }
        }
        if (survive && requirement.kind === 'allow') {
            const seen = new Set<string>([failureKey(NO_FAILURES)]);
            const attachments = new Set(this.sourceAndDestinationDevices(requirement));
            const explore = (finding: Finding, failures: Failures, depth: number): RequirementVerdict | undefined => {
                if (depth === survive.count) return undefined;
                const elements: Array<Failures> =
                    survive.kind === 'link'
                        ? [
                              ...[...finding.links]
                                  .filter(l => !failures.links.has(l))
                                  .sort((a, b) => a - b)
                                  .map(l => ({ ...failures, links: new Set([...failures.links, l]) })),
                              ...[...finding.uplinks]
                                  .filter(u => !failures.interfaces.has(u))
                                  .sort()
                                  .map(u => ({ ...failures, interfaces: new Set([...failures.interfaces, u]) }))
                          ]
                        : [...finding.devices]
                              .filter(d => !attachments.has(d) && !failures.devices.has(d))
                              .sort()
                              .map(d => ({ ...failures, devices: new Set([...failures.devices, d]) }));
                for (const next of elements) {
                    const k = failureKey(next);
                    if (seen.has(k) || seen.size > MAX_FAILURE_SETS) continue;
                    seen.add(k);
                    examined(next);
                    const found = this.check(requirement, effective, this.context(next));
                    if (found.violation) return result(found, next);
                    unknown ??= unprovedUnderFailures(found);
                    found.devices.forEach(d => devices.add(d));
                    const deeper = explore(found, next, depth + 1);
                    if (deeper) return deeper;
                }
                return undefined;
            };
            const violated = explore(baseline, NO_FAILURES, 0);
            if (violated) return { ...violated, survivedBy: 'failure sets' };
        }
        const verdict = unknown ? 'unknown' : 'holds';
        return explained({
            verdict,
            ...(unknown ? { unknown } : {}),
            devices,
            paths: baseline.paths.size + baseline.uncountedPaths,
            pathDevices: pathDevices(baseline),
            scenarios,
            ...(survive && requirement.kind === 'allow' ? { survivedBy: 'failure sets' as const } : {})
        });
    }

    /**
     * `survive K` decided by a minimum cut (as ARC does), where reachability is all that can
     * change under failures: an allow without path constraints between segments, over OSPF alone
     * (no BGP; no static route or other interface for the addresses it concerns, but defaults
     * less specific than the segments), through devices whose filters pass its packets (and its
     * replies, new or established) from every OSPF interface untouched and unmarked, and whose
     * filters do not test the outgoing interface. Then OSPF delivers whenever the two edges stay
     * connected, and only then: it holds iff no K links (devices) separate them. Returns
     * 'holds', the failures of a smallest cut, or undefined where the conditions do not hold.
     */
    private cutDecides(
        requirement: Requirement,
        baseline: Finding,
        survive: { count: number; kind: 'link' | 'node' }
    ): 'holds' | Failures | undefined {
        if (constrainsPath(requirement.constraints)) return undefined;
        const configs = this.network.configs;
        if ([...configs.values()].some(config => config.bgp)) return undefined;
        const context = this.context();
        // Per pair of edges (source segment, destination segment): the packets between them, as they arrive.
        const pairs = new Map<string, { from: Place; to: Place; packets: PacketSet }>();
        // The traces of the check without failures (every sender's: it found no violation).
        for (const { place, crossing, graph } of baseline.traces) {
            // Marked where they enter, the packets would be steered by a policy table.
            if (
                place.kind !== 'segment' ||
                !this.shared.leavesUnmarked(
                    this.network.configs.get(place.device)!,
                    { ...CUT_CONTEXTS.FORWARD, iif: place.interface },
                    crossing
                )
            )
                return undefined;
            // No connection marks: the replies' contexts below are then exact.
            if (marksConnections(graph)) return undefined;
            for (const terminal of graph.terminals) {
                const fate = terminal.fate;
                if (fate.kind !== 'delivered' || fate.place.kind !== 'segment') return undefined;
                const k = `${place.name}\n${fate.place.name}`;
                const pair = pairs.get(k);
                pairs.set(k, {
                    from: place,
                    to: fate.place,
                    packets: pair ? pair.packets.union(terminal.packets) : terminal.packets
                });
            }
        }
        const adjacencies = context.routing.ospfAdjacencies();
        // IPv6 packets go by OSPFv3: it must be adjacent over the very links OSPFv2 is.
        const ipv6 = [...pairs.values()].some(pair => pair.packets.cubes6.length > 0);
        if (ipv6 && !this.sameAdjacencies(adjacencies, context.routing6.ospfAdjacencies())) return undefined;
        const failures: Failures = { ...NO_FAILURES, links: new Set(), devices: new Set() };
        for (const { from, to, packets } of pairs.values()) {
            if (!this.connectivityDecides(from, to, packets, requirement.stateful, adjacencies)) return undefined;
            if (from.device === to.device) continue;
            const cut =
                survive.kind === 'link'
                    ? this.flowNetwork(adjacencies, 'link').minimumCut(from.device, to.device, survive.count)
                    : this.flowNetwork(adjacencies, 'node').minimumCut(
                          `${from.device}<`,
                          `${to.device}>`,
                          survive.count
                      );
            if (!cut.separable) continue;
            return survive.kind === 'link'
                ? { ...failures, links: new Set(cut.cut.map(Number)) }
                : { ...failures, devices: new Set(cut.cut) };
        }
        return 'holds';
    }

    private sameAdjacencies(
        v4: ReadonlyMap<string, ReadonlyArray<{ to: string; link: number }>>,
        v6: ReadonlyMap<string, ReadonlyArray<{ to: string; link: number }>>
    ): boolean {
        const known = this.sameAdjacencyMemo.get(v4);
        if (known?.v6 === v6) return known.same;
        const same = sameLinks(v4, v6);
        this.sameAdjacencyMemo.set(v4, { v6, same });
        return same;
    }

    /**
     * The OSPF adjacencies as a flow network, made once per routing state: for links, an arc per
     * adjacency whose element is its link; for devices, each device split in two (`d>` in, `d<`
     * out) by an arc whose element is the device. A cut from `a<` to `b>` never counts a or b:
     * the arcs of both endpoints lead into the source or out of the target.
     */
    private flowNetwork(
        adjacencies: ReadonlyMap<string, ReadonlyArray<{ to: string; link: number }>>,
        kind: 'link' | 'node'
    ): FlowNetwork {
        const networks = this.flowNetworks.get(adjacencies) ?? this.flowNetworks.set(adjacencies, {}).get(adjacencies)!;
        return (networks[kind] ??= new FlowNetwork(
            kind === 'link'
                ? [...adjacencies].flatMap(([device, edges]) =>
                      edges.map(e => ({ from: device, to: e.to, element: String(e.link) }))
                  )
                : [...adjacencies].flatMap(([device, edges]) => [
                      { from: `${device}>`, to: `${device}<`, element: device },
                      ...edges.map(e => ({ from: `${device}<`, to: `${e.to}>` }))
                  ])
        ));
    }

    /**
     * Whether only connectivity decides what happens to these packets between two segments'
     * edges under failures (see cutDecides): the conditions on routes and filters, checked.
     */
    private connectivityDecides(
        from: Place,
        to: Place,
        packets: PacketSet,
        stateful: boolean,
        adjacencies: ReadonlyMap<string, ReadonlyArray<{ interface: string }>>
    ): boolean {
        const basis = (this.cutBasis ??= this.buildCutBasis(adjacencies));
        if (basis.testsOif) return false;
        const addresses = addressedBy(packets, stateful);
        if (addressesIntersect(basis.staticRoutes, addresses)) return false;
        // The addresses are on the two segments only: no other interface has a subnet among them.
        const ends = new Set([`${from.device}:${from.interface}`, `${to.device}:${to.interface}`]);
        for (const subnet of basis.subnets.meeting(addresses)) if (!ends.has(subnet.at)) return false;
        const replies = stateful ? packets.replies() : PacketSet.EMPTY;
        const { FORWARD, REPLY_ESTABLISHED, REPLY_NEW } = CUT_CONTEXTS;
        // Only where a device may alter some packets from an interface is it run on them (see passesUntouched).
        const checks: Array<[HookContext, (device: string) => boolean, PacketSet]> = [
            [FORWARD, device => device !== from.device, packets],
            // The replies are established where the connection passed: at both edges, and maybe elsewhere.
            [REPLY_ESTABLISHED, device => stateful && device !== to.device, replies],
            [REPLY_NEW, device => stateful && device !== to.device && device !== from.device, replies]
        ];
        for (const [context, applies, set] of checks) {
            const { anywhere, entries } = basis.mayAlter.get(JSON.stringify(context))!;
            if (!anywhere.intersects(set)) continue;
            for (const entry of entries) {
                if (!applies(entry.device)) continue;
                if (
                    !this.shared.passesUntouched(
                        this.network.configs.get(entry.device)!,
                        { ...context, iif: entry.interface },
                        set
                    )
                )
                    return false;
            }
        }
        // Where the replies enter from the destination segment: no mark that would steer them.
        return (
            !stateful ||
            this.shared.leavesUnmarked(
                this.network.configs.get(to.device)!,
                { ...REPLY_ESTABLISHED, iif: to.interface },
                replies
            )
        );
    }

    /** What cutDecides asks of every device, gathered once per set of configurations. */
    private buildCutBasis(adjacencies: ReadonlyMap<string, ReadonlyArray<{ interface: string }>>): CutBasis {
        const configs = [...this.network.configs.values()];
        const range = (p: Prefix) => IntervalSet.of(p.network, lastAddress(p));
        const mayAlter: CutBasis['mayAlter'] = new Map();
        const matchKeys = new WeakMap<object, string>();
        for (const context of Object.values(CUT_CONTEXTS)) {
            const entries: Array<{ device: string; interface: string }> = [];
            // The same rule stands on many devices (steering toward a waypoint): each match counted once.
            const matches = new Map<string, PacketSet>();
            let all = false;
            for (const config of configs) {
                for (const edge of adjacencies.get(config.hostname) ?? []) {
                    const rules = this.shared
                        .evaluator(config)
                        .alteringRules(['prerouting', 'forward', 'postrouting'], { ...context, iif: edge.interface });
                    if (rules !== 'all' && rules.length === 0) continue;
                    entries.push({ device: config.hostname, interface: edge.interface });
                    if (rules === 'all') all = true;
                    else {
                        for (const rule of rules) {
                            const key = matchKeys.get(rule) ?? contentKey([rule.match, rule.icmpTypes]);
                            matchKeys.set(rule, key);
                            if (!matches.has(key)) matches.set(key, ruleSet(rule, context));
                        }
                    }
                }
            }
            const anywhere = all
                ? PacketSet.ALL
                : [...matches.values()].reduce((set, match) => set.union(match), PacketSet.EMPTY);
            mayAlter.set(JSON.stringify(context), { anywhere, entries });
        }
        return {
            testsOif: configs.some(
                c =>
                    this.shared.evaluator(c).dependsOnOif('forward') ||
                    this.shared.evaluator(c).dependsOnOif('postrouting')
            ),
            staticRoutes: {
                v4: IntervalSet.fromIntervals(
                    configs.flatMap(c =>
                        c.staticRoutes
                            .filter(r => r.table === undefined && r.prefix.length > 0)
                            .flatMap(r => range(r.prefix).intervals)
                    )
                ),
                v6: IntervalSet.fromIntervals(
                    configs.flatMap(c =>
                        c.staticRoutes6
                            .filter(r => r.table === undefined && r.prefix.length > 0)
                            .flatMap(r => IPV6.range(r.prefix).intervals)
                    )
                )
            },
            subnets: new AddressIndex(
                configs.flatMap(c =>
                    c.interfaces.flatMap(i => {
                        const port = this.network.port(c.hostname, i.name);
                        if (!port?.subnet && !port?.subnet6) return [];
                        const v4 = port.subnet ? range(port.subnet) : IntervalSet.EMPTY;
                        const v6 = port.subnet6 ? IPV6.range(port.subnet6) : IntervalSet.EMPTY6;
                        return [{ at: `${c.hostname}:${i.name}`, range: { v4, v6 } }];
                    })
                ),
                subnet => subnet.range
            ),
            mayAlter
        };
    }

    /** Why no routing computed here can be trusted, if a device's configuration has what may change routes and is not modelled. */
    private routingUnmodelled(): string | undefined {
        const configs = this.network.configs;
        // Asked per requirement, found once per set of configurations.
        if (this.routingUnmodelledIn?.configs !== configs) {
            let reason: string | undefined;
            for (const [device, config] of configs) {
                const found = config.unmodelled.find(u => u.scope === 'routing');
                if (found) {
                    reason = describeUnmodelled(device, found);
                    break;
                }
            }
            this.routingUnmodelledIn = { configs, reason };
        }
        return this.routingUnmodelledIn.reason;
    }

    /**
     * The same network with other OSPF costs (a link cost edited in the twin; filters and policy
     * routes may differ too): the intact network's shortest-path trees are carried over and
     * repaired (RoutingState.inheritTrees), failure sets are simulated afresh, and a routing
     * decision made before is taken again where the routes it rests on are the same. Returns where
     * routes may have moved; undefined where the configurations differ in more, and then this
     * verifier is left as it was (verify on a new one).
     */
    replaceRouting(twin: Twin, configs: ReadonlyMap<string, DeviceConfig>): MovedRoutesOfBoth | undefined {
        const prefixes = <A extends Bound>(universe: PrefixUniverse<A>) =>
            universe
                .all()
                .map(p => `${p.network}/${p.length}`)
                .sort()
                .join();
        if (prefixes(new PrefixUniverse(configs.values())) !== prefixes(this.universe)) return undefined;
        if (prefixes(new PrefixUniverse(configs.values(), IPV6_ROUTING)) !== prefixes(this.universe6)) return undefined;
        const network = new SimNetwork(twin, configs);
        const routing = new RoutingState(network, NO_FAILURES, this.universe);
        const v4 = routing.inheritTrees(this.context().routing);
        const routing6 = new RoutingState(network, NO_FAILURES, this.universe6, undefined, IPV6_ROUTING);
        const v6 = routing6.inheritTrees(this.context().routing6);
        if (!v4 || !v6) return undefined;
        this.twin = twin;
        this.network = network;
        this.contexts.clear();
        this.contexts.set(failureKey(NO_FAILURES), this.simulated(routing, routing6));
        this.cutBasis = undefined;
        return { v4, v6 };
    }

    /** The destinations of a family whose routes may rest on a router's shortest-path tree. */
    destinationsVia<A extends Bound>(router: string, family: RoutingFamily<A>): IntervalSet<A> {
        const { routing, routing6 } = this.context();
        const state = (family.version === 4 ? routing : routing6) as unknown as RoutingState<A>;
        return state.ospfDestinationsVia(router);
    }

    /**
     * The same network with other ACLs and policy routes (same interfaces and routing): the
     * routes computed so far are kept, the data planes start afresh.
     */
    replaceFilters(configs: ReadonlyMap<string, DeviceConfig>): void {
        this.network.replaceFilters(configs);
        this.cutBasis = undefined;
        for (const context of this.contexts.values())
            context.dataplane = new DataPlane(this.network, context.routing, context.routing6, this.shared);
    }

    /**
     * Routing loops and blackholes for the flows the intents speak of, in both families, without
     * failures and without filters: for each address class of their destinations, the devices
     * their sources enter at follow the next hops; a device met twice on the way is a loop, one
     * with no route a blackhole. Classes routed alike (the same containing prefixes) are walked
     * once. IPv4's problems come first; `limit` counts both families'.
     */
    forwardingProblems(
        flows: ReadonlyArray<{ source: Addresses; destination: Addresses }>,
        limit = 20
    ): ForwardingProblem[] {
        const { routing, routing6 } = this.context();
        const v4 = this.forwardingProblemsIn(
            { family: IPV4_ROUTING, routing, universe: this.universe, cuts: this.shared.cuts },
            flows.map(f => ({ source: inFamily(f.source, 4), destination: f.destination.v4 })),
            this.routerAddresses.v4,
            limit
        );
        const v6 = this.forwardingProblemsIn(
            { family: IPV6_ROUTING, routing: routing6, universe: this.universe6, cuts: this.shared.cuts6 },
            // A router forwards no packet to a link-local or multicast address, the unspecified or the loopback one.
            flows.map(f => ({ source: inFamily(f.source, 6), destination: f.destination.v6.subtract(NOT_FORWARDED6) })),
            this.routerAddresses.v6,
            limit - v4.length
        );
        return [...v4, ...v6];
    }

    /** forwardingProblems in one family: `own` is its routers' addresses, delivered to them, not forwarded. */
    private forwardingProblemsIn<A extends Bound>(
        routed: { family: RoutingFamily<A>; routing: RoutingState<A>; universe: PrefixUniverse<A>; cuts: readonly A[] },
        flows: ReadonlyArray<{ source: Addresses; destination: IntervalSet<A> }>,
        own: IntervalSet<A>,
        limit: number
    ): ForwardingProblem[] {
        const attachments = new Set(this.edges.map(p => `${p.device}:${p.interface}`));
        // Per address class (by the longest prefix containing it, which fixes all the others): where its traffic enters, and its extent.
        const classes = new Map<PrefixOf<A> | undefined, { entries: Set<string>; ranges: Array<Interval<A>> }>();
        for (const flow of flows) {
            const meeting = this.placeIndex.meeting(flow.source);
            const entries = this.edges.filter(p => meeting.has(p)).map(p => p.device);
            if (entries.length === 0) continue;
            for (const [lo, hi] of flow.destination.intervals) {
                for (const range of addressClasses(routed.cuts, lo, hi)) {
                    const longest = routed.universe.classContaining(routed.universe.classOf(range[0]))[0];
                    let entry = classes.get(longest);
                    if (!entry) classes.set(longest, (entry = { entries: new Set(), ranges: [] }));
                    entries.forEach(e => entry!.entries.add(e));
                    entry.ranges.push(range);
                }
            }
        }
        const problems: ForwardingProblem[] = [];
        for (const { entries, ranges } of classes.values()) {
            if (problems.length >= limit) break;
            const extent = IntervalSet.fromIntervals(ranges);
            // A router's own address is delivered to it: walk the class from another address.
            const forwarded = extent.subtract(own);
            if (forwarded.isEmpty()) continue;
            const found = this.walk(forwarded.first(), routed.routing, [...entries].sort(), attachments);
            if (!found) continue;
            const format = routed.family.addresses.formatRange;
            problems.push({ ...found, destination: extent.intervals.map(([lo, hi]) => format(lo, hi)).join(', ') });
        }
        return problems;
    }

    /**
     * Follows the next hops toward `address` from every entry device (each device once): the
     * first device met twice on a path (a loop) or without a route (a blackhole).
     */
    private walk<A extends Bound>(
        address: A,
        routing: RoutingState<A>,
        entries: string[],
        attachments: Set<string>
    ): Omit<ForwardingProblem, 'destination'> | undefined {
        // 1: on the current path, 2: done.
        const state = new Map<string, number>();
        const path: string[] = [];
        const visit = (device: string): Omit<ForwardingProblem, 'destination'> | undefined => {
            const seen = state.get(device);
            if (seen === 1) return { kind: 'loop', device, path: [...path, device] };
            if (seen === 2) return undefined;
            state.set(device, 1);
            path.push(device);
            const route = routing.lookup(device, address);
            if (!route) return { kind: 'blackhole', device, path: [...path] };
            for (const hop of route.nextHops) {
                if (attachments.has(`${device}:${hop.interface}`)) continue;
                const peer = this.network.port(device, hop.interface)?.peer;
                if (!peer) continue;
                const found = visit(peer.device);
                if (found) return found;
            }
            path.pop();
            state.set(device, 2);
            return undefined;
        };
        for (const device of entries) {
            const found = visit(device);
            if (found) return found;
        }
        return undefined;
    }

    /** Checks a requirement under one set of failures. */
    private check(requirement: Requirement, effective: PacketSet, context: Context): Finding {
        const finding: Finding = {
            links: new Set(),
            uplinks: new Set(),
            devices: new Set(),
            paths: new Set(),
            uncountedPaths: 0,
            policyTable6: false,
            failingPaths: [],
            traces: []
        };
        for (const flow of requirement.flows) {
            for (const { place, staying, crossing } of this.senders(requirement, effective, flow)) {
                // What stays within the place never meets a router.
                const stayProblem = staying.isEmpty() ? undefined : this.stayProblem(requirement, place);
                if (stayProblem) {
                    finding.violation = {
                        path: [],
                        packets: staying,
                        reason: stayProblem,
                        origin: place,
                        forged: false
                    };
                    return finding;
                }
                if (crossing.isEmpty()) continue;
                if (place.kind === 'external') finding.uplinks.add(`${place.device}:${place.interface}`);
                const graph = context.dataplane.trace(place.device, place.interface, crossing);
                finding.traces.push({ place, crossing, graph });
                this.note(finding, graph);
                const analysis =
                    requirement.kind === 'allow' ? this.pathAnalysis(graph, requirement.constraints) : undefined;
                for (const terminal of graph.terminals) {
                    if (terminal.fate.kind === 'unknown') {
                        finding.unknown ??= terminal.fate.reason;
                        continue;
                    }
                    const problem = analysis
                        ? this.allowProblem(requirement, graph, terminal, analysis, context, finding)
                        : this.denyProblem(graph, terminal);
                    if (!problem) continue;
                    // A packet from the place's own hosts, to a host, makes the plainer counterexample.
                    const honest = problem.packets.intersect(PacketSet.between(hostsOf(place), undefined));
                    const forged = honest.isEmpty();
                    const text = forged
                        ? `sent from ${place.name} with a forged source, it is ${problem.text}`
                        : problem.text;
                    const toEdgeHosts = PacketSet.between(undefined, this.edgeHosts);
                    const toHosts = problem.packets.intersects(toEdgeHosts);
                    if (!finding.violation || (toHosts && !finding.violation.packets.intersects(toEdgeHosts))) {
                        finding.violation = {
                            path: problem.path,
                            packets: forged ? problem.packets : honest,
                            reason: text,
                            origin: place,
                            forged
                        };
                        finding.failingPaths.unshift(problem.path.map(h => h.device));
                    } else {
                        finding.failingPaths.push(problem.path.map(h => h.device));
                    }
                }
                // The other failing branches of the same trace are reported with it.
                if (finding.violation) return finding;
            }
        }
        return finding;
    }

    /**
     * Who sends a requirement's packets, and which: `staying` within the place, `crossing` the
     * network. An allow: its true sources, the hosts of each place its source names (a device only
     * where it is named whole). A deny or isolate: every edge, with any source the requirement
     * names (forged or not), and the devices it names. `default deny`: every edge, with every
     * packet no allow from that edge's hosts takes. The same under every failure: computed once.
     */
    private senders(requirement: Requirement, effective: PacketSet, flow: Requirement['flows'][number]): Sender[] {
        let byFlow = this.senderCache.get(effective);
        if (!byFlow) this.senderCache.set(effective, (byFlow = new Map()));
        let senders = byFlow.get(flow);
        if (!senders) {
            senders = this.findSenders(
                requirement,
                effective,
                this.addressesOf(flow.source),
                this.addressesOf(flow.destination)
            ).flatMap(({ place, packets }) => {
                if (packets.isEmpty()) return [];
                const local = { v4: place.local, v6: place.local6 };
                const staying =
                    place.kind === 'device'
                        ? PacketSet.EMPTY
                        : packets.intersect(PacketSet.between(hostsOf(place), local));
                return [{ place, staying, crossing: packets.subtract(PacketSet.between(undefined, local)) }];
            });
            byFlow.set(flow, senders);
        }
        return senders;
    }

    private findSenders(
        requirement: Requirement,
        effective: PacketSet,
        sources: Addresses,
        destinations: Addresses
    ): Array<{ place: Place; packets: PacketSet }> {
        const out: Array<{ place: Place; packets: PacketSet }> = [];
        const toward = PacketSet.between(undefined, destinations);
        if (requirement.kind === 'default') {
            for (const edge of this.edges) {
                const own = PacketSet.between(hostsOf(edge), undefined);
                const forged = PacketSet.ALL.subtract(own);
                out.push({
                    place: edge,
                    packets: effective.intersect(own).union(requirement.packets.intersect(forged)).intersect(toward)
                });
            }
            return out;
        }
        const named = this.placesNamedBy(sources);
        if (requirement.kind === 'allow') {
            const allowed = PacketSet.between(undefined, this.hostsOf(destinations));
            return named.map(place => ({
                place,
                packets: effective
                    .intersect(allowed)
                    .intersect(PacketSet.between(intersectAddresses(hostsOf(place), sources), undefined))
            }));
        }
        for (const place of named.filter(p => p.kind === 'device'))
            out.push({
                place,
                packets: effective.intersect(
                    PacketSet.between(intersectAddresses(hostsOf(place), sources), destinations)
                )
            });
        // Every edge whose prerouting hook can let in some source of it, and those that hold one.
        const all = effective.intersect(PacketSet.between(sources, destinations));
        for (const edge of this.edges) {
            if (!addressesIntersect(this.admittedSources(edge), sources) && !addressesIntersect(hostsOf(edge), sources))
                continue;
            out.push({ place: edge, packets: all });
        }
        return out;
    }

    /** An endpoint's addresses of both families, as one object per endpoint (what is memoised by it is found again). */
    private addressesOf(endpoint: Requirement['flows'][number]['source']): Addresses {
        let addresses = this.endpointAddresses.get(endpoint);
        if (!addresses)
            this.endpointAddresses.set(endpoint, (addresses = { v4: endpoint.addresses, v6: endpoint.addresses6 }));
        return addresses;
    }

    /** The places an endpoint's addresses name in either family (see PlaceIndex.namedBy). */
    private placesNamedBy(addresses: Addresses): Place[] {
        let named = this.namedPlaces.get(addresses);
        if (!named) {
            named = this.placeIndex.namedBy(addresses).filter(p => addressesIntersect(hostsOf(p), addresses));
            this.namedPlaces.set(addresses, named);
        }
        return named;
    }

    /**
     * The addresses of an endpoint set that an allow speaks of: the hosts of the places it names
     * (a segment's hosts, not its routers' addresses; a device only where it is named whole), and
     * whatever it names outside every place.
     */
    private hostsOf(addresses: Addresses): Addresses {
        let hosts = this.hostSets.get(addresses);
        if (!hosts) {
            hosts = this.placesNamedBy(addresses).reduce(
                (all, place) => unionAddresses(all, intersectAddresses(hostsOf(place), addresses)),
                subtractAddresses(addresses, this.placed)
            );
            this.hostSets.set(addresses, hosts);
        }
        return hosts;
    }

    private admittedSources(edge: Place): Addresses {
        const config = this.network.configs.get(edge.device);
        if (!config) return { v4: IntervalSet.EMPTY, v6: IntervalSet.EMPTY6 };
        let byInterface = this.admitted.get(config);
        if (!byInterface) this.admitted.set(config, (byInterface = new Map()));
        let sources = byInterface.get(edge.interface!);
        if (!sources) {
            sources = this.context().dataplane.admittedSources(edge.device, edge.interface!);
            byInterface.set(edge.interface!, sources);
        }
        return sources;
    }

    /** Why packets that stay within their place break the requirement, if they do. */
    private stayProblem(requirement: Requirement, place: Place): string | undefined {
        if (requirement.kind === 'default') return undefined;
        const what = place.kind === 'segment' ? place.name : `${place.name} (outside the network)`;
        if (requirement.kind === 'allow') {
            const via = requirement.constraints.via;
            return via.length === 0
                ? undefined
                : `the packets stay within ${what}: no device is on their path, so none can steer them through ${via.map(describeWaypoint).join(', then ')}`;
        }
        return `the packets stay within ${what}: no device is on their path, so none can enforce the ${requirement.kind}`;
    }

    /** What a trace passed: devices, links, uplinks (the elements whose failure may change its fate), its paths. */
    private note(finding: Finding, graph: ForwardingGraph): void {
        this.noteElements(finding, graph);
        const counts = graph.pathCounts();
        const total = graph.terminals.reduce((sum, t) => sum + counts.get(t.node)!, 0);
        if (total > MAX_LISTED_PATHS) {
            finding.uncountedPaths += total;
            return;
        }
        for (const terminal of graph.terminals) {
            for (const path of graph.paths(terminal, MAX_LISTED_PATHS))
                finding.paths.add(path.map(h => `${h.device}:${h.in ?? ''}>${h.out ?? ''}`).join(' '));
        }
    }

    /** The devices, links and uplinks a trace passed. */
    private noteElements(finding: Finding, graph: ForwardingGraph): void {
        for (const node of graph.nodes) {
            finding.devices.add(node.device);
            for (const edge of node.next) {
                if (edge.hop.link !== undefined) finding.links.add(edge.hop.link);
                if (edge.hop.policyTable6) finding.policyTable6 = true;
            }
        }
        for (const terminal of graph.terminals) {
            const fate = terminal.fate;
            if (terminal.tail[0].link !== undefined) finding.links.add(terminal.tail[0].link);
            if (terminal.tail[0].policyTable6) finding.policyTable6 = true;
            if (fate.kind === 'delivered' && fate.place.kind === 'external')
                finding.uplinks.add(`${fate.place.device}:${fate.place.interface}`);
        }
    }

    /** The limits a requirement puts on each path, for analysis over a forwarding graph. */
    private pathAnalysis(graph: ForwardingGraph, c: PathConstraints): PathAnalysis {
        const limits: PathLimits = {
            via: c.via,
            avoidDevices: new Set(c.avoidDevices),
            hops: c.hops,
            latencyUs: c.latencyUs,
            avoidLinks: linkIndices(this.twin, c.avoidLinks)
        };
        return new PathAnalysis(graph, limits, link => this.twin.links[link].latencyUs);
    }

    /** Why an allow's packets fail at this terminal, if they do (on some path to it). */
    private allowProblem(
        requirement: Requirement,
        graph: ForwardingGraph,
        terminal: Terminal,
        analysis: PathAnalysis,
        context: Context,
        finding: Finding
    ): Problem | undefined {
        const fate = terminal.fate;
        if (fate.kind === 'unknown' || fate.kind === 'ambiguous') return undefined;
        if (fate.kind === 'dropped')
            return { packets: terminal.packets, text: fate.reason, path: graph.path(terminal) };
        if (fate.kind === 'loop') {
            const path = graph.path(terminal);
            return {
                packets: terminal.packets,
                text: `forwarding loop at ${fate.device} (${describePath(path)})`,
                path
            };
        }
        const misdelivered = terminal.packets.subtract(PacketSet.between(undefined, spaceOf(fate.place)));
        if (!misdelivered.isEmpty())
            return {
                packets: misdelivered,
                text: `delivered to ${fate.place.name}, which does not hold the destination`,
                path: graph.path(terminal)
            };
        const broken = analysis.witness(terminal);
        if (broken)
            return {
                packets: terminal.packets,
                text: this.pathProblem(requirement.constraints, broken, '')!,
                path: broken
            };
        if (!requirement.stateful) return undefined;
        // The replies of the connections it allows must come back, through the same waypoints;
        // a device has state for them only where the connection passed. Where that differs
        // between the paths and matters to the replies, each path is tried.
        const replies = terminal.packets.replies();
        const { passed, unsure } = connectionPasses(graph, terminal);
        const back = context.dataplane.trace(fate.place.device, fate.place.interface, replies, {
            replyTo: passed,
            unsure
        });
        const ambiguous = back.terminals.map(t => t.fate).find(f => f.kind === 'ambiguous');
        if (!ambiguous) return this.replyProblem(requirement, back, graph.path(terminal), finding);
        const paths = graph.paths(terminal, MAX_REPLY_PATHS + 1);
        if (paths.length > MAX_REPLY_PATHS) {
            finding.unknown ??= `what the replies meet at ${ambiguous.device} depends on which of more than ${MAX_REPLY_PATHS} paths their connection took, and that is not checked`;
            return undefined;
        }
        for (const path of paths) {
            const problem = this.replyProblem(
                requirement,
                context.dataplane.trace(fate.place.device, fate.place.interface, replies, {
                    replyTo: connectionAlong(path)
                }),
                path,
                finding
            );
            if (problem) return problem;
        }
        return undefined;
    }

    /** Why the replies fail, if they do; the problem carries the forward path of their connection. */
    private replyProblem(
        requirement: Requirement,
        back: ForwardingGraph,
        forward: Hop[],
        finding: Finding
    ): Problem | undefined {
        // A failure on the way back (it may differ from the way there) can break the connection too.
        this.noteElements(finding, back);
        // The replies pass the same waypoints (in reverse) and avoid the same; hops and latency bound the way there.
        const constraints = {
            ...requirement.constraints,
            via: [...requirement.constraints.via].reverse(),
            hops: undefined,
            latencyUs: undefined
        };
        const analysis = this.pathAnalysis(back, constraints);
        for (const terminal of back.terminals) {
            const fate = terminal.fate;
            const answer = (packets: PacketSet, text: string): Problem => ({
                packets: packets.replies(),
                text,
                path: forward
            });
            if (fate.kind === 'unknown') {
                finding.unknown ??= fate.reason;
                continue;
            }
            if (fate.kind === 'ambiguous') continue;
            if (fate.kind === 'dropped') return answer(terminal.packets, `the replies are ${fate.reason}`);
            if (fate.kind === 'loop')
                return answer(
                    terminal.packets,
                    `the replies loop at ${fate.device} (${describePath(back.path(terminal))})`
                );
            const lost = terminal.packets.subtract(PacketSet.between(undefined, spaceOf(fate.place)));
            if (!lost.isEmpty())
                return answer(lost, `the replies are delivered to ${fate.place.name}, not back to the source`);
            const broken = analysis.witness(terminal);
            if (broken) return answer(terminal.packets, this.pathProblem(constraints, broken, 'the replies: ')!);
        }
        return undefined;
    }

    private denyProblem(graph: ForwardingGraph, terminal: Terminal): Problem | undefined {
        if (terminal.fate.kind !== 'delivered') return undefined;
        const delivered = terminal.packets.intersect(PacketSet.between(undefined, spaceOf(terminal.fate.place)));
        if (delivered.isEmpty()) return undefined;
        const path = graph.path(terminal);
        return {
            packets: delivered,
            text: `delivered to ${terminal.fate.place.name} (${describePath(path)}); nothing stops it`,
            path
        };
    }

    /** via (in order), avoid, hops and latency on one path. */
    private pathProblem(c: PathConstraints, path: Hop[], prefix: string): string | undefined {
        const devices = path.map(h => h.device);
        const missed = missedWaypoint(devices, c.via);
        if (missed >= 0) {
            const waypoint = c.via[missed];
            return `${prefix}the path ${devices.join(' → ')} does not pass ${describeWaypoint(waypoint)}${devices.some(d => waypoint.includes(d)) ? ' in the order written' : ''}`;
        }
        const avoided = devices.find(d => c.avoidDevices.includes(d));
        if (avoided) return `${prefix}the path ${devices.join(' → ')} passes ${avoided}, which it must avoid`;
        for (const hop of path) {
            if (hop.link === undefined) continue;
            const link = this.twin.links[hop.link];
            if (c.avoidLinks.some(a => findLink(this.twin, a.a, a.b) === link))
                return `${prefix}the path ${devices.join(' → ')} crosses ${interfaceName(link.a)} -- ${interfaceName(link.b)}, which it must avoid`;
        }
        if (c.hops !== undefined && devices.length > c.hops)
            return `${prefix}the path ${devices.join(' → ')} passes ${devices.length} devices, more than hops <= ${c.hops}`;
        if (c.latencyUs !== undefined) {
            const latencies = path.filter(h => h.link !== undefined).map(h => this.twin.links[h.link!].latencyUs);
            const total = latencies.reduce((a, b) => a + b, 0);
            if (total > c.latencyUs)
                return `${prefix}the path ${devices.join(' → ')} takes ${formatMicroseconds(total)} (${latencies.map(formatMicroseconds).join(' + ')}), more than latency <= ${formatMicroseconds(c.latencyUs)}`;
        }
        return undefined;
    }

    private counterexample(finding: Finding, failures: Failures): Counterexample {
        const violation = finding.violation!;
        return {
            packet: this.witness(violation.packets),
            origin: violation.origin.name,
            forged: violation.forged,
            failures: describeFailures(this.twin, failures),
            failed: failures,
            path: violation.path.map(h => h.device),
            branches: finding.failingPaths,
            hops: violation.path,
            reason: violation.reason
        };
    }

    /** One packet of a set, between hosts where it has such packets (not a router's own address). */
    private witness(packets: PacketSet): Packet {
        const preferred = [
            PacketSet.between(this.edgeHosts, this.edgeHosts),
            PacketSet.between(undefined, this.edgeHosts)
        ]
            .map(hosts => packets.intersect(hosts))
            .find(set => !set.isEmpty());
        return (preferred ?? packets).witness()!;
    }

    /** The devices where the requirement's traffic enters and leaves: never failed by `survive K node`. */
    private sourceAndDestinationDevices(requirement: Requirement): string[] {
        const ends = requirement.flows.flatMap(f => [this.addressesOf(f.source), this.addressesOf(f.destination)]);
        return this.places.filter(p => ends.some(e => addressesIntersect(e, spaceOf(p)))).map(p => p.device);
    }

    /** The default requirement's packets: flows between places that no allow takes. */
    static defaultEffective(requirement: Requirement, allows: readonly Requirement[]): PacketSet {
        return allows.reduce((set, allow) => set.subtract(allow.packets), requirement.packets);
    }
}

/**
 * FRR 8.4 (staticd and zebra) can leave a recursive IPv6 static route of a policy table inactive
 * after a link fails, though its next hop has a route again: the table's fail-closed blackhole
 * then drops what the steering should send on (found by the lab's differential on random
 * dual-stack networks: `s1 IPv6 table 1000 ::/0: simulated via eth2, kernel blackhole`, two
 * failures in three; IPv4's tables re-resolved every time). Until that is fixed, what IPv6
 * steering does under failures is not proved.
 */
export const IPV6_STEERING_AFTER_FAILURES =
    "some of its IPv6 packets are steered by an IPv6 policy table under a failure, and FRR 8.4 can leave such a table's route on its blackhole after a link fails (the lab's differential found it); IPv6 steering under failures is not proved";

/** Why a check under failures proves nothing, if it does not: what it could not model, or IPv6 steering. */
function unprovedUnderFailures(finding: Finding): string | undefined {
    return finding.unknown ?? (finding.policyTable6 ? IPV6_STEERING_AFTER_FAILURES : undefined);
}

/**
 * After a link fails (and once it is back), FRR 8.4's ospf6d keeps equal-cost routes to a prefix
 * that two routers announce that its SPF does not give (FRRouting/frr#13579 class, found by the
 * lab's differential on link subnets both ends announced): packets to (and, for a connection,
 * from) such prefixes may go where the verifier does not send them. The compiler has one end of a
 * link announce its subnet, so that no compiled prefix is one.
 */
const IPV6_STALE_ROUTES =
    'its IPv6 packets to or from prefixes that several routers announce into OSPFv3 are not verified: after a link fails, FRR 8.4\'s OSPFv3 keeps routes to them that OSPF does not give (docs/twin.md, "IPv6 and dual stack")';

/** The IPv6 packets to prefixes several routers announce into OSPFv3, and those of connections to or from them (see IPV6_STALE_ROUTES). */
function sharedPrefixPackets6(routing6: RoutingState<bigint>): { packets: PacketSet; connections: PacketSet } {
    const prefixes = IntervalSet.fromIntervals(routing6.ospfPrefixesOfSeveral().flatMap(p => IPV6.range(p).intervals));
    const toShared = PacketSet.cube6({ dst: prefixes });
    return { packets: toShared, connections: toShared.union(PacketSet.cube6({ src: prefixes })) };
}

/** Whether two sets of adjacencies run over the same links from the same devices. */
function sameLinks(
    a: ReadonlyMap<string, ReadonlyArray<{ to: string; link: number }>>,
    b: ReadonlyMap<string, ReadonlyArray<{ to: string; link: number }>>
): boolean {
    const links = (edges: ReadonlyArray<{ to: string; link: number }>) =>
        edges
            .map(e => `${e.link}>${e.to}`)
            .sort()
            .join();
    return (
        a.size === b.size && [...a].every(([device, edges]) => b.has(device) && links(edges) === links(b.get(device)!))
    );
}

/** Every address packets are sent to (and for a connection, from: its replies' destinations), per family. */
export function addressedBy(packets: PacketSet, stateful: boolean): Addresses {
    const of = <A extends Bound>(cubes: ReadonlyArray<{ dst: IntervalSet<A>; src: IntervalSet<A> }>) =>
        IntervalSet.fromIntervals(
            cubes.flatMap(cube => [...cube.dst.intervals, ...(stateful ? cube.src.intervals : [])])
        );
    return { v4: of(packets.cubes), v6: of(packets.cubes6) };
}

/** The distinct device paths listed, in a stable order (by their devices). */
function pathDevices(finding: Finding): string[][] {
    const distinct = new Set(hopPaths(finding).map(path => path.map(hop => hop.device).join(' ')));
    return [...distinct].sort().map(p => p.split(' '));
}

/** The distinct paths listed, hop by hop, in a stable order (by their text). */
function hopPaths(finding: Finding): Hop[][] {
    return [...finding.paths].sort().map(p =>
        p.split(' ').map(text => {
            const colon = text.indexOf(':');
            const arrow = text.indexOf('>', colon);
            const [into, out] = [text.slice(colon + 1, arrow), text.slice(arrow + 1)];
            return { device: text.slice(0, colon), ...(into ? { in: into } : {}), ...(out ? { out } : {}) };
        })
    );
}

function union<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
    return new Set([...a, ...b]);
}

function describePath(path: Hop[]): string {
    return path.map(h => h.device).join(' → ');
}
