/** Each requirement kind on a small hand-checked network, holding and violated. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import type { DeviceConfig } from '../../server/src/config/model.js';
import { renderNftables } from '../../server/src/config/nftables/render.js';
import { ingressFilter } from '../support/filters.js';
import { parseAddress } from '../../server/src/net/ipv4.js';
import { parseAddress6 } from '../../server/src/net/ipv6.js';
import { SQUARE } from '../support/networks.js';
import { summary, verdictsOn } from '../support/verdicts.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';

const DUAL_STACK = fs.readFileSync(
    path.join(__dirname, '..', '..', 'samples', 'dual-stack', 'dual-stack.twin.yaml'),
    'utf8'
);

/** Compiles and verifies intents on the square; returns each requirement's verdict by intent name. */
const verdicts = (
    intents: string,
    routing = 'ospf',
    configure?: (devices: ReturnType<typeof compileNetwork>['devices']) => void
) => verdictsOn(SQUARE(routing), intents, configure);

// OSPF and static routes take r1-r2-r4 (cost 20 against 40); eBGP counts AS hops: both ways are equal.
describe.each([
    ['ospf', 1],
    ['bgp', 2],
    ['static', 1]
] as const)('with %s routing', (routing, paths) => {
    it('allow, deny, isolate hold as compiled', async () => {
        const result = await verdicts(
            'intent a { allow web -> db : tcp 443 }\nintent d { deny web -> db : tcp 22 }\nintent i { isolate web, internet : udp 53 }\n',
            routing
        );
        expect(result.get('a')!.map(summary)).toEqual([`holds (${paths} path${paths === 1 ? '' : 's'}, 0 scenarios)`]);
        expect(result.get('d')!.map(summary)).toEqual(['holds (1 path, 0 scenarios)']);
        expect(result.get('i')!.map(summary)).toEqual(['holds (2 paths, 0 scenarios)']);
    });
});

describe('allow', () => {
    it('holds on every ECMP branch, and the replies come back', async () => {
        // Equal costs: r1 reaches r4 over r2 and over r3.
        const result = await verdicts('intent a { allow web -> db : tcp 443 }\n', 'ospf', devices => {
            for (const d of devices.values())
                for (const i of d.interfaces) if (i.ospf && !i.ospf.passive) i.ospf.cost = 10;
        });
        expect(result.get('a')!.map(summary)).toEqual(['holds (2 paths, 0 scenarios)']);
    });

    it('every failing ECMP branch is reported', async () => {
        const equalCosts = (devices: ReturnType<typeof compileNetwork>['devices']) => {
            for (const d of devices.values()) {
                d.ipRules = [];
                for (const i of d.interfaces) if (i.ospf && !i.ospf.passive) i.ospf.cost = 10;
            }
        };
        const both = await verdicts('intent h { allow web -> db : tcp 1 hops <= 2 }\n', 'ospf', equalCosts);
        expect(both.get('h')![0].counterexample?.branches).toEqual([
            ['r1', 'r2', 'r4'],
            ['r1', 'r3', 'r4']
        ]);
        // One way only: the branch over r3 passes; with replies, theirs (ECMP too) would fail as well.
        const one = await verdicts('intent v { allow web -> db : tcp 1 oneway via r3 }\n', 'ospf', equalCosts);
        expect(one.get('v')![0].counterexample?.branches).toEqual([['r1', 'r2', 'r4']]);
    });

    it("violated where an ACL drops it, citing the rule's line in nftables.nft", async () => {
        let r1: DeviceConfig | undefined;
        const result = await verdicts('intent a { allow web -> db : tcp 443 }\n', 'ospf', devices => {
            r1 = devices.get('r1')!;
            r1.filter = ingressFilter([
                {
                    interface: 'eth10',
                    defaultAction: 'accept',
                    rules: [{ action: 'drop', match: { protocols: [[6, 6]] }, comment: 'hand-made' }]
                }
            ]);
        });
        const [summaryLine] = result.get('a')!.map(summary);
        expect(summaryLine).toMatch(/^violated: dropped at r1 by nftables.nft line (\d+) \(hand-made\) \[\] r1$/);
        const line = Number(/line (\d+)/.exec(summaryLine)![1]);
        expect(renderNftables(r1!).split('\n')[line - 1]).toBe('\t\tmeta l4proto tcp drop comment "hand-made"');
    });

    it('violated where the replies are dropped: the reply path has no state to pass on', async () => {
        const result = await verdicts('intent a { allow web -> db : tcp 443 }\n', 'ospf', devices => {
            devices.get('r4')!.filter = ingressFilter(
                [{ interface: 'eth10', defaultAction: 'drop', rules: [] }],
                false
            );
        });
        expect(result.get('a')![0].counterexample?.reason).toMatch(
            /^the replies are dropped at r4 by nftables.nft line \d+$/
        );
    });

    it('oneway needs no replies', async () => {
        const result = await verdicts('intent a { allow web -> db : udp 514 oneway }\n', 'ospf', devices => {
            devices.get('r4')!.filter = ingressFilter([{ interface: 'eth10', defaultAction: 'drop', rules: [] }]);
        });
        expect(result.get('a')!.map(summary)).toEqual(['holds (1 path, 0 scenarios)']);
    });
});

