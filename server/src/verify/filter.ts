/**
 * What a device's packet filter (nftables) does to a set of packets at one netfilter hook: the
 * hook's base chains in the order of their priorities, each chain's rules in order, jumps, gotos,
 * returns and policies, exactly over packet-header sets. What a rule tests beyond the headers
 * (interfaces, connection state and mark) the trace that asks decides: it knows where the
 * packets come from and whether their connection was seen here before.
 *
 * ICMP: the verifier's ICMP packets are echo requests, and their replies echo replies (`icmp`
 * in an intent means ping); ICMP errors are never filtered by what netintent writes and are
 * not packets any requirement speaks of.
 */
import { compareBounds, IntervalSet, type Bound } from '../net/interval-set.js';
import { PacketSet, type Cube } from '../net/packet-set.js';
import {
    matchFamily,
    type FilterChain,
    type FilterHook,
    type FilterRule,
    type NameMatch,
    type PacketFilter,
    type PacketMatch,
    type Ranges,
    type Ranges6
} from '../config/model.js';

export interface HookContext {
    /** The interface the packets arrived on; none for packets the device sends itself. */
    iif?: string;
    /** The interface they leave by, where the hook knows it (forward, output, postrouting). */
    oif?: string;
    /** 'established' for packets of a connection this device has seen (replies, here), else 'new'. */
    state: 'new' | 'established';
    /** The connection's mark on this device (0 unless a rule marked it when it was accepted here). */
    ctMark: number;
    /** The packets' own mark (`meta mark`): 0 as they arrive. */
    mark: number;
    /** Replies: their ICMP is echo replies. */
    reply: boolean;
}

export interface Dropped {
    packets: PacketSet;
    /** The rule that dropped them; none where a base chain's policy did. */
    rule?: FilterRule;
    chain: FilterChain;
}

/** Packets that go on, with the marks a rule gave them or their connection. */
export interface Marked {
    packets: PacketSet;
    ctMark: number;
    mark: number;
}

/** Shared by every caller that asks the same (see FilterEvaluator.run): never changed. */
export interface HookResult {
    readonly accepted: readonly Marked[];
    readonly dropped: readonly Dropped[];
}

/** nft refuses deeper jump chains; a read file with more is not modelled (the parser says so). */
const MAX_DEPTH = 16;
const TCP_UDP = IntervalSet.fromIntervals([
    [6, 6],
    [17, 17]
]);
const ICMP = IntervalSet.of(1, 1);
const ICMPV6 = IntervalSet.of(58, 58);

interface ChainOutcome {
    accepted: Marked[];
    dropped: Dropped[];
    /** What no rule decided, or a `return` sent back: the caller's to decide. */
    fallthrough: Marked[];
}

/** A device's filter prepared for evaluation: base chains by hook, chains by name. */
export class FilterEvaluator {
    private readonly hooks = new Map<FilterHook, FilterChain[]>();
    private readonly chains = new Map<string, FilterChain>();
    private readonly oifHooks = new Set<FilterHook>();
    private readonly matches = new Map<FilterChain, { forward?: ChainMatches; reply?: ChainMatches }>();
    private readonly results = new WeakMap<PacketSet, Map<string, HookResult>>();

    constructor(filter: PacketFilter) {
        for (const chain of filter.chains) {
            this.chains.set(chainKey(chain.table, chain.name), chain);
            if (!chain.base) continue;
            const list = this.hooks.get(chain.base.hook) ?? [];
            list.push(chain);
            this.hooks.set(chain.base.hook, list);
        }
        // Equal priorities run in the order the chains were declared, as nft registers them.
        for (const list of this.hooks.values()) list.sort((a, b) => a.base!.priority - b.base!.priority);
        for (const [hook, list] of this.hooks)
            if (list.some(chain => this.testsOif(chain, new Set()))) this.oifHooks.add(hook);
    }

    /** Whether the hook has any base chain (else it accepts everything). */
    has(hook: FilterHook): boolean {
        return this.hooks.has(hook);
    }

    /** Whether what the hook decides can depend on the interface packets leave by. */
    dependsOnOif(hook: FilterHook): boolean {
        return this.oifHooks.has(hook);
    }

