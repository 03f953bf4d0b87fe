/**
 * OSPF adjacencies and static blackholes, simulated from hand-written frr.conf texts: neighbours
 * exchange routes only where they agree on passive, intervals, authentication and network type;
 * a blackhole route drops. One test runs the same configurations on FRR's real daemons (two
 * network namespaces per case, joined by a veth) and compares who reaches Full; it needs root and
 * Debian's frr, is skipped loudly without them, and fails under CI=true.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFrrConf } from '../../server/src/config/frr/parse.js';
import type { DeviceConfig } from '../../server/src/config/model.js';
import { parseAddress, type Prefix } from '../../server/src/net/ipv4.js';
import { NO_FAILURES, SimNetwork } from '../../server/src/simulate/network.js';
import { PrefixUniverse, RoutingState } from '../../server/src/simulate/routing.js';
import { loadTwin } from '../../server/src/twin/load.js';
import { FRR_DAEMONS as FRR } from '../../server/src/lab/system.js';
import { needsLab } from '../support/system.js';

const TWIN_FILE = '/virtual/pair.twin.yaml';
const TWIN = `network: pair
pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }
devices:
  r1: { role: router }
  r2: { role: router }
links:
  - endpoints: [r1:eth1, r2:eth1]
`;

/** What one router's frr.conf adds to the pair's: lines in interface eth1, in router ospf, at the top. */
interface Side {
    iface?: string[];
    router?: string[];
    top?: string[];
}

/** r1 (10.0.0.1, loopback 10.255.0.1) and r2 (10.0.0.2, loopback 10.255.0.2) on eth1, both in area 0. */
function frrConf(n: 1 | 2, side: Side = {}): string {
    return (
        [
            `hostname r${n}`,
            'interface eth1',
            ` ip address 10.0.0.${n}/30`,
            ' ip ospf area 0',
            ' ip ospf cost 10',
            ...(side.iface ?? []).map(l => ` ${l}`),
            'exit',
            'interface lo',
            ` ip address 10.255.0.${n}/32`,
            ' ip ospf area 0',
            'exit',
            'router ospf',
            ` ospf router-id 10.255.0.${n}`,
            ...(side.router ?? []).map(l => ` ${l}`),
            'exit',
            ...(side.top ?? [])
        ].join('\n') + '\n'
    );
}

function parsed(n: 1 | 2, side: Side): DeviceConfig {
    const result = parseFrrConf(frrConf(n, side), `r${n}/frr.conf`, `r${n}`);
    // Every case is fully modelled: the verdicts below are the simulator's, not unknowns.
    expect(result.diagnostics).toEqual([]);
    return result.config;
}

function routing(r1: Side, r2: Side): RoutingState {
    const { twin, diagnostics } = loadTwin(TWIN_FILE, file => (file === TWIN_FILE ? TWIN : undefined));
    expect(diagnostics).toEqual([]);
    const configs = new Map([
        ['r1', parsed(1, r1)],
        ['r2', parsed(2, r2)]
    ]);
    return new RoutingState(new SimNetwork(twin, configs), NO_FAILURES, new PrefixUniverse(configs.values()));
}

function prefix(text: string): Prefix {
    const [address, length] = text.split('/');
    return { network: parseAddress(address)!, length: Number(length) };
}

/** Whether r1 and r2 exchange OSPF routes: each learns the other's loopback over eth1. */
function adjacent(r1: Side, r2: Side): boolean {
    const state = routing(r1, r2);
    const there = state.route('r1', prefix('10.255.0.2/32'));
    const back = state.route('r2', prefix('10.255.0.1/32'));
    expect(there === undefined, 'both directions or neither').toBe(back === undefined);
    if (there)
        expect(there).toEqual({
            prefix: prefix('10.255.0.2/32'),
            protocol: 'ospf',
            distance: 110,
            nextHops: [{ interface: 'eth1', address: parseAddress('10.0.0.2') }]
        });
    return there !== undefined;
}

const md5 = (keyId: number, key: string) => ({
    iface: ['ip ospf authentication message-digest', `ip ospf message-digest-key ${keyId} md5 ${key}`]
});
const simple = (key: string) => ({ iface: ['ip ospf authentication', `ip ospf authentication-key ${key}`] });

