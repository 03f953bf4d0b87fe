/**
 * The nftables ruleset of a device: its ACLs as chains on the forward hook (FRR's access-lists
 * never filter forwarded packets), and the marks that select its policy-routing tables.
 */
import { formatAddress, formatRange } from '../../net/ipv4.js';
import type { AclRule, DeviceConfig, PacketMatch, PolicyRoute, Ranges } from '../model.js';

export const TABLE = 'netintent';
/** conntrack mark of connections accepted one way only: their replies are not let back by state. */
export const ONEWAY_CT_MARK = 0x1;
/** Policy-routing marks and tables start here: mark 0x100 + n selects table 1000 + n. */
export const FIRST_MARK = 0x100;
export const FIRST_TABLE = 1000;
const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };
const ICMP_ERRORS = '{ destination-unreachable, time-exceeded, parameter-problem }';
/** nft refuses longer comments. */
const MAX_COMMENT = 128;

export interface PolicyTable {
    mark: number;
    table: number;
    nextHops: number[];
}

/** The marks and tables the device's policy routes use, in the order they are rendered. */
export function policyTables(config: DeviceConfig): PolicyTable[] {
    const tables: PolicyTable[] = [];
    for (const route of config.policyRoutes) {
        for (const rule of route.rules) {
            const key = rule.nextHops.join(',');
            if (!tables.some(t => t.nextHops.join(',') === key)) {
                tables.push({ mark: FIRST_MARK + tables.length, table: FIRST_TABLE + tables.length, nextHops: rule.nextHops });
            }
        }
    }
    return tables;
}

export function renderNftables(config: DeviceConfig): string {
    return layoutNftables(config).lines.join('\n') + '\n';
}

/** The line of nftables.nft where each ACL rule stands (counterexamples cite it). */
export function aclRuleLines(config: DeviceConfig): Map<AclRule, number> {
    return layoutNftables(config).ruleLines;
}

function layoutNftables(config: DeviceConfig): { lines: string[]; ruleLines: Map<AclRule, number> } {
    const ruleLines = new Map<AclRule, number>();
    const lines = [
        '#!/usr/sbin/nft -f',
        `# Data-plane filters and policy-routing marks of ${config.hostname}, written by netintent.`,
        `table inet ${TABLE}`,
        `delete table inet ${TABLE}`,
        `table inet ${TABLE} {`,
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter; policy accept;',
        `\t\ticmp type ${ICMP_ERRORS} accept comment "ICMP errors are never filtered"`
    ];
    if (config.acceptEstablished) {
        lines.push(`\t\tct state established,related ct mark != ${hex(ONEWAY_CT_MARK)} accept comment "replies of allowed connections"`);
    }
    for (const acl of config.acls) lines.push(`\t\tiifname "${acl.interface}" jump ${chainName(acl.interface)}`);
    lines.push('\t}');
    for (const acl of config.acls) {
        lines.push('', `\tchain ${chainName(acl.interface)} {`);
        for (const rule of acl.rules) {
            ruleLines.set(rule, lines.length + 1);
            lines.push(...renderAclRule(rule).map(l => `\t\t${l}`));
        }
        lines.push(`\t\t${acl.defaultAction}`, '\t}');
    }
    const tables = policyTables(config);
    if (config.policyRoutes.length > 0) {
        lines.push('', '\tchain steer {', '\t\ttype filter hook prerouting priority mangle; policy accept;');
        for (const route of config.policyRoutes) lines.push(...renderPolicyRoute(route, tables).map(l => `\t\t${l}`));
        lines.push('\t}');
    }
    lines.push('}');
    return { lines, ruleLines };
}

/** `ip rule` and `ip route` commands that attach the marks to their tables. */
export function renderPolicyRouting(config: DeviceConfig): string | undefined {
    const tables = policyTables(config);
    if (tables.length === 0) return undefined;
    const lines = [
        '#!/bin/sh',
        `# Policy-routing tables of ${config.hostname}, written by netintent: nftables.nft marks the`,
        '# packets to steer; each mark selects a table whose default route is the steered next hop.',
        'set -e'
    ];
    for (const t of tables) {
        const via = t.nextHops.length === 1 ? `via ${formatAddress(t.nextHops[0])}` : t.nextHops.map(h => `nexthop via ${formatAddress(h)}`).join(' ');
        lines.push(
            `ip rule del fwmark ${hex(t.mark)} table ${t.table} 2>/dev/null || true`,
            `ip rule add fwmark ${hex(t.mark)} table ${t.table} priority ${t.table}`,
            `ip route replace default ${via} table ${t.table}`
        );
    }
    return lines.join('\n') + '\n';
}

export function chainName(iface: string): string {
    return `from_${iface.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function renderAclRule(rule: AclRule): string[] {
    const verdict = rule.action === 'accept' && rule.oneway ? `ct mark set ${hex(ONEWAY_CT_MARK)} accept` : rule.action;
    return matchExpressions(rule.match).map(m => `${m}${m ? ' ' : ''}${verdict} comment ${quote(rule.comment)}`);
}

function renderPolicyRoute(route: PolicyRoute, tables: PolicyTable[]): string[] {
    return route.rules.flatMap(rule => {
        const table = tables.find(t => t.nextHops.join(',') === rule.nextHops.join(','))!;
        return matchExpressions(rule.match).map(m => `iifname "${route.interface}" ${m}${m ? ' ' : ''}meta mark set ${hex(table.mark)} comment ${quote(rule.comment)}`);
    });
}

/**
 * A match as nft expressions. Ports belong to TCP and UDP only, so a match with ports whose
 * protocols include others becomes two: the TCP/UDP part with its ports, the rest without.
 */
function matchExpressions(match: PacketMatch): string[] {
    const base: string[] = [];
    if (match.src) base.push(`ip saddr ${set(match.src, formatRange)}`);
    if (match.dst) base.push(`ip daddr ${set(match.dst, formatRange)}`);
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
        const protocol = transport.length === 1 ? `meta l4proto ${PROTOCOL_NAMES[transport[0]]}` : 'meta l4proto { tcp, udp }';
        out.push([...base, protocol, ...portExpressions].join(' '));
    }
    if (others.length > 0) out.push([...base, `meta l4proto ${set(others, formatProtocolRange)}`].join(' '));
    return out;
}

function subtractValues(ranges: Ranges, values: number[]): Ranges {
    let out: Array<readonly [number, number]> = ranges.map(r => [r[0], r[1]] as const);
    for (const v of values) {
        out = out.flatMap(([lo, hi]) => (v < lo || v > hi ? [[lo, hi] as const] : [[lo, v - 1] as const, [v + 1, hi] as const].filter(([a, b]) => a <= b)));
    }
    return out;
}

function set(ranges: Ranges, format: (lo: number, hi: number) => string): string {
    const items = ranges.map(([lo, hi]) => format(lo, hi));
    return items.length === 1 ? items[0] : `{ ${items.join(', ')} }`;
}

function formatPortRange(lo: number, hi: number): string {
    return lo === hi ? String(lo) : `${lo}-${hi}`;
}

function formatProtocolRange(lo: number, hi: number): string {
    return lo === hi ? PROTOCOL_NAMES[lo] ?? String(lo) : `${lo}-${hi}`;
}

function hex(value: number): string {
    return `0x${value.toString(16)}`;
}

function quote(comment: string): string {
    const clean = comment.replace(/["\\]/g, "'");
    return `"${clean.length > MAX_COMMENT ? clean.slice(0, MAX_COMMENT - 1) + '…' : clean}"`;
}
