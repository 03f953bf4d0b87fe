/**
 * Reads FRR configuration text (frr.conf, as `show running-config` writes it and as people write
 * it by hand: `network … area`, `ip ospf area`, peer-groups, `passive-interface`) into the
 * configuration model, with FRR 8.4's semantics. Every line is read into the model, known to be
 * harmless, or unmodelled: an error at that line and an entry in `config.unmodelled`, so that no
 * verdict rests on a line verification did not take into account. Every element it reads keeps
 * its line.
 */
import type { Diagnostic, SourceLocation } from '../../common/diagnostic.js';
import { parseAddress, parsePrefix, prefixContains, type Prefix } from '../../net/ipv4.js';
import { formatAddress6, parseAddress6, parsePrefix6, type Prefix6 } from '../../net/ipv6.js';
import {
    emptyDevice,
    type BgpConfig,
    type BgpNeighbor,
    type BgpUnicast,
    type DeviceConfig,
    type InterfaceConfig,
    type OspfAuthentication,
    type OspfConfig,
    type Ospf6Config,
    type PrefixList,
    type RouteMap,
    type StaticRoute,
    type StaticRoute6
} from '../model.js';

export interface ParsedFrrConfig {
    config: DeviceConfig;
    diagnostics: Diagnostic[];
    /** The line each element was read from (interfaces, routes, neighbors, …). */
    locations: WeakMap<object, SourceLocation>;
}

/** Lines that carry nothing the model needs and are known to be harmless. */
const IGNORED = [
    /^frr version\b/,
    /^frr defaults traditional$/,
    /^log\b/,
    /^service\b/,
    /^end$/,
    /^(no )?ipv6 forwarding$/,
    /^ip forwarding$/,
    /^(no )?password\b/,
    /^enable password\b/,
    /^agentx$/,
    /^debug\b/,
    // What vtysh's `show running-config` prints before the configuration (an export of a running router).
    /^Building configuration\.\.\.$/,
    /^Current configuration:$/,
    // How zebra hands routes to the kernel (nexthop objects or inline), not which.
    /^(no )?zebra nexthop kernel enable$/
];

/** FRR 8.4's OSPF defaults (lib/libospf.h): seconds, and Mbit/s. */
const OSPF_HELLO_DEFAULT = 10;
const OSPF_DEAD_DEFAULT = 40;
const OSPF_REFERENCE_BANDWIDTH_DEFAULT = 100_000;
/** The speed a Linux veth reports, which zebra takes as the interface's bandwidth. */
const VETH_SPEED = 10_000;
/** FRR keeps this much of a simple password and of an MD5 key (ospfd/ospf_vty.c, strlcpy). */
const OSPF_SIMPLE_KEY_LENGTH = 8;
const OSPF_MD5_KEY_LENGTH = 16;

/** What an interface block says about OSPF; finish() resolves it against router ospf. */
interface OspfLines {
    /** `ip ospf area 0`. */
    area: boolean;
    cost?: number;
    /** `bandwidth N` (Mbit/s): the cost FRR derives when there is no `ip ospf cost`. */
    bandwidth?: number;
    pointToPoint: boolean;
    helloInterval?: number;
    deadInterval?: number;
    /** `ip ospf authentication …`: overrides the area's type. */
    authentication?: 'simple' | 'md5' | 'null';
    simpleKey?: string;
    /** `ip ospf message-digest-key`s in FRR's list order: a key defined again moves last. */
    md5Keys: Array<{ keyId: number; key: string }>;
}

/** What an interface block says about OSPFv3 (`ipv6 ospf6 …`); finish() resolves it against router ospf6. */
interface Ospf6Lines {
    /** `ipv6 ospf6 area 0`. */
    area: boolean;
    cost?: number;
    pointToPoint: boolean;
    passive: boolean;
    helloInterval?: number;
    deadInterval?: number;
    advertisePrefixList?: string;
}

/** What `neighbor X …` may set on a neighbour or peer-group. */
type NeighborSettings = Partial<Pick<BgpNeighbor, 'routeMapIn' | 'routeMapOut' | 'nextHopSelf' | 'description'>>;