    /**
     * What the hook does, memoised by the very packet set (and hook and context): filters do not
     * change under failures, so the traces of every failure set meet the same sets, and since a
     * result's sets are the same objects each time, so do the hops after it.
     */
    run(hook: FilterHook, packets: PacketSet, context: HookContext): HookResult {
        let byContext = this.results.get(packets);
        if (!byContext) this.results.set(packets, (byContext = new Map()));
        const key = `${hook}\n${context.iif ?? ''}\n${context.oif ?? ''}\n${context.state}\n${context.ctMark}\n${context.mark}\n${context.reply}`;
        let result = byContext.get(key);
        if (!result) byContext.set(key, (result = this.evaluate(hook, packets, context)));
        return result;
    }

    private evaluate(hook: FilterHook, packets: PacketSet, context: HookContext): HookResult {
        const result: { accepted: Marked[]; dropped: Dropped[] } = { accepted: [], dropped: [] };
        let groups: Marked[] = [{ packets, ctMark: context.ctMark, mark: context.mark }];
        for (const chain of this.hooks.get(hook) ?? []) {
            // An accept ends one base chain; the next one on the hook still sees the packet.
            const next: Marked[] = [];
            for (const group of groups) {
                const outcome = this.runChain(
                    chain,
                    group.packets,
                    { ...context, ctMark: group.ctMark, mark: group.mark },
                    0,
                    0
                );
                result.dropped.push(...outcome.dropped);
                next.push(...outcome.accepted);
                for (const rest of outcome.fallthrough) {
                    if (chain.base!.policy === 'accept') next.push(rest);
                    else result.dropped.push({ packets: rest.packets, chain });
                }
            }
            groups = byMarks(next.filter(g => !g.packets.isEmpty()));
        }
        result.accepted = groups;
        return result;
    }

    /**
     * A superset of the packets the hooks may drop, mark or rewrite in this context: what any
     * rule that does so (reachable from the hooks' base chains, its interface and connection
     * tests holding here) matches; everything where a base chain's policy drops.
     */
    mayAlter(hooks: readonly FilterHook[], context: HookContext): PacketSet {
        const rules = this.alteringRules(hooks, context);
        return rules === 'all'
            ? PacketSet.ALL
            : rules.reduce((set, rule) => set.union(ruleSet(rule, context)), PacketSet.EMPTY);
    }

    /** The rules whose matches make up mayAlter: those that drop, mark or rewrite; 'all' where a base chain's policy drops. */
    alteringRules(hooks: readonly FilterHook[], context: HookContext): FilterRule[] | 'all' {
        const rules: FilterRule[] = [];
        for (const chain of hooks.flatMap(hook => this.hooks.get(hook) ?? [])) {
            if (this.collectAltering(chain, 0, context, true, new Set(), rules) === 'all') return 'all';
        }
        return rules;
    }

    /**
     * A superset of the packets whose fate at these hooks may depend on their connection (its
     * state, direction or mark), for packets on these interfaces: what a rule that tests the
     * connection matches where it matters — for an `accept` that changes nothing, only what the
     * rest of its chain would treat otherwise.
     */
    connectionSensitive(hooks: readonly FilterHook[], context: Pick<HookContext, 'iif' | 'oif' | 'reply'>): PacketSet {
        let sensitive = PacketSet.EMPTY;
        const ruleContext: HookContext = { ...context, state: 'new', ctMark: 0, mark: 0 };
        const visit = (chain: FilterChain, seen: Set<FilterChain>): void => {
            if (seen.has(chain)) return;
            seen.add(chain);
            chain.rules.forEach((rule, index) => {
                if (!interfacesMayHold(rule, context)) return;
                const verdict = rule.verdict;
                if (verdict.kind === 'jump' || verdict.kind === 'goto')
                    visit(this.chains.get(chainKey(chain.table, verdict.chain))!, seen);
                if (rule.ctState === undefined && rule.ctDirection === undefined && rule.ctMark === undefined) return;
                const matched = ruleSet(rule, ruleContext);
                const plainAccept =
                    verdict.kind === 'accept' &&
                    rule.setMark === undefined &&
                    rule.setCtMark === undefined &&
                    rule.setDscp === undefined;
                // Accepted or not, the packets meet the same unless the rest of the chain alters them.
                sensitive = sensitive.union(
                    plainAccept && chain.base
                        ? matched.intersect(this.alteredFrom(chain, index + 1, ruleContext, false, new Set()))
                        : matched
                );
            });
        };
        for (const chain of hooks.flatMap(hook => this.hooks.get(hook) ?? [])) visit(chain, new Set());
        return sensitive;
    }

