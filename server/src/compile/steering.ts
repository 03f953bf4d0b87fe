/**
 * Path constraints → steering, owned by FRR so that it follows the network and comes back after a
 * link does, and failing closed: a steered packet that cannot go the way it must is dropped, never
 * sent around its waypoint.
 *
 * Where the underlay's own shortest paths already meet an allow's constraints (and it asks for no
 * failure tolerance), nothing is added. Otherwise, two ways, both as nftables marks in a prerouting
 * chain, a policy rule per mark, and a routing table per mark that FRR keeps (`ip route … table
 * N`), whose last route is a blackhole:
 *
 * - Waypoints alone (`via X`, `via any of X, Y`, several in order): every device sends the flow's
 *   packets that have not passed the next waypoint yet toward it, by the IGP (a recursive route to
 *   the waypoint's address: its loopback, or an anycast address the waypoints of an `any of` share),
 *   so steering survives every failure the IGP does. Which waypoints a packet passed travels in its
 *   DSCP: an edge sets it to 0 for the flow's packets, each waypoint to one more.
 * - With avoid, hops or latency: a path that meets them all is pinned hop by hop (keyed on the
 *   interface the flow arrives on, so a path may pass a device twice); it does not reroute.
 *
 * Each family alike, by its own means: IPv4 by `ip dscp`, `ip rule` and `ip route … table N` toward
 * a waypoint's loopback or anycast address, IPv6 by `ip6 dscp` (the traffic class), `ip -6 rule`
 * and `ipv6 route … table N` toward its IPv6 loopback (IPv6 has no anycast waypoint addresses, so
 * `via any of` is steered in IPv4 only). The marks and tables of each family are numbered apart:
 * the kernel keeps each family's rules and tables apart.
 *
 * A stateful allow steers its replies too (through the waypoints in the reverse order). An edge
 * steers only packets of the flow's own direction: requests where it starts, replies of
 * connections it saw leave where it ends; a packet that merely looks like one (a reply of another
 * connection that uses the same ports) is given NOT_STEERED_DSCP there and routed as without steering. What no path can meet is a warning at the
 * statement; the verifier reports it as violated.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Diagnostic } from '../common/diagnostic.js';
import type { FilterChain, FilterRule, IpRule, PacketMatch, StaticRoute, StaticRoute6 } from '../config/model.js';
import { PRIORITIES, STEER_CHAIN, TABLE_NAME } from '../config/nftables/render.js';
import { constrainsPath, type EndpointSet, type IntentProgram, type Requirement } from '../intent/model.js';
import { describeWaypoint, waypointsPassed } from '../intent/waypoints.js';
import type { Addresses } from '../net/family.js';
import { IntervalSet, type Bound } from '../net/interval-set.js';
import type { Cube, PacketSet } from '../net/packet-set.js';
import { shortestPaths, type Edge, type Graph, type ShortestPaths } from '../net/shortest-paths.js';
import type { Topology, Metric } from './topology.js';
import { linkIndices } from '../twin/model.js';
import { placeIndexOf, type Place, type PlaceIndex } from '../twin/places.js';
import { matchOf, matchOf6 } from './filter.js';
import { requirementFingerprint } from '../intent/fingerprint.js';

/**
 * Where a steered packet goes: toward an address by the IGP (a waypoint), or to fixed next hops
 * (a pinned path); IPv4 addresses are numbers, IPv6 ones bigints.
 */
export type SteeringTarget<A extends Bound = number> =
    { kind: 'toward'; address: A } | { kind: 'next'; nextHops: readonly A[] };

/** One rule of a device's steer chain; with a target, its packets are marked for that target's table. */
export interface SteeringRule {
    rule: FilterRule;
    target?: SteeringTarget | SteeringTarget<bigint>;
}

export interface Steering {
    /** Per device, its steer rules in order. */
    rules: Map<string, SteeringRule[]>;
    warnings: Diagnostic[];
}

/**
 * The address each waypoint set is steered to, per family: a device's loopback, or (IPv4 only) the
 * anycast address its members share.
 */
export interface WaypointAddresses {
    v4: ReadonlyMap<string, number>;
    v6: ReadonlyMap<string, bigint>;
}

/** A path as devices and the links between them. */
interface Path {
    devices: string[];
    links: number[];
}

