/**
 * Path constraints → steering. Where the underlay's own shortest paths already meet an allow's
 * `via`, `avoid`, `hops` and `latency`, nothing is added. Otherwise the compiler picks a path that
 * meets them and installs policy routes along it (keyed on the interface the flow arrives on, so a
 * path may pass a device twice), and along its reverse for the replies of a stateful allow.
 * What no path can meet is a warning at the statement; the verifier reports it as violated.
 */
import type { Diagnostic } from '../common/diagnostic.js';
import type { PolicyRoute, PolicyRouteRule } from '../config/model.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import { IntervalSet } from '../net/interval-set.js';
import { shortestPaths, type Edge, type Graph } from '../net/shortest-paths.js';
import type { Topology, Metric } from './topology.js';
import { namesPlace, placesOf, type Place } from '../twin/places.js';
import { matchOf } from './filter.js';
import { requirementFingerprint } from '../intent/fingerprint.js';

export interface Steering {
    policyRoutes: Map<string, PolicyRoute[]>;
    warnings: Diagnostic[];
}

/** A path as devices and the links between them. */
interface Path {
    devices: string[];
    links: number[];
}

/** At most this many equal-cost paths are examined per flow before the check gives up on enumeration. */
const MAX_PATHS = 256;

/** Each constrained requirement's steering, by fingerprint, as the last compile made it. */
export type SteeringCache = Map<string, Steering>;

export function compileSteering(program: IntentProgram, topology: Topology, previous?: SteeringCache): Steering & { cache: SteeringCache } {
    const merged: Steering = { policyRoutes: new Map(), warnings: [] };
    const cache: SteeringCache = new Map();
    const places = placesOf(program.twin);
    for (const requirement of program.intents.flatMap(i => i.requirements)) {
        if (requirement.kind !== 'allow' || !constrained(requirement)) continue;
        const fingerprint = requirementFingerprint(requirement);
        const own = previous?.get(fingerprint) ?? steerRequirement(requirement, topology, places);
        cache.set(fingerprint, own);
        merged.warnings.push(...own.warnings);
        for (const [device, routes] of own.policyRoutes) {
            for (const route of routes) addRules(merged, device, route.interface, route.rules);
        }
    }
    return { ...merged, cache };
}

function steerRequirement(requirement: Requirement, topology: Topology, places: Place[]): Steering {
    const steering: Steering = { policyRoutes: new Map(), warnings: [] };
    const problems = new Set<string>();
    for (const flow of requirement.flows) {
        for (const from of places.filter(p => p.interface !== undefined && namesPlace(flow.source.addresses, p))) {
            for (const to of places.filter(p => namesPlace(flow.destination.addresses, p))) {
                if (from === to || (from.device === to.device && requirement.constraints.via.every(v => v === from.device))) continue;
                const problem = steer(requirement, topology, from, to, flow.source.addresses.intersect(from.hosts), flow.destination.addresses.intersect(to.hosts), steering);
                if (problem) problems.add(problem);
            }
        }
    }
    for (const problem of problems) {
        steering.warnings.push({ ...requirement.location, severity: 'warning', code: 'not-realisable', message: `${problem}; the verifier will report this requirement as violated.` });
    }
    return steering;
}

function constrained(requirement: Requirement): boolean {
    const c = requirement.constraints;
    return c.via.length > 0 || c.avoidDevices.length > 0 || c.avoidLinks.length > 0 || c.hops !== undefined || c.latencyUs !== undefined;
}

/** Steers one (source place, destination place) pair if needed; returns what cannot be met. */
function steer(requirement: Requirement, topology: Topology, from: Place, to: Place, sources: IntervalSet, destinations: IntervalSet, steering: Steering): string | undefined {
    const c = requirement.constraints;
    const natural = equalCostPaths(topology.graph(routingMetric(topology)), from.device, to.device);
    if (natural.length > 0 && natural.every(p => meets(requirement, topology, p))) return undefined;
    const excludedNodes = new Set(c.avoidDevices);
    const excludedLinks = new Set(c.avoidLinks.map(l => topology.twin.links.findIndex(t =>
        (t.a.device === l.a.device && t.a.interface === l.a.interface && t.b.device === l.b.device && t.b.interface === l.b.interface) ||
        (t.a.device === l.b.device && t.a.interface === l.b.interface && t.b.device === l.a.device && t.b.interface === l.a.interface))));
    const metric: Metric = c.latencyUs !== undefined ? 'latency' : c.hops !== undefined ? 'hops' : routingMetric(topology);
    const graph = topology.graph(metric);
    const stops = [from.device, ...c.via, to.device];
    const path: Path = { devices: [from.device], links: [] };
    for (let i = 1; i < stops.length; i++) {
        const leg = bestPath(graph, stops[i - 1], stops[i], { nodes: new Set([...excludedNodes].filter(n => n !== stops[i] && n !== stops[i - 1])), links: excludedLinks });
        if (!leg) {
            const avoiding = c.avoidDevices.length + c.avoidLinks.length > 0 ? ' while avoiding what it must avoid' : '';
            return `No path leads from ${from.device} to ${stops[i]}${avoiding}`;
        }
        path.devices.push(...leg.devices.slice(1));
        path.links.push(...leg.links);
    }
    if (excludedNodes.has(from.device) || excludedNodes.has(to.device)) return `The path must avoid ${from.device === to.device ? from.device : [...excludedNodes].find(n => n === from.device || n === to.device)}, where the traffic enters or leaves`;
    const problem = unmet(requirement, topology, path);
    install(requirement, topology, path, from, to, sources, destinations, steering);
    if (!problem && c.survive) {
        return `Its path is pinned by policy routes (${path.devices.join(' → ')}), which do not reroute around failures, so 'survive ${c.survive.count} ${c.survive.kind} failure' cannot hold together with it`;
    }
    return problem;
}

