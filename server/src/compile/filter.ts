/**
 * allow / deny / isolate / default deny → each device's packet filter. At every edge of the
 * network (a segment's or external's attachment) traffic meets, in this order:
 *   - anti-spoofing (BCP 38), before connection tracking: a packet whose source is not the edge's
 *     own address space is dropped, so that no host can pass a rule by forging its source;
 *   - the replies of connections the device accepted, and ICMP errors, pass;
 *   - the edge's chain: the rules of every statement about packets from there, then the default
 *     (`drop` under `default deny`). The chain is jumped to from the forward hook and from the
 *     input hook: traffic addressed to the device itself meets the same rules.
 * A device with `role: firewall` also runs every forwarded packet through the whole policy (all
 * statements, from any source), statefully: steered through it, traffic cannot bypass the
 * policy by bypassing the edge. Rules come from each requirement's effective packets (overlaps
 * already resolved), so their order never changes what they decide; the more specific
 * statements still come first, as an engineer reading the ruleset expects.
 */
import * as path from 'node:path';
import type { Requirement, IntentProgram } from '../intent/model.js';
import { IntervalSet, type Bound } from '../net/interval-set.js';
import { ALL_PORTS, ALL_PROTOCOLS, PacketSet, type Cube, type Cube6 } from '../net/packet-set.js';
import { IPV6, type Addresses } from '../net/family.js';
import { ALL_ADDRESSES } from '../net/ipv4.js';
import { ALL_ADDRESSES6, LINK_LOCAL6 } from '../net/ipv6.js';
import type { FilterChain, FilterRule, PacketFilter, PacketMatch } from '../config/model.js';
import { chainName, ONEWAY_CT_MARK, PRIORITIES, TABLE_NAME } from '../config/nftables/render.js';
import { requirementFingerprint } from '../intent/fingerprint.js';
import { hasIPv6 } from '../twin/model.js';
import { placesOf, type Place } from '../twin/places.js';

/** ICMP errors pass every filter netintent writes: path MTU discovery and traceroute need them. */
export const ICMP_ERRORS = ['destination-unreachable', 'time-exceeded', 'parameter-problem'] as const;
/** The same in IPv6, with packet-too-big (IPv6 routers never fragment: path MTU discovery lives on it). */
export const ICMPV6_ERRORS = [
    'destination-unreachable',
    'packet-too-big',
    'time-exceeded',
    'parameter-problem'
] as const;
/** What IPv6 needs on a link (RFC 4861 neighbour discovery, RFC 3810 MLD): the device accepts it from anyone. */
export const ICMPV6_LINK = [
    'mld-listener-query',
    'mld-listener-report',
    'mld-listener-done',
    'nd-router-solicit',
    'nd-router-advert',
    'nd-neighbor-solicit',
    'nd-neighbor-advert',
    'mld2-listener-report'
] as const;
const prefix6 = (text: string) => IPV6.range(IPV6.parsePrefix(text)!);
/** Sources a host uses on its link only: link-local addresses and the unspecified one (`::`). */
const ON_LINK_SOURCES = LINK_LOCAL6.union(prefix6('::/128'));
/** Where such packets may go: link-local addresses and link-scope multicast. */
const ON_LINK_DESTINATIONS = LINK_LOCAL6.union(prefix6('ff02::/16'));
const FIREWALL_CHAIN = 'firewall';
const GUARD_CHAIN = 'guard';

/** What one chain was made from (fingerprints, compared item by item), and the chain. */
interface ChainEntry {
    key: readonly string[];
    chain: FilterChain | undefined;
}

/**
 * What one device's filter was made from: each chain by what it was made from, and each
 * requirement's rules at each of its places (an edge, or `firewall`), so that a rule
 * that stays the same stays the same object, which tells the verifier so.
 */
interface DeviceFilterCache {
    filter: PacketFilter;
    /** By chain id: `guard`, `input`, `forward`, `firewall`, `edge\n<interface>`. */
    chains: Map<string, ChainEntry>;
    /** By place (an edge's chain id, or `firewall`), then by requirement fingerprint. */
    rules: Map<string, Map<string, FilterRule[]>>;
}

/** What the filters of the last compile were made from, so that the next one reuses what is the same. */
export interface FilterCache {
    devices: Map<string, DeviceFilterCache>;
    /** Each requirement's sources, by fingerprint: an edge where none added or removed has any keeps its chain unexamined. */
    sources: Map<string, Addresses>;
    /** What every chain's last rule is made of: the `default deny` statement's place, or 'allow'. */
    defaultKey: string;
}

