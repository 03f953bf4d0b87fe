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
