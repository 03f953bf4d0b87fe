/**
 * FIBs to compare: the simulator's, per device (prefix → next hops), and FRR's, read from each
 * running instance with `show ip route json`.
 */
import { formatAddress, formatPrefix } from '../net/ipv4.js';
import type { RoutingState } from '../simulate/routing.js';
import type { DeviceConfig } from '../config/model.js';
import { PrefixUniverse } from '../simulate/routing.js';
import { run } from './system.js';

/** prefix → sorted next hops ("10.0.0.1", or "connected"). */
export type Fib = Map<string, string[]>;

export function simulatedFib(routing: RoutingState, device: string, configs: ReadonlyMap<string, DeviceConfig>): Fib {
    const fib: Fib = new Map();
    for (const prefix of new PrefixUniverse(configs.values()).all()) {
        const route = routing.route(device, prefix);
        if (route) fib.set(formatPrefix(prefix), [...new Set(route.nextHops.map(h => (h.address === undefined ? 'connected' : formatAddress(h.address))))].sort());
    }
    return fib;
}

interface FrrRoute {
    protocol: string;
    selected?: boolean;
    nexthops?: Array<{ ip?: string; directlyConnected?: boolean; fib?: boolean; active?: boolean }>;
}

const PROTOCOLS = new Set(['connected', 'static', 'ospf', 'bgp']);

export function frrFib(pathspace: string): Fib {
    const json = JSON.parse(run('vtysh', ['-N', pathspace, '-c', 'show ip route json'])) as Record<string, FrrRoute[]>;
    const fib: Fib = new Map();
    for (const [prefix, routes] of Object.entries(json)) {
        const selected = routes.find(r => r.selected && PROTOCOLS.has(r.protocol));
        if (!selected) continue;
        const hops = (selected.nexthops ?? []).filter(h => h.fib || h.directlyConnected).map(h => (h.directlyConnected ? 'connected' : h.ip!));
        fib.set(prefix, [...new Set(hops)].sort());
    }
    return fib;
}

/** The differences, one line each ("core1 10.1.0.0/24: simulated 10.0.0.1, FRR none"). */
export function fibDifferences(device: string, simulated: Fib, real: Fib): string[] {
    const out: string[] = [];
    for (const prefix of new Set([...simulated.keys(), ...real.keys()])) {
        const a = simulated.get(prefix)?.join(' ') ?? 'none';
        const b = real.get(prefix)?.join(' ') ?? 'none';
        if (a !== b) out.push(`${device} ${prefix}: simulated ${a}, FRR ${b}`);
    }
    return out.sort();
}