    /**
     * What the rules of a chain from `start` on (and the chains they jump to) may drop, mark or
     * rewrite, and everything where the chain is a base chain whose policy drops. `connection`:
     * whether rules that test the connection are taken as the context says, or as maybe holding.
     */
    private alteredFrom(
        chain: FilterChain,
        start: number,
        context: HookContext,
        connection: boolean,
        seen: Set<FilterChain>
    ): PacketSet {
        const rules: FilterRule[] = [];
        if (this.collectAltering(chain, start, context, connection, seen, rules) === 'all') return PacketSet.ALL;
        return rules.reduce((set, rule) => set.union(ruleSet(rule, context)), PacketSet.EMPTY);
    }

    /** The altering rules of alteredFrom, gathered into `rules`; 'all' where a base chain's policy drops. */
    private collectAltering(
        chain: FilterChain,
        start: number,
        context: HookContext,
        connection: boolean,
        seen: Set<FilterChain>,
        rules: FilterRule[]
    ): 'all' | undefined {
        if (chain.base && chain.base.policy !== 'accept') return 'all';
        if (seen.has(chain)) return undefined;
        seen.add(chain);
        for (const rule of chain.rules.slice(start)) {
            if (connection ? !conditionsHold(rule, context) : !interfacesMayHold(rule, context)) continue;
            const verdict = rule.verdict;
            if (
                verdict.kind === 'drop' ||
                rule.setMark !== undefined ||
                rule.setCtMark !== undefined ||
                rule.setDscp !== undefined
            )
                rules.push(rule);
            if (
                (verdict.kind === 'jump' || verdict.kind === 'goto') &&
                this.collectAltering(
                    this.chains.get(chainKey(chain.table, verdict.chain))!,
                    0,
                    context,
                    connection,
                    seen,
                    rules
                ) === 'all'
            )
                return 'all';
        }
        return undefined;
    }

    /** The chain's rules from `start` on; a rule that marks packets goes on with them under their new mark. */
    private runChain(
        chain: FilterChain,
        packets: PacketSet,
        context: HookContext,
        depth: number,
        start: number
    ): ChainOutcome {
        if (depth > MAX_DEPTH) throw new Error(`filter chains nest deeper than ${MAX_DEPTH} at ${chain.name}`);
        const outcome: ChainOutcome = { accepted: [], dropped: [], fallthrough: [] };
        const here = (set: PacketSet): Marked => ({ packets: set, ctMark: context.ctMark, mark: context.mark });
        let remaining = packets;
        // Where the packets' addresses lie: a rule whose addresses lie elsewhere is passed by at once.
        const extent = addressExtent(packets);
        const matches = this.matchesOf(chain, context.reply);
        for (const index of matches.meeting(extent, start)) {
            const rule = chain.rules[index];
            if (remaining.isEmpty()) break;
            if (!conditionsHold(rule, context)) continue;
            let matched = remaining.intersect(matches.sets[index]);
            if (matched.isEmpty()) continue;
            remaining = remaining.subtract(matched);
            if (rule.setDscp !== undefined) matched = matched.withDscp(rule.setDscp);
            if (rule.setMark !== undefined && rule.setMark !== context.mark) {
                // Marked packets meet the rest of the chain as packets of another mark.
                const marked = this.runChain(
                    chain,
                    matched,
                    { ...context, mark: rule.setMark },
                    depth,
                    rule.verdict.kind === 'continue' ? index + 1 : index
                );
                merge(outcome, marked);
                continue;
            }
            const verdict = rule.verdict;
            switch (verdict.kind) {
                case 'continue':
                    remaining = remaining.union(matched);
                    continue;
                case 'accept':
                    outcome.accepted.push({
                        packets: matched,
                        ctMark: rule.setCtMark ?? context.ctMark,
                        mark: context.mark
                    });
                    continue;
                case 'drop':
                    outcome.dropped.push({ packets: matched, rule, chain });
                    continue;
                case 'return':
                    outcome.fallthrough.push(here(matched));
                    continue;
                case 'jump':
                case 'goto': {
                    const target = this.chains.get(chainKey(chain.table, verdict.chain));
                    if (!target) throw new Error(`no chain ${verdict.chain} in table ${chain.table}`);
                    const inner = this.runChain(target, matched, context, depth + 1, 0);
                    outcome.accepted.push(...inner.accepted);
                    outcome.dropped.push(...inner.dropped);
                    if (verdict.kind === 'goto') {
                        // What the chain gone to returns, returns from this chain too.
                        outcome.fallthrough.push(...inner.fallthrough);
                    } else {
                        // After a jump, the rest of this chain: under the mark each part came back with.
                        for (const back of inner.fallthrough) {
                            if (back.mark === context.mark) remaining = remaining.union(back.packets);
                            else
                                merge(
                                    outcome,
                                    this.runChain(
                                        chain,
                                        back.packets,
                                        { ...context, mark: back.mark },
                                        depth,
                                        index + 1
                                    )
                                );
                        }
                    }
                    continue;
                }
            }
        }
        // Off the end of a regular chain is a return; of a base chain, its policy (the caller's).
        if (!remaining.isEmpty()) outcome.fallthrough.push(here(remaining));
        return outcome;
    }

