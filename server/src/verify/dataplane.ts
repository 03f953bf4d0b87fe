/**
 * The data plane: where a set of packets goes from where it enters. Per device, in the order
 * Linux applies them: the prerouting hook (anti-spoofing), the policy routes (nft mark → table),
 * then the routing decision — the device's own addresses are delivered locally through the input
 * hook, everything else goes by the FIB (longest prefix match, every ECMP branch) through the
 * forward and postrouting hooks; packets a device sends itself meet its output hook. Header sets
 * are exact (packet-set cubes); destinations split into the address classes of the routes that
 * decide them. Connection state is per device: a reply is `established` only at the devices its
 * connection passed, with the mark the connection got there.
 */
import type { DeviceConfig, FilterHook, FilterRule, Unmodelled } from '../config/model.js';
import { filterRuleLines } from '../config/nftables/render.js';
import { IntervalSet } from '../net/interval-set.js';
import { formatAddress, formatPrefix, prefixContains, prefixMask } from '../net/ipv4.js';
import { PacketSet } from '../net/packet-set.js';
import type { SimNetwork } from '../simulate/network.js';
import type { NextHop, Route, RoutingState } from '../simulate/routing.js';
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
}

export type Fate =
    | { kind: 'delivered'; place: Place }
    | { kind: 'dropped'; device: string; reason: string }
    | { kind: 'loop'; device: string }
    /** The device's configuration has something the verifier does not model: what happens there is not known. */
    | { kind: 'unknown'; device: string; reason: string };

export interface Outcome {
    packets: PacketSet;
    path: Hop[];
    fate: Fate;
}

export interface TraceOptions {
    /**
     * Replies of connections the network accepted: the devices the connection passed, each with
     * the mark it got there. There the replies are `established`; elsewhere they are new.
     */
    replyTo?: ReadonlyMap<string, number>;
}

const MAX_HOPS = 64;

/** One way the routing decision sends packets on. */
type Decision =
    | { kind: 'next'; hop: NextHop; packets: PacketSet }
    | { kind: 'dropped'; packets: PacketSet; reason: string };

/**
 * What the data planes of one network share whatever fails: its places, where address classes
 * start, and what each device's configuration gives (its own addresses, its filter ready to run).
 */
export class DataPlaneShared {
    /** Places by their attachment ("device:interface"). */
    readonly attachments: Map<string, Place>;
    readonly devicePlaces: Map<string, Place>;
    private readonly owned = new WeakMap<DeviceConfig, IntervalSet>();
    private readonly evaluators = new WeakMap<DeviceConfig, FilterEvaluator>();
    private readonly ruleLines = new WeakMap<DeviceConfig, Map<FilterRule, number>>();

    /**
     * `cuts`: sorted addresses where the routes that could match change, and every interface
     * address and the one after it (packets to a router's own address are delivered to it).
     */
    constructor(readonly places: readonly Place[], readonly cuts: readonly number[]) {
        this.attachments = new Map(places.filter(p => p.interface !== undefined).map(p => [`${p.device}:${p.interface}`, p]));
        this.devicePlaces = new Map(places.filter(p => p.kind === 'device').map(p => [p.device, p]));
    }

    ownAddresses(config: DeviceConfig): IntervalSet {
        let own = this.owned.get(config);
        if (!own) {
            own = IntervalSet.fromIntervals(config.interfaces.flatMap(i => [i.address, ...(i.secondary ?? [])].flatMap(a => (a ? [[a.address, a.address] as const] : []))));
            this.owned.set(config, own);
        }
        return own;
    }

    evaluator(config: DeviceConfig): FilterEvaluator {
        let evaluator = this.evaluators.get(config);
        if (!evaluator) {
            evaluator = new FilterEvaluator(config.filter);
            this.evaluators.set(config, evaluator);
        }
        return evaluator;
    }

    /** The devices that own an address (several for an anycast address). */
    ownersOf(configs: ReadonlyMap<string, DeviceConfig>, address: number): string[] {
        return [...configs.values()].filter(c => this.ownAddresses(c).has(address)).map(c => c.hostname);
    }

    /** The line of nftables.nft where a compiled rule stands. */
    lineOf(config: DeviceConfig, rule: FilterRule): number | undefined {
        let lines = this.ruleLines.get(config);
        if (!lines) {
            lines = filterRuleLines(config);
            this.ruleLines.set(config, lines);
        }
        return lines.get(rule);
    }
}

export class DataPlane {
    private readonly attachments: Map<string, Place>;
    private readonly cuts: readonly number[];

