/**
 * Minimum cuts by augmenting paths (Ford–Fulkerson with BFS): how many elements (links, or
 * devices) must fail to separate a source from a target, and which. The cost is one BFS per unit
 * of flow, and the search stops once the flow passes the limit asked about.
 */

/** A directed arc; `element` names what failing it means (arcs without one cannot fail). */
export interface Arc {
    from: string;
    to: string;
    element?: string;
}

export type CutResult = { separable: false } | { separable: true; cut: string[] };

/** The capacity of an arc that cannot fail: more than any limit asked about. */
const UNBREAKABLE = 0x3fffffff;

/**
 * A residual graph built once and asked many cuts (one per pair of places a requirement joins):
 * every arc is a forward and a backward edge in flat arrays, and only the flows are reset between
 * questions, so a question allocates next to nothing.
 */
export class FlowNetwork {
    private readonly nodes = new Map<string, number>();
    /** Per node, its edges: `first[n]` .. `first[n + 1]` index `order`. */
    private readonly first: Int32Array;
    private readonly order: Int32Array;
    private readonly head: Int32Array;
    private readonly capacity: Int32Array;
    /** Edge i's partner is i ^ 1 (forward edges even, backward odd). */
    private readonly flow: Int32Array;
    private readonly elements: Array<string | undefined> = [];
    private readonly stamp: Int32Array;
    private readonly previous: Int32Array;
    private readonly queue: Int32Array;
    private visit = 0;

    constructor(arcs: readonly Arc[]) {
        const index = (name: string): number =>
            this.nodes.get(name) ?? this.nodes.set(name, this.nodes.size).get(name)!;
        const tails: number[] = [];
        const heads: number[] = [];
        for (const arc of arcs) {
            const from = index(arc.from),
                to = index(arc.to);
            tails.push(from, to);
            heads.push(to, from);
            this.elements.push(arc.element, undefined);
        }
        const n = this.nodes.size;
        this.head = Int32Array.from(heads);
        this.capacity = new Int32Array(heads.length);
        for (let e = 0; e < heads.length; e += 2) this.capacity[e] = this.elements[e] === undefined ? UNBREAKABLE : 1;
        this.flow = new Int32Array(heads.length);
        this.first = new Int32Array(n + 1);
        for (const tail of tails) this.first[tail + 1]++;
        for (let v = 0; v < n; v++) this.first[v + 1] += this.first[v];
        const fill = this.first.slice(0, n);
        this.order = new Int32Array(heads.length);
        tails.forEach((tail, e) => {
            this.order[fill[tail]++] = e;
        });
        this.stamp = new Int32Array(n);
        this.previous = new Int32Array(n);
        this.queue = new Int32Array(n);
    }

    /**
     * Whether failing at most `limit` elements separates `target` from `source`, and a smallest
     * such set. Every arc with an element has capacity 1 and an element's arcs fail together (a
     * link is two arcs, one per direction: for an undirected link the cut crosses only one of them).
     */
    minimumCut(source: string, target: string, limit: number): CutResult {
        const s = this.nodes.get(source),
            t = this.nodes.get(target);
        if (s === undefined || t === undefined) return { separable: true, cut: [] };
        this.flow.fill(0);
        let flow = 0;
        while (flow <= limit && this.augment(s, t)) flow++;
        // An unbreakable path or more than the limit: no cut within it.
        if (flow > limit) return { separable: false };
        // The last search failed: its stamp marks what the source still reaches. The cut is the
        // elements of saturated arcs from there to the rest.
        const cut = new Set<string>();
        for (let e = 0; e < this.head.length; e += 2) {
            const tail = this.head[e + 1];
            if (this.stamp[tail] === this.visit && this.stamp[this.head[e]] !== this.visit) cut.add(this.elements[e]!);
        }
        return { separable: true, cut: [...cut].sort() };
    }

    /** One BFS in the residual graph; pushes a unit along the path found, if any. */
    private augment(s: number, t: number): boolean {
        const visit = ++this.visit;
        this.stamp[s] = visit;
        let read = 0,
            write = 0;
        this.queue[write++] = s;
        while (read < write) {
            const node = this.queue[read++];
            for (let i = this.first[node]; i < this.first[node + 1]; i++) {
                const edge = this.order[i];
                const to = this.head[edge];
                if (this.capacity[edge] - this.flow[edge] <= 0 || this.stamp[to] === visit) continue;
                this.stamp[to] = visit;
                this.previous[to] = edge;
                if (to === t) {
                    for (let at = t; at !== s;) {
                        const used = this.previous[at];
                        this.flow[used]++;
                        this.flow[used ^ 1]--;
                        at = this.head[used ^ 1];
                    }
                    return true;
                }
                this.queue[write++] = to;
            }
        }
        return false;
    }
}
