/**
 * Exact sets of packet headers (address family, source, destination, protocol, ports, DSCP) as
 * unions of disjoint cubes — the header-space representation the intent IR and its overlap
 * analysis use. The family is the first field: a set holds IPv4 cubes (addresses as numbers) and
 * IPv6 cubes (addresses as bigints) apart, and every operation works on each family alone.
 */
import type { Addresses } from './family.js';
import { IntervalSet, type Bound } from './interval-set.js';
import { ALL_ADDRESSES, formatAddress } from './ipv4.js';
import { ALL_ADDRESSES6, formatAddress6 } from './ipv6.js';

export type Family = 4 | 6;
export const FAMILIES: readonly Family[] = [4, 6];

export const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17 } as const;
export type ProtocolName = keyof typeof PROTOCOL_NUMBERS;
/** ICMPv6's next-header number: what `icmp` means for IPv6 packets. */
export const ICMPV6 = 58;

/** The protocol number a name means in a family (`icmp`: ICMP in IPv4, ICMPv6 in IPv6). */
export function protocolNumber(name: ProtocolName, family: Family): number {
    return name === 'icmp' && family === 6 ? ICMPV6 : PROTOCOL_NUMBERS[name];
}
export const ALL_PROTOCOLS = IntervalSet.of(0, 255);
export const ALL_PORTS = IntervalSet.of(0, 65535);
/** The six bits of the DiffServ field: hosts set it as they like; steering uses it to know which waypoints a packet passed. */
export const ALL_DSCP = IntervalSet.of(0, 63);

/** One product of per-field sets; ports matter only for TCP and UDP. Addresses: numbers (IPv4) or bigints (IPv6). */
export interface Cube<A extends Bound = number> {
    readonly src: IntervalSet<A>;
    readonly dst: IntervalSet<A>;
    readonly protocol: IntervalSet;
    readonly dstPort: IntervalSet;
    /** Source ports: all, except for the replies of a service (its ports as source ports). */
    readonly srcPort: IntervalSet;
    readonly dscp: IntervalSet;
}

export type Cube6 = Cube<bigint>;

const FIELDS = ['src', 'dst', 'protocol', 'dstPort', 'srcPort', 'dscp'] as const;

export interface Packet {
    src: string;
    dst: string;
    protocol: string;
    dstPort?: number;
    srcPort?: number;
}

const NO_CUBES6: readonly Cube6[] = [];

export class PacketSet {
    static readonly EMPTY = new PacketSet([], []);
    /** Every IPv4 packet. */
    static readonly IPV4 = PacketSet.cube({});
    /** Every IPv6 packet. */
    static readonly IPV6 = PacketSet.cube6({});
    /** Every packet of both families. */
    static readonly ALL = PacketSet.IPV4.union(PacketSet.IPV6);

    /** The replies, once asked for (a set never changes): the same object each time, so that what is memoised by set is found again. */
    private replySet?: PacketSet;
    /** Each family's packets, once asked for: the same objects each time, as the replies. */
    private familySets?: { 4?: PacketSet; 6?: PacketSet };

    /** The IPv6 packets (`cubes`: the IPv4 ones). */
    readonly cubes6: readonly Cube6[];

    private constructor(
        readonly cubes: readonly Cube[],
        cubes6: readonly Cube6[]
    ) {
        // Most sets have no IPv6 packets: they share one empty list rather than keep one each.
        this.cubes6 = cubes6.length === 0 ? NO_CUBES6 : cubes6;
    }

    /** The IPv4 packets whose every field is in the given set; a field left out matches anything. */
    static cube(fields: Partial<Cube>): PacketSet {
        const cube = filled(fields, ALL_ADDRESSES);
        return cube ? new PacketSet([cube], []) : PacketSet.EMPTY;
    }

    /** The IPv6 packets whose every field is in the given set; a field left out matches anything. */
    static cube6(fields: Partial<Cube6>): PacketSet {
        const cube = filled(fields, ALL_ADDRESSES6);
        return cube ? new PacketSet([], [cube]) : PacketSet.EMPTY;
    }

    /**
     * The packets of both families from these sources to these destinations (a side left out:
     * any address), each family's with its own addresses.
     */
    static between(src: Addresses | undefined, dst: Addresses | undefined): PacketSet {
        const v4 = filled({ src: src?.v4, dst: dst?.v4 }, ALL_ADDRESSES);
        const v6 = filled({ src: src?.v6, dst: dst?.v6 }, ALL_ADDRESSES6);
        return v4 || v6 ? new PacketSet(v4 ? [v4] : [], v6 ? [v6] : []) : PacketSet.EMPTY;
    }