describe('deny, isolate and default deny', () => {
    it('violated when nothing drops the traffic', async () => {
        const result = await verdicts('intent d { deny web -> db : tcp 22 }\n', 'ospf', devices => {
            devices.get('r1')!.filter = { chains: [] };
        });
        expect(result.get('d')!.map(summary)).toEqual([
            'violated: delivered to segment db (r1 → r2 → r4); nothing stops it [] r1 r2 r4'
        ]);
    });

    it('default deny holds as compiled, and is violated without its ACLs', async () => {
        const intents = 'default deny\nintent a { allow web -> db : tcp 443 }\n';
        // One path from each place (web, db, internet): traffic no allow takes is dropped where it enters.
        expect((await verdicts(intents)).get('default')!.map(summary)).toEqual(['holds (3 paths, 0 scenarios)']);
        const open = await verdicts(intents, 'ospf', devices => {
            for (const d of devices.values()) d.filter = { chains: [] };
        });
        expect(open.get('default')![0].counterexample?.reason).toMatch(/^delivered to .*; nothing stops it$/);
    });
});

describe('path constraints', () => {
    it('via, avoid, hops, latency hold where the compiler steers', async () => {
        const result = await verdicts(
            [
                'intent v { allow web -> db : tcp 1 via r3 }',
                'intent x { allow web -> db : tcp 2 avoid r2 }',
                'intent h { allow web -> db : tcp 3 hops <= 3 }',
                'intent l { allow web -> db : tcp 4 latency <= 2ms }'
            ].join('\n') + '\n'
        );
        for (const name of ['v', 'x', 'h', 'l'])
            expect(result.get(name)!.map(summary), name).toEqual(['holds (1 path, 0 scenarios)']);
    });

    it('a latency bound broken when the policy routes are gone: the sum is shown', async () => {
        const result = await verdicts('intent l { allow web -> db : tcp 4 latency <= 2ms }\n', 'ospf', devices => {
            for (const d of devices.values()) d.ipRules = [];
        });
        expect(result.get('l')!.map(summary)).toEqual([
            'violated: the path r1 → r2 → r4 takes 10ms (5ms + 5ms), more than latency <= 2ms [] r1 r2 r4'
        ]);
    });

    it('via survives what the IGP survives; cut off from its waypoint, the traffic is dropped, never sent around it', async () => {
        const result = await verdicts(
            [
                'scenario r3-gone {\n  fail link r1:eth2 -- r3:eth1\n  fail link r3:eth2 -- r4:eth2\n}',
                'intent v { allow web -> db : tcp 1 via r3 survive 1 link failure }',
                'intent g { allow web -> db : tcp 2 via r3 during r3-gone }',
                'intent a { allow web -> db : tcp 3 via any of r2, r3 during r3-gone }'
            ].join('\n') + '\n'
        );
        // Each link of its path failed in turn: around r1-r3 (over r2 and r4 to r3 and back to r4), around r3-r4 (back over r1, r2).
        expect(result.get('v')!.map(summary)).toEqual(['holds (1 path, 2 scenarios)']);
        expect(result.get('g')!.map(summary)).toEqual([
            'violated: dropped at r1: no path through r3 (the steering table 1000 holds only its blackhole) [r1:eth2 -- r3:eth1, r3:eth2 -- r4:eth2] r1'
        ]);
        // Either waypoint will do: r2 is on the way.
        expect(result.get('a')!.map(summary)).toEqual(['holds (1 path, 1 scenarios)']);
    });

    it('a pinned path steers only its own requests: a reply of another connection that uses the same port as its client port is routed as without steering', async () => {
        // l is pinned over r3 and fails closed; b's replies from web to db use b's client ports, 443 among them.
        const result = await verdicts(
            'intent l { allow web -> db : tcp 443 latency <= 2ms }\nintent b { allow db -> web : tcp 80 survive 1 link failure }\n'
        );
        expect(result.get('l')!.map(summary)).toEqual(['holds (1 path, 0 scenarios)']);
        // Its replies are checked under every failure on their way back too (r1 -- r3 would have cut them off).
        expect(result.get('b')!.map(summary)).toEqual(['holds (1 path, 2 scenarios)']);
    });

    it('a waypoint in the wrong order', async () => {
        const result = await verdicts(
            'intent v { allow web -> db : tcp 1 via r4, r1 }\n'.replace('via r4, r1', 'via r4 via r1')
        );
        expect(result.get('v')![0].verdict).toBe('violated');
    });
});

