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
import { IntervalSet } from '../net/interval-set.js';
import { PacketSet } from '../net/packet-set.js';
import type { FilterChain, FilterHook, FilterRule, NameMatch, PacketFilter, PacketMatch } from '../config/model.js';

export interface HookContext {
    /** The interface the packets arrived on; none for packets the device sends itself. */
    iif?: string;
    /** The interface they leave by, where the hook knows it (forward, output, postrouting). */
    oif?: string;
    /** 'established' for packets of a connection this device has seen (replies, here), else 'new'. */
    state: 'new' | 'established';
    /** The connection's mark on this device (0 unless a rule marked it when it was accepted here). */
    ctMark: number;
    /** Replies: their ICMP is echo replies. */
    reply: boolean;
}

export interface Dropped {
    packets: PacketSet;
    /** The rule that dropped them; none where a base chain's policy did. */
    rule?: FilterRule;
    chain: FilterChain;
}

export interface HookResult {
    /** Accepted packets, by the mark their connection carries from here on. */
    accepted: Array<{ packets: PacketSet; ctMark: number }>;
    dropped: Dropped[];
}

/** nft refuses deeper jump chains; a read file with more is not modelled (the parser says so). */
const MAX_DEPTH = 16;
const TCP_UDP = IntervalSet.fromIntervals([[6, 6], [17, 17]]);
const ICMP = IntervalSet.of(1, 1);

/** A device's filter prepared for evaluation: base chains by hook, chains by name. */
export class FilterEvaluator {
    private readonly hooks = new Map<FilterHook, FilterChain[]>();
    private readonly chains = new Map<string, FilterChain>();
    private readonly oifHooks = new Set<FilterHook>();

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
        for (const [hook, list] of this.hooks) if (list.some(chain => this.testsOif(chain, new Set()))) this.oifHooks.add(hook);
    }

    /** Whether the hook has any base chain (else it accepts everything). */
    has(hook: FilterHook): boolean {
        return this.hooks.has(hook);
    }

    /** Whether what the hook decides can depend on the interface packets leave by. */
    dependsOnOif(hook: FilterHook): boolean {
        return this.oifHooks.has(hook);
    }

    run(hook: FilterHook, packets: PacketSet, context: HookContext): HookResult {
        const result: HookResult = { accepted: [], dropped: [] };
        let groups = [{ packets, ctMark: context.ctMark }];
        for (const chain of this.hooks.get(hook) ?? []) {
            // An accept ends one base chain; the next one on the hook still sees the packet.
            const next: typeof groups = [];
            for (const group of groups) {
                const outcome = this.runChain(chain, group.packets, { ...context, ctMark: group.ctMark }, 0);
                result.dropped.push(...outcome.dropped);
                next.push(...outcome.accepted);
                if (!outcome.fallthrough.isEmpty()) {
                    if (chain.base!.policy === 'accept') next.push({ packets: outcome.fallthrough, ctMark: group.ctMark });
                    else result.dropped.push({ packets: outcome.fallthrough, chain });
                }
            }
            groups = next.filter(g => !g.packets.isEmpty());
        }
        result.accepted = groups;
        return result;
    }

    private runChain(chain: FilterChain, packets: PacketSet, context: HookContext, depth: number): { accepted: HookResult['accepted']; dropped: Dropped[]; fallthrough: PacketSet } {
        if (depth > MAX_DEPTH) throw new Error(`filter chains nest deeper than ${MAX_DEPTH} at ${chain.name}`);
        const accepted: HookResult['accepted'] = [];
        const dropped: Dropped[] = [];
        let remaining = packets;
        // Packets a `goto`'s chain returned: they return from this chain too.
        let returned = PacketSet.EMPTY;
        for (const rule of chain.rules) {
            if (remaining.isEmpty()) break;
            if (!conditionsHold(rule, context)) continue;
            const matched = remaining.intersect(ruleSet(rule, context));
            if (matched.isEmpty()) continue;
            const verdict = rule.verdict;
            switch (verdict.kind) {
                case 'continue':
                    continue;
                case 'accept':
                    accepted.push({ packets: matched, ctMark: rule.setCtMark ?? context.ctMark });
                    break;
                case 'drop':
                    dropped.push({ packets: matched, rule, chain });
                    break;
                case 'return':
                    returned = returned.union(matched);
                    break;
                case 'jump':
                case 'goto': {
                    const target = this.chains.get(chainKey(chain.table, verdict.chain));
                    if (!target) throw new Error(`no chain ${verdict.chain} in table ${chain.table}`);
                    const inner = this.runChain(target, matched, context, depth + 1);
                    accepted.push(...inner.accepted);
                    dropped.push(...inner.dropped);
                    remaining = remaining.subtract(matched);
                    if (verdict.kind === 'jump') remaining = remaining.union(inner.fallthrough);
                    else returned = returned.union(inner.fallthrough);
                    continue;
                }
            }
            remaining = remaining.subtract(matched);
        }
        // Off the end of a regular chain is a return; of a base chain, its policy (the caller's).
        return { accepted, dropped, fallthrough: remaining.union(returned) };
    }

    private testsOif(chain: FilterChain, seen: Set<FilterChain>): boolean {
        if (seen.has(chain)) return false;
        seen.add(chain);
        return chain.rules.some(rule => rule.oif !== undefined || ((rule.verdict.kind === 'jump' || rule.verdict.kind === 'goto')
            && this.testsOifIn(chain.table, rule.verdict.chain, seen)));
    }

    private testsOifIn(table: string, name: string, seen: Set<FilterChain>): boolean {
        const chain = this.chains.get(chainKey(table, name));
        return chain !== undefined && this.testsOif(chain, seen);
    }
}