    constructor(private readonly network: SimNetwork, private readonly routing: RoutingState, private readonly shared: DataPlaneShared) {
        this.attachments = shared.attachments;
        this.cuts = shared.cuts;
    }

    /** Every fate of `packets` entering at `device` (on `ingress`, or sent by the device itself). */
    trace(device: string, ingress: string | undefined, packets: PacketSet, options: TraceOptions = {}): Outcome[] {
        const outcomes: Outcome[] = [];
        this.step(device, ingress, packets, [], options, outcomes);
        return outcomes;
    }

    /**
     * The sources that can get past the device's prerouting hook on `ingress` at all (for new
     * connections): packets from anywhere else are dropped where they enter.
     */
    admittedSources(device: string, ingress: string): IntervalSet {
        const config = this.network.configs.get(device);
        if (!config || config.unmodelled.some(u => u.scope === 'filtering')) return IntervalSet.of(0, 0xffffffff);
        const evaluator = this.evaluator(config);
        if (!evaluator.has('prerouting')) return IntervalSet.of(0, 0xffffffff);
        const { accepted } = evaluator.run('prerouting', PacketSet.ALL, { iif: ingress, state: 'new', ctMark: 0, mark: 0, reply: false });
        return IntervalSet.fromIntervals(accepted.flatMap(g => g.packets.cubes.flatMap(c => c.src.intervals)));
    }

    private step(device: string, ingress: string | undefined, packets: PacketSet, path: Hop[], options: TraceOptions, outcomes: Outcome[]): void {
        if (packets.isEmpty()) return;
        const hop: Hop = { device, in: ingress };
        const here = [...path, hop];
        if (path.some(h => h.device === device && h.in === ingress) || path.length >= MAX_HOPS) {
            outcomes.push({ packets, path: here, fate: { kind: 'loop', device } });
            return;
        }
        const config = this.network.configs.get(device);
        if (!config || this.routing.failures.devices.has(device)) {
            outcomes.push({ packets, path: here, fate: { kind: 'dropped', device, reason: `${device} is down` } });
            return;
        }
        if (ingress !== undefined && !this.network.isUp(device, ingress, this.routing.failures)) {
            outcomes.push({ packets, path: here, fate: { kind: 'dropped', device, reason: `${device}:${ingress} is down` } });
            return;
        }
        const unmodelled = config.unmodelled.find(u => u.scope === 'filtering');
        if (unmodelled) {
            outcomes.push({ packets, path: here, fate: { kind: 'unknown', device, reason: describeUnmodelled(device, unmodelled) } });
            return;
        }
        const context: HookContext = {
            iif: ingress, state: options.replyTo?.has(device) ? 'established' : 'new', ctMark: options.replyTo?.get(device) ?? 0, mark: 0, reply: options.replyTo !== undefined
        };
        const own = this.ownAddresses(config);
        const ownPackets = PacketSet.cube({ dst: own });
        const evaluator = this.evaluator(config);
        // Forwarded, or sent by the device itself: forward (or output), then postrouting; hooks
        // that test the outgoing interface run once the routing decision has chosen it.
        const onwardHooks: FilterHook[] = ingress === undefined ? ['output', 'postrouting'] : ['forward', 'postrouting'];
        const early = onwardHooks.filter(h => !evaluator.dependsOnOif(h));
        const late = onwardHooks.filter(h => evaluator.dependsOnOif(h));
        const at = (ctMark: number): Hop => (ctMark === 0 ? hop : { ...hop, ctMark });
        for (const group of this.hook(config, 'prerouting', packets, context, here, outcomes)) {
            const local = group.packets.cubes.some(c => c.dst.intersects(own)) ? group.packets.intersect(ownPackets) : PacketSet.EMPTY;
            const onward = local.isEmpty() ? group.packets : group.packets.subtract(local);
            // Addressed to the device itself: the input hook, then delivered to it.
            const inputHooks: FilterHook[] = ingress === undefined ? [] : ['input'];
            for (const delivered of this.hooks(config, inputHooks, { ...group, packets: local }, context, here, outcomes)) {
                outcomes.push({ packets: delivered.packets, path: [...path, at(delivered.ctMark)], fate: { kind: 'delivered', place: this.placeOfDevice(device) } });
            }
            // The routing decision takes the mark the prerouting hook gave the packets.
            for (const passed of this.hooks(config, early, { ...group, packets: onward }, context, here, outcomes)) {
                for (const decision of this.decide(config, group.mark, passed.packets)) {
                    const leaving: Hop = { ...at(passed.ctMark), ...(decision.kind === 'next' ? { out: decision.hop.interface } : {}) };
                    if (decision.kind === 'dropped') {
                        outcomes.push({ packets: decision.packets, path: [...path, leaving], fate: { kind: 'dropped', device, reason: decision.reason } });
                        continue;
                    }
                    const byOif: HookContext = { ...context, oif: decision.hop.interface };
                    for (const sent of this.hooks(config, late, { ...passed, packets: decision.packets }, byOif, [...path, leaving], outcomes)) {
                        this.send(device, decision.hop, sent.packets, [...path, { ...leaving, ...at(sent.ctMark), out: decision.hop.interface }], options, outcomes);
                    }
                }
            }
        }
    }

