/** Interval and packet sets against brute force on small universes. */
import { describe, expect, it } from 'vitest';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { formatAddress, parseAddress, parsePrefix } from '../../server/src/net/ipv4.js';
import { PacketSet, type Cube } from '../../server/src/net/packet-set.js';
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

    function points(set: PacketSet): Set<string> {
        const out = new Set<string>();
        for (const c of set.cubes) {
            for (const s of members(c.src))
                for (const d of members(c.dst))
                    for (const p of members(c.protocol))
                        for (const q of members(c.dstPort)) out.add(`${s},${d},${p},${q}`);
        }
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