/**
 * Every device's packet filter. A chain whose inputs (by fingerprint) are those it was made from
 * last time is taken from `previous` as it was; a device whose chains are all the same keeps its
 * filter object. Given `previous`, an edge from which no requirement was added or removed keeps
 * its chain without looking at it, and a device with only such edges (and no firewall policy that
 * changed) its whole filter and cache entry: an edit costs what it changes.
 */
export function compileFilters(
    program: IntentProgram,
    previous?: FilterCache
): { byDevice: Map<string, PacketFilter>; cache: FilterCache } {
    const requirements = program.intents
        .flatMap(i => i.requirements)
        .filter(r => r.kind !== 'allow' || !r.effective.isEmpty());
    const ordered = [...requirements].sort((a, b) => volume(a.effective) - volume(b.effective));
    const edges = placesOf(program.twin).filter(p => p.interface !== undefined);
    const defaultRule: FilterRule = program.defaultRequirement
        ? { match: {}, verdict: { kind: 'drop' }, comment: `default deny (${where(program.defaultRequirement)})` }
        : { match: {}, verdict: { kind: 'accept' }, comment: '' };
    // What the last rule is made of (not what the default requirement's packets are: every allow changes those).
    const defaultKey = program.defaultRequirement ? defaultRule.comment : 'allow';
    const sources = new Map(ordered.map(r => [requirementFingerprint(r), sourcesOf(r.effective)]));
    const cache: FilterCache = { devices: new Map(), sources, defaultKey };
    const kept = previous?.defaultKey === defaultKey ? previous : undefined;
    // The sources of requirements added or removed since `kept`.
    const moved = kept && [
        ...[...sources].filter(([fp]) => !kept.sources.has(fp)).map(([, from]) => from),
        ...[...kept.sources].filter(([fp]) => !sources.has(fp)).map(([, from]) => from)
    ];
    const comesFrom = (from: Addresses, edge: Place) =>
        from.v4.intersects(edge.hosts) || from.v6.intersects(edge.hosts6);
    const touched = (edge: Place) => !moved || moved.some(from => comesFrom(from, edge));
    const relevant = kept
        ? undefined
        : requirementsByEdge(edges, ordered, r => sources.get(requirementFingerprint(r))!);
    const ipv6 = hasIPv6(program.twin);
    const keyOf = (mine: Requirement[]) => [defaultKey, ...mine.map(requirementFingerprint)];
    const edgesOf = new Map<string, Array<{ edge: Place; index: number }>>();
    edges.forEach((edge, index) => {
        const list = edgesOf.get(edge.device);
        if (list) list.push({ edge, index });
        else edgesOf.set(edge.device, [{ edge, index }]);
    });

    const byDevice = new Map<string, PacketFilter>();
    for (const device of program.twin.devices.values()) {
        const myEdges = edgesOf.get(device.name) ?? [];
        const policed = device.role === 'firewall' && (ordered.length > 0 || program.defaultRequirement);
        const before = previous?.devices.get(device.name);
        if (kept && before && !myEdges.some(e => touched(e.edge)) && (!policed || moved!.length === 0)) {
            // Nothing it filters on changed: its filter, and what it was made of, as they were.
            cache.devices.set(device.name, before);
            byDevice.set(device.name, before.filter);
            continue;
        }
        const own: DeviceFilterCache = { filter: { chains: [] }, chains: new Map(), rules: new Map() };
        /** The chain made from `key` last time, or a new one. */
        const chain = (
            id: string,
            key: readonly string[],
            make: () => FilterChain | undefined
        ): FilterChain | undefined => {
            const entry = before?.chains.get(id);
            const made = entry && sameKey(entry.key, key) ? entry.chain : make();
            own.chains.set(id, { key, chain: made });
            return made;
        };
        /** Rules made from `id` at `place` last time, or new ones: a rule that stays the same stays the same object. */
        const cached = (place: string, id: string, make: () => FilterRule[]): FilterRule[] => {
            let here = own.rules.get(place);
            if (!here) own.rules.set(place, (here = new Map()));
            const rules = here.get(id) ?? before?.rules.get(place)?.get(id) ?? make();
            here.set(id, rules);
            return rules;
        };
        const rulesOf = (place: string, requirement: Requirement, packets: () => PacketSet) =>
            cached(place, requirementFingerprint(requirement), () => rulesFor(requirement, packets()));
        /** The chain's last rule: the default. Looked up also where the chain is kept, so that it stays the same object. */
        const finalRule = (place: string) => cached(place, `default\n${defaultKey}`, () => [{ ...defaultRule }]);

        /** The whole policy: its rules looked up whether or not the chain is kept, as an edge's. */
        const firewallChain = () => {
            const rules = ordered.flatMap(r => rulesOf(FIREWALL_CHAIN, r, () => r.effective));
            const last = finalRule(FIREWALL_CHAIN);
            return chain(FIREWALL_CHAIN, keyOf(ordered), () => ({
                table: TABLE_NAME,
                name: FIREWALL_CHAIN,
                rules: [...rules, ...last]
            }));
        };

        const jumps: Array<{ edge: Place; chain: FilterChain }> = [];
        for (const { edge, index } of myEdges) {
            // The chain's id is also its rules' place (no interface name holds a newline).
            const id = `edge\n${edge.interface!}`;
            const place = id;
            let made: FilterChain | undefined;
            if (!before || touched(edge)) {
                const mine =
                    relevant?.[index] ?? ordered.filter(r => comesFrom(sources.get(requirementFingerprint(r))!, edge));
                const from = PacketSet.cube({ src: edge.hosts }).union(PacketSet.cube6({ src: edge.hosts6 }));
                // Looked up whether or not the chain is kept: a kept chain's rules stay cached for the next compile.
                const rules = mine.flatMap(r => rulesOf(place, r, () => r.effective.intersect(from)));
                const last = finalRule(place);
                made = chain(id, keyOf(mine), () =>
                    rules.length === 0 && !program.defaultRequirement
                        ? undefined
                        : { table: TABLE_NAME, name: chainName(edge.interface!), rules: [...rules, ...last] }
                );
            } else {
                // Untouched: its chain and rules as the previous compile made them.
                const entry = before.chains.get(id);
                if (entry) own.chains.set(id, entry);
                const rules = before.rules.get(place);
                if (rules) own.rules.set(place, rules);
                made = entry?.chain;
            }
            if (made) jumps.push({ edge, chain: made });
        }
        // Anti-spoofing depends on the twin alone, and a compile reuses nothing of another twin's.
        const guard = chain('guard', [], () =>
            guardChain(
                myEdges.map(e => e.edge),
                ipv6
            )
        );
        const firewall = policed ? firewallChain() : undefined;
        const interfaces = jumps.map(j => j.edge.interface!);
        const frameKey = [...interfaces, firewall ? FIREWALL_CHAIN : ''];
        const input = chain('input', frameKey, () => baseChain('input', interfaces, undefined, ipv6));
        const forward = chain('forward', frameKey, () => baseChain('forward', interfaces, firewall, ipv6));
        const chains = [guard, input, forward, ...jumps.map(j => j.chain), firewall].filter(
            (c): c is FilterChain => c !== undefined
        );
        own.filter =
            before &&
            before.filter.chains.length === chains.length &&
            before.filter.chains.every((c, i) => c === chains[i])
                ? before.filter
                : { chains };
        cache.devices.set(device.name, own);
        byDevice.set(device.name, own.filter);
    }
    return { byDevice, cache };
}