    /** Runs the hooks in turn; drops become outcomes. */
    private hooks(config: DeviceConfig, hooks: readonly FilterHook[], group: Marked, context: HookContext, path: Hop[], outcomes: Outcome[]): Marked[] {
        let groups = group.packets.isEmpty() ? [] : [group];
        for (const hook of hooks) groups = groups.flatMap(g => this.hook(config, hook, g.packets, { ...context, ctMark: g.ctMark, mark: g.mark }, path, outcomes));
        return groups;
    }

    private hook(config: DeviceConfig, hook: FilterHook, packets: PacketSet, context: HookContext, path: Hop[], outcomes: Outcome[]): Marked[] {
        const evaluator = this.evaluator(config);
        if (packets.isEmpty()) return [];
        if (!evaluator.has(hook)) return [{ packets, ctMark: context.ctMark, mark: context.mark }];
        const result = evaluator.run(hook, packets, context);
        for (const dropped of result.dropped) {
            outcomes.push({ packets: dropped.packets, path, fate: { kind: 'dropped', device: config.hostname, reason: this.dropReason(config, hook, dropped) } });
        }
        return result.accepted;
    }

    private dropReason(config: DeviceConfig, hook: FilterHook, dropped: Dropped): string {
        const device = config.hostname;
        if (!dropped.rule) return `dropped at ${device} by the policy of chain ${dropped.chain.name} (hook ${hook})`;
        const location = dropped.rule.location;
        const where = location ? `${location.file.split(/[\\/]/).pop()} line ${location.range.start.line}` : `nftables.nft line ${this.lineOf(config, dropped.rule)}`;
        return `dropped at ${device} by ${where}${dropped.rule.comment ? ` (${dropped.rule.comment})` : ''}`;
    }

    /**
     * The routing decision for packets the device forwards or sends: the policy rules that take
     * the packets' mark, in the order of their priorities, each with its table (a table without a
     * route for a destination leaves it to the next rule), then the main table. The destinations
     * are cut into the address classes the routing tables tell apart; classes that the same route
     * decides travel on together.
     */
    private decide(config: DeviceConfig, mark: number, packets: PacketSet): Decision[] {
        const device = config.hostname;
        const decisions: Decision[] = [];
        let remaining = packets;
        const rules = mark === 0 ? [] : config.ipRules.filter(r => r.fwmark === mark).sort((a, b) => a.priority - b.priority);
        for (const rule of rules) {
            if (remaining.isEmpty()) break;
            remaining = this.route(device, remaining, address => this.routing.tableLookup(device, rule.table, address), decisions, rule.table);
        }
        if (!remaining.isEmpty()) this.route(device, remaining, address => this.routing.lookup(device, address), decisions);
        return decisions;
    }

    /** Decides what `lookup` has a route for; returns the packets it has none for (`table` given) or drops them (the main table). */
    private route(device: string, packets: PacketSet, lookup: (address: number) => Route | undefined, decisions: Decision[], table?: number): PacketSet {
        const byRoute = new Map<Route | 'none', Array<[number, number]>>();
        for (const cube of packets.cubes) {
            for (const [lo, hi] of cube.dst.intervals) {
                for (const range of this.classes(lo, hi)) {
                    const decision = lookup(range[0]) ?? 'none';
                    const ranges = byRoute.get(decision) ?? [];
                    ranges.push(range);
                    byRoute.set(decision, ranges);
                }
            }
        }
        let unrouted = PacketSet.EMPTY;
        for (const [route, ranges] of byRoute) {
            const part = byRoute.size === 1 ? packets : packets.intersect(PacketSet.cube({ dst: IntervalSet.fromIntervals(ranges) }));
            if (route === 'none') {
                if (table !== undefined) unrouted = part;
                else decisions.push({ kind: 'dropped', packets: part, reason: `dropped at ${device}: no route to ${part.witness()!.dst}` });
            } else if (route.blackhole) {
                decisions.push({ kind: 'dropped', packets: part, reason: this.blackholeReason(device, route, table) });
            } else {
                for (const nextHop of route.nextHops) decisions.push({ kind: 'next', hop: nextHop, packets: part });
            }
        }
        return unrouted;
    }

