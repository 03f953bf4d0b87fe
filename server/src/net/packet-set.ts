/**
 * Exact sets of packet headers (source, destination, protocol, ports, DSCP) as unions of
 * disjoint cubes — the header-space representation the intent IR and its overlap analysis use.
 */
import { IntervalSet } from './interval-set.js';
import { ALL_ADDRESSES, formatAddress } from './ipv4.js';

export const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17 } as const;
export type ProtocolName = keyof typeof PROTOCOL_NUMBERS;
export const ALL_PROTOCOLS = IntervalSet.of(0, 255);
export const ALL_PORTS = IntervalSet.of(0, 65535);
/** The six bits of the DiffServ field: hosts set it as they like; steering uses it to know which waypoints a packet passed. */
export const ALL_DSCP = IntervalSet.of(0, 63);

/** One product of per-field sets; ports matter only for TCP and UDP. */
export interface Cube {
    readonly src: IntervalSet;
    readonly dst: IntervalSet;
    readonly protocol: IntervalSet;
    readonly dstPort: IntervalSet;
    /** Source ports: all, except for the replies of a service (its ports as source ports). */
    readonly srcPort: IntervalSet;
    readonly dscp: IntervalSet;
}

const FIELDS = ['src', 'dst', 'protocol', 'dstPort', 'srcPort', 'dscp'] as const;

export interface Packet {
    src: string;
    dst: string;
    protocol: string;
    dstPort?: number;
    srcPort?: number;
}

export class PacketSet {
    static readonly EMPTY = new PacketSet([]);
    static readonly ALL = PacketSet.cube({});

    /** The replies, once asked for (a set never changes): the same object each time, so that what is memoised by set is found again. */
    private replySet?: PacketSet;

    private constructor(readonly cubes: readonly Cube[]) {}

    /** The packets whose every field is in the given set; a field left out matches anything. */
    static cube(fields: Partial<Cube>): PacketSet {
        const cube: Cube = {
            src: fields.src ?? ALL_ADDRESSES,
            dst: fields.dst ?? ALL_ADDRESSES,
            protocol: fields.protocol ?? ALL_PROTOCOLS,
            dstPort: fields.dstPort ?? ALL_PORTS,
            srcPort: fields.srcPort ?? ALL_PORTS,
            dscp: fields.dscp ?? ALL_DSCP
        };
        return FIELDS.some(f => cube[f].isEmpty()) ? PacketSet.EMPTY : new PacketSet([cube]);
    }

    isEmpty(): boolean {
        return this.cubes.length === 0;
    }

    union(other: PacketSet): PacketSet {
        return new PacketSet([...this.cubes, ...other.subtract(this).cubes]);
    }

    intersect(other: PacketSet): PacketSet {
        const out: Cube[] = [];
        for (const a of this.cubes) {
            for (const b of other.cubes) {
                const c = intersectCubes(a, b);
                if (c) out.push(c);
            }
        }
        // All of this set (each cube within one of the other's): the very object, as IntervalSet.intersect.
        if (out.length === this.cubes.length && out.every((c, k) => c === this.cubes[k])) return this;
        return new PacketSet(out);
    }

    /** Whether some packet is in both sets (without building the intersection). */
    intersects(other: PacketSet): boolean {
        return this.cubes.some(a => other.cubes.some(b => intersectCubes(a, b) !== undefined));
    }

    subtract(other: PacketSet): PacketSet {
        let remaining = this.cubes as Cube[];
        for (const b of other.cubes) {
            remaining = remaining.flatMap(a => subtractCube(a, b));
            if (remaining.length === 0) break;
        }
        return new PacketSet(remaining);
    }

    contains(other: PacketSet): boolean {
        return other.subtract(this).isEmpty();
    }

