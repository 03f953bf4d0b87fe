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

/**
 * Whether failing at most `limit` elements separates `target` from `source`, and a smallest
 * such set. Every arc with an element has capacity 1 and an element's arcs fail together (a link
 * is two arcs, one per direction: for an undirected link the cut crosses only one of them).
 */
export function minimumCut(arcs: readonly Arc[], source: string, target: string, limit: number): CutResult {
    // Residual graph: for each arc, a forward and a backward edge sharing the flow.
    interface Edge { to: string; capacity: number; flow: number; reverse: Edge; arc?: Arc }
    const out = new Map<string, Edge[]>();
    const add = (from: string, to: string, capacity: number, arc?: Arc): void => {
        const forward: Edge = { to, capacity, flow: 0, reverse: undefined!, arc };
        const backward: Edge = { to: from, capacity: 0, flow: 0, reverse: forward };
        forward.reverse = backward;
        (out.get(from) ?? out.set(from, []).get(from)!).push(forward);
        (out.get(to) ?? out.set(to, []).get(to)!).push(backward);
    };
    for (const arc of arcs) add(arc.from, arc.to, arc.element === undefined ? Infinity : 1, arc);
    const augment = (): boolean => {
        const previous = new Map<string, Edge>();
        const queue = [source];
        const seen = new Set([source]);
        while (queue.length > 0) {
            const node = queue.shift()!;
            for (const edge of out.get(node) ?? []) {
                if (edge.capacity - edge.flow <= 0 || seen.has(edge.to)) continue;
                seen.add(edge.to);
                previous.set(edge.to, edge);
                if (edge.to === target) {
                    for (let at = target; at !== source;) {
                        const used = previous.get(at)!;
                        used.flow += 1;
                        used.reverse.flow -= 1;
                        at = used.reverse.to;
                    }
                    return true;
                }
                queue.push(edge.to);
            }
        }
        return false;
    };
    let flow = 0;
    while (flow <= limit && augment()) flow++;
    // An infinite flow (an unbreakable path) or more than the limit: no cut within it.
    if (flow > limit) return { separable: false };
    // The cut: elements of saturated arcs from what the source still reaches to the rest.
    const reached = new Set([source]);
    const queue = [source];
    while (queue.length > 0) {
        const node = queue.shift()!;
        for (const edge of out.get(node) ?? []) {
            if (edge.capacity - edge.flow > 0 && !reached.has(edge.to)) {
                reached.add(edge.to);
                queue.push(edge.to);
            }
        }
    }
    if (reached.has(target)) return { separable: false };
    const cut = new Set<string>();
    for (const [node, edges] of out) {
        if (!reached.has(node)) continue;
        for (const edge of edges) if (edge.arc && !reached.has(edge.to)) cut.add(edge.arc.element!);
    }
    return { separable: true, cut: [...cut].sort() };
}