    isEmpty(): boolean {
        return this.cubes.length === 0 && this.cubes6.length === 0;
    }

    /** The packets of one family. */
    family(family: Family): PacketSet {
        const kept = family === 4 ? this.cubes6.length === 0 : this.cubes.length === 0;
        if (kept) return this;
        const sets = (this.familySets ??= {});
        return (sets[family] ??= family === 4 ? new PacketSet(this.cubes, []) : new PacketSet([], this.cubes6));
    }

    /** The union of sets that share no packet (the caller knows they do not): their cubes side by side. */
    static disjointUnion(sets: readonly PacketSet[]): PacketSet {
        if (sets.length === 1) return sets[0];
        return new PacketSet(
            sets.flatMap(set => set.cubes),
            sets.flatMap(set => set.cubes6)
        );
    }

    union(other: PacketSet): PacketSet {
        const missing = other.subtract(this);
        if (missing.isEmpty()) return this;
        return new PacketSet([...this.cubes, ...missing.cubes], [...this.cubes6, ...missing.cubes6]);
    }

    intersect(other: PacketSet): PacketSet {
        const cubes = intersectAll(this.cubes, other.cubes);
        const cubes6 = intersectAll(this.cubes6, other.cubes6);
        // All of this set (each cube within one of the other's): the very object, as IntervalSet.intersect.
        if (cubes === this.cubes && cubes6 === this.cubes6) return this;
        return new PacketSet(cubes, cubes6);
    }

    /** Whether some packet is in both sets (without building the intersection). */
    intersects(other: PacketSet): boolean {
        return (
            this.cubes.some(a => other.cubes.some(b => intersectCubes(a, b) !== undefined)) ||
            this.cubes6.some(a => other.cubes6.some(b => intersectCubes(a, b) !== undefined))
        );
    }

    subtract(other: PacketSet): PacketSet {
        return new PacketSet(subtractAll(this.cubes, other.cubes), subtractAll(this.cubes6, other.cubes6));
    }

    contains(other: PacketSet): boolean {
        return other.subtract(this).isEmpty();
    }

    equals(other: PacketSet): boolean {
        // The same cubes in the same order (sets built alike), else by containment.
        return (
            (sameCubes(this.cubes, other.cubes) && sameCubes(this.cubes6, other.cubes6)) ||
            (this.contains(other) && other.contains(this))
        );
    }

    /** The replies: addresses swapped, the service's ports as the replies' source ports, any DSCP (the responder's). */
    replies(): PacketSet {
        return (this.replySet ??= new PacketSet(this.cubes.map(replyCube), this.cubes6.map(replyCube)));
    }

    /** The same packets with the DSCP field rewritten (as nft's `ip dscp set` does). */
    withDscp(dscp: number): PacketSet {
        const value = IntervalSet.of(dscp, dscp);
        const rewritten = <A extends Bound>(cubes: readonly Cube<A>[]) =>
            cubes
                .map(c => [{ ...c, dscp: value }])
                .reduce((set, cube) => set.concat(subtractAll(cube, set)), [] as Cube<A>[]);
        return new PacketSet(rewritten(this.cubes), rewritten(this.cubes6));
    }

    /** One concrete packet of the set, if any: IPv4 before IPv6, from hosts' addresses where the set has them. */
    witness(): Packet | undefined {
        return familyWitness(this.cubes, formatAddress, 4) ?? familyWitness(this.cubes6, formatAddress6, 6);
    }
}

function filled<A extends Bound>(fields: Partial<Cube<A>>, addresses: IntervalSet<A>): Cube<A> | undefined {
    const cube: Cube<A> = {
        src: fields.src ?? addresses,
        dst: fields.dst ?? addresses,
        protocol: fields.protocol ?? ALL_PROTOCOLS,
        dstPort: fields.dstPort ?? ALL_PORTS,
        srcPort: fields.srcPort ?? ALL_PORTS,
        dscp: fields.dscp ?? ALL_DSCP
    };
    return FIELDS.some(f => cube[f].isEmpty()) ? undefined : cube;
}

/** Each cube of `as` intersected with each of `bs`; `as` itself where every cube lies within one of `bs`. */
function intersectAll<A extends Bound>(as: readonly Cube<A>[], bs: readonly Cube<A>[]): readonly Cube<A>[] {
    const out: Cube<A>[] = [];
    for (const a of as) {
        for (const b of bs) {
            const c = intersectCubes(a, b);
            if (c) out.push(c);
        }
    }
    return out.length === as.length && out.every((c, k) => c === as[k]) ? as : out;
}

