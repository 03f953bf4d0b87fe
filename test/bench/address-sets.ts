/**
 * How to hold 128-bit addresses in interval sets (issue 13 asks to measure it before building
 * IPv6 packet sets): bigints, or four 32-bit words compared word by word. Each representation runs
 * the operations packet sets use most (intersect, subtract, union of sorted disjoint intervals) on
 * the same random prefixes of a dual-stack network's size, and the two must agree on every result.
 * `node scripts/run-ts.mjs test/bench/address-sets.ts [PREFIXES] [ROUNDS] [bigint|words|numbers|check]`
 */
import { mulberry32 } from '../support/random.js';

const prefixes = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 20);
/** One representation per process keeps the shared code monomorphic, as a real implementation would be; `check` compares the two. */
const only = process.argv[4] ?? 'check';

/** What an interval-set implementation needs of its values. */
interface Arithmetic<V> {
    compare(a: V, b: V): number;
    next(v: V): V;
    previous(v: V): V;
    max(a: V, b: V): V;
    min(a: V, b: V): V;
}

type Interval<V> = readonly [V, V];

/** Sorted, disjoint, non-adjacent intervals, as net/interval-set.ts keeps them. */
function normalise<V>(a: Arithmetic<V>, intervals: Interval<V>[]): Interval<V>[] {
    const sorted = [...intervals].sort((x, y) => a.compare(x[0], y[0]) || a.compare(x[1], y[1]));
    const out: [V, V][] = [];
    for (const [lo, hi] of sorted) {
        const last = out[out.length - 1];
        if (last && a.compare(lo, a.next(last[1])) <= 0) last[1] = a.max(last[1], hi);
        else out.push([lo, hi]);
    }
    return out;
}

function intersect<V>(a: Arithmetic<V>, x: readonly Interval<V>[], y: readonly Interval<V>[]): Interval<V>[] {
    const out: Interval<V>[] = [];
    let i = 0;
    let j = 0;
    while (i < x.length && j < y.length) {
        const lo = a.max(x[i][0], y[j][0]);
        const hi = a.min(x[i][1], y[j][1]);
        if (a.compare(lo, hi) <= 0) out.push([lo, hi]);
        if (a.compare(x[i][1], y[j][1]) < 0) i++;
        else j++;
    }
    return out;
}

function subtract<V>(a: Arithmetic<V>, x: readonly Interval<V>[], y: readonly Interval<V>[]): Interval<V>[] {
    const out: Interval<V>[] = [];
    let j = 0;
    for (const [xlo, xhi] of x) {
        let lo = xlo;
        while (j < y.length && a.compare(y[j][1], lo) < 0) j++;
        let k = j;
        let done = false;
        while (k < y.length && a.compare(y[k][0], xhi) <= 0) {
            if (a.compare(y[k][0], lo) > 0) out.push([lo, a.previous(y[k][0])]);
            if (a.compare(y[k][1], xhi) >= 0) {
                done = true;
                break;
            }
            lo = a.next(y[k][1]);
            k++;
        }
        if (!done) out.push([lo, xhi]);
    }
    return out;
}

const BIGINT: Arithmetic<bigint> = {
    compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    next: v => v + 1n,
    previous: v => v - 1n,
    max: (a, b) => (a > b ? a : b),
    min: (a, b) => (a < b ? a : b)
};

/** Four 32-bit words, most significant first. */
type Words = readonly [number, number, number, number];
const MASK = 0xffffffff;

const WORDS: Arithmetic<Words> = {
    compare: (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3],
    next: v => {
        const out = [...v] as [number, number, number, number];
        for (let i = 3; i >= 0; i--) {
            if (out[i] !== MASK) {
                out[i]++;
                return out;
            }
            out[i] = 0;
        }
        return out;
    },
    previous: v => {
        const out = [...v] as [number, number, number, number];
        for (let i = 3; i >= 0; i--) {
            if (out[i] !== 0) {
                out[i]--;
                return out;
            }
            out[i] = MASK;
        }
        return out;
    },
    max: (a, b) => (WORDS.compare(a, b) >= 0 ? a : b),
    min: (a, b) => (WORDS.compare(a, b) <= 0 ? a : b)
};