describe('OSPF adjacencies', () => {
    it('form between interfaces that agree, with FRR defaults on both', () => {
        expect(adjacent({}, {})).toBe(true);
    });

    it('passive-interface default keeps every interface passive but those with no passive-interface', () => {
        expect(adjacent({ router: ['passive-interface default'] }, {})).toBe(false);
        expect(adjacent({ router: ['passive-interface default', 'no passive-interface eth1'] }, {})).toBe(true);
        expect(adjacent({ router: ['passive-interface default'], iface: ['no ip ospf passive'] }, {})).toBe(true);
        expect(adjacent({}, { iface: ['ip ospf passive'] })).toBe(false);
    });

    it('need the same authentication: type, key id and key', () => {
        expect(adjacent(simple('secret'), simple('secret'))).toBe(true);
        expect(adjacent(simple('secret'), simple('other'))).toBe(false);
        expect(adjacent(simple('secret'), {})).toBe(false);
        expect(adjacent(simple('secret'), md5(1, 'secret'))).toBe(false);
        expect(adjacent(md5(1, 'secret'), md5(1, 'secret'))).toBe(true);
        expect(adjacent(md5(1, 'secret'), md5(1, 'other'))).toBe(false);
        expect(adjacent(md5(1, 'secret'), md5(2, 'secret'))).toBe(false);
        // FRR sends the last key and accepts only its own last key id.
        const twoKeys = {
            iface: [
                'ip ospf authentication message-digest',
                'ip ospf message-digest-key 1 md5 old',
                'ip ospf message-digest-key 2 md5 new'
            ]
        };
        expect(adjacent(twoKeys, md5(2, 'new'))).toBe(true);
        expect(adjacent(twoKeys, md5(1, 'old'))).toBe(false);
        // The area's type where the interface has none.
        expect(
            adjacent(
                {
                    router: ['area 0 authentication message-digest'],
                    iface: ['ip ospf message-digest-key 1 md5 secret']
                },
                md5(1, 'secret')
            )
        ).toBe(true);
        expect(
            adjacent(
                {
                    router: ['area 0 authentication message-digest'],
                    iface: ['ip ospf message-digest-key 1 md5 secret']
                },
                {}
            )
        ).toBe(false);
    });

    it('need the same hello and dead intervals (the dead interval following the hello interval where not given)', () => {
        expect(adjacent({ iface: ['ip ospf hello-interval 5'] }, {})).toBe(false);
        expect(adjacent({ iface: ['ip ospf dead-interval 30'] }, {})).toBe(false);
        expect(adjacent({ iface: ['ip ospf hello-interval 5'] }, { iface: ['ip ospf hello-interval 5'] })).toBe(true);
        expect(
            adjacent(
                { iface: ['ip ospf hello-interval 5'] },
                { iface: ['ip ospf hello-interval 5', 'ip ospf dead-interval 40'] }
            )
        ).toBe(false);
        expect(adjacent({ iface: ['ip ospf hello-interval 10', 'ip ospf dead-interval 40'] }, {})).toBe(true);
    });

    it('need the same network type: point-to-point against broadcast reaches Full in FRR, but SPF uses the link in neither direction', () => {
        expect(adjacent({ iface: ['ip ospf network point-to-point'] }, {})).toBe(false);
        expect(
            adjacent({ iface: ['ip ospf network point-to-point'] }, { iface: ['ip ospf network point-to-point'] })
        ).toBe(true);
    });
});

