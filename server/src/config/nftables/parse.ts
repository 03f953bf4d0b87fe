/**
 * Reads back the nftables rulesets netintent writes (and hand edits in the same style): the
 * ACL chains jumped to per ingress interface, the established-state rule, and the marks of
 * policy routing, which policy-routing.sh ties to next hops. Every line it does not understand
 * is a warning at that line.
 */
import type { Diagnostic, SourceLocation } from '../../common/diagnostic.js';
import { parseAddress, parsePrefix, lastAddress } from '../../net/ipv4.js';
import type { Acl, AclRule, DeviceConfig, PacketMatch, PolicyRoute, Ranges } from '../model.js';
import { ONEWAY_CT_MARK } from './render.js';

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17 };

export interface ParsedRules {
    diagnostics: Diagnostic[];
    locations: WeakMap<object, SourceLocation>;
}

/** Adds the ACLs and policy routes of `nftables` (and `policyRouting`, the ip rule script) to `config`. */
export function parseNftables(config: DeviceConfig, nftables: string, file: string, policyRouting?: { text: string; file: string }): ParsedRules {
    const diagnostics: Diagnostic[] = [];
    const locations = new WeakMap<object, SourceLocation>();
    const warn = (line: number, text: string, what: string) => diagnostics.push({
        file, range: { start: { line, column: 1 }, end: { line, column: text.length + 1 } }, severity: 'warning', code: 'nft-unsupported',
        message: `netintent does not understand '${text.trim()}'${what}; verification ignores this line.`
    });
    const marks = new Map<number, number[]>();
    if (policyRouting) parsePolicyRouting(policyRouting.text, policyRouting.file, marks, diagnostics);
    const jumps = new Map<string, string>();
    const chains = new Map<string, Array<{ line: number; text: string }>>();
    let chain: string | undefined;
    nftables.split(/\r?\n/).forEach((raw, index) => {
        const line = index + 1;
        const text = raw.trim();
        let m: RegExpMatchArray | null;
        if (text === '' || text.startsWith('#') || /^(table|delete table) inet \S+( \{)?$/.test(text) || text === '}') {
            if (text === '}') chain = undefined;
            return;
        }
        if ((m = text.match(/^chain (\S+) \{$/))) {
            chain = m[1];
            chains.set(chain, []);
            return;
        }
        if (!chain) {
            warn(line, raw, '');
            return;
        }
        if (/^type filter hook (forward|prerouting) priority \S+; policy accept;$/.test(text) || /^icmp type \{[^}]*\} accept( comment "[^"]*")?$/.test(text)) return;
        if (/^ct state established,related( ct mark != 0x[0-9a-f]+)? accept( comment "[^"]*")?$/.test(text)) {
            config.acceptEstablished = true;
            return;
        }
        if ((m = text.match(/^iifname "([^"]+)" jump (\S+)$/))) {
            jumps.set(m[2], m[1]);
            return;
        }
        chains.get(chain)!.push({ line, text });
    });
    for (const [name, rules] of chains) {
        const iface = jumps.get(name);
        if (name === 'steer') {
            for (const { line, text } of rules) {
                const m = text.match(/^iifname "([^"]+)" (.*?)\s*meta mark set (0x[0-9a-f]+)(?: comment "([^"]*)")?$/);
                const match = m && parseMatch(m[2]);
                const nextHops = m && marks.get(Number(m[3]));
                if (!m || !match || !nextHops) {
                    warn(line, text, m && !nextHops ? ` (no policy-routing table for mark ${m[3]})` : ' in chain steer');
                    continue;
                }
                let route: PolicyRoute | undefined = config.policyRoutes.find(p => p.interface === m[1]);
                if (!route) {
                    route = { interface: m[1], rules: [] };
                    config.policyRoutes.push(route);
                }
                const rule = { match, nextHops, comment: m[4] ?? '' };
                route.rules.push(rule);
                locations.set(rule, { file, range: { start: { line, column: 1 }, end: { line, column: text.length + 1 } } });
            }
            continue;
        }
        if (!iface) {
            if (name !== 'forward') rules.forEach(r => warn(r.line, r.text, ` in chain ${name}, which no interface jumps to`));
            continue;
        }
        const acl: Acl = { interface: iface, rules: [], defaultAction: 'accept' };
        for (const { line, text } of rules) {
            if (text === 'accept' || text === 'drop') {
                acl.defaultAction = text;
                continue;
            }
            const m = text.match(/^(.*?)\s*(ct mark set (0x[0-9a-f]+) )?(accept|drop)(?: comment "([^"]*)")?$/);
            const match = m && parseMatch(m[1]);
            if (!m || !match) {
                warn(line, text, ` in chain ${name}`);
                continue;
            }
            const rule: AclRule = { action: m[4] as 'accept' | 'drop', match, comment: m[5] ?? '' };
            if (m[3] && Number(m[3]) === ONEWAY_CT_MARK) rule.oneway = true;
            acl.rules.push(rule);
            locations.set(rule, { file, range: { start: { line, column: 1 }, end: { line, column: text.length + 1 } } });
        }
        config.acls.push(acl);
    }
    return { diagnostics, locations };
}

/** `ip saddr X ip daddr Y meta l4proto P th dport Q th sport R`, each part optional. */
function parseMatch(text: string): PacketMatch | undefined {
    const match: PacketMatch = {};
    let rest = text.trim();
    const take = (pattern: RegExp): RegExpMatchArray | null => {
        const m = rest.match(pattern);
        if (m) rest = rest.slice(m[0].length).trim();
        return m;
    };
    const value = String.raw`(\{[^}]*\}|\S+)`;
    let m: RegExpMatchArray | null;
    while (rest.length > 0) {
        if ((m = take(new RegExp(`^ip (saddr|daddr) ${value}`)))) {
            const ranges = parseList(m[2], parseAddressRange);
            if (!ranges) return undefined;
            if (m[1] === 'saddr') match.src = ranges; else match.dst = ranges;
        } else if ((m = take(new RegExp(`^meta l4proto ${value}`)))) {
            const ranges = parseList(m[1], parseProtocolRange);
            if (!ranges) return undefined;
            match.protocols = ranges;
        } else if ((m = take(new RegExp(`^(?:th|tcp|udp) (dport|sport) ${value}`)))) {
            const ranges = parseList(m[2], parsePortRange);
            if (!ranges) return undefined;
            if (m[1] === 'dport') match.dstPorts = ranges; else match.srcPorts = ranges;
        } else {
            return undefined;
        }
    }
    return match;
}

function parseList(text: string, item: (t: string) => readonly [number, number] | undefined): Ranges | undefined {
    const items = text.startsWith('{') ? text.slice(1, -1).split(',').map(s => s.trim()).filter(Boolean) : [text];
    const ranges = items.map(item);
    return ranges.every(r => r !== undefined) ? ranges as Ranges : undefined;
}

function parseAddressRange(text: string): readonly [number, number] | undefined {
    const dash = text.indexOf('-');
    if (dash > 0) {
        const lo = parseAddress(text.slice(0, dash));
        const hi = parseAddress(text.slice(dash + 1));
        return lo !== undefined && hi !== undefined ? [lo, hi] : undefined;
    }
    const prefix = parsePrefix(text)?.prefix;
    return prefix && [prefix.network, lastAddress(prefix)];
}

function parseProtocolRange(text: string): readonly [number, number] | undefined {
    const named = PROTOCOLS[text];
    if (named !== undefined) return [named, named];
    const m = text.match(/^(\d+)(?:-(\d+))?$/);
    return m ? [Number(m[1]), Number(m[2] ?? m[1])] : undefined;
}

function parsePortRange(text: string): readonly [number, number] | undefined {
    const m = text.match(/^(\d+)(?:-(\d+))?$/);
    return m ? [Number(m[1]), Number(m[2] ?? m[1])] : undefined;
}

/** `ip rule add fwmark M table T` and `ip route replace default via A [nexthop via B …] table T`. */
function parsePolicyRouting(text: string, file: string, marks: Map<number, number[]>, diagnostics: Diagnostic[]): void {
    const tables = new Map<number, number>();
    const routes = new Map<number, number[]>();
    text.split(/\r?\n/).forEach((raw, index) => {
        const line = raw.trim();
        let m: RegExpMatchArray | null;
        if (line === '' || line.startsWith('#') || line === 'set -e' || /^ip rule del /.test(line)) return;
        if ((m = line.match(/^ip rule add fwmark (0x[0-9a-f]+|\d+) table (\d+)( priority \d+)?$/))) {
            tables.set(Number(m[1]), Number(m[2]));
        } else if ((m = line.match(/^ip route replace default (.+) table (\d+)$/))) {
            const hops = [...m[1].matchAll(/via (\S+)/g)].map(v => parseAddress(v[1]));
            if (hops.every(h => h !== undefined)) routes.set(Number(m[2]), hops as number[]);
        } else {
            diagnostics.push({
                file, range: { start: { line: index + 1, column: 1 }, end: { line: index + 1, column: raw.length + 1 } }, severity: 'warning', code: 'nft-unsupported',
                message: `netintent does not understand '${line}'; verification ignores this line.`
            });
        }
    });
    for (const [mark, table] of tables) {
        const hops = routes.get(table);
        if (hops) marks.set(mark, hops);
    }
}
