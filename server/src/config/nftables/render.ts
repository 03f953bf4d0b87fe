/**
 * The nftables ruleset of a device: its packet filter (config/model.ts) as nft text, and the
 * marks that select its policy-routing tables. Every value is written from the model, never
 * copied from a name a user wrote without quoting.
 */
import { ALL_ADDRESSES, formatRange } from '../../net/ipv4.js';
import { ALL_ADDRESSES6, formatRange6 } from '../../net/ipv6.js';
import { IntervalSet, type Bound } from '../../net/interval-set.js';
import type { SourceLocation } from '../../common/diagnostic.js';
import {
    matchFamily,
    type DeviceConfig,
    type FilterChain,
    type FilterRule,
    type IpRule,
    type NameMatch,
    type PacketMatch,
    type Ranges
} from '../model.js';

export const TABLE = 'netintent';
/** The table of everything netintent writes. */
export const TABLE_NAME = `inet ${TABLE}`;
/** conntrack mark of connections accepted one way only: their replies are not let back by state. */
export const ONEWAY_CT_MARK = 0x1;
/** The chain that marks packets to steer (prerouting, before routing decides). */
export const STEER_CHAIN = 'steer';
export const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };
/** nft's names for hook priorities. */
export const PRIORITIES: Record<string, number> = {
    raw: -300,
    mangle: -150,
    dstnat: -100,
    filter: 0,
    security: 50,
    srcnat: 100
};
/** The file a device's filters are written to. */
export const NFTABLES_FILE = 'nftables.nft';
/** nft refuses longer comments. */
const MAX_COMMENT = 128;

export function renderNftables(config: DeviceConfig): string {
    return layoutNftables(config).lines.join('\n') + '\n';
}

/** Where each filter rule stands in nftables.nft (counterexamples cite its line). */
export function filterRuleLocations(config: DeviceConfig): Map<FilterRule, SourceLocation> {
    const locations = new Map<FilterRule, SourceLocation>();
    for (const [rule, line] of layoutNftables(config).ruleLines) {
        locations.set(rule, { file: NFTABLES_FILE, range: { start: { line, column: 3 }, end: { line, column: 3 } } });
    }
    return locations;
}

function layoutNftables(config: DeviceConfig): { lines: string[]; ruleLines: Map<FilterRule, number> } {
    const ruleLines = new Map<FilterRule, number>();
    const lines = [
        '#!/usr/sbin/nft -f',
        `# Data-plane filters and policy-routing marks of ${config.hostname}, written by netintent.`,
        `table ${TABLE_NAME}`,
        `delete table ${TABLE_NAME}`,
        `table ${TABLE_NAME} {`
    ];
    const chains = config.filter.chains.filter(c => c.table === TABLE_NAME);
    chains.forEach((chain, index) => {
        if (index > 0) lines.push('');
        lines.push(`\tchain ${chain.name} {`);
        if (chain.base)
            lines.push(
                `\t\ttype filter hook ${chain.base.hook} priority ${formatPriority(chain.base.priority)}; policy ${chain.base.policy};`
            );
        for (const rule of chain.rules) {
            ruleLines.set(rule, lines.length + 1);
            lines.push(...renderRule(rule).map(l => `\t\t${l}`));
        }
        lines.push('\t}');
    });
    lines.push('}');
    return { lines, ruleLines };
}

/**
 * The policy rules (`ip rule`, and `ip -6 rule` for IPv6) that give each mark of nftables.nft its
 * routing table. The tables themselves are FRR's (frr.conf: `ip route … table N`, `ipv6 route …
 * table N`), so that their routes follow the network and come back after a link does; a rule
 * stays in the kernel through link changes.
 */
