/**
 * Sets of non-negative integers (IPv4 addresses, ports, protocol numbers) as sorted, disjoint,
 * non-adjacent inclusive intervals. Immutable: every operation returns a new set.
 */
export type Interval = readonly [lo: number, hi: number];

export class IntervalSet {
    static readonly EMPTY = new IntervalSet([]);

    private constructor(readonly intervals: readonly Interval[]) {}

    static of(lo: number, hi: number): IntervalSet {
        return lo > hi ? IntervalSet.EMPTY : new IntervalSet([[lo, hi]]);
    }

    static fromIntervals(intervals: Iterable<Interval>): IntervalSet {
        const sorted = [...intervals].filter(([lo, hi]) => lo <= hi).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        const merged: [number, number][] = [];
        for (const [lo, hi] of sorted) {
            const last = merged[merged.length - 1];
            if (last && lo <= last[1] + 1) {
                last[1] = Math.max(last[1], hi);
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
    first(): number {
        return this.intervals[0][0];
    }

    size(): number {
        return this.intervals.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
    }

    has(value: number): boolean {
        return this.intervals.some(([lo, hi]) => lo <= value && value <= hi);
    }

    union(other: IntervalSet): IntervalSet {
        return IntervalSet.fromIntervals([...this.intervals, ...other.intervals]);
    }

    intersect(other: IntervalSet): IntervalSet {
        const out: Interval[] = [];
        let i = 0;
        let j = 0;
        while (i < this.intervals.length && j < other.intervals.length) {
            const [alo, ahi] = this.intervals[i];
            const [blo, bhi] = other.intervals[j];
            const lo = Math.max(alo, blo);
            const hi = Math.min(ahi, bhi);
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

    subtract(other: IntervalSet): IntervalSet {
        const out: Interval[] = [];
        let j = 0;
        for (const [lo0, hi] of this.intervals) {
            let lo = lo0;
            while (j < other.intervals.length && other.intervals[j][1] < lo) j++;
            let k = j;
            while (lo <= hi && k < other.intervals.length && other.intervals[k][0] <= hi) {
                const [blo, bhi] = other.intervals[k];
                if (blo > lo) out.push([lo, blo - 1]);
                lo = Math.max(lo, bhi + 1);
                k++;
            }
            if (lo <= hi) out.push([lo, hi]);
        }
        return new IntervalSet(out);
    }

    intersects(other: IntervalSet): boolean {
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

    contains(other: IntervalSet): boolean {
        return other.subtract(this).isEmpty();
    }

    equals(other: IntervalSet): boolean {
        return (
            this.intervals.length === other.intervals.length &&
            this.intervals.every(([lo, hi], i) => lo === other.intervals[i][0] && hi === other.intervals[i][1])
        );
    }
}
