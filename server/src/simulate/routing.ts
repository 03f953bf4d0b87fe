/**
 * The control plane, simulated the way FRR computes it: connected and static routes (next hops
 * resolved recursively), OSPF (one area, an SPF that keeps every equal-cost path), eBGP and iBGP
 * best paths with multipath, redistribution, FRR's administrative distances and its
 * ebgp-requires-policy. Computed lazily per (device, prefix) and memoised, so that a failure
 * scenario costs only the routes a check asks for.
 */
import type {
    BgpConfig,
    BgpNeighbor,
    DeviceConfig,
    OspfAuthentication,
    OspfInterface,
    RouteMap
} from '../config/model.js';
import { compareBounds, IntervalSet, type Bound } from '../net/interval-set.js';
import {
    distancesAfterCostChanges,
    distancesAfterFailures,
    distancesFrom,
    type CostChange,
    type Distances,
    type Edge,
    type Graph
} from '../net/shortest-paths.js';
import type { Failures, Port, SimNetwork } from './network.js';
import { IPV4_ROUTING, type PrefixOf, type RoutingFamily } from './routing-family.js';

export type Protocol = 'connected' | 'static' | 'ospf' | 'ebgp' | 'ibgp';

/** FRR's administrative distances. */
export const ADMIN_DISTANCE: Record<Protocol, number> = { connected: 0, static: 1, ebgp: 20, ospf: 110, ibgp: 200 };

export interface NextHop<A extends Bound = number> {
    interface: string;
    /** The next router's address; none for a directly connected destination (or an IPv6 neighbour without a global address on the link). */
    address?: A;
}

export interface Route<A extends Bound = number> {
    prefix: PrefixOf<A>;
    protocol: Protocol;
    distance: number;
    nextHops: NextHop<A>[];
    /** It drops what it matches (a blackhole or reject static route, or a route resolved through one); no next hops. */
    blackhole?: boolean;
}

/**
 * How a next-hop address is reached: over these hops (none: not at all), or into a blackhole
 * route, which makes FRR install the route resolved through it as a blackhole too.
 */
type Resolution<A extends Bound = number> = NextHop<A>[] | 'blackhole';

/** FRR's default metric of routes redistributed into OSPF (external type 2). */
const OSPF_EXTERNAL_METRIC = 20;
/** FRR's OSPF intervals (seconds) where the model gives none. */
const OSPF_HELLO_DEFAULT = 10;
const OSPF_DEAD_DEFAULT = 40;
const BGP_DEFAULT_LOCAL_PREF = 100;
const ORIGIN = { igp: 0, incomplete: 2 } as const;

interface OspfEdge<A extends Bound> {
    to: string;
    cost: number;
    interface: string;
    address?: A;
    /** The twin link it runs over. */
    link: number;
}

/** A BGP session of one address family, over addresses of that family. */
interface BgpSession<A extends Bound> {
    from: string;
    to: string;
    ebgp: boolean;
    /** The `to` router's address that `from` peers with, and `from`'s neighbor statement. */
    peerAddress: A;
    neighbor: BgpNeighbor<A>;
}

interface BgpPath<A extends Bound> {
    asPath: number[];
    origin: number;
    localPref: number;
    med: number;
    ebgp: boolean;
    local: boolean;
    igpCost: number;
    /** The unspecified address (0.0.0.0 or ::) in a path of the router's own. */
    nextHop: A;
    /** Who it came from: router id and session address, for the last tie-breaks. */
    fromRouterId: number;
    fromAddress: A;
    fromDevice?: string;
}

function key(prefix: PrefixOf<Bound>): string {
    return `${prefix.network}/${prefix.length}`;
}

/**
 * Routes that may have moved after link costs changed: toward the destinations resting on a
 * router's shortest-path tree (see ospfDestinationsVia), or toward a prefix announced at another
 * cost; at these routers.
 */
export interface MovedRoutes<A extends Bound = number> {
    toward: { router: string } | { prefix: PrefixOf<A> };
    at: ReadonlySet<string>;
}

/**
 * The routes of one address family (IPv4 by default), main table and policy tables, see
 * routing-family.ts.
 */
export class RoutingState<A extends Bound = number> {
    private readonly routes = new Map<string, Route<A> | null>();
    /** Per device, the route of each address class (by its index in the universe). */
    private readonly lookups = new Map<string, Array<Route<A> | null>>();
    /** Per configuration and table, the route of each address class (as `lookups`). */
    private readonly tableLookups = new WeakMap<DeviceConfig, Map<number, Array<Route<A> | null>>>();
    /** Prefixes whose BGP paths are being computed (a static route resolving through one waits for nothing). */
    private readonly bgpComputing = new Set<string>();
    private readonly upPortCache = new Map<string, Port[]>();
    /** Per router, every router's OSPF distance to it; the other family's very map where shareDistancesWith says so. */
    private distancesTo = new Map<string, Distances>();
    private distancesShared = false;
    private readonly bgpBest = new Map<string, Map<string, BgpPath<A>[]>>();
    private ospfGraph?: Map<string, OspfEdge<A>[]>;
    private ospfReverse?: Graph;
    /** Per announced prefix (by key()): the prefix and who announces it. */
    private ospfStubs?: Map<string, Array<{ router: string; cost: number; interface: string }>>;
    private ospfPrefixes?: Map<string, PrefixOf<A>>;
    private failedLinkSet?: Set<number>;
    private candidates?: string[];
    private sessions?: BgpSession<A>[];