export function renderPolicyRouting(config: DeviceConfig): string | undefined {
    if (config.ipRules.length + config.ipRules6.length === 0) return undefined;
    const lines = [
        '#!/bin/sh',
        `# Policy rules of ${config.hostname}, written by netintent: nftables.nft marks the packets to`,
        '# steer; each mark selects a routing table that FRR keeps (frr.conf: ip route ... table N).',
        '# Safe to run again: each rule is removed before it is added.'
    ];
    const write = (ip: string, rules: readonly IpRule[]) => {
        for (const rule of rules) {
            lines.push(
                `${ip} rule del fwmark ${hex(rule.fwmark)} table ${rule.table} 2>/dev/null || true`,
                `${ip} rule add fwmark ${hex(rule.fwmark)} table ${rule.table} priority ${rule.priority}`
            );
        }
    };
    write('ip', config.ipRules);
    write('ip -6', config.ipRules6);
    return lines.join('\n') + '\n';
}

/**
 * The chain that holds the rules for traffic entering on an interface. Injective: letters and
 * digits stay, `_` doubles, other ASCII is `_` and two hex digits, anything else `_u` and six
 * (fixed widths, so that `-a` and `˚` cannot both come out `_2da`): two interfaces never share a chain.
 */
export function chainName(iface: string): string {
    const escaped = [...iface]
        .map(c => {
            if (/[A-Za-z0-9]/.test(c)) return c;
            if (c === '_') return '__';
            const code = c.codePointAt(0)!;
            return code < 0x80 ? `_${code.toString(16).padStart(2, '0')}` : `_u${code.toString(16).padStart(6, '0')}`;
        })
        .join('');
    return `from_${escaped}`;
}

/** One rule as nft lines: a match with ports over TCP/UDP and other protocols becomes two. */
function renderRule(rule: FilterRule): string[] {
    const conditions: string[] = [];
    if (rule.iif) conditions.push(`iifname ${names(rule.iif)}`);
    if (rule.oif) conditions.push(`oifname ${names(rule.oif)}`);
    if (rule.ctState) conditions.push(`ct state ${rule.ctState.join(',')}`);
    if (rule.ctDirection) conditions.push(`ct direction ${rule.ctDirection}`);
    if (rule.ctMark) conditions.push(`ct mark ${rule.ctMark.equal ? '' : '!= '}${hex(rule.ctMark.value)}`);
    const statements: string[] = [];
    if (rule.setDscp !== undefined)
        statements.push(`${matchFamily(rule.match) === 6 ? 'ip6' : 'ip'} dscp set ${rule.setDscp}`);
    if (rule.setMark !== undefined) statements.push(`meta mark set ${hex(rule.setMark)}`);
    if (rule.setCtMark !== undefined) statements.push(`ct mark set ${hex(rule.setCtMark)}`);
    const verdict = rule.verdict;
    if (verdict.kind === 'jump' || verdict.kind === 'goto') statements.push(`${verdict.kind} ${verdict.chain}`);
    else if (verdict.kind !== 'continue') statements.push(verdict.kind);
    if (rule.comment) statements.push(`comment ${quote(rule.comment)}`);
    const matches = rule.icmpTypes
        ? [
              [
                  ...matchExpressions({ ...rule.match, protocols: undefined }, true),
                  `${matchFamily(rule.match) === 6 ? 'icmpv6' : 'icmp'} type { ${rule.icmpTypes.join(', ')} }`
              ]
                  .filter(Boolean)
                  .join(' ')
          ]
        : matchExpressions(rule.match);
    return matches.map(m => [...conditions, m, ...statements].filter(Boolean).join(' '));
}

/**
 * A match as nft expressions. Ports belong to TCP and UDP only, so a match with ports whose
 * protocols include others becomes two: the TCP/UDP part with its ports, the rest without. The
 * family is written where nothing else tests it (`familyImplied`: the caller's ICMP type does).
 */
