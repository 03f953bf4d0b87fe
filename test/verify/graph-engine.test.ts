/**
 * The engine against brute force: on random meshes, every `survive K` verdict (decided over the
 * forwarding graph, by a minimum cut where connectivity decides, by pruned failure enumeration
 * elsewhere) equals the one found by trying every failure set of up to K links or devices and, in
 * each, every forwarding path one by one.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import type { Requirement } from '../../server/src/intent/model.js';
import { missedWaypoint } from '../../server/src/intent/waypoints.js';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { parseAddress } from '../../server/src/net/ipv4.js';
import { PacketSet } from '../../server/src/net/packet-set.js';
import { NO_FAILURES, type Failures } from '../../server/src/simulate/network.js';
import { PrefixUniverse, RoutingState, type Route } from '../../server/src/simulate/routing.js';
import { findLink } from '../../server/src/twin/model.js';
import { NetworkVerifier } from '../../server/src/verify/verify.js';
import { mulberry32, type Rng } from '../support/random.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';

interface Mesh {
    twin: string;
    intents: string;
    /** Per segment: its edge device and interface, and one host. */
    segments: Map<string, { device: string; interface: string; host: number }>;
}

/** A connected random mesh of 5–7 routers, equal and unequal costs, three segments, and allows with every kind of constraint. */
function randomMesh(seed: number, next: Rng): Mesh {
    const n = 5 + Math.floor(next() * 3);
    const edges = new Set<string>();
    for (let i = 1; i < n; i++) edges.add(`${Math.floor(next() * i)}-${i}`);
    for (let extra = 0; extra < n; extra++) {
        const a = Math.floor(next() * n);
        const b = Math.floor(next() * n);
        if (a !== b && !edges.has(`${a}-${b}`) && !edges.has(`${b}-${a}`))
            edges.add(`${Math.min(a, b)}-${Math.max(a, b)}`);
    }
    const ports = new Map<number, number>();
    const port = (r: number) => {
        const p = (ports.get(r) ?? 0) + 1;
        ports.set(r, p);
        return `r${r}:eth${p}`;
    };
    const links = [...edges]
        .map(e => e.split('-').map(Number))
        .map(
            ([a, b]) =>
                `  - endpoints: [${port(a)}, ${port(b)}]\n    cost: ${next() < 0.7 ? 10 : 20}\n    latency: ${1 + Math.floor(next() * 4)}ms`
        );
    const attached = [0, 1, 2].map(() => Math.floor(next() * n));
    const segments = new Map(
        attached.map((r, i) => [
            `s${i}`,
            { device: `r${r}`, interface: `eth${20 + i}`, host: parseAddress(`10.1.${i + 1}.10`)! }
        ])
    );
    const twin =
        [
            `network: mesh-${seed}`,
            'routing: ospf',
            'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }',
            'devices:',
            ...Array.from({ length: n }, (_, i) => `  r${i}: { role: core }`),
            'links:',
            ...links,
            'segments:',
            ...[...segments].map(
                ([name, s], i) => `  ${name}: { prefix: 10.1.${i + 1}.0/24, attach: ${s.device}:${s.interface} }`
            )
        ].join('\n') + '\n';
    const lines = ['twin "mesh.twin.yaml"'];
    for (let i = 0; i < 8; i++) {
        const a = Math.floor(next() * 3);
        const b = (a + 1 + Math.floor(next() * 2)) % 3;
        const other = `r${Math.floor(next() * n)}`;
        const constraint = [
            '',
            '',
            ` hops <= ${2 + Math.floor(next() * 3)}`,
            ` via ${other}`,
            ` avoid ${other}`,
            ` latency <= ${3 + Math.floor(next() * 6)}ms`
        ][Math.floor(next() * 6)];
        const survive = ` survive ${next() < 0.6 ? 1 : 2} ${next() < 0.7 ? 'link' : 'node'} failures`;
        lines.push(
            `intent a${i} { allow segment s${a} -> segment s${b} : tcp ${1000 + i} oneway${constraint}${survive} }`
        );
    }
    return { twin, intents: lines.join('\n') + '\n', segments };
}

/** Every subset of up to k of the items. */
function subsets<T>(items: readonly T[], k: number): T[][] {
    const out: T[][] = [[]];
    const grow = (from: number, chosen: T[]) => {
        if (chosen.length === k) return;
        for (let i = from; i < items.length; i++) {
            out.push([...chosen, items[i]]);
            grow(i + 1, [...chosen, items[i]]);
        }
    };
    grow(0, []);
    return out;
}

