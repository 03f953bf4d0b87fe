/**
 * What the RFC 8345 and NetBox importers share: each reads its source into devices, links between
 * two interfaces, segments behind one interface and loopbacks; this turns those into a twin
 * file's content that the loader accepts without an error (docs/twin.md, "Importing"):
 *
 * - names made into names the twin takes (devices, segments: letters, digits, '-', '_';
 *   interfaces: Linux interface names), each change a warning;
 * - a link's subnet of each family from its ends' addresses (with their prefix length where the
 *   source gives one, else from the source's prefixes or as the /31 or /127 they make), its ends
 *   in the order that gives each the address it has (the loader gives the first end the lower);
 * - no interface serves two things, and no two addresses or prefixes overlap (a later one is a
 *   warning, and left out);
 * - pools where something has no address (a link's IPv4 subnet, a device's IPv4 loopback), from
 *   space nothing else uses.
 *
 * Importers add links first, then segments, then loopbacks: what is added first keeps its
 * addresses when a later one overlaps it (a router ID that is also a link's address).
 *
 * The configs importer (configs.ts) reads configurations, not a topology, and builds its twin
 * itself, but with the same pieces: `AddressSpace` (what overlaps, and the pools), `twinName`,
 * `segmentMisfit`, `linkEnds` (the addresses the twin gives a link's ends) and `oneOrBoth`.
 */
import { parseAnyAddress, parseAnyPrefix } from '../net/family.js';
import { formatAddress } from '../net/ipv4.js';
import { formatAddress6 } from '../net/ipv6.js';
import { isInterfaceName, isTwinName } from '../twin/load.js';
import type {
    DeviceDocument,
    ImportWarning,
    LinkDocument,
    OneOrBoth,
    SegmentDocument,
    TwinDocument,
    TwinImport
} from './document.js';

export type IpFamily = 4 | 6;

/** An address of either family (as a bigint, IPv4 too), with its prefix length where the source gives one. */
export interface IpAddress {
    readonly family: IpFamily;
    readonly value: bigint;
    readonly length?: number;
}

export interface IpPrefix {
    readonly family: IpFamily;
    readonly network: bigint;
    readonly length: number;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };
const FAMILIES: readonly IpFamily[] = [4, 6];

/** "10.0.0.1", "2001:db8::1", or either with a prefix length ("10.0.0.1/31"). */
export function parseIpAddress(text: string): IpAddress | undefined {
    if (!text.includes('/')) {
        const address = parseAnyAddress(text);
        return address && { family: address.family, value: BigInt(address.address) };
    }
    const parsed = parseAnyPrefix(text, false);
    return parsed && { family: parsed.family, value: BigInt(parsed.address), length: parsed.prefix.length };
}

/** A prefix ("10.1.0.0/24"); `hostBitsSet` when the address written is not the network's. */
export function parseIpPrefix(text: string): { prefix: IpPrefix; hostBitsSet: boolean } | undefined {
    const parsed = parseAnyPrefix(text, false);
    if (!parsed) return undefined;
    const { network, length } = parsed.prefix;
    return { prefix: { family: parsed.family, network: BigInt(network), length }, hostBitsSet: parsed.hostBitsSet };
}

export function formatIp(address: Pick<IpAddress, 'family' | 'value'>): string {
    return address.family === 4 ? formatAddress(Number(address.value)) : formatAddress6(address.value);
}

export function formatIpPrefix(prefix: IpPrefix): string {
    return `${formatIp({ family: prefix.family, value: prefix.network })}/${prefix.length}`;
}

export function prefixOf(address: IpAddress, length: number): IpPrefix {
    const host = (1n << BigInt(BITS[address.family] - length)) - 1n;
    return { family: address.family, network: address.value & ~host, length };
}

export function prefixContains(prefix: IpPrefix, address: Pick<IpAddress, 'family' | 'value'>): boolean {
    return prefix.family === address.family && prefixOf(address, prefix.length).network === prefix.network;
}

function lastOf(prefix: IpPrefix): bigint {
    return prefix.network + (1n << BigInt(BITS[prefix.family] - prefix.length)) - 1n;
}

/** fe80::/10: the kernel makes these on every link; the twin has none. */
export function isLinkLocal(address: IpAddress): boolean {
    return address.family === 6 && address.value >> 118n === 0x3fan;
}

