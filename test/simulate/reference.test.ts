/**
 * The simulator against brute force on 200 seeded random topologies per protocol: OSPF's
 * equal-cost next hops against every simple path (OSPFv2, and OSPFv3 in dual-stack twins), eBGP's
 * multipath next hops against AS-hop counts (IPv4, and IPv6 unicast in dual-stack twins).
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { NO_FAILURES } from '../../server/src/simulate/network.js';
import { NetworkVerifier } from '../../server/src/verify/verify.js';
import { PrefixUniverse, RoutingState } from '../../server/src/simulate/routing.js';
import { IPV4_ROUTING, IPV6_ROUTING, type RoutingFamily } from '../../server/src/simulate/routing-family.js';
import type { Bound } from '../../server/src/net/interval-set.js';
import { mulberry32, type Rng } from '../support/random.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';

interface RandomTopology {
    devices: number;
    links: Array<{ a: number; b: number; cost: number }>;
}

function randomTopology(next: Rng): RandomTopology {
    const devices = 3 + Math.floor(next() * 6);
    const links: RandomTopology['links'] = [];
    const has = (a: number, b: number) => links.some(l => (l.a === a && l.b === b) || (l.a === b && l.b === a));
    // A random spanning tree keeps it connected; extra links make alternatives and ties.
    for (let d = 1; d < devices; d++) links.push({ a: Math.floor(next() * d), b: d, cost: 1 + Math.floor(next() * 3) });
    for (let extra = Math.floor(next() * devices); extra > 0; extra--) {
        const a = Math.floor(next() * devices);
        const b = Math.floor(next() * devices);
        if (a !== b && !has(a, b)) links.push({ a, b, cost: 1 + Math.floor(next() * 3) });
    }
    return { devices, links };
}

function twinYaml(topology: RandomTopology, routing: string, dualStack = false): string {
    const ports = new Map<number, number>();
    const port = (d: number) => {
        ports.set(d, (ports.get(d) ?? 0) + 1);
        return `r${d}:eth${ports.get(d)}`;
    };
    return (
        [
            `network: random`,
            `routing: ${routing}`,
            `pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24${dualStack ? ', links6: "2001:db8:ff00::/48", loopbacks6: "2001:db8:fffe::/64"' : ''} }`,
            'devices:',
            ...Array.from({ length: topology.devices }, (_, d) => `  r${d}: { role: router }`),
            'links:',
            ...topology.links.flatMap(l => [`  - endpoints: [${port(l.a)}, ${port(l.b)}]`, `    cost: ${l.cost}`])
        ].join('\n') + '\n'
    );
}

/**
 * The simulator's next-hop devices from every device to every other device's loopback; with
 * `failed` links, computed by repairing the intact network's shortest paths. `family` 6: in a
 * dual-stack twin, toward the IPv6 loopbacks (over OSPFv3, or BGP's IPv6 unicast).
 */
async function simulated(
    topology: RandomTopology,
    routing: string,
    failed = new Set<number>(),
    family: 4 | 6 = 4
): Promise<Map<string, string[]>> {
    const checked = await checkWorkspace({
        'random.twin.yaml': twinYaml(topology, routing, family === 6),
        'main.intent': 'twin "random.twin.yaml"\n'
    });
    expect(checked.lines).toEqual([]);
    const program = netintentServices().intent.IntentPrograms.forTwin(
        path.join(checked.folder, 'random.twin.yaml')
    ).program;
    const { devices } = compileNetwork(program);
    const network = new NetworkVerifier(program.twin, devices).network;
    const run = <A extends Bound>(routingFamily: RoutingFamily<A>, loopback: (device: string) => A) => {
        const universe = new PrefixUniverse(devices.values(), routingFamily);
        const intact = new RoutingState(network, NO_FAILURES, universe, undefined, routingFamily);
        const state =
            failed.size === 0
                ? intact
                : new RoutingState(network, { ...NO_FAILURES, links: failed }, universe, intact, routingFamily);
        const out = new Map<string, string[]>();
        const host = routingFamily.addresses.bits;
        for (const from of devices.keys()) {
            for (const to of devices.keys()) {
                if (from === to) continue;
                // The intact network first, so that the repaired state has trees to repair.
                intact.route(from, { network: loopback(to), length: host });
                const route = state.route(from, { network: loopback(to), length: host });
                // The device across each next hop's link (IPv6 next hops are the neighbours' link-local addresses in FRR).
                const hops = (route?.nextHops ?? []).map(h => network.port(from, h.interface)!.peer!.device);
                out.set(`${from}>${to}`, [...new Set(hops)].sort());
            }
        }
        return out;
    };
    return family === 4
        ? run(IPV4_ROUTING, d => devices.get(d)!.loopback!)
        : run(IPV6_ROUTING, d => devices.get(d)!.interfaces.find(i => i.name === 'lo')!.address6!.address);
}

function neighbours(topology: RandomTopology, d: number): Array<{ to: number; cost: number }> {
    return topology.links.flatMap(l =>
        l.a === d ? [{ to: l.b, cost: l.cost }] : l.b === d ? [{ to: l.a, cost: l.cost }] : []
    );
}