function subtractAll<A extends Bound>(as: readonly Cube<A>[], bs: readonly Cube<A>[]): Cube<A>[] {
    let remaining = as as Cube<A>[];
    for (const b of bs) {
        if (remaining.length === 0) break;
        remaining = remaining.flatMap(a => subtractCube(a, b));
    }
    return remaining;
}

function sameCubes<A extends Bound>(as: readonly Cube<A>[], bs: readonly Cube<A>[]): boolean {
    return (
        as.length === bs.length &&
        as.every((a, k) =>
            FIELDS.every(field => (a[field] as IntervalSet<Bound>).equals(bs[k][field] as IntervalSet<Bound>))
        )
    );
}

function replyCube<A extends Bound>(c: Cube<A>): Cube<A> {
    return { src: c.dst, dst: c.src, protocol: c.protocol, dstPort: c.srcPort, srcPort: c.dstPort, dscp: ALL_DSCP };
}

/** a ∩ b; a itself where it lies within b. */
function intersectCubes<A extends Bound>(a: Cube<A>, b: Cube<A>): Cube<A> | undefined {
    const out = {} as Record<(typeof FIELDS)[number], IntervalSet<Bound>>;
    let within = true;
    for (const field of FIELDS) {
        const set = (a[field] as IntervalSet<Bound>).intersect(b[field] as IntervalSet<Bound>);
        if (set.isEmpty()) return undefined;
        out[field] = set;
        within &&= set === a[field];
    }
    return within ? a : (out as unknown as Cube<A>);
}

/** a − b as disjoint cubes: peel off, field by field, the part of a outside b. */
function subtractCube<A extends Bound>(a: Cube<A>, b: Cube<A>): Cube<A>[] {
    if (!intersectCubes(a, b)) return [a];
    const out: Cube<A>[] = [];
    let rest = a as Record<(typeof FIELDS)[number], IntervalSet<Bound>>;
    for (const field of FIELDS) {
        const outside = rest[field].subtract(b[field] as IntervalSet<Bound>);
        if (!outside.isEmpty()) out.push({ ...rest, [field]: outside } as unknown as Cube<A>);
        rest = { ...rest, [field]: rest[field].intersect(b[field] as IntervalSet<Bound>) };
    }
    return out;
}

/** The witness of one family's cubes: from hosts' addresses where the set has them. */
function familyWitness<A extends Bound>(
    cubes: readonly Cube<A>[],
    format: (address: A) => string,
    family: Family
): Packet | undefined {
    const hostLike = (set: IntervalSet<A>) => set.intervals.some(wide);
    const cube = cubes.find(c => hostLike(c.src) && hostLike(c.dst)) ?? cubes.find(c => hostLike(c.dst)) ?? cubes[0];
    return cube && cubeWitness(cube, format, family);
}

function cubeWitness<A extends Bound>(cube: Cube<A>, format: (address: A) => string, family: Family): Packet {
    // Prefer a protocol people replay (tcp, udp, icmp) over the lowest number.
    const name = (['tcp', 'udp', 'icmp'] as ProtocolName[]).find(p => cube.protocol.has(protocolNumber(p, family)));
    const packet: Packet = {
        src: format(hostAddress(cube.src)),
        dst: format(hostAddress(cube.dst)),
        protocol: name ?? String(cube.protocol.first())
    };
    if (name === 'tcp' || name === 'udp') {
        packet.dstPort = cube.dstPort.first();
        if (!cube.srcPort.equals(ALL_PORTS)) packet.srcPort = cube.srcPort.first();
    }
    return packet;
}

/** Whether an address range holds three addresses or more (a subnet's hosts, not a link's two ends). */
function wide<A extends Bound>([lo, hi]: readonly [A, A]): boolean {
    return typeof lo === 'number' ? (hi as number) - lo >= 2 : (hi as bigint) - (lo as bigint) >= 2n;
}

/** An address of the set that looks like a host's: inside a run of three or more, past its first. */
function hostAddress<A extends Bound>(addresses: IntervalSet<A>): A {
    const [lo, hi] = addresses.intervals.find(wide) ?? addresses.intervals[0];
    if (!wide([lo, hi])) return lo;
    return (typeof lo === 'number' ? lo + 1 : (lo as bigint) + 1n) as A;
}

/**
 * Text for a packet, as a person reads it: "tcp 10.1.10.1 -> 10.1.20.1:5432"; an IPv6 address
 * with a port in brackets, as RFC 5952 (section 6) writes it: "tcp 2001:db8:1::1 -> [2001:db8:2::1]:5432".
 */
export function describePacket(packet: Packet): string {
    const end = (address: string, port: number | undefined) =>
        port === undefined ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    return `${packet.protocol} ${end(packet.src, packet.srcPort)} -> ${end(packet.dst, packet.dstPort)}`;
}
