/**
 * What the control-plane simulator reads of one address family. IPv4: interface subnets and
 * secondaries, `ip route` (also in policy tables), OSPFv2, BGP's IPv4 unicast and `ip prefix-list`s.
 * IPv6: interface subnets, `ipv6 route`, OSPFv3, whose neighbours speak over link-local addresses
 * (no shared subnet), BGP's IPv6 unicast (sessions over global addresses) and `ipv6 prefix-list`s.
 * One RoutingState per family runs the same algorithms over either.
 */
import type {
    BgpUnicast,
    DeviceConfig,
    Ospf6Interface,
    OspfInterface,
    PrefixList,
    RouteMapEntry
} from '../config/model.js';
import { IPV4, IPV6, type AddressFamily } from '../net/family.js';
import type { Bound, IntervalSet } from '../net/interval-set.js';
import { ALL_ADDRESSES, prefixContains, prefixMask } from '../net/ipv4.js';
import { ALL_ADDRESSES6, prefixMask6 } from '../net/ipv6.js';
import type { Port, SimNetwork } from './network.js';

export interface PrefixOf<A extends Bound> {
    readonly network: A;
    readonly length: number;
}

/** A static route as the simulator reads it, in either family. */
export interface StaticRouteOf<A extends Bound> {
    readonly prefix: PrefixOf<A>;
    readonly nextHop: A | 'blackhole';
    readonly distance?: number;
    /** A policy-routing table; the main table when absent. */
    readonly table?: number;
}

/** The router-wide settings of OSPFv2 or OSPFv3 that decide what a router announces beyond its interfaces. */
export interface OspfRedistribution {
    readonly defaultOriginate: boolean;
    readonly redistribute: readonly string[];
}

/** What an interface in a `network … area 0` without settings of its own runs. */
const OSPF_NETWORK_INTERFACE: OspfInterface = { cost: 10, passive: false, pointToPoint: false };

export interface RoutingFamily<A extends Bound> {
    readonly version: 4 | 6;
    readonly addresses: AddressFamily<A, PrefixOf<A>>;
    /** Every address of the family. */
    readonly all: IntervalSet<A>;
    /** The device's BGP address family of this version, where it runs BGP in it. */
    bgp(config: DeviceConfig): BgpUnicast<A, PrefixOf<A>> | undefined;
    /** The prefix-lists of this family (`ip` or `ipv6 prefix-list`). */
    prefixLists(config: DeviceConfig): readonly PrefixList<PrefixOf<A>>[];
    /** The prefix-list a route-map entry matches prefixes of this family against (`match ip` or `match ipv6 address`). */
    routeMapMatch(entry: RouteMapEntry): string | undefined;
    /** The device and interface that hold an interface address. */
    addressOwner(network: SimNetwork, address: A): { device: string; interface: string } | undefined;
    /** The address's prefix of this length. */
    mask(address: A, length: number): A;
    /** The prefixes a port's addresses are on: its subnet (and for IPv4 its secondary host addresses). */
    subnets(port: Port): readonly PrefixOf<A>[];
    /** Whether a port carries an address of this family. */
    addressed(port: Port): boolean;
    staticRoutes(config: DeviceConfig): readonly StaticRouteOf<A>[];
    ospf(config: DeviceConfig): OspfRedistribution | undefined;
    /** The OSPF settings an interface runs, where it is in the area. */
    ospfInterface(config: DeviceConfig, port: Port): Ospf6Interface | undefined;
    /** Whether an OSPF adjacency can form over these two ends: OSPFv2's must share their subnet. */
    adjacentOver(port: Port, far: Port): boolean;
    /** The address routes through an adjacency name as next hop: the far end's on the link, where it has one. */
    neighborAddress(far: Port): A | undefined;
    /** Every prefix a configuration names: its interfaces' subnets, its static routes', its BGP networks. */
    prefixesOf(config: DeviceConfig): PrefixOf<A>[];
}

export const IPV4_ROUTING: RoutingFamily<number> = {
    version: 4,
    addresses: IPV4,
    all: ALL_ADDRESSES,
    bgp: config => config.bgp,
    prefixLists: config => config.prefixLists,
    routeMapMatch: entry => entry.matchPrefixList,
    addressOwner: (network, address) => network.addressOwner.get(address),
    mask: (address, length) => (address & prefixMask(length)) >>> 0,
    subnets: port => (port.subnet ? [port.subnet, ...port.extra] : []),
    addressed: port => port.subnet !== undefined,
    staticRoutes: config => config.staticRoutes,
    ospf: config => config.ospf,
    ospfInterface(config, port) {
        if (!config.ospf || !port.subnet) return undefined;
        if (port.config.ospf) return port.config.ospf;
        const address = port.config.address!.address;
        return config.ospf.networks.some(n => prefixContains(n, address)) ? OSPF_NETWORK_INTERFACE : undefined;
    },
    adjacentOver: (port, far) =>
        port.subnet !== undefined &&
        far.subnet !== undefined &&
        port.subnet.network === far.subnet.network &&
        port.subnet.length === far.subnet.length,
    neighborAddress: far => far.config.address?.address,
    prefixesOf: config => [
        ...config.interfaces.flatMap(i =>
            [i.address, ...(i.secondary ?? [])].flatMap(a =>
                a ? [{ network: IPV4_ROUTING.mask(a.address, a.length), length: a.length }] : []
            )
        ),
        ...config.staticRoutes.map(r => r.prefix),
        ...(config.bgp?.networks ?? [])
    ]
};

export const IPV6_ROUTING: RoutingFamily<bigint> = {
    version: 6,
    addresses: IPV6,
    all: ALL_ADDRESSES6,
    bgp: config => config.bgp?.ipv6,
    prefixLists: config => config.prefixLists6,
    routeMapMatch: entry => entry.matchPrefixList6,
    addressOwner: (network, address) => network.addressOwner6.get(address),
    mask: (address, length) => address & prefixMask6(length),
    subnets: port => (port.subnet6 ? [port.subnet6] : []),
    addressed: port => port.subnet6 !== undefined,
    staticRoutes: config => config.staticRoutes6,
    ospf: config => config.ospf6,
    // OSPFv3 runs on an interface without a global address too: its link-local one is enough.
    ospfInterface: (config, port) => (config.ospf6 ? port.config.ospf6 : undefined),
    adjacentOver: () => true,
    neighborAddress: far => far.config.address6?.address,
    prefixesOf: config => [
        ...config.interfaces.flatMap(({ address6: a }) =>
            a ? [{ network: IPV6_ROUTING.mask(a.address, a.length), length: a.length }] : []
        ),
        ...config.staticRoutes6.map(r => r.prefix),
        ...(config.bgp?.ipv6?.networks ?? [])
    ]
};
