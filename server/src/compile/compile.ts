/**
 * The compiler: twin + intent IR → the configuration of every device. Addressing comes from the
 * twin; the underlay is the one the twin's `routing` names; intents become packet filters at the
 * network's edges and firewalls, and policy routes where a path constraint needs steering. What it
 * cannot realise it leaves for the verifier to report, with a warning at the statement.
 */
import { contentKey } from '../common/content-key.js';
import type { Diagnostic } from '../common/diagnostic.js';
import {
    emptyDevice,
    setRuleLayout,
    type BgpNeighbor,
    type BgpUnicast,
    type DeviceConfig,
    type InterfaceConfig,
    type OspfConfig,
    type OspfInterface,
    type PrefixList,
    type RouteMap
} from '../config/model.js';
import type { IntentProgram } from '../intent/model.js';
import { lastAddress, prefixMask } from '../net/ipv4.js';
import { prefixMask6, type Prefix6 } from '../net/ipv6.js';
import { firstHops, shortestPaths } from '../net/shortest-paths.js';
import { linkCostEdits } from '../twin/diff.js';
import { hasIPv6, interfaceName, ipv4Segments, type Twin, type TwinExternal } from '../twin/model.js';
import { compileFilters, type FilterCache } from './filter.js';
import {
    anycastSets,
    compileSteering,
    deviceSteering,
    waypointKey,
    type DeviceSteering,
    type WaypointAddresses,
    type SteeringCache,
    type SteeringRule
} from './steering.js';
import { filterRuleLocations, STEER_CHAIN } from '../config/nftables/render.js';
import { buildTopology, type Topology } from './topology.js';