/** What the last compile made: each constrained requirement's steering by fingerprint, and them merged. */
export interface SteeringCache {
    byRequirement: Map<string, Steering>;
    /** The merged steering, with the requirements' steering it was merged from, in order. */
    merged: Steering & { from: readonly Steering[] };
}

/** Marks and tables of a device's steering: mark 0x100 + n selects table 1000 + n (by a rule of priority 1000 + n). */
const FIRST_MARK = 0x100;
const FIRST_TABLE = 1000;
/**
 * The DSCP an edge gives packets that look like replies of a steered flow but are not (no
 * connection of theirs was seen there): no steering rule matches it, so they are routed as
 * they would be without steering (a client that happens to use a steered service's port as its
 * own source port is not sent through the waypoint). Waypoint stages count up from 0 below it.
 */
export const NOT_STEERED_DSCP = 63;
/** The distance of a steering table's last route, a blackhole: it decides only where no other route can. */
const FAIL_CLOSED_DISTANCE = 254;

/** What a device's steering is made of: its prerouting chain of marks, a policy rule per mark, the routes of each table; per family. */
export interface DeviceSteering {
    chain?: FilterChain;
    ipRules: IpRule[];
    tableRoutes: StaticRoute[];
    ipRules6: IpRule[];
    tableRoutes6: StaticRoute6[];
}

const marked = new WeakMap<FilterRule, Map<number, FilterRule>>();

/**
 * Numbers a device's targets of each family, marks each rule's packets for its target's table, and
 * writes each table: toward a waypoint, a recursive route to its address; along a pinned path, the
 * next hops; then a blackhole. Edges reset the DSCP of what enters before any waypoint reads it.
 */
export function deviceSteering(rules: readonly SteeringRule[]): DeviceSteering {
    if (rules.length === 0) return { ipRules: [], tableRoutes: [], ipRules6: [], tableRoutes6: [] };
    const v4 = policyTables(
        rules.flatMap(r => (r.target && !isTarget6(r.target) ? [r.target] : [])),
        0
    );
    const v6 = policyTables(
        rules.flatMap(r => (r.target && isTarget6(r.target) ? [r.target] : [])),
        0n
    );
    // What enters is classified first (the DSCP of look-alikes of replies, then of the steered packets), then marked.
    const order = (r: SteeringRule) =>
        !r.rule.iif || r.rule.setDscp === undefined ? 2 : r.rule.setDscp === NOT_STEERED_DSCP ? 0 : 1;
    const ordered = [...rules].sort((a, b) => order(a) - order(b));
    const chain: FilterChain = {
        table: TABLE_NAME,
        name: STEER_CHAIN,
        base: { hook: 'prerouting', priority: PRIORITIES.mangle, policy: 'accept' },
        rules: ordered.map(({ rule, target }) =>
            target ? withMark(rule, isTarget6(target) ? v6.markOf(target) : v4.markOf(target)) : rule
        )
    };
    return {
        chain,
        ipRules: v4.ipRules,
        tableRoutes: v4.tableRoutes,
        ipRules6: v6.ipRules,
        tableRoutes6: v6.tableRoutes
    };
}

function isTarget6(target: SteeringTarget | SteeringTarget<bigint>): target is SteeringTarget<bigint> {
    return typeof (target.kind === 'toward' ? target.address : target.nextHops[0]) === 'bigint';
}

/**
 * One family's targets numbered in the order of their keys (so that the same steering gives the
 * same numbers): a mark, a policy rule and a table each. `zero`: the family's address 0, the
 * network of the tables' routes (they take every destination).
 */
function policyTables<A extends Bound>(targets: readonly SteeringTarget<A>[], zero: A) {
    const keys = [...new Set(targets.map(targetKey))].sort();
    const byKey = new Map(targets.map(target => [targetKey(target), target] as const));
    const numbers = new Map(keys.map((key, n) => [key, n] as const));
    const everywhere = { network: zero, length: 0 };
    return {
        markOf: (target: SteeringTarget<A>) => FIRST_MARK + numbers.get(targetKey(target))!,
        ipRules: keys.map((_, n): IpRule => ({
            priority: FIRST_TABLE + n,
            fwmark: FIRST_MARK + n,
            table: FIRST_TABLE + n
        })),
        tableRoutes: keys.flatMap((key, n) => {
            const target = byKey.get(key)!;
            const table = FIRST_TABLE + n;
            const hops = target.kind === 'toward' ? [target.address] : target.nextHops;
            return [
                ...hops.map(nextHop => ({ prefix: everywhere, nextHop: nextHop as A | 'blackhole', table })),
                { prefix: everywhere, nextHop: 'blackhole' as const, distance: FAIL_CLOSED_DISTANCE, table }
            ];
        })
    };
}

