/**
 * Seeded random networks (rings, partial meshes, leaf-spines with a firewall leaf, dual-hub WANs
 * with a metro link between two spokes; OSPF or eBGP; three segments, an external, ACL intents,
 * a waypoint, also one that must survive a link failure), shared by the lab's differential tests and the
 * compile → read back → verify round trip.
 */
import type { Rng } from './random.js';

export interface Network {
    twin: string;
    intents: string;
}

/** `dualStack`: IPv6 too, on every link, loopback, segment and the external (the same random draws). */
export function randomNetwork(seed: number, next: Rng, dualStack = false): Network {
    const shape = (['ring', 'mesh', 'leaf-spine', 'dual-hub'] as const)[seed % 4];
    const routing = Math.floor(seed / 4) % 2 === 0 ? 'ospf' : 'bgp';
    const links: Array<[number, number, number?]> = [];
    let devices: string[];
    /** Devices that may have segments, and the waypoint of the `via` intents. */
    let edge: number[];
    let waypoint: string;
    const roles = new Map<string, string>();
    if (shape === 'leaf-spine') {
        // A firewall leaf: what passes it crosses a spine twice.
        devices = ['s0', 's1', 'l0', 'l1', 'l2', 'fw'];
        for (const leaf of [2, 3, 4, 5]) links.push([leaf, 0], [leaf, 1]);
        edge = [2, 3, 4];
        waypoint = 'fw';
        roles.set('fw', 'firewall');
    } else if (shape === 'dual-hub') {
        // Spokes with an uplink to each hub; p0 and p1 also have a cheaper direct link.
        devices = ['h0', 'h1', 'p0', 'p1', 'p2', 'p3'];
        links.push([0, 1]);
        for (const spoke of [2, 3, 4, 5]) links.push([spoke, 0, 2], [spoke, 1, 2]);
        links.push([2, 3, 1]);
        edge = [2, 4, 3];
        waypoint = 'any of h0, h1';
    } else {
        const n = 4 + Math.floor(next() * 2);
        devices = Array.from({ length: n }, (_, i) => `r${i}`);
        for (let i = 0; i < n; i++) links.push([i, (i + 1) % n]);
        if (shape === 'mesh') links.push([0, 2], [1, n - 1]);
        edge = devices.map((_, i) => i);
        waypoint = devices[1 + Math.floor(next() * (devices.length - 2))];
    }
    const ports = new Map<number, number>();
    const port = (d: number) => {
        ports.set(d, (ports.get(d) ?? 0) + 1);
        return `${devices[d]}:eth${ports.get(d)}`;
    };
    const [a, b, c] =
        shape === 'dual-hub'
            ? edge
            : [edge[0], edge[1 + Math.floor(next() * (edge.length - 1))], edge[edge.length - 1]];
    const both = (v4: string, v6: string) => (dualStack ? `[${v4}, "${v6}"]` : v4);
    const twin =
        [
            `network: rand${seed}${dualStack ? '-6' : ''}`,
            `routing: ${routing}`,
            dualStack
                ? 'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24, links6: "2001:db8:ff00::/48", loopbacks6: "2001:db8:fffe::/64" }'
                : 'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }',
            'devices:',
            ...devices.map(d => `  ${d}: { role: ${roles.get(d) ?? 'router'} }`),
            'links:',
            ...links.flatMap(([x, y, cost]) => [
                `  - endpoints: [${port(x)}, ${port(y)}]`,
                `    cost: ${cost ?? 1 + Math.floor(next() * 3)}`
            ]),
            'segments:',
            `  sa: { prefix: ${both('10.1.1.0/24', '2001:db8:1::/64')}, attach: ${devices[a]}:eth10 }`,
            `  sb: { prefix: ${both('10.1.2.0/24', '2001:db8:2::/64')}, attach: ${devices[b]}:eth11 }`,
            `  sc: { prefix: ${both('10.1.3.0/24', '2001:db8:3::/64')}, attach: ${devices[c]}:eth12 }`,
            'externals:',
            `  net: { prefixes: ${dualStack ? '[0.0.0.0/0, "::/0"]' : '[0.0.0.0/0]'}, attach: ${devices[a]}:eth9, address: ${both('203.0.113.2/30', '2001:db8:ee::2/64')}, peer: ${both('203.0.113.1', '2001:db8:ee::1')} }`
        ].join('\n') + '\n';
    const intents =
        [
            'twin "net.twin.yaml"',
            seed % 3 === 0 ? 'default deny' : '',
            'intent ab { allow segment sa -> segment sb : tcp 8080 }',
            'intent bc { deny segment sb -> segment sc : tcp 22 }',
            `intent cw { allow segment sc -> segment sa : tcp 443 via ${waypoint} }`,
            `intent aw { allow segment sa -> segment sc : udp 5060 via ${waypoint} survive 1 link failure }`,
            'intent out { allow segment sb -> external net : udp 53 }',
            'intent iso { isolate segment sa, segment sc : udp 514 }'
        ].join('\n') + '\n';
    return { twin, intents };
}