describe('static blackhole routes', () => {
    it('drop: a selected route without next hops, redistributed like any static route', () => {
        const state = routing(
            {
                router: ['redistribute static'],
                top: ['ip route 10.99.0.0/16 blackhole', 'ip route 10.98.0.0/16 reject', 'ip route 10.97.0.0/16 Null0']
            },
            {}
        );
        for (const text of ['10.99.0.0/16', '10.98.0.0/16', '10.97.0.0/16']) {
            expect(state.route('r1', prefix(text))).toEqual({
                prefix: prefix(text),
                protocol: 'static',
                distance: 1,
                nextHops: [],
                blackhole: true
            });
        }
        expect(state.lookup('r1', parseAddress('10.99.1.1')!)?.blackhole).toBe(true);
        // r2 sends it to r1, which drops it.
        expect(state.lookup('r2', parseAddress('10.99.1.1')!)).toEqual({
            prefix: prefix('10.99.0.0/16'),
            protocol: 'ospf',
            distance: 110,
            nextHops: [{ interface: 'eth1', address: parseAddress('10.0.0.1') }]
        });
    });

    it('lose to a route of lower distance, and win over one of higher', () => {
        const state = routing(
            {
                top: [
                    'ip route 10.50.0.0/16 10.0.0.2',
                    'ip route 10.50.0.0/16 blackhole 200',
                    'ip route 10.51.0.0/16 10.0.0.2 200',
                    'ip route 10.51.0.0/16 blackhole'
                ]
            },
            {}
        );
        expect(state.route('r1', prefix('10.50.0.0/16'))).toEqual({
            prefix: prefix('10.50.0.0/16'),
            protocol: 'static',
            distance: 1,
            nextHops: [{ interface: 'eth1', address: parseAddress('10.0.0.2') }]
        });
        expect(state.route('r1', prefix('10.51.0.0/16'))?.blackhole).toBe(true);
    });

    it('make a route whose next hop resolves through them a blackhole too, as FRR 8.4 installs it (measured)', () => {
        const state = routing(
            {
                top: [
                    'ip route 10.99.0.0/16 blackhole',
                    'ip route 10.50.0.0/16 10.99.1.1',
                    'ip route 10.51.0.0/16 10.99.1.1',
                    'ip route 10.51.0.0/16 10.0.0.2'
                ]
            },
            {}
        );
        expect(state.route('r1', prefix('10.50.0.0/16'))).toEqual({
            prefix: prefix('10.50.0.0/16'),
            protocol: 'static',
            distance: 1,
            nextHops: [],
            blackhole: true
        });
        // Beside a next hop that forwards, the kernel forwards over that one alone.
        expect(state.route('r1', prefix('10.51.0.0/16'))).toEqual({
            prefix: prefix('10.51.0.0/16'),
            protocol: 'static',
            distance: 1,
            nextHops: [{ interface: 'eth1', address: parseAddress('10.0.0.2') }]
        });
    });
});

// ------------------------------------------------------------------ on FRR's real daemons