/** A router's loopback interface, by its name: lo, lo0, Loopback0, loopback1.5. */
export function isLoopbackName(name: string): boolean {
    return /^(lo|loopback)[\d.]*$/i.test(name);
}

/** An address as the twin writes it: with its prefix length where it has one. */
function describeAddress(address: IpAddress): string {
    return address.length === undefined ? formatIp(address) : `${formatIp(address)}/${address.length}`;
}

/** One end of a link, or a segment's attachment: a device by its key in the source, an interface by its name there. */
export interface SourceInterface {
    device: string;
    interface: string;
    /** Its addresses; the first of each family is the one used. */
    addresses?: readonly IpAddress[];
}

/** A segment's prefix of one family and its gateway, the attachment's address in it. */
export interface SegmentPrefix {
    prefix: IpPrefix;
    gateway: IpAddress;
}

interface Device {
    readonly name: string;
    readonly role?: string;
    readonly where: string;
    readonly loopback: { 4?: IpAddress; 6?: IpAddress };
    /** Source interface name → twin interface name. */
    readonly interfaces: Map<string, string>;
    readonly taken: Set<string>;
}

/** Long interface names that vendors abbreviate: the abbreviation often makes a Linux name of one. */
const ABBREVIATIONS: ReadonlyArray<readonly [RegExp, string]> = [
    [/^HundredGig(abitEthernet|E)/i, 'Hu'],
    [/^FortyGig(abitEthernet|E)/i, 'Fo'],
    [/^TwentyFiveGig(abitEthernet|E)/i, 'Twe'],
    [/^TenGig(abitEthernet|E)/i, 'Te'],
    [/^GigabitEthernet/i, 'Gi'],
    [/^FastEthernet/i, 'Fa'],
    [/^Ethernet/i, 'Et'],
    [/^Port-channel/i, 'Po'],
    [/^Bundle-Ether/i, 'BE'],
    [/^Management/i, 'Mgmt']
];
const NOT_IN_INTERFACE_NAME = /[\s/:'"\\\x00-\x1f\x7f]/g;
const MAX_NAME = 64;

export class TwinBuilder {
    readonly warnings: ImportWarning[] = [];
    private readonly devices = new Map<string, Device>();
    private readonly deviceNames = new Set<string>();
    private readonly links: LinkDocument[] = [];
    private readonly segments = new Map<string, SegmentDocument>();
    private readonly sources = new Map<string, string>();
    /** Twin interface ("r1:eth1") → what it serves. */
    private readonly used = new Map<string, string>();
    private readonly space = new AddressSpace();
    private readonly renamedInterfaces: string[] = [];
    private readonly network: string;

    /** `where`: the source as a whole (a file, a URL), for what concerns all of it. */
    constructor(
        network: string,
        private readonly where: string
    ) {
        this.network = twinName(network, 'network', new Set());
        if (this.network !== network)
            this.warn(where, `'${network}' cannot be a network name; the twin's network is '${this.network}'.`);
    }

    warn(where: string, message: string): void {
        this.warnings.push({ where, message });
    }

    /** A device, by its key in the source (an ID), named as the source names it where the twin can. */
    addDevice(key: string, wanted: string, where: string, role?: string): void {
        const name = twinName(wanted, 'device', this.deviceNames);
        if (name !== wanted)
            this.warn(
                where,
                isTwinName(wanted)
                    ? `Another device is named '${wanted}' already; this one is '${name}'.`
                    : `'${wanted}' cannot be a device name in the twin; it is '${name}'.`
            );
        this.deviceNames.add(name);
        this.devices.set(key, { name, role, where, loopback: {}, interfaces: new Map(), taken: new Set() });
        this.sources.set(`devices.${name}`, where);
    }

    hasDevice(key: string): boolean {
        return this.devices.has(key);
    }

    /**
     * A link between two interfaces; false (with a warning) when one of them already serves
     * something. Each family's subnet comes from the ends' addresses: with their lengths where
     * both have one, else the longest of `hints` holding both, else the /31 (/127) they make.
     */
    addLink(where: string, a: SourceInterface, b: SourceInterface, cost?: number, hints: IpPrefix[] = []): boolean {
        let ends = [this.twinInterface(a), this.twinInterface(b)];
        if (ends[0] === ends[1]) {
            this.warn(where, `A link joins two interfaces; both ends here are ${ends[0]}. It is left out.`);
            return false;
        }
        if (!this.free(where, ends, 'this link')) return false;
        const subnets: { 4?: IpPrefix; 6?: IpPrefix } = {};
        let swapped: boolean | undefined;
        for (const family of FAMILIES) {
            const [x, y] = [a, b].map(end => firstOf(end, family));
            if (!x && !y) continue;
            if (!x || !y) {
                const [has, lacks] = x ? [0, 1] : [1, 0];
                this.warn(
                    where,
                    `${ends[lacks]} has no IPv${family} address (${ends[has]} has ${describeAddress((x ?? y)!)}): ${family === 4 ? "the link's subnet is left to the pools" : 'the link gets no IPv6 subnet'}.`
                );
                continue;
            }
            const found = linkSubnet(x, y, hints);
            if (typeof found === 'string') {
                this.warn(
                    where,
                    `${found}: ${family === 4 ? "the link's subnet is left to the pools" : 'the link gets no IPv6 subnet'}.`
                );
                continue;
            }
            const overlapped = this.space.overlapping(found.subnet);
            if (overlapped) {
                this.warn(
                    where,
                    `Subnet ${formatIpPrefix(found.subnet)} of link ${ends.join(' -- ')} overlaps the ${overlapped}; ${family === 4 ? "the link's subnet is left to the pools" : 'the link gets no IPv6 subnet'}.`
                );
                continue;
            }
            const [first, second] = found.swapped ? [y, x] : [x, y];
            const given = linkEnds(found.subnet);
            if (first.value !== given[0] || second.value !== given[1]) {
                this.warn(
                    where,
                    `The twin gives a link's ends the first two addresses of its subnet ${formatIpPrefix(found.subnet)}: ${formatIp({ family, value: given[0] })} and ${formatIp({ family, value: given[1] })}, not ${formatIp(first)} and ${formatIp(second)} as the source has.`
                );
            }
            if (swapped === undefined) swapped = found.swapped;
            else if (swapped !== found.swapped)
                this.warn(
                    where,
                    `The twin gives a link's first end the lower address in both families; here the lower IPv4 and IPv6 addresses are at different ends, so the ends' IPv6 addresses change places.`
                );
            subnets[family] = found.subnet;
        }
        if (swapped) ends = [ends[1], ends[0]];
        const link: LinkDocument = { endpoints: [ends[0], ends[1]] };
        const name = `link ${ends.join(' -- ')}`;
        for (const family of FAMILIES) {
            const subnet = subnets[family];
            if (!subnet) continue;
            this.space.place(subnet, name);
            link[family === 4 ? 'subnet' : 'subnet6'] = formatIpPrefix(subnet);
        }
        if (cost !== undefined) link.cost = cost;
        for (const end of ends) this.used.set(end, name);
        this.sources.set(`links.${this.links.length}`, where);
        this.links.push(link);
        return true;
    }

    /**
     * A segment attached at an interface, with a prefix of each family (at most one each) and the
     * interface's address in it as the gateway; named `wanted` (made a name) or else
     * device-interface. False (with warnings) when nothing of it could be kept.
     */
    addSegment(where: string, attach: SourceInterface, prefixes: readonly SegmentPrefix[], wanted?: string): boolean {
        const iface = this.twinInterface(attach);
        if (!this.free(where, [iface], 'this segment')) return false;
        const kept: SegmentPrefix[] = [];
        for (const given of prefixes) {
            const problem = this.segmentProblem(iface, given, kept);
            if (problem) this.warn(where, `${problem}: left out.`);
            else kept.push(given);
        }
        if (kept.length === 0) return false;
        const device = this.device(attach.device);
        const name = twinName(
            wanted ?? `${device.name}-${this.twinInterfaceName(device, attach.interface)}`,
            'segment',
            this.segments
        );
        for (const { prefix } of kept) this.space.place(prefix, `segment ${name}`);
        const gateways = kept.filter(k => k.gateway.value !== k.prefix.network + 1n).map(k => formatIp(k.gateway));
        const segment: SegmentDocument = {
            prefix: oneOrBoth(kept.map(k => formatIpPrefix(k.prefix)))!,
            attach: iface
        };
        const gateway = oneOrBoth(gateways);
        if (gateway) segment.gateway = gateway;
        this.used.set(iface, `segment ${name}`);
        this.segments.set(name, segment);
        this.sources.set(`segments.${name}`, where);
        return true;
    }

    /** Why a segment's prefix cannot be kept, if it cannot. */
    private segmentProblem(iface: string, { prefix, gateway }: SegmentPrefix, kept: readonly SegmentPrefix[]) {
        const text = formatIpPrefix(prefix);
        const longest = BITS[prefix.family] - 2;
        if (kept.some(k => k.prefix.family === prefix.family))
            return `${iface} has a second IPv${prefix.family} prefix, ${text}; a segment has one per family`;
        const misfit = segmentMisfit(prefix, gateway);
        if (misfit === 'too small')
            return `${text} is too small for a segment (a gateway and hosts need a /${longest} or shorter)`;
        if (misfit === 'unusable') return `${formatIp(gateway)} of ${iface} is not a usable address of ${text}`;
        const overlapped = this.space.overlapping(prefix);
        return overlapped && `${text} overlaps the ${overlapped}`;
    }

    /** A device's loopback of the address's family, unless it has one; false when it is not taken. */
    setLoopback(key: string, address: IpAddress, where: string): boolean {
        const device = this.device(key);
        if (device.loopback[address.family] || isLinkLocal(address)) return false;
        const host = prefixOf(address, BITS[address.family]);
        const overlapped = this.space.overlapping(host);
        if (overlapped) {
            this.warn(where, `${formatIp(address)} is also the ${overlapped}: it is not ${device.name}'s loopback.`);
            return false;
        }
        this.space.place(host, `loopback of ${device.name}`);
        device.loopback[address.family] = address;
        return true;
    }

    build(): TwinImport {
        const devices: Record<string, DeviceDocument> = {};
        for (const device of this.devices.values()) {
            const loopback = oneOrBoth(
                FAMILIES.flatMap(f => (device.loopback[f] ? [formatIp(device.loopback[f])] : []))
            );
            devices[device.name] = {
                ...(device.role !== undefined && { role: device.role }),
                ...(loopback !== undefined && { loopback })
            };
        }
        const pools = this.space.pools(
            this.links.filter(l => l.subnet === undefined).length,
            [...this.devices.values()].filter(d => !d.loopback[4]).length
        );
        if (pools.links || pools.loopbacks) {
            this.sources.set(
                'pools',
                `chosen by the importer: free space for the ${[pools.links && 'link subnets', pools.loopbacks && 'loopbacks'].filter(Boolean).join(' and ')} the source does not give`
            );
        }
        if (this.renamedInterfaces.length > 0) {
            const shown = this.renamedInterfaces.slice(0, 20).join(', ');
            this.warn(
                this.where,
                `${this.renamedInterfaces.length} interface name(s) are not Linux interface names (1 to 15 bytes, no '/', ':', whitespace or quotes) and were renamed: ${shown}${this.renamedInterfaces.length > 20 ? ', …' : ''}.`
            );
        }
        const twin: TwinDocument = {
            network: this.network,
            ...((pools.links || pools.loopbacks) && { pools }),
            devices,
            links: this.links,
            ...(this.segments.size > 0 && { segments: Object.fromEntries(this.segments) })
        };
        return { twin, sources: this.sources, warnings: this.warnings };
    }

    private device(key: string): Device {
        const device = this.devices.get(key);
        if (!device) throw new Error(`no device '${key}' was added`);
        return device;
    }

    /** "r1:eth1" of an interface of the source. */
    private twinInterface(end: SourceInterface): string {
        const device = this.device(end.device);
        return `${device.name}:${this.twinInterfaceName(device, end.interface)}`;
    }

    /** The twin's name of a device's interface: the source's, made a Linux interface name where it is not one. */
    private twinInterfaceName(device: Device, name: string): string {
        const known = device.interfaces.get(name);
        if (known !== undefined) return known;
        const candidates = [name, name.replace(NOT_IN_INTERFACE_NAME, '-')];
        const abbreviation = ABBREVIATIONS.find(([long]) => long.test(name));
        if (abbreviation)
            candidates.push(name.replace(abbreviation[0], abbreviation[1]).replace(NOT_IN_INTERFACE_NAME, '-'));
        let chosen = candidates.find(c => isInterfaceName(c) && !device.taken.has(c));
        for (let n = device.taken.size; chosen === undefined; n++) if (!device.taken.has(`if${n}`)) chosen = `if${n}`;
        if (chosen !== name) this.renamedInterfaces.push(`${device.name} ${JSON.stringify(name)} → ${chosen}`);
        device.taken.add(chosen);
        device.interfaces.set(name, chosen);
        return chosen;
    }

    /** Whether none of `ends` serves anything yet; else a warning that `what` is left out. */
    private free(where: string, ends: readonly string[], what: string): boolean {
        for (const end of ends) {
            const user = this.used.get(end);
            if (user === undefined) continue;
            this.warn(
                where,
                `${end} already serves the ${user}; an interface serves one link or segment, so ${what} is left out.`
            );
            return false;
        }
        return true;
    }
}

/**
 * A name the twin takes, unique among `taken`: `wanted`, or made one (other characters as '-', a
 * kind prefix where it starts with a digit), with `-2`, `-3`, … where it is taken.
 */
export function twinName(wanted: string, kind: string, taken: { has(name: string): boolean }): string {
    let base = wanted;
    if (!isTwinName(base)) {
        base = wanted.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
        if (!/^[A-Za-z_]/.test(base)) base = base === '' ? kind : `${kind}-${base}`;
        base = base.slice(0, MAX_NAME);
    }
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, MAX_NAME - String(n).length - 1)}-${n}`;
    return name;
}

/** An address range in use, and what uses it (for the warning when another overlaps it). */
interface Placed {
    lo: bigint;
    hi: bigint;
    what: string;
}

/**
 * The address ranges an import has placed so far, per family, and the pools chosen around them:
 * what every importer uses to keep the twin's addresses from overlapping.
 */
export class AddressSpace {
    private readonly placed: Record<IpFamily, Placed[]> = { 4: [], 6: [] };

    /** What an address range in use overlaps, if anything. */
    overlapping(prefix: IpPrefix): string | undefined {
        const list = this.placed[prefix.family];
        const hi = lastOf(prefix);
        const at = indexAfter(list, prefix.network);
        // The range starting at or before the prefix, and the first one after its start.
        for (const candidate of [list[at - 1], list[at]]) {
            if (candidate && candidate.lo <= hi && candidate.hi >= prefix.network) return candidate.what;
        }
        return undefined;
    }

    place(prefix: IpPrefix, what: string): void {
        const list = this.placed[prefix.family];
        list.splice(indexAfter(list, prefix.network), 0, { lo: prefix.network, hi: lastOf(prefix), what });
    }

    /**
     * The pools a twin needs: `links` for `withoutSubnet` links without an IPv4 subnet (a /31
     * each), `loopbacks` for `withoutLoopback` devices without an IPv4 loopback; each free of
     * what is placed and of `avoid` (prefixes the twin routes toward), and placed.
     */
    pools(
        withoutSubnet: number,
        withoutLoopback: number,
        avoid: readonly IpPrefix[] = []
    ): NonNullable<TwinDocument['pools']> {
        const pools: NonNullable<TwinDocument['pools']> = {};
        if (withoutSubnet > 0) pools.links = this.freePool(Math.min(16, 32 - bitsFor(2 * withoutSubnet)), 0xfe, avoid);
        if (withoutLoopback > 0)
            pools.loopbacks = this.freePool(Math.min(24, 32 - bitsFor(withoutLoopback + 1)), 0xff, avoid);
        return pools;
    }

    /** An IPv4 prefix of this length that nothing uses: 10.<second>.0.0 first, then down through 10/8, 172.16/12, 100.64/10. */
    private freePool(length: number, second: number, avoid: readonly IpPrefix[]): string {
        const size = 1n << BigInt(32 - length);
        const preferred = (10n << 24n) | (BigInt(second) << 16n);
        const ranges: Array<[bigint, number]> = [
            [10n << 24n, 8],
            [(172n << 24n) | (16n << 16n), 12],
            [(100n << 24n) | (64n << 16n), 10]
        ];
        const candidates = function* () {
            yield preferred - (preferred % size);
            for (const [base, baseLength] of ranges) {
                const end = base + (1n << BigInt(32 - baseLength));
                for (let block = end - size; block >= base; block -= size) yield block;
            }
        };
        const avoided = (prefix: IpPrefix) =>
            avoid.some(a => a.family === 4 && a.network <= lastOf(prefix) && lastOf(a) >= prefix.network);
        for (const network of candidates()) {
            const prefix: IpPrefix = { family: 4, network, length };
            if (!this.overlapping(prefix) && !avoided(prefix)) {
                this.place(prefix, 'pool');
                return formatIpPrefix(prefix);
            }
        }
        throw new Error('no free private IPv4 space for a pool');
    }
}

/** The index of the first range starting after `address` (the list is sorted by start). */
function indexAfter(list: readonly Placed[], address: bigint): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].lo <= address) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/** Bits to count `n` things. */
function bitsFor(n: number): number {
    return Math.max(1, Math.ceil(Math.log2(n)));
}

/** The first address of a family an end has (link-local ones are no twin's). */
function firstOf(end: SourceInterface, family: IpFamily): IpAddress | undefined {
    return end.addresses?.find(a => a.family === family && !isLinkLocal(a));
}

/** One value, or one per family (the first two); undefined for none. */
export function oneOrBoth(values: readonly string[]): OneOrBoth | undefined {
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : [values[0], values[1]];
}

/**
 * A link's subnet from its two ends' addresses (of one family), and whether the second end has
 * the lower address; or why there is none.
 */
function linkSubnet(
    x: IpAddress,
    y: IpAddress,
    hints: readonly IpPrefix[]
): { subnet: IpPrefix; swapped: boolean } | string {
    const bits = BITS[x.family];
    const ends = `${describeAddress(x)} and ${describeAddress(y)}`;
    if (x.value === y.value) return `Both ends have the address ${formatIp(x)}`;
    let subnet: IpPrefix | undefined;
    if (x.length !== undefined && y.length !== undefined) {
        subnet = prefixOf(x, x.length);
        const other = prefixOf(y, y.length);
        if (subnet.length !== other.length || subnet.network !== other.network)
            return `The ends' addresses ${ends} are not on one subnet`;
    } else {
        subnet = hints.filter(h => prefixContains(h, x) && prefixContains(h, y)).sort((p, q) => q.length - p.length)[0];
        subnet ??= pairSubnet(x, y);
        if (!subnet)
            return `The ends' addresses ${ends} are not the two of a /${bits - 1} or the first two of a longer prefix, and no prefix of the source holds both`;
    }
    if (subnet.length > bits - 1)
        return `${formatIpPrefix(subnet)} has no room for two ends (a /${bits - 1} or shorter has)`;
    return { subnet, swapped: x.value > y.value };
}