describe('failures', () => {
    it('survive 1 link failure holds on the square (two disjoint paths), by a minimum cut: no failure simulated', async () => {
        const result = await verdicts('intent s { allow web -> db : tcp 5 survive 1 link failure }\n');
        expect(result.get('s')!.map(summary)).toEqual(['holds (1 path, 0 scenarios)']);
        expect(result.get('s')![0].survivedBy).toBe('minimum cut');
    });

    it('with a path constraint, survive tries the failure sets that touch the paths', async () => {
        const result = await verdicts('intent s { allow web -> db : tcp 5 hops <= 3 survive 1 link failure }\n');
        expect(result.get('s')!.map(summary)).toEqual(['holds (1 path, 2 scenarios)']);
        expect(result.get('s')![0].survivedBy).toBe('failure sets');
    });

    it('survive 2 link failures is violated, with the two links that cut it', async () => {
        const result = await verdicts('intent s { allow web -> db : tcp 5 survive 2 link failures }\n');
        expect(result.get('s')!.map(summary)).toEqual([
            'violated: dropped at r1: no route to 10.1.2.3 [r1:eth1 -- r2:eth1, r1:eth2 -- r3:eth1] r1'
        ]);
    });

    it('survive 1 node failure holds; during a scenario that cuts both paths it is violated', async () => {
        const result = await verdicts(
            'scenario both { fail device r2\n fail device r3 }\nintent n { allow web -> db : tcp 6 survive 1 node failure }\nintent d { allow web -> db : tcp 7 during both }\n'
        );
        expect(result.get('n')!.map(summary)).toEqual(['holds (1 path, 0 scenarios)']);
        expect(result.get('n')![0].survivedBy).toBe('minimum cut');
        expect(result.get('d')!.map(summary)).toEqual(['violated: dropped at r1: no route to 10.1.2.3 [r2, r3] r1']);
    });
});

