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
import { IntervalSet } from '../net/interval-set.js';
import { ALL_PORTS, ALL_PROTOCOLS, PacketSet, type Cube } from '../net/packet-set.js';
import type { FilterChain, FilterRule, PacketFilter, PacketMatch, Ranges } from '../config/model.js';
import { chainName, ONEWAY_CT_MARK, PRIORITIES, TABLE_NAME } from '../config/nftables/render.js';
import { requirementFingerprint } from '../intent/fingerprint.js';
import { placesOf, type Place } from '../twin/places.js';

/** ICMP errors pass every filter netintent writes: path MTU discovery and traceroute need them. */
export const ICMP_ERRORS = ['destination-unreachable', 'time-exceeded', 'parameter-problem'] as const;
const FIREWALL_CHAIN = 'firewall';
const GUARD_CHAIN = 'guard';

/**
 * What the filters of the last compile were made from, so that the next one reuses what is the
 * same: each chain by what it was made from, and each requirement's rules at each place (a rule
 * that stays the same stays the same object, which tells the verifier so).
 */
export interface FilterCache {
    /** By chain id: what it was made from (fingerprints, compared item by item), and the chain. */
    chains: Map<string, { key: readonly string[]; chain: FilterChain | undefined }>;
    /** By place, then by requirement fingerprint. */
    rules: Map<string, Map<string, FilterRule[]>>;
    filters: Map<string, PacketFilter>;
}

/**
 * Every device's packet filter. A chain whose inputs (by fingerprint) are those it was made from
 * last time is taken from `previous` as it was; a device whose chains are all the same keeps its
 * filter object.
 */