/** How the prefixes of `ip prefix-list` and `ipv6 prefix-list` read. */
interface PrefixListFamily<P> {
    bits: number;
    /** What `any` stands for (with `le` all the bits). */
    any: P;
    parse(text: string): P | undefined;
}
const IPV4_LISTS: PrefixListFamily<Prefix> = {
    bits: 32,
    any: { network: 0, length: 0 },
    parse: text => parsePrefix(text, false)?.prefix
};
const IPV6_LISTS: PrefixListFamily<Prefix6> = {
    bits: 128,
    any: { network: 0n, length: 0 },
    parse: text => parsePrefix6(text, false)?.prefix
};

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
    /** IPv6 neighbours activated in IPv6 unicast, and those kept out of IPv4 unicast (`no neighbor X activate`). */
    private readonly inIpv6 = new Set<BgpNeighbor<bigint>>();
    private readonly notInIpv4 = new Set<BgpNeighbor<bigint>>();
    private readonly ospfInterfaces = new Map<InterfaceConfig, OspfLines>();
    private readonly ospf6Interfaces = new Map<InterfaceConfig, Ospf6Lines>();
    /** Per interface name, a passive setting of its own (`ip ospf passive`, `passive-interface IFACE`). */
    private readonly passiveByName = new Map<string, boolean>();
    private passiveDefault = false;
    private areaAuthentication?: 'simple' | 'md5';
    private referenceBandwidth = OSPF_REFERENCE_BANDWIDTH_DEFAULT;

    constructor(
        text: string,
        private readonly file: string,
        hostname: string
    ) {
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

    /**
     * A line netintent does not model: it may change routes anywhere, so it is an error, and an
     * entry in `unmodelled` that makes the network's verdicts unknown.
     */
    private unmodelled(line: string, context?: string, why?: string, location = this.location()): void {
        this.diagnostics.push({
            ...location,
            severity: 'error',
            code: 'frr-unsupported',
            message: `netintent does not model '${line}'${context ? ` (in ${context})` : ''}${why ? `: ${why}` : ''}; the verdicts of this network are unknown until it is removed or modelled.`
        });
        this.config.unmodelled.push({ scope: 'routing', location, text: line });
    }

    private invalid(line: string, what: string): void {
        this.diagnostics.push({
            ...this.location(),
            severity: 'error',
            code: 'frr-invalid',
            message: `'${line}': ${what}.`
        });
    }

    /** A whole number within FRR's range for it, or an frr-invalid error. */
    private integer(line: string, text: string, min: number, max: number): number | undefined {
        const value = Number(text);
        if (value >= min && value <= max) return value;
        this.invalid(line, `${text} is not within ${min}-${max}`);
        return undefined;
    }

    private topLevel(line: string): void {
        let m: RegExpMatchArray | null;
        if ((m = line.match(/^hostname (\S+)$/))) {
            this.config.hostname = m[1];
        } else if ((m = line.match(/^interface (\S+)(?: vrf default)?$/))) {
            this.interfaceBlock(m[1]);
        } else if ((m = line.match(/^(ip|ipv6) route (\S+) (\S+)(?: (\d+))?(?: table (\d+))?$/))) {
            this.staticRoute(m[1] === 'ip' ? 4 : 6, line, m[2], m[3], m[4], m[5]);
        } else if ((m = line.match(/^(ip|ipv6) prefix-list (\S+)(?: seq (\d+))? (permit|deny) (\S+)(?: le (\d+))?$/))) {
            const entry = { name: m[2], seq: m[3], action: m[4] as 'permit' | 'deny', prefix: m[5], le: m[6] };
            if (m[1] === 'ip') this.prefixList(line, this.config.prefixLists, entry, IPV4_LISTS);
            else this.prefixList(line, this.config.prefixLists6, entry, IPV6_LISTS);
        } else if ((m = line.match(/^route-map (\S+) (permit|deny) (\d+)$/))) {
            this.routeMapBlock(m[1], m[2] as 'permit' | 'deny', Number(m[3]));
        } else if (line === 'router ospf') {
            this.ospfBlock();
        } else if (line === 'router ospf6') {
            this.ospf6Block();
        } else if ((m = line.match(/^router bgp (\d+)$/))) {
            this.bgpBlock(Number(m[1]));
        } else if (line === 'line vty') {
            this.vtyBlock();
        } else if (IGNORED.some(r => r.test(line))) {
            // Known, and nothing netintent models.
        } else if (line === 'exit') {
            // A stray block end.
        } else {
            this.unmodelled(line);
            this.unmodelledBlock(line);
        }
    }

    /** Who may log in to the vty (exec-timeout, access-class, …): nothing that routes or filters. */
    private vtyBlock(): void {
        while (this.peekIndented()) {
            if (this.next() === 'exit') break;
        }
    }

    /** The lines of a block netintent does not know: each one unmodelled, none dropped silently. */
    private unmodelledBlock(header: string): void {
        while (this.peekIndented()) {
            const line = this.next();
            if (line === 'exit' || line === undefined) break;
            this.unmodelled(line, header);
        }
    }

    private interfaceBlock(name: string): void {
        let iface = this.config.interfaces.find(i => i.name === name);
        if (!iface) {
            iface = { name };
            this.config.interfaces.push(iface);
            this.locations.set(iface, this.location());
        }
        const ospf = this.ospfInterfaces.get(iface) ?? { area: false, pointToPoint: false, md5Keys: [] };
        this.ospfInterfaces.set(iface, ospf);
        const context = `interface ${name}`;
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^description (.+)$/))) {
                iface.description = m[1];
            } else if ((m = line.match(/^ip address (\S+)$/))) {
                this.interfaceAddress(iface, line, m[1]);
            } else if ((m = line.match(/^ip ospf area (0|0\.0\.0\.0)$/))) {
                ospf.area = true;
            } else if ((m = line.match(/^ip ospf cost (\d+)$/))) {
                ospf.cost = this.integer(line, m[1], 1, 65535) ?? ospf.cost;
            } else if ((m = line.match(/^bandwidth (\d+)$/))) {
                ospf.bandwidth = this.integer(line, m[1], 1, 100_000) ?? ospf.bandwidth;
            } else if ((m = line.match(/^ip ospf network (point-to-point|broadcast)$/))) {
                ospf.pointToPoint = m[1] === 'point-to-point';
            } else if ((m = line.match(/^(no )?ip ospf passive$/))) {
                this.setPassive(name, !m[1]);
            } else if ((m = line.match(/^ip ospf (hello|dead)-interval (\d+)$/))) {
                const seconds = this.integer(line, m[2], 1, 65535);
                if (seconds !== undefined && m[1] === 'hello') ospf.helloInterval = seconds;
                if (seconds !== undefined && m[1] === 'dead') ospf.deadInterval = seconds;
            } else if ((m = line.match(/^ip ospf authentication(?: (message-digest|null))?$/))) {
                ospf.authentication = m[1] === 'message-digest' ? 'md5' : m[1] === 'null' ? 'null' : 'simple';
            } else if ((m = line.match(/^ip ospf authentication-key (\S+)$/))) {
                ospf.simpleKey = m[1].slice(0, OSPF_SIMPLE_KEY_LENGTH);
            } else if ((m = line.match(/^ip ospf message-digest-key (\d+) md5 (\S+)$/))) {
                const keyId = this.integer(line, m[1], 1, 255);
                if (keyId !== undefined)
                    ospf.md5Keys = [
                        ...ospf.md5Keys.filter(k => k.keyId !== keyId),
                        { keyId, key: m[2].slice(0, OSPF_MD5_KEY_LENGTH) }
                    ];
            } else if ((m = line.match(/^ipv6 address (\S+)$/))) {
                this.interfaceAddress6(iface, line, m[1]);
            } else if ((m = line.match(/^ipv6 ospf6 (.+)$/))) {
                this.ospf6InterfaceLine(iface, line, m[1]);
            } else if (line === 'shutdown') {
                iface.shutdown = true;
            } else if (line === 'no shutdown') {
                delete iface.shutdown;
            } else {
                this.unmodelled(line, context);
            }
        }
    }

    /** The model holds one address per interface: a second one (a secondary) is unmodelled. */
    private interfaceAddress(iface: InterfaceConfig, line: string, text: string): void {
        const [addressText, lengthText] = text.split('/');
        const address = parseAddress(addressText);
        const length = Number(lengthText);
        if (address === undefined || !/^\d+$/.test(lengthText ?? '') || length > 32) {
            this.invalid(line, 'not an address with a prefix length');
        } else if (!iface.address) {
            iface.address = { address, length };
        } else if (iface.name === 'lo' && length === 32) {
            // More host addresses on the loopback (a waypoint set's anycast address), each announced.
            if (iface.address.address !== address && !iface.secondary?.some(a => a.address === address))
                iface.secondary = [...(iface.secondary ?? []), { address, length }];
        } else if (iface.address.address !== address || iface.address.length !== length) {
            this.unmodelled(line, `interface ${iface.name}`, 'a second address on the interface');
        }
    }

    /** One global IPv6 address per interface, as for IPv4; a link-local one (fe80::/10) is the kernel's. */
    private interfaceAddress6(iface: InterfaceConfig, line: string, text: string): void {
        const parsed = parsePrefix6(text, false);
        const address = parseAddress6(text.split('/')[0]);
        if (!parsed || address === undefined || parsed.prefix.length > 128) {
            this.invalid(line, 'not an IPv6 address with a prefix length');
        } else if (!iface.address6) {
            iface.address6 = { address, length: parsed.prefix.length };
        } else if (iface.address6.address !== address || iface.address6.length !== parsed.prefix.length) {
            this.unmodelled(line, `interface ${iface.name}`, 'a second IPv6 address on the interface');
        }
    }

    /** `ipv6 ospf6 …` of an interface: area 0, cost, network type, passive, intervals, advertise prefix-list; anything else unmodelled. */
    private ospf6InterfaceLine(iface: InterfaceConfig, line: string, rest: string): void {
        const ospf = this.ospf6Interfaces.get(iface) ?? { area: false, pointToPoint: false, passive: false };
        this.ospf6Interfaces.set(iface, ospf);
        let m: RegExpMatchArray | null;
        if (/^area (0|0\.0\.0\.0)$/.test(rest)) {
            ospf.area = true;
        } else if ((m = rest.match(/^cost (\d+)$/))) {
            ospf.cost = this.integer(line, m[1], 1, 65535) ?? ospf.cost;
        } else if ((m = rest.match(/^network (point-to-point|broadcast)$/))) {
            ospf.pointToPoint = m[1] === 'point-to-point';
        } else if (rest === 'passive') {
            ospf.passive = true;
        } else if ((m = rest.match(/^(hello|dead)-interval (\d+)$/))) {
            const seconds = this.integer(line, m[2], 1, 65535);
            if (seconds !== undefined && m[1] === 'hello') ospf.helloInterval = seconds;
            if (seconds !== undefined && m[1] === 'dead') ospf.deadInterval = seconds;
        } else if ((m = rest.match(/^advertise prefix-list (\S+)$/))) {
            ospf.advertisePrefixList = m[1];
        } else {
            this.unmodelled(line, `interface ${iface.name}`);
        }
    }

    /**
     * FRR's passive setting of an interface: set where it has none; the opposite setting removes
     * it, so that the interface follows `passive-interface default` again.
     */
    private setPassive(name: string, passive: boolean): void {
        const own = this.passiveByName.get(name);
        if (own === undefined) this.passiveByName.set(name, passive);
        else if (own !== passive) this.passiveByName.delete(name);
    }

    /**
     * `ip route P NEXT-HOP [DISTANCE] [table N]`, `ipv6 route` likewise; an interface as the next
     * hop is unmodelled.
     */
    private staticRoute(
        family: 4 | 6,
        line: string,
        prefixText: string,
        target: string,
        distanceText: string | undefined,
        tableText: string | undefined
    ): void {
        const prefix = (family === 4 ? parsePrefix : parsePrefix6)(prefixText, false)?.prefix;
        // `Null0` is any interface name FRR's staticd compares equal to it in its first 5 letters.
        const nextHop =
            /^(blackhole|reject)$/.test(target) || /^null0/i.test(target)
                ? 'blackhole'
                : (family === 4 ? parseAddress : parseAddress6)(target);
        if (prefix && nextHop === undefined && /^[A-Za-z]/.test(target) && !target.includes(':')) {
            this.unmodelled(line); // `ip route P INTERFACE`
            return;
        }
        if (!prefix || nextHop === undefined) {
            this.invalid(line, `not ${family === 4 ? 'a' : 'an IPv6'} prefix and a next-hop address`);
            return;
        }
        const distance = distanceText === undefined ? undefined : this.integer(line, distanceText, 1, 255);
        if (distanceText !== undefined && distance === undefined) return;
        const table = tableText === undefined ? undefined : this.integer(line, tableText, 1, 4_294_967_295);
        if (tableText !== undefined && table === undefined) return;
        const route = {
            prefix,
            nextHop,
            ...(distance !== undefined ? { distance } : {}),
            ...(table !== undefined ? { table } : {})
        };
        if (family === 4) this.config.staticRoutes.push(route as StaticRoute);
        else this.config.staticRoutes6.push(route as StaticRoute6);
        this.locations.set(route, this.location());
    }

    private prefixList<P>(
        line: string,
        lists: PrefixList<P>[],
        text: { name: string; seq?: string; action: 'permit' | 'deny'; prefix: string; le?: string },
        family: PrefixListFamily<P>
    ): void {
        const prefix = text.prefix === 'any' ? family.any : family.parse(text.prefix);
        if (!prefix) {
            this.invalid(line, 'not a prefix');
            return;
        }
        let list = lists.find(l => l.name === text.name);
        if (!list) {
            list = { name: text.name, entries: [] };
            lists.push(list);
        }
        const seq = text.seq !== undefined ? Number(text.seq) : (list.entries.at(-1)?.seq ?? 0) + 5;
        const entry = {
            seq,
            action: text.action,
            prefix,
            ...(text.prefix === 'any' ? { le: family.bits } : text.le !== undefined ? { le: Number(text.le) } : {})
        };
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
            const m = line.match(/^match (ip|ipv6) address prefix-list (\S+)$/);
            if (m?.[1] === 'ip') entry.matchPrefixList = m[2];
            else if (m) entry.matchPrefixList6 = m[2];
            else this.unmodelled(line, `route-map ${name}`);
        }
    }

    private ospfBlock(): void {
        const ospf: OspfConfig = this.config.ospf ?? {
            routerId: 0,
            redistribute: [],
            defaultOriginate: false,
            networks: []
        };
        this.config.ospf = ospf;
        this.locations.set(ospf, this.location());
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^(?:ospf )?router-id (\S+)$/))) {
                const id = parseAddress(m[1]);
                if (id === undefined) this.invalid(line, 'not a router id');
                else ospf.routerId = id;
            } else if ((m = line.match(/^redistribute (connected|static)$/))) {
                ospf.redistribute.push(m[1] as 'connected' | 'static');
            } else if ((m = line.match(/^network (\S+) area (0|0\.0\.0\.0)$/))) {
                const prefix = parsePrefix(m[1], false)?.prefix;
                if (!prefix) {
                    this.invalid(line, 'not a prefix');
                } else {
                    ospf.networks.push(prefix);
                    this.locations.set(prefix, this.location());
                }
            } else if (line === 'default-information originate') {
                ospf.defaultOriginate = true;
            } else if ((m = line.match(/^(no )?passive-interface default$/))) {
                this.passiveDefault = !m[1];
            } else if ((m = line.match(/^(no )?passive-interface (\S+)$/))) {
                this.setPassive(m[2], !m[1]);
            } else if ((m = line.match(/^area (0|0\.0\.0\.0) authentication( message-digest)?$/))) {
                this.areaAuthentication = m[2] ? 'md5' : 'simple';
            } else if ((m = line.match(/^auto-cost reference-bandwidth (\d+)$/))) {
                this.referenceBandwidth = this.integer(line, m[1], 1, 4_294_967) ?? this.referenceBandwidth;
            } else if (/^log-adjacency-changes( detail)?$/.test(line)) {
                // Logging only.
            } else {
                this.unmodelled(line, 'router ospf');
            }
        }
    }

    /** `router ospf6`: its router ID; anything else is unmodelled. */
    private ospf6Block(): void {
        const ospf6: Ospf6Config = this.config.ospf6 ?? { routerId: 0, redistribute: [], defaultOriginate: false };
        this.config.ospf6 = ospf6;
        this.locations.set(ospf6, this.location());
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^ospf6 router-id (\S+)$/))) {
                const id = parseAddress(m[1]);
                if (id === undefined) this.invalid(line, 'not a router id');
                else ospf6.routerId = id;
            } else if ((m = line.match(/^redistribute (connected|static)$/))) {
                ospf6.redistribute.push(m[1] as 'connected' | 'static');
            } else if (line === 'default-information originate') {
                ospf6.defaultOriginate = true;
            } else {
                this.unmodelled(line, 'router ospf6');
            }
        }
    }

    private bgpBlock(asn: number): void {
        const bgp: BgpConfig = {
            asn,
            routerId: 0,
            multipathRelax: false,
            ebgpRequiresPolicy: true,
            maximumPaths: 1,
            neighbors: [],
            networks: [],
            redistribute: []
        };
        this.config.bgp = bgp;
        this.locations.set(bgp, this.location());
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^bgp router-id (\S+)$/))) {
                const id = parseAddress(m[1]);
                if (id === undefined) this.invalid(line, 'not a router id');
                else bgp.routerId = id;
            } else if (line === 'bgp bestpath as-path multipath-relax') {
                bgp.multipathRelax = true;
            } else if (line === 'no bgp ebgp-requires-policy') {
                bgp.ebgpRequiresPolicy = false;
            } else if ((m = line.match(/^address-family (ipv4|ipv6)(?: unicast)?$/))) {
                if (m[1] === 'ipv4') this.addressFamily(bgp, bgp, 4);
                else this.addressFamily(bgp, this.ipv6Unicast(bgp), 6);
            } else if ((m = line.match(/^neighbor (\S+) (.+)$/))) {
                this.neighbor(bgp, line, m[1], m[2], 4);
            } else if ((m = line.match(/^maximum-paths (\d+)$/))) {
                bgp.maximumPaths = Number(m[1]);
            } else {
                this.unmodelled(line, `router bgp ${asn}`);
            }
        }
    }

    /** BGP's IPv6 unicast, made at its first mention (an IPv6 neighbour or its address-family block). */
    private ipv6Unicast(bgp: BgpConfig): NonNullable<BgpConfig['ipv6']> {
        bgp.ipv6 ??= { maximumPaths: 1, neighbors: [], networks: [], redistribute: [] };
        return bgp.ipv6;
    }

    /** `address-family ipv4 unicast` or `ipv6 unicast`: what it announces, its neighbours' settings in it. */
    private addressFamily<A extends number | bigint, P>(
        bgp: BgpConfig,
        unicast: BgpUnicast<A, P>,
        version: 4 | 6
    ): void {
        const block = `address-family ipv${version} unicast`;
        while (this.peekIndented()) {
            const line = this.next()!;
            if (line === 'exit-address-family' || line === 'exit') break;
            let m: RegExpMatchArray | null;
            if ((m = line.match(/^network (\S+)$/))) {
                const prefix = (version === 4 ? parsePrefix : parsePrefix6)(m[1], false)?.prefix as P | undefined;
                if (prefix) unicast.networks.push(prefix);
                else this.invalid(line, 'not a prefix');
            } else if ((m = line.match(/^redistribute (connected|static)(?: route-map (\S+))?$/))) {
                unicast.redistribute.push({
                    source: m[1] as 'connected' | 'static',
                    ...(m[2] ? { routeMap: m[2] } : {})
                });
            } else if ((m = line.match(/^maximum-paths (\d+)$/))) {
                unicast.maximumPaths = Number(m[1]);
            } else if ((m = line.match(/^neighbor (\S+) (.+)$/))) {
                this.neighbor(bgp, line, m[1], m[2], version);
            } else if ((m = line.match(/^no neighbor (\S+) activate$/)) && version === 4) {
                const neighbor = bgp.ipv6?.neighbors.find(n => n.address === parseAddress6(m![1]));
                if (neighbor) this.notInIpv4.add(neighbor);
                else this.unmodelled(line, block);
            } else {
                this.unmodelled(line, block);
            }
        }
    }

    /**
     * `neighbor X …` for an address or a peer-group, in router bgp (which FRR reads as IPv4
     * unicast for address-family settings) or in an address family. Sessions carry the family of
     * their addresses only: IPv6 routes over an IPv4 session, IPv4 ones over an IPv6 session and
     * IPv6 neighbours in peer-groups are not modelled.
     */
    private neighbor(bgp: BgpConfig, line: string, who: string, rest: string, version: 4 | 6): void {
        const context = `router bgp ${bgp.asn}`;
        const address = parseAddress(who);
        const address6 = address === undefined ? parseAddress6(who) : undefined;
        if (address6 !== undefined) {
            this.neighbor6(bgp, line, address6, rest, version);
            return;
        }
        let group = this.peerGroups.get(who);
        if (address === undefined && !group) {
            if (rest !== 'peer-group') {
                this.unmodelled(line, context, `no neighbor or peer-group '${who}'`);
                return;
            }
            this.peerGroups.set(who, { members: [] });
            return;
        }
        if (version === 6 && rest !== 'activate') {
            this.unmodelled(line, context, 'IPv6 unicast settings of an IPv4 neighbour or a peer-group');
            return;
        }
        let neighbor = address === undefined ? undefined : bgp.neighbors.find(n => n.address === address);
        const target: {
            remoteAs?: BgpNeighbor['remoteAs'];
            routeMapIn?: string;
            routeMapOut?: string;
            nextHopSelf?: boolean;
            description?: string;
        } = group ?? neighbor ?? {};
        let m: RegExpMatchArray | null;
        if ((m = rest.match(/^remote-as (\d+|external|internal)$/))) {
            const remoteAs = /^\d+$/.test(m[1]) ? Number(m[1]) : (m[1] as 'external' | 'internal');
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
        } else if (version === 6) {
            this.unmodelled(line, context, 'an IPv4 session activated in IPv6 unicast');
        } else if (!this.neighborSetting(target, rest)) {
            this.unmodelled(line, context);
        }
    }

    /** `neighbor X …` for an IPv6 address: declared in router bgp, activated and set in IPv6 unicast. */
    private neighbor6(bgp: BgpConfig, line: string, address: bigint, rest: string, version: 4 | 6): void {
        const context = `router bgp ${bgp.asn}`;
        const unicast = this.ipv6Unicast(bgp);
        let neighbor = unicast.neighbors.find(n => n.address === address);
        let m: RegExpMatchArray | null;
        if (/^peer-group /.test(rest)) {
            this.unmodelled(line, context, 'an IPv6 neighbour in a peer-group');
        } else if ((m = rest.match(/^remote-as (\d+|external|internal)$/))) {
            const remoteAs = /^\d+$/.test(m[1]) ? Number(m[1]) : (m[1] as 'external' | 'internal');
            if (neighbor) {
                neighbor.remoteAs = remoteAs;
            } else {
                neighbor = { address, remoteAs };
                unicast.neighbors.push(neighbor);
                this.locations.set(neighbor, this.location());
            }
        } else if (!neighbor) {
            this.invalid(line, `neighbor ${formatAddress6(address)} has no remote-as before this line`);
        } else if (rest === 'activate') {
            if (version === 6) this.inIpv6.add(neighbor);
            else this.notInIpv4.delete(neighbor);
        } else if (version === 4 && /^(description|timers) /.test(rest)) {
            this.neighborSetting(neighbor, rest);
        } else if (version === 4 || !this.neighborSetting(neighbor, rest)) {
            this.unmodelled(line, context, version === 4 ? 'an IPv6 session in IPv4 unicast' : undefined);
        }
    }

    /** The settings the model keeps of a neighbour or peer-group; false: not one of them. */
    private neighborSetting(target: NeighborSettings, rest: string): boolean {
        let m: RegExpMatchArray | null;
        if ((m = rest.match(/^description (.+)$/))) {
            target.description = m[1];
        } else if ((m = rest.match(/^route-map (\S+) (in|out)$/))) {
            if (m[2] === 'in') target.routeMapIn = m[1];
            else target.routeMapOut = m[1];
        } else if (rest === 'next-hop-self') {
            target.nextHopSelf = true;
        } else if (rest === 'activate' || rest === 'soft-reconfiguration inbound' || /^timers /.test(rest)) {
            // Session details the model does not need (ipv4 unicast is active by default in FRR 8).
        } else {
            return false;
        }
        return true;
    }

    /**
     * IPv6 neighbours: FRR activates each in IPv4 unicast too unless told not to (IPv4 routes over
     * an IPv6 session, not modelled); one not activated in IPv6 unicast exchanges no IPv6 routes.
     */
    private finishBgp6(): void {
        const unicast = this.config.bgp?.ipv6;
        if (!unicast) return;
        for (const neighbor of unicast.neighbors) {
            if (this.notInIpv4.has(neighbor)) continue;
            const location = this.locations.get(neighbor)!;
            this.unmodelled(
                this.lines[location.range.start.line - 1].trim(),
                `router bgp ${this.config.bgp!.asn}`,
                `an IPv6 session activated in IPv4 unicast (FRR's default): say 'no neighbor ${formatAddress6(neighbor.address)} activate' in address-family ipv4 unicast`,
                location
            );
        }
        unicast.neighbors = unicast.neighbors.filter(n => this.inIpv6.has(n));
    }

    /** Settings that need the whole file: OSPF interfaces, static route groups, peer-group inheritance. */
    private finish(): void {
        this.finishOspf();
        this.finishOspf6();
        this.checkStaticRoutes();
        this.finishBgp6();
        for (const group of this.peerGroups.values()) {
            for (const member of group.members) {
                if (group.remoteAs !== undefined) member.remoteAs = group.remoteAs;
                member.routeMapIn ??= group.routeMapIn;
                member.routeMapOut ??= group.routeMapOut;
                member.nextHopSelf ??= group.nextHopSelf;
                for (const key of ['routeMapIn', 'routeMapOut', 'nextHopSelf'] as const)
                    if (member[key] === undefined) delete member[key];
            }
        }
    }

    /**
     * Each interface in area 0 (by `ip ospf area 0` or a `network` that holds its address) gets its
     * effective OSPF settings: passive, cost, intervals and authentication as FRR resolves them.
     */
    private finishOspf(): void {
        const networks = this.config.ospf?.networks ?? [];
        const byArea = [...this.ospfInterfaces.values()].some(o => o.area);
        if (byArea && networks.length > 0) {
            // FRR refuses each kind while the other is configured: which one holds depends on the order.
            for (const network of networks) {
                const location = this.locations.get(network)!;
                this.unmodelled(
                    this.lines[location.range.start.line - 1].trim(),
                    'router ospf',
                    "FRR refuses 'network … area' and 'ip ospf area' together",
                    location
                );
            }
        }
        for (const [iface, lines] of this.ospfInterfaces) {
            const inNetwork =
                iface.address !== undefined && networks.some(n => prefixContains(n, iface.address!.address));
            if (!lines.area && !inNetwork) continue;
            const hello = lines.helloInterval ?? OSPF_HELLO_DEFAULT;
            // An interface without a dead interval of its own takes four times its hello interval.
            const dead = lines.deadInterval ?? 4 * hello;
            const authentication = this.ospfAuthentication(lines);
            iface.ospf = {
                cost: this.ospfCost(iface, lines),
                passive: this.passiveByName.get(iface.name) ?? this.passiveDefault,
                pointToPoint: lines.pointToPoint,
                ...(hello !== OSPF_HELLO_DEFAULT ? { helloInterval: hello } : {}),
                ...(dead !== OSPF_DEAD_DEFAULT ? { deadInterval: dead } : {}),
                ...(authentication ? { authentication } : {})
            };
        }
    }

    /**
     * Each interface in OSPFv3 area 0 gets its settings. Without `router ospf6` FRR runs no OSPFv3
     * (its lines wait for one), and without `ipv6 ospf6 cost` it derives the cost from the
     * interface's speed, which the configuration does not say: both unmodelled.
     */
    private finishOspf6(): void {
        for (const [iface, lines] of this.ospf6Interfaces) {
            if (!lines.area) continue;
            const location = this.locations.get(iface)!;
            if (!this.config.ospf6) {
                this.unmodelled(
                    `interface ${iface.name}`,
                    undefined,
                    "'ipv6 ospf6 area' without 'router ospf6'",
                    location
                );
                continue;
            }
            if (lines.cost === undefined && iface.name !== 'lo')
                this.unmodelled(
                    `interface ${iface.name}`,
                    undefined,
                    "OSPFv3 without 'ipv6 ospf6 cost': FRR derives the cost from the speed the kernel reports",
                    location
                );
            const hello = lines.helloInterval ?? OSPF_HELLO_DEFAULT;
            const dead = lines.deadInterval ?? 4 * hello;
            iface.ospf6 = {
                cost: lines.cost ?? 0,
                passive: lines.passive,
                pointToPoint: lines.pointToPoint,
                ...(hello !== OSPF_HELLO_DEFAULT ? { helloInterval: hello } : {}),
                ...(dead !== OSPF_DEAD_DEFAULT ? { deadInterval: dead } : {}),
                ...(lines.advertisePrefixList !== undefined ? { advertisePrefixList: lines.advertisePrefixList } : {})
            };
        }
    }

    /**
     * FRR's cost without `ip ospf cost`: 0 on the loopback; else the reference bandwidth over the
     * interface's (`bandwidth`, or the speed the kernel reports), rounded, within 1-65535.
     */
    private ospfCost(iface: InterfaceConfig, lines: OspfLines): number {
        if (lines.cost !== undefined) return lines.cost;
        if (iface.name === 'lo') return 0;
        const fromBandwidth = (bandwidth: number) =>
            Math.min(65535, Math.max(1, Math.floor(this.referenceBandwidth / bandwidth + 0.5)));
        if (lines.bandwidth !== undefined) return fromBandwidth(lines.bandwidth);
        const veth = fromBandwidth(VETH_SPEED);
        this.unmodelled(
            `interface ${iface.name}`,
            undefined,
            `with neither 'ip ospf cost' nor 'bandwidth', FRR derives its OSPF cost from the speed the kernel reports (${veth} on a veth, which reports 10 Gbit/s), which the configuration does not say`,
            this.locations.get(iface)!
        );
        return veth;
    }

    /**
     * What the interface sends and expects: its own type, else the area's; MD5 uses the last key of
     * the list (FRR sends its id and accepts only that id), and without keys is no authentication.
     */
    private ospfAuthentication(lines: OspfLines): OspfAuthentication | undefined {
        const kind = lines.authentication ?? this.areaAuthentication;
        if (kind === 'simple') return { kind: 'simple', key: lines.simpleKey ?? '' };
        const last = lines.md5Keys.at(-1);
        return kind === 'md5' && last ? { kind: 'md5', ...last } : undefined;
    }

    /**
     * FRR rejects a route with blackhole and gateway next hops at one distance, and with it every
     * static route loaded in the same transaction: the routes in effect are unknown.
     */
    private checkStaticRoutes(): void {
        const routes = this.config.staticRoutes;
        const same = (a: StaticRoute, b: StaticRoute) =>
            a.prefix.network === b.prefix.network &&
            a.prefix.length === b.prefix.length &&
            (a.distance ?? 1) === (b.distance ?? 1);
        for (const route of routes) {
            if (route.nextHop !== 'blackhole' || !routes.some(r => r.nextHop !== 'blackhole' && same(r, route)))
                continue;
            const location = this.locations.get(route)!;
            this.unmodelled(
                this.lines[location.range.start.line - 1].trim(),
                undefined,
                'FRR rejects a route with blackhole and gateway next hops at one distance, and the static routes loaded with it',
                location
            );
        }
    }
}
