/**
 * Shortest paths that keep every equal-cost path (ECMP), as OSPF and a Clos fabric forward:
 * Dijkstra that records all predecessors on a shortest path, not just one.
 */

export interface Edge {
    to: string;
    cost: number;
    /** Identifies the link, so that parallel links stay apart. */
    link: number;
}

/** Adjacency lists by node. */
export type Graph = ReadonlyMap<string, readonly Edge[]>;

export interface Exclusions {
    nodes?: ReadonlySet<string>;
    links?: ReadonlySet<number>;
}

export interface ShortestPaths {
    source: string;
    distance: Map<string, number>;
    /** For every reached node, each (predecessor, edge) on some shortest path from the source. */
    predecessors: Map<string, Array<{ from: string; edge: Edge }>>;
}

export function shortestPaths(graph: Graph, source: string, exclusions: Exclusions = {}): ShortestPaths {
    const distance = new Map<string, number>([[source, 0]]);
    const predecessors = new Map<string, Array<{ from: string; edge: Edge }>>([[source, []]]);
    const done = new Set<string>();
    const heap = new MinHeap();
    heap.push(0, source);
    while (heap.size > 0) {
        const [d, node] = heap.pop();
        if (done.has(node) || d > (distance.get(node) ?? Infinity)) continue;
        done.add(node);
        for (const edge of graph.get(node) ?? []) {
            if (exclusions.nodes?.has(edge.to) || exclusions.links?.has(edge.link)) continue;
            const candidate = d + edge.cost;
            const known = distance.get(edge.to) ?? Infinity;
            if (candidate < known) {
                distance.set(edge.to, candidate);
                predecessors.set(edge.to, [{ from: node, edge }]);
                heap.push(candidate, edge.to);
            } else if (candidate === known && !done.has(edge.to)) {
                predecessors.get(edge.to)!.push({ from: node, edge });
            }
        }
    }
    return { source, distance, predecessors };
}

/**
 * The first hops from the source toward `target` on every shortest path (ECMP next hops),
 * as the edges leaving the source.
 */
export function firstHops(paths: ShortestPaths, target: string): Edge[] {
    if (target === paths.source || !paths.distance.has(target)) return [];
    const found = new Map<number, Edge>();
    const seen = new Set<string>();
    const stack = [target];
    while (stack.length > 0) {
        const node = stack.pop()!;
        if (seen.has(node)) continue;
        seen.add(node);
        for (const { from, edge } of paths.predecessors.get(node) ?? []) {
            if (from === paths.source) found.set(edge.link, edge);
            else stack.push(from);
        }
    }
    return [...found.values()].sort((a, b) => a.link - b.link);
}

/** The nodes on some shortest path from the source to `target` (the ECMP DAG), source first. */
export function pathNodes(paths: ShortestPaths, target: string): Set<string> {
    const nodes = new Set<string>();
    if (!paths.distance.has(target)) return nodes;
    const stack = [target];
    while (stack.length > 0) {
        const node = stack.pop()!;
        if (nodes.has(node)) continue;
        nodes.add(node);
        for (const { from } of paths.predecessors.get(node) ?? []) stack.push(from);
    }
    return nodes;
}

/** A binary min-heap of (priority, value). */
class MinHeap {
    private readonly priorities: number[] = [];
    private readonly values: string[] = [];

    get size(): number {
        return this.values.length;
    }

    push(priority: number, value: string): void {
        this.priorities.push(priority);
        this.values.push(value);
        let i = this.values.length - 1;
        while (i > 0) {
            const parent = (i - 1) >> 1;
            if (this.priorities[parent] <= this.priorities[i]) break;
            this.swap(i, parent);
            i = parent;
        }
    }