function targetKey<A extends Bound>(target: SteeringTarget<A>): string {
    return target.kind === 'toward' ? `toward ${target.address}` : `next ${target.nextHops.join(',')}`;
}

/** The rule with a mark: the same object for the same rule and mark, from one compile to the next. */
function withMark(rule: FilterRule, mark: number): FilterRule {
    let byMark = marked.get(rule);
    if (!byMark) marked.set(rule, (byMark = new Map()));
    let found = byMark.get(mark);
    if (!found) byMark.set(mark, (found = { ...rule, setMark: mark }));
    return found;
}

/** The key of a waypoint set in WaypointAddresses. */
export function waypointKey(waypoint: readonly string[]): string {
    return waypoint.join(',');
}

/**
 * Every requirement's steering, taken from `previous` where its fingerprint is there; where
 * `pathsMoved` (link costs were edited), made again and the previous kept only if it comes out the same.
 */
export function compileSteering(
    program: IntentProgram,
    topology: Topology,
    addresses: WaypointAddresses,
    previous?: SteeringCache,
    pathsMoved = false
): Steering & { cache: SteeringCache } {
    const byRequirement = new Map<string, Steering>();
    const pathsFrom = pathsFromOnce();
    const from: Steering[] = [];
    for (const requirement of program.intents.flatMap(i => i.requirements)) {
        if (requirement.kind !== 'allow' || !constrainsPath(requirement.constraints)) continue;
        const fingerprint = requirementFingerprint(requirement);
        const kept = previous?.byRequirement.get(fingerprint);
        const made =
            !kept || pathsMoved
                ? steerRequirement(requirement, topology, placeIndexOf(program.twin), addresses, pathsFrom)
                : undefined;
        const own = kept && (!made || sameSteering(kept, made)) ? kept : made!;
        byRequirement.set(fingerprint, own);
        from.push(own);
    }
    // The same requirements' steering in the same order: merged as it was (its rule lists the same objects).
    const before = previous?.merged;
    let merged: SteeringCache['merged'];
    if (before && before.from.length === from.length && before.from.every((own, i) => own === from[i])) {
        merged = before;
    } else {
        merged = { rules: new Map(), warnings: [], from };
        for (const own of from) {
            merged.warnings.push(...own.warnings);
            for (const [device, rules] of own.rules) add(merged, device, rules);
        }
    }
    return { rules: merged.rules, warnings: merged.warnings, cache: { byRequirement, merged } };
}

/** Compared in place, not as text: a link edit compares every steered requirement's rules, and building their text cost more than making them. */
function sameSteering(a: Steering, b: Steering): boolean {
    return isDeepStrictEqual(a.rules, b.rules) && isDeepStrictEqual(a.warnings, b.warnings);
}

/** The waypoint sets of `via any of` (two devices or more), which need an address of their own. */
export function anycastSets(program: IntentProgram): string[][] {
    const sets = new Map<string, string[]>();
    for (const requirement of program.intents.flatMap(i => i.requirements)) {
        if (requirement.kind !== 'allow') continue;
        for (const waypoint of requirement.constraints.via)
            if (waypoint.length > 1) sets.set(waypointKey(waypoint), waypoint);
    }
    return [...sets.values()].sort((a, b) => waypointKey(a).localeCompare(waypointKey(b)));
}