    /**
     * `base`: the same network without these failures. Shortest-path trees that no failed link or
     * device lies on are taken from it instead of being computed again.
     */
    constructor(
        readonly network: SimNetwork,
        readonly failures: Failures,
        private readonly universe: PrefixUniverse<A>,
        private readonly base?: RoutingState<A>,
        readonly family: RoutingFamily<A> = IPV4_ROUTING as unknown as RoutingFamily<A>
    ) {}

    /** The route the RIB selects for exactly this prefix at this device. */
    route(device: string, prefix: PrefixOf<A>): Route<A> | undefined {
        const k = `${device}|${key(prefix)}`;
        let found = this.routes.get(k);
        if (found === undefined) {
            found = this.select(device, prefix, true) ?? null;
            this.routes.set(k, found);
        }
        return found ?? undefined;
    }

    /** Longest-prefix match: the route that forwards a packet to `address` at `device`. */
    lookup(device: string, address: A): Route<A> | undefined {
        // Every address of a class is contained by the same prefixes, so has the same route.
        const index = this.universe.classOf(address);
        let routes = this.lookups.get(device);
        if (!routes) this.lookups.set(device, (routes = []));
        let found = routes[index];
        if (found === undefined) {
            found = null;
            for (const prefix of this.universe.classContaining(index)) {
                const route = this.route(device, prefix);
                if (route) {
                    found = route;
                    break;
                }
            }
            routes[index] = found;
        }
        return found ?? undefined;
    }

    private config(device: string): DeviceConfig | undefined {
        return this.failures.devices.has(device) ? undefined : this.network.configs.get(device);
    }

    private select(device: string, prefix: PrefixOf<A>, withBgp: boolean): Route<A> | undefined {
        const candidates = [
            this.connected(device, prefix),
            this.staticRoute(device, prefix),
            this.ospfRoute(device, prefix),
            withBgp ? this.bgpRoute(device, prefix) : undefined
        ].filter((r): r is Route<A> => r !== undefined);
        return candidates.sort((a, b) => a.distance - b.distance)[0];
    }

    private connected(device: string, prefix: PrefixOf<A>): Route<A> | undefined {
        const ports = this.upPorts(device).filter(p =>
            this.family.subnets(p).some(s => s.network === prefix.network && s.length === prefix.length)
        );
        if (ports.length === 0) return undefined;
        return { prefix, protocol: 'connected', distance: 0, nextHops: ports.map(p => ({ interface: p.config.name })) };
    }

    /** The static routes of a table (the main one: `table` undefined) for exactly this prefix, at the lowest distance where one resolves. */
    private staticRoute(device: string, prefix: PrefixOf<A>, depth = 0, table?: number): Route<A> | undefined {
        const config = this.config(device);
        if (!config) return undefined;
        let distance = Infinity;
        let resolutions: Resolution<A>[] = [];
        for (const route of this.family.staticRoutes(config)) {
            if (
                route.table !== table ||
                route.prefix.network !== prefix.network ||
                route.prefix.length !== prefix.length
            )
                continue;
            const own = route.distance ?? ADMIN_DISTANCE.static;
            if (own > distance) continue;
            const resolved =
                route.nextHop === 'blackhole' ? 'blackhole' : this.resolve(device, route.nextHop, depth, true);
            if (unresolved(resolved)) continue;
            if (own < distance) resolutions = [];
            distance = own;
            resolutions.push(resolved);
        }
        return resolvedRoute(prefix, 'static', distance, resolutions);
    }

    /**
     * How a next-hop address is reached: on a connected subnet, or recursively through the route
     * the RIB selects for the longest prefix that has one (never through the default route, as FRR
     * without `ip nht resolve-via-default`). Static routes resolve through BGP routes too, as zebra
     * lets them; BGP's own next hops do not (FRR resolves them through the IGP).
     */
    private resolve(device: string, address: A, depth: number, viaBgp = false): Resolution<A> {
        const port = this.portOn(device, address);
        if (port) return [{ interface: port.config.name, address }];
        if (depth > 4) return [];
        for (const prefix of this.universe.classContaining(this.universe.classOf(address))) {
            if (prefix.length === 0) break;
            const bgp = viaBgp && !this.bgpComputing.has(key(prefix)) ? this.bgpRoute(device, prefix) : undefined;
            const routes = [this.staticRoute(device, prefix, depth + 1), this.ospfRoute(device, prefix), bgp].filter(
                (r): r is Route<A> => r !== undefined
            );
            const route = routes.sort((a, b) => a.distance - b.distance)[0];
            if (route) return route.blackhole ? 'blackhole' : route.nextHops;
        }
        return [];
    }

    /** The route a policy-routing table holds for exactly this prefix (what the kernel's table shows). */
    tableRoute(device: string, table: number, prefix: PrefixOf<A>): Route<A> | undefined {
        return this.staticRoute(device, prefix, 0, table);
    }

    /**
     * Longest-prefix match in a policy-routing table: the route its static routes give for the
     * longest prefix that has a usable one (a blackhole always is); none, and the next rule decides.
     */
    tableLookup(device: string, table: number, address: A): Route<A> | undefined {
        const config = this.config(device);
        if (!config) return undefined;
        // By configuration: a compile that changes only filters and steering keeps the routing state.
        let tables = this.tableLookups.get(config);
        if (!tables) this.tableLookups.set(config, (tables = new Map()));
        let routes = tables.get(table);
        if (!routes) tables.set(table, (routes = []));
        const index = this.universe.classOf(address);
        let found = routes[index];
        if (found === undefined) {
            found = null;
            for (const prefix of this.universe.classContaining(index)) {
                const route = this.tableRoute(device, table, prefix);
                if (route) {
                    found = route;
                    break;
                }
            }
            routes[index] = found;
        }
        return found ?? undefined;
    }