/** OSPF by enumeration: the first hops of every minimum-cost simple path. */
function bruteForceOspf(topology: RandomTopology): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (let from = 0; from < topology.devices; from++) {
        for (let to = 0; to < topology.devices; to++) {
            if (from === to) continue;
            let best = Infinity;
            let firsts = new Set<number>();
            const walk = (node: number, cost: number, first: number, seen: Set<number>) => {
                if (cost > best) return;
                if (node === to) {
                    if (cost < best) {
                        best = cost;
                        firsts = new Set();
                    }
                    firsts.add(first);
                    return;
                }
                for (const n of neighbours(topology, node)) {
                    if (!seen.has(n.to))
                        walk(n.to, cost + n.cost, first === -1 ? n.to : first, new Set([...seen, n.to]));
                }
            };
            walk(from, 0, -1, new Set([from]));
            out.set(`r${from}>r${to}`, [...firsts].map(f => `r${f}`).sort());
        }
    }
    return out;
}

/** eBGP with an AS per device and multipath-relax: every neighbour one AS hop closer. */
function bruteForceBgp(topology: RandomTopology): Map<string, string[]> {
    const hopsTo = (target: number) => {
        const distance = new Map([[target, 0]]);
        const queue = [target];
        while (queue.length > 0) {
            const node = queue.shift()!;
            for (const n of neighbours(topology, node)) {
                if (!distance.has(n.to)) {
                    distance.set(n.to, distance.get(node)! + 1);
                    queue.push(n.to);
                }
            }
        }
        return distance;
    };
    const out = new Map<string, string[]>();
    for (let to = 0; to < topology.devices; to++) {
        const distance = hopsTo(to);
        for (let from = 0; from < topology.devices; from++) {
            if (from === to) continue;
            const closer = neighbours(topology, from)
                .filter(n => distance.get(n.to) === distance.get(from)! - 1)
                .map(n => `r${n.to}`);
            out.set(`r${from}>r${to}`, [...new Set(closer)].sort());
        }
    }
    return out;
}

describe('routing against brute force', () => {
    it('OSPF equal-cost next hops on 200 random topologies', async () => {
        const next = mulberry32(2026);
        for (let i = 0; i < 200; i++) {
            const topology = randomTopology(next);
            expect(await simulated(topology, 'ospf'), `topology ${i}: ${JSON.stringify(topology)}`).toEqual(
                bruteForceOspf(topology)
            );
        }
    });

    it('eBGP multipath next hops on 200 random topologies', async () => {
        const next = mulberry32(7938);
        for (let i = 0; i < 200; i++) {
            const topology = randomTopology(next);
            expect(await simulated(topology, 'bgp'), `topology ${i}: ${JSON.stringify(topology)}`).toEqual(
                bruteForceBgp(topology)
            );
        }
    });
});

describe('IPv6 against brute force', () => {
    it('equal-cost next hops to the IPv6 loopbacks on 100 random dual-stack topologies, intact and with links failed', async () => {
        const next = mulberry32(6164);
        for (let i = 0; i < 100; i++) {
            const topology = randomTopology(next);
            expect(await simulated(topology, 'ospf', new Set(), 6), `topology ${i}`).toEqual(bruteForceOspf(topology));
            const failed = new Set<number>();
            for (let k = 1 + Math.floor(next() * 2); k > 0; k--) failed.add(Math.floor(next() * topology.links.length));
            const remaining = { ...topology, links: topology.links.filter((_, index) => !failed.has(index)) };
            expect(
                await simulated(topology, 'ospf', failed, 6),
                `topology ${i}: ${JSON.stringify(topology)} failing ${[...failed]}`
            ).toEqual(bruteForceOspf(remaining));
        }
    });

    it('eBGP multipath next hops to the IPv6 loopbacks (IPv6 unicast sessions) on 100 random dual-stack topologies', async () => {
        const next = mulberry32(5549);
        for (let i = 0; i < 100; i++) {
            const topology = randomTopology(next);
            expect(
                await simulated(topology, 'bgp', new Set(), 6),
                `topology ${i}: ${JSON.stringify(topology)}`
            ).toEqual(bruteForceBgp(topology));
        }
    });
});

describe('failures against brute force', () => {
    it('OSPF next hops with one or two links failed, repaired incrementally, on 200 random topologies', async () => {
        const next = mulberry32(4242);
        for (let i = 0; i < 200; i++) {
            const topology = randomTopology(next);
            const failed = new Set<number>();
            for (let k = 1 + Math.floor(next() * 2); k > 0; k--) failed.add(Math.floor(next() * topology.links.length));
            const remaining = { ...topology, links: topology.links.filter((_, index) => !failed.has(index)) };
            expect(
                await simulated(topology, 'ospf', failed),
                `topology ${i}: ${JSON.stringify(topology)} failing ${[...failed]}`
            ).toEqual(bruteForceOspf(remaining));
        }
    });
});
