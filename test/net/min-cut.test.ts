import { describe, expect, it } from 'vitest';
import { FlowNetwork, type Arc } from '../../server/src/net/min-cut.js';
import { mulberry32 } from '../support/random.js';

/** Whether `target` is reachable from `source` once the given elements fail. */
function connected(arcs: readonly Arc[], source: string, target: string, failed: ReadonlySet<string>): boolean {
    const seen = new Set([source]);
    const queue = [source];
    while (queue.length > 0) {
        const node = queue.pop()!;
        for (const arc of arcs) {
            if (arc.from !== node || seen.has(arc.to) || (arc.element !== undefined && failed.has(arc.element)))
                continue;
            seen.add(arc.to);
            queue.push(arc.to);
        }
    }
    return seen.has(target);
}

/** The size of a smallest set of elements separating the two, by trying every set (small graphs only). */
function bruteForceCut(arcs: readonly Arc[], source: string, target: string): number {
    const elements = [...new Set(arcs.flatMap(a => (a.element === undefined ? [] : [a.element])))];
    let best = Infinity;
    for (let mask = 0; mask < 1 << elements.length; mask++) {
        const failed = new Set(elements.filter((_, i) => mask & (1 << i)));
        if (failed.size < best && !connected(arcs, source, target, failed)) best = failed.size;
    }
    return best;
}

describe('FlowNetwork', () => {
    it('finds a smallest cut, the same size as trying every set, on random undirected graphs', () => {
        const next = mulberry32(7);
        for (let trial = 0; trial < 60; trial++) {
            const nodes = 4 + Math.floor(next() * 5);
            const arcs: Arc[] = [];
            let link = 0;
            for (let a = 0; a < nodes; a++) {
                for (let b = a + 1; b < nodes; b++) {
                    if (next() > 0.45) continue;
                    // A link is two arcs that fail together; some pairs have parallel links.
                    for (let copies = next() < 0.15 ? 2 : 1; copies > 0; copies--, link++) {
                        arcs.push(
                            { from: `n${a}`, to: `n${b}`, element: `l${link}` },
                            { from: `n${b}`, to: `n${a}`, element: `l${link}` }
                        );
                    }
                }
            }
            const network = new FlowNetwork(arcs);
            const expected = bruteForceCut(arcs, 'n0', `n${nodes - 1}`);
            for (let limit = 0; limit <= 3; limit++) {
                const result = network.minimumCut('n0', `n${nodes - 1}`, limit);
                expect(result.separable, `trial ${trial} limit ${limit}`).toBe(expected <= limit);
                if (result.separable) {
                    expect(result.cut).toHaveLength(expected);
                    expect(connected(arcs, 'n0', `n${nodes - 1}`, new Set(result.cut))).toBe(false);
                }
            }
        }
    });

    it('finds a smallest set of devices to separate two, as the verifier splits each device in two, the same size as trying every set', () => {
        const next = mulberry32(11);
        for (let trial = 0; trial < 60; trial++) {
            const nodes = 4 + Math.floor(next() * 5);
            // Each device an arc from its in-half to its out-half, which fails with it; links never fail here.
            const arcs: Arc[] = Array.from({ length: nodes }, (_, d) => ({
                from: `n${d}>`,
                to: `n${d}<`,
                element: `n${d}`
            }));
            for (let a = 0; a < nodes; a++) {
                for (let b = a + 1; b < nodes; b++) {
                    if (next() < 0.5) arcs.push({ from: `n${a}<`, to: `n${b}>` }, { from: `n${b}<`, to: `n${a}>` });
                }
            }
            const [source, target] = ['n0<', `n${nodes - 1}>`];
            const network = new FlowNetwork(arcs);
            const expected = bruteForceCut(arcs, source, target);
            for (let limit = 0; limit <= 3; limit++) {
                const result = network.minimumCut(source, target, limit);
                expect(result.separable, `trial ${trial} limit ${limit}`).toBe(expected <= limit);
                if (result.separable) {
                    expect(result.cut).toHaveLength(expected);
                    // The two ends are never among the devices cut.
                    expect(result.cut).not.toContain('n0');
                    expect(result.cut).not.toContain(`n${nodes - 1}`);
                    expect(connected(arcs, source, target, new Set(result.cut))).toBe(false);
                }
            }
        }
    });

    it('never cuts an arc without an element, and answers again after a first question', () => {
        const arcs: Arc[] = [
            { from: 's', to: 'a', element: 'x' },
            { from: 'a', to: 't', element: 'y' },
            { from: 's', to: 'b' },
            { from: 'b', to: 't', element: 'z' }
        ];
        const network = new FlowNetwork(arcs);
        expect(network.minimumCut('s', 't', 1)).toEqual({ separable: false });
        expect(network.minimumCut('s', 't', 2)).toEqual({ separable: true, cut: ['x', 'z'] });
        expect(network.minimumCut('b', 't', 0)).toEqual({ separable: false });
        expect(network.minimumCut('b', 't', 1)).toEqual({ separable: true, cut: ['z'] });
        expect(network.minimumCut('s', 'b', 5)).toEqual({ separable: false });
    });
});
