/**
 * The data plane: where a set of packets goes from where it enters. Per device, in the order a
 * Linux router applies them: the ingress ACL (nftables; skipped for the replies of connections it
 * accepted), the policy routes (nft mark → table), then the FIB (longest prefix match, every
 * ECMP branch). Header sets are exact (packet-set cubes); destinations split into the address
 * classes of the routes that decide them.
 */
import type { Acl, AclRule, DeviceConfig, PacketMatch, PolicyRoute } from '../config/model.js';
import { aclRuleLines } from '../config/nftables/render.js';
import { IntervalSet } from '../net/interval-set.js';
import { prefixContains } from '../net/ipv4.js';
import { PacketSet } from '../net/packet-set.js';
import type { SimNetwork } from '../simulate/network.js';
import type { NextHop, Route, RoutingState } from '../simulate/routing.js';
import type { Place } from '../twin/places.js';

export interface Hop {
    device: string;
    /** The interface the packets came in on (none where they start on the device). */
    in?: string;
    /** The interface they leave by. */
    out?: string;
    /** The twin link they cross next, if any. */
    link?: number;
}

export type Fate =
    | { kind: 'delivered'; place: Place }
    | { kind: 'dropped'; device: string; reason: string }
    | { kind: 'loop'; device: string };

export interface Outcome {
    packets: PacketSet;
    path: Hop[];
    fate: Fate;
}

export interface TraceOptions {
    /** Replies of a connection the network accepted (statefully): ACLs let them pass. */
    established?: boolean;
}

const MAX_HOPS = 64;

export class DataPlane {
    private readonly ruleLines = new Map<string, Map<AclRule, number>>();
    private readonly owned = new Map<string, Set<number>>();
    /** Places by their attachment ("device:interface"). */
    private readonly attachments: Map<string, Place>;

    /**
     * `cuts`: sorted addresses where the routes that could match change, and every interface
     * address and the one after it (packets to a router's own address are delivered to it).
     */
    constructor(
        private readonly network: SimNetwork,
        private readonly routing: RoutingState,
        private readonly places: readonly Place[],
        private readonly cuts: readonly number[]
    ) {
        this.attachments = new Map(places.filter(p => p.interface !== undefined).map(p => [`${p.device}:${p.interface}`, p]));
    }

    /** Every fate of `packets` entering at `device` (on `ingress`, or sent by the device itself). */
    trace(device: string, ingress: string | undefined, packets: PacketSet, options: TraceOptions = {}): Outcome[] {
        const outcomes: Outcome[] = [];
        this.step(device, ingress, packets, [], options, outcomes);
        return outcomes;
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
        let remaining = packets;
        const acl = ingress === undefined ? undefined : config.acls.find(a => a.interface === ingress);
        if (acl && !(options.established && config.acceptEstablished)) {
            remaining = this.filter(config, acl, remaining, here, outcomes);
        }
        const policy = ingress === undefined ? undefined : config.policyRoutes.find(p => p.interface === ingress);
        if (policy) remaining = this.steer(config, policy, remaining, here, options, outcomes);
        this.forward(config, remaining, here, options, outcomes);
    }

    /** The ACL of the ingress interface: the first matching rule decides, then its default. */
    private filter(config: DeviceConfig, acl: Acl, packets: PacketSet, path: Hop[], outcomes: Outcome[]): PacketSet {
        let remaining = packets;
        let accepted = PacketSet.EMPTY;
        for (const rule of acl.rules) {
            const matched = remaining.intersect(matchSet(rule.match));
            if (matched.isEmpty()) continue;
            remaining = remaining.subtract(matched);
            if (rule.action === 'accept') {
                accepted = accepted.union(matched);
            } else {
                const line = this.lineOf(config, rule);
                outcomes.push({ packets: matched, path, fate: { kind: 'dropped', device: config.hostname, reason: `dropped at ${config.hostname} by nftables.nft line ${line} (${rule.comment})` } });
            }
            if (remaining.isEmpty()) break;
        }
        if (acl.defaultAction === 'drop' && !remaining.isEmpty()) {
            outcomes.push({ packets: remaining, path, fate: { kind: 'dropped', device: config.hostname, reason: `dropped at ${config.hostname}: no rule of the ACL on ${acl.interface} accepts it` } });
            return accepted;
        }
        return accepted.union(remaining);
    }