function chainKey(table: string, name: string): string {
    return `${table}\n${name}`;
}

function conditionsHold(rule: FilterRule, context: HookContext): boolean {
    if (rule.iif && !namesMatch(rule.iif, context.iif ?? '')) return false;
    if (rule.oif && !namesMatch(rule.oif, context.oif ?? '')) return false;
    if (rule.ctState && !rule.ctState.includes(context.state)) return false;
    if (rule.ctMark && (context.ctMark === rule.ctMark.value) !== rule.ctMark.equal) return false;
    return true;
}

/** nft's interface names: exact, or a prefix ending in `*`. */
function namesMatch(match: NameMatch, name: string): boolean {
    const found = match.names.some(n => (n.endsWith('*') ? name.startsWith(n.slice(0, -1)) : n === name));
    return found !== match.negate;
}

const ruleSets = new WeakMap<FilterRule, PacketSet>();

/** The packets a rule's header tests match (its ICMP types decided for this context). */
function ruleSet(rule: FilterRule, context: HookContext): PacketSet {
    if (rule.icmpTypes) {
        const ours = rule.icmpTypes.includes(context.reply ? 'echo-reply' : 'echo-request');
        return ours ? matchSet(rule.match).intersect(PacketSet.cube({ protocol: ICMP })) : PacketSet.EMPTY;
    }
    let set = ruleSets.get(rule);
    if (!set) {
        set = matchSet(rule.match);
        ruleSets.set(rule, set);
    }
    return set;
}

/**
 * A match as a packet set (absent fields match anything). Ports belong to TCP and UDP: a match
 * with ports takes other protocols whole, as the nft text it is written as does.
 */
export function matchSet(match: PacketMatch): PacketSet {
    const set = (ranges: PacketMatch['src']) => ranges && IntervalSet.fromIntervals(ranges);
    const base = { src: set(match.src), dst: set(match.dst) };
    const protocols = set(match.protocols) ?? IntervalSet.of(0, 255);
    if (!match.dstPorts && !match.srcPorts) return PacketSet.cube({ ...base, protocol: set(match.protocols) });
    const withPorts = PacketSet.cube({ ...base, protocol: protocols.intersect(TCP_UDP), dstPort: set(match.dstPorts), srcPort: set(match.srcPorts) });
    return withPorts.union(PacketSet.cube({ ...base, protocol: protocols.subtract(TCP_UDP) }));
}
