/**
 * The vendor-neutral configuration of one device: what the compiler produces, what the FRR
 * parser reads back from text, and what the simulator runs. IPv4 addresses are numbers, IPv6
 * ones bigints.
 */
import type { SourceLocation } from '../common/diagnostic.js';
import type { Prefix } from '../net/ipv4.js';
import type { Prefix6 } from '../net/ipv6.js';

export interface InterfaceAddress {
    address: number;
    length: number;
}

export interface InterfaceAddress6 {
    address: bigint;
    length: number;
}

/** What an OSPF interface sends and expects: neighbours form an adjacency only where both agree. */
export type OspfAuthentication = { kind: 'simple'; key: string } | { kind: 'md5'; keyId: number; key: string };

export interface OspfInterface {
    cost: number;
    passive: boolean;
    pointToPoint: boolean;
    /** Seconds; FRR's defaults (10 and 40) when absent. Neighbours must agree on both. */
    helloInterval?: number;
    deadInterval?: number;
    /** None when absent. */
    authentication?: OspfAuthentication;
}

/** OSPFv3 on an interface: OSPFv2's settings but authentication, and which of its prefixes it announces. */
export interface Ospf6Interface extends Omit<OspfInterface, 'authentication'> {
    /**
     * `ipv6 ospf6 advertise prefix-list`: the interface's prefixes are announced only where this
     * `ipv6 prefix-list` permits them (none where it does not exist).
     */
    advertisePrefixList?: string;
}

