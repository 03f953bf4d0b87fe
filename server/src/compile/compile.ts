/**
 * The compiler: twin + intent IR → the configuration of every device. Addressing comes from the
 * twin; the underlay is the one the twin's `routing` names; intents become packet filters at the
 * network's edges and firewalls, and policy routes where a path constraint needs steering. What it
 * cannot realise it leaves for the verifier to report, with a warning at the statement.
 */
import type { Diagnostic } from '../common/diagnostic.js';
import { emptyDevice, type BgpNeighbor, type DeviceConfig, type InterfaceConfig, type PrefixList, type RouteMap, type StaticRoute } from '../config/model.js';
import type { IntentProgram } from '../intent/model.js';
import { prefixMask, type Prefix } from '../net/ipv4.js';
import { firstHops, shortestPaths } from '../net/shortest-paths.js';
import { interfaceName, type Twin } from '../twin/model.js';
import { compileFilters, type FilterCache } from './filter.js';
import { compileSteering, type SteeringCache } from './steering.js';
import { buildTopology, type Topology } from './topology.js';

export interface CompiledNetwork {
    network: string;
    devices: Map<string, DeviceConfig>;
    /** What could not be realised, at the statements that asked for it. */
    warnings: Diagnostic[];
    /** What the next compile of the same twin takes over where its requirements are unchanged. */
    reuse: {
        twin: Twin;
        topology: Topology;
        underlay: Map<string, DeviceConfig>;
        filters: FilterCache;
        steering: SteeringCache;
    };
}

/** The route-map and prefix-list that FRR requires on eBGP sessions (ebgp-requires-policy). */
export const BGP_POLICY = 'NETINTENT-ANY';
const FIRST_PRIVATE_ASN = 64512;
const LAST_PRIVATE_ASN_16 = 65534;
const FIRST_PRIVATE_ASN_32 = 4_200_000_000;

/**
 * Compiles a program; given the previous compile of the same twin, it redoes only the ACLs and
 * steering of changed requirements, and a device whose configuration comes out the same keeps
 * its configuration object (later stages see at once that nothing changed there).
 */