function steerRequirement(
    requirement: Requirement,
    topology: Topology,
    places: PlaceIndex,
    addresses: WaypointAddresses,
    pathsFrom: PathsFrom
): Steering {
    const steering: Steering = { rules: new Map(), warnings: [] };
    const problems = new Set<string>();
    const steerFamily = <A extends Bound>(family: SteeringFamily<A>, waypoints: ReadonlyMap<string, A>) => {
        const c = requirement.constraints;
        for (const flow of requirement.flows) {
            const sources = family.addresses(flow.source);
            const destinations = family.addresses(flow.destination);
            for (const from of places.namedBy(family.both(sources)).filter(p => p.interface !== undefined)) {
                for (const to of places.namedBy(family.both(destinations))) {
                    if (from === to) continue;
                    const cubes = family
                        .cubes(requirement.effective)
                        .map(cube => ({
                            ...cube,
                            src: cube.src.intersect(sources).intersect(family.hosts(from)),
                            dst: cube.dst.intersect(destinations).intersect(family.hosts(to))
                        }))
                        .filter(cube => !cube.src.isEmpty() && !cube.dst.isEmpty());
                    if (cubes.length === 0 || naturallyMet(requirement, topology, from, to, pathsFrom)) continue;
                    // Toward the waypoints by the IGP where its paths meet the other constraints (then
                    // steering follows failures); else a pinned path.
                    const problem =
                        c.via.length > 0 && waypointPathsMeet(requirement, topology, from.device, to.device, pathsFrom)
                            ? steerToWaypoints(requirement, topology, from, to, cubes, family, waypoints, steering)
                            : pin(requirement, topology, from, to, cubes, family, steering);
                    if (problem) problems.add(problem);
                }
            }
        }
    };
    steerFamily(STEERING_IPV4, addresses.v4);
    steerFamily(STEERING_IPV6, addresses.v6);
    for (const problem of problems) {
        steering.warnings.push({
            ...requirement.location,
            severity: 'warning',
            code: 'not-realisable',
            message: `${problem}${NOT_REALISABLE}`
        });
    }
    return steering;
}

/** How a `not-realisable` warning ends, after what steering could not realise. */
const NOT_REALISABLE = '; the verifier will report this requirement as violated.';

/** What steering reads and writes of one address family. */
interface SteeringFamily<A extends Bound> {
    /** An endpoint's addresses in this family. */
    addresses(endpoint: EndpointSet): IntervalSet<A>;
    /** These addresses, none of the other family's beside them. */
    both(addresses: IntervalSet<A>): Addresses;
    hosts(place: Place): IntervalSet<A>;
    cubes(packets: PacketSet): readonly Cube<A>[];
    matchOf(cube: Cube<A>): PacketMatch;
    /** The address a pinned path's next hop has on a link. */
    nextHop(ends: ReturnType<Topology['ends']>): A | undefined;
    /** Why a waypoint set has no address to be steered to in this family. */
    noAddress(waypoint: readonly string[]): string;
}

const STEERING_IPV4: SteeringFamily<number> = {
    addresses: endpoint => endpoint.addresses,
    both: v4 => ({ v4, v6: IntervalSet.EMPTY6 }),
    hosts: place => place.hosts,
    cubes: packets => packets.cubes,
    matchOf,
    nextHop: ends => ends.remoteAddress,
    noAddress: waypoint =>
        `No address is left in pools.loopbacks for ${describeWaypoint(waypoint)} to be steered to (it needs one of its own)`
};

const STEERING_IPV6: SteeringFamily<bigint> = {
    addresses: endpoint => endpoint.addresses6,
    both: v6 => ({ v4: IntervalSet.EMPTY, v6 }),
    hosts: place => place.hosts6,
    cubes: packets => packets.cubes6,
    matchOf: matchOf6,
    nextHop: ends => ends.remoteAddress6,
    noAddress: waypoint =>
        waypoint.length > 1
            ? `Its IPv6 packets cannot be steered through ${describeWaypoint(waypoint)}: IPv6 has no anycast address for a set of waypoints`
            : `Its IPv6 packets cannot be steered through ${waypoint[0]}: it has no IPv6 loopback (pools.loopbacks6) to be steered to`
};

/**
 * Whether the underlay's own paths meet every constraint. A waypoint asked to hold under failures
 * is steered to all the same: the paths a failure moves to need not pass it (bounds on hops and
 * latency the IGP's rerouting meets or not, and the verifier says which).
 */
function naturallyMet(
    requirement: Requirement,
    topology: Topology,
    from: Place,
    to: Place,
    pathsFrom: PathsFrom
): boolean {
    const c = requirement.constraints;
    if (c.via.length > 0 && (c.survive || requirement.scenarios.length > 0)) return false;
    const graph = topology.graph(routingMetric(topology));
    const bounds = shortestPathBounds(pathsFrom(graph, from.device), to.device, topology, requirement);
    return bounds !== undefined && bounds.waypoints === c.via.length && withinBounds(requirement, bounds);
}

