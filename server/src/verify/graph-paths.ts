/**
 * Questions about every path of a forwarding graph, answered over the graph (each node once, in
 * topological order) instead of path by path: ECMP makes the paths of a meshed network
 * exponential in its depth, its forwarding graph stays as large as the network.
 */
import type { FlowEdge, FlowNode, ForwardingGraph, Hop, Terminal } from './dataplane.js';

/** What a path must do: pass waypoints in order, avoid devices and links, bound hops and latency. */
export interface PathLimits {
    via: ReadonlyArray<readonly string[]>;
    avoidDevices: ReadonlySet<string>;
    avoidLinks: ReadonlySet<number>;
    hops?: number;
    latencyUs?: number;
}

/**
 * A path's state as far as the limits care: how many waypoints it has passed (in order, each as
 * early as possible — greedy is exact for a subsequence), whether it met something to avoid;
 * per state, the most hops and the most latency of the paths in it, each with where it came from.
 */
interface State {
    waypoints: number;
    avoided: boolean;
    hops: number;
    hopsFrom?: { edge: FlowEdge; state: State };
    latencyUs: number;
    latencyFrom?: { edge: FlowEdge; state: State };
}

export class PathAnalysis {
    private readonly states = new Map<FlowNode, Map<string, State>>();

    constructor(
        graph: ForwardingGraph,
        private readonly limits: PathLimits,
        private readonly latencyOf: (link: number) => number
    ) {
        for (const node of graph.nodes) {
            const here = new Map<string, State>();
            this.states.set(node, here);
            if (node.from.length === 0) {
                this.merge(
                    here,
                    this.enter({ waypoints: 0, avoided: false, hops: 0, latencyUs: 0 }, node.device, undefined)
                );
                continue;
            }
            for (const edge of node.from) {
                for (const state of this.states.get(edge.from)!.values()) {
                    const next = this.enter(state, node.device, edge.hop.link);
                    next.hopsFrom = { edge, state };
                    next.latencyFrom = { edge, state };
                    this.merge(here, next);
                }
            }
        }
    }

    /** A path to the terminal that breaks the limits, if one does: one that misses a waypoint, else passes what it must avoid, else the longest, else the slowest. */
    witness(terminal: Terminal): Hop[] | undefined {
        const limits = this.limits;
        // The terminal's own hop may cross a link (to a segment it does not: attachments have none).
        const link = terminal.tail[0].link;
        const ends = [...this.states.get(terminal.node)!.values()].map(state => ({
            state,
            avoided: state.avoided || (link !== undefined && limits.avoidLinks.has(link)),
            latencyUs: state.latencyUs + (link !== undefined ? this.latencyOf(link) : 0)
        }));
        const missing = ends.find(end => end.state.waypoints < limits.via.length);
        if (missing) return this.path(terminal, missing.state, 'hopsFrom');
        const avoided = ends.find(end => end.avoided);
        if (avoided) return this.path(terminal, avoided.state, 'hopsFrom');
        if (limits.hops !== undefined) {
            const longest = ends.reduce((a, b) => (b.state.hops > a.state.hops ? b : a));
            if (longest.state.hops > limits.hops) return this.path(terminal, longest.state, 'hopsFrom');
        }
        if (limits.latencyUs !== undefined) {
            const slowest = ends.reduce((a, b) => (b.latencyUs > a.latencyUs ? b : a));
            if (slowest.latencyUs > limits.latencyUs) return this.path(terminal, slowest.state, 'latencyFrom');
        }
        return undefined;
    }

    private enter(state: State, device: string, link: number | undefined): State {
        let waypoints = state.waypoints;
        while (waypoints < this.limits.via.length && this.limits.via[waypoints].includes(device)) waypoints++;
        return {
            waypoints,
            avoided:
                state.avoided ||
                this.limits.avoidDevices.has(device) ||
                (link !== undefined && this.limits.avoidLinks.has(link)),
            hops: state.hops + 1,
            latencyUs: state.latencyUs + (link !== undefined ? this.latencyOf(link) : 0)
        };
    }

    private merge(states: Map<string, State>, next: State): void {
        const key = `${next.waypoints}${next.avoided ? '!' : ''}`;
        const known = states.get(key);
        if (!known) {
            states.set(key, next);
            return;
        }
        if (next.hops > known.hops) {
            known.hops = next.hops;
            known.hopsFrom = next.hopsFrom;
        }
        if (next.latencyUs > known.latencyUs) {
            known.latencyUs = next.latencyUs;
            known.latencyFrom = next.latencyFrom;
        }
    }

    private path(terminal: Terminal, state: State, by: 'hopsFrom' | 'latencyFrom'): Hop[] {
        const hops: Hop[] = [...terminal.tail];
        for (let at = state[by]; at; at = at.state[by]) hops.unshift(at.edge.hop);
        return hops;
    }
}

/**
 * The devices a connection passed along one path, each with the mark it has there: a device met
 * again keeps the mark it gave, unless this hop gives one; met first, it has this hop's (or none).
 */
