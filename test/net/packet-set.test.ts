/** Interval and packet sets against brute force on small universes. */
import { describe, expect, it } from 'vitest';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { formatAddress, parseAddress, parsePrefix } from '../../server/src/net/ipv4.js';
import { formatAddress6, parseAddress6 } from '../../server/src/net/ipv6.js';
import { describePacket, PacketSet, type Cube, type Cube6 } from '../../server/src/net/packet-set.js';
import { mulberry32 } from '../support/random.js';

const SIZE = 16;

function randomSet(next: () => number): IntervalSet {
    const intervals: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
        const lo = Math.floor(next() * SIZE);
        intervals.push([lo, Math.min(SIZE - 1, lo + Math.floor(next() * 5))]);
    }
    return IntervalSet.fromIntervals(intervals.filter(() => next() < 0.8));
}

const members = (set: IntervalSet) => Array.from({ length: SIZE }, (_, i) => i).filter(i => set.has(i));

/** The small universe moved to the top of the IPv6 space, where bigint arithmetic (and only it) is exact. */
const TOP6 = (1n << 128n) - BigInt(SIZE);
const toIPv6 = (set: IntervalSet) =>
    IntervalSet.fromIntervals<bigint>(set.intervals.map(([lo, hi]) => [TOP6 + BigInt(lo), TOP6 + BigInt(hi)]));
const members6 = (set: IntervalSet<bigint>) =>
    Array.from({ length: SIZE }, (_, i) => i).filter(i => set.has(TOP6 + BigInt(i)));

describe('IntervalSet', () => {
    it('union, intersection and difference agree with brute force on 500 random pairs', () => {
        const next = mulberry32(7);
        for (let n = 0; n < 500; n++) {
            const a = randomSet(next);
            const b = randomSet(next);
            const ma = new Set(members(a));
            const mb = new Set(members(b));
            expect(members(a.union(b))).toEqual([...Array(SIZE).keys()].filter(i => ma.has(i) || mb.has(i)));
            expect(members(a.intersect(b))).toEqual([...Array(SIZE).keys()].filter(i => ma.has(i) && mb.has(i)));
            expect(members(a.subtract(b))).toEqual([...Array(SIZE).keys()].filter(i => ma.has(i) && !mb.has(i)));
            expect(a.contains(b)).toBe([...mb].every(i => ma.has(i)));
            // The same sets of IPv6 addresses (bigints, at the end of the space) give the same answers.
            const [a6, b6] = [toIPv6(a), toIPv6(b)];
            expect(members6(a6.union(b6))).toEqual(members(a.union(b)));
            expect(members6(a6.intersect(b6))).toEqual(members(a.intersect(b)));
            expect(members6(a6.subtract(b6))).toEqual(members(a.subtract(b)));
            expect(a6.contains(b6)).toBe(a.contains(b));
            expect(BigInt(a6.size())).toBe(BigInt(a.size()));
        }
    });
});

