/** The twin: the network as it is (docs/twin.md), after loading, checking and address allocation. */
import type { SourceLocation } from '../common/diagnostic.js';
import type { IntervalSet } from '../net/interval-set.js';
import type { Prefix } from '../net/ipv4.js';

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
    readonly location: SourceLocation;
}

export interface TwinDevice {
    readonly name: string;
    role: string;
    platform: string;
    loopback?: number;
    asn?: number;
    readonly interfaces: Map<string, TwinInterface>;
    location: SourceLocation;
}

export interface TwinLink {
    readonly a: InterfaceKey;
    readonly b: InterfaceKey;
    subnet?: Prefix;
    cost: number;
    /** Microseconds; 0 when the twin gives none. */
    latencyUs: number;
    bandwidth?: string;
    location: SourceLocation;
}

export interface TwinSegment {
    readonly name: string;
    readonly prefix: Prefix;
    attach?: InterfaceKey;
    gateway: number;
    readonly location: SourceLocation;
}

export interface TwinHost {
    readonly name: string;
    readonly segment: string;
    readonly address: number;
    readonly location: SourceLocation;
}

export interface TwinExternal {
    readonly name: string;
    readonly prefixes: readonly Prefix[];
    readonly attach?: InterfaceKey;
    /** The attachment interface's address and prefix length ("203.0.113.2/30"). */
    readonly address?: { address: number; length: number };
    readonly peer?: number;
    /** The addresses it stands for: its prefixes minus everything the twin places elsewhere. */
    space: IntervalSet;
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
    /** Interfaces observed down ("core2:eth1"). */
    readonly down: Set<string>;
    /** Every address the twin itself places: segments, links, loopbacks, external attachments. */
    ownSpace: IntervalSet;
    /** Names declared with errors and so left out ("segment:web"); intents naming them are not told the name is unknown. */
    readonly rejected: Set<string>;
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