    /** Each rule's packet set and address extent, for packets or for replies (ICMP types differ), computed once per chain. */
    private matchesOf(chain: FilterChain, reply: boolean): ChainMatches {
        let both = this.matches.get(chain);
        if (!both) this.matches.set(chain, (both = {}));
        const key = reply ? 'reply' : 'forward';
        return (both[key] ??= new ChainMatches(chain.rules.map(rule => ruleSet(rule, { reply }))));
    }

    private testsOif(chain: FilterChain, seen: Set<FilterChain>): boolean {
        if (seen.has(chain)) return false;
        seen.add(chain);
        return chain.rules.some(
            rule =>
                rule.oif !== undefined ||
                ((rule.verdict.kind === 'jump' || rule.verdict.kind === 'goto') &&
                    this.testsOifIn(chain.table, rule.verdict.chain, seen))
        );
    }

    private testsOifIn(table: string, name: string, seen: Set<FilterChain>): boolean {
        const chain = this.chains.get(chainKey(table, name));
        return chain !== undefined && this.testsOif(chain, seen);
    }
}

function merge(into: ChainOutcome, from: ChainOutcome): void {
    into.accepted.push(...from.accepted);
    into.dropped.push(...from.dropped);
    into.fallthrough.push(...from.fallthrough);
}

function chainKey(table: string, name: string): string {
    return `${table}\n${name}`;
}

function conditionsHold(rule: FilterRule, context: HookContext): boolean {
    if (rule.iif && !namesMatch(rule.iif, context.iif ?? '')) return false;
    if (rule.oif && !namesMatch(rule.oif, context.oif ?? '')) return false;
    if (rule.ctState && !rule.ctState.includes(context.state)) return false;
    // A reply is one only where its connection was seen: elsewhere conntrack takes it for a new one.
    if (
        rule.ctDirection &&
        rule.ctDirection !== (context.reply && context.state === 'established' ? 'reply' : 'original')
    )
        return false;
    if (rule.ctMark && (context.ctMark === rule.ctMark.value) !== rule.ctMark.equal) return false;
    return true;
}

/** Whether a rule's interface tests may hold here (an outgoing interface not yet known may be any). */
function interfacesMayHold(rule: FilterRule, context: Pick<HookContext, 'iif' | 'oif'>): boolean {
    if (rule.iif && !namesMatch(rule.iif, context.iif ?? '')) return false;
    return !rule.oif || context.oif === undefined || namesMatch(rule.oif, context.oif);
}

/** nft's interface names: exact, or a prefix ending in `*`. */
function namesMatch(match: NameMatch, name: string): boolean {
    const found = match.names.some(n => (n.endsWith('*') ? name.startsWith(n.slice(0, -1)) : n === name));
    return found !== match.negate;
}

/**
 * The smallest and largest source and destination addresses of a set's cubes, per family
 * (memoised); an empty IPv4 extent runs from Infinity down, an empty IPv6 one is absent.
 */