describe('PacketSet', () => {
    const cube = (next: () => number): Cube => ({
        src: randomSet(next),
        dst: randomSet(next),
        protocol: randomSet(next),
        dstPort: randomSet(next),
        srcPort: IntervalSet.of(0, 65535),
        dscp: IntervalSet.of(0, 63)
    });
    const small = (c: Cube) =>
        members(c.src).length * members(c.dst).length * members(c.protocol).length * members(c.dstPort).length;

    /** A cube of either family: the IPv6 one has the same small sets of addresses, moved to the top of the space. */
    const mixed = (next: () => number): PacketSet => {
        const c = cube(next);
        return next() < 0.5 ? PacketSet.cube(c) : PacketSet.cube6({ ...c, src: toIPv6(c.src), dst: toIPv6(c.dst) });
    };

    function points(set: PacketSet): Set<string> {
        const out = new Set<string>();
        const add = (family: number, c: Cube | Cube6, src: number[], dst: number[]) => {
            for (const s of src)
                for (const d of dst)
                    for (const p of members(c.protocol))
                        for (const q of members(c.dstPort)) out.add(`${family}:${s},${d},${p},${q}`);
        };
        for (const c of set.cubes) add(4, c, members(c.src), members(c.dst));
        for (const c of set.cubes6) add(6, c, members6(c.src), members6(c.dst));
        return out;
    }

    it('set algebra over four fields agrees with brute force on 200 random pairs', () => {
        const next = mulberry32(11);
        for (let n = 0; n < 200; n++) {
            const a = PacketSet.cube(cube(next)).union(PacketSet.cube(cube(next)));
            const b = PacketSet.cube(cube(next));
            const pa = points(a);
            const pb = points(b);
            expect(points(a.subtract(b))).toEqual(new Set([...pa].filter(x => !pb.has(x))));
            expect(points(a.intersect(b))).toEqual(new Set([...pa].filter(x => pb.has(x))));
            expect(points(a.union(b))).toEqual(new Set([...pa, ...pb]));
            expect(a.contains(b)).toBe([...pb].every(x => pa.has(x)));
            expect(a.equals(b)).toBe(pa.size === pb.size && [...pa].every(x => pb.has(x)));
            // What is memoised by set (the verifier's filter results) is found again: a set within
            // another is its own intersection with it, the very object.
            expect(a.intersect(a.union(b)) === a || a.isEmpty()).toBe(true);
            expect(a.replies()).toBe(a.replies());
            // Cubes of a set are disjoint: the points add up.
            expect(a.cubes.reduce((sum, c) => sum + small(c), 0)).toBe(pa.size);
        }
    });

    it('set algebra over both families agrees with brute force, the family a field like the others', () => {
        const next = mulberry32(13);
        for (let n = 0; n < 200; n++) {
            const a = mixed(next).union(mixed(next));
            const b = mixed(next).union(mixed(next));
            const pa = points(a);
            const pb = points(b);
            expect(points(a.subtract(b))).toEqual(new Set([...pa].filter(x => !pb.has(x))));
            expect(points(a.intersect(b))).toEqual(new Set([...pa].filter(x => pb.has(x))));
            expect(points(a.union(b))).toEqual(new Set([...pa, ...pb]));
            expect(a.intersects(b)).toBe([...pa].some(x => pb.has(x)));
            expect(a.contains(b)).toBe([...pb].every(x => pa.has(x)));
            expect(points(a.family(6))).toEqual(new Set([...pa].filter(x => x.startsWith('6:'))));
            expect(points(a.replies().replies())).toEqual(pa);
        }
        // A family's packets never meet the other's, whatever their addresses.
        expect(PacketSet.IPV4.intersects(PacketSet.IPV6)).toBe(false);
        expect(PacketSet.ALL.subtract(PacketSet.IPV4).equals(PacketSet.IPV6)).toBe(true);
    });

    it("a set meets another's replies exactly where its own replies meet the other (the session's test of a change)", () => {
        const next = mulberry32(17);
        // Every field random, source ports and DSCP included: replies swap ports and forget DSCP.
        const full = () => {
            const c = { ...cube(next), srcPort: randomSet(next), dscp: randomSet(next) };
            return next() < 0.5 ? PacketSet.cube(c) : PacketSet.cube6({ ...c, src: toIPv6(c.src), dst: toIPv6(c.dst) });
        };
        const seen = { met: 0, apart: 0 };
        for (let n = 0; n < 300; n++) {
            const a = full().union(full());
            const b = full();
            const met = a.replies().intersects(b);
            expect(b.replies().intersects(a)).toBe(met);
            expect(met).toBe(!a.replies().intersect(b).isEmpty());
            seen[met ? 'met' : 'apart']++;
        }
        expect(Math.min(seen.met, seen.apart)).toBeGreaterThan(30);
    });

    it('an IPv6 witness is a member of the set, written in RFC 5952 form, and icmp in it is ICMPv6', () => {
        const src = IntervalSet.of(parseAddress6('2001:db8:1::')!, parseAddress6('2001:db8:1::ffff')!);
        const dst = IntervalSet.of(parseAddress6('2001:db8:2::')!, parseAddress6('2001:db8:2::ffff')!);
        const w = PacketSet.cube6({ src, dst, protocol: IntervalSet.of(58, 58) }).witness()!;
        expect(w).toEqual({ src: '2001:db8:1::1', dst: '2001:db8:2::1', protocol: 'icmp' });
        expect(formatAddress6(parseAddress6(w.src)!)).toBe(w.src);
        // IPv4 first where a set has both.
        const both = PacketSet.cube6({ src, dst }).union(PacketSet.cube({ src: IntervalSet.of(10, 20) }));
        expect(parseAddress(both.witness()!.src)).toBe(11);
    });

    it('equal sets built apart are equal, cube by cube or cut otherwise', () => {
        const next = mulberry32(5);
        for (let n = 0; n < 200; n++) {
            const [a, b] = [PacketSet.cube(cube(next)), PacketSet.cube(cube(next))];
            expect(a.union(b).equals(b.union(a))).toBe(true);
            expect(PacketSet.cube({ ...a.cubes[0] }).equals(a) || a.isEmpty()).toBe(true);
            expect(a.subtract(b).union(a.intersect(b)).equals(a)).toBe(true);
        }
    });

    it('a witness is a member of the set', () => {
        const next = mulberry32(3);
        for (let n = 0; n < 100; n++) {
            const set = PacketSet.cube(cube(next));
            if (set.isEmpty()) {
                expect(set.witness()).toBeUndefined();
                continue;
            }
            const w = set.witness()!;
            const [c] = set.cubes;
            expect(c.src.has(parseAddress(w.src)!)).toBe(true);
            expect(c.dst.has(parseAddress(w.dst)!)).toBe(true);
        }
    });
});

describe('IPv4', () => {
    it('parses and formats addresses and prefixes', () => {
        expect(formatAddress(parseAddress('203.0.113.255')!)).toBe('203.0.113.255');
        expect(parseAddress('10.300.0.1')).toBeUndefined();
        expect(parseAddress('10.0.0')).toBeUndefined();
        expect(parsePrefix('10.1.1.5/24')).toEqual({
            prefix: { network: parseAddress('10.1.1.0'), length: 24 },
            hostBitsSet: true
        });
        expect(parsePrefix('0.0.0.0/0')).toEqual({ prefix: { network: 0, length: 0 }, hostBitsSet: false });
        expect(parsePrefix('10.0.0.0/33')).toBeUndefined();
        expect(parsePrefix('10.0.0.1')).toEqual({
            prefix: { network: parseAddress('10.0.0.1'), length: 32 },
            hostBitsSet: false
        });
    });
});

describe('describePacket', () => {
    it('writes an IPv6 address with a port in brackets (RFC 5952, section 6), an IPv4 one as it is', () => {
        expect(describePacket({ src: '10.1.10.1', dst: '10.1.20.1', protocol: 'tcp', dstPort: 5432 })).toBe(
            'tcp 10.1.10.1 -> 10.1.20.1:5432'
        );
        expect(
            describePacket({ src: '2001:db8:1::1', dst: '2001:db8:2::1', protocol: 'udp', dstPort: 53, srcPort: 5353 })
        ).toBe('udp [2001:db8:1::1]:5353 -> [2001:db8:2::1]:53');
        expect(describePacket({ src: '2001:db8:1::1', dst: '2001:db8:2::1', protocol: 'icmp' })).toBe(
            'icmp 2001:db8:1::1 -> 2001:db8:2::1'
        );
    });
});