/**
 * Why `prefix` cannot be a segment with `gateway` as its gateway, if it cannot: too small for a
 * gateway and hosts (longer than a /30, /126), or the gateway not a usable address of it (outside
 * it, its network address, or an IPv4 prefix's last).
 */
export function segmentMisfit(
    prefix: IpPrefix,
    gateway: Pick<IpAddress, 'family' | 'value'>
): 'too small' | 'unusable' | undefined {
    if (prefix.length > BITS[prefix.family] - 2) return 'too small';
    const usable =
        prefixContains(prefix, gateway) &&
        gateway.value !== prefix.network &&
        (prefix.family === 6 || gateway.value !== lastOf(prefix));
    return usable ? undefined : 'unusable';
}

/** The addresses the twin gives a link's two ends in its subnet: a /31's (/127's) two, a longer one's first two. */
export function linkEnds(subnet: IpPrefix): [bigint, bigint] {
    const first = subnet.length === BITS[subnet.family] - 1 ? subnet.network : subnet.network + 1n;
    return [first, first + 1n];
}

/** The subnet two consecutive addresses are the two ends of as the twin gives them: a /31 (/127), or the first two of a /30 (/126). */
function pairSubnet(x: IpAddress, y: IpAddress): IpPrefix | undefined {
    const bits = BITS[x.family];
    const lo = x.value < y.value ? x : y;
    if ((x.value > y.value ? x.value : y.value) !== lo.value + 1n) return undefined;
    if (lo.value % 2n === 0n) return prefixOf(lo, bits - 1);
    return (lo.value - 1n) % 4n === 0n ? prefixOf(lo, bits - 2) : undefined;
}
