/**
 * Reads an nftables ruleset back into the packet-filter model — what netintent writes and what
 * people write by hand: tables (`inet`, `ip`, `ip6`), base chains on any of the five IP hooks with
 * their priorities and policies, regular chains, `jump`/`goto`/`return`, matches on interfaces,
 * the address family, IPv4 and IPv6 addresses, protocols, ports, ICMP and ICMPv6 types, DSCP,
 * connection state and mark, and the marks of policy
 * routing (which policy-routing.sh ties to next hops). The file is taken as applied to an empty
 * ruleset, as `nft -f` does on a fresh device.
 *
 * Anything else — a statement the model does not have (NAT, sets, rate limits, queues …) or a
 * line nft itself would refuse — is an error at its line and makes the device's filtering
 * unmodelled: the verdicts of traffic that reaches the device are `unknown`, never `holds`.
 */
import type { Diagnostic, SourceLocation } from '../../common/diagnostic.js';
import { IntervalSet, type Bound } from '../../net/interval-set.js';
import { IPV4, IPV6, parseRange } from '../../net/family.js';
import {
    FILTER_HOOKS,
    type CtState,
    type DeviceConfig,
    type FilterChain,
    type FilterHook,
    type FilterRule,
    type NameMatch,
    type Ranges
} from '../model.js';
import { PRIORITIES } from './render.js';

export interface ParsedRules {
    diagnostics: Diagnostic[];
}

const PROTOCOLS: Record<string, number> = {
    icmp: 1,
    igmp: 2,
    tcp: 6,
    udp: 17,
    gre: 47,
    esp: 50,
    ah: 51,
    icmpv6: 58,
    'ipv6-icmp': 58,
    ospf: 89,
    vrrp: 112,
    sctp: 132
};
const SERVICES: Record<string, number> = {
    ssh: 22,
    smtp: 25,
    domain: 53,
    http: 80,
    ntp: 123,
    snmp: 161,
    bgp: 179,
    https: 443,
    syslog: 514
};
const DSCP_NAMES: Record<string, number> = {
    ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`cs${i}`, i * 8])),
    ...Object.fromEntries([1, 2, 3, 4].flatMap(c => [1, 2, 3].map(d => [`af${c}${d}`, c * 8 + d * 2]))),
    df: 0,
    be: 0,
    lephb: 1,
    va: 44,
    ef: 46
};
const CT_STATES: readonly CtState[] = ['new', 'established', 'related', 'invalid', 'untracked'];
/** nft's ICMP type names, in number order (as nft lists a set of them). */
export const ICMP_TYPES = [
    'echo-reply',
    'destination-unreachable',
    'source-quench',
    'redirect',
    'echo-request',
    'router-advertisement',
    'router-solicitation',
    'time-exceeded',
    'parameter-problem',
    'timestamp-request',
    'timestamp-reply',
    'info-request',
    'info-reply',
    'address-mask-request',
    'address-mask-reply'
];
/** nft's ICMPv6 type names, in number order (as nft lists a set of them). */
export const ICMPV6_TYPES = [
    'destination-unreachable',
    'packet-too-big',
    'time-exceeded',
    'parameter-problem',
    'echo-request',
    'echo-reply',
    'mld-listener-query',
    'mld-listener-report',
    'mld-listener-done',
    'nd-router-solicit',
    'nd-router-advert',
    'nd-neighbor-solicit',
    'nd-neighbor-advert',
    'nd-redirect',
    'router-renumbering',
    'ind-neighbor-solicit',
    'ind-neighbor-advert',
    'mld2-listener-report'
];
/** Names nft also reads for a type it lists by another (type 132 is listed as mld-listener-done). */
const ICMPV6_ALIASES: Record<string, string> = { 'mld-listener-reduction': 'mld-listener-done' };
/** The address family each table family sees; inet sees both. */
const TABLE_FAMILIES: Record<string, 4 | 6 | undefined> = { inet: undefined, ip: 4, ip6: 6 };
const ALL_ONES6 = (1n << 128n) - 1n;
const MAX_JUMP_DEPTH = 16;

interface Token {
    text: string;
    line: number;
    column: number;
    quoted: boolean;
}

