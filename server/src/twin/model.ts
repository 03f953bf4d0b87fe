/** The twin: the network as it is (docs/twin.md), after loading, checking and address allocation. */
import type { SourceLocation } from '../common/diagnostic.js';
import type { IntervalSet } from '../net/interval-set.js';
import type { Prefix } from '../net/ipv4.js';
import type { Prefix6 } from '../net/ipv6.js';

export type Routing = 'ospf' | 'bgp' | 'static';
export const ROUTINGS: readonly Routing[] = ['ospf', 'bgp', 'static'];

/** A device's interface named from outside the device: "core1:eth1". */
export interface InterfaceKey {
    readonly device: string;
    readonly interface: string;
}

export type InterfaceUse = 'link' | 'segment' | 'external';

export interface TwinInterface {
    readonly device: string;
    readonly name: string;
    readonly use: InterfaceUse;
    address?: number;
    prefixLength?: number;
    address6?: bigint;
    prefixLength6?: number;
    readonly location: SourceLocation;
}

export interface TwinDevice {
    readonly name: string;
    role: string;
    platform: string;
    loopback?: number;
    loopback6?: bigint;
    asn?: number;
    readonly interfaces: Map<string, TwinInterface>;
    location: SourceLocation;
}

export interface TwinLink {
    readonly a: InterfaceKey;
    readonly b: InterfaceKey;
    subnet?: Prefix;
    subnet6?: Prefix6;
    cost: number;
    /** Microseconds; 0 when the twin gives none. */
    latencyUs: number;
    bandwidth?: string;
    location: SourceLocation;
}

/** A segment has a prefix of one family or of both (dual stack), and a gateway in each. */
export interface TwinSegment {
    readonly name: string;
    readonly prefix?: Prefix;
    readonly prefix6?: Prefix6;
    attach?: InterfaceKey;
    gateway?: number;
    gateway6?: bigint;
    readonly location: SourceLocation;
}

/** A host has an address in each family its segment has. */
export interface TwinHost {
    readonly name: string;
    readonly segment: string;
    readonly address?: number;
    readonly address6?: bigint;
    readonly location: SourceLocation;
}

export interface TwinExternal {
    readonly name: string;
    readonly prefixes: readonly Prefix[];
    readonly prefixes6: readonly Prefix6[];
    readonly attach?: InterfaceKey;
    /** The attachment interface's address and prefix length ("203.0.113.2/30"). */
    readonly address?: { address: number; length: number };
    readonly address6?: { address: bigint; length: number };
    readonly peer?: number;
    readonly peer6?: bigint;
    /** The addresses it stands for: its prefixes minus everything the twin places elsewhere. */
    space: IntervalSet;
    space6: IntervalSet<bigint>;
    readonly location: SourceLocation;
}

export interface Twin {
    readonly file: string;
    readonly network: string;
    readonly routing: Routing;
    readonly devices: Map<string, TwinDevice>;
    readonly links: TwinLink[];
    readonly segments: Map<string, TwinSegment>;
    readonly hosts: Map<string, TwinHost>;
    readonly externals: Map<string, TwinExternal>;
    /** Where the loader took loopbacks from (the compiler takes anycast addresses from it too). */
    loopbackPool?: Prefix;
    loopbackPool6?: Prefix6;
    /** Interfaces observed down ("core2:eth1"). */
    readonly down: Set<string>;
    /** Every address the twin itself places: segments, links, loopbacks, external attachments. */
    ownSpace: IntervalSet;
    ownSpace6: IntervalSet<bigint>;
    /** Names declared with errors and so left out ("segment:web"); intents naming them are not told the name is unknown. */
    readonly rejected: Set<string>;
}

/** A segment with an IPv4 prefix (and so an IPv4 gateway). */
export type IPv4Segment = TwinSegment & { readonly prefix: Prefix; gateway: number };
/** A host with an IPv4 address. */
export type IPv4Host = TwinHost & { readonly address: number };

/**
 * The segments with an IPv4 prefix: what the IPv4 parts (compiler, lab, verifier) work with,
 * an IPv6-only segment being invisible to them.
 */
export function ipv4Segments(twin: Twin): IPv4Segment[] {
    return [...twin.segments.values()].filter((s): s is IPv4Segment => s.prefix !== undefined);
}

const withIPv6 = new WeakMap<Twin, boolean>();

/** Whether the twin has IPv6 anywhere (a segment, an external, a device's address): its filters then handle IPv6 too. */
export function hasIPv6(twin: Twin): boolean {
    let found = withIPv6.get(twin);
    if (found === undefined) {
        found =
            [...twin.segments.values()].some(s => s.prefix6 !== undefined) ||
            [...twin.externals.values()].some(e => e.prefixes6.length > 0) ||
            [...twin.devices.values()].some(
                d => d.loopback6 !== undefined || [...d.interfaces.values()].some(i => i.address6 !== undefined)
            );
        withIPv6.set(twin, found);
    }
    return found;
}

/** The hosts of a segment with an IPv4 address. */
export function ipv4Hosts(twin: Twin, segment: string): IPv4Host[] {
    return [...twin.hosts.values()].filter((h): h is IPv4Host => h.segment === segment && h.address !== undefined);
}

export function interfaceName(key: InterfaceKey): string {
    return `${key.device}:${key.interface}`;
}

export function linkName(link: Pick<TwinLink, 'a' | 'b'>): string {
    return `${interfaceName(link.a)} -- ${interfaceName(link.b)}`;
}

/** The link joining two interfaces, in either order. */
export function findLink(twin: Twin, a: InterfaceKey, b: InterfaceKey): TwinLink | undefined {
    const index = linkIndex(twin, a, b);
    return index < 0 ? undefined : twin.links[index];
}

const NO_LINKS: ReadonlySet<number> = new Set();
/** By twin (indices are its links'), by list of ends. */
const linkIndexSets = new WeakMap<Twin, WeakMap<readonly LinkEnds[], ReadonlySet<number>>>();

/**
 * The indices of the links between these pairs of interfaces (those that exist), kept per twin
 * and list: a requirement's avoided links are asked for under every failure set.
 */
export function linkIndices(twin: Twin, links: readonly LinkEnds[]): ReadonlySet<number> {
    if (links.length === 0) return NO_LINKS;
    let byList = linkIndexSets.get(twin);
    if (!byList) linkIndexSets.set(twin, (byList = new WeakMap()));
    let found = byList.get(links);
    if (!found)
        byList.set(links, (found = new Set(links.map(l => linkIndex(twin, l.a, l.b)).filter(index => index >= 0))));
    return found;
}

/** The two interfaces a link joins, as a statement names them. */
export interface LinkEnds {
    a: InterfaceKey;
    b: InterfaceKey;
}

/** The index in `twin.links` of the link between two interfaces (either way round); -1 if none. */
export function linkIndex(twin: Twin, a: InterfaceKey, b: InterfaceKey): number {
    const same = (x: InterfaceKey, y: InterfaceKey) => x.device === y.device && x.interface === y.interface;
    return twin.links.findIndex(l => (same(l.a, a) && same(l.b, b)) || (same(l.a, b) && same(l.b, a)));
}