function routingMetric(topology: Topology): Metric {
    return topology.twin.routing === 'bgp' ? 'hops' : 'cost';
}

function meets(requirement: Requirement, topology: Topology, path: Path): boolean {
    return unmet(requirement, topology, path) === undefined && followsConstraints(requirement, topology, path);
}

function followsConstraints(requirement: Requirement, topology: Topology, path: Path): boolean {
    const c = requirement.constraints;
    let at = 0;
    for (const waypoint of c.via) {
        const found = path.devices.indexOf(waypoint, at);
        if (found < 0) return false;
        at = found;
    }
    if (path.devices.some(d => c.avoidDevices.includes(d))) return false;
    return !path.links.some(l => c.avoidLinks.some(a => {
        const link = topology.twin.links[l];
        return [link.a, link.b].some(e => e.device === a.a.device && e.interface === a.a.interface) && [link.a, link.b].some(e => e.device === a.b.device && e.interface === a.b.interface);
    }));
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

/** Policy routes along the path, and along its reverse for the replies of a stateful allow. */
function install(requirement: Requirement, topology: Topology, path: Path, from: Place, to: Place, sources: IntervalSet, destinations: IntervalSet, steering: Steering): void {
    const comment = `${requirement.intent}: steer ${path.devices.join(' → ')}`;
    const forward = requirement.effective.cubes.map(cube => ({ ...cube, src: cube.src.intersect(sources), dst: cube.dst.intersect(destinations) }))
        .filter(cube => !cube.src.isEmpty() && !cube.dst.isEmpty());
    if (forward.length === 0) return;
    addAlong(topology, path, from.interface!, forward.map(matchOf), comment, steering);
    if (requirement.stateful && to.interface !== undefined) {
        const reverse: Path = { devices: [...path.devices].reverse(), links: [...path.links].reverse() };
        // Replies: addresses swapped, the service's ports as source ports.
        const replies = forward.map(cube => matchOf({ src: cube.dst, dst: cube.src, protocol: cube.protocol, dstPort: cube.srcPort, srcPort: cube.dstPort }));
        addAlong(topology, reverse, to.interface, replies, `${comment} (replies)`, steering);
    }
}

function addAlong(topology: Topology, path: Path, firstInterface: string, matches: PolicyRouteRule['match'][], comment: string, steering: Steering): void {
    for (let i = 0; i < path.links.length; i++) {
        const device = path.devices[i];
        const ingress = i === 0 ? firstInterface : topology.ends(path.links[i - 1], device).local.interface;
        const nextHop = topology.ends(path.links[i], device).remoteAddress;
        if (nextHop === undefined) continue;
        addRules(steering, device, ingress, matches.map(match => ({ match, nextHops: [nextHop], comment })));
    }
}

/** Appends rules to the device's policy route for traffic entering on `ingress`. */
function addRules(steering: Steering, device: string, ingress: string, rules: PolicyRouteRule[]): void {
    const routes = steering.policyRoutes.get(device) ?? [];
    let route = routes.find(r => r.interface === ingress);
    if (!route) {
        route = { interface: ingress, rules: [] };
        routes.push(route);
        steering.policyRoutes.set(device, routes);
    }
    route.rules.push(...rules);
}

/** Every equal-cost path between two devices (up to MAX_PATHS). */
function equalCostPaths(graph: Graph, from: string, to: string): Path[] {
    const paths = shortestPaths(graph, from);
    if (!paths.distance.has(to)) return [];
    const out: Path[] = [];
    const walk = (node: string, suffix: Path) => {
        if (out.length >= MAX_PATHS) return;
        if (node === from) {
            out.push({ devices: [from, ...suffix.devices], links: suffix.links });
            return;
        }
        for (const { from: previous, edge } of paths.predecessors.get(node) ?? []) {
            walk(previous, { devices: [node, ...suffix.devices], links: [edge.link, ...suffix.links] });
        }
    };
    walk(to, { devices: [], links: [] });
    return out;
}

/** One shortest path, the same on every run: ties go to the lower link index. */
function bestPath(graph: Graph, from: string, to: string, exclusions: { nodes: Set<string>; links: Set<number> }): Path | undefined {
    const paths = shortestPaths(graph, from, exclusions);
    if (!paths.distance.has(to)) return undefined;
    const devices = [to];
    const links: number[] = [];
    let node = to;
    while (node !== from) {
        const step = [...paths.predecessors.get(node)!].sort((x, y) => x.edge.link - y.edge.link)[0] as { from: string; edge: Edge };
        links.unshift(step.edge.link);
        devices.unshift(step.from);
        node = step.from;
    }
    return { devices, links };
}