/** Adds the filter and policy routes of `nftables` (and `policyRouting`, the ip rule script) to `config`. */
export function parseNftables(
    config: DeviceConfig,
    nftables: string,
    file: string,
    policyRouting?: { text: string; file: string }
): ParsedRules {
    const diagnostics: Diagnostic[] = [];
    if (policyRouting) parsePolicyRouting(config, policyRouting.text, policyRouting.file, diagnostics);
    new NftParser(config, nftables, file, diagnostics).parse();
    return { diagnostics };
}

class NftParser {
    private readonly lines: Token[][];
    private readonly chains = new Map<string, FilterChain>();
    private readonly jumps: Array<{ table: string; chain: string; location: SourceLocation; text: string }> = [];

    constructor(
        private readonly config: DeviceConfig,
        private readonly text: string,
        private readonly file: string,
        private readonly diagnostics: Diagnostic[]
    ) {
        this.lines = tokenize(text);
    }

    parse(): void {
        let index = 0;
        while (index < this.lines.length) index = this.topLevel(index);
        this.config.filter.chains.push(...this.chains.values());
        this.checkJumps();
    }

    private location(tokens: Token[]): SourceLocation {
        const first = tokens[0];
        const last = tokens[tokens.length - 1];
        return {
            file: this.file,
            range: {
                start: { line: first.line, column: first.column },
                end: { line: last.line, column: last.column + last.text.length + (last.quoted ? 2 : 0) }
            }
        };
    }

    /** A statement netintent does not model: an error, and the device's filtering unknown. */
    private unmodelled(tokens: Token[], why: string): void {
        const location = this.location(tokens);
        const text = this.sourceText(tokens);
        this.config.unmodelled.push({ scope: 'filtering', location, text });
        this.diagnostics.push({
            ...location,
            severity: 'error',
            code: 'nft-unsupported',
            message: `netintent does not model '${text}'${why ? ` (${why})` : ''}; the verdicts of traffic through ${this.config.hostname} are unknown until it is removed or modelled.`
        });
    }

    private sourceText(tokens: Token[]): string {
        const line = this.text.split(/\r?\n/)[tokens[0].line - 1] ?? '';
        const text = tokens.every(t => t.line === tokens[0].line)
            ? line.trim()
            : tokens.map(t => (t.quoted ? `"${t.text}"` : t.text)).join(' ');
        return text.length > 120 ? `${text.slice(0, 117)}…` : text;
    }

    /** One top-level statement starting at line `index`; returns the next line to read. */
    private topLevel(index: number): number {
        const tokens = this.lines[index];
        const words = tokens.map(t => t.text);
        if (words[0] === 'flush' && words[1] === 'ruleset' && words.length === 2) {
            this.chains.clear();
            return index + 1;
        }
        if ((words[0] === 'delete' || words[0] === 'flush') && words[1] === 'table' && words.length === 4) {
            const table = `${words[2]} ${words[3]}`;
            for (const [key, chain] of this.chains) {
                if (chain.table !== table) continue;
                if (words[0] === 'delete') this.chains.delete(key);
                else chain.rules.length = 0;
            }
            return index + 1;
        }
        if (words[0] === 'table' && words.length === 3) return index + 1;
        if (words[0] === 'table' && words.length === 4 && words[3] === '{')
            return this.table(`${words[1]} ${words[2]}`, words[1], tokens, index + 1);
        this.unmodelled(tokens, 'not a table, or a statement on one that netintent reads');
        return this.skipBlock(tokens, index + 1);
    }

    /** Past the block a line opens, if it opens one. */
    private skipBlock(tokens: Token[], index: number): number {
        let depth =
            tokens.filter(t => t.text === '{' && !t.quoted).length -
            tokens.filter(t => t.text === '}' && !t.quoted).length;
        while (depth > 0 && index < this.lines.length) {
            const line = this.lines[index++];
            depth +=
                line.filter(t => t.text === '{' && !t.quoted).length -
                line.filter(t => t.text === '}' && !t.quoted).length;
        }
        return index;
    }

