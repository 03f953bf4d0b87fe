/**
 * Generated networks for the benchmarks, in families of shapes. Each family is a function
 * (devices, intents, seed) → a twin and an intent file, the same for the same arguments:
 *
 * - `clos`: RFC 7938's five-stage Clos: pods of 20 leaves fully meshed to 4 spines, spine k of
 *   every pod linked to super-spine k; a segment per leaf.
 * - `partial`: leaf-spine with partial homing: about devices/20 spines, each leaf linked to 2 of
 *   them at random, so traffic between leaves with no spine in common crosses transit leaves, over
 *   many equal-cost paths; a segment per leaf.
 * - `regular`: a random graph of degree 3 to 4, connected (a ring through every router, then
 *   random links); a segment per router.
 * - `wan`: a ring of regional rings (two gateways per region on two core rings), chords inside the
 *   regions and between far regions; routers placed in a plane, latencies from their distances
 *   (5 µs a km), OSPF costs from the latencies; a segment per site router, the internet at one gateway.
 * - `campus`: core, distribution, access: blocks of 20 access switches each homed to the block's
 *   two distribution routers, each distribution router to a pair of cores, the cores fully meshed,
 *   two firewalls on the first pair of cores; a segment per access switch, the internet at core0.
 *
 * Addressing holds up to 32,768 segments: links take /31s from pools.links 10.128.0.0/14 (131,072
 * links), loopbacks pools.loopbacks 10.255.0.0/16 (65,534 devices), and segment n is
 * 10.(n >> 8).(n & 255).0/24, inside 10.0.0.0/9, clear of both pools (in 10.128.0.0/9). The
 * external `internet` is 0.0.0.0/0 on the uplink 203.0.113.0/30.
 *
 * The intents (one a line, `intent i<n> { … }`, ports unique so that no allow and deny overlap)
 * follow a cycle of twenty (see MIX): allows with ports, denies, isolates, via, avoid, hops,
 * latency, oneway, a group, a service, a scenario (`during`), the internet where there is one; a
 * quarter with `survive 1 link failure`, one in twenty with `survive 2 link failures`. Hops and
 * latency bounds are computed from the twin: the ones meant to hold admit every least-cost path,
 * the ones meant to fail are below the shortest path there is. Whether survive 2 holds depends on
 * the shape (a leaf or access switch with two uplinks does not survive losing both).
 */
import { mulberry32, type Rng } from '../support/random.js';

export interface GeneratedNetwork {
    twin: string;
    intents: string;
}

export type Family = (devices: number, intents: number, seed: number) => GeneratedNetwork;

/** What the intent file's `twin` line names; write the twin there. */
export const TWIN_FILE = 'network.twin.yaml';
export const INTENT_FILE = 'network.intent';

/**
 * The same network dual stack: IPv6 pools (a /127 per link from 2001:db8:8000::/48, a /128 per
 * loopback from 2001:db8:8001::/64), segment n also 2001:db8:n::/64 (n in hex, below 8000), the
 * internet also ::/0 on 2001:db8:8002::/64. The intents name segments, so they cover both families.
 */
export function dualStack(network: GeneratedNetwork): GeneratedNetwork {
    const twin = network.twin
        .replace(
            /^pools: \{ (.*) \}$/m,
            'pools: { $1, links6: "2001:db8:8000::/48", loopbacks6: "2001:db8:8001::/64" }'
        )
        .replace(
            /^ {2}s(\d+): \{ prefix: ([\d./]+),/gm,
            (_, n: string, prefix: string) =>
                `  s${n}: { prefix: [${prefix}, "2001:db8:${Number(n).toString(16)}::/64"],`
        )
        .replace(
            /prefixes: \[0\.0\.0\.0\/0\], (attach: \S+), address: ([\d./]+), peer: ([\d.]+) \}/,
            'prefixes: [0.0.0.0/0, "::/0"], $1, address: [$2, "2001:db8:8002::2/64"], peer: [$3, "2001:db8:8002::1"] }'
        );
    return { ...network, twin };
}