    pop(): [number, string] {
        const top: [number, string] = [this.priorities[0], this.values[0]];
        const lastPriority = this.priorities.pop()!;
        const lastValue = this.values.pop()!;
        if (this.values.length > 0) {
            this.priorities[0] = lastPriority;
            this.values[0] = lastValue;
            let i = 0;
            for (;;) {
                const left = 2 * i + 1;
                const right = left + 1;
                let smallest = i;
                if (left < this.values.length && this.priorities[left] < this.priorities[smallest]) smallest = left;
                if (right < this.values.length && this.priorities[right] < this.priorities[smallest]) smallest = right;
                if (smallest === i) break;
                this.swap(i, smallest);
                i = smallest;
            }
        }
        return top;
    }

    private swap(i: number, j: number): void {
        [this.priorities[i], this.priorities[j]] = [this.priorities[j], this.priorities[i]];
        [this.values[i], this.values[j]] = [this.values[j], this.values[i]];
    }
}

/** Distances read by node (a Map, or one of the overlays below). */
export interface Distances {
    get(node: string): number | undefined;
}

/**
 * Distances to `target` after links and nodes fail, from the distances before: only the nodes
 * whose every shortest path used a failed element are recomputed (a Dijkstra over them alone,
 * seeded from their intact neighbours). In a Clos fabric one failed link usually leaves every
 * node another equal-cost path, and nothing is recomputed at all.
 *
 * `forward`: each node's outgoing edges; `reverse`: each node's incoming edges, as edges from it;
 * `candidates`: the failed nodes and the tails of the failed edges, where losses can start.
 */
export function distancesAfterFailures(forward: Graph, reverse: Graph, before: Distances, target: string, failed: Exclusions, candidates: Iterable<string>): Distances {
    const failedNode = (node: string) => failed.nodes?.has(node) ?? false;
    const failedEdge = (from: string, edge: Edge) => failed.links?.has(edge.link) || failedNode(from) || failedNode(edge.to);
    if (failedNode(target)) return new Map();
    const onDag = (from: string, edge: Edge) => {
        const here = before.get(from);
        const there = before.get(edge.to);
        return here !== undefined && there !== undefined && edge.cost + there === here;
    };
    // Nodes that lost every shortest path: start from the tails of failed shortest-path edges.
    const affected = new Set<string>();
    const queue = [...candidates];
    while (queue.length > 0) {
        const node = queue.pop()!;
        if (affected.has(node) || node === target || before.get(node) === undefined) continue;
        const holds = !failedNode(node) && (forward.get(node) ?? []).some(e => onDag(node, e) && !failedEdge(node, e) && !affected.has(e.to));
        if (holds) continue;
        affected.add(node);
        // Whoever reached the target through this node must look again.
        for (const inbound of reverse.get(node) ?? []) {
            if (onDag(inbound.to, { to: node, cost: inbound.cost, link: inbound.link })) queue.push(inbound.to);
        }
    }
    if (affected.size === 0) return before;
    const recomputed = new Map<string, number>();
    const heap = new MinHeap();
    for (const node of affected) {
        if (failedNode(node)) continue;
        let best = Infinity;
        for (const edge of forward.get(node) ?? []) {
            const there = before.get(edge.to);
            if (!failedEdge(node, edge) && !affected.has(edge.to) && there !== undefined) best = Math.min(best, edge.cost + there);
        }
        if (best < Infinity) {
            recomputed.set(node, best);
            heap.push(best, node);
        }
    }
    const done = new Set<string>();
    while (heap.size > 0) {
        const [d, node] = heap.pop();
        if (done.has(node) || d > (recomputed.get(node) ?? Infinity)) continue;
        done.add(node);
        for (const inbound of reverse.get(node) ?? []) {
            const from = inbound.to;
            if (!affected.has(from) || failedNode(from) || failed.links?.has(inbound.link)) continue;
            const candidate = d + inbound.cost;
            if (candidate < (recomputed.get(from) ?? Infinity)) {
                recomputed.set(from, candidate);
                heap.push(candidate, from);
            }
        }
    }
    return { get: node => (affected.has(node) ? recomputed.get(node) : before.get(node)) };
}