export function matchExpressions(match: PacketMatch, familyImplied = false): string[] {
    const base: string[] = [];
    const family = matchFamily(match);
    if (match.src) base.push(`ip saddr ${addresses(match.src, ALL_ADDRESSES, formatRange)}`);
    if (match.dst) base.push(`ip daddr ${addresses(match.dst, ALL_ADDRESSES, formatRange)}`);
    if (match.src6) base.push(`ip6 saddr ${addresses(match.src6, ALL_ADDRESSES6, formatRange6)}`);
    if (match.dst6) base.push(`ip6 daddr ${addresses(match.dst6, ALL_ADDRESSES6, formatRange6)}`);
    if (match.dscp) base.push(`${family === 6 ? 'ip6' : 'ip'} dscp ${set(match.dscp, formatPortRange)}`);
    if (family !== undefined && base.length === 0 && !familyImplied) base.push(`meta nfproto ipv${family}`);
    const ports = match.dstPorts || match.srcPorts;
    if (!ports) {
        if (match.protocols) base.push(`meta l4proto ${set(match.protocols, formatProtocolRange)}`);
        return [base.join(' ')];
    }
    const protocols = match.protocols ?? [[0, 255]];
    const transport = [6, 17].filter(p => protocols.some(([lo, hi]) => lo <= p && p <= hi));
    const others = subtractValues(protocols, transport);
    const out: string[] = [];
    if (transport.length > 0) {
        const portExpressions = [
            match.srcPorts ? `th sport ${set(match.srcPorts, formatPortRange)}` : '',
            match.dstPorts ? `th dport ${set(match.dstPorts, formatPortRange)}` : ''
        ].filter(Boolean);
        const protocol =
            transport.length === 1 ? `meta l4proto ${PROTOCOL_NAMES[transport[0]]}` : 'meta l4proto { tcp, udp }';
        out.push([...base, protocol, ...portExpressions].join(' '));
    }
    if (others.length > 0) out.push([...base, `meta l4proto ${set(others, formatProtocolRange)}`].join(' '));
    return out;
}

/** An address set, or `!=` its complement where that is shorter to write (anti-spoofing rules). */
function addresses<A extends Bound>(
    ranges: ReadonlyArray<readonly [A, A]>,
    all: IntervalSet<A>,
    format: (lo: A, hi: A) => string
): string {
    const positive = IntervalSet.fromIntervals<A>(ranges);
    const complement = all.subtract(positive);
    if (!complement.isEmpty() && complement.intervals.length < positive.intervals.length)
        return `!= ${set(complement.intervals, format)}`;
    return set(ranges, format);
}

function names(match: NameMatch): string {
    const list = match.names.length === 1 ? quote(match.names[0]) : `{ ${match.names.map(quote).join(', ')} }`;
    return `${match.negate ? '!= ' : ''}${list}`;
}

function subtractValues(ranges: Ranges, values: number[]): Ranges {
    let out: Array<readonly [number, number]> = ranges.map(r => [r[0], r[1]] as const);
    for (const v of values) {
        out = out.flatMap(([lo, hi]) =>
            v < lo || v > hi
                ? [[lo, hi] as const]
                : [[lo, v - 1] as const, [v + 1, hi] as const].filter(([a, b]) => a <= b)
        );
    }
    return out;
}

function set<A extends Bound>(ranges: ReadonlyArray<readonly [A, A]>, format: (lo: A, hi: A) => string): string {
    const items = ranges.map(([lo, hi]) => format(lo, hi));
    return items.length === 1 ? items[0] : `{ ${items.join(', ')} }`;
}

function formatPortRange(lo: number, hi: number): string {
    return lo === hi ? String(lo) : `${lo}-${hi}`;
}

function formatProtocolRange(lo: number, hi: number): string {
    return lo === hi ? (PROTOCOL_NAMES[lo] ?? String(lo)) : `${lo}-${hi}`;
}

function formatPriority(priority: number): string {
    const named = Object.entries(PRIORITIES).find(([, value]) => value === priority);
    return named ? named[0] : String(priority);
}

function hex(value: number): string {
    return `0x${value.toString(16)}`;
}

/** A string as nft reads it back: double quotes, no quotes or backslashes inside, at most 128 characters. */
export function quote(text: string): string {
    const clean = text.replace(/["\\]/g, "'").replace(/[\r\n\t]/g, ' ');
    return `"${clean.length > MAX_COMMENT ? clean.slice(0, MAX_COMMENT - 1) + '…' : clean}"`;
}

/** The chains a compiled filter is made of, for readers that look for them by name. */
export function chainNamed(chains: readonly FilterChain[], name: string): FilterChain | undefined {
    return chains.find(c => c.table === TABLE_NAME && c.name === name);
}
