/**
 * Proves each requirement on the simulated network, or finds a counterexample: a concrete
 * packet, the failures it needs, the path it takes (device and interfaces per hop) and why it
 * fails there. Failure tolerance (`survive K`) is checked exactly over every failure set of up to
 * K elements that could matter: only links and devices on the paths the flow uses, recursively
 * (a failure off every path of a flow changes none of its shortest paths).
 */
import type { DeviceConfig } from '../config/model.js';
import type { Requirement } from '../intent/model.js';
import { IntervalSet } from '../net/interval-set.js';
import { PacketSet, type Packet } from '../net/packet-set.js';
import { describeFailures, failureKey, NO_FAILURES, scenarioFailures, SimNetwork, type Failures } from '../simulate/network.js';
import { formatRange } from '../net/ipv4.js';
import { PrefixUniverse, RoutingState } from '../simulate/routing.js';
import { findLink, interfaceName, type Twin } from '../twin/model.js';
import { placesOf, type Place } from '../twin/places.js';
import { DataPlane, type Hop, type Outcome } from './dataplane.js';

export interface Counterexample {
    packet: Packet;
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

export interface RequirementVerdict {
    verdict: 'holds' | 'violated';
    /** Every device the requirement's traffic reached, in every scenario examined. */
    devices: ReadonlySet<string>;
    counterexample?: Counterexample;
    /** Distinct forwarding paths the requirement's traffic takes without failures. */
    paths: number;
    /** Those paths as device lists (for drawing them). */
    pathDevices: string[][];
    /** Failure scenarios examined (survive and during). */
    scenarios: number;
}

/** The simulated network under one set of failures. */
interface Context {
    failures: Failures;
    routing: RoutingState;
    dataplane: DataPlane;
}

/** Failure sets kept simulated at once. */
const MAX_CONTEXTS = 256;

/** What one check found: a violation, or the elements the traffic passed (for failure enumeration). */
interface Finding {
    violation?: { outcome: Outcome; packets: PacketSet; reason: string };
    /** Every failing branch of the trace that found the violation (the first is the violation's). */
    failingPaths: string[][];
    links: Set<number>;
    devices: Set<string>;
    paths: Set<string>;
}

/** Enough for any real network; past it a survive check reports what it saw so far. */
const MAX_FAILURE_SETS = 20_000;

export class NetworkVerifier {
    readonly network: SimNetwork;
    private readonly universe: PrefixUniverse;
    private readonly places: Place[];
    private readonly contexts = new Map<string, Context>();

    /** Packets are about the hosts of places: never from or to a router's own interface (a gateway, a link end). */
    private readonly endpoints: PacketSet;
    /** Where address classes start (see DataPlane). */
    private readonly cuts: number[];

    constructor(readonly twin: Twin, configs: ReadonlyMap<string, DeviceConfig>) {
        this.network = new SimNetwork(twin, configs);
        this.universe = new PrefixUniverse(configs.values());
        this.places = placesOf(twin);
        const routerAddresses = IntervalSet.fromIntervals([...configs.values()].flatMap(c => c.interfaces)
            .filter(i => i.address && i.address.length < 32).map(i => [i.address!.address, i.address!.address] as const));
        const hosts = IntervalSet.of(0, 0xffffffff).subtract(routerAddresses);
        this.endpoints = PacketSet.cube({ src: hosts, dst: hosts });
        const cuts = new Set(this.universe.boundaries());
        for (const owned of this.network.addressOwner.keys()) {
            cuts.add(owned);
            cuts.add(owned + 1);
        }
        this.cuts = [...cuts].sort((a, b) => a - b);
    }

    /**
     * The simulated network under these failures, memoised: routes are computed once per set,
     * and a failure set reuses every shortest-path tree of the intact network it does not touch.
     */
    context(failures: Failures = NO_FAILURES): Context {
        const k = failureKey(failures);
        let context = this.contexts.get(k);
        if (!context) {
            const base = k === failureKey(NO_FAILURES) ? undefined : this.context().routing;
            const routing = new RoutingState(this.network, failures, this.universe, base);
            context = { failures, routing, dataplane: new DataPlane(this.network, routing, this.places, this.cuts) };
            // Keep the intact network and the most recent failure sets.
            if (this.contexts.size > MAX_CONTEXTS) this.contexts.delete([...this.contexts.keys()][1]);
            this.contexts.set(k, context);
        }
        return context;
    }