/** The two files of a generated network, by file name. */
export function networkFiles(network: GeneratedNetwork): Record<string, string> {
    return { [TWIN_FILE]: network.twin, [INTENT_FILE]: network.intents };
}

const MAX_SEGMENTS = 32_768;
const MAX_LINKS = 131_072;
const MAX_DEVICES = 65_534;
/** The twin's default link cost (OSPF's), left unwritten. */
const DEFAULT_COST = 10;

interface Link {
    a: string;
    b: string;
    latencyUs: number;
    cost: number;
}

/** A family's network before it is written: devices, links and where segments, waypoints and the internet go. */
class Shape {
    readonly roles = new Map<string, string>();
    readonly links: Link[] = [];
    /** Devices that carry a segment, in segment order. */
    readonly edge: string[] = [];
    /** Devices that `via`, `avoid` and the scenarios name. */
    readonly waypoints: string[] = [];
    /** Where the internet attaches, if the shape has an uplink to it. */
    border?: string;
    private readonly linked = new Set<string>();

    constructor(readonly network: string) {}

    device(name: string, role: string): string {
        this.roles.set(name, role);
        return name;
    }

    /** Links two devices unless they are linked already; returns whether it did. */
    link(a: string, b: string, latencyUs: number, cost = DEFAULT_COST): boolean {
        const key = a < b ? `${a} ${b}` : `${b} ${a}`;
        if (a === b || this.linked.has(key)) return false;
        this.linked.add(key);
        this.links.push({ a, b, latencyUs: Math.max(1, Math.round(latencyUs)), cost });
        return true;
    }
}

export const FAMILIES = { clos, partial, regular, wan, campus } satisfies Record<string, Family>;
export type FamilyName = keyof typeof FAMILIES;

function clos(devices: number, intents: number, seed: number): GeneratedNetwork {
    const LEAVES_PER_POD = 20;
    const SPINES_PER_POD = 4;
    const shape = new Shape(`clos-${devices}`);
    const pods = Math.max(1, Math.round((devices - SPINES_PER_POD) / (LEAVES_PER_POD + SPINES_PER_POD)));
    const supers = Array.from({ length: SPINES_PER_POD }, (_, s) => shape.device(`super${s}`, 'super-spine'));
    shape.waypoints.push(...supers);
    for (let p = 0; p < pods; p++) {
        const spines = Array.from({ length: SPINES_PER_POD }, (_, s) => shape.device(`p${p}-spine${s}`, 'spine'));
        shape.waypoints.push(...spines);
        spines.forEach((spine, s) => shape.link(spine, supers[s], 200 + ((p * 13 + s) % 300)));
        for (let l = 0; l < LEAVES_PER_POD; l++) {
            const leaf = shape.device(`p${p}-leaf${l}`, 'leaf');
            shape.edge.push(leaf);
            spines.forEach((spine, s) => shape.link(leaf, spine, 50 + ((l * 7 + s) % 100)));
        }
    }
    return write(shape, intents, mulberry32(seed));
}

function partial(devices: number, intents: number, seed: number): GeneratedNetwork {
    const next = mulberry32(seed);
    const shape = new Shape(`partial-${devices}`);
    const spineCount = Math.max(2, Math.round(devices / 20));
    const spines = Array.from({ length: spineCount }, (_, s) => shape.device(`spine${s}`, 'spine'));
    shape.waypoints.push(...spines);
    for (let l = 0; l < devices - spineCount; l++) {
        const leaf = shape.device(`leaf${l}`, 'leaf');
        shape.edge.push(leaf);
        // The first leaves chain the spines together, so that the fabric is connected.
        const homes = l < spineCount - 1 ? [spines[l], spines[l + 1]] : shuffled(spines, next).slice(0, 2);
        for (const spine of homes) shape.link(leaf, spine, 50 + next() * 100);
    }
    return write(shape, intents, next);
}