/** Each packet set's sources and volume, computed once (a requirement that stays keeps its packet set). */
const measured = new WeakMap<PacketSet, { sources: Addresses; volume: number }>();

function measure(packets: PacketSet): { sources: Addresses; volume: number } {
    let found = measured.get(packets);
    if (!found) {
        const volume = (cubes: readonly Cube<Bound>[]) =>
            cubes.reduce(
                (sum, c) => sum + Number(c.src.size()) * Number(c.dst.size()) * c.protocol.size() * c.dstPort.size(),
                0
            );
        found = {
            sources: {
                v4: IntervalSet.fromIntervals(packets.cubes.flatMap(c => c.src.intervals)),
                v6: IntervalSet.fromIntervals(packets.cubes6.flatMap(c => c.src.intervals))
            },
            volume: volume(packets.cubes) + volume(packets.cubes6)
        };
        measured.set(packets, found);
    }
    return found;
}

/** Every source address of a packet set, in each family. */
function sourcesOf(packets: PacketSet): Addresses {
    return measure(packets).sources;
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && a.every((part, i) => part === b[i]);
}

/**
 * BCP 38 at each edge of the device: packets from a source the edge does not hold are dropped.
 * In IPv6 a host also speaks from its link-local address (and from none, `::`, while it checks
 * that its address is free): those pass, toward link-local and link-scope multicast addresses
 * only (neighbour discovery, MLD); the kernel never forwards them.
 */
