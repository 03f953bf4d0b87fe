/**
 * The vendor-neutral configuration of one device: what the compiler produces, what the FRR
 * parser reads back from text, and what the simulator runs. Addresses are IPv4 numbers.
 */
import type { Prefix } from '../net/ipv4.js';

export interface InterfaceAddress {
    address: number;
    length: number;
}

export interface OspfInterface {
    cost: number;
    passive: boolean;
    pointToPoint: boolean;
}

export interface InterfaceConfig {
    name: string;
    description?: string;
    address?: InterfaceAddress;
    /** Present when the interface is in OSPF area 0. */
    ospf?: OspfInterface;
    /** Observed down in the twin: rendered `shutdown`. */
    shutdown?: boolean;
}

export interface OspfConfig {
    routerId: number;
    redistribute: Array<'connected' | 'static'>;
    /** Originate a default route into OSPF when this device has one. */
    defaultOriginate: boolean;
    /** Networks written as `network P area 0` (hand-written configs; the compiler uses `ip ospf area`). */
    networks: Prefix[];
}

export interface BgpNeighbor {
    address: number;
    /** A number, or FRR's `external` (any other AS) / `internal` (this AS). */
    remoteAs: number | 'external' | 'internal';
    description?: string;
    routeMapIn?: string;
    routeMapOut?: string;
    nextHopSelf?: boolean;
}

export interface BgpConfig {
    asn: number;
    routerId: number;
    /** Use paths of different neighbouring ASes together (ECMP in a Clos fabric, RFC 7938). */
    multipathRelax: boolean;
    /** FRR's default: an eBGP session without route-maps in and out exchanges no routes. */
    ebgpRequiresPolicy: boolean;
    maximumPaths: number;
    neighbors: BgpNeighbor[];
    networks: Prefix[];
    redistribute: Array<{ source: 'connected' | 'static'; routeMap?: string }>;
}

export interface PrefixListEntry {
    seq: number;
    action: 'permit' | 'deny';
    prefix: Prefix;
    /** `le N`: also match longer prefixes up to N. */
    le?: number;
}

export interface PrefixList {
    name: string;
    entries: PrefixListEntry[];
}

export interface RouteMapEntry {
    seq: number;
    action: 'permit' | 'deny';
    matchPrefixList?: string;
}

export interface RouteMap {
    name: string;
    entries: RouteMapEntry[];
}

export interface StaticRoute {
    prefix: Prefix;
    nextHop: number;
    distance?: number;
}

/** A set of values as inclusive ranges (addresses, ports, protocol numbers). */
export type Ranges = ReadonlyArray<readonly [number, number]>;

/** One ACL match: every field a set; an absent field matches anything. */
export interface PacketMatch {
    src?: Ranges;
    dst?: Ranges;
    protocols?: Ranges;
    /** Destination ports (TCP/UDP). */
    dstPorts?: Ranges;
    /** Source ports (TCP/UDP): used to steer replies. */
    srcPorts?: Ranges;
}

export interface AclRule {
    action: 'accept' | 'drop';
    match: PacketMatch;
    /** The intent statement the rule realises ("web-to-db: allow (policy.intent:20)"). */
    comment: string;
    /** An accepted connection whose replies are not let back by its state (`allow … oneway`). */
    oneway?: boolean;
}

/** Ordered rules for traffic entering the device on one interface; the first match decides. */
export interface Acl {
    interface: string;
    rules: AclRule[];
    /** What happens to traffic no rule matches. */
    defaultAction: 'accept' | 'drop';
}

export interface PolicyRouteRule {
    match: PacketMatch;
    /** Next hops (ECMP when several). */
    nextHops: number[];
    comment: string;
}

/** Policy routing for traffic entering on one interface: the first matching rule chooses next hops. */
export interface PolicyRoute {
    interface: string;
    rules: PolicyRouteRule[];
}

export interface DeviceConfig {
    hostname: string;
    role: string;
    loopback?: number;
    interfaces: InterfaceConfig[];
    ospf?: OspfConfig;
    bgp?: BgpConfig;
    staticRoutes: StaticRoute[];
    prefixLists: PrefixList[];
    routeMaps: RouteMap[];
    /** Data-plane filters (nftables): per ingress interface. */
    acls: Acl[];
    /** Forwarded replies of accepted connections pass every ACL (stateful firewalling). */
    acceptEstablished: boolean;
    policyRoutes: PolicyRoute[];
}

export function emptyDevice(hostname: string, role = 'router'): DeviceConfig {
    return { hostname, role, interfaces: [], staticRoutes: [], prefixLists: [], routeMaps: [], acls: [], acceptEstablished: false, policyRoutes: [] };
}