    // ---------------------------------------------------------------- OSPF

    /**
     * The OSPF adjacencies (an edge per direction, with the sending interface's cost) and the
     * prefixes each router announces. Under failures: the intact network's, less what failed.
     * Neighbours are adjacent only where their interfaces agree (ospfAdjacent).
     */
    private buildOspf(): void {
        if (this.base) {
            // Under failures: the intact network's adjacencies, filtered as they are asked for.
            this.base.buildOspfOnce();
            this.ospfReverse = this.base.ospfReverse;
            this.ospfGraph = this.base.ospfGraph;
            this.ospfStubs = this.base.ospfStubs;
            this.ospfPrefixes = this.base.ospfPrefixes;
            return;
        }
        const graph = new Map<string, OspfEdge<A>[]>();
        const stubs = new Map<string, Array<{ router: string; cost: number; interface: string }>>();
        const prefixes = new Map<string, PrefixOf<A>>();
        const family = this.family;
        for (const [device, config] of this.network.configs) {
            if (!family.ospf(config) || this.failures.devices.has(device)) continue;
            const edges: OspfEdge<A>[] = [];
            // Every interface that is up: OSPFv3 runs on one without a global address too.
            for (const port of this.network.upPorts(device, this.failures, 'any')) {
                const settings = family.ospfInterface(config, port);
                if (!settings) continue;
                for (const subnet of family.subnets(port)) {
                    const only = settings.advertisePrefixList;
                    if (only !== undefined && !prefixListPermits(config, only, subnet, family)) continue;
                    const stub = stubs.get(key(subnet)) ?? [];
                    stub.push({ router: device, cost: settings.cost, interface: port.config.name });
                    stubs.set(key(subnet), stub);
                    prefixes.set(key(subnet), subnet);
                }
                if (!port.peer) continue;
                const farConfig = this.config(port.peer.device);
                const far = this.network.port(port.peer.device, port.peer.interface);
                const farSettings = farConfig && far ? family.ospfInterface(farConfig, far) : undefined;
                if (!farSettings || !ospfAdjacent(settings, farSettings) || !family.adjacentOver(port, far!)) continue;
                edges.push({
                    to: port.peer.device,
                    cost: settings.cost,
                    interface: port.config.name,
                    address: family.neighborAddress(far!),
                    link: port.peer.link
                });
            }
            graph.set(device, edges);
        }
        this.ospfGraph = graph;
        this.ospfStubs = stubs;
        this.ospfPrefixes = prefixes;
        // Reversed edges keep the twin link they run over, so that a failure can exclude them.
        const reverse = new Map<string, Edge[]>();
        for (const [from, edges] of graph) {
            for (const edge of edges) {
                let list = reverse.get(edge.to);
                if (!list) reverse.set(edge.to, (list = []));
                list.push({ to: from, cost: edge.cost, link: edge.link });
            }
        }
        this.ospfReverse = reverse;
    }

    /** Every OSPF adjacency of the network without failures: per router, the neighbour, its own interface and the link. */
    ospfAdjacencies(): ReadonlyMap<string, ReadonlyArray<{ to: string; interface: string; link: number }>> {
        if (this.base) return this.base.ospfAdjacencies();
        this.buildOspfOnce();
        return this.ospfGraph!;
    }

    private buildOspfOnce(): void {
        if (!this.ospfGraph) this.buildOspf();
    }

    /**
     * Takes the other family's OSPF distances as this state's where OSPF runs over the very same
     * adjacencies at the same costs in both (OSPFv3 beside OSPFv2, as compiled; the failures are
     * the same): one SPF per router then serves both families. Before any distance is computed.
     */
    shareDistancesWith(other: RoutingState<Bound>): void {
        const same = this.base
            ? this.base.distancesShared
            : (this.buildOspfOnce(), sameAdjacencies(this.ospfGraph!, other.ospfAdjacenciesWithCosts()));
        if (!same) return;
        this.distancesTo = other.distancesTo;
        this.distancesShared = true;
    }

    private ospfAdjacenciesWithCosts(): ReadonlyMap<string, ReadonlyArray<OspfEdge<Bound>>> {
        this.buildOspfOnce();
        return this.ospfGraph!;
    }