interface AddressExtent {
    src: [number, number];
    dst: [number, number];
    v6?: { src: [bigint, bigint]; dst: [bigint, bigint] };
}

const extents = new WeakMap<PacketSet, AddressExtent>();

function addressExtent(set: PacketSet): AddressExtent {
    let extent = extents.get(set);
    if (!extent) {
        extent = { src: [Infinity, -Infinity], dst: [Infinity, -Infinity] };
        for (const cube of set.cubes) {
            for (const field of ['src', 'dst'] as const) {
                const intervals = cube[field].intervals;
                if (intervals.length === 0) continue;
                extent[field][0] = Math.min(extent[field][0], intervals[0][0]);
                extent[field][1] = Math.max(extent[field][1], intervals[intervals.length - 1][1]);
            }
        }
        for (const cube of set.cubes6) {
            const [src, dst] = [cube.src.intervals, cube.dst.intervals];
            if (src.length === 0 || dst.length === 0) continue;
            const [srcLo, srcHi, dstLo, dstHi] = [src[0][0], src[src.length - 1][1], dst[0][0], dst[dst.length - 1][1]];
            const v6 = (extent.v6 ??= { src: [srcLo, srcHi], dst: [dstLo, dstHi] });
            if (srcLo < v6.src[0]) v6.src[0] = srcLo;
            if (srcHi > v6.src[1]) v6.src[1] = srcHi;
            if (dstLo < v6.dst[0]) v6.dst[0] = dstLo;
            if (dstHi > v6.dst[1]) v6.dst[1] = dstHi;
        }
        extents.set(set, extent);
    }
    return extent;
}

function extentsMeet(a: AddressExtent, b: AddressExtent): boolean {
    return (
        (a.src[0] <= b.src[1] && b.src[0] <= a.src[1] && a.dst[0] <= b.dst[1] && b.dst[0] <= a.dst[1]) ||
        (a.v6 !== undefined &&
            b.v6 !== undefined &&
            a.v6.src[0] <= b.v6.src[1] &&
            b.v6.src[0] <= a.v6.src[1] &&
            a.v6.dst[0] <= b.v6.dst[1] &&
            b.v6.dst[0] <= a.v6.dst[1])
    );
}

/** Chains with fewer rules are searched rule by rule; longer ones through an index of their destinations. */
const INDEXED_RULES = 16;
/** Rules per block of the index: a block whose destinations all end before the packets' is passed at once. */
const BLOCK = 16;

/**
 * A chain's rules as packet sets, and which of them the packets at hand may meet. A chain can hold
 * hundreds of rules (steering on every device, in each family), each matching a few addresses: per
 * family, the rules are sorted by where their destinations start, in blocks that know how far
 * their destinations reach, so a lookup visits the blocks about the packets' destinations, not
 * the chain.
 */
class ChainMatches {
    private readonly extents: AddressExtent[];
    private byDestination?: { v4: DestinationIndex<number>; v6: DestinationIndex<bigint> };

    constructor(readonly sets: readonly PacketSet[]) {
        this.extents = sets.map(addressExtent);
    }

    /** The rules from `start` on whose addresses meet the extent, in the chain's order. */
    meeting(extent: AddressExtent, start: number): number[] {
        if (this.sets.length < INDEXED_RULES) {
            const found: number[] = [];
            for (let i = start; i < this.sets.length; i++) if (extentsMeet(extent, this.extents[i])) found.push(i);
            return found;
        }
        const index = (this.byDestination ??= {
            v4: destinationIndex(this.extents.map(e => e.dst)),
            v6: destinationIndex(this.extents.map(e => e.v6?.dst))
        });
        // A rule with packets of both families may be found in each.
        const found = new Set<number>();
        const visit = (i: number) => {
            if (i >= start && extentsMeet(extent, this.extents[i])) found.add(i);
        };
        rulesAbout(index.v4, extent.dst, visit);
        if (extent.v6) rulesAbout(index.v6, extent.v6.dst, visit);
        return [...found].sort((a, b) => a - b);
    }
}

/** Rule indices by where their destinations of one family start (rules without any left out), and per block the furthest end. */
interface DestinationIndex<A extends Bound> {
    order: number[];
    starts: A[];
    reach: A[];
}