function regular(devices: number, intents: number, seed: number): GeneratedNetwork {
    const next = mulberry32(seed);
    const shape = new Shape(`regular-${devices}`);
    const routers = Array.from({ length: Math.max(5, devices) }, (_, i) => shape.device(`r${i}`, 'router'));
    shape.edge.push(...routers);
    shape.waypoints.push(...routers);
    const latency = () => 100 + next() * 900;
    // A ring through every router in random order: connected, every degree 2.
    const order = shuffled(routers, next);
    order.forEach((router, i) => shape.link(router, order[(i + 1) % order.length], latency()));
    const degree = new Map(routers.map(r => [r, 2]));
    const wanted = new Map(routers.map(r => [r, next() < 0.5 ? 3 : 4]));
    const linkUp = (a: string, b: string) => {
        if (!shape.link(a, b, latency())) return;
        degree.set(a, degree.get(a)! + 1);
        degree.set(b, degree.get(b)! + 1);
    };
    // Random pairs of routers below their degree; the last few, whose partners are all taken,
    // link to any router below 4.
    const open = [...routers];
    for (let tries = 0; open.length >= 2 && tries < 20 * routers.length; tries++) {
        const i = Math.floor(next() * open.length);
        const j = Math.floor(next() * open.length);
        if (i === j) continue;
        linkUp(open[i], open[j]);
        for (const k of [Math.max(i, j), Math.min(i, j)]) {
            if (degree.get(open[k])! >= wanted.get(open[k])!) open.splice(k, 1);
        }
    }
    for (const router of open) {
        for (let tries = 0; degree.get(router)! < 3 && tries < 100; tries++) {
            const other = routers[Math.floor(next() * routers.length)];
            if (degree.get(other)! < 4) linkUp(router, other);
        }
    }
    return write(shape, intents, next);
}

function wan(devices: number, intents: number, seed: number): GeneratedNetwork {
    const next = mulberry32(seed);
    const shape = new Shape(`wan-${devices}`);
    const perRegion = Math.min(24, Math.max(4, Math.round(Math.sqrt(devices))));
    const regions = Math.max(3, Math.round(devices / perRegion));
    const gateways = [0, Math.floor(perRegion / 2)];
    // Regions around a circle in the plane (km), each region's routers around its centre.
    const radius = Math.max(500, regions * 50);
    const where = new Map<string, [number, number]>();
    const region: string[][] = [];
    for (let r = 0; r < regions; r++) {
        const angle = (2 * Math.PI * (r + 0.3 * next())) / regions;
        const [cx, cy] = [radius * Math.cos(angle), radius * Math.sin(angle)];
        region.push(
            Array.from({ length: perRegion }, (_, k) => {
                const name = shape.device(`reg${r}-r${k}`, gateways.includes(k) ? 'gateway' : 'site-router');
                const at = (2 * Math.PI * k) / perRegion;
                const spread = 40 + 80 * next();
                where.set(name, [cx + spread * Math.cos(at), cy + spread * Math.sin(at)]);
                (gateways.includes(k) ? shape.waypoints : shape.edge).push(name);
                return name;
            })
        );
    }
    const link = (a: string, b: string) => {
        const [[ax, ay], [bx, by]] = [where.get(a)!, where.get(b)!];
        const latencyUs = Math.max(1, Math.round(5 * Math.hypot(ax - bx, ay - by)));
        shape.link(a, b, latencyUs, Math.max(1, Math.round(latencyUs / 100)));
    };
    for (const [r, routers] of region.entries()) {
        routers.forEach((router, k) => link(router, routers[(k + 1) % perRegion]));
        if (perRegion >= 6) {
            const k = Math.floor(next() * perRegion);
            link(routers[k], routers[(k + 2 + Math.floor(next() * (perRegion - 3))) % perRegion]);
        }
        for (const g of gateways) link(routers[g], region[(r + 1) % regions][g]);
        // Every other region has a long-haul chord to a region that is not its neighbour.
        if (regions >= 5 && r % 2 === 0) {
            const far = (r + 2 + Math.floor(next() * (regions - 3))) % regions;
            link(routers[gateways[0]], region[far][gateways[1]]);
        }
    }
    shape.border = region[0][gateways[0]];
    return write(shape, intents, next);
}