export function compileNetwork(program: IntentProgram, previous?: CompiledNetwork): CompiledNetwork {
    const twin = program.twin;
    const reuse = previous?.reuse.twin === twin ? previous.reuse : undefined;
    const topology = reuse?.topology ?? buildTopology(twin);
    const underlay = reuse?.underlay ?? compileUnderlay(topology);
    const filters = compileFilters(program, reuse?.filters);
    const steering = compileSteering(program, topology, reuse?.steering);
    const devices = new Map<string, DeviceConfig>();
    for (const [name, base] of underlay) {
        const filter = filters.byDevice.get(name)!;
        const policyRoutes = steering.policyRoutes.get(name) ?? [];
        const before = reuse && previous!.devices.get(name);
        const unchanged = before && before.filter === filter
            && before.policyRoutes.length === policyRoutes.length
            && before.policyRoutes.every((r, i) => r.interface === policyRoutes[i].interface && sameItems(r.rules, policyRoutes[i].rules));
        devices.set(name, unchanged ? before : { ...base, filter, policyRoutes });
    }
    return {
        network: twin.network, devices, warnings: steering.warnings,
        reuse: { twin, topology, underlay, filters: filters.cache, steering: steering.cache }
    };
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
    return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Addressing, the underlay routing and the externals' routes: everything the twin alone decides. */
function compileUnderlay(topology: Topology): Map<string, DeviceConfig> {
    const twin = topology.twin;
    const devices = new Map<string, DeviceConfig>();
    for (const device of twin.devices.values()) {
        const config = emptyDevice(device.name, device.role);
        config.loopback = device.loopback;
        config.interfaces = interfacesOf(twin, device.name);
        devices.set(device.name, config);
    }
    switch (twin.routing) {
        case 'ospf': compileOspf(topology, devices); break;
        case 'bgp': compileBgp(topology, devices); break;
        case 'static': compileStatic(topology, devices); break;
    }
    compileExternals(twin, devices);
    return devices;
}

function interfacesOf(twin: Twin, name: string): InterfaceConfig[] {
    const device = twin.devices.get(name)!;
    const interfaces: InterfaceConfig[] = [];
    for (const iface of device.interfaces.values()) {
        const config: InterfaceConfig = { name: iface.name, description: describeInterface(twin, name, iface.name) };
        if (iface.address !== undefined && iface.prefixLength !== undefined) config.address = { address: iface.address, length: iface.prefixLength };
        if (twin.down.has(interfaceName({ device: name, interface: iface.name }))) config.shutdown = true;
        interfaces.push(config);
    }
    if (device.loopback !== undefined) interfaces.push({ name: 'lo', address: { address: device.loopback, length: 32 } });
    return interfaces;
}

function describeInterface(twin: Twin, device: string, iface: string): string {
    const link = twin.links.find(l => (l.a.device === device && l.a.interface === iface) || (l.b.device === device && l.b.interface === iface));
    if (link) {
        const remote = link.a.device === device && link.a.interface === iface ? link.b : link.a;
        return `to ${interfaceName(remote)}`;
    }
    const segment = [...twin.segments.values()].find(s => s.attach?.device === device && s.attach.interface === iface);
    if (segment) return `segment ${segment.name}`;
    const external = [...twin.externals.values()].find(e => e.attach?.device === device && e.attach.interface === iface);
    return external ? `external ${external.name}` : 'unused';
}

function compileOspf(topology: Topology, devices: Map<string, DeviceConfig>): void {
    const linkInterfaces = new Map<string, number>();
    topology.twin.links.forEach(link => {
        linkInterfaces.set(interfaceName(link.a), link.cost);
        linkInterfaces.set(interfaceName(link.b), link.cost);
    });
    for (const config of devices.values()) {
        if (config.loopback === undefined) continue;
        config.ospf = { routerId: config.loopback, redistribute: [], defaultOriginate: false, networks: [] };
        for (const iface of config.interfaces) {
            if (!iface.address) continue;
            const cost = linkInterfaces.get(interfaceName({ device: config.hostname, interface: iface.name }));
            // Segment, external and loopback interfaces are announced but form no adjacency.
            iface.ospf = cost === undefined ? { cost: 10, passive: true, pointToPoint: false } : { cost, passive: false, pointToPoint: true };
        }
    }
}

/** RFC 7938: eBGP on every link, one ASN per device unless the twin gives one. */
function compileBgp(topology: Topology, devices: Map<string, DeviceConfig>): void {
    const twin = topology.twin;
    const asns = new Map<string, number>();
    [...twin.devices.values()].forEach((device, i) => asns.set(device.name, device.asn ?? privateAsn(i)));
    const policy: { prefixList: PrefixList; routeMap: RouteMap } = {
        prefixList: { name: BGP_POLICY, entries: [{ seq: 5, action: 'permit', prefix: { network: 0, length: 0 }, le: 32 }] },
        routeMap: { name: BGP_POLICY, entries: [{ seq: 10, action: 'permit', matchPrefixList: BGP_POLICY }] }
    };
    for (const config of devices.values()) {
        if (config.loopback === undefined) continue;
        const asn = asns.get(config.hostname)!;
        const neighbors: BgpNeighbor[] = [];
        for (const link of topology.links) {
            if (link.a.device !== config.hostname && link.b.device !== config.hostname) continue;
            const { remote, remoteAddress } = topology.ends(twin.links.indexOf(link), config.hostname);
            if (remoteAddress === undefined) continue;
            const remoteAs = asns.get(remote.device)!;
            neighbors.push({
                address: remoteAddress, remoteAs, description: interfaceName(remote),
                routeMapIn: BGP_POLICY, routeMapOut: BGP_POLICY, nextHopSelf: remoteAs === asn ? true : undefined
            });
        }
        const segments = [...twin.segments.values()].filter(s => s.attach?.device === config.hostname).map(s => s.prefix);
        config.bgp = {
            asn, routerId: config.loopback, multipathRelax: true, ebgpRequiresPolicy: true, maximumPaths: 64, neighbors,
            networks: [{ network: config.loopback, length: 32 }, ...segments], redistribute: []
        };
        config.prefixLists = [policy.prefixList];
        config.routeMaps = [policy.routeMap];
    }
}

function privateAsn(index: number): number {
    return FIRST_PRIVATE_ASN + index <= LAST_PRIVATE_ASN_16 ? FIRST_PRIVATE_ASN + index : FIRST_PRIVATE_ASN_32 + index;
}

/** Static routes from the topology: every device reaches every prefix on its shortest paths. */
function compileStatic(topology: Topology, devices: Map<string, DeviceConfig>): void {
    const twin = topology.twin;
    const destinations: Array<{ device: string; prefix: Prefix }> = [];
    for (const config of devices.values()) {
        for (const iface of config.interfaces) {
            if (iface.address) destinations.push({ device: config.hostname, prefix: { network: (iface.address.address & prefixMask(iface.address.length)) >>> 0, length: iface.address.length } });
        }
    }
    for (const external of twin.externals.values()) {
        if (external.attach) destinations.push(...external.prefixes.map(prefix => ({ device: external.attach!.device, prefix })));
    }
    const graph = topology.graph('cost');
    for (const config of devices.values()) {
        const paths = shortestPaths(graph, config.hostname);
        const connected = new Set(destinations.filter(d => d.device === config.hostname).map(d => `${d.prefix.network}/${d.prefix.length}`));
        const routes: StaticRoute[] = [];
        for (const destination of destinations) {
            if (destination.device === config.hostname || connected.has(`${destination.prefix.network}/${destination.prefix.length}`)) continue;
            for (const hop of firstHops(paths, destination.device)) {
                const nextHop = topology.ends(hop.link, config.hostname).remoteAddress;
                if (nextHop !== undefined && !routes.some(r => r.prefix.network === destination.prefix.network && r.prefix.length === destination.prefix.length && r.nextHop === nextHop)) {
                    routes.push({ prefix: destination.prefix, nextHop });
                }
            }
        }
        config.staticRoutes.push(...routes);
    }
}

/** A route toward each external's peer for its prefixes, announced into the underlay. */
function compileExternals(twin: Twin, devices: Map<string, DeviceConfig>): void {
    for (const external of twin.externals.values()) {
        if (!external.attach || external.peer === undefined) continue;
        const config = devices.get(external.attach.device);
        if (!config) continue;
        for (const prefix of external.prefixes) config.staticRoutes.push({ prefix, nextHop: external.peer });
        if (config.ospf) {
            if (external.prefixes.some(p => p.length === 0)) config.ospf.defaultOriginate = true;
            if (external.prefixes.some(p => p.length > 0) && !config.ospf.redistribute.includes('static')) config.ospf.redistribute.push('static');
        }
        if (config.bgp && !config.bgp.redistribute.some(r => r.source === 'static')) config.bgp.redistribute.push({ source: 'static' });
    }
}
