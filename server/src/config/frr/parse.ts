/**
 * Reads FRR configuration text (frr.conf, as `show running-config` writes it and as people write
 * it by hand: `network … area`, `ip ospf area`, peer-groups, `passive-interface`) into the
 * configuration model. Every line it does not understand is a warning at that line, never
 * silently dropped; every element it reads keeps its line.
 */
import type { Diagnostic, SourceLocation } from '../../common/diagnostic.js';
import { parseAddress, parsePrefix } from '../../net/ipv4.js';
import { emptyDevice, type BgpConfig, type BgpNeighbor, type DeviceConfig, type InterfaceConfig, type OspfConfig, type RouteMap } from '../model.js';

export interface ParsedFrrConfig {
    config: DeviceConfig;
    diagnostics: Diagnostic[];
    /** The line each element was read from (interfaces, routes, neighbors, …). */
    locations: WeakMap<object, SourceLocation>;
}

/** Lines that carry nothing the model needs and are known to be harmless. */
const IGNORED = [
    /^frr (version|defaults)\b/, /^log\b/, /^service\b/, /^end$/, /^line vty$/, /^no ipv6 forwarding$/,
    /^ip forwarding$/, /^(no )?password\b/, /^enable password\b/, /^agentx$/, /^debug\b/
];

interface PeerGroup {
    remoteAs?: BgpNeighbor['remoteAs'];
    routeMapIn?: string;
    routeMapOut?: string;
    nextHopSelf?: boolean;
    members: BgpNeighbor[];
}

export function parseFrrConf(text: string, file: string, hostname = 'router'): ParsedFrrConfig {
    return new FrrParser(text, file, hostname).parse();
}

class FrrParser {
    private readonly config: DeviceConfig;
    private readonly diagnostics: Diagnostic[] = [];
    private readonly locations = new WeakMap<object, SourceLocation>();
    private readonly lines: string[];
    private lineNumber = 0;
    private readonly peerGroups = new Map<string, PeerGroup>();
    private readonly ospfInterfaces = new Map<InterfaceConfig, { area: boolean; cost?: number; passive: boolean; pointToPoint: boolean }>();
    private readonly passiveByName = new Set<string>();

    constructor(text: string, private readonly file: string, hostname: string) {
        this.lines = text.split(/\r?\n/);
        this.config = emptyDevice(hostname);
    }

    parse(): ParsedFrrConfig {
        while (this.lineNumber < this.lines.length) {
            const line = this.next();
            if (line === undefined) break;
            this.topLevel(line);
        }
        this.finish();
        return { config: this.config, diagnostics: this.diagnostics, locations: this.locations };
    }

    /** The next meaningful line (comments and blank lines skipped), trimmed; advances. */
    private next(): string | undefined {
        while (this.lineNumber < this.lines.length) {
            const raw = this.lines[this.lineNumber++];
            const line = raw.trim();
            if (line === '' || line.startsWith('!') || line.startsWith('#')) continue;
            return line;
        }
        return undefined;
    }

    /** Whether the next meaningful line belongs to the current block (indented, or a block end). */
    private peekIndented(): boolean {
        for (let i = this.lineNumber; i < this.lines.length; i++) {
            const raw = this.lines[i];
            const trimmed = raw.trim();
            if (trimmed === '' || trimmed.startsWith('!')) continue;
            return /^\s/.test(raw) || /^(exit|exit-address-family|exit-vrf)$/.test(trimmed);
        }
        return false;
    }

    private location(): SourceLocation {
        const line = this.lineNumber;
        const raw = this.lines[line - 1] ?? '';
        const column = raw.length - raw.trimStart().length + 1;
        return { file: this.file, range: { start: { line, column }, end: { line, column: raw.length + 1 } } };
    }

    private unknown(line: string, context?: string): void {
        this.diagnostics.push({
            ...this.location(), severity: 'warning', code: 'frr-unsupported',
            message: `netintent does not understand '${line}'${context ? ` in ${context}` : ''}; verification ignores this line.`
        });
    }