function campus(devices: number, intents: number, seed: number): GeneratedNetwork {
    const ACCESS_PER_BLOCK = 20;
    const next = mulberry32(seed);
    const shape = new Shape(`campus-${devices}`);
    const blocks = Math.max(1, Math.round((devices - 4) / (ACCESS_PER_BLOCK + 2)));
    const corePairs = Math.min(16, Math.max(1, Math.round(blocks / 8)));
    const cores = Array.from({ length: 2 * corePairs }, (_, c) => shape.device(`core${c}`, 'core'));
    cores.forEach((core, c) => cores.slice(c + 1).forEach(other => shape.link(core, other, 200 + next() * 400)));
    const firewalls = [0, 1].map(f => shape.device(`fw${f}`, 'firewall'));
    for (const firewall of firewalls) for (const core of cores.slice(0, 2)) shape.link(firewall, core, 50);
    shape.waypoints.push(...cores, ...firewalls);
    for (let b = 0; b < blocks; b++) {
        const uplinks = cores.slice(2 * (b % corePairs), 2 * (b % corePairs) + 2);
        const dists = [1, 2].map(d => shape.device(`b${b}-dist${d}`, 'distribution'));
        shape.link(dists[0], dists[1], 20);
        for (const dist of dists) for (const core of uplinks) shape.link(dist, core, 100 + next() * 200);
        for (let a = 0; a < ACCESS_PER_BLOCK; a++) {
            const access = shape.device(`b${b}-acc${a}`, 'access');
            shape.edge.push(access);
            for (const dist of dists) shape.link(access, dist, 20 + next() * 30);
        }
    }
    shape.border = cores[0];
    return write(shape, intents, next);
}

/** The twin (interfaces numbered per device in link order, each segment on the next free one) and the intents. */
function write(shape: Shape, intents: number, next: Rng): GeneratedNetwork {
    if (shape.edge.length > MAX_SEGMENTS || shape.links.length > MAX_LINKS || shape.roles.size > MAX_DEVICES) {
        throw new Error(`${shape.network} is larger than the generator's addressing holds (see generate.ts)`);
    }
    const used = new Map<string, number>();
    const port = (device: string) => {
        const n = (used.get(device) ?? 0) + 1;
        used.set(device, n);
        return `${device}:eth${n}`;
    };
    const ends = new Map(shape.links.map(l => [l, [port(l.a), port(l.b)]]));
    const lines = [
        `network: ${shape.network}`,
        'routing: ospf',
        'pools: { links: 10.128.0.0/14, loopbacks: 10.255.0.0/16 }',
        'devices:',
        ...[...shape.roles].map(([name, role]) => `  ${name}: { role: ${role} }`),
        'links:',
        ...shape.links.map(
            l =>
                `  - { endpoints: [${ends.get(l)!.join(', ')}], latency: ${l.latencyUs}us${l.cost === DEFAULT_COST ? '' : `, cost: ${l.cost}`} }`
        ),
        'segments:',
        ...shape.edge.map((device, n) => `  s${n}: { prefix: 10.${n >> 8}.${n & 255}.0/24, attach: ${port(device)} }`)
    ];
    if (shape.border) {
        lines.push(
            'externals:',
            `  internet: { prefixes: [0.0.0.0/0], attach: ${port(shape.border)}, address: 203.0.113.2/30, peer: 203.0.113.1 }`
        );
    }
    return {
        twin: lines.join('\n') + '\n',
        intents: mixedIntents(shape, intents, next, l => ends.get(l)!.join(' -- '))
    };
}

/**
 * What the intents are, by position in a cycle of twenty: 5 with survive 1, 1 with survive 2,
 * 3 denies, 1 isolate, 2 bounds meant to fail.
 */
const MIX = [
    'oneway',
    'survive1',
    'deny',
    'via-survive1',
    'hops',
    'survive1',
    'latency',
    'deny-udp',
    'avoid',
    'survive2',
    'via',
    'survive1-ping',
    'isolate',
    'hops-failing',
    'internet',
    'survive1',
    'deny',
    'latency-failing',
    'during',
    'group'
] as const;

