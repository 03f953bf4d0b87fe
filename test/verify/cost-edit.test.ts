/**
 * A link cost edited in the twin, in a session: the compile, the routing and the verdicts that
 * come out are those of a fresh check of the edited network, while routing is repaired rather than
 * recomputed and only verdicts whose routes may have moved are verified again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../server/src/check/check.js';
import { contentKey } from '../../server/src/common/content-key.js';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { createNetintentServices } from '../../server/src/language/netintent-module.js';
import type { Requirement } from '../../server/src/intent/model.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import { VerificationSession } from '../../server/src/verify/session.js';
import type { RequirementVerdict } from '../../server/src/verify/verify.js';
import { distancesAfterCostChanges, shortestPaths, type Edge } from '../../server/src/net/shortest-paths.js';
import { dualStack, FAMILIES, INTENT_FILE, networkFiles, TWIN_FILE, type FamilyName } from '../bench/generate.js';
import { mulberry32 } from '../support/random.js';
import { shownVerdicts } from '../support/verdicts.js';
import { writeWorkspace } from '../support/workspace.js';

/** The twin's lines with a link, and the text with the cost of some of them set. */
function linkCosts(twin: string) {
    const lines = twin.split('\n');
    const links = lines.flatMap((line, i) => (line.startsWith('  - { endpoints:') ? [i] : []));
    return {
        links,
        withCosts(costs: Map<number, number>): string {
            const out = [...lines];
            for (const [at, cost] of costs) out[at] = out[at].replace(/(, cost: \d+)? }$/, `, cost: ${cost} }`);
            return out.join('\n');
        }
    };
}

describe.each([
    ...(Object.keys(FAMILIES) as FamilyName[]).map(family => [family, false] as const),
    // Dual stack: OSPFv3's shortest-path trees are repaired too, and IPv6 verdicts kept where they did not move.
    ['wan', true] as const,
    ['clos', true] as const
])('link cost edits in a session, family %s (dual stack: %s)', (family, dual) => {
    it('give the compile and the verdicts of a fresh check, verifying again only some requirements', async () => {
        const network = dual ? dualStack(FAMILIES[family](40, 40, 7)) : FAMILIES[family](40, 40, 7);
        const folder = writeWorkspace(networkFiles(network));
        const twinFile = path.join(folder, TWIN_FILE);
        const { Netintent } = createNetintentServices(NodeFileSystem);
        const programNow = async () => {
            const report = await checkFiles(Netintent, [path.join(folder, INTENT_FILE)], { verify: false });
            expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
            return Netintent.intent.IntentPrograms.forTwin(twinFile).program;
        };
        const session = new VerificationSession();
        const total = session.run(await programNow()).verified;
        const { links, withCosts } = linkCosts(network.twin);
        const random = mulberry32(11);
        const costs = new Map<number, number>();
        let reverified = 0;
        for (let edit = 0; edit < 8; edit++) {
            // One link, or (every fourth edit) three at once; costs up and down, back to 10 too.
            for (let n = edit % 4 === 3 ? 3 : 1; n > 0; n--) {
                const link = links[Math.floor(random() * links.length)];
                const current =
                    costs.get(link) ?? Number(/cost: (\d+)/.exec(network.twin.split('\n')[link])?.[1] ?? 10);
                const choices = [1, 5, 10, 15, 40].filter(c => c !== current);
                costs.set(link, choices[Math.floor(random() * choices.length)]);
            }
            fs.writeFileSync(twinFile, withCosts(costs));
            const program = await programNow();
            const run = session.run(program);
            const fresh = compileNetwork(program);
            expect(run.compiled.underlayChange).toBe('costs');
            expect(contentKey([...run.compiled.devices])).toBe(contentKey([...fresh.devices]));
            expect(shownVerdicts(run.verdicts)).toEqual(shownVerdicts(verifyProgram(program, fresh.devices).verdicts));
            reverified += run.verified;
            if (process.env.SHOW_REVERIFIED) console.log(family, edit, run.verified, total);
        }
        // Some verdicts were kept (a survive by failure sets is always verified again).
        expect(reverified).toBeLessThan(8 * total);
    });
});

