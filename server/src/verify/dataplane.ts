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
import { PacketSet, type Cube } from '../net/packet-set.js';
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

    constructor(
        private readonly network: SimNetwork,
        private readonly routing: RoutingState,
        private readonly places: readonly Place[]
    ) {}

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

    /** Destination-based forwarding: address classes that the same route decides travel together. */
    private forward(config: DeviceConfig, packets: PacketSet, path: Hop[], options: TraceOptions, outcomes: Outcome[]): void {
        if (packets.isEmpty()) return;
        const device = config.hostname;
        const groups = new Map<Route | 'local' | 'none', PacketSet>();
        for (const [[lo, hi], part] of this.byDestinationClass(packets)) {
            const local = lo === hi && config.interfaces.some(i => i.address?.address === lo);
            const decision = local ? 'local' : this.routing.lookup(device, lo) ?? 'none';
            groups.set(decision, (groups.get(decision) ?? PacketSet.EMPTY).union(part));
        }
        for (const [decision, part] of groups) {
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
        const place = this.places.find(p => p.device === device && p.interface === nextHop.interface);
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

    /** Splits packets by the address classes that the routing tables tell apart. */
    private byDestinationClass(packets: PacketSet): Array<[readonly [number, number], PacketSet]> {
        const pieces = new Map<string, { range: readonly [number, number]; cubes: Cube[] }>();
        for (const cube of packets.cubes) {
            for (const [lo, hi] of cube.dst.intervals) {
                for (const range of this.classes(lo, hi)) {
                    const k = `${range[0]}-${range[1]}`;
                    const piece = pieces.get(k) ?? { range, cubes: [] };
                    piece.cubes.push({ ...cube, dst: IntervalSet.of(range[0], range[1]) });
                    pieces.set(k, piece);
                }
            }
        }
        return [...pieces.values()].map(p => [p.range, p.cubes.reduce((set, c) => set.union(PacketSet.cube(c)), PacketSet.EMPTY)]);
    }

    /** [lo, hi] cut at every route boundary and at every interface address (delivered locally). */
    private classes(lo: number, hi: number): Array<readonly [number, number]> {
        const cuts = this.boundaries().filter(b => b > lo && b <= hi);
        const out: Array<readonly [number, number]> = [];
        let start = lo;
        for (const cut of cuts) {
            out.push([start, cut - 1]);
            start = cut;
        }
        out.push([start, hi]);
        return out;
    }

    private boundaryCache?: number[];

    private boundaries(): number[] {
        if (!this.boundaryCache) {
            const points = new Set(this.routing.universeBoundaries());
            for (const owned of this.network.addressOwner.keys()) {
                points.add(owned);
                points.add(owned + 1);
            }
            this.boundaryCache = [...points].sort((a, b) => a - b);
        }
        return this.boundaryCache;
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