/** Scenarios that fail one link each, for `during`. */
const SCENARIOS = 4;
/** Sources of the hops and latency intents (as a few applications with service levels). */
const BOUNDED_SOURCES = 8;

function mixedIntents(shape: Shape, count: number, next: Rng, linkName: (link: Link) => string): string {
    const segment = new Map(shape.edge.map((device, n) => [device, `s${n}`]));
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
    /** One of `items` other than `excluded` (the families have more than enough of each). */
    const pickOther = (items: readonly string[], ...excluded: string[]) => {
        let item = pick(items);
        while (excluded.includes(item)) item = pick(items);
        return item;
    };
    const paths = new PathMetrics(shape);
    const boundedSources = shuffled(shape.edge, next).slice(0, BOUNDED_SOURCES);
    const scenarios = Array.from(
        { length: SCENARIOS },
        (_, k) => `scenario cut${k} { fail link ${linkName(pick(shape.links))} }`
    );
    const lines = [`twin "${TWIN_FILE}"`, '', 'service web = tcp 80, tcp 443', 'service ping = icmp', ...scenarios, ''];
    for (let i = 0; i < count; i++) {
        const kind = MIX[i % MIX.length];
        const port = 1000 + i;
        const bounded = kind.startsWith('hops') || kind.startsWith('latency');
        const a = pick(bounded ? boundedSources : shape.edge);
        const b = pickOther(shape.edge, a);
        const flow = `${segment.get(a)} -> ${segment.get(b)}`;
        const statement = ((): string => {
            switch (kind) {
                case 'oneway':
                    return `allow ${flow} : udp ${port} oneway`;
                case 'survive1':
                    return `allow ${flow} : tcp ${port} survive 1 link failure`;
                case 'survive1-ping':
                    return `allow ${flow} : ping survive 1 link failure`;
                case 'survive2':
                    return `allow ${flow} : tcp ${port} survive 2 link failures`;
                case 'via':
                    return `allow ${flow} : tcp ${port} via ${pickOther(shape.waypoints, a, b)}`;
                case 'via-survive1':
                    return `allow ${flow} : tcp ${port} via ${pickOther(shape.waypoints, a, b)} survive 1 link failure`;
                case 'avoid':
                    return `allow ${flow} : tcp ${port} avoid ${pickOther(shape.waypoints, a, b)}`;
                case 'hops':
                    return `allow ${flow} : tcp ${port} hops <= ${paths.from(a).mostHops(b)}`;
                case 'hops-failing':
                    return `allow ${flow} : tcp ${port} hops <= ${paths.from(a).fewestHops(b) - 1}`;
                case 'latency':
                    return `allow ${flow} : tcp ${port} latency <= ${paths.from(a).mostLatencyUs(b)}us`;
                case 'latency-failing':
                    return `allow ${flow} : tcp ${port} latency <= ${paths.from(a).leastLatencyUs(b) - 1}us`;
                case 'deny':
                    return `deny ${flow} : tcp ${port}`;
                case 'deny-udp':
                    return `deny ${flow} : udp ${port}`;
                case 'isolate':
                    return `isolate ${segment.get(a)}, ${segment.get(b)} : tcp ${port}`;
                case 'during':
                    return `allow ${flow} : tcp ${port} during cut${Math.floor(i / MIX.length) % SCENARIOS}`;
                case 'internet':
                    return shape.border
                        ? `allow ${segment.get(a)} -> internet : tcp ${port}`
                        : `allow ${flow} : udp ${port} oneway`;
                case 'group': {
                    const c = pickOther(shape.edge, a, b);
                    lines.push(`group g${i} = ${segment.get(a)}, ${segment.get(c)}`);
                    return `allow g${i} -> ${segment.get(b)} : web`;
                }
            }
        })();
        lines.push(`intent i${i} { ${statement} }`);
    }
    return lines.join('\n') + '\n';
}

/**
 * Path lengths from one device, as OSPF routes (least cost, every equal-cost path) and as the
 * shortest path there is, by hops and by latency. A path's hops count its devices, as `hops <=` does.
 */