    /**
     * Takes over the shortest-path trees `before` computed, for configurations that differ from
     * its only in OSPF interface costs (a link cost edited in the twin): each tree a changed cost
     * touches is repaired by dynamic SPF, the others are taken as they are. Returns where routes
     * may have moved; undefined (nothing taken) where the adjacencies or the announced prefixes
     * differ in more than costs. Both states are without failures.
     */
    inheritTrees(before: RoutingState<A>): MovedRoutes<A>[] | undefined {
        if (this.base || before.base) return undefined;
        this.buildOspfOnce();
        before.buildOspfOnce();
        const changes: CostChange[] = [];
        if (this.ospfGraph!.size !== before.ospfGraph!.size) return undefined;
        for (const [device, edges] of this.ospfGraph!) {
            const old = before.ospfGraph!.get(device);
            if (!old || old.length !== edges.length) return undefined;
            for (const [i, edge] of edges.entries()) {
                const was = old[i];
                if (
                    was.to !== edge.to ||
                    was.link !== edge.link ||
                    was.interface !== edge.interface ||
                    was.address !== edge.address
                )
                    return undefined;
                if (was.cost !== edge.cost) changes.push({ from: device, edge, previous: was.cost });
            }
        }
        const announced = (state: RoutingState<A>) =>
            JSON.stringify([...state.ospfStubs!].map(([k, stubs]) => [k, stubs.map(s => [s.router, s.interface])]));
        if (announced(this) !== announced(before)) return undefined;
        const moved: MovedRoutes<A>[] = [];
        for (const [target, distances] of before.distancesTo) {
            if (changes.length === 0) {
                this.distancesTo.set(target, distances);
                continue;
            }
            const after = distancesAfterCostChanges(this.ospfGraph!, this.ospfReverse!, distances, target, changes);
            this.distancesTo.set(target, after.distances);
            if (after.changed.size > 0) moved.push({ toward: { router: target }, at: after.changed });
        }
        // A prefix announced at another cost (a link's subnet, by the ends of the link): where the nearest announcer differs.
        for (const [k, stubs] of this.ospfStubs!) {
            const old = before.ospfStubs!.get(k)!;
            if (stubs.every((s, i) => s.cost === old[i].cost)) continue;
            // Routes toward it were computed only where every announcer's tree was.
            if (!old.every(s => before.distancesTo.has(s.router))) continue;
            const nearest = (state: RoutingState<A>, announcers: typeof stubs, device: string) => {
                const costs = announcers
                    .filter(s => s.router !== device)
                    .map(s => [s.router, (state.distancesTo.get(s.router)!.get(device) ?? Infinity) + s.cost] as const);
                const best = Math.min(...costs.map(([, c]) => c));
                return [
                    best,
                    ...costs
                        .filter(([, c]) => c === best)
                        .map(([r]) => r)
                        .sort()
                ].join();
            };
            const at = new Set(
                [...this.ospfGraph!.keys()].filter(
                    device => nearest(this, stubs, device) !== nearest(before, old, device)
                )
            );
            if (at.size > 0) moved.push({ toward: { prefix: this.ospfPrefixes!.get(k)! }, at });
        }
        return moved;
    }

    /**
     * The destinations whose routes may rest on `router`'s shortest-path tree: the prefixes it
     * announces into OSPF, and any address at all where it redistributes routes.
     */
    ospfDestinationsVia(router: string): IntervalSet<A> {
        const config = this.network.configs.get(router);
        const ospf = config && this.family.ospf(config);
        if (ospf && (ospf.defaultOriginate || ospf.redistribute.length > 0)) return this.family.all;
        this.buildOspfOnce();
        const prefixes: PrefixOf<A>[] = [];
        for (const [announced, stubs] of this.ospfStubs!)
            if (stubs.some(s => s.router === router)) prefixes.push(this.ospfPrefixes!.get(announced)!);
        return IntervalSet.fromIntervals(prefixes.flatMap(p => this.family.addresses.range(p).intervals));
    }

    /**
     * The prefixes that more than one router announces into OSPF (in the intact network): FRR 8.4's
     * ospf6d keeps stale routes to these after a failure (see IPV6_STALE_ROUTES in verify.ts).
     */
    ospfPrefixesOfSeveral(): PrefixOf<A>[] {
        this.buildOspfOnce();
        return [...this.ospfStubs!]
            .filter(([, stubs]) => new Set(stubs.map(s => s.router)).size > 1)
            .map(([announced]) => this.ospfPrefixes!.get(announced)!);
    }

    /** A router's OSPF adjacencies that are up under this state's failures. */
    private ospfEdges(device: string): OspfEdge<A>[] {
        if (!this.ospfGraph) this.buildOspf();
        const edges = this.ospfGraph!.get(device) ?? [];
        if (!this.base) return edges;
        if (this.failures.devices.has(device)) return [];
        const failed = this.failedLinks();
        return edges.filter(e => !failed.has(e.link) && !this.failures.devices.has(e.to));
    }

    /** The routers announcing a prefix into OSPF, on interfaces that are up. */
    private ospfStubsOf(prefix: PrefixOf<A>): Array<{ router: string; cost: number; interface: string }> {
        if (!this.ospfGraph) this.buildOspf();
        const stubs = this.ospfStubs!.get(key(prefix)) ?? [];
        return this.base ? stubs.filter(s => this.network.isUp(s.router, s.interface, this.failures)) : stubs;
    }

    /**
     * Distance from every router to `target`: an SPF over the reversed adjacencies, or under
     * failures, the intact network's distances repaired where the failures cut them.
     */
    private ospfDistancesTo(target: string): Distances {
        let distances = this.distancesTo.get(target);
        if (!distances) {
            if (!this.ospfGraph) this.buildOspf();
            distances = this.base
                ? distancesAfterFailures(
                      this.ospfGraph!,
                      this.ospfReverse!,
                      this.base.ospfDistancesTo(target),
                      target,
                      { nodes: this.failures.devices, links: this.failedLinks() },
                      this.failureCandidates()
                  )
                : distancesFrom(this.ospfReverse!, target);
            this.distancesTo.set(target, distances);
        }
        return distances;
    }

    /** Where failures can cut shortest paths: the failed devices and the routers at failed links. */
    private failureCandidates(): string[] {
        if (!this.candidates) {
            const ends = [...this.failedLinks()].flatMap(l => [
                this.network.twin.links[l].a.device,
                this.network.twin.links[l].b.device
            ]);
            this.candidates = [...new Set([...this.failures.devices, ...ends])];
        }
        return this.candidates;
    }

    private failedLinks(): Set<number> {
        this.failedLinkSet ??= failedLinksOf(this.network, this.failures);
        return this.failedLinkSet;
    }