    equals(other: PacketSet): boolean {
        // The same cubes in the same order (sets built alike), else by containment.
        const alike =
            this.cubes.length === other.cubes.length &&
            this.cubes.every((a, k) => FIELDS.every(field => a[field].equals(other.cubes[k][field])));
        return alike || (this.contains(other) && other.contains(this));
    }

    /** The replies: addresses swapped, the service's ports as the replies' source ports, any DSCP (the responder's). */
    replies(): PacketSet {
        return (this.replySet ??= new PacketSet(
            this.cubes.map(c => ({
                src: c.dst,
                dst: c.src,
                protocol: c.protocol,
                dstPort: c.srcPort,
                srcPort: c.dstPort,
                dscp: ALL_DSCP
            }))
        ));
    }

    /** The same packets with the DSCP field rewritten (as nft's `ip dscp set` does). */
    withDscp(dscp: number): PacketSet {
        const value = IntervalSet.of(dscp, dscp);
        return this.cubes.reduce((set, c) => set.union(new PacketSet([{ ...c, dscp: value }])), PacketSet.EMPTY);
    }

    /** One concrete packet of the set, if any: from hosts' addresses where the set has them. */
    witness(): Packet | undefined {
        const hostLike = (set: IntervalSet) => set.intervals.some(([lo, hi]) => hi - lo >= 2);
        const cube =
            this.cubes.find(c => hostLike(c.src) && hostLike(c.dst)) ??
            this.cubes.find(c => hostLike(c.dst)) ??
            this.cubes[0];
        return cube && cubeWitness(cube);
    }
}

/** a ∩ b; a itself where it lies within b. */
function intersectCubes(a: Cube, b: Cube): Cube | undefined {
    const out = {} as Record<(typeof FIELDS)[number], IntervalSet>;
    let within = true;
    for (const field of FIELDS) {
        const set = a[field].intersect(b[field]);
        if (set.isEmpty()) return undefined;
        out[field] = set;
        within &&= set === a[field];
    }
    return within ? a : out;
}

/** a − b as disjoint cubes: peel off, field by field, the part of a outside b. */
function subtractCube(a: Cube, b: Cube): Cube[] {
    if (!intersectCubes(a, b)) return [a];
    const out: Cube[] = [];
    let rest: Cube = a;
    for (const field of FIELDS) {
        const outside = rest[field].subtract(b[field]);
        if (!outside.isEmpty()) out.push({ ...rest, [field]: outside });
        rest = { ...rest, [field]: rest[field].intersect(b[field]) };
    }
    return out;
}

function cubeWitness(cube: Cube): Packet {
    // Prefer a protocol people replay (tcp, udp, icmp) over the lowest number.
    const name = (['tcp', 'udp', 'icmp'] as ProtocolName[]).find(p => cube.protocol.has(PROTOCOL_NUMBERS[p]));
    const packet: Packet = {
        src: formatAddress(hostAddress(cube.src)),
        dst: formatAddress(hostAddress(cube.dst)),
        protocol: name ?? String(cube.protocol.first())
    };
    if (name === 'tcp' || name === 'udp') {
        packet.dstPort = cube.dstPort.first();
        if (!cube.srcPort.equals(ALL_PORTS)) packet.srcPort = cube.srcPort.first();
    }
    return packet;
}

/** An address of the set that looks like a host's: inside a run of three or more, past its first. */
function hostAddress(addresses: IntervalSet): number {
    const [lo, hi] = addresses.intervals.find(([a, b]) => b - a >= 2) ?? addresses.intervals[0];
    return hi - lo >= 2 ? lo + 1 : lo;
}

/** Text for a packet, as a person reads it: "tcp 10.1.10.1 -> 10.1.20.1:5432". */
export function describePacket(packet: Packet): string {
    const source = packet.srcPort === undefined ? '' : `:${packet.srcPort}`;
    const port = packet.dstPort === undefined ? '' : `:${packet.dstPort}`;
    return `${packet.protocol} ${packet.src}${source} -> ${packet.dst}${port}`;
}