export interface InterfaceConfig {
    name: string;
    description?: string;
    address?: InterfaceAddress;
    /** More host addresses on the loopback: the anycast address of a set of waypoints it belongs to. */
    secondary?: InterfaceAddress[];
    /** Present when the interface is in OSPF area 0. */
    ospf?: OspfInterface;
    /** Its global IPv6 address (the link-local one is the kernel's). */
    address6?: InterfaceAddress6;
    /** Present when the interface is in OSPFv3 area 0 (no authentication: OSPFv3 has none here). */
    ospf6?: Ospf6Interface;
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

/** OSPFv3 (IPv6): no `network` statements, interfaces join by `ipv6 ospf6 area`. */
export interface Ospf6Config {
    /** An IPv4 address, as OSPFv2's. */
    routerId: number;
    redistribute: Array<'connected' | 'static'>;
    /** Originate an IPv6 default route into OSPFv3 when this device has one. */
    defaultOriginate: boolean;
}

/** A BGP session's neighbour: an IPv4 address (number) or an IPv6 one (bigint), over which it runs. */
export interface BgpNeighbor<A extends number | bigint = number> {
    address: A;
    /** A number, or FRR's `external` (any other AS) / `internal` (this AS). */
    remoteAs: number | 'external' | 'internal';
    description?: string;
    routeMapIn?: string;
    routeMapOut?: string;
    nextHopSelf?: boolean;
}

/**
 * One unicast address family of BGP: the neighbours activated in it (sessions over addresses of
 * that family, which carry its routes only), what it announces, how many equal paths it installs.
 */
export interface BgpUnicast<A extends number | bigint, P> {
    maximumPaths: number;
    neighbors: BgpNeighbor<A>[];
    networks: P[];
    redistribute: Array<{ source: 'connected' | 'static'; routeMap?: string }>;
}

/** `router bgp`: its global settings and IPv4 unicast; IPv6 unicast where it has one. */
export interface BgpConfig extends BgpUnicast<number, Prefix> {
    asn: number;
    routerId: number;
    /** Use paths of different neighbouring ASes together (ECMP in a Clos fabric, RFC 7938). */
    multipathRelax: boolean;
    /** FRR's default: an eBGP session without route-maps in and out exchanges no routes. */
    ebgpRequiresPolicy: boolean;
    /** `address-family ipv6 unicast`: sessions over IPv6 addresses, activated there and not in IPv4 unicast. */
    ipv6?: BgpUnicast<bigint, Prefix6>;
}

/** An entry of an `ip prefix-list` (IPv4 prefixes) or an `ipv6 prefix-list` (Prefix6). */
export interface PrefixListEntry<P = Prefix> {
    seq: number;
    action: 'permit' | 'deny';
    prefix: P;
    /** `le N`: also match longer prefixes up to N. */
    le?: number;
}

export interface PrefixList<P = Prefix> {
    name: string;
    entries: PrefixListEntry<P>[];
}

export interface RouteMapEntry {
    seq: number;
    action: 'permit' | 'deny';
    /** `match ip address prefix-list`: it matches IPv4 prefixes the list permits, never an IPv6 one. */
    matchPrefixList?: string;
    /** `match ipv6 address prefix-list`: IPv6 prefixes the IPv6 list permits, never an IPv4 one. */
    matchPrefixList6?: string;
}

export interface RouteMap {
    name: string;
    entries: RouteMapEntry[];
}

export interface StaticRoute {
    prefix: Prefix;
    /** A next-hop address, or a route that drops what it matches (`blackhole`, `Null0`). */
    nextHop: number | 'blackhole';
    distance?: number;
    /** A routing table other than the main one (`ip route … table N`), which policy rules select. */
    table?: number;
}

/** An IPv6 static route (`ipv6 route`). */
export interface StaticRoute6 {
    prefix: Prefix6;
    nextHop: bigint | 'blackhole';
    distance?: number;
    /** A routing table other than the main one (`ipv6 route … table N`), which IPv6 policy rules select. */
    table?: number;
}

/** A set of values as inclusive ranges (addresses, ports, protocol numbers). */
export type Ranges = ReadonlyArray<readonly [number, number]>;
/** IPv6 addresses as inclusive ranges. */
export type Ranges6 = ReadonlyArray<readonly [bigint, bigint]>;

/** One packet match: every field a set; an absent field matches anything. */
export interface PacketMatch {
    /**
     * The address family, where the rule tests one (an address, an IP header field, ICMP,
     * `meta nfproto`); absent, both: nft's inet table runs a rule that tests none on either.
     */
    family?: 4 | 6;
    /** IPv4 addresses (family 4). */
    src?: Ranges;
    dst?: Ranges;
    /** IPv6 addresses (family 6). */
    src6?: Ranges6;
    dst6?: Ranges6;
    protocols?: Ranges;
    /** Destination ports (TCP/UDP). */
    dstPorts?: Ranges;
    /** Source ports (TCP/UDP): used to steer replies. */
    srcPorts?: Ranges;
    /** The DiffServ code point: steering keeps in it which waypoints a packet passed. */
    dscp?: Ranges;
}

/**
 * The family a match tests: its own, or the one its addresses or DSCP belong to (`ip saddr` and
 * `ip dscp` test IPv4 headers, as nft reads them); undefined, both.
 */
export function matchFamily(match: PacketMatch): 4 | 6 | undefined {
    if (match.family !== undefined) return match.family;
    if (match.src || match.dst || match.dscp) return 4;
    return match.src6 || match.dst6 ? 6 : undefined;
}

/**
 * A packet filter as Linux runs it (nftables): chains, some attached to a netfilter hook (base
 * chains), with rules evaluated in order. The compiler writes one table; a file read back may
 * hold several, whose base chains on one hook run in the order of their priorities.
 */
export type FilterHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
export const FILTER_HOOKS: readonly FilterHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

/** Connection-tracking states a rule may test. */
export type CtState = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

export interface NameMatch {
    names: readonly string[];
    /** `!=`: every name but these. */
    negate: boolean;
}

export type FilterVerdict =
    | { kind: 'accept' }
    | { kind: 'drop' }
    | { kind: 'return' }
    /** No verdict: the next rule decides (a rule that only counts, logs or sets a mark). */
    | { kind: 'continue' }
    | { kind: 'jump'; chain: string }
    | { kind: 'goto'; chain: string };

export interface FilterRule {
    /** Interfaces the packet arrives on / leaves by; absent: any. */
    iif?: NameMatch;
    oif?: NameMatch;
    /** Connection states it matches; absent: any. */
    ctState?: readonly CtState[];
    /** Which way the packet goes in its connection (`ct direction`): `reply` only for the replies of one this device tracks. */
    ctDirection?: 'original' | 'reply';
    /** The connection's mark compared with a value. */
    ctMark?: { value: number; equal: boolean };
    /** ICMP message types: `icmp type { … }` in family 4, `icmpv6 type { … }` in family 6; implies ICMP or ICMPv6. */
    icmpTypes?: readonly string[];
    match: PacketMatch;
    verdict: FilterVerdict;
    /** Marks the connection (`ct mark set`): its replies then meet rules that test the mark. */
    setCtMark?: number;
    /** Marks the packet (`meta mark set`), for a policy rule to choose its routing table. */
    setMark?: number;
    /** Rewrites the packet's DSCP (`ip dscp set`). */
    setDscp?: number;
    /** The intent statement the rule realises ("web-to-db: allow (policy.intent:20)"). */
    comment: string;
    /** Where the rule stands in the file it was read from; for compiled rules see `ruleLocation`. */
    location?: SourceLocation;
}

export interface FilterChain {
    /** The table it belongs to ("inet netintent"): jumps stay within a table. */
    table: string;
    name: string;
    /** A base chain: the hook it is attached to, its priority, and what it does with packets no rule decides. */
    base?: { hook: FilterHook; priority: number; policy: 'accept' | 'drop' };
    rules: FilterRule[];
}

export interface PacketFilter {
    chains: FilterChain[];
}

/**
 * A policy-routing rule (`ip rule … fwmark M table T priority P`): packets the filter marked M
 * are routed by table T; where T has no route for them, the next rule (in the end the main
 * table) decides.
 */
export interface IpRule {
    priority: number;
    fwmark: number;
    table: number;
}

export interface DeviceConfig {
    hostname: string;
    role: string;
    loopback?: number;
    interfaces: InterfaceConfig[];
    ospf?: OspfConfig;
    /** OSPFv3 (IPv6), beside OSPFv2. */
    ospf6?: Ospf6Config;
    bgp?: BgpConfig;
    staticRoutes: StaticRoute[];
    staticRoutes6: StaticRoute6[];
    prefixLists: PrefixList[];
    /** `ipv6 prefix-list`s: a name of their own, apart from the IPv4 lists'. */
    prefixLists6: PrefixList<Prefix6>[];
    routeMaps: RouteMap[];
    /** Data-plane filters (nftables), and the marks that choose policy routes. */
    filter: PacketFilter;
    /** IPv4's policy rules (`ip rule`) and IPv6's (`ip -6 rule`): the kernel keeps them apart, each selecting its family's tables. */
    ipRules: IpRule[];
    ipRules6: IpRule[];
    /** What a configuration read back says that netintent does not model (empty for compiled ones). */
    unmodelled: Unmodelled[];
}

/**
 * A construct the verifier does not model. `routing`: it may change routes anywhere, so no
 * verdict of the network can be trusted; `filtering`: it may change what this device lets
 * through, so the verdicts of traffic that reaches the device cannot.
 */
export interface Unmodelled {
    scope: 'routing' | 'filtering';
    location: SourceLocation;
    text: string;
}

export function emptyDevice(hostname: string, role = 'router'): DeviceConfig {
    return {
        hostname,
        role,
        interfaces: [],
        staticRoutes: [],
        staticRoutes6: [],
        prefixLists: [],
        prefixLists6: [],
        routeMaps: [],
        filter: { chains: [] },
        ipRules: [],
        ipRules6: [],
        unmodelled: []
    };
}

/** Per compiled configuration: how the renderer lays out its filter rules in nftables.nft (set by the compiler). */
const layouts = new WeakMap<DeviceConfig, (config: DeviceConfig) => ReadonlyMap<FilterRule, SourceLocation>>();
/** The layouts made, by configuration and the filter they were made of. */
const laidOut = new WeakMap<
    DeviceConfig,
    { filter: PacketFilter; locations: ReadonlyMap<FilterRule, SourceLocation> }
>();

/** Says where the rules of a compiled configuration will stand once written: laid out only when a message asks. */
export function setRuleLayout(
    config: DeviceConfig,
    layout: (config: DeviceConfig) => ReadonlyMap<FilterRule, SourceLocation>
): void {
    layouts.set(config, layout);
}

/** Where a filter rule stands: where it was read from, or where the renderer puts it in a compiled configuration. */
export function ruleLocation(config: DeviceConfig, rule: FilterRule): SourceLocation | undefined {
    if (rule.location) return rule.location;
    const layout = layouts.get(config);
    if (!layout) return undefined;
    let made = laidOut.get(config);
    if (made?.filter !== config.filter)
        laidOut.set(config, (made = { filter: config.filter, locations: layout(config) }));
    return made.locations.get(rule);
}