describe('network-wide forwarding checks', () => {
    async function problems(
        configure: (devices: ReturnType<typeof compileNetwork>['devices']) => void,
        twin = SQUARE('static'),
        intents = 'intent a { allow web -> db : tcp 443 }\n'
    ) {
        const checked = await checkWorkspace({
            'square.twin.yaml': twin,
            'main.intent': `twin "square.twin.yaml"\n${intents}`
        });
        const program = netintentServices().intent.IntentPrograms.forTwin(
            path.join(checked.folder, 'square.twin.yaml')
        ).program;
        const compiled = compileNetwork(program);
        configure(compiled.devices);
        return verifyProgram(program, compiled.devices).forwarding;
    }

    it('none on the compiled network', async () => {
        expect(await problems(() => undefined)).toEqual([]);
    });

    it('a static route pointing back is a loop; a missing one a blackhole', async () => {
        const db = 0x0a010200;
        const loop = await problems(devices => {
            const r2 = devices.get('r2')!;
            // r2 sends db's traffic back to r1, which sends it to r2.
            r2.staticRoutes = r2.staticRoutes.map(r => (r.prefix.network === db ? { ...r, nextHop: 0x0a000000 } : r));
        });
        expect(loop).toEqual([{ kind: 'loop', device: 'r1', destination: '10.1.2.0/24', path: ['r1', 'r2', 'r1'] }]);
        const hole = await problems(devices => {
            // Without its route to db, r2 would still send db's traffic to the internet by its default route.
            const r2 = devices.get('r2')!;
            r2.staticRoutes = r2.staticRoutes.filter(r => r.prefix.network !== db && r.prefix.length !== 0);
        });
        expect(hole).toEqual([{ kind: 'blackhole', device: 'r2', destination: '10.1.2.0/24', path: ['r1', 'r2'] }]);
    });

    describe('in IPv6, on the dual-stack sample routed by static routes', () => {
        // staff on r1 reaches the servers on r3 over r2 and over r4 (equal costs).
        const twin = DUAL_STACK.replace('routing: ospf', 'routing: static');
        const intents = 'intent a { allow segment staff -> segment servers : tcp 443 }\n';
        const servers6 = parseAddress6('2001:db8:3::')!;
        const r1Eth1 = parseAddress6('2001:db8:ff00::')!;
        const dualProblems = (configure: (devices: ReturnType<typeof compileNetwork>['devices']) => void) =>
            problems(configure, twin, intents);

        it('none as compiled', async () => {
            expect(await dualProblems(() => undefined)).toEqual([]);
        });

        it("an IPv6 static route pointing back is a loop, reported in RFC 5952 form; IPv4's routes are whole", async () => {
            const loop = await dualProblems(devices => {
                const r2 = devices.get('r2')!;
                r2.staticRoutes6 = r2.staticRoutes6.map(r =>
                    r.prefix.network === servers6 ? { ...r, nextHop: r1Eth1 } : r
                );
            });
            expect(loop).toEqual([
                { kind: 'loop', device: 'r1', destination: '2001:db8:3::/64', path: ['r1', 'r2', 'r1'] }
            ]);
        });

        it('a missing IPv6 route is a blackhole, after the IPv4 loop of the same destination', async () => {
            const hole = await dualProblems(devices => {
                const r2 = devices.get('r2')!;
                r2.staticRoutes6 = r2.staticRoutes6.filter(r => r.prefix.network !== servers6 && r.prefix.length !== 0);
                r2.staticRoutes = r2.staticRoutes.map(r =>
                    r.prefix.network === parseAddress('10.6.3.0') ? { ...r, nextHop: parseAddress('10.0.0.0')! } : r
                );
            });
            expect(hole).toEqual([
                { kind: 'loop', device: 'r1', destination: '10.6.3.0/24', path: ['r1', 'r2', 'r1'] },
                { kind: 'blackhole', device: 'r2', destination: '2001:db8:3::/64', path: ['r1', 'r2'] }
            ]);
        });
    });
});