/**
 * Whether the paths waypoint steering takes in the intact network meet the other constraints: by
 * the IGP to the nearest device of each waypoint in turn, then to the destination (so they pass
 * every waypoint in order). Worked out stage by stage over each leg's shortest paths at once: the
 * most devices and latency of a path are the most up to a stage's device plus the most of a leg
 * from it.
 */
function waypointPathsMeet(
    requirement: Requirement,
    topology: Topology,
    from: string,
    to: string,
    pathsFrom: PathsFrom
): boolean {
    const graph = topology.graph(routingMetric(topology));
    let reached = new Map<string, { devices: number; latencyUs: number }>([[from, { devices: 1, latencyUs: 0 }]]);
    const reach = (into: typeof reached, device: string, devices: number, latencyUs: number) => {
        const known = into.get(device);
        into.set(device, {
            devices: Math.max(devices, known?.devices ?? 0),
            latencyUs: Math.max(latencyUs, known?.latencyUs ?? 0)
        });
    };
    for (const stop of [...requirement.constraints.via, [to]]) {
        const next: typeof reached = new Map();
        for (const [here, sofar] of reached) {
            if (stop.includes(here)) {
                reach(next, here, sofar.devices, sofar.latencyUs);
                continue;
            }
            const paths = pathsFrom(graph, here);
            const nearest = Math.min(...stop.map(d => paths.distance.get(d) ?? Infinity));
            for (const target of stop.filter(d => paths.distance.get(d) === nearest)) {
                const leg = shortestPathBounds(paths, target, topology, requirement)!;
                if (leg.avoided) return false;
                reach(next, target, sofar.devices + leg.devices - 1, sofar.latencyUs + leg.latencyUs);
            }
        }
        reached = next;
    }
    const end = reached.get(to);
    return end !== undefined && withinBounds(requirement, { ...end, avoided: false });
}

/** Over a set of paths: the most devices and the most latency one passes, whether one passes what is avoided. */
interface PathBounds {
    devices: number;
    latencyUs: number;
    avoided: boolean;
}

function withinBounds(requirement: Requirement, bounds: PathBounds): boolean {
    const c = requirement.constraints;
    return (
        !bounds.avoided &&
        (c.hops === undefined || bounds.devices <= c.hops) &&
        (c.latencyUs === undefined || bounds.latencyUs <= c.latencyUs)
    );
}

/**
 * The bounds of every shortest path from the source of `paths` to `to`, by dynamic programming over
 * their DAG (never path by path: meshes have exponentially many), with the fewest waypoints any of
 * them passes in order. Undefined where `to` is not reached.
 */
function shortestPathBounds(
    paths: ShortestPaths,
    to: string,
    topology: Topology,
    requirement: Requirement
): (PathBounds & { waypoints: number }) | undefined {
    if (!paths.distance.has(to)) return undefined;
    const c = requirement.constraints;
    const avoidedLinks = linkIndices(topology.twin, c.avoidLinks);
    const known = new Map<string, PathBounds & { waypoints: number }>();
    const boundsAt = (device: string): PathBounds & { waypoints: number } => {
        let found = known.get(device);
        if (found) return found;
        const avoidedHere = c.avoidDevices.includes(device);
        if (device === paths.source) {
            found = { devices: 1, latencyUs: 0, avoided: avoidedHere, waypoints: waypointsPassed(0, device, c.via) };
        } else {
            found = { devices: 0, latencyUs: 0, avoided: avoidedHere, waypoints: c.via.length };
            for (const { from, edge } of paths.predecessors.get(device) ?? []) {
                const before = boundsAt(from);
                found.devices = Math.max(found.devices, before.devices + 1);
                found.latencyUs = Math.max(
                    found.latencyUs,
                    before.latencyUs + topology.twin.links[edge.link].latencyUs
                );
                found.avoided ||= before.avoided || avoidedLinks.has(edge.link);
                found.waypoints = Math.min(found.waypoints, before.waypoints);
            }
            found.waypoints = waypointsPassed(found.waypoints, device, c.via);
        }
        known.set(device, found);
        return found;
    };
    return boundsAt(to);
}