/** Whether the requirement's packets (one host to one host) fail under these failures, on some path: tried path by path. */
function failsUnder(
    verifier: NetworkVerifier,
    requirement: Requirement,
    mesh: Mesh,
    source: string,
    destination: string,
    failures: Failures
): boolean {
    const from = mesh.segments.get(source)!;
    const to = mesh.segments.get(destination)!;
    const packets = requirement.effective.intersect(
        PacketSet.cube({ src: IntervalSet.of(from.host, from.host), dst: IntervalSet.of(to.host, to.host) })
    );
    const graph = verifier.context(failures).dataplane.trace(from.device, from.interface, packets);
    const c = requirement.constraints;
    const twin = verifier.twin;
    const avoidLinks = c.avoidLinks.map(a => twin.links.indexOf(findLink(twin, a.a, a.b)!));
    for (const terminal of graph.terminals) {
        if (terminal.fate.kind !== 'delivered' || terminal.fate.place.name !== `segment ${destination}`) return true;
        for (const hops of graph.paths(terminal, Infinity)) {
            const devices = hops.map(h => h.device);
            const latency = hops.reduce((sum, h) => sum + (h.link === undefined ? 0 : twin.links[h.link].latencyUs), 0);
            if (
                missedWaypoint(devices, c.via) >= 0 ||
                devices.some(d => c.avoidDevices.includes(d)) ||
                hops.some(h => h.link !== undefined && avoidLinks.includes(h.link))
            )
                return true;
            if (
                (c.hops !== undefined && devices.length > c.hops) ||
                (c.latencyUs !== undefined && latency > c.latencyUs)
            )
                return true;
        }
    }
    return false;
}

describe('survive K against brute force', () => {
    it('equals trying every failure set and every path, on 40 random meshes', async () => {
        let compared = 0;
        let violated = 0;
        for (let seed = 0; seed < 40; seed++) {
            const mesh = randomMesh(seed, mulberry32(seed + 1));
            const checked = await checkWorkspace({ 'mesh.twin.yaml': mesh.twin, 'mesh.intent': mesh.intents });
            expect(
                checked.lines.filter(l => l.includes(' error ') && !l.includes('Violated')),
                mesh.intents
            ).toEqual([]);
            const program = netintentServices().intent.IntentPrograms.forTwin(
                path.join(checked.folder, 'mesh.twin.yaml')
            ).program;
            const compiled = compileNetwork(program);
            const verifier = new NetworkVerifier(program.twin, compiled.devices);
            for (const requirement of program.intents.flatMap(i => i.requirements)) {
                const survive = requirement.constraints.survive!;
                const text = mesh.intents.split('\n')[requirement.location.range.start.line - 1];
                const [, a, b] = /segment (\S+) -> segment (\S+)/.exec(text)!;
                const ends = [mesh.segments.get(a)!.device, mesh.segments.get(b)!.device];
                const elements: Failures[] =
                    survive.kind === 'link'
                        ? subsets(
                              program.twin.links.map((_, i) => i),
                              survive.count
                          ).map(links => ({ ...NO_FAILURES, links: new Set(links) }))
                        : subsets(
                              [...program.twin.devices.keys()].filter(d => !ends.includes(d)),
                              survive.count
                          ).map(devices => ({ ...NO_FAILURES, devices: new Set(devices) }));
                const expected = elements.some(failures => failsUnder(verifier, requirement, mesh, a, b, failures))
                    ? 'violated'
                    : 'holds';
                const verdict = verifier.verify(requirement);
                expect(verdict.verdict, `seed ${seed}: ${text}`).toBe(expected);
                // A counterexample's failures break it, and are within K.
                if (verdict.counterexample) {
                    const failed = verdict.counterexample.failed;
                    expect(failed.links.size + failed.devices.size).toBeLessThanOrEqual(survive.count);
                    expect(failsUnder(verifier, requirement, mesh, a, b, failed), `seed ${seed}: ${text}`).toBe(true);
                    violated++;
                }
                compared++;
            }
        }
        expect(compared).toBe(320);
        // Both verdicts are exercised.
        expect(violated).toBeGreaterThan(40);
        expect(compared - violated).toBeGreaterThan(40);
    }, 120_000);
});