function guardChain(edges: Place[], ipv6: boolean): FilterChain | undefined {
    if (edges.length === 0) return undefined;
    return {
        table: TABLE_NAME,
        name: GUARD_CHAIN,
        base: { hook: 'prerouting', priority: PRIORITIES.raw, policy: 'accept' },
        rules: edges.flatMap(edge => {
            const iif = { names: [edge.interface!], negate: false };
            const comment = `anti-spoofing: ${edge.name} sends only from its own addresses`;
            const rules: FilterRule[] = [
                {
                    iif,
                    match: { src: ranges(ALL_ADDRESSES.subtract(edge.hosts)) },
                    verdict: { kind: 'drop' },
                    comment
                }
            ];
            if (ipv6)
                rules.push(
                    {
                        iif,
                        match: { family: 6, src6: ranges(ALL_ADDRESSES6.subtract(edge.hosts6.union(ON_LINK_SOURCES))) },
                        verdict: { kind: 'drop' },
                        comment
                    },
                    {
                        iif,
                        match: {
                            family: 6,
                            src6: ranges(ON_LINK_SOURCES),
                            dst6: ranges(ALL_ADDRESSES6.subtract(ON_LINK_DESTINATIONS))
                        },
                        verdict: { kind: 'drop' },
                        comment: `anti-spoofing: ${edge.name} speaks from link-local addresses on its link only`
                    }
                );
            return rules;
        })
    };
}

/**
 * The input or forward hook: state and ICMP errors first (in IPv6 also neighbour discovery and
 * MLD toward the device itself, without which IPv6 does not work on a link), then each edge's
 * chain (and a firewall's policy).
 */
function baseChain(
    hook: 'input' | 'forward',
    interfaces: string[],
    firewall: FilterChain | undefined,
    ipv6: boolean
): FilterChain | undefined {
    if (interfaces.length === 0 && !firewall) return undefined;
    const rules: FilterRule[] = [
        {
            icmpTypes: ICMP_ERRORS,
            match: { family: 4 },
            verdict: { kind: 'accept' },
            comment: 'ICMP errors are never filtered'
        },
        ...(ipv6
            ? [
                  {
                      icmpTypes: ICMPV6_ERRORS,
                      match: { family: 6 as const },
                      verdict: { kind: 'accept' as const },
                      comment: 'ICMPv6 errors are never filtered'
                  },
                  ...(hook === 'input'
                      ? [
                            {
                                icmpTypes: ICMPV6_LINK,
                                match: { family: 6 as const },
                                verdict: { kind: 'accept' as const },
                                comment: 'neighbour discovery and MLD are never filtered'
                            }
                        ]
                      : [])
              ]
            : []),
        {
            ctState: ['established', 'related'],
            ctMark: { value: ONEWAY_CT_MARK, equal: false },
            match: {},
            verdict: { kind: 'accept' },
            comment: 'replies of allowed connections'
        },
        ...interfaces.map((iface): FilterRule => ({
            iif: { names: [iface], negate: false },
            match: {},
            verdict: { kind: 'jump', chain: chainName(iface) },
            comment: ''
        }))
    ];
    if (firewall)
        rules.push({
            match: {},
            verdict: { kind: 'jump', chain: firewall.name },
            comment: 'a firewall holds everything it forwards to the policy'
        });
    return { table: TABLE_NAME, name: hook, base: { hook, priority: PRIORITIES.filter, policy: 'accept' }, rules };
}

/**
 * For each source space, the requirements (in the given order) some of whose packets come from
 * it: an index of the spaces' intervals, searched by each requirement's sources.
 */