describe('distancesAfterCostChanges', () => {
    it('equals a fresh shortest-path computation, and names every router whose next hops moved', () => {
        const random = mulberry32(5);
        for (let trial = 0; trial < 300; trial++) {
            const nodes = 6 + Math.floor(random() * 10);
            const links: Array<{ a: number; b: number; cost: number }> = [];
            for (let i = 1; i < nodes; i++)
                links.push({ a: i, b: Math.floor(random() * i), cost: 1 + Math.floor(random() * 4) });
            for (let extra = Math.floor(random() * nodes); extra > 0; extra--) {
                const a = Math.floor(random() * nodes);
                const b = Math.floor(random() * nodes);
                if (a !== b) links.push({ a, b, cost: 1 + Math.floor(random() * 4) });
            }
            const graphs = (costs: number[]) => {
                const forward = new Map<string, Edge[]>();
                const reverse = new Map<string, Edge[]>();
                for (let i = 0; i < nodes; i++) {
                    forward.set(`n${i}`, []);
                    reverse.set(`n${i}`, []);
                }
                links.forEach((l, i) => {
                    for (const [from, to] of [
                        [l.a, l.b],
                        [l.b, l.a]
                    ]) {
                        forward.get(`n${from}`)!.push({ to: `n${to}`, cost: costs[i], link: i });
                        reverse.get(`n${to}`)!.push({ to: `n${from}`, cost: costs[i], link: i });
                    }
                });
                return { forward, reverse };
            };
            const before = links.map(l => l.cost);
            const after = [...before];
            for (let n = 1 + Math.floor(random() * 3); n > 0; n--)
                after[Math.floor(random() * links.length)] = 1 + Math.floor(random() * 4);
            const old = graphs(before);
            const now = graphs(after);
            const target = `n${Math.floor(random() * nodes)}`;
            const changes = [...now.forward].flatMap(([from, edges]) =>
                edges.filter(e => e.cost !== before[e.link]).map(edge => ({ from, edge, previous: before[edge.link] }))
            );
            const oldDistances = shortestPaths(old.reverse, target).distance;
            const expected = shortestPaths(now.reverse, target).distance;
            const { distances, changed } = distancesAfterCostChanges(
                now.forward,
                now.reverse,
                oldDistances,
                target,
                changes
            );
            for (let i = 0; i < nodes; i++) expect(distances.get(`n${i}`)).toBe(expected.get(`n${i}`));
            // Next hops toward the target, before and after: any router whose set differs is named.
            const nextHops = (graph: Map<string, Edge[]>, d: { get(n: string): number | undefined }, node: string) =>
                graph
                    .get(node)!
                    .filter(e => e.cost + d.get(e.to)! === d.get(node))
                    .map(e => e.link)
                    .sort()
                    .join();
            for (let i = 0; i < nodes; i++) {
                const node = `n${i}`;
                if (node === target) continue;
                if (nextHops(old.forward, oldDistances, node) !== nextHops(now.forward, expected, node))
                    expect(changed.has(node)).toBe(true);
            }
        }
    });
});

describe('a link cost edit that moves only the way toward a waypoint', () => {
    // src at r1, dst at r4, waypoint w. r1 reaches dst directly, and w by r2 and r3 (equal cost)
    // until r1 -- r3 costs more: then r1 sends the steered packets (policy table: toward w's
    // loopback) by r2 alone. No device on the path moves a route toward dst.
    const twin = (cost: number) => `network: toward
routing: ospf
pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }
devices:
  r1: { role: access }
  r2: { role: core }
  r3: { role: core }
  r4: { role: access }
  w: { role: core }
links:
  - { endpoints: [r1:eth1, r4:eth1], cost: 15 }
  - { endpoints: [r1:eth2, r2:eth1] }
  - { endpoints: [r1:eth3, r3:eth1], cost: ${cost} }
  - { endpoints: [r2:eth2, w:eth1] }
  - { endpoints: [r3:eth2, w:eth2] }
  - { endpoints: [w:eth3, r4:eth2] }
segments:
  src: { prefix: 10.1.1.0/24, attach: r1:eth10 }
  dst: { prefix: 10.1.2.0/24, attach: r4:eth10 }
`;

    it('verifies the steered requirement again (its packets are marked for the table whose next hop moved)', async () => {
        const folder = writeWorkspace({
            'toward.twin.yaml': twin(10),
            'main.intent':
                'twin "toward.twin.yaml"\nintent steered { allow src -> dst : udp 53 oneway via w }\nintent plain { allow src -> dst : udp 123 oneway }\n'
        });
        const { Netintent } = createNetintentServices(NodeFileSystem);
        const programNow = async () => {
            const report = await checkFiles(Netintent, [path.join(folder, 'main.intent')], { verify: false });
            expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
            return Netintent.intent.IntentPrograms.forTwin(path.join(folder, 'toward.twin.yaml')).program;
        };
        const session = new VerificationSession();
        const before = session.run(await programNow());
        fs.writeFileSync(path.join(folder, 'toward.twin.yaml'), twin(15));
        const program = await programNow();
        const run = session.run(program);
        const pathsOf = (verdicts: Map<Requirement, RequirementVerdict>, intent: string) =>
            [...verdicts].find(([r]) => r.intent === intent)![1].pathDevices;
        // The steered packets went by r2 and r3; now by r2 alone.
        expect(pathsOf(before.verdicts, 'steered')).toContainEqual(['r1', 'r3', 'w', 'r4']);
        expect(pathsOf(run.verdicts, 'steered')).toEqual([['r1', 'r2', 'w', 'r4']]);
        // The unsteered flow's routes did not move: its verdict is kept.
        expect(run.verified).toBe(1);
        expect(shownVerdicts(run.verdicts)).toEqual(
            shownVerdicts(verifyProgram(program, compileNetwork(program).devices).verdicts)
        );
    });
});