    verify(requirement: Requirement, defaultEffective?: PacketSet): RequirementVerdict {
        const effective = requirement.kind === 'default' ? defaultEffective ?? requirement.effective : requirement.effective;
        const baseline = this.check(requirement, effective, this.context());
        let scenarios = 0;
        const devices = new Set(baseline.devices);
        const result = (finding: Finding, failures: Failures): RequirementVerdict => ({
            verdict: 'violated', devices: union(devices, finding.devices), counterexample: this.counterexample(finding, failures), paths: baseline.paths.size, pathDevices: pathDevices(baseline), scenarios
        });
        if (baseline.violation) return result(baseline, NO_FAILURES);
        for (const scenario of requirement.scenarios) {
            scenarios++;
            const failures = scenarioFailures(this.twin, scenario);
            const finding = this.check(requirement, effective, this.context(failures));
            if (finding.violation) return result(finding, failures);
            finding.devices.forEach(d => devices.add(d));
        }
        const survive = requirement.constraints.survive;
        if (survive && requirement.kind === 'allow') {
            const seen = new Set<string>([failureKey(NO_FAILURES)]);
            const attachments = new Set(this.sourceAndDestinationDevices(requirement));
            const explore = (finding: Finding, failures: Failures, depth: number): RequirementVerdict | undefined => {
                if (depth === survive.count) return undefined;
                const elements: Array<Failures> = survive.kind === 'link'
                    ? [...finding.links].filter(l => !failures.links.has(l)).sort((a, b) => a - b).map(l => ({ ...failures, links: new Set([...failures.links, l]) }))
                    : [...finding.devices].filter(d => !attachments.has(d) && !failures.devices.has(d)).sort().map(d => ({ ...failures, devices: new Set([...failures.devices, d]) }));
                for (const next of elements) {
                    const k = failureKey(next);
                    if (seen.has(k) || seen.size > MAX_FAILURE_SETS) continue;
                    seen.add(k);
                    scenarios++;
                    const found = this.check(requirement, effective, this.context(next));
                    if (found.violation) return result(found, next);
                    found.devices.forEach(d => devices.add(d));
                    const deeper = explore(found, next, depth + 1);
                    if (deeper) return deeper;
                }
                return undefined;
            };
            const violated = explore(baseline, NO_FAILURES, 0);
            if (violated) return violated;
        }
        return { verdict: 'holds', devices, paths: baseline.paths.size, pathDevices: pathDevices(baseline), scenarios };
    }

    /**
     * The same network with other ACLs and policy routes (same interfaces and routing): the
     * routes computed so far are kept, the data planes start afresh.
     */
    replaceFilters(configs: ReadonlyMap<string, DeviceConfig>): void {
        this.network.replaceFilters(configs);
        for (const context of this.contexts.values()) context.dataplane = new DataPlane(this.network, context.routing, this.places, this.cuts);
    }

    /**
     * Routing loops and blackholes for the flows the intents speak of, without failures and
     * without filters: for each address class of their destinations, the devices their sources
     * enter at follow the next hops; a device met twice on the way is a loop, one with no route a
     * blackhole. Classes routed alike (the same containing prefixes) are walked once.
     */
    forwardingProblems(flows: ReadonlyArray<{ source: IntervalSet; destination: IntervalSet }>, limit = 20): ForwardingProblem[] {
        const routing = this.context().routing;
        const owners = this.network.addressOwner;
        const ingresses = this.places.filter(p => p.interface !== undefined);
        const attachments = new Set(ingresses.map(p => `${p.device}:${p.interface}`));
        // Per address class (by the prefixes containing it): where its traffic enters, and its extent.
        const classes = new Map<string, { entries: Set<string>; ranges: Array<[number, number]>; probe?: number }>();
        for (const flow of flows) {
            const entries = ingresses.filter(p => p.space.intersects(flow.source)).map(p => p.device);
            if (entries.length === 0) continue;
            for (const [lo, hi] of flow.destination.intervals) {
                for (let start = lo; start <= hi;) {
                    const end = Math.min(hi, this.classEnd(start));
                    const address = start;
                    start = end + 1;
                    const signature = this.universe.containing(address).map(p => `${p.network}/${p.length}`).join(' ');
                    let entry = classes.get(signature);
                    if (!entry) classes.set(signature, entry = { entries: new Set(), ranges: [] });
                    entries.forEach(e => entry!.entries.add(e));
                    entry.ranges.push([address, end]);
                    // A router's own address is delivered to it: walk the class from another address.
                    if (entry.probe === undefined && !(owners.has(address) && address === end)) entry.probe = address;
                }
            }
        }
        const problems: ForwardingProblem[] = [];
        for (const { entries, ranges, probe } of classes.values()) {
            if (problems.length >= limit) break;
            if (probe === undefined) continue;
            const found = this.walk(probe, routing, [...entries].sort(), attachments);
            if (!found) continue;
            const extent = IntervalSet.fromIntervals(ranges);
            problems.push({ ...found, destination: extent.intervals.map(([lo, hi]) => formatRange(lo, hi)).join(', ') });
        }
        return problems;
    }