export function connectionAlong(path: readonly Hop[]): Map<string, number> {
    const passed = new Map<string, number>();
    for (const hop of path) passed.set(hop.device, hop.ctMark ?? passed.get(hop.device) ?? 0);
    return passed;
}

/**
 * The devices a connection passed on its way to a terminal, as its replies see them: those on
 * every path (with the connection's mark there, where all paths agree on it), and those on some
 * paths only (with the marks it may have there).
 */
export function connectionPasses(
    graph: ForwardingGraph,
    terminal: Terminal
): { passed: Map<string, number>; unsure: Map<string, number[]> } {
    if (!marksConnections(graph)) return unmarkedPasses(graph, terminal);
    let seen = passedByNode.get(graph);
    if (!seen) passedByNode.set(graph, (seen = passesByNode(graph)));
    const end = through(seen.get(terminal.node)!, terminal.tail[0]);
    const passed = new Map<string, number>();
    const unsure = new Map<string, number[]>();
    for (const [device, marks] of end.marks) {
        if (end.everywhere.has(device) && marks.size === 1) passed.set(device, [...marks][0]);
        else unsure.set(device, [...marks]);
    }
    return { passed, unsure };
}

const marking = new WeakMap<ForwardingGraph, boolean>();

/** Whether some hop of the graph marks the connection (`ct mark set`): else every mark is 0. */
export function marksConnections(graph: ForwardingGraph): boolean {
    let marks = marking.get(graph);
    if (marks === undefined) {
        marks =
            graph.nodes.some(n => n.next.some(e => e.hop.ctMark !== undefined)) ||
            graph.terminals.some(t => t.tail.some(h => h.ctMark !== undefined));
        marking.set(graph, marks);
    }
    return marks;
}

/** Per node, the devices on every path to it (few: a path is short), made once per graph. */
const onEveryPath = new WeakMap<ForwardingGraph, Map<FlowNode, readonly string[]>>();

/**
 * connectionPasses where nothing marks the connection, as it is on most networks: the devices on
 * every path passed it with mark 0, the others on some path maybe. No mark sets are carried hop by
 * hop: those made a set per device per node, and a graph is traced again under every failure set.
 */
function unmarkedPasses(
    graph: ForwardingGraph,
    terminal: Terminal
): { passed: Map<string, number>; unsure: Map<string, number[]> } {
    let every = onEveryPath.get(graph);
    if (!every) {
        every = new Map();
        for (const node of graph.nodes) {
            let here: readonly string[] | undefined;
            for (const edge of node.from) {
                const arriving = withDevice(every.get(edge.from)!, edge.hop.device);
                here = here ? here.filter(d => arriving.includes(d)) : arriving;
            }
            every.set(node, here ?? []);
        }
        onEveryPath.set(graph, every);
    }
    const passed = new Map(withDevice(every.get(terminal.node)!, terminal.tail[0].device).map(d => [d, 0]));
    const unsure = new Map<string, number[]>();
    const seen = new Set<FlowNode>([terminal.node]);
    const queue = [terminal.node];
    while (queue.length > 0) {
        for (const edge of queue.pop()!.from) {
            if (!passed.has(edge.hop.device)) unsure.set(edge.hop.device, [0]);
            if (!seen.has(edge.from)) {
                seen.add(edge.from);
                queue.push(edge.from);
            }
        }
    }
    return { passed, unsure };
}

function withDevice(devices: readonly string[], device: string): readonly string[] {
    return devices.includes(device) ? devices : [...devices, device];
}

/** Per node, over the paths that reach it: the devices met on all of them, and the marks the connection may have at each device met on any. */
interface Passes {
    everywhere: Set<string>;
    marks: Map<string, Set<number>>;
}

/** Every node's Passes, made once per graph: a graph has many terminals, and each asks. */
const passedByNode = new WeakMap<ForwardingGraph, Map<FlowNode, Passes>>();

function passesByNode(graph: ForwardingGraph): Map<FlowNode, Passes> {
    const seen = new Map<FlowNode, Passes>();
    for (const node of graph.nodes) {
        let here: Passes | undefined;
        for (const edge of node.from) {
            const arriving = through(seen.get(edge.from)!, edge.hop);
            if (!here) {
                here = arriving;
                continue;
            }
            here.everywhere = new Set([...here.everywhere].filter(d => arriving.everywhere.has(d)));
            for (const [device, set] of arriving.marks) {
                const known = here.marks.get(device);
                if (known) set.forEach(m => known.add(m));
                else here.marks.set(device, set);
            }
        }
        seen.set(node, here ?? { everywhere: new Set(), marks: new Map() });
    }
    return seen;
}

/** connectionAlong's rule, over the sets of paths that reach a node: the Passes one hop further. */
function through(before: Passes, hop: Hop): Passes {
    const marks = new Map([...before.marks].map(([device, set]) => [device, new Set(set)]));
    const known = marks.get(hop.device);
    if (hop.ctMark !== undefined) marks.set(hop.device, new Set([hop.ctMark]));
    else if (!known) marks.set(hop.device, new Set([0]));
    else if (!before.everywhere.has(hop.device)) known.add(0);
    return { everywhere: new Set([...before.everywhere, hop.device]), marks };
}