    private table(table: string, family: string, header: Token[], index: number): number {
        // An arp table never sees an IP packet; bridge and netdev tables do, before IP.
        const modelled = family === 'inet' || family === 'ip' || family === 'ip6';
        const irrelevant = family === 'arp';
        if (!modelled && !irrelevant)
            this.unmodelled(header, `a ${family} table filters packets before IP routing sees them`);
        while (index < this.lines.length) {
            const tokens = this.lines[index];
            const words = tokens.map(t => t.text);
            if (words.length === 1 && words[0] === '}') return index + 1;
            if (words[0] === 'chain' && words.length === 3 && words[2] === '{') {
                index = modelled
                    ? this.chain(table, TABLE_FAMILIES[family], words[1], tokens, index + 1)
                    : this.skipBlock(tokens, index + 1);
                continue;
            }
            if (modelled) this.unmodelled(tokens, 'only chains are read in a table');
            index = this.skipBlock(tokens, index + 1);
        }
        this.unmodelled(header, 'the table is not closed');
        return index;
    }

    /** `family`: the one address family the table sees (ip, ip6), or both (inet). */
    private chain(table: string, family: 4 | 6 | undefined, name: string, header: Token[], index: number): number {
        const key = `${table}\n${name}`;
        const chain: FilterChain = this.chains.get(key) ?? { table, name, rules: [] };
        this.chains.set(key, chain);
        while (index < this.lines.length) {
            const tokens = this.lines[index];
            index++;
            if (tokens.length === 1 && tokens[0].text === '}') return index;
            if (tokens[0].text === 'type') {
                this.baseChain(chain, tokens);
                continue;
            }
            if (tokens[0].text === 'policy') {
                this.policy(chain, tokens);
                continue;
            }
            const rule = this.rule(table, family, chain, tokens);
            if (rule) chain.rules.push(rule);
        }
        this.unmodelled(header, 'the chain is not closed');
        return index;
    }

    /** `type filter hook H priority P; policy X;` (the policy may be on a line of its own). */
    private baseChain(chain: FilterChain, tokens: Token[]): void {
        const words = tokens.map(t => t.text);
        const m = words.join(' ').match(/^type (\S+) hook (\S+) priority (.+?) ;(?: policy (accept|drop) ;)?$/);
        if (!m) {
            this.unmodelled(tokens, 'not a base chain declaration netintent reads');
            return;
        }
        if (m[1] !== 'filter') {
            this.unmodelled(tokens, `a ${m[1]} chain changes packets or routes, which netintent does not model`);
            return;
        }
        const priority = parsePriority(m[3]);
        if (!FILTER_HOOKS.includes(m[2] as FilterHook) || priority === undefined) {
            this.unmodelled(tokens, `hook ${m[2]} priority ${m[3]}`);
            return;
        }
        chain.base = {
            hook: m[2] as FilterHook,
            priority,
            policy: (m[4] as 'accept' | 'drop' | undefined) ?? chain.base?.policy ?? 'accept'
        };
    }

    private policy(chain: FilterChain, tokens: Token[]): void {
        const words = tokens.map(t => t.text);
        if (chain.base && words.length === 3 && (words[1] === 'accept' || words[1] === 'drop') && words[2] === ';')
            chain.base.policy = words[1];
        else this.unmodelled(tokens, 'a policy belongs to a base chain and is accept or drop');
    }