describe('failure sets traced one after another', () => {
    it('forward as a fresh verifier finds under each, though what devices did under earlier sets is reused', async () => {
        const describe = (
            verifier: NetworkVerifier,
            failures: Failures,
            from: { device: string; interface: string; host: number },
            to: { host: number },
            effective: PacketSet
        ) => {
            const packets = effective.intersect(
                PacketSet.cube({ src: IntervalSet.of(from.host, from.host), dst: IntervalSet.of(to.host, to.host) })
            );
            const graph = verifier.context(failures).dataplane.trace(from.device, from.interface, packets);
            return graph.terminals
                .map(t => {
                    const fate = t.fate;
                    const where = fate.kind === 'delivered' ? fate.place.name : 'device' in fate ? fate.device : '';
                    const paths = graph
                        .paths(t, 1000)
                        .map(hops => hops.map(h => `${h.device}/${h.out ?? ''}`).join(' '))
                        .sort();
                    return `${fate.kind} ${where} ${'reason' in fate ? fate.reason : ''} ${JSON.stringify(t.packets.cubes)} ${paths.join(' | ')}`;
                })
                .sort();
        };
        let compared = 0;
        for (let seed = 100; seed < 112; seed++) {
            const mesh = randomMesh(seed, mulberry32(seed + 1));
            const checked = await checkWorkspace({ 'mesh.twin.yaml': mesh.twin, 'mesh.intent': mesh.intents });
            const program = netintentServices().intent.IntentPrograms.forTwin(
                path.join(checked.folder, 'mesh.twin.yaml')
            ).program;
            const compiled = compileNetwork(program);
            const warmed = new NetworkVerifier(program.twin, compiled.devices);
            const failureSets = subsets(
                program.twin.links.map((_, i) => i),
                2
            ).map(links => ({ ...NO_FAILURES, links: new Set(links) }));
            for (const requirement of program.intents.flatMap(i => i.requirements)) {
                const text = mesh.intents.split('\n')[requirement.location.range.start.line - 1];
                const [, a, b] = /segment (\S+) -> segment (\S+)/.exec(text)!;
                for (const failures of failureSets) {
                    const fresh = new NetworkVerifier(program.twin, compiled.devices);
                    const expected = describe(
                        fresh,
                        failures,
                        mesh.segments.get(a)!,
                        mesh.segments.get(b)!,
                        requirement.effective
                    );
                    expect(
                        describe(warmed, failures, mesh.segments.get(a)!, mesh.segments.get(b)!, requirement.effective),
                        `seed ${seed}: ${text} with links ${[...failures.links]} failed`
                    ).toEqual(expected);
                    compared++;
                }
            }
        }
        expect(compared).toBeGreaterThan(2000);
    }, 240_000);
});

describe('routes under failures', () => {
    it('repaired from the intact network, equal those computed afresh under the failures', async () => {
        const shown = (route: Route | undefined) =>
            route
                ? `${route.protocol} ${route.distance} ${route.blackhole ? 'blackhole' : route.nextHops.map(h => `${h.interface}/${h.address ?? ''}`).join(' ')}`
                : 'none';
        let compared = 0;
        // Routes that policy-routing tables hold (steering toward waypoints).
        let tables = 0;
        for (let seed = 200; seed < 212; seed++) {
            const mesh = randomMesh(seed, mulberry32(seed + 1));
            const checked = await checkWorkspace({ 'mesh.twin.yaml': mesh.twin, 'mesh.intent': mesh.intents });
            const program = netintentServices().intent.IntentPrograms.forTwin(
                path.join(checked.folder, 'mesh.twin.yaml')
            ).program;
            const { devices } = compileNetwork(program);
            const network = new NetworkVerifier(program.twin, devices).network;
            const universe = new PrefixUniverse(devices.values());
            const intact = new RoutingState(network, NO_FAILURES, universe);
            // Every route of every table, as a routing state gives it.
            const routes = (state: RoutingState) =>
                [...devices.values()].flatMap(config =>
                    universe
                        .all()
                        .flatMap(prefix => [
                            `${config.hostname} ${prefix.network}/${prefix.length}: ${shown(state.route(config.hostname, prefix))}`,
                            ...[...new Set(config.ipRules.map(r => r.table))].map(
                                table =>
                                    `${config.hostname} table ${table} ${prefix.network}/${prefix.length}: ${shown(state.tableRoute(config.hostname, table, prefix))}`
                            )
                        ])
                );
            // The intact network's routes are all known before any failure set asks for them.
            routes(intact);
            const failureSets: Failures[] = [
                ...subsets(
                    program.twin.links.map((_, i) => i),
                    2
                ).map(links => ({ ...NO_FAILURES, links: new Set(links) })),
                ...[...program.twin.devices.keys()].map(device => ({ ...NO_FAILURES, devices: new Set([device]) }))
            ];
            for (const failures of failureSets) {
                const repaired = routes(new RoutingState(network, failures, universe, intact));
                expect(
                    repaired,
                    `seed ${seed}, failed ${JSON.stringify([...failures.links, ...failures.devices])}`
                ).toEqual(routes(new RoutingState(network, failures, universe)));
                compared += repaired.length;
                tables += repaired.filter(r => r.includes(' table ') && !r.endsWith(': none')).length;
            }
        }
        expect(compared).toBeGreaterThan(80_000);
        expect(tables).toBeGreaterThan(2000);
    }, 240_000);
});