    private invalid(line: string, what: string): void {
        this.diagnostics.push({ ...this.location(), severity: 'error', code: 'frr-invalid', message: `'${line}': ${what}.` });
    }

    private topLevel(line: string): void {
        let m: RegExpMatchArray | null;
        if ((m = line.match(/^hostname (\S+)$/))) {
            this.config.hostname = m[1];
        } else if ((m = line.match(/^interface (\S+)( vrf \S+)?$/))) {
            this.interfaceBlock(m[1]);
        } else if ((m = line.match(/^ip route (\S+) (\S+)(?: (\d+))?$/))) {
            this.staticRoute(line, m[1], m[2], m[3]);
        } else if ((m = line.match(/^ip prefix-list (\S+)(?: seq (\d+))? (permit|deny) (\S+)(?: le (\d+))?$/))) {
            this.prefixList(line, m[1], m[2], m[3] as 'permit' | 'deny', m[4], m[5]);
        } else if ((m = line.match(/^route-map (\S+) (permit|deny) (\d+)$/))) {
            this.routeMapBlock(m[1], m[2] as 'permit' | 'deny', Number(m[3]));
        } else if (line === 'router ospf') {
            this.ospfBlock();
        } else if ((m = line.match(/^router bgp (\d+)$/))) {
            this.bgpBlock(Number(m[1]));
        } else if (IGNORED.some(r => r.test(line))) {
            // Known, and nothing netintent models.
        } else if (line === 'exit') {
            // A stray block end.
        } else {
            this.unknown(line);
            this.skipBlock(line);
        }
    }

    /** The lines of a block netintent does not know: each is reported, none dropped silently. */
    private skipBlock(header: string): void {
        while (this.peekIndented()) {
            const line = this.next();
            if (line === 'exit' || line === undefined) break;
            this.unknown(line, header);
        }
    }