class PathMetrics {
    private readonly index: Map<string, number>;
    private readonly adjacency: Array<Array<{ to: number; link: Link }>>;
    private readonly cache = new Map<string, ReturnType<PathMetrics['compute']>>();

    constructor(shape: Shape) {
        this.index = new Map([...shape.roles.keys()].map((name, i) => [name, i]));
        this.adjacency = [...shape.roles.keys()].map(() => []);
        for (const link of shape.links) {
            const [a, b] = [this.index.get(link.a)!, this.index.get(link.b)!];
            this.adjacency[a].push({ to: b, link });
            this.adjacency[b].push({ to: a, link });
        }
    }

    from(source: string) {
        let metrics = this.cache.get(source);
        if (!metrics) this.cache.set(source, (metrics = this.compute(this.index.get(source)!)));
        const at = (values: number[], device: string) => values[this.index.get(device)!];
        return {
            mostHops: (to: string) => at(metrics.mostHops, to),
            mostLatencyUs: (to: string) => at(metrics.mostLatency, to),
            fewestHops: (to: string) => at(metrics.fewestHops, to) + 1,
            leastLatencyUs: (to: string) => at(metrics.leastLatency, to)
        };
    }

    private compute(source: number) {
        const byCost = dijkstra(this.adjacency, source, l => l.cost);
        // Settled in order of cost, every node's equal-cost predecessors come before it.
        const mostHops = byCost.distance.map(() => 1);
        const mostLatency = byCost.distance.map(() => 0);
        for (const node of byCost.order) {
            for (const { to, link } of this.adjacency[node]) {
                if (byCost.distance[node] + link.cost !== byCost.distance[to]) continue;
                mostHops[to] = Math.max(mostHops[to], mostHops[node] + 1);
                mostLatency[to] = Math.max(mostLatency[to], mostLatency[node] + link.latencyUs);
            }
        }
        return {
            mostHops,
            mostLatency,
            fewestHops: dijkstra(this.adjacency, source, () => 1).distance,
            leastLatency: dijkstra(this.adjacency, source, l => l.latencyUs).distance
        };
    }
}

/** Least distances from `source` by `weight` (positive), and the order nodes were settled in. */
function dijkstra(adjacency: Array<Array<{ to: number; link: Link }>>, source: number, weight: (link: Link) => number) {
    const distance = adjacency.map(() => Infinity);
    const settled = adjacency.map(() => false);
    const order: number[] = [];
    distance[source] = 0;
    const heap = new MinHeap();
    heap.push(0, source);
    for (let top = heap.pop(); top; top = heap.pop()) {
        const [d, node] = top;
        if (settled[node]) continue;
        settled[node] = true;
        order.push(node);
        for (const { to, link } of adjacency[node]) {
            const via = d + weight(link);
            if (via < distance[to]) {
                distance[to] = via;
                heap.push(via, to);
            }
        }
    }
    return { distance, order };
}

/** A binary heap of (key, value) pairs, least key first. */
class MinHeap {
    private readonly items: Array<[number, number]> = [];

    push(key: number, value: number): void {
        const items = this.items;
        items.push([key, value]);
        for (let i = items.length - 1; i > 0;) {
            const parent = (i - 1) >> 1;
            if (items[parent][0] <= items[i][0]) break;
            [items[parent], items[i]] = [items[i], items[parent]];
            i = parent;
        }
    }

    pop(): [number, number] | undefined {
        const items = this.items;
        const top = items[0];
        const last = items.pop();
        if (items.length > 0 && last) {
            items[0] = last;
            for (let i = 0; ;) {
                const [l, r] = [2 * i + 1, 2 * i + 2];
                let least = i;
                if (l < items.length && items[l][0] < items[least][0]) least = l;
                if (r < items.length && items[r][0] < items[least][0]) least = r;
                if (least === i) break;
                [items[least], items[i]] = [items[i], items[least]];
                i = least;
            }
        }
        return top;
    }
}

function shuffled<T>(items: readonly T[], next: Rng): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}
