/**
 * Sets of non-negative integers (IPv4 addresses, ports, protocol numbers as numbers; IPv6
 * addresses as bigints) as sorted, disjoint, non-adjacent inclusive intervals. Immutable: every
 * operation returns a new set. One set holds values of one kind: never mix numbers and bigints.
 */
export type Bound = number | bigint;
export type Interval<V extends Bound = number> = readonly [lo: V, hi: V];

/** Orders bounds of one family (a number and a bigint are never compared). */
export function compareBounds<V extends Bound>(a: V, b: V): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** v + 1 and v - 1 of either kind (numbers are the hot path: V8 inlines the type test). */
const next = <V extends Bound>(v: V): V => (typeof v === 'number' ? v + 1 : (v as bigint) + 1n) as V;
const previous = <V extends Bound>(v: V): V => (typeof v === 'number' ? v - 1 : (v as bigint) - 1n) as V;
const max = <V extends Bound>(a: V, b: V): V => (a > b ? a : b);
const min = <V extends Bound>(a: V, b: V): V => (a < b ? a : b);

export class IntervalSet<V extends Bound = number> {
    static readonly EMPTY = new IntervalSet<number>([]);
    static readonly EMPTY6 = new IntervalSet<bigint>([]);

    private constructor(readonly intervals: readonly Interval<V>[]) {}

    static of(lo: number, hi: number): IntervalSet;
    static of(lo: bigint, hi: bigint): IntervalSet<bigint>;
    static of<V extends Bound>(lo: V, hi: V): IntervalSet<V> {
        return new IntervalSet(lo > hi ? [] : [[lo, hi]]);
    }

    static fromIntervals<V extends Bound = number>(intervals: Iterable<Interval<V>>): IntervalSet<V> {
        const sorted = [...intervals]
            .filter(([lo, hi]) => lo <= hi)
            .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
        const merged: [V, V][] = [];
        for (const [lo, hi] of sorted) {
            const last = merged[merged.length - 1];
            if (last && lo <= next(last[1])) {
                last[1] = max(last[1], hi);
            } else {
                merged.push([lo, hi]);
            }
        }
        return new IntervalSet(merged);
    }

    isEmpty(): boolean {
        return this.intervals.length === 0;
    }

    /** The smallest member; the set must not be empty. */
    first(): V {
        return this.intervals[0][0];
    }

    /** How many members: a bigint for a non-empty IPv6 set, a number otherwise (an empty set has no kind). */
    size(): V | number {
        let n: Bound = 0;
        for (const [lo, hi] of this.intervals) {
            n =
                typeof lo === 'number'
                    ? (n as number) + (hi as number) - lo + 1
                    : BigInt(n) + (hi as bigint) - (lo as bigint) + 1n;
        }
        return n as V | number;
    }

    has(value: V): boolean {
        return this.intervals.some(([lo, hi]) => lo <= value && value <= hi);
    }

    union(other: IntervalSet<V>): IntervalSet<V> {
        return IntervalSet.fromIntervals([...this.intervals, ...other.intervals]);
    }

    intersect(other: IntervalSet<V>): IntervalSet<V> {
        const out: Interval<V>[] = [];
        let i = 0;
        let j = 0;
        while (i < this.intervals.length && j < other.intervals.length) {
            const [alo, ahi] = this.intervals[i];
            const [blo, bhi] = other.intervals[j];
            const lo = max(alo, blo);
            const hi = min(ahi, bhi);
            if (lo <= hi) out.push([lo, hi]);
            if (ahi < bhi) i++;
            else j++;
        }
        // All of this set: the very object (what is memoised by set is found again; nothing to allocate).
        if (
            out.length === this.intervals.length &&
            out.every(([lo, hi], k) => lo === this.intervals[k][0] && hi === this.intervals[k][1])
        )
            return this;
        return new IntervalSet(out);
    }

    subtract(other: IntervalSet<V>): IntervalSet<V> {
        const out: Interval<V>[] = [];
        let j = 0;
        for (const [lo0, hi] of this.intervals) {
            let lo = lo0;
            while (j < other.intervals.length && other.intervals[j][1] < lo) j++;
            let k = j;
            while (lo <= hi && k < other.intervals.length && other.intervals[k][0] <= hi) {
                const [blo, bhi] = other.intervals[k];
                if (blo > lo) out.push([lo, previous(blo)]);
                lo = max(lo, next(bhi));
                k++;
            }
            if (lo <= hi) out.push([lo, hi]);
        }
        return new IntervalSet(out);
    }

    intersects(other: IntervalSet<V>): boolean {
        let i = 0;
        let j = 0;
        while (i < this.intervals.length && j < other.intervals.length) {
            const [alo, ahi] = this.intervals[i];
            const [blo, bhi] = other.intervals[j];
            if (alo <= bhi && blo <= ahi) return true;
            if (ahi < bhi) i++;
            else j++;
        }
        return false;
    }

    contains(other: IntervalSet<V>): boolean {
        return other.subtract(this).isEmpty();
    }

    equals(other: IntervalSet<V>): boolean {
        return (
            this.intervals.length === other.intervals.length &&
            this.intervals.every(([lo, hi], i) => lo === other.intervals[i][0] && hi === other.intervals[i][1])
        );
    }
}