    private interfaceBlock(name: string): void {
        let iface = this.config.interfaces.find(i => i.name === name);
        if (!iface) {
            iface = { name };
            this.config.interfaces.push(iface);
            this.locations.set(iface, this.location());
        }
        const ospf = this.ospfInterfaces.get(iface) ?? { area: false, passive: false, pointToPoint: false };
        this.ospfInterfaces.set(iface, ospf);
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^description (.+)$/))) {
                iface.description = m[1];
            } else if ((m = line.match(/^ip address (\S+)$/))) {
                const [text, lengthText] = m[1].split('/');
                const address = parseAddress(text);
                const length = Number(lengthText);
                if (address === undefined || !/^\d+$/.test(lengthText ?? '') || length > 32) this.invalid(line, 'not an address with a prefix length');
                else iface.address = { address, length };
            } else if ((m = line.match(/^ip ospf area (0|0\.0\.0\.0)$/))) {
                ospf.area = true;
            } else if ((m = line.match(/^ip ospf cost (\d+)$/))) {
                ospf.cost = Number(m[1]);
            } else if (line === 'ip ospf network point-to-point') {
                ospf.pointToPoint = true;
            } else if (line === 'ip ospf passive') {
                ospf.passive = true;
            } else if (line === 'shutdown') {
                iface.shutdown = true;
            } else if (line === 'no shutdown') {
                delete iface.shutdown;
            } else {
                this.unknown(line, `interface ${name}`);
            }
        }
    }

    private staticRoute(line: string, prefixText: string, nextHopText: string, distance: string | undefined): void {
        const prefix = parsePrefix(prefixText, false)?.prefix;
        const nextHop = parseAddress(nextHopText);
        if (!prefix || nextHop === undefined) {
            // `ip route P INTERFACE` and blackhole routes are not modelled.
            if (prefix && /^[A-Za-z]/.test(nextHopText)) this.unknown(line);
            else this.invalid(line, 'not a prefix and a next-hop address');
            return;
        }
        const route = { prefix, nextHop, ...(distance !== undefined ? { distance: Number(distance) } : {}) };
        this.config.staticRoutes.push(route);
        this.locations.set(route, this.location());
    }

    private prefixList(line: string, name: string, seqText: string | undefined, action: 'permit' | 'deny', prefixText: string, le: string | undefined): void {
        const prefix = prefixText === 'any' ? { network: 0, length: 0 } : parsePrefix(prefixText, false)?.prefix;
        if (!prefix) {
            this.invalid(line, 'not a prefix');
            return;
        }
        let list = this.config.prefixLists.find(l => l.name === name);
        if (!list) {
            list = { name, entries: [] };
            this.config.prefixLists.push(list);
        }
        const seq = seqText !== undefined ? Number(seqText) : (list.entries.at(-1)?.seq ?? 0) + 5;
        const entry = { seq, action, prefix, ...(prefixText === 'any' ? { le: 32 } : le !== undefined ? { le: Number(le) } : {}) };
        list.entries.push(entry);
        this.locations.set(entry, this.location());
    }

    private routeMapBlock(name: string, action: 'permit' | 'deny', seq: number): void {
        let map: RouteMap | undefined = this.config.routeMaps.find(r => r.name === name);
        if (!map) {
            map = { name, entries: [] };
            this.config.routeMaps.push(map);
        }
        const entry: RouteMap['entries'][number] = { seq, action };
        map.entries.push(entry);
        this.locations.set(entry, this.location());
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            const m = line.match(/^match ip address prefix-list (\S+)$/);
            if (m) entry.matchPrefixList = m[1];
            else this.unknown(line, `route-map ${name}`);
        }
    }

    private ospfBlock(): void {
        const ospf: OspfConfig = this.config.ospf ?? { routerId: 0, redistribute: [], defaultOriginate: false, networks: [] };
        this.config.ospf = ospf;
        this.locations.set(ospf, this.location());
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^(?:ospf )?router-id (\S+)$/))) {
                const id = parseAddress(m[1]);
                if (id === undefined) this.invalid(line, 'not a router id'); else ospf.routerId = id;
            } else if ((m = line.match(/^redistribute (connected|static)$/))) {
                ospf.redistribute.push(m[1] as 'connected' | 'static');
            } else if ((m = line.match(/^network (\S+) area (0|0\.0\.0\.0)$/))) {
                const prefix = parsePrefix(m[1], false)?.prefix;
                if (prefix) ospf.networks.push(prefix); else this.invalid(line, 'not a prefix');
            } else if (line === 'default-information originate') {
                ospf.defaultOriginate = true;
            } else if ((m = line.match(/^passive-interface (\S+)$/))) {
                this.passiveByName.add(m[1]);
            } else {
                this.unknown(line, 'router ospf');
            }
        }
    }

    private bgpBlock(asn: number): void {
        const bgp: BgpConfig = { asn, routerId: 0, multipathRelax: false, ebgpRequiresPolicy: true, maximumPaths: 1, neighbors: [], networks: [], redistribute: [] };
        this.config.bgp = bgp;
        this.locations.set(bgp, this.location());
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^bgp router-id (\S+)$/))) {
                const id = parseAddress(m[1]);
                if (id === undefined) this.invalid(line, 'not a router id'); else bgp.routerId = id;
            } else if (line === 'bgp bestpath as-path multipath-relax') {
                bgp.multipathRelax = true;
            } else if (line === 'no bgp ebgp-requires-policy') {
                bgp.ebgpRequiresPolicy = false;
            } else if ((m = line.match(/^address-family ipv4(?: unicast)?$/))) {
                this.addressFamily(bgp);
            } else if ((m = line.match(/^neighbor (\S+) (.+)$/))) {
                this.neighbor(bgp, line, m[1], m[2]);
            } else if ((m = line.match(/^maximum-paths (\d+)$/))) {
                bgp.maximumPaths = Number(m[1]);
            } else {
                this.unknown(line, `router bgp ${asn}`);
            }
        }
    }

    private addressFamily(bgp: BgpConfig): void {
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit-address-family' || line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^network (\S+)$/))) {
                const prefix = parsePrefix(m[1], false)?.prefix;
                if (prefix) bgp.networks.push(prefix); else this.invalid(line, 'not a prefix');
            } else if ((m = line.match(/^redistribute (connected|static)(?: route-map (\S+))?$/))) {
                bgp.redistribute.push({ source: m[1] as 'connected' | 'static', ...(m[2] ? { routeMap: m[2] } : {}) });
            } else if ((m = line.match(/^maximum-paths (\d+)$/))) {
                bgp.maximumPaths = Number(m[1]);
            } else if ((m = line.match(/^neighbor (\S+) (.+)$/))) {
                this.neighbor(bgp, line, m[1], m[2]);
            } else {
                this.unknown(line, 'address-family ipv4 unicast');
            }
        }
    }

    /** `neighbor X …` for an address or a peer-group. */
    private neighbor(bgp: BgpConfig, line: string, who: string, rest: string): void {
        const address = parseAddress(who);
        let group = this.peerGroups.get(who);
        if (address === undefined && !group) {
            if (rest !== 'peer-group') {
                this.unknown(line, `router bgp ${bgp.asn} (no neighbor or peer-group '${who}')`);
                return;
            }
            this.peerGroups.set(who, { members: [] });
            return;
        }
        let neighbor = address === undefined ? undefined : bgp.neighbors.find(n => n.address === address);
        const target: { remoteAs?: BgpNeighbor['remoteAs']; routeMapIn?: string; routeMapOut?: string; nextHopSelf?: boolean; description?: string } = group ?? neighbor ?? {};
        let m: RegExpMatchArray | null;
        if ((m = rest.match(/^remote-as (\d+|external|internal)$/))) {
            const remoteAs = /^\d+$/.test(m[1]) ? Number(m[1]) : m[1] as 'external' | 'internal';
            if (address !== undefined && !neighbor) {
                neighbor = { address, remoteAs };
                bgp.neighbors.push(neighbor);
                this.locations.set(neighbor, this.location());
            } else {
                target.remoteAs = remoteAs;
            }
        } else if ((m = rest.match(/^peer-group (\S+)$/)) && address !== undefined) {
            group = this.peerGroups.get(m[1]);
            if (!group) {
                this.invalid(line, `no peer-group '${m[1]}' is declared before it`);
                return;
            }
            if (!neighbor) {
                neighbor = { address, remoteAs: group.remoteAs ?? 'external' };
                bgp.neighbors.push(neighbor);
                this.locations.set(neighbor, this.location());
            }
            group.members.push(neighbor);
        } else if (!neighbor && !group) {
            this.invalid(line, `neighbor ${who} has no remote-as before this line`);
        } else if ((m = rest.match(/^description (.+)$/))) {
            target.description = m[1];
        } else if ((m = rest.match(/^route-map (\S+) (in|out)$/))) {
            if (m[2] === 'in') target.routeMapIn = m[1]; else target.routeMapOut = m[1];
        } else if (rest === 'next-hop-self') {
            target.nextHopSelf = true;
        } else if (rest === 'activate' || rest === 'soft-reconfiguration inbound' || /^timers /.test(rest)) {
            // Session details the model does not need (ipv4 unicast is active by default in FRR 8).
        } else {
            this.unknown(line);
        }
    }

    /** Settings that need the whole file: OSPF interface flags, peer-group inheritance. */
    private finish(): void {
        for (const [iface, ospf] of this.ospfInterfaces) {
            if (!ospf.area) continue;
            iface.ospf = { cost: ospf.cost ?? 10, passive: ospf.passive || this.passiveByName.has(iface.name), pointToPoint: ospf.pointToPoint };
        }
        for (const group of this.peerGroups.values()) {
            for (const member of group.members) {
                if (group.remoteAs !== undefined) member.remoteAs = group.remoteAs;
                member.routeMapIn ??= group.routeMapIn;
                member.routeMapOut ??= group.routeMapOut;
                member.nextHopSelf ??= group.nextHopSelf;
                for (const key of ['routeMapIn', 'routeMapOut', 'nextHopSelf'] as const) if (member[key] === undefined) delete member[key];
            }
        }
    }
}