    /** One rule; undefined where it is not modelled (reported) or becomes a policy route. */
    private rule(
        table: string,
        family: 4 | 6 | undefined,
        chain: FilterChain,
        tokens: Token[]
    ): FilterRule | undefined {
        const rule: FilterRule = {
            match: family === undefined ? {} : { family },
            verdict: { kind: 'continue' },
            comment: '',
            location: this.location(tokens)
        };
        let never = false;
        let i = 0;
        const fail = (why: string): undefined => {
            this.unmodelled(tokens, why);
            return undefined;
        };
        const word = () => tokens[i]?.text;
        const negated = () => {
            if (word() === '!=') {
                i++;
                return true;
            }
            if (word() === '==') i++;
            return false;
        };
        /** A value, a comma list (`established,related`) or a `{ … }` set, as its items. */
        const values = (): Token[] | undefined => {
            if (word() !== '{') {
                if (!tokens[i]) return undefined;
                const items = [tokens[i++]];
                while (word() === ',' && tokens[i + 1]) {
                    items.push(tokens[i + 1]);
                    i += 2;
                }
                return items;
            }
            const items: Token[] = [];
            for (i++; i < tokens.length && word() !== '}'; i++) if (word() !== ',') items.push(tokens[i]);
            if (word() !== '}') return undefined;
            i++;
            return items;
        };
        const ranges = <A extends Bound>(
            universe: readonly [A, A],
            parse: (t: string) => readonly [A, A] | undefined
        ): ReadonlyArray<readonly [A, A]> | undefined => {
            const negate = negated();
            const items = values()?.map(t => (t.quoted ? undefined : parse(t.text)));
            if (!items || items.some(r => r === undefined)) return undefined;
            const set = IntervalSet.fromIntervals<A>(items as Array<readonly [A, A]>);
            return (negate ? IntervalSet.fromIntervals<A>([universe]).subtract(set) : set).intervals;
        };
        /** What a field already tested and `found` have in common (nothing: the rule matches no packet). */
        const intersected = <A extends Bound>(
            before: ReadonlyArray<readonly [A, A]> | undefined,
            found: ReadonlyArray<readonly [A, A]>
        ) => {
            const set = before
                ? IntervalSet.fromIntervals(before).intersect(IntervalSet.fromIntervals(found))
                : IntervalSet.fromIntervals(found);
            if (set.isEmpty()) never = true;
            return set.intervals;
        };
        const narrow = (field: 'src' | 'dst' | 'protocols' | 'dstPorts' | 'srcPorts' | 'dscp', found: Ranges) => {
            rule.match[field] = intersected(rule.match[field], found);
        };
        /** A test of one family's header: a packet of the other never matches. */
        const inFamily = (tested: 4 | 6) => {
            if (rule.match.family !== undefined && rule.match.family !== tested) never = true;
            rule.match.family = tested;
        };
        // nft refuses a rule with anything but its comment after the verdict.
        let terminal = false;
        while (i < tokens.length) {
            const w = word()!;
            const next = tokens[i + 1]?.text;
            if (w === '"' && !tokens[i].quoted) return fail('a string without its closing quote: nft refuses the file');
            if (terminal && w !== 'comment')
                return fail(
                    'a statement after the verdict: nft refuses the rule ("Statement after terminal statement has no effect")'
                );
            if (w === 'iifname' || w === 'oifname') {
                i++;
                const negate = negated();
                const names = values();
                if (!names || names.some(n => !/^[^\s"]+$/.test(n.text))) return fail('an interface name list');
                const match: NameMatch = { names: names.map(n => n.text), negate };
                if (w === 'iifname') rule.iif = match;
                else rule.oif = match;
            } else if (w === 'ct' && next === 'state') {
                i += 2;
                const negate = negated();
                const states = values()?.map(t => t.text);
                if (!states || states.some(s => !CT_STATES.includes(s as CtState)))
                    return fail('connection states are new, established, related, invalid, untracked');
                rule.ctState = negate ? CT_STATES.filter(s => !states.includes(s)) : (states as CtState[]);
            } else if (w === 'ct' && next === 'direction') {
                const direction = tokens[i + 2]?.text;
                if (direction !== 'original' && direction !== 'reply') return fail('ct direction is original or reply');
                rule.ctDirection = direction;
                i += 3;
            } else if (w === 'ct' && next === 'mark' && tokens[i + 2]?.text === 'set') {
                const value = parseNumber(tokens[i + 3]?.text);
                if (value === undefined) return fail('ct mark set takes a number');
                rule.setCtMark = value;
                i += 4;
            } else if (w === 'ct' && next === 'mark') {
                i += 2;
                const equal = !negated();
                const value = parseNumber(word());
                if (value === undefined) return fail('ct mark is compared with a number');
                rule.ctMark = { value, equal };
                i++;
            } else if (w === 'meta' && next === 'mark' && tokens[i + 2]?.text === 'set') {
                rule.setMark = parseNumber(tokens[i + 3]?.text);
                if (rule.setMark === undefined) return fail('meta mark set takes a number');
                i += 4;
            } else if ((w === 'ip' || w === 'ip6') && next === 'dscp' && tokens[i + 2]?.text === 'set') {
                rule.setDscp = parseDscp(tokens[i + 3]?.text);
                if (rule.setDscp === undefined) return fail(`${w} dscp set takes a code point 0-63`);
                inFamily(w === 'ip' ? 4 : 6);
                i += 4;
            } else if ((w === 'ip' || w === 'ip6') && next === 'dscp') {
                inFamily(w === 'ip' ? 4 : 6);
                i += 2;
                const found = ranges([0, 63], t => {
                    const v = parseDscp(t);
                    return v === undefined ? undefined : ([v, v] as const);
                });
                if (!found) return fail('a DSCP code point 0-63 or a set of them');
                narrow('dscp', found);
            } else if (w === 'ip' && (next === 'saddr' || next === 'daddr')) {
                inFamily(4);
                i += 2;
                const found = ranges([0, 0xffffffff], t => parseRange(IPV4, t));
                if (!found) return fail('an address, prefix, range or set of them');
                narrow(next === 'saddr' ? 'src' : 'dst', found);
            } else if (w === 'ip6' && (next === 'saddr' || next === 'daddr')) {
                inFamily(6);
                i += 2;
                const found = ranges([0n, ALL_ONES6], t => parseRange(IPV6, t));
                if (!found) return fail('an IPv6 address, prefix, range or set of them');
                const field = next === 'saddr' ? 'src6' : 'dst6';
                rule.match[field] = intersected(rule.match[field], found);
            } else if (w === 'ip6' && next === 'nexthdr') {
                return fail(
                    'ip6 nexthdr is the first extension header, not always the transport protocol: write meta l4proto'
                );
            } else if ((w === 'ip' && next === 'protocol') || (w === 'meta' && next === 'l4proto')) {
                if (w === 'ip') inFamily(4);
                i += 2;
                const found = ranges([0, 255], parseProtocolRange);
                if (!found) return fail('a protocol name or number');
                narrow('protocols', found);
            } else if (w === 'meta' && next === 'nfproto') {
                i += 2;
                const family = values();
                if (!family || family.length !== 1 || !['ipv4', 'ipv6'].includes(family[0].text))
                    return fail('nfproto ipv4 or ipv6');
                inFamily(family[0].text === 'ipv4' ? 4 : 6);
            } else if ((w === 'tcp' || w === 'udp' || w === 'th') && (next === 'dport' || next === 'sport')) {
                i += 2;
                const found = ranges([0, 65535], parsePortRange);
                if (!found) return fail('a port, port range, service name or set of them');
                if (w !== 'th') narrow('protocols', [[PROTOCOLS[w], PROTOCOLS[w]]]);
                else if (
                    !rule.match.protocols ||
                    IntervalSet.fromIntervals(rule.match.protocols).subtract(
                        IntervalSet.fromIntervals([
                            [6, 6],
                            [17, 17]
                        ])
                    ).intervals.length > 0
                ) {
                    return fail('th ports are read only after meta l4proto tcp, udp or both');
                }
                narrow(next === 'dport' ? 'dstPorts' : 'srcPorts', found);
            } else if ((w === 'icmp' || w === 'icmpv6') && next === 'type') {
                i += 2;
                const known = w === 'icmp' ? ICMP_TYPES : ICMPV6_TYPES;
                const negate = negated();
                const types = values()?.map(t => (w === 'icmpv6' && ICMPV6_ALIASES[t.text]) || t.text);
                if (!types || types.some(t => !known.includes(t)))
                    return fail(`${w === 'icmp' ? 'ICMP' : 'ICMPv6'} type names`);
                // A set, in number order: nft lists `{ nd-neighbor-solicit, mld-listener-query }` the other way round.
                rule.icmpTypes = known.filter(t => types.includes(t) !== negate);
                inFamily(w === 'icmp' ? 4 : 6);
                narrow('protocols', w === 'icmp' ? [[1, 1]] : [[58, 58]]);
            } else if (w === 'counter') {
                i++;
                while (word() === 'packets' || word() === 'bytes') i += 2;
            } else if (w === 'log') {
                i++;
                while (word() === 'prefix' || word() === 'level' || word() === 'flags') i += 2;
            } else if (w === 'comment') {
                if (!tokens[i + 1]?.quoted) return fail('a comment is a quoted string');
                rule.comment = tokens[i + 1].text;
                i += 2;
            } else if (w === 'accept' || w === 'drop' || w === 'return' || w === 'continue') {
                rule.verdict = { kind: w };
                terminal = true;
                i++;
            } else if (w === 'reject') {
                // The packet goes no further (the sender hears so): for delivery, a drop.
                rule.verdict = { kind: 'drop' };
                terminal = true;
                i++;
                if (word() === 'with') i += 3;
            } else if ((w === 'jump' || w === 'goto') && next !== undefined) {
                rule.verdict = { kind: w, chain: next };
                terminal = true;
                this.jumps.push({ table, chain: next, location: this.location(tokens), text: this.sourceText(tokens) });
                i += 2;
            } else {
                return fail('');
            }
        }
        if (rule.setCtMark !== undefined && rule.verdict.kind !== 'accept')
            return fail('a connection mark is read only together with accept');
        // A packet's mark matters to routing only as prerouting sets it (before the decision).
        if (rule.setMark !== undefined && chain.base?.hook !== 'prerouting')
            return fail('a packet mark is read only where a prerouting chain sets it');
        // A rule that can match no packet changes nothing.
        return never ? undefined : rule;
    }

    /** Every jump lands on a chain of its table, and no chain reaches itself (nft refuses both). */
    private checkJumps(): void {
        for (const jump of this.jumps) {
            if (!this.chains.has(`${jump.table}\n${jump.chain}`)) {
                this.report(
                    jump.location,
                    jump.text,
                    `no chain ${jump.chain} in table ${jump.table}: nft refuses the file`
                );
            }
        }
        for (const chain of this.chains.values()) {
            if (this.depth(chain, new Set()) > MAX_JUMP_DEPTH) {
                this.report(
                    chain.rules[0]?.location ?? {
                        file: this.file,
                        range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }
                    },
                    `chain ${chain.name}`,
                    'its jumps loop or nest too deep: nft refuses the file'
                );
            }
        }
    }

    private depth(chain: FilterChain, path: Set<FilterChain>): number {
        if (path.has(chain)) return Infinity;
        path.add(chain);
        let deepest = 0;
        for (const rule of chain.rules) {
            if (rule.verdict.kind !== 'jump' && rule.verdict.kind !== 'goto') continue;
            const target = this.chains.get(`${chain.table}\n${rule.verdict.chain}`);
            if (target) deepest = Math.max(deepest, 1 + this.depth(target, path));
        }
        path.delete(chain);
        return deepest;
    }

    private report(location: SourceLocation, text: string, why: string): void {
        this.config.unmodelled.push({ scope: 'filtering', location, text });
        this.diagnostics.push({
            ...location,
            severity: 'error',
            code: 'nft-unsupported',
            message: `'${text}': ${why}; the verdicts of traffic through ${this.config.hostname} are unknown.`
        });
    }
}

/** The file as lines of tokens; a `{ … }` set may span lines, and `;` ends a statement as a newline does (but is kept). */
function tokenize(text: string): Token[][] {
    const lines: Token[][] = [];
    let current: Token[] = [];
    let setDepth = 0;
    const flush = () => {
        if (current.length > 0) lines.push(current);
        current = [];
    };
    text.split(/\r\n|\r|\n/).forEach((raw, index) => {
        const line = index + 1;
        // A quote that no other closes on its line is a token of its own, which no statement takes.
        const pattern = /"((?:[^"\\]|\\.)*)"|(#.*$)|(!=|==|[{};,])|([^\s"{};,#]+)|(")/g;
        let m: RegExpExecArray | null;
        while ((m = pattern.exec(raw))) {
            if (m[2] !== undefined) break;
            const token: Token = {
                text: m[1] ?? m[3] ?? m[4] ?? m[5],
                line,
                column: m.index + 1,
                quoted: m[1] !== undefined
            };
            current.push(token);
            if (!token.quoted && token.text === '{') {
                // A block opener ends its line; a set opener inside a rule does not.
                const words = current.map(t => t.text);
                const opensBlock = (words[0] === 'table' || words[0] === 'chain') && words.length <= 4;
                if (opensBlock) flush();
                else setDepth++;
            } else if (!token.quoted && token.text === '}') {
                if (setDepth > 0) {
                    setDepth--;
                } else {
                    current.pop();
                    flush();
                    current.push(token);
                    flush();
                }
            } else if (
                !token.quoted &&
                token.text === ';' &&
                setDepth === 0 &&
                current[0]?.text !== 'type' &&
                current[0]?.text !== 'policy'
            ) {
                current.pop();
                flush();
            }
        }
        if (setDepth === 0) flush();
    });
    flush();
    return lines;
}