function toWords(v: bigint): Words {
    return [
        Number((v >> 96n) & 0xffffffffn),
        Number((v >> 64n) & 0xffffffffn),
        Number((v >> 32n) & 0xffffffffn),
        Number(v & 0xffffffffn)
    ];
}

/** Random IPv6 prefixes as a dual-stack network has them: /48 to /128 under a few /32s. */
function randomPrefixes(seed: number, count: number): Interval<bigint>[] {
    const random = mulberry32(seed);
    const word = () => BigInt(Math.floor(random() * 2 ** 32));
    const sites = [0x20010db8n, 0x2a0a_1234n, 0x2001_0470n];
    return Array.from({ length: count }, () => {
        const length = [48, 56, 64, 64, 64, 127, 128][Math.floor(random() * 7)];
        const base = (sites[Math.floor(random() * sites.length)] << 96n) | (word() << 64n) | (word() << 32n) | word();
        const host = (1n << BigInt(128 - length)) - 1n;
        const lo = base & ~host & ((1n << 128n) - 1n);
        return [lo, lo | host] as const;
    });
}

function measure<V>(name: string, a: Arithmetic<V>, sets: Interval<V>[][]): { ms: number; result: Interval<V>[][] } {
    let result: Interval<V>[][] = [];
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
        result = [];
        for (let i = 0; i + 1 < sets.length; i++) {
            const both = intersect(a, sets[i], sets[i + 1]);
            const rest = subtract(a, sets[i], sets[i + 1]);
            result.push(both, rest, normalise(a, [...both, ...rest, ...sets[i + 1]]));
        }
    }
    const ms = (performance.now() - started) / rounds;
    console.log(`${name}: ${ms.toFixed(2)} ms a round`);
    return { ms, result };
}

/** IPv4 as today (net/interval-set.ts holds numbers): the baseline IPv6 is held against. */
const NUMBER: Arithmetic<number> = {
    compare: (a, b) => a - b,
    next: v => v + 1,
    previous: v => v - 1,
    max: Math.max,
    min: Math.min
};

const bigSets = Array.from({ length: 40 }, (_, i) => normalise(BIGINT, randomPrefixes(i + 1, prefixes / 40)));
const wordSets = bigSets.map(set => set.map(([lo, hi]) => [toWords(lo), toWords(hi)] as const));
// IPv4 prefixes drawn alike: /16 to /32 under a few /8s.
const numberSets = Array.from({ length: 40 }, (_, i) => {
    const random = mulberry32(i + 1);
    return normalise(
        NUMBER,
        Array.from({ length: prefixes / 40 }, () => {
            const length = [16, 20, 24, 24, 24, 31, 32][Math.floor(random() * 7)];
            const base = ([10, 172, 192][Math.floor(random() * 3)] * 2 ** 24 + Math.floor(random() * 2 ** 24)) >>> 0;
            const size = 2 ** (32 - length);
            const lo = base - (base % size);
            return [lo, lo + size - 1] as const;
        })
    );
});
if (only === 'check') {
    const big = measure('bigint', BIGINT, bigSets);
    const words = measure('four 32-bit words', WORDS, wordSets);
    const same =
        JSON.stringify(big.result.map(set => set.map(([lo, hi]) => [toWords(lo), toWords(hi)]))) ===
        JSON.stringify(words.result);
    if (!same) throw new Error('the two representations disagree');
    console.log('bigint and four words agree on every result');
} else {
    // Once to warm up (the JIT), then measured.
    const run = () =>
        only === 'bigint'
            ? measure(only, BIGINT, bigSets)
            : only === 'words'
              ? measure(only, WORDS, wordSets)
              : measure(only, NUMBER, numberSets);
    run();
    console.log(`| ${prefixes} prefixes | ${only} | ${run().ms.toFixed(2)} ms a round |`);
}