    /** The equal-cost next hops from `device` toward any of `targets` (each with an added cost). */
    private ospfNextHops(
        device: string,
        targets: Array<{ router: string; extra: number }>
    ): { cost: number; nextHops: NextHop<A>[] } | undefined {
        let bestCost = Infinity;
        const reached: Array<{ router: string; extra: number }> = [];
        for (const target of targets) {
            const d = this.ospfDistancesTo(target.router).get(device);
            if (d === undefined) continue;
            const cost = d + target.extra;
            if (cost < bestCost) {
                bestCost = cost;
                reached.length = 0;
            }
            if (cost === bestCost) reached.push(target);
        }
        if (reached.length === 0) return undefined;
        const nextHops: NextHop<A>[] = [];
        for (const target of reached) {
            const distances = this.ospfDistancesTo(target.router);
            const here = distances.get(device)!;
            for (const edge of this.ospfEdges(device)) {
                const there = distances.get(edge.to);
                if (
                    there !== undefined &&
                    edge.cost + there === here &&
                    !nextHops.some(h => h.interface === edge.interface)
                ) {
                    nextHops.push({ interface: edge.interface, address: edge.address });
                }
            }
        }
        return nextHops.length > 0 ? { cost: bestCost, nextHops } : undefined;
    }

    private ospfRoute(device: string, prefix: PrefixOf<A>): Route<A> | undefined {
        const config = this.config(device);
        if (!config || !this.family.ospf(config)) return undefined;
        const stubs = this.ospfStubsOf(prefix).filter(s => s.router !== device);
        const intra =
            stubs.length > 0
                ? this.ospfNextHops(
                      device,
                      stubs.map(s => ({ router: s.router, extra: s.cost }))
                  )
                : undefined;
        if (intra) return { prefix, protocol: 'ospf', distance: ADMIN_DISTANCE.ospf, nextHops: intra.nextHops };
        if (stubs.length > 0 || this.ownsSubnet(device, prefix)) return undefined;
        // External (type 2): the lowest metric, then the nearest ASBR.
        const asbrs = this.ospfAsbrs(prefix).filter(a => a.router !== device);
        if (asbrs.length === 0) return undefined;
        const metric = Math.min(...asbrs.map(a => a.metric));
        const external = this.ospfNextHops(
            device,
            asbrs.filter(a => a.metric === metric).map(a => ({ router: a.router, extra: 0 }))
        );
        return external && { prefix, protocol: 'ospf', distance: ADMIN_DISTANCE.ospf, nextHops: external.nextHops };
    }

    /** The device's interface that is up on a subnet holding the address. */
    private portOn(device: string, address: A): Port | undefined {
        return this.upPorts(device).find(p => this.family.addresses.contains(this.family.subnets(p)[0], address));
    }

    private ownsSubnet(device: string, prefix: PrefixOf<A>): boolean {
        return this.upPorts(device).some(p => this.family.subnets(p).some(s => key(s) === key(prefix)));
    }

    /** The device's interfaces that are up and addressed in this family (memoised). */
    private upPorts(device: string): Port[] {
        let ports = this.upPortCache.get(device);
        if (!ports) {
            ports = this.network.upPorts(device, this.failures, this.family.version);
            this.upPortCache.set(device, ports);
        }
        return ports;
    }

