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
        const d = heap.top;
        const node = heap.pop();
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
class MinHeap<T = string> {
    private readonly priorities: number[] = [];
    private readonly values: T[] = [];

    get size(): number {
        return this.values.length;
    }

    push(priority: number, value: T): void {
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

    /** The smallest priority: read before pop, which returns the value alone (a pair per step would be garbage). */
    get top(): number {
        return this.priorities[0];
    }

    pop(): T {
        const top = this.values[0];
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
        const priority = this.priorities[i];
        this.priorities[i] = this.priorities[j];
        this.priorities[j] = priority;
        const value = this.values[i];
        this.values[i] = this.values[j];
        this.values[j] = value;
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
export function distancesAfterFailures(
    forward: Graph,
    reverse: Graph,
    before: Distances,
    target: string,
    failed: Exclusions,
    candidates: Iterable<string>
): Distances {
    const failedNode = (node: string) => failed.nodes?.has(node) ?? false;
    const failedEdge = (from: string, edge: Edge) =>
        failed.links?.has(edge.link) || failedNode(from) || failedNode(edge.to);
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
        const holds =
            !failedNode(node) &&
            (forward.get(node) ?? []).some(e => onDag(node, e) && !failedEdge(node, e) && !affected.has(e.to));
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
            if (!failedEdge(node, edge) && !affected.has(edge.to) && there !== undefined)
                best = Math.min(best, edge.cost + there);
        }
        if (best < Infinity) {
            recomputed.set(node, best);
            heap.push(best, node);
        }
    }
    const done = new Set<string>();
    while (heap.size > 0) {
        const d = heap.top;
        const node = heap.pop();
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

/** An edge whose cost changed: it leaves `from`; `edge` carries the new cost. */
export interface CostChange {
    from: string;
    edge: Edge;
    previous: number;
}

/**
 * Distances to `target` after edge costs changed, from the distances before (dynamic SPF): the
 * increases first, as failures of the edges they raise (only the nodes that lost every shortest
 * path are recomputed, the lowered edges still at their old costs), then the decreases, spreading
 * only from the edges that now give a shorter way. `changed`: every node whose distance or set of
 * equal-cost next hops differs. `forward` and `reverse` carry the new costs.
 */
export function distancesAfterCostChanges(
    forward: Graph,
    reverse: Graph,
    before: Distances,
    target: string,
    changes: readonly CostChange[]
): { distances: Distances; changed: Set<string> } {
    const edgeKey = (from: string, link: number) => `${from}>${link}`;
    const previous = new Map(changes.map(c => [edgeKey(c.from, c.edge.link), c]));
    const lowered = (from: string, link: number) => {
        const change = previous.get(edgeKey(from, link));
        return change !== undefined && change.edge.cost < change.previous ? change : undefined;
    };
    const raised = (from: string, link: number) => {
        const change = previous.get(edgeKey(from, link));
        return change !== undefined && change.edge.cost > change.previous;
    };
    const oldCost = (from: string, edge: Edge) => previous.get(edgeKey(from, edge.link))?.previous ?? edge.cost;
    // Between the two phases: raised edges at their new costs, lowered ones at their old.
    const middleCost = (from: string, edge: Edge) => lowered(from, edge.link)?.previous ?? edge.cost;
    const onOldDag = (from: string, edge: Edge) => {
        const here = before.get(from);
        const there = before.get(edge.to);
        return here !== undefined && there !== undefined && oldCost(from, edge) + there === here;
    };
    const distance = new Map<string, number>();
    const now = (node: string) => (distance.has(node) ? distance.get(node) : before.get(node));

    // Raised edges: the nodes whose every shortest path used one.
    const affected = new Set<string>();
    const queue = changes
        .filter(c => c.edge.cost > c.previous && onOldDag(c.from, { ...c.edge, cost: c.previous }))
        .map(c => c.from);
    while (queue.length > 0) {
        const node = queue.pop()!;
        if (affected.has(node) || node === target) continue;
        if ((forward.get(node) ?? []).some(e => onOldDag(node, e) && !raised(node, e.link) && !affected.has(e.to)))
            continue;
        affected.add(node);
        for (const inbound of reverse.get(node) ?? []) {
            if (onOldDag(inbound.to, { to: node, cost: inbound.cost, link: inbound.link })) queue.push(inbound.to);
        }
    }
    const heap = new MinHeap();
    for (const node of affected) {
        let best = Infinity;
        for (const edge of forward.get(node) ?? []) {
            const there = before.get(edge.to);
            if (!affected.has(edge.to) && there !== undefined) best = Math.min(best, middleCost(node, edge) + there);
        }
        distance.set(node, best);
        if (best < Infinity) heap.push(best, node);
    }
    const settle = (cost: (from: string, edge: Edge) => number, within?: Set<string>) => {
        const done = new Set<string>();
        while (heap.size > 0) {
            const d = heap.top;
            const node = heap.pop();
            if (done.has(node) || d > (now(node) ?? Infinity)) continue;
            done.add(node);
            for (const inbound of reverse.get(node) ?? []) {
                const from = inbound.to;
                if (within && !within.has(from)) continue;
                const candidate = d + cost(from, { to: node, cost: inbound.cost, link: inbound.link });
                if (candidate < (now(from) ?? Infinity)) {
                    distance.set(from, candidate);
                    heap.push(candidate, from);
                }
            }
        }
    };
    settle(middleCost, affected);
    // Lowered edges: spread from each whose head is now nearer through it.
    for (const change of changes) {
        if (change.edge.cost >= change.previous) continue;
        const there = now(change.edge.to);
        if (there === undefined) continue;
        const candidate = change.edge.cost + there;
        if (candidate < (now(change.from) ?? Infinity)) {
            distance.set(change.from, candidate);
            heap.push(candidate, change.from);
        }
    }
    settle((_from, edge) => edge.cost);

    // Where next hops may differ: at the nodes whose distance moved, the nodes with an edge into
    // one of them and the tails of the changed edges; kept where the set of next hops is the same.
    const candidates = new Set<string>(changes.map(c => c.from));
    for (const [node, d] of distance) {
        if (d === before.get(node)) continue;
        candidates.add(node);
        for (const inbound of reverse.get(node) ?? []) candidates.add(inbound.to);
    }
    const nextHops = (
        node: string,
        distanceOf: (n: string) => number | undefined,
        cost: (from: string, edge: Edge) => number
    ) =>
        (forward.get(node) ?? [])
            .filter(e => {
                const there = distanceOf(e.to);
                return there !== undefined && cost(node, e) + there === distanceOf(node);
            })
            .map(e => `${e.to}>${e.link}`)
            .join();
    const changed = new Set<string>();
    for (const node of candidates) {
        if (
            now(node) !== before.get(node) ||
            nextHops(node, n => before.get(n), oldCost) !== nextHops(node, now, (_from, e) => e.cost)
        )
            changed.add(node);
    }
    const moved = [...distance].some(([node, d]) => d !== before.get(node));
    if (!moved) return { distances: before, changed };
    const after = new Map<string, number>();
    for (const node of forward.keys()) {
        const d = now(node);
        if (d !== undefined && d < Infinity) after.set(node, d);
    }
    if (before.get(target) !== undefined) after.set(target, 0);
    return { distances: after, changed };
}

/** A graph's nodes numbered, its edges in flat arrays: what the single-target SPF below runs on. */
interface IndexedGraph {
    index: Map<string, number>;
    /** Node i's edges are start[i] .. start[i + 1] - 1 of `to` and `cost`. */
    start: Int32Array;
    to: Int32Array;
    cost: Float64Array;
}

const indexed = new WeakMap<Graph, IndexedGraph>();

function indexGraph(graph: Graph): IndexedGraph {
    let found = indexed.get(graph);
    if (found) return found;
    const index = new Map<string, number>();
    const number = (node: string) => {
        let i = index.get(node);
        if (i === undefined) index.set(node, (i = index.size));
        return i;
    };
    for (const [node, edges] of graph) {
        number(node);
        for (const edge of edges) number(edge.to);
    }
    const start = new Int32Array(index.size + 1);
    for (const [node, edges] of graph) start[index.get(node)! + 1] = edges.length;
    for (let i = 0; i < index.size; i++) start[i + 1] += start[i];
    const to = new Int32Array(start[index.size]);
    const cost = new Float64Array(start[index.size]);
    for (const [node, edges] of graph) {
        let at = start[index.get(node)!];
        for (const edge of edges) {
            to[at] = index.get(edge.to)!;
            cost[at++] = edge.cost;
        }
    }
    found = { index, start, to, cost };
    indexed.set(graph, found);
    return found;
}

/** Distances read from an array by node number. */
class IndexedDistances implements Distances {
    constructor(
        private readonly index: Map<string, number>,
        private readonly distance: Float64Array
    ) {}

    get(node: string): number | undefined {
        const i = this.index.get(node);
        const d = i === undefined ? Infinity : this.distance[i];
        return d === Infinity ? undefined : d;
    }
}

/**
 * The distance of every node from `source` (Dijkstra), as shortestPaths gives it without the
 * predecessors, over numbered nodes and flat arrays: routing asks this once per destination router.
 */
export function distancesFrom(graph: Graph, source: string): Distances {
    const { index, start, to, cost } = indexGraph(graph);
    const distance = new Float64Array(index.size).fill(Infinity);
    const from = index.get(source);
    if (from === undefined) return new Map([[source, 0]]);
    distance[from] = 0;
    const heap = new MinHeap<number>();
    heap.push(0, from);
    while (heap.size > 0) {
        const d = heap.top;
        const node = heap.pop();
        if (d > distance[node]) continue;
        for (let e = start[node]; e < start[node + 1]; e++) {
            const candidate = d + cost[e];
            if (candidate < distance[to[e]]) {
                distance[to[e]] = candidate;
                heap.push(candidate, to[e]);
            }
        }
    }
    return new IndexedDistances(index, distance);
}
