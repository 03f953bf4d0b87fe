/**
 * FIBs to compare, per device (prefix → next hops): the simulator's, and the kernel's of each lab
 * namespace, for the main table and for each policy-routing table.
 */
import { formatAddress } from '../net/ipv4.js';
import type { Bound } from '../net/interval-set.js';
import { PrefixUniverse, type Route, type RoutingState } from '../simulate/routing.js';
import type { DeviceConfig } from '../config/model.js';
import { inNamespace } from './system.js';

const LOOPBACK = 'lo';

/**
 * prefix → sorted next hops: "connected", "blackhole", or in IPv4 the next router's address
 * ("10.0.0.1"), in IPv6 the interface ("via eth1"): OSPFv3 routes, and BGP's over a session on
 * the link's global addresses, go through the neighbour's link-local address, which the kernel
 * makes and the model does not know.
 */
export type Fib = Map<string, string[]>;

export function simulatedFib<A extends Bound>(
    routing: RoutingState<A>,
    device: string,
    configs: ReadonlyMap<string, DeviceConfig>
): Fib {
    const fib: Fib = new Map();
    const family = routing.family;
    for (const prefix of new PrefixUniverse(configs.values(), family).all()) {
        const route = routing.route(device, prefix);
        // The kernel keeps IPv4 addresses of the loopback in its local table, not in the main one (IPv6 ones in both).
        const local = route?.protocol === 'connected' && route.nextHops.every(h => h.interface === LOOPBACK);
        if (route && !(local && family.version === 4)) fib.set(family.addresses.format(prefix), hops(route));
    }
    return fib;
}

/** A policy-routing table of the routing's family as simulated: the route of each prefix its static routes name. */
export function simulatedTable<A extends Bound>(routing: RoutingState<A>, config: DeviceConfig, table: number): Fib {
    const fib: Fib = new Map();
    for (const { prefix } of routing.family.staticRoutes(config).filter(r => r.table === table)) {
        const route = routing.tableRoute(config.hostname, table, prefix);
        if (route) fib.set(routing.family.addresses.format(prefix), hops(route));
    }
    return fib;
}

function hops<A extends Bound>(route: Route<A>): string[] {
    if (route.blackhole) return ['blackhole'];
    const hop = (h: Route<A>['nextHops'][number]) =>
        h.address === undefined
            ? 'connected'
            : typeof h.address === 'bigint'
              ? `via ${h.interface}`
              : formatAddress(h.address as number);
    return [...new Set(route.nextHops.map(hop))].sort();
}

interface KernelRoute {
    dst: string;
    type?: string;
    gateway?: string;
    dev?: string;
    nexthops?: Array<{ gateway?: string; dev?: string }>;
    flags?: string[];
}

/**
 * A routing table as the kernel of a lab namespace holds it (`ip -j route show table N`): what
 * the device forwards by, whatever its routing daemons believe they installed. In IPv6, without
 * the link-local routes every interface has (fe80::/64), next hops as their interfaces.
 */
export function kernelTable(namespace: string, table: number | 'main', family: 4 | 6 = 4): Fib {
    const routes = JSON.parse(
        inNamespace(namespace, 'ip', [`-${family}`, '-j', 'route', 'show', 'table', String(table)]) || '[]'
    ) as KernelRoute[];
    const fib: Fib = new Map();
    const host = family === 4 ? 32 : 128;
    for (const route of routes) {
        // Not used for forwarding (ignore_routes_with_linkdown, lab.ts).
        if (route.flags?.includes('linkdown')) continue;
        if (family === 6 && /^fe[89ab]/i.test(route.dst)) continue;
        const prefix =
            route.dst === 'default'
                ? family === 4
                    ? '0.0.0.0/0'
                    : '::/0'
                : route.dst.includes('/')
                  ? route.dst
                  : `${route.dst}/${host}`;
        const hop = (h: { gateway?: string; dev?: string }) =>
            h.gateway === undefined ? 'connected' : family === 4 ? h.gateway : `via ${h.dev}`;
        const gateways = route.nexthops ? route.nexthops.map(hop) : [hop(route)];
        fib.set(prefix, route.type === 'blackhole' ? ['blackhole'] : [...new Set(gateways)].sort());
    }
    return fib;
}

/** The differences, one line each ("core1 10.1.0.0/24: simulated 10.0.0.1, kernel none"), with their prefix. */
export function fibDifferences(device: string, simulated: Fib, real: Fib): Array<{ prefix: string; text: string }> {
    const out: Array<{ prefix: string; text: string }> = [];
    for (const prefix of new Set([...simulated.keys(), ...real.keys()])) {
        const a = simulated.get(prefix)?.join(' ') ?? 'none';
        const b = real.get(prefix)?.join(' ') ?? 'none';
        if (a !== b) out.push({ prefix, text: `${device} ${prefix}: simulated ${a}, kernel ${b}` });
    }
    return out.sort((x, y) => (x.text < y.text ? -1 : x.text > y.text ? 1 : 0));
}