    /** Routers that redistribute `prefix` into OSPF, with the external metric. */
    private ospfAsbrs(prefix: PrefixOf<A>): Array<{ router: string; metric: number }> {
        const out: Array<{ router: string; metric: number }> = [];
        for (const [router, config] of this.network.configs) {
            const ospf = this.family.ospf(config);
            if (!ospf || this.failures.devices.has(router)) continue;
            if (!ospf.defaultOriginate && ospf.redistribute.length === 0) continue;
            const isDefault = prefix.length === 0;
            if (
                isDefault &&
                ospf.defaultOriginate &&
                (this.staticRoute(router, prefix) || this.connected(router, prefix))
            ) {
                out.push({ router, metric: OSPF_EXTERNAL_METRIC });
            } else if (!isDefault && ospf.redistribute.includes('static') && this.staticRoute(router, prefix)) {
                out.push({ router, metric: OSPF_EXTERNAL_METRIC });
            } else if (!isDefault && ospf.redistribute.includes('connected') && this.connected(router, prefix)) {
                out.push({ router, metric: OSPF_EXTERNAL_METRIC });
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- BGP

    /** The sessions of this family that are established: both ends name each other, in the ASes they are, and reach each other. */
    private bgpSessions(): BgpSession<A>[] {
        if (this.sessions) return this.sessions;
        const sessions: BgpSession<A>[] = [];
        const family = this.family;
        for (const [device, config] of this.network.configs) {
            const unicast = family.bgp(config);
            if (!config.bgp || !unicast || this.failures.devices.has(device)) continue;
            for (const neighbor of unicast.neighbors) {
                const owner = family.addressOwner(this.network, neighbor.address);
                const peerConfig = owner && this.config(owner.device);
                const peerUnicast = peerConfig && family.bgp(peerConfig);
                if (!owner || !peerConfig?.bgp || !peerUnicast || owner.device === device) continue;
                const back = peerUnicast.neighbors.find(
                    n => family.addressOwner(this.network, n.address)?.device === device
                );
                if (
                    !back ||
                    !asMatches(neighbor.remoteAs, peerConfig.bgp.asn, config.bgp.asn) ||
                    !asMatches(back.remoteAs, config.bgp.asn, peerConfig.bgp.asn)
                )
                    continue;
                const ebgp = config.bgp.asn !== peerConfig.bgp.asn;
                const reachable = ebgp
                    ? this.portOn(device, neighbor.address) !== undefined &&
                      this.network.isUp(owner.device, owner.interface, this.failures)
                    : // FRR does not peer across a blackhole next hop.
                      forwards(this.resolve(device, neighbor.address, 0)) &&
                      this.network.isUp(owner.device, owner.interface, this.failures);
                if (reachable)
                    sessions.push({ from: device, to: owner.device, ebgp, peerAddress: neighbor.address, neighbor });
            }
        }
        this.sessions = sessions;
        return sessions;
    }

    /** Each router's selected BGP paths for `prefix` (best first), computed to a fixpoint. */
    private bgpPaths(prefix: PrefixOf<A>): Map<string, BgpPath<A>[]> {
        const k = key(prefix);
        const known = this.bgpBest.get(k);
        if (known) return known;
        this.bgpComputing.add(k);
        try {
            return this.computeBgpPaths(prefix, k);
        } finally {
            this.bgpComputing.delete(k);
        }
    }

    private computeBgpPaths(prefix: PrefixOf<A>, k: string): Map<string, BgpPath<A>[]> {
        const sessions = this.bgpSessions();
        const routers = [...this.network.configs.entries()].filter(
            ([d, c]) => c.bgp && this.family.bgp(c) && !this.failures.devices.has(d)
        );
        const best = new Map<string, BgpPath<A>[]>(routers.map(([d]) => [d, []]));
        const originated = new Map(routers.map(([d, c]) => [d, this.originate(d, c, prefix)]));
        const incoming = new Map<string, BgpSession<A>[]>();
        for (const s of sessions) incoming.set(s.from, [...(incoming.get(s.from) ?? []), s]);
        // Rounds until nothing changes; a path vector over finite paths settles within #routers + 1.
        for (let round = 0; round <= routers.length + 1; round++) {
            let changed = false;
            for (const [device, config] of routers) {
                const candidates = [...originated.get(device)!];
                for (const session of incoming.get(device) ?? []) {
                    const advertised = best.get(session.to)?.[0];
                    const path = advertised && this.exchange(session, advertised, prefix);
                    if (path) candidates.push(path);
                }
                const selected = selectBgp(candidates, config.bgp!, this.family.bgp(config)!.maximumPaths);
                if (!samePaths(selected, best.get(device)!)) {
                    best.set(device, selected);
                    changed = true;
                }
            }
            if (!changed) break;
        }
        this.bgpBest.set(k, best);
        return best;
    }

    private originate(device: string, config: DeviceConfig, prefix: PrefixOf<A>): BgpPath<A>[] {
        const bgp = config.bgp!;
        const unicast = this.family.bgp(config)!;
        const unspecified = this.family.all.intervals[0][0];
        const local = (origin: number): BgpPath<A> => ({
            asPath: [],
            origin,
            localPref: BGP_DEFAULT_LOCAL_PREF,
            med: 0,
            ebgp: false,
            local: true,
            igpCost: 0,
            nextHop: unspecified,
            fromRouterId: bgp.routerId,
            fromAddress: unspecified
        });
        if (unicast.networks.some(n => key(n) === key(prefix)) && this.select(device, prefix, false))
            return [local(ORIGIN.igp)];
        for (const r of unicast.redistribute) {
            const present =
                r.source === 'connected' ? this.connected(device, prefix) : this.staticRoute(device, prefix);
            if (present && (!r.routeMap || routeMapPermits(config, r.routeMap, prefix, this.family)))
                return [local(ORIGIN.incomplete)];
        }
        return [];
    }

    /** What `session.from` learns when `session.to` advertises its best path. */
    private exchange(session: BgpSession<A>, advertised: BgpPath<A>, prefix: PrefixOf<A>): BgpPath<A> | undefined {
        const family = this.family;
        const receiver = this.config(session.from)!;
        const sender = this.config(session.to)!;
        const back = family
            .bgp(sender)!
            .neighbors.find(n => family.addressOwner(this.network, n.address)?.device === session.from)!;
        if (session.ebgp) {
            if (sender.bgp!.ebgpRequiresPolicy && !back.routeMapOut) return undefined;
            if (receiver.bgp!.ebgpRequiresPolicy && !session.neighbor.routeMapIn) return undefined;
        } else if (!advertised.local && !advertised.ebgp) {
            return undefined; // iBGP split horizon
        }
        if (back.routeMapOut && !routeMapPermits(sender, back.routeMapOut, prefix, family)) return undefined;
        const asPath = session.ebgp ? [sender.bgp!.asn, ...advertised.asPath] : advertised.asPath;
        if (session.ebgp && asPath.includes(receiver.bgp!.asn)) return undefined;
        if (session.neighbor.routeMapIn && !routeMapPermits(receiver, session.neighbor.routeMapIn, prefix, family))
            return undefined;
        const nextHop = session.ebgp || advertised.local || back.nextHopSelf ? session.peerAddress : advertised.nextHop;
        if (unresolved(this.resolve(session.from, nextHop, 0))) return undefined;
        return {
            asPath,
            origin: advertised.origin,
            localPref: session.ebgp ? BGP_DEFAULT_LOCAL_PREF : advertised.localPref,
            med: advertised.med,
            ebgp: session.ebgp,
            local: false,
            igpCost: this.igpCost(session.from, nextHop),
            nextHop,
            fromRouterId: sender.bgp!.routerId,
            fromAddress: session.peerAddress,
            fromDevice: session.to
        };
    }

    private igpCost(device: string, address: A): number {
        if (this.portOn(device, address)) return 0;
        const owner = this.family.addressOwner(this.network, address);
        return owner ? (this.ospfDistancesTo(owner.device).get(device) ?? Infinity) : Infinity;
    }

    /** BGP's route for a prefix: its selected paths, each resolved through the IGP. */
    private bgpRoute(device: string, prefix: PrefixOf<A>): Route<A> | undefined {
        const config = this.config(device);
        if (!config?.bgp || !this.family.bgp(config)) return undefined;
        const paths = this.bgpPaths(prefix).get(device) ?? [];
        if (paths.length === 0 || paths[0].local) return undefined;
        const protocol = paths[0].ebgp ? 'ebgp' : 'ibgp';
        return resolvedRoute(
            prefix,
            protocol,
            ADMIN_DISTANCE[protocol],
            paths.map(path => this.resolve(device, path.nextHop, 0))
        );
    }
}

function unresolved<A extends Bound>(resolution: Resolution<A>): boolean {
    return resolution !== 'blackhole' && resolution.length === 0;
}

function forwards<A extends Bound>(resolution: Resolution<A>): resolution is NextHop<A>[] {
    return resolution !== 'blackhole' && resolution.length > 0;
}

/**
 * A route over the next hops its resolutions give. Where they all end in a blackhole, the route is
 * one; where only some do, the kernel forwards over the others (measured on FRR 8.4).
 */
function resolvedRoute<A extends Bound>(
    prefix: PrefixOf<A>,
    protocol: Protocol,
    distance: number,
    resolutions: Resolution<A>[]
): Route<A> | undefined {
    const nextHops: NextHop<A>[] = [];
    for (const hop of resolutions.flatMap(r => (r === 'blackhole' ? [] : r))) {
        if (!nextHops.some(h => h.interface === hop.interface && h.address === hop.address)) nextHops.push(hop);
    }
    if (nextHops.length > 0) return { prefix, protocol, distance, nextHops };
    return resolutions.includes('blackhole') ? { prefix, protocol, distance, nextHops, blackhole: true } : undefined;
}

/**
 * Whether OSPF neighbours on a link exchange routes, as FRR 8.4 does: both send hellos (neither is
 * passive), they agree on the hello and dead intervals and on authentication (type, and for MD5
 * the key id sent and its key), and on the network type: with point-to-point at one end and
 * broadcast at the other they reach Full, but their router-LSAs describe the link differently and
 * SPF uses it in neither direction.
 */
function ospfAdjacent(a: OspfInterface, b: OspfInterface): boolean {
    return (
        !a.passive &&
        !b.passive &&
        a.pointToPoint === b.pointToPoint &&
        (a.helloInterval ?? OSPF_HELLO_DEFAULT) === (b.helloInterval ?? OSPF_HELLO_DEFAULT) &&
        (a.deadInterval ?? OSPF_DEAD_DEFAULT) === (b.deadInterval ?? OSPF_DEAD_DEFAULT) &&
        sameAuthentication(a.authentication, b.authentication)
    );
}

function sameAuthentication(a: OspfAuthentication | undefined, b: OspfAuthentication | undefined): boolean {
    if (!a || !b) return a === b;
    if (a.kind === 'md5') return b.kind === 'md5' && a.keyId === b.keyId && a.key === b.key;
    return b.kind === 'simple' && a.key === b.key;
}

/** Failed links, with the links of failed interfaces. */
function failedLinksOf(network: SimNetwork, failures: Failures): Set<number> {
    const links = new Set(failures.links);
    for (const name of failures.interfaces) {
        const colon = name.indexOf(':');
        const link = network.port(name.slice(0, colon), name.slice(colon + 1))?.peer?.link;
        if (link !== undefined) links.add(link);
    }
    return links;
}

function asMatches(remoteAs: BgpNeighbor['remoteAs'], peerAsn: number, ownAsn: number): boolean {
    if (remoteAs === 'external') return peerAsn !== ownAsn;
    if (remoteAs === 'internal') return peerAsn === ownAsn;
    return remoteAs === peerAsn;
}

/**
 * A route-map's verdict on a prefix of a family: the first entry that matches decides (an entry
 * matching a prefix-list of the other family matches none); none, or no such map, denies.
 */
export function routeMapPermits<A extends Bound>(
    config: DeviceConfig,
    name: string,
    prefix: PrefixOf<A>,
    family: RoutingFamily<A>
): boolean {
    const map: RouteMap | undefined = config.routeMaps.find(m => m.name === name);
    if (!map) return false;
    for (const entry of [...map.entries].sort((a, b) => a.seq - b.seq)) {
        // Its match clauses must all hold: a prefix-list of the other family matches no prefix of this one.
        const lists = [entry.matchPrefixList, entry.matchPrefixList6].filter(l => l !== undefined).length;
        const own = family.routeMapMatch(entry);
        const matches = own === undefined ? lists === 0 : lists === 1 && prefixListPermits(config, own, prefix, family);
        if (matches) return entry.action === 'permit';
    }
    return false;
}

function prefixListPermits<A extends Bound>(
    config: DeviceConfig,
    name: string,
    prefix: PrefixOf<A>,
    family: RoutingFamily<A>
): boolean {
    const list = family.prefixLists(config).find(l => l.name === name);
    if (!list) return false;
    for (const entry of [...list.entries].sort((a, b) => a.seq - b.seq)) {
        const within =
            prefix.length >= entry.prefix.length &&
            family.mask(prefix.network, entry.prefix.length) === entry.prefix.network;
        const lengthOk = entry.le === undefined ? prefix.length === entry.prefix.length : prefix.length <= entry.le;
        if (within && lengthOk) return entry.action === 'permit';
    }
    return false;
}

/** BGP best path, then the paths equal to it that multipath may use alongside (up to the family's maximum-paths). */
function selectBgp<A extends Bound>(candidates: BgpPath<A>[], bgp: BgpConfig, maximumPaths: number): BgpPath<A>[] {
    if (candidates.length === 0) return [];
    const sorted = [...candidates].sort(compareBgp);
    const best = sorted[0];
    if (best.local) return [best];
    const equal = sorted.filter(
        p =>
            !p.local &&
            p.localPref === best.localPref &&
            p.asPath.length === best.asPath.length &&
            p.origin === best.origin &&
            p.med === best.med &&
            p.ebgp === best.ebgp &&
            p.igpCost === best.igpCost &&
            (bgp.multipathRelax || p.asPath[0] === best.asPath[0])
    );
    return equal.slice(0, Math.max(1, maximumPaths));
}

function compareBgp<A extends Bound>(a: BgpPath<A>, b: BgpPath<A>): number {
    return (
        b.localPref - a.localPref ||
        Number(b.local) - Number(a.local) ||
        a.asPath.length - b.asPath.length ||
        a.origin - b.origin ||
        (a.asPath[0] === b.asPath[0] ? a.med - b.med : 0) ||
        Number(b.ebgp) - Number(a.ebgp) ||
        a.igpCost - b.igpCost ||
        a.fromRouterId - b.fromRouterId ||
        (a.fromAddress < b.fromAddress ? -1 : a.fromAddress > b.fromAddress ? 1 : 0)
    );
}

function samePaths<A extends Bound>(a: BgpPath<A>[], b: BgpPath<A>[]): boolean {
    return (
        a.length === b.length &&
        a.every(
            (p, i) =>
                p.nextHop === b[i].nextHop &&
                p.asPath.join(' ') === b[i].asPath.join(' ') &&
                p.fromAddress === b[i].fromAddress
        )
    );
}

/** Every prefix any device could route, for longest-prefix matching, in one family. */
/** Whether two OSPF graphs have the same routers, each with the same neighbours over the same links at the same costs. */
function sameAdjacencies(
    a: ReadonlyMap<string, ReadonlyArray<OspfEdge<Bound>>>,
    b: ReadonlyMap<string, ReadonlyArray<OspfEdge<Bound>>>
): boolean {
    const edges = (list: ReadonlyArray<OspfEdge<Bound>>) =>
        list
            .map(e => `${e.link}>${e.to}:${e.cost}`)
            .sort()
            .join();
    return (
        a.size === b.size && [...a].every(([router, list]) => b.has(router) && edges(list) === edges(b.get(router)!))
    );
}

/**
 * A map key for an address: V8 hashes a bigint by its low 64 bits alone, which every IPv6 /64
 * network shares (zero), so IPv6 addresses go by text.
 */
function hashKey(address: Bound): number | string {
    return typeof address === 'bigint' ? address.toString(36) : address;
}

export class PrefixUniverse<A extends Bound = number> {
    /** Per length, the prefixes by their network's hashKey. */
    private readonly byLength: Array<Map<number | string, PrefixOf<A>>>;
    /** The lengths some prefix has, longest first: an IPv6 lookup then masks a handful of times, not 129. */
    private readonly lengths: number[];
    private classStarts?: A[];
    private readonly prefixesOfClass: Array<PrefixOf<A>[] | undefined> = [];

    constructor(
        configs: Iterable<DeviceConfig>,
        private readonly family: RoutingFamily<A> = IPV4_ROUTING as unknown as RoutingFamily<A>
    ) {
        this.byLength = Array.from({ length: family.addresses.bits + 1 }, () => new Map());
        // Always: steering's policy tables hold default routes, and a session that keeps the
        // routing when only filters and steering change must find them in tables added later.
        this.add({ network: family.mask(family.all.intervals[0][0], 0), length: 0 });
        for (const config of configs) for (const prefix of family.prefixesOf(config)) this.add(prefix);
        this.lengths = this.byLength.flatMap((map, length) => (map.size > 0 ? [length] : [])).reverse();
    }

    private add(prefix: PrefixOf<A>): void {
        this.byLength[prefix.length].set(hashKey(prefix.network), prefix);
    }

    /** Every prefix. */
    all(): PrefixOf<A>[] {
        return this.byLength.flatMap(map => [...map.values()]);
    }

    /** The prefixes that contain an address, longest first. */
    containing(address: A): PrefixOf<A>[] {
        const out: PrefixOf<A>[] = [];
        for (const length of this.lengths) {
            const found = this.byLength[length].get(hashKey(this.family.mask(address, length)));
            if (found) out.push(found);
        }
        return out;
    }

    /** Every boundary where the set of containing prefixes changes (the start of each address class), in order. */
    boundaries(): readonly A[] {
        return (this.classStarts ??= this.computeBoundaries());
    }

    /** The index of the address class an address is in (its place in boundaries()). */
    classOf(address: A): number {
        const starts = this.boundaries();
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (starts[mid] <= address) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The prefixes that contain the addresses of a class, longest first. */
    classContaining(index: number): readonly PrefixOf<A>[] {
        return (this.prefixesOfClass[index] ??= this.containing(this.boundaries()[index]));
    }

    private computeBoundaries(): A[] {
        const [[first, top]] = this.family.all.intervals;
        const points = new Set<A>([first]);
        for (const map of this.byLength) {
            for (const prefix of map.values()) {
                points.add(prefix.network);
                const last = this.family.addresses.last(prefix);
                if (last !== top) points.add(this.family.addresses.add(last, 1));
            }
        }
        return [...points].sort(compareBounds);
    }
}