function parsePriority(text: string): number | undefined {
    const m = text.replace(/\s+/g, ' ').match(/^(-?\d+|[a-z]+)(?: ([+-]) (\d+))?$/);
    if (!m) return undefined;
    const base = /^-?\d+$/.test(m[1]) ? Number(m[1]) : PRIORITIES[m[1]];
    if (base === undefined) return undefined;
    return m[2] ? base + (m[2] === '+' ? 1 : -1) * Number(m[3]) : base;
}

/** A code point by number or by name (cs0-cs7, af11-af43, ef). */
function parseDscp(text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const named = DSCP_NAMES[text];
    if (named !== undefined) return named;
    const value = parseNumber(text);
    return value !== undefined && value <= 63 ? value : undefined;
}

function parseNumber(text: string | undefined): number | undefined {
    if (text === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined;
    return Number(text);
}

function parseProtocolRange(text: string): readonly [number, number] | undefined {
    const named = PROTOCOLS[text];
    if (named !== undefined) return [named, named];
    const m = text.match(/^(\d+)(?:-(\d+))?$/);
    return m && Number(m[1]) <= Number(m[2] ?? m[1]) && Number(m[2] ?? m[1]) <= 255
        ? [Number(m[1]), Number(m[2] ?? m[1])]
        : undefined;
}

function parsePortRange(text: string): readonly [number, number] | undefined {
    const named = SERVICES[text];
    if (named !== undefined) return [named, named];
    const m = text.match(/^(\d+)(?:-(\d+))?$/);
    return m && Number(m[1]) <= Number(m[2] ?? m[1]) && Number(m[2] ?? m[1]) <= 65535
        ? [Number(m[1]), Number(m[2] ?? m[1])]
        : undefined;
}

/**
 * `ip rule add fwmark M table T [priority P]`, `ip -6 rule add …` for IPv6 (and the `ip rule del`
 * that makes the script safe to run again).
 */
function parsePolicyRouting(config: DeviceConfig, text: string, file: string, diagnostics: Diagnostic[]): void {
    text.split(/\r\n|\r|\n/).forEach((raw, index) => {
        const line = raw.trim();
        let m: RegExpMatchArray | null;
        if (
            line === '' ||
            line.startsWith('#') ||
            line === 'set -e' ||
            /^ip (-6 )?rule del fwmark \S+ table \d+ 2>\/dev\/null \|\| true$/.test(line)
        )
            return;
        if ((m = line.match(/^ip (-6 )?rule add fwmark (0x[0-9a-f]+|\d+) table (\d+)(?: priority (\d+))?$/))) {
            // Without a priority the kernel takes one below the lowest rule it has: not known from here.
            if (m[4] === undefined) {
                const location = {
                    file,
                    range: { start: { line: index + 1, column: 1 }, end: { line: index + 1, column: raw.length + 1 } }
                };
                config.unmodelled.push({ scope: 'filtering', location, text: line });
                diagnostics.push({
                    ...location,
                    severity: 'error',
                    code: 'nft-unsupported',
                    message: `'${line}' has no priority, so where it stands among the rules depends on what the device had before; give it one.`
                });
                return;
            }
            (m[1] ? config.ipRules6 : config.ipRules).push({
                fwmark: Number(m[2]),
                table: Number(m[3]),
                priority: Number(m[4])
            });
        } else {
            const location = {
                file,
                range: { start: { line: index + 1, column: 1 }, end: { line: index + 1, column: raw.length + 1 } }
            };
            config.unmodelled.push({ scope: 'filtering', location, text: line });
            diagnostics.push({
                ...location,
                severity: 'error',
                code: 'nft-unsupported',
                message: `netintent does not model '${line}'; the verdicts of traffic through ${config.hostname} are unknown until it is removed or modelled.`
            });
        }
    });
}