function destinationIndex<A extends Bound>(
    destinations: ReadonlyArray<readonly [A, A] | undefined>
): DestinationIndex<A> {
    const order = destinations.flatMap((d, i) => (d && d[0] <= d[1] ? [i] : []));
    order.sort((a, b) => compareBounds(destinations[a]![0], destinations[b]![0]) || a - b);
    const starts = order.map(i => destinations[i]![0]);
    const reach: A[] = [];
    order.forEach((i, k) => {
        const block = Math.floor(k / BLOCK);
        const end = destinations[i]![1];
        if (reach[block] === undefined || end > reach[block]) reach[block] = end;
    });
    return { order, starts, reach };
}

/** Calls `visit` with each rule of the index whose destinations may meet [lo, hi]. */
function rulesAbout<A extends Bound>(
    index: DestinationIndex<A>,
    [lo, hi]: readonly [A, A],
    visit: (rule: number) => void
): void {
    const { order, starts, reach } = index;
    for (let block = 0; block * BLOCK < order.length; block++) {
        const first = block * BLOCK;
        if (starts[first] > hi) break;
        if (reach[block] < lo) continue;
        for (let k = first; k < Math.min(first + BLOCK, order.length) && starts[k] <= hi; k++) visit(order[k]);
    }
}

/** By match object: the steering rules of a flow share one match on every device they stand on. */
const matchSets = new WeakMap<PacketMatch, PacketSet>();

/** The packets a rule's header tests match (its ICMP types decided for this context). */
export function ruleSet(rule: FilterRule, context: Pick<HookContext, 'reply'>): PacketSet {
    let set = matchSets.get(rule.match);
    if (!set) matchSets.set(rule.match, (set = matchSet(rule.match)));
    if (!rule.icmpTypes) return set;
    if (!rule.icmpTypes.includes(context.reply ? 'echo-reply' : 'echo-request')) return PacketSet.EMPTY;
    return set.intersect(
        matchFamily(rule.match) === 6 ? PacketSet.cube6({ protocol: ICMPV6 }) : PacketSet.cube({ protocol: ICMP })
    );
}

/**
 * A match as a packet set (absent fields match anything), in its family or in both. Ports belong
 * to TCP and UDP: a match with ports takes other protocols whole, as the nft text it is written as does.
 */
export function matchSet(match: PacketMatch): PacketSet {
    const set = (ranges: Ranges | undefined) => ranges && IntervalSet.fromIntervals(ranges);
    const inFamily = <A extends Bound>(
        make: (fields: Partial<Cube<A>>) => PacketSet,
        src: IntervalSet<A> | undefined,
        dst: IntervalSet<A> | undefined
    ): PacketSet => {
        const base = { src, dst, dscp: set(match.dscp) };
        if (!match.dstPorts && !match.srcPorts) return make({ ...base, protocol: set(match.protocols) });
        const protocols = set(match.protocols) ?? IntervalSet.of(0, 255);
        const withPorts = make({
            ...base,
            protocol: protocols.intersect(TCP_UDP),
            dstPort: set(match.dstPorts),
            srcPort: set(match.srcPorts)
        });
        return withPorts.union(make({ ...base, protocol: protocols.subtract(TCP_UDP) }));
    };
    const family = matchFamily(match);
    const ipv4 = family === 6 ? PacketSet.EMPTY : inFamily(PacketSet.cube, set(match.src), set(match.dst));
    if (family === 4) return ipv4;
    const ranges6 = (ranges: Ranges6 | undefined) => ranges && IntervalSet.fromIntervals(ranges);
    return ipv4.union(inFamily(PacketSet.cube6, ranges6(match.src6), ranges6(match.dst6)));
}

/**
 * Groups under the same marks as one: what several accept rules let through (an IPv4 rule and
 * its IPv6 twin, say) goes on as one set, so the hops after it are traced once, not once per rule.
 */
function byMarks(groups: readonly Marked[]): Marked[] {
    const merged: Marked[] = [];
    for (const group of groups) {
        const same = merged.findIndex(m => m.ctMark === group.ctMark && m.mark === group.mark);
        if (same === -1) merged.push(group);
        else merged[same] = { ...merged[same], packets: merged[same].packets.union(group.packets) };
    }
    return merged;
}