function bySource<A extends Bound>(
    spaces: IntervalSet<A>[],
    requirements: Requirement[],
    sourcesOf: (requirement: Requirement) => IntervalSet<A>
): Requirement[][] {
    const index = spaces
        .flatMap((space, place) => space.intervals.map(([lo, hi]) => ({ lo, hi, place })))
        .sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    const out = spaces.map(() => [] as Requirement[]);
    // Two externals with the same prefixes overlap: then every requirement is matched against every space.
    if (index.some((entry, i) => i > 0 && entry.lo <= index[i - 1].hi)) {
        for (const requirement of requirements) {
            spaces.forEach((space, place) => {
                if (sourcesOf(requirement).intersects(space)) out[place].push(requirement);
            });
        }
        return out;
    }
    for (const requirement of requirements) {
        const places = new Set<number>();
        for (const [lo, hi] of sourcesOf(requirement).intervals) {
            // The first interval ending at or after lo; spaces are disjoint, so scan while they start by hi.
            let low = 0;
            let high = index.length;
            while (low < high) {
                const mid = (low + high) >> 1;
                if (index[mid].hi < lo) low = mid + 1;
                else high = mid;
            }
            for (let i = low; i < index.length && index[i].lo <= hi; i++) places.add(index[i].place);
        }
        for (const place of places) out[place].push(requirement);
    }
    return out;
}

/**
 * For each edge, the requirements (in the given order) some of whose packets come from it, in
 * either family (IPv6 looked at only where some requirement has IPv6 packets).
 */
function requirementsByEdge(
    edges: Place[],
    requirements: Requirement[],
    sourcesOf: (requirement: Requirement) => Addresses
): Requirement[][] {
    const v4 = bySource(
        edges.map(p => p.hosts),
        requirements,
        r => sourcesOf(r).v4
    );
    const with6 = requirements.filter(r => !sourcesOf(r).v6.isEmpty());
    if (with6.length === 0) return v4;
    const v6 = bySource(
        edges.map(p => p.hosts6),
        with6,
        r => sourcesOf(r).v6
    );
    const position = new Map(requirements.map((r, i) => [r, i]));
    return v4.map((mine, edge) => {
        if (v6[edge].length === 0) return mine;
        const both = new Set([...mine, ...v6[edge]]);
        return [...both].sort((a, b) => position.get(a)! - position.get(b)!);
    });
}

function rulesFor(requirement: Requirement, packets: PacketSet): FilterRule[] {
    const accept = requirement.kind === 'allow';
    const oneway = accept && !requirement.stateful;
    const comment = `${requirement.intent}: ${requirement.kind} (${where(requirement)})${oneway ? ' oneway' : ''}`;
    return [...packets.cubes.map(matchOf), ...packets.cubes6.map(matchOf6)].map(match => ({
        match,
        verdict: { kind: accept ? 'accept' : 'drop' },
        comment,
        ...(oneway ? { setCtMark: ONEWAY_CT_MARK } : {})
    }));
}

function where(requirement: Requirement): string {
    return `${path.basename(requirement.location.file)}:${requirement.location.range.start.line}`;
}

/** An IPv4 cube as a match; fields that match everything are left out. */
export function matchOf(cube: Cube): PacketMatch {
    const match: PacketMatch = { family: 4 };
    if (!cube.src.equals(ALL_ADDRESSES)) match.src = ranges(cube.src);
    if (!cube.dst.equals(ALL_ADDRESSES)) match.dst = ranges(cube.dst);
    return { ...match, ...transport(cube) };
}

/** An IPv6 cube as a match, likewise. */
export function matchOf6(cube: Cube6): PacketMatch {
    const match: PacketMatch = { family: 6 };
    if (!cube.src.equals(ALL_ADDRESSES6)) match.src6 = ranges(cube.src);
    if (!cube.dst.equals(ALL_ADDRESSES6)) match.dst6 = ranges(cube.dst);
    return { ...match, ...transport(cube) };
}

/** What a cube tests above the addresses. */
function transport(cube: Cube<Bound>): PacketMatch {
    const match: PacketMatch = {};
    if (!cube.protocol.equals(ALL_PROTOCOLS)) match.protocols = ranges(cube.protocol);
    if (!cube.dstPort.equals(ALL_PORTS)) match.dstPorts = ranges(cube.dstPort);
    if (!cube.srcPort.equals(ALL_PORTS)) match.srcPorts = ranges(cube.srcPort);
    return match;
}

function ranges<A extends Bound>(set: IntervalSet<A>): ReadonlyArray<readonly [A, A]> {
    return set.intervals.map(([lo, hi]) => [lo, hi] as const);
}

/** How much a set covers, to put narrower statements first. */
function volume(set: PacketSet): number {
    return measure(set).volume;
}