    /** Policy routes: matching packets go to the rule's next hops while one of them is reachable. */
    private steer(config: DeviceConfig, policy: PolicyRoute, packets: PacketSet, path: Hop[], options: TraceOptions, outcomes: Outcome[]): PacketSet {
        let remaining = packets;
        for (const rule of policy.rules) {
            const matched = remaining.intersect(matchSet(rule.match));
            if (matched.isEmpty()) continue;
            const hops = rule.nextHops.flatMap(address => this.connectedHop(config.hostname, address));
            // A table whose next hop has lost its interface is skipped: the main table decides.
            if (hops.length === 0) continue;
            remaining = remaining.subtract(matched);
            for (const hop of hops) this.send(config.hostname, hop, matched, path, options, outcomes);
        }
        return remaining;
    }

    private connectedHop(device: string, address: number): NextHop[] {
        const port = this.network.upPorts(device, this.routing.failures).find(p => prefixContains(p.subnet!, address));
        return port ? [{ interface: port.config.name, address }] : [];
    }

    /**
     * Destination-based forwarding. The destinations are cut into the address classes the
     * routing tables tell apart; classes that the same route decides travel on together.
     */
    private forward(config: DeviceConfig, packets: PacketSet, path: Hop[], options: TraceOptions, outcomes: Outcome[]): void {
        if (packets.isEmpty()) return;
        const device = config.hostname;
        const own = this.ownAddresses(config);
        const decisions = new Map<Route | 'local' | 'none', Array<[number, number]>>();
        for (const cube of packets.cubes) {
            for (const [lo, hi] of cube.dst.intervals) {
                for (const range of this.classes(lo, hi)) {
                    const decision = range[0] === range[1] && own.has(range[0]) ? 'local' : this.routing.lookup(device, range[0]) ?? 'none';
                    const ranges = decisions.get(decision) ?? [];
                    ranges.push(range);
                    decisions.set(decision, ranges);
                }
            }
        }
        for (const [decision, ranges] of decisions) {
            const part = decisions.size === 1 ? packets : packets.intersect(PacketSet.cube({ dst: IntervalSet.fromIntervals(ranges) }));
            if (decision === 'local') {
                outcomes.push({ packets: part, path, fate: { kind: 'delivered', place: this.placeOfDevice(device) } });
            } else if (decision === 'none') {
                outcomes.push({ packets: part, path, fate: { kind: 'dropped', device, reason: `dropped at ${device}: no route to ${part.witness()!.dst}` } });
            } else {
                for (const nextHop of decision.nextHops) this.send(device, nextHop, part, path, options, outcomes);
            }
        }
    }

    /** Hands packets to a next hop: a device across a link, a segment or an external. */
    private send(device: string, nextHop: NextHop, packets: PacketSet, path: Hop[], options: TraceOptions, outcomes: Outcome[]): void {
        const port = this.network.port(device, nextHop.interface)!;
        const last = path[path.length - 1];
        const leaving: Hop = { ...last, out: nextHop.interface, link: port.peer?.link };
        const here = [...path.slice(0, -1), leaving];
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

    private ownAddresses(config: DeviceConfig): Set<number> {
        let own = this.owned.get(config.hostname);
        if (!own) {
            own = new Set(config.interfaces.flatMap(i => (i.address ? [i.address.address] : [])));
            this.owned.set(config.hostname, own);
        }
        return own;
    }

    private placeOfDevice(device: string): Place {
        return this.places.find(p => p.device === device && p.interface === undefined) ?? { device, space: IntervalSet.EMPTY, name: `device ${device}` };
    }

    private lineOf(config: DeviceConfig, rule: AclRule): number | undefined {
        let lines = this.ruleLines.get(config.hostname);
        if (!lines) {
            lines = aclRuleLines(config);
            this.ruleLines.set(config.hostname, lines);
        }
        return lines.get(rule);
    }
}

/** A match as a packet set (absent fields match anything). */
export function matchSet(match: PacketMatch): PacketSet {
    const set = (ranges: PacketMatch['src']) => ranges && IntervalSet.fromIntervals(ranges);
    return PacketSet.cube({ src: set(match.src), dst: set(match.dst), protocol: set(match.protocols), dstPort: set(match.dstPorts), srcPort: set(match.srcPorts) });
}