    /**
     * Follows the next hops toward `address` from every entry device (each device once): the
     * first device met twice on a path (a loop) or without a route (a blackhole).
     */
    private walk(address: number, routing: RoutingState, entries: string[], attachments: Set<string>): Omit<ForwardingProblem, 'destination'> | undefined {
        const owner = this.network.addressOwner.get(address)?.device;
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
                if (!peer || peer.device === owner) continue;
                const found = visit(peer.device);
                if (found) return found;
            }
            path.pop();
            state.set(device, 2);
            return undefined;
        };
        for (const device of entries) {
            if (device === owner) continue;
            const found = visit(device);
            if (found) return found;
        }
        return undefined;
    }

    /** The last address of the address class that starts at `start`. */
    private classEnd(start: number): number {
        let low = 0;
        let high = this.cuts.length;
        while (low < high) {
            const mid = (low + high) >> 1;
            if (this.cuts[mid] <= start) low = mid + 1; else high = mid;
        }
        return low < this.cuts.length ? this.cuts[low] - 1 : 0xffffffff;
    }

    /** Checks a requirement under one set of failures. */
    private check(requirement: Requirement, effective: PacketSet, context: Context): Finding {
        const finding: Finding = { links: new Set(), devices: new Set(), paths: new Set(), failingPaths: [] };
        for (const flow of requirement.flows) {
            for (const source of this.places.filter(p => p.space.intersects(flow.source.addresses))) {
                // Traffic within one place never reaches a router.
                const packets = effective.intersect(this.endpoints).intersect(PacketSet.cube({ src: source.space.intersect(flow.source.addresses), dst: flow.destination.addresses.subtract(source.space) }));
                if (packets.isEmpty()) continue;
                const outcomes = context.dataplane.trace(source.device, source.interface, packets);
                for (const outcome of outcomes) {
                    this.note(finding, outcome);
                    const reason = requirement.kind === 'allow' ? this.allowProblem(requirement, outcome, context) : this.denyProblem(outcome);
                    if (!reason) continue;
                    finding.violation ??= { outcome, packets: reason.packets, reason: reason.text };
                    finding.failingPaths.push(outcome.path.map(h => h.device));
                }
                // The other ECMP branches of the same trace are reported with it.
                if (finding.violation) return finding;
            }
        }
        return finding;
    }

    private note(finding: Finding, outcome: Outcome): void {
        finding.paths.add(outcome.path.map(h => `${h.device}:${h.in ?? ''}>${h.out ?? ''}`).join(' '));
        for (const hop of outcome.path) {
            finding.devices.add(hop.device);
            if (hop.link !== undefined) finding.links.add(hop.link);
        }
    }

    /** Why an allow's packets fail on this outcome, if they do. */
    private allowProblem(requirement: Requirement, outcome: Outcome, context: Context): { packets: PacketSet; text: string } | undefined {
        const fate = outcome.fate;
        if (fate.kind === 'dropped') return { packets: outcome.packets, text: fate.reason };
        if (fate.kind === 'loop') return { packets: outcome.packets, text: `forwarding loop at ${fate.device} (${describePath(outcome.path)})` };
        const misdelivered = outcome.packets.subtract(PacketSet.cube({ dst: fate.place.space }));
        if (!misdelivered.isEmpty()) return { packets: misdelivered, text: `delivered to ${fate.place.name}, which does not hold the destination` };
        const broken = this.pathProblem(requirement, outcome.path, '');
        if (broken) return { packets: outcome.packets, text: broken };
        if (!requirement.stateful || fate.place.interface === undefined && fate.place.space.isEmpty()) return undefined;
        // The replies of the connections it allows must come back, through the same waypoints.
        const replies = outcome.packets.replies();
        for (const back of context.dataplane.trace(fate.place.device, fate.place.interface, replies, { established: true })) {
            const backFate = back.fate;
            if (backFate.kind === 'dropped') return { packets: back.packets.replies(), text: `the replies are ${backFate.reason}` };
            if (backFate.kind === 'loop') return { packets: back.packets.replies(), text: `the replies loop at ${backFate.device} (${describePath(back.path)})` };
            const lost = back.packets.subtract(PacketSet.cube({ dst: backFate.place.space }));
            if (!lost.isEmpty()) return { packets: lost.replies(), text: `the replies are delivered to ${backFate.place.name}, not back to the source` };
            const via = this.pathProblem({ ...requirement, constraints: { ...requirement.constraints, hops: undefined, latencyUs: undefined } }, back.path, 'the replies: ');
            if (via) return { packets: back.packets.replies(), text: via };
        }
        return undefined;
    }

    private denyProblem(outcome: Outcome): { packets: PacketSet; text: string } | undefined {
        if (outcome.fate.kind !== 'delivered') return undefined;
        const delivered = outcome.packets.intersect(PacketSet.cube({ dst: outcome.fate.place.space }));
        if (delivered.isEmpty()) return undefined;
        return { packets: delivered, text: `delivered to ${outcome.fate.place.name} (${describePath(outcome.path)}); nothing stops it` };
    }

    /** via (in order), avoid, hops and latency on one path. */
    private pathProblem(requirement: Requirement, path: Hop[], prefix: string): string | undefined {
        const c = requirement.constraints;
        const devices = path.map(h => h.device);
        let at = 0;
        for (const waypoint of c.via) {
            const found = devices.indexOf(waypoint, at);
            if (found < 0) {
                return `${prefix}the path ${devices.join(' → ')} does not pass ${waypoint}${devices.includes(waypoint) ? ' in the order written' : ''}`;
            }
            at = found;
        }
        const avoided = devices.find(d => c.avoidDevices.includes(d));
        if (avoided) return `${prefix}the path ${devices.join(' → ')} passes ${avoided}, which it must avoid`;
        for (const hop of path) {
            if (hop.link === undefined) continue;
            const link = this.twin.links[hop.link];
            if (c.avoidLinks.some(a => findLink(this.twin, a.a, a.b) === link)) return `${prefix}the path ${devices.join(' → ')} crosses ${interfaceName(link.a)} -- ${interfaceName(link.b)}, which it must avoid`;
        }
        if (c.hops !== undefined && devices.length > c.hops) return `${prefix}the path ${devices.join(' → ')} passes ${devices.length} devices, more than hops <= ${c.hops}`;
        if (c.latencyUs !== undefined) {
            const latencies = path.filter(h => h.link !== undefined).map(h => this.twin.links[h.link!].latencyUs);
            const total = latencies.reduce((a, b) => a + b, 0);
            if (total > c.latencyUs) return `${prefix}the path ${devices.join(' → ')} takes ${formatMicroseconds(total)} (${latencies.map(formatMicroseconds).join(' + ')}), more than latency <= ${formatMicroseconds(c.latencyUs)}`;
        }
        return undefined;
    }

    private counterexample(finding: Finding, failures: Failures): Counterexample {
        const violation = finding.violation!;
        return {
            packet: violation.packets.witness()!,
            failures: describeFailures(this.twin, failures),
            failed: failures,
            path: violation.outcome.path.map(h => h.device),
            branches: finding.failingPaths,
            hops: violation.outcome.path,
            reason: violation.reason
        };
    }

    /** The devices where the requirement's traffic enters and leaves: never failed by `survive K node`. */
    private sourceAndDestinationDevices(requirement: Requirement): string[] {
        const ends = requirement.flows.flatMap(f => [f.source.addresses, f.destination.addresses]);
        return this.places.filter(p => ends.some(e => e.intersects(p.space))).map(p => p.device);
    }

    /** The default requirement's packets: flows between places that no allow takes. */
    static defaultEffective(requirement: Requirement, allows: readonly Requirement[]): PacketSet {
        return allows.reduce((set, allow) => set.subtract(allow.packets), requirement.packets);
    }
}

function pathDevices(finding: Finding): string[][] {
    return [...new Set([...finding.paths].map(p => p.split(' ').map(h => h.slice(0, h.indexOf(':'))).join(' ')))].map(p => p.split(' '));
}

function union<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
    return new Set([...a, ...b]);
}

function describePath(path: Hop[]): string {
    return path.map(h => h.device).join(' → ');
}

function formatMicroseconds(us: number): string {
    return us % 1000 === 0 ? `${us / 1000}ms` : `${us}us`;
}