    /**
     * Why a blackhole drops: in a steering table, the waypoint it steers to cannot be reached (the
     * table's other routes name it); elsewhere, the route itself.
     */
    private blackholeReason(device: string, route: Route, table: number | undefined): string {
        if (table === undefined) return `dropped at ${device}: a blackhole route for ${formatPrefix(route.prefix)}`;
        const config = this.network.configs.get(device)!;
        const targets = config.staticRoutes.filter(r => r.table === table && r.nextHop !== 'blackhole').map(r => r.nextHop as number);
        const owners = (address: number) => this.shared.ownersOf(this.network.configs, address);
        const named = (address: number) => `${owners(address).join(' or ') || 'nobody'} (${formatAddress(address)})`;
        const because = `the steering table ${table} holds only its blackhole`;
        // Next hops on the device's own subnets pin a path; others are waypoints reached by the IGP.
        const onLink = (address: number) => config.interfaces.some(i => i.address && prefixContains({ network: (i.address.address & prefixMask(i.address.length)) >>> 0, length: i.address.length }, address));
        if (targets.length > 0 && targets.every(onLink)) return `dropped at ${device}: the next hop of its pinned path, ${targets.map(named).join(', ')}, cannot be reached (${because})`;
        return `dropped at ${device}: no path through ${[...new Set(targets.flatMap(owners))].sort().join(' or ') || targets.map(formatAddress).join(', ')} (${because})`;
    }

    /** Hands packets to a next hop: a device across a link, a segment or an external. */
    private send(device: string, nextHop: NextHop, packets: PacketSet, path: Hop[], options: TraceOptions, outcomes: Outcome[]): void {
        const port = this.network.port(device, nextHop.interface)!;
        const last = path[path.length - 1];
        const here = [...path.slice(0, -1), { ...last, link: port.peer?.link }];
        const place = this.attachments.get(`${device}:${nextHop.interface}`);
        if (place) {
            outcomes.push({ packets, path: here, fate: { kind: 'delivered', place } });
            return;
        }
        if (!port.peer || !this.network.isUp(device, nextHop.interface, this.routing.failures)) {
            outcomes.push({ packets, path: here, fate: { kind: 'dropped', device, reason: `dropped at ${device}: ${nextHop.interface} leads nowhere` } });
            return;
        }
        this.step(port.peer.device, port.peer.interface, packets, here, options, outcomes);
    }

    /** [lo, hi] cut at every route boundary and at every interface address (delivered locally). */
    private classes(lo: number, hi: number): Array<[number, number]> {
        const cuts = this.cuts;
        // The first cut above lo, by binary search.
        let low = 0;
        let high = cuts.length;
        while (low < high) {
            const mid = (low + high) >> 1;
            if (cuts[mid] <= lo) low = mid + 1; else high = mid;
        }
        const out: Array<[number, number]> = [];
        let start = lo;
        for (let i = low; i < cuts.length && cuts[i] <= hi; i++) {
            out.push([start, cuts[i] - 1]);
            start = cuts[i];
        }
        out.push([start, hi]);
        return out;
    }

    private ownAddresses(config: DeviceConfig): IntervalSet {
        return this.shared.ownAddresses(config);
    }

    private evaluator(config: DeviceConfig): FilterEvaluator {
        return this.shared.evaluator(config);
    }

    private placeOfDevice(device: string): Place {
        const place = this.shared.devicePlaces.get(device);
        return place ?? { device, space: this.ownAddresses(this.network.configs.get(device)!), hosts: IntervalSet.EMPTY, local: IntervalSet.EMPTY, name: `device ${device}`, kind: 'device' };
    }

    private lineOf(config: DeviceConfig, rule: FilterRule): number | undefined {
        return this.shared.lineOf(config, rule);
    }
}

/** "r2: netintent does not model 'limit rate 10/second' (nftables.nft line 12)". */
export function describeUnmodelled(device: string, unmodelled: Unmodelled): string {
    return `${device}: netintent does not model '${unmodelled.text}' (${unmodelled.location.file.split(/[\\/]/).pop()} line ${unmodelled.location.range.start.line})`;
}