/**
 * Waypoints by the IGP: the edge where the flow enters resets its DSCP to 0; on every device a
 * packet of the flow with DSCP i (it passed i waypoints) is sent toward waypoint i's address;
 * waypoint i's devices set it to i + 1 first. The replies of a stateful allow likewise, from the
 * destination's edge, through the waypoints in the reverse order.
 */
function steerToWaypoints<A extends Bound>(
    requirement: Requirement,
    topology: Topology,
    from: Place,
    to: Place,
    cubes: Cube<A>[],
    family: SteeringFamily<A>,
    addresses: ReadonlyMap<string, A>,
    steering: Steering
): string | undefined {
    const via = requirement.constraints.via;
    const missing = via.find(w => !addresses.has(waypointKey(w)));
    if (missing) return family.noAddress(missing);
    if (via.length >= NOT_STEERED_DSCP)
        return `More waypoints than the DSCP can count (${NOT_STEERED_DSCP - 1} at most)`;
    const steerAll = (edge: Place, matches: PacketMatch[], waypoints: string[][], label: string, replies: boolean) => {
        const comment = `${requirement.intent}: ${label}`;
        add(steering, edge.device, edgeRules(edge, matches, comment, replies ? 'reply' : 'original'));
        waypoints.forEach((waypoint, stage) => {
            const staged = matches.map(match => ({ ...match, dscp: [[stage, stage]] as const }));
            const address = addresses.get(waypointKey(waypoint))!;
            // Every device off the waypoint steers alike: one set of rules (immutable) stands on all of them.
            const target = { kind: 'toward', address } as SteeringTarget | SteeringTarget<bigint>;
            const toward: SteeringRule[] = staged.map(match => ({
                rule: {
                    match,
                    verdict: { kind: 'continue' },
                    comment: `${comment}: toward ${describeWaypoint(waypoint)}`
                },
                target
            }));
            for (const device of topology.twin.devices.keys()) {
                add(
                    steering,
                    device,
                    waypoint.includes(device)
                        ? staged.map(match => ({
                              rule: {
                                  match,
                                  verdict: { kind: 'continue' },
                                  setDscp: stage + 1,
                                  comment: `${comment}: passes ${device}`
                              }
                          }))
                        : toward
                );
            }
        });
    };
    steerAll(from, cubes.map(family.matchOf), via, `steer through ${via.map(describeWaypoint).join(', then ')}`, false);
    if (requirement.stateful && to.interface !== undefined) {
        steerAll(
            to,
            cubes.map(cube => family.matchOf(replyCube(cube))),
            [...via].reverse(),
            'steer the replies back',
            true
        );
    }
    return undefined;
}

/**
 * The rules of an edge for the packets of a steered flow that enter by it: their DSCP set to 0
 * (no waypoint passed yet). Only packets of the flow's own direction count: the flow's requests
 * where it starts (`ct direction original`: never the reply of a connection opened from the other
 * side that happens to use the same ports), its replies where it ends (`ct direction reply`: of a
 * connection this edge saw leave). Every other packet that looks like them gets NOT_STEERED_DSCP
 * first, and no steering rule matches it.
 */
function edgeRules(
    edge: Place,
    matches: PacketMatch[],
    comment: string,
    direction: 'original' | 'reply'
): SteeringRule[] {
    const iif = { names: [edge.interface!], negate: false };
    return [
        ...matches.map(match => ({
            rule: {
                iif,
                match,
                verdict: { kind: 'continue' },
                setDscp: NOT_STEERED_DSCP,
                comment: `${comment}: enters, not steered unless ${direction === 'reply' ? 'a reply' : 'a request'}`
            } as FilterRule
        })),
        ...matches.map(match => ({
            rule: {
                iif,
                match,
                ctDirection: direction,
                verdict: { kind: 'continue' },
                setDscp: 0,
                comment: `${comment}: enters, passed no waypoint`
            } as FilterRule
        }))
    ];
}