export function compileFilters(program: IntentProgram, previous?: FilterCache): { byDevice: Map<string, PacketFilter>; cache: FilterCache } {
    const requirements = program.intents.flatMap(i => i.requirements).filter(r => r.kind !== 'allow' || !r.effective.isEmpty());
    const ordered = [...requirements].sort((a, b) => volume(a.effective) - volume(b.effective));
    const edges = placesOf(program.twin).filter(p => p.interface !== undefined);
    const relevant = bySource(edges.map(p => p.hosts), ordered);
    const defaultRule: FilterRule = program.defaultRequirement
        ? { match: {}, verdict: { kind: 'drop' }, comment: `default deny (${where(program.defaultRequirement)})` }
        : { match: {}, verdict: { kind: 'accept' }, comment: '' };
    const defaultKey = program.defaultRequirement ? requirementFingerprint(program.defaultRequirement) : 'allow';
    const cache: FilterCache = { chains: new Map(), rules: new Map(), filters: new Map() };
    /** The chain made from `key` last time, or a new one. */
    const chain = (id: string, key: readonly string[], make: () => FilterChain | undefined): FilterChain | undefined => {
        const before = previous?.chains.get(id);
        const made = before && sameKey(before.key, key) ? before.chain : make();
        cache.chains.set(id, { key, chain: made });
        return made;
    };
    /** Rules made from `id` at `place` last time, or new ones: a rule that stays the same stays the same object. */
    const cached = (place: string, id: string, make: () => FilterRule[]): FilterRule[] => {
        let here = cache.rules.get(place);
        if (!here) cache.rules.set(place, here = new Map());
        const rules = here.get(id) ?? previous?.rules.get(place)?.get(id) ?? make();
        here.set(id, rules);
        return rules;
    };
    const rulesOf = (place: string, requirement: Requirement, packets: () => PacketSet) =>
        cached(place, requirementFingerprint(requirement), () => rulesFor(requirement, packets()));
    const keyOf = (mine: Requirement[]) => [defaultKey, ...mine.map(requirementFingerprint)];
    /** The chain's last rule: the default. Looked up also where the chain is kept, so that it stays the same object. */
    const finalRule = (place: string) => cached(place, `default\n${defaultKey}`, () => [{ ...defaultRule }]);

    const firewallChain = (device: string) => {
        const place = `firewall ${device}`;
        const rules = ordered.flatMap(r => rulesOf(place, r, () => r.effective));
        const last = finalRule(place);
        return chain(`firewall\n${device}`, keyOf(ordered), () => ({ table: TABLE_NAME, name: FIREWALL_CHAIN, rules: [...rules, ...last] }));
    };

    const edgeChains = new Map<string, Array<{ edge: Place; chain: FilterChain }>>();
    edges.forEach((edge, index) => {
        const mine = relevant[index];
        const from = PacketSet.cube({ src: edge.hosts });
        const place = `${edge.device}:${edge.interface}`;
        // Looked up whether or not the chain is kept: a kept chain's rules stay cached for the next compile.
        const rules = mine.flatMap(r => rulesOf(place, r, () => r.effective.intersect(from)));
        const last = finalRule(place);
        const made = chain(`edge\n${place}`, keyOf(mine), () => (rules.length === 0 && !program.defaultRequirement
            ? undefined
            : { table: TABLE_NAME, name: chainName(edge.interface!), rules: [...rules, ...last] }));
        if (!made) return;
        const list = edgeChains.get(edge.device) ?? [];
        list.push({ edge, chain: made });
        edgeChains.set(edge.device, list);
    });

    const edgesOf = new Map<string, Place[]>();
    for (const edge of edges) edgesOf.set(edge.device, [...(edgesOf.get(edge.device) ?? []), edge]);
    const byDevice = new Map<string, PacketFilter>();
    for (const device of program.twin.devices.values()) {
        const myEdges = edgesOf.get(device.name) ?? [];
        // Anti-spoofing depends on the twin alone, and a compile reuses nothing of another twin's.
        const guard = chain(`guard\n${device.name}`, [], () => guardChain(myEdges));
        const firewall = device.role === 'firewall' && (ordered.length > 0 || program.defaultRequirement) ? firewallChain(device.name) : undefined;
        const jumps = edgeChains.get(device.name) ?? [];
        const frameKey = [...jumps.map(j => j.edge.interface!), firewall ? FIREWALL_CHAIN : ''];
        const input = chain(`input\n${device.name}`, frameKey, () => baseChain('input', jumps.map(j => j.edge.interface!), undefined));
        const forward = chain(`forward\n${device.name}`, frameKey, () => baseChain('forward', jumps.map(j => j.edge.interface!), firewall));
        const chains = [guard, input, forward, ...jumps.map(j => j.chain), firewall].filter((c): c is FilterChain => c !== undefined);
        const before = previous?.filters.get(device.name);
        const filter = before && before.chains.length === chains.length && before.chains.every((c, i) => c === chains[i]) ? before : { chains };
        cache.filters.set(device.name, filter);
        byDevice.set(device.name, filter);
    }
    return { byDevice, cache };
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** BCP 38 at each edge of the device: packets from a source the edge does not hold are dropped. */
function guardChain(edges: Place[]): FilterChain | undefined {
    if (edges.length === 0) return undefined;
    return {
        table: TABLE_NAME, name: GUARD_CHAIN,
        base: { hook: 'prerouting', priority: PRIORITIES.raw, policy: 'accept' },
        rules: edges.map(edge => ({
            iif: { names: [edge.interface!], negate: false },
            match: { src: ranges(IntervalSet.of(0, 0xffffffff).subtract(edge.hosts)) },
            verdict: { kind: 'drop' },
            comment: `anti-spoofing: ${edge.name} sends only from its own addresses`
        }))
    };
}

/** The input or forward hook: state and ICMP errors first, then each edge's chain (and a firewall's policy). */
function baseChain(hook: 'input' | 'forward', interfaces: string[], firewall: FilterChain | undefined): FilterChain | undefined {
    if (interfaces.length === 0 && !firewall) return undefined;
    const rules: FilterRule[] = [
        { icmpTypes: ICMP_ERRORS, match: {}, verdict: { kind: 'accept' }, comment: 'ICMP errors are never filtered' },
        { ctState: ['established', 'related'], ctMark: { value: ONEWAY_CT_MARK, equal: false }, match: {}, verdict: { kind: 'accept' }, comment: 'replies of allowed connections' },
        ...interfaces.map((iface): FilterRule => ({ iif: { names: [iface], negate: false }, match: {}, verdict: { kind: 'jump', chain: chainName(iface) }, comment: '' }))
    ];
    if (firewall) rules.push({ match: {}, verdict: { kind: 'jump', chain: firewall.name }, comment: 'a firewall holds everything it forwards to the policy' });
    return { table: TABLE_NAME, name: hook, base: { hook, priority: PRIORITIES.filter, policy: 'accept' }, rules };
}

/**
 * For each source space, the requirements (in the given order) some of whose packets come from
 * it: an index of the spaces' intervals, searched by each requirement's source intervals.
 */
function bySource(spaces: IntervalSet[], requirements: Requirement[]): Requirement[][] {
    const index = spaces.flatMap((space, place) => space.intervals.map(([lo, hi]) => ({ lo, hi, place }))).sort((a, b) => a.lo - b.lo);
    const out = spaces.map(() => [] as Requirement[]);
    // Two externals with the same prefixes overlap: then every requirement is matched against every space.
    if (index.some((entry, i) => i > 0 && entry.lo <= index[i - 1].hi)) {
        for (const requirement of requirements) {
            spaces.forEach((space, place) => {
                if (requirement.effective.cubes.some(c => c.src.intersects(space))) out[place].push(requirement);
            });
        }
        return out;
    }
    for (const requirement of requirements) {
        const places = new Set<number>();
        for (const cube of requirement.effective.cubes) {
            for (const [lo, hi] of cube.src.intervals) {
                // The first interval ending at or after lo; spaces are disjoint, so scan while they start by hi.
                let low = 0;
                let high = index.length;
                while (low < high) {
                    const mid = (low + high) >> 1;
                    if (index[mid].hi < lo) low = mid + 1; else high = mid;
                }
                for (let i = low; i < index.length && index[i].lo <= hi; i++) places.add(index[i].place);
            }
        }
        for (const place of places) out[place].push(requirement);
    }
    return out;
}

function rulesFor(requirement: Requirement, packets: PacketSet): FilterRule[] {
    const accept = requirement.kind === 'allow';
    const oneway = accept && !requirement.stateful;
    const comment = `${requirement.intent}: ${requirement.kind} (${where(requirement)})${oneway ? ' oneway' : ''}`;
    return packets.cubes.map(cube => ({
        match: matchOf(cube), verdict: { kind: accept ? 'accept' : 'drop' }, comment, ...(oneway ? { setCtMark: ONEWAY_CT_MARK } : {})
    }));
}

function where(requirement: Requirement): string {
    return `${path.basename(requirement.location.file)}:${requirement.location.range.start.line}`;
}

/** A cube as a match; fields that match everything are left out. */
export function matchOf(cube: Cube): PacketMatch {
    const match: PacketMatch = {};
    const full = (set: IntervalSet, all: IntervalSet) => set.equals(all);
    if (!full(cube.src, IntervalSet.of(0, 0xffffffff))) match.src = ranges(cube.src);
    if (!full(cube.dst, IntervalSet.of(0, 0xffffffff))) match.dst = ranges(cube.dst);
    if (!full(cube.protocol, ALL_PROTOCOLS)) match.protocols = ranges(cube.protocol);
    if (!full(cube.dstPort, ALL_PORTS)) match.dstPorts = ranges(cube.dstPort);
    if (!full(cube.srcPort, ALL_PORTS)) match.srcPorts = ranges(cube.srcPort);
    return match;
}

function ranges(set: IntervalSet): Ranges {
    return set.intervals.map(([lo, hi]) => [lo, hi] as const);
}

/** How much a set covers, to put narrower statements first. */
function volume(set: PacketSet): number {
    return set.cubes.reduce((sum, c) => sum + c.src.size() * c.dst.size() * c.protocol.size() * c.dstPort.size(), 0);
}