function run(command: string, args: string[]): string {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.stdout}`);
    return result.stdout;
}

function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitFor(condition: () => boolean, what: string, ms: number): void {
    const deadline = Date.now() + ms;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        sleep(100);
    }
}

/** One router of a case: its namespace, which is also its FRR path space. */
class RealRouter {
    constructor(readonly namespace: string) {}

    private get runDir(): string {
        return path.join('/var/run/frr', this.namespace);
    }

    private get etcDir(): string {
        return path.join('/etc/frr', this.namespace);
    }

    /** zebra, staticd and ospfd in the namespace (`-N`), then frr.conf loaded as FRR's init script does. */
    start(frrConf: string): void {
        for (const dir of [this.etcDir, this.runDir]) {
            fs.mkdirSync(dir, { recursive: true });
            run('chown', ['frr:frr', dir]);
        }
        fs.writeFileSync(path.join(this.etcDir, 'frr.conf'), frrConf);
        fs.writeFileSync(path.join(this.etcDir, 'vtysh.conf'), 'service integrated-vtysh-config\n');
        for (const daemon of ['zebra', 'staticd', 'ospfd']) {
            run('ip', [
                'netns',
                'exec',
                this.namespace,
                path.join(FRR, daemon),
                '-d',
                '-N',
                this.namespace,
                '-F',
                'traditional',
                '-i',
                path.join(this.runDir, `${daemon}.pid`)
            ]);
            const ready = daemon === 'zebra' ? 'zserv.api' : `${daemon}.vty`;
            waitFor(() => fs.existsSync(path.join(this.runDir, ready)), `${daemon} in ${this.namespace}`, 10_000);
        }
        run('vtysh', ['-N', this.namespace, '-b']);
    }

    full(): boolean {
        const result = spawnSync('vtysh', ['-N', this.namespace, '-c', 'show ip ospf neighbor json'], {
            encoding: 'utf8'
        });
        const neighbors =
            result.status === 0
                ? ((JSON.parse(result.stdout).neighbors ?? {}) as Record<string, Array<{ nbrState: string }>>)
                : {};
        return Object.values(neighbors)
            .flat()
            .some(n => n.nbrState.startsWith('Full'));
    }

    /** Kills its daemons (and anything else in the namespace), removes its files and the namespace. */
    stop(): void {
        const pids = fs.existsSync(this.runDir)
            ? fs
                  .readdirSync(this.runDir)
                  .filter(f => f.endsWith('.pid'))
                  .map(f => Number(fs.readFileSync(path.join(this.runDir, f), 'utf8')))
            : [];
        const inside = spawnSync('ip', ['netns', 'pids', this.namespace], { encoding: 'utf8' })
            .stdout.split('\n')
            .filter(Boolean)
            .map(Number);
        for (const pid of new Set([...pids, ...inside])) {
            try {
                if (pid > 0) process.kill(pid, 'SIGKILL');
            } catch {
                // Already gone.
            }
        }
        fs.rmSync(this.runDir, { recursive: true, force: true });
        fs.rmSync(this.etcDir, { recursive: true, force: true });
        spawnSync('ip', ['netns', 'del', this.namespace]);
    }
}

describe.skipIf(!needsLab('the OSPF adjacency test on real FRR'))('on FRR 8.4', () => {
    // Fast timers on both ends (they agree), so that Full comes within seconds.
    const fast = (side: Side): Side => ({
        ...side,
        iface: [
            'ip ospf network point-to-point',
            'ip ospf hello-interval 1',
            'ip ospf dead-interval 4',
            ...(side.iface ?? [])
        ]
    });
    const cases: Array<{ name: string; r1: Side; r2: Side }> = [
        { name: 'matching MD5 keys', r1: fast(md5(1, 'secret')), r2: fast(md5(1, 'secret')) },
        { name: 'MD5 keys that differ', r1: fast(md5(1, 'secret')), r2: fast(md5(1, 'other')) },
        { name: 'MD5 key ids that differ', r1: fast(md5(1, 'secret')), r2: fast(md5(2, 'secret')) },
        { name: 'simple against MD5', r1: fast(simple('secret')), r2: fast(md5(1, 'secret')) },
        {
            name: 'the last of two MD5 keys',
            r1: fast({
                iface: [
                    'ip ospf authentication message-digest',
                    'ip ospf message-digest-key 1 md5 old',
                    'ip ospf message-digest-key 2 md5 new'
                ]
            }),
            r2: fast(md5(2, 'new'))
        },
        { name: 'dead intervals that differ', r1: fast({}), r2: fast({ iface: ['ip ospf dead-interval 5'] }) }
    ];

    it('neighbours reach Full exactly where the simulator has them adjacent', () => {
        const simulated = cases.map(c => adjacent(c.r1, c.r2));
        expect(simulated).toEqual([true, false, false, false, true, false]);
        const pairs = cases.map(
            (_, i) =>
                [new RealRouter(`nitest-${process.pid}-${i}a`), new RealRouter(`nitest-${process.pid}-${i}b`)] as const
        );
        try {
            cases.forEach((c, i) => {
                const [a, b] = pairs[i];
                run('ip', ['netns', 'add', a.namespace]);
                run('ip', ['netns', 'add', b.namespace]);
                run('ip', [
                    'link',
                    'add',
                    'eth1',
                    'netns',
                    a.namespace,
                    'type',
                    'veth',
                    'peer',
                    'name',
                    'eth1',
                    'netns',
                    b.namespace
                ]);
                for (const router of [a, b]) {
                    for (const device of ['lo', 'eth1'])
                        run('ip', ['-n', router.namespace, 'link', 'set', device, 'up']);
                }
                a.start(frrConf(1, c.r1));
                b.start(frrConf(2, c.r2));
            });
            // Matching neighbours reach Full within a few hellos; the rest get the same time and more.
            const full = cases.map(() => false);
            const deadline = Date.now() + 15_000;
            while (Date.now() < deadline && full.some(f => !f)) {
                pairs.forEach(([a, b], i) => (full[i] ||= a.full() && b.full()));
                sleep(500);
            }
            expect(Object.fromEntries(cases.map((c, i) => [c.name, full[i]]))).toEqual(
                Object.fromEntries(cases.map((c, i) => [c.name, simulated[i]]))
            );
        } finally {
            for (const router of pairs.flat()) router.stop();
        }
    }, 60_000);
});
