/**
 * FIBs to compare, per device (prefix → next hops): the simulator's, and the kernel's of each lab
 * namespace, for the main table and for each policy-routing table.
 */
import { formatAddress, formatPrefix } from '../net/ipv4.js';
import type { Route, RoutingState } from '../simulate/routing.js';
import type { DeviceConfig } from '../config/model.js';
import { PrefixUniverse } from '../simulate/routing.js';
import { inNamespace } from './system.js';

const LOOPBACK = 'lo';

/** prefix → sorted next hops ("10.0.0.1", "connected", or "blackhole"). */
export type Fib = Map<string, string[]>;

export function simulatedFib(routing: RoutingState, device: string, configs: ReadonlyMap<string, DeviceConfig>): Fib {
    const fib: Fib = new Map();
    for (const prefix of new PrefixUniverse(configs.values()).all()) {
        const route = routing.route(device, prefix);
        // The kernel keeps the addresses of the loopback in its local table, not in the main one.
        if (route && !(route.protocol === 'connected' && route.nextHops.every(h => h.interface === LOOPBACK)))
            fib.set(formatPrefix(prefix), hops(route));
    }
    return fib;
}

/** A policy-routing table as simulated: the route of each prefix its static routes name. */
export function simulatedTable(routing: RoutingState, config: DeviceConfig, table: number): Fib {
    const fib: Fib = new Map();
    for (const { prefix } of config.staticRoutes.filter(r => r.table === table)) {
        const route = routing.tableRoute(config.hostname, table, prefix);
        if (route) fib.set(formatPrefix(prefix), hops(route));
    }
    return fib;
}

function hops(route: Route): string[] {
    if (route.blackhole) return ['blackhole'];
    return [
        ...new Set(route.nextHops.map(h => (h.address === undefined ? 'connected' : formatAddress(h.address))))
    ].sort();
}

interface KernelRoute {
    dst: string;
    type?: string;
    gateway?: string;
    nexthops?: Array<{ gateway?: string }>;
    flags?: string[];
}

/**
 * A routing table as the kernel of a lab namespace holds it (`ip -j route show table N`): what
 * the device forwards by, whatever its routing daemons believe they installed.
 */
export function kernelTable(namespace: string, table: number | 'main'): Fib {
    const routes = JSON.parse(
        inNamespace(namespace, 'ip', ['-j', 'route', 'show', 'table', String(table)]) || '[]'
    ) as KernelRoute[];
    const fib: Fib = new Map();
    for (const route of routes) {
        // Not used for forwarding (ignore_routes_with_linkdown, lab.ts).
        if (route.flags?.includes('linkdown')) continue;
        const prefix = route.dst === 'default' ? '0.0.0.0/0' : route.dst.includes('/') ? route.dst : `${route.dst}/32`;
        const gateways = route.nexthops
            ? route.nexthops.map(h => h.gateway ?? 'connected')
            : [route.gateway ?? 'connected'];
        fib.set(prefix, route.type === 'blackhole' ? ['blackhole'] : [...new Set(gateways)].sort());
    }
    return fib;
}

/** The differences, one line each ("core1 10.1.0.0/24: simulated 10.0.0.1, kernel none"). */
export function fibDifferences(device: string, simulated: Fib, real: Fib): string[] {
    const out: string[] = [];
    for (const prefix of new Set([...simulated.keys(), ...real.keys()])) {
        const a = simulated.get(prefix)?.join(' ') ?? 'none';
        const b = real.get(prefix)?.join(' ') ?? 'none';
        if (a !== b) out.push(`${device} ${prefix}: simulated ${a}, kernel ${b}`);
    }
    return out.sort();
}