export interface CompiledNetwork {
    network: string;
    devices: Map<string, DeviceConfig>;
    /**
     * How the underlay differs from the previous compile's: not at all, only in the OSPF costs of
     * links edited in the twin, or otherwise (or no previous compile).
     */
    underlayChange: 'none' | 'costs' | 'other';
    /** What could not be realised, at the statements that asked for it. */
    warnings: Diagnostic[];
    /** What the next compile of the same twin takes over where its requirements are unchanged. */
    reuse: {
        twin: Twin;
        topology: Topology;
        /** The anycast addresses the underlay was made with (`via any of`). */
        anycastKey: string;
        underlay: Map<string, DeviceConfig>;
        filters: FilterCache;
        steering: SteeringCache;
        /** Each device's steering, with the rules it was made from. */
        deviceSteering: Map<string, DeviceSteering & { rules: readonly SteeringRule[] }>;
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
    const sameTwin = previous?.reuse.twin === twin;
    // A twin that differs only in link costs: filters stay; OSPF costs change on the links' ends;
    // paths may move, so steering is made again (keeping what comes out the same).
    const costEdits =
        previous && !sameTwin && twin.routing !== 'static' ? linkCostEdits(previous.reuse.twin, twin) : undefined;
    const reuse = sameTwin || costEdits ? previous!.reuse : undefined;
    const topology = sameTwin ? reuse!.topology : buildTopology(twin);
    const anycast = allocateAnycast(twin, anycastSets(program));
    const anycastKey = [...anycast].map(([key, a]) => `${key}=${a.address}`).join(';');
    const costsOnly =
        reuse !== undefined &&
        reuse.anycastKey === anycastKey &&
        twin.routing === 'ospf' &&
        (costEdits?.length ?? 0) > 0;
    const underlay =
        !reuse || reuse.anycastKey !== anycastKey
            ? compileUnderlay(topology, anycast)
            : costsOnly
              ? withLinkCosts(reuse.underlay, twin, costEdits!)
              : reuse.underlay;
    const filters = compileFilters(program, reuse?.filters);
    const steering = compileSteering(
        program,
        topology,
        waypointAddresses(twin, program, anycast),
        reuse?.steering,
        costEdits !== undefined
    );
    const devices = new Map<string, DeviceConfig>();
    const steeringByDevice: CompiledNetwork['reuse']['deviceSteering'] = new Map();
    for (const [name, base] of underlay) {
        const rules = steering.rules.get(name) ?? [];
        const kept = reuse?.deviceSteering.get(name);
        const own = kept && sameItems(kept.rules, rules) ? kept : { rules, ...deviceSteering(rules) };
        steeringByDevice.set(name, own);
        const baseFilter = filters.byDevice.get(name)!;
        const before = reuse && previous!.devices.get(name);
        // The same underlay, steering and filter chains: the configuration as it was, not compared again.
        if (
            before &&
            reuse.underlay.get(name) === base &&
            own === kept &&
            sameItems(
                before.filter.chains.filter(c => c !== own.chain),
                baseFilter.chains
            )
        ) {
            devices.set(name, before);
            continue;
        }
        const filter = own.chain ? { chains: [...baseFilter.chains, own.chain] } : baseFilter;
        const config: DeviceConfig = {
            ...base,
            filter,
            ipRules: own.ipRules,
            staticRoutes: [...base.staticRoutes, ...own.tableRoutes],
            ipRules6: own.ipRules6,
            staticRoutes6: [...base.staticRoutes6, ...own.tableRoutes6]
        };
        setRuleLayout(config, filterRuleLocations);
        devices.set(name, before && sameDevice(before, config, base) ? before : config);
    }
    const underlayChange = reuse?.underlay === underlay ? 'none' : costsOnly ? 'costs' : 'other';
    return {
        network: twin.network,
        devices,
        warnings: steering.warnings,
        underlayChange,
        reuse: {
            twin,
            topology,
            anycastKey,
            underlay,
            filters: filters.cache,
            steering: steering.cache,
            deviceSteering: steeringByDevice
        }
    };
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
    return a === b || (a.length === b.length && a.every((item, i) => item === b[i]));
}

/** The underlay with the OSPF cost of each edited link's interfaces set anew; the other devices' configurations kept. */
function withLinkCosts(underlay: Map<string, DeviceConfig>, twin: Twin, edited: number[]): Map<string, DeviceConfig> {
    const out = new Map(underlay);
    for (const index of edited) {
        const link = twin.links[index];
        for (const end of [link.a, link.b]) {
            const config = out.get(end.device)!;
            const interfaces = config.interfaces.map(i =>
                i.name === end.interface && (i.ospf || i.ospf6)
                    ? {
                          ...i,
                          ...(i.ospf && { ospf: ospfLinkInterface(link.cost) }),
                          ...(i.ospf6 && { ospf6: { ...i.ospf6, ...ospfLinkInterface(link.cost) } })
                      }
                    : i
            );
            out.set(end.device, { ...config, interfaces });
        }
    }
    return out;
}

/** Whether a device's configuration comes out as it was: the same underlay, the same filter rules, the same steering. */
function sameDevice(before: DeviceConfig, after: DeviceConfig, base: DeviceConfig): boolean {
    return (
        before.interfaces === base.interfaces &&
        sameItems(
            before.filter.chains.filter(c => c.name !== STEER_CHAIN),
            after.filter.chains.filter(c => c.name !== STEER_CHAIN)
        ) &&
        sameItems(
            before.filter.chains.find(c => c.name === STEER_CHAIN)?.rules ?? [],
            after.filter.chains.find(c => c.name === STEER_CHAIN)?.rules ?? []
        ) &&
        contentKey([before.ipRules, before.staticRoutes, before.ipRules6, before.staticRoutes6]) ===
            contentKey([after.ipRules, after.staticRoutes, after.ipRules6, after.staticRoutes6])
    );
}

/** Where each waypoint set is steered to: a device's loopback, or (IPv4 only) the set's anycast address. */
function waypointAddresses(twin: Twin, program: IntentProgram, anycast: Map<string, Anycast>): WaypointAddresses {
    const addresses = { v4: new Map<string, number>(), v6: new Map<string, bigint>() };
    for (const requirement of program.intents.flatMap(i => i.requirements)) {
        for (const waypoint of requirement.constraints.via) {
            const key = waypointKey(waypoint);
            const device = waypoint.length === 1 ? twin.devices.get(waypoint[0]) : undefined;
            const address = device ? device.loopback : anycast.get(key)?.address;
            if (address !== undefined) addresses.v4.set(key, address);
            if (device?.loopback6 !== undefined) addresses.v6.set(key, device.loopback6);
        }
    }
    return addresses;
}

/** A `via any of` set's own address, which each of its devices carries on its loopback and announces. */
interface Anycast {
    members: string[];
    /** None where the pool has no address left (the steering says so at the statement). */
    address?: number;
}

/**
 * An address per waypoint set, from the top of the loopback pool down (so that devices added to
 * the twin, which take the pool from the bottom, do not move them), skipping every address the twin
 * uses; in the order of the sets' names, so that the same sets get the same addresses.
 */
function allocateAnycast(twin: Twin, sets: string[][]): Map<string, Anycast> {
    const out = new Map<string, Anycast>();
    const pool = twin.loopbackPool;
    let next = pool ? lastAddress(pool) - 1 : undefined;
    for (const members of sets) {
        while (pool && next !== undefined && next > pool.network && twin.ownSpace.has(next)) next--;
        const free = pool !== undefined && next !== undefined && next > pool.network;
        out.set(waypointKey(members), free ? { members, address: next! } : { members });
        if (free) next!--;
    }
    return out;
}

/** Addressing, the underlay routing and the externals' routes: what the twin decides, and the anycast addresses waypoints share. */
function compileUnderlay(topology: Topology, anycast: Map<string, Anycast>): Map<string, DeviceConfig> {
    const twin = topology.twin;
    const devices = new Map<string, DeviceConfig>();
    const descriptions = interfaceDescriptions(twin);
    for (const device of twin.devices.values()) {
        const config = emptyDevice(device.name, device.role);
        config.loopback = device.loopback;
        config.interfaces = interfacesOf(twin, device.name, descriptions);
        const shared = [...anycast.values()]
            .filter(a => a.address !== undefined && a.members.includes(device.name))
            .map(a => ({ address: a.address!, length: 32 }));
        const lo = config.interfaces.find(i => i.name === 'lo');
        if (lo && shared.length > 0) lo.secondary = shared;
        devices.set(device.name, config);
    }
    switch (twin.routing) {
        case 'ospf':
            compileOspf(topology, devices);
            break;
        case 'bgp':
            compileBgp(topology, devices);
            break;
        case 'static':
            compileStatic(topology, devices);
            break;
    }
    compileExternals(twin, devices);
    return devices;
}

function interfacesOf(twin: Twin, name: string, descriptions: ReadonlyMap<string, string>): InterfaceConfig[] {
    const device = twin.devices.get(name)!;
    const interfaces: InterfaceConfig[] = [];
    for (const iface of device.interfaces.values()) {
        const config: InterfaceConfig = {
            name: iface.name,
            description: descriptions.get(interfaceName({ device: name, interface: iface.name })) ?? 'unused'
        };
        if (iface.address !== undefined && iface.prefixLength !== undefined)
            config.address = { address: iface.address, length: iface.prefixLength };
        if (iface.address6 !== undefined && iface.prefixLength6 !== undefined)
            config.address6 = { address: iface.address6, length: iface.prefixLength6 };
        if (twin.down.has(interfaceName({ device: name, interface: iface.name }))) config.shutdown = true;
        interfaces.push(config);
    }
    if (device.loopback !== undefined || device.loopback6 !== undefined)
        interfaces.push({
            name: 'lo',
            ...(device.loopback !== undefined && { address: { address: device.loopback, length: 32 } }),
            ...(device.loopback6 !== undefined && { address6: { address: device.loopback6, length: 128 } })
        });
    return interfaces;
}

/** What each interface is for ("device:interface" → "to core1:eth2", "segment web", "external internet"). */
function interfaceDescriptions(twin: Twin): Map<string, string> {
    const out = new Map<string, string>();
    // The first of each, as a search in the twin's order finds it.
    for (const link of twin.links) {
        if (!out.has(interfaceName(link.a))) out.set(interfaceName(link.a), `to ${interfaceName(link.b)}`);
        if (!out.has(interfaceName(link.b))) out.set(interfaceName(link.b), `to ${interfaceName(link.a)}`);
    }
    for (const segment of twin.segments.values()) {
        if (segment.attach && !out.has(interfaceName(segment.attach)))
            out.set(interfaceName(segment.attach), `segment ${segment.name}`);
    }
    for (const external of twin.externals.values()) {
        if (external.attach && !out.has(interfaceName(external.attach)))
            out.set(interfaceName(external.attach), `external ${external.name}`);
    }
    return out;
}

function compileOspf(topology: Topology, devices: Map<string, DeviceConfig>): void {
    const linkInterfaces = new Map<string, number>();
    topology.twin.links.forEach(link => {
        linkInterfaces.set(interfaceName(link.a), link.cost);
        linkInterfaces.set(interfaceName(link.b), link.cost);
    });
    // OSPFv3 runs beside OSPFv2 on every device of a twin with IPv6, over the same links at the
    // same costs, so that both families take the same paths; its router ID is OSPFv2's.
    const ipv6 = hasIPv6(topology.twin);
    // A link's subnet is announced into OSPFv3 by its first end only: FRR 8.4's ospf6d keeps stale
    // routes to a prefix two routers announce after a link fails (docs/twin.md).
    const silentEnds = new Set(topology.twin.links.map(link => interfaceName(link.b)));
    for (const config of devices.values()) {
        if (config.loopback === undefined) continue;
        config.ospf = { routerId: config.loopback, redistribute: [], defaultOriginate: false, networks: [] };
        if (ipv6) config.ospf6 = { routerId: config.loopback, redistribute: [], defaultOriginate: false };
        for (const iface of config.interfaces) {
            const name = interfaceName({ device: config.hostname, interface: iface.name });
            const cost = linkInterfaces.get(name);
            // Segment, external and loopback interfaces are announced but form no adjacency.
            const ospf =
                cost === undefined ? { cost: 10, passive: true, pointToPoint: false } : ospfLinkInterface(cost);
            if (iface.address) iface.ospf = ospf;
            // A link interface joins OSPFv3 even without a global address: adjacencies form over link-local ones.
            if (ipv6 && (iface.address6 || cost !== undefined))
                iface.ospf6 = silentEnds.has(name) ? { ...ospf, advertisePrefixList: NOT_ANNOUNCED } : ospf;
        }
        if (config.interfaces.some(i => i.ospf6?.advertisePrefixList === NOT_ANNOUNCED))
            config.prefixLists6 = [
                {
                    name: NOT_ANNOUNCED,
                    entries: [{ seq: 5, action: 'deny', prefix: { network: 0n, length: 0 }, le: 128 }]
                }
            ];
    }
}

/** The IPv6 prefix list that permits nothing: the interfaces it is advertised on announce no prefix into OSPFv3. */
const NOT_ANNOUNCED = 'NETINTENT-NOT-ANNOUNCED';

/** OSPF on a twin link's interface: an adjacency over a point-to-point link, at the link's cost. */
function ospfLinkInterface(cost: number): OspfInterface {
    return { cost, passive: false, pointToPoint: true };
}

/**
 * RFC 7938: eBGP on every link, one ASN per device unless the twin gives one. In a twin with IPv6,
 * a second session on each link over the ends' IPv6 addresses carries the IPv6 routes (each family
 * over its own sessions: the IPv6 neighbours are kept out of IPv4 unicast).
 */
function compileBgp(topology: Topology, devices: Map<string, DeviceConfig>): void {
    const twin = topology.twin;
    const asns = new Map<string, number>();
    [...twin.devices.values()].forEach((device, i) => asns.set(device.name, device.asn ?? privateAsn(i)));
    const ipv6 = hasIPv6(twin);
    // The route-map ebgp-requires-policy asks for, permitting every prefix of either family.
    const prefixList: PrefixList = {
        name: BGP_POLICY,
        entries: [{ seq: 5, action: 'permit', prefix: { network: 0, length: 0 }, le: 32 }]
    };
    const prefixList6: PrefixList<Prefix6> = {
        name: BGP_POLICY,
        entries: [{ seq: 5, action: 'permit', prefix: { network: 0n, length: 0 }, le: 128 }]
    };
    const routeMap: RouteMap = {
        name: BGP_POLICY,
        entries: [
            { seq: 10, action: 'permit', matchPrefixList: BGP_POLICY },
            ...(ipv6 ? [{ seq: 20, action: 'permit' as const, matchPrefixList6: BGP_POLICY }] : [])
        ]
    };
    for (const config of devices.values()) {
        if (config.loopback === undefined) continue;
        const asn = asns.get(config.hostname)!;
        const segments = ipv4Segments(twin)
            .filter(s => s.attach?.device === config.hostname)
            .map(s => s.prefix);
        const anycast = (config.interfaces.find(i => i.name === 'lo')?.secondary ?? []).map(a => ({
            network: a.address,
            length: 32
        }));
        config.bgp = {
            asn,
            routerId: config.loopback,
            multipathRelax: true,
            ebgpRequiresPolicy: true,
            maximumPaths: 64,
            neighbors: bgpNeighbors(topology, config.hostname, asns, ends => ends.remoteAddress),
            networks: [{ network: config.loopback, length: 32 }, ...anycast, ...segments],
            redistribute: []
        };
        config.prefixLists = [prefixList];
        config.routeMaps = [routeMap];
        if (!ipv6) continue;
        // A device without an IPv6 loopback still carries IPv6 routes, as OSPFv3 does.
        const loopback6 = twin.devices.get(config.hostname)!.loopback6;
        const segments6 = [...twin.segments.values()].flatMap(s =>
            s.attach?.device === config.hostname && s.prefix6 ? [s.prefix6] : []
        );
        config.bgp.ipv6 = {
            maximumPaths: 64,
            neighbors: bgpNeighbors(topology, config.hostname, asns, ends => ends.remoteAddress6),
            networks: [...(loopback6 !== undefined ? [{ network: loopback6, length: 128 }] : []), ...segments6],
            redistribute: []
        };
        config.prefixLists6 = [prefixList6];
    }
}

/** A device's BGP neighbours in one family: the far end of each of its links that has an address of that family. */
function bgpNeighbors<A extends number | bigint>(
    topology: Topology,
    device: string,
    asns: ReadonlyMap<string, number>,
    addressOf: (ends: ReturnType<Topology['ends']>) => A | undefined
): BgpNeighbor<A>[] {
    const neighbors: BgpNeighbor<A>[] = [];
    const asn = asns.get(device)!;
    for (const link of topology.links) {
        if (link.a.device !== device && link.b.device !== device) continue;
        const ends = topology.ends(topology.twin.links.indexOf(link), device);
        const address = addressOf(ends);
        if (address === undefined) continue;
        const remoteAs = asns.get(ends.remote.device)!;
        neighbors.push({
            address,
            remoteAs,
            description: interfaceName(ends.remote),
            routeMapIn: BGP_POLICY,
            routeMapOut: BGP_POLICY,
            nextHopSelf: remoteAs === asn ? true : undefined
        });
    }
    return neighbors;
}

function privateAsn(index: number): number {
    return FIRST_PRIVATE_ASN + index <= LAST_PRIVATE_ASN_16 ? FIRST_PRIVATE_ASN + index : FIRST_PRIVATE_ASN_32 + index;
}

/**
 * Static routes along the least-cost paths, in each family: toward every subnet (and external
 * prefix) another device holds, through each first hop of an equal-cost path to its nearest
 * holders (an anycast prefix: the nearest), the next hop being the far end's address on the link.
 */
function compileStatic(topology: Topology, devices: Map<string, DeviceConfig>): void {
    staticRoutesAlongPaths(topology, devices, {
        subnets: config =>
            config.interfaces.flatMap(i =>
                [i.address, ...(i.secondary ?? [])].flatMap(a =>
                    a ? [{ network: (a.address & prefixMask(a.length)) >>> 0, length: a.length }] : []
                )
            ),
        externalPrefixes: external => external.prefixes,
        nextHop: ends => ends.remoteAddress,
        add: (config, prefix, nextHop) => config.staticRoutes.push({ prefix, nextHop })
    });
    staticRoutesAlongPaths(topology, devices, {
        subnets: config =>
            config.interfaces.flatMap(({ address6: a }) =>
                a ? [{ network: a.address & prefixMask6(a.length), length: a.length }] : []
            ),
        externalPrefixes: external => external.prefixes6,
        nextHop: ends => ends.remoteAddress6,
        add: (config, prefix, nextHop) => config.staticRoutes6.push({ prefix, nextHop })
    });
}

/** What compileStatic reads and writes of one family. */
interface StaticFamily<A extends number | bigint> {
    subnets(config: DeviceConfig): Array<{ network: A; length: number }>;
    externalPrefixes(external: TwinExternal): ReadonlyArray<{ network: A; length: number }>;
    nextHop(ends: ReturnType<Topology['ends']>): A | undefined;
    add(config: DeviceConfig, prefix: { network: A; length: number }, nextHop: A): void;
}

function staticRoutesAlongPaths<A extends number | bigint>(
    topology: Topology,
    devices: Map<string, DeviceConfig>,
    family: StaticFamily<A>
): void {
    const owners = new Map<string, { prefix: { network: A; length: number }; devices: string[] }>();
    const own = (device: string, prefix: { network: A; length: number }) => {
        const key = `${prefix.network}/${prefix.length}`;
        const entry = owners.get(key) ?? { prefix, devices: [] };
        if (!entry.devices.includes(device)) entry.devices.push(device);
        owners.set(key, entry);
    };
    for (const config of devices.values()) for (const subnet of family.subnets(config)) own(config.hostname, subnet);
    for (const external of topology.twin.externals.values()) {
        if (external.attach)
            for (const prefix of family.externalPrefixes(external)) own(external.attach.device, prefix);
    }
    const graph = topology.graph('cost');
    for (const config of devices.values()) {
        const paths = shortestPaths(graph, config.hostname);
        for (const { prefix, devices: holders } of owners.values()) {
            if (holders.includes(config.hostname)) continue;
            const nearest = Math.min(...holders.map(h => paths.distance.get(h) ?? Infinity));
            const nextHops = new Set<A>();
            for (const holder of holders.filter(h => paths.distance.get(h) === nearest)) {
                for (const hop of firstHops(paths, holder)) {
                    const nextHop = family.nextHop(topology.ends(hop.link, config.hostname));
                    if (nextHop !== undefined && !nextHops.has(nextHop)) {
                        nextHops.add(nextHop);
                        family.add(config, prefix, nextHop);
                    }
                }
            }
        }
    }
}

/** A route toward each external's peer for its prefixes, in each family it has a peer in, announced into the underlay. */
function compileExternals(twin: Twin, devices: Map<string, DeviceConfig>): void {
    for (const external of twin.externals.values()) {
        const config = external.attach && devices.get(external.attach.device);
        if (!config) continue;
        if (external.peer !== undefined) {
            for (const prefix of external.prefixes) config.staticRoutes.push({ prefix, nextHop: external.peer });
            announceStatic(config.ospf, external.prefixes);
            redistributeStatic(config.bgp);
        }
        if (external.peer6 !== undefined) {
            for (const prefix of external.prefixes6) config.staticRoutes6.push({ prefix, nextHop: external.peer6 });
            announceStatic(config.ospf6, external.prefixes6);
            redistributeStatic(config.bgp?.ipv6);
        }
    }
}

/** Static routes into BGP, in either family. */
function redistributeStatic(unicast: Pick<BgpUnicast<number | bigint, unknown>, 'redistribute'> | undefined): void {
    if (unicast && !unicast.redistribute.some(r => r.source === 'static'))
        unicast.redistribute.push({ source: 'static' });
}

/** Static routes into OSPF (either version): a default route originated, any other redistributed. */
function announceStatic(
    ospf: Pick<OspfConfig, 'defaultOriginate' | 'redistribute'> | undefined,
    prefixes: ReadonlyArray<{ length: number }>
): void {
    if (!ospf) return;
    if (prefixes.some(p => p.length === 0)) ospf.defaultOriginate = true;
    if (prefixes.some(p => p.length > 0) && !ospf.redistribute.includes('static')) ospf.redistribute.push('static');
}