/** A pinned path: per hop, the packets arriving on the interface the path comes in by go to its next hop. */
function pin<A extends Bound>(
    requirement: Requirement,
    topology: Topology,
    from: Place,
    to: Place,
    cubes: Cube<A>[],
    family: SteeringFamily<A>,
    steering: Steering
): string | undefined {
    const c = requirement.constraints;
    const excludedNodes = new Set(c.avoidDevices);
    const excludedLinks = linkIndices(topology.twin, c.avoidLinks);
    const metric: Metric =
        c.latencyUs !== undefined ? 'latency' : c.hops !== undefined ? 'hops' : routingMetric(topology);
    const graph = topology.graph(metric);
    const path: Path = { devices: [from.device], links: [] };
    for (const stop of [...c.via, [to.device]]) {
        const here = path.devices[path.devices.length - 1];
        // To the nearest member of the waypoint set.
        const legs = stop
            .map(target =>
                bestPath(graph, here, target, {
                    nodes: new Set([...excludedNodes].filter(n => n !== target && n !== here)),
                    links: excludedLinks
                })
            )
            .filter((leg): leg is Path & { cost: number } => leg !== undefined)
            .sort((a, b) => a.cost - b.cost);
        if (legs.length === 0) {
            const avoiding =
                c.avoidDevices.length + c.avoidLinks.length > 0 ? ' while avoiding what it must avoid' : '';
            return `No path leads from ${here} to ${describeWaypoint(stop)}${avoiding}`;
        }
        path.devices.push(...legs[0].devices.slice(1));
        path.links.push(...legs[0].links);
    }
    if (excludedNodes.has(from.device) || excludedNodes.has(to.device))
        return `The path must avoid ${from.device === to.device ? from.device : [...excludedNodes].find(n => n === from.device || n === to.device)}, where the traffic enters or leaves`;
    const problem = unmet(requirement, topology, path);
    const comment = `${requirement.intent}: steer ${path.devices.join(' → ')}`;
    // The flow's packets are told from look-alikes where they enter (by their DSCP from there on).
    const requests = cubes.map(family.matchOf);
    add(steering, from.device, edgeRules(from, requests, comment, 'original'));
    pinAlong(
        topology,
        family,
        path,
        from.interface!,
        requests.map(match => ({ ...match, dscp: [[0, 0]] as const })),
        comment,
        steering
    );
    if (requirement.stateful && to.interface !== undefined) {
        // Replies are told from look-alikes where they enter (by their DSCP from there on).
        const reverse: Path = { devices: [...path.devices].reverse(), links: [...path.links].reverse() };
        const replies = cubes.map(cube => family.matchOf(replyCube(cube)));
        add(steering, to.device, edgeRules(to, replies, `${comment} (replies)`, 'reply'));
        pinAlong(
            topology,
            family,
            reverse,
            to.interface,
            replies.map(match => ({ ...match, dscp: [[0, 0]] as const })),
            `${comment} (replies)`,
            steering
        );
    }
    if (!problem && c.survive) {
        return `Its path is pinned (${path.devices.join(' → ')}) to meet its avoid, hops or latency bound, and does not reroute around failures (it fails closed), so 'survive ${c.survive.count} ${c.survive.kind} failure' cannot hold together with it`;
    }
    return problem;
}

function pinAlong<A extends Bound>(
    topology: Topology,
    family: SteeringFamily<A>,
    path: Path,
    firstInterface: string,
    matches: PacketMatch[],
    comment: string,
    steering: Steering
): void {
    for (let i = 0; i < path.links.length; i++) {
        const device = path.devices[i];
        const ingress = i === 0 ? firstInterface : topology.ends(path.links[i - 1], device).local.interface;
        const nextHop = family.nextHop(topology.ends(path.links[i], device));
        if (nextHop === undefined) continue;
        add(
            steering,
            device,
            matches.map(match => ({
                rule: { iif: { names: [ingress], negate: false }, match, verdict: { kind: 'continue' }, comment },
                target: { kind: 'next', nextHops: [nextHop] } as SteeringTarget | SteeringTarget<bigint>
            }))
        );
    }
}

/** The replies of a cube's packets: addresses swapped, the service's ports as source ports. */
function replyCube<A extends Bound>(cube: Cube<A>): Cube<A> {
    return {
        src: cube.dst,
        dst: cube.src,
        protocol: cube.protocol,
        dstPort: cube.srcPort,
        srcPort: cube.dstPort,
        dscp: cube.dscp
    };
}

function add(steering: Steering, device: string, rules: SteeringRule[]): void {
    const list = steering.rules.get(device) ?? [];
    list.push(...rules);
    steering.rules.set(device, list);
}

