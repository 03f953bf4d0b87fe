/** What the replies of a connection meet, found over the forwarding graph, against every path one by one. */
import { describe, expect, it } from 'vitest';
import { PacketSet } from '../../server/src/net/packet-set.js';
import { ForwardingGraph, type FlowNode } from '../../server/src/verify/dataplane.js';
import { connectionAlong, connectionPasses } from '../../server/src/verify/graph-paths.js';
import { mulberry32 } from '../support/random.js';

/** A random DAG over a few devices (a device may stand at several nodes), with its terminal at the last node. */
function randomGraph(next: () => number, marks: boolean): ForwardingGraph {
    const graph = new ForwardingGraph();
    const devices = ['a', 'b', 'c', 'd', 'e', 'f'];
    const size = 3 + Math.floor(next() * 8);
    for (let i = 0; i < size; i++) {
        const node: FlowNode = {
            device: devices[Math.floor(next() * devices.length)],
            packets: PacketSet.ALL,
            next: [],
            from: []
        };
        // Every node after the first is reached from one to three earlier nodes.
        const parents =
            i === 0
                ? []
                : [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => Math.floor(next() * i)))];
        for (const p of parents) {
            const from = graph.nodes[p];
            const edge = {
                hop: { device: from.device, ...(marks && next() < 0.3 ? { ctMark: 1 + Math.floor(next() * 2) } : {}) },
                from,
                to: node
            };
            from.next.push(edge);
            node.from.push(edge);
        }
        graph.nodes.push(node);
    }
    const last = graph.nodes[size - 1];
    graph.terminals.push({
        node: last,
        tail: [{ device: last.device }],
        packets: PacketSet.ALL,
        fate: { kind: 'dropped', device: last.device, reason: 'end' }
    });
    return graph;
}

describe('connectionPasses', () => {
    it.each([false, true])('equals the per-path rule over every path (connections marked: %s)', marks => {
        const next = mulberry32(marks ? 5 : 3);
        for (let trial = 0; trial < 300; trial++) {
            const graph = randomGraph(next, marks);
            const terminal = graph.terminals[0];
            const along = graph.paths(terminal, 10_000).map(connectionAlong);
            const devices = new Set(along.flatMap(p => [...p.keys()]));
            const expectedPassed = new Map<string, number>();
            const expectedUnsure = new Map<string, number[]>();
            for (const device of devices) {
                const seen = new Set(along.map(p => p.get(device)));
                if (!seen.has(undefined) && seen.size === 1) expectedPassed.set(device, [...seen][0]!);
                else expectedUnsure.set(device, [...seen].filter((m): m is number => m !== undefined).sort());
            }
            const { passed, unsure } = connectionPasses(graph, terminal);
            expect(new Map([...passed].sort()), `trial ${trial}`).toEqual(new Map([...expectedPassed].sort()));
            expect(new Map([...unsure].map(([d, m]) => [d, [...m].sort()] as const).sort()), `trial ${trial}`).toEqual(
                new Map([...expectedUnsure].sort())
            );
        }
    });
});