function routingMetric(topology: Topology): Metric {
    return topology.twin.routing === 'bgp' ? 'hops' : 'cost';
}

/** The hop and latency bounds a path breaks, as a sentence. */
function unmet(requirement: Requirement, topology: Topology, path: Path): string | undefined {
    const c = requirement.constraints;
    if (c.hops !== undefined && path.devices.length > c.hops) {
        return `The shortest path that meets its other constraints passes ${path.devices.length} devices (${path.devices.join(' → ')}), more than hops <= ${c.hops}`;
    }
    const latency = path.links.reduce((sum, l) => sum + topology.twin.links[l].latencyUs, 0);
    if (c.latencyUs !== undefined && latency > c.latencyUs) {
        return `The lowest-latency path that meets its other constraints takes ${latency}us (${path.devices.join(' → ')}), more than latency <= ${c.latencyUs}us`;
    }
    return undefined;
}

/** Shortest paths from a device over a graph, each computed once in one compile (many flows share sources and waypoints). */
type PathsFrom = (graph: Graph, from: string) => ShortestPaths;

function pathsFromOnce(): PathsFrom {
    const computed = new Map<Graph, Map<string, ShortestPaths>>();
    return (graph, from) => {
        let byDevice = computed.get(graph);
        if (!byDevice) computed.set(graph, (byDevice = new Map()));
        let paths = byDevice.get(from);
        if (!paths) byDevice.set(from, (paths = shortestPaths(graph, from)));
        return paths;
    };
}

/** One shortest path and its cost, the same on every run: ties go to the lower link index. */
function bestPath(
    graph: Graph,
    from: string,
    to: string,
    exclusions: { nodes: ReadonlySet<string>; links: ReadonlySet<number> }
): (Path & { cost: number }) | undefined {
    const paths = shortestPaths(graph, from, exclusions);
    if (!paths.distance.has(to)) return undefined;
    const devices = [to];
    const links: number[] = [];
    let node = to;
    while (node !== from) {
        const step = [...paths.predecessors.get(node)!].sort((x, y) => x.edge.link - y.edge.link)[0] as {
            from: string;
            edge: Edge;
        };
        links.unshift(step.edge.link);
        devices.unshift(step.from);
        node = step.from;
    }
    return { devices, links, cost: paths.distance.get(to)! };
}

/** A requirement's steering as `check --explain` tells it (docs/cli.md, "Steering"). */
export interface SteeringSummary {
    /**
     * `waypoints`: toward each waypoint by the IGP, the waypoints passed counted in the DSCP;
     * `pinned`: a path fixed hop by hop; `none`: the underlay's own paths meet the constraints.
     */
    method: 'waypoints' | 'pinned' | 'none';
    /** Where the flow's packets (and its replies') enter and are classified: `device:interface`. */
    marked: string[];
    /** The waypoints that count themselves passed (one more in the DSCP). */
    waypoints: string[];
    /** The devices with a policy table (a mark, a rule and a table) for it. */
    tables: string[];
    /** What steering could not realise (the `not-realisable` warnings at the statement). */
    problems: string[];
}

/** What a requirement's steering (as compiled) is made of, in short. */
export function summarizeSteering(steering: Steering): SteeringSummary {
    const marked = new Set<string>();
    const waypoints = new Set<string>();
    const tables = new Set<string>();
    let method: SteeringSummary['method'] = 'none';
    for (const [device, rules] of steering.rules) {
        for (const { rule, target } of rules) {
            if (rule.iif && rule.setDscp === 0) for (const name of rule.iif.names) marked.add(`${device}:${name}`);
            else if (rule.setDscp !== undefined && rule.setDscp !== NOT_STEERED_DSCP) waypoints.add(device);
            if (!target) continue;
            tables.add(device);
            if (target.kind === 'toward') method = 'waypoints';
            else if (method === 'none') method = 'pinned';
        }
    }
    const sorted = (set: Set<string>) => [...set].sort();
    return {
        method,
        marked: sorted(marked),
        waypoints: sorted(waypoints),
        tables: sorted(tables),
        problems: steering.warnings.map(w =>
            w.message.endsWith(NOT_REALISABLE) ? w.message.slice(0, -NOT_REALISABLE.length) : w.message
        )
    };
}
