/**
 * `netintent twin import DIR --from configs`: a twin from device configurations, a folder per
 * device with its frr.conf (as `netintent compile --out DIR` writes them, or as exported from
 * running FRR routers), read by the project's FRR parser.
 *
 * - devices: the folders (the name `verify --configs DIR` looks them up by), their loopbacks
 *   (`interface lo`), BGP's AS and a router ID that is not the loopback;
 * - links: two interfaces of two devices with addresses in one subnet (a /31, /30, /127, …), their
 *   OSPF cost;
 * - externals: an interface whose subnet no other device shares, with a static route or a BGP
 *   neighbour through an address on it;
 * - segments: every other interface whose subnet no other device shares, the gateway its address;
 * - routing: what the devices run (`router ospf`, `router bgp`, else static).
 *
 * Whatever it cannot place is a warning; a line the parser cannot read at all is an ImportError
 * at that line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceLocation } from '../common/diagnostic.js';
import { FileRefused, MAX_FILE_BYTES, readRegularFile } from '../common/files.js';
import { parseFrrConf } from '../config/frr/parse.js';
import type { BgpNeighbor, DeviceConfig, InterfaceConfig, PrefixList, RouteMap } from '../config/model.js';
import { IPV4, IPV6, type AddressFamily } from '../net/family.js';
import { IntervalSet, type Bound } from '../net/interval-set.js';
import { prefixMask } from '../net/ipv4.js';
import { prefixMask6 } from '../net/ipv6.js';
import { isInterfaceName, isTwinName } from '../twin/load.js';
import { AddressSpace, linkEnds, oneOrBoth, segmentMisfit, twinName, type IpPrefix } from './build.js';
import {
    ImportError,
    type DeviceDocument,
    type ExternalDocument,
    type ImportWarning,
    type LinkDocument,
    type OneOrBoth,
    type SegmentDocument,
    type TwinDocument,
    type TwinImport
} from './document.js';

/** The twin's OSPF cost where a link gives none: a link of that cost is written without one. */
const DEFAULT_COST = 10;
/** Unmodelled lines said one by one per device; past this, one warning counts the rest. */
const MAX_LINE_WARNINGS = 5;

/** One family's way with addresses: IPv4 (numbers) or IPv6 (bigints). */
interface Family<A extends Bound> {
    af: AddressFamily<A, { network: A; length: number }>;
    version: 4 | 6;
    network(address: A, length: number): A;
    /** The interface's address of this family. */
    of(iface: InterfaceConfig): { address: A; length: number } | undefined;
    /** The default route, for an external whose prefixes the configuration does not say. */
    everything: string;
}

const V4: Family<number> = {
    af: IPV4,
    version: 4,
    network: (address, length) => (address & prefixMask(length)) >>> 0,
    of: iface => iface.address,
    everything: '0.0.0.0/0'
};
const V6: Family<bigint> = {
    af: IPV6,
    version: 6,
    network: (address, length) => address & prefixMask6(length),
    of: iface => iface.address6,
    everything: '::/0'
};

/** An interface address with its subnet. */
interface Address<A extends Bound> {
    address: A;
    length: number;
    network: A;
    /** The subnet as text (`10.0.0.0/31`): how ports in one subnet are found. */
    subnet: string;
}

interface Device {
    /** Its name in the twin. */
    name: string;
    /** SOURCE/folder/frr.conf as the user named SOURCE: where warnings point. */
    file: string;
    /** folder/frr.conf: what the twin's comments say. */
    shown: string;
    lines: string[];
    config: DeviceConfig;
    locations: WeakMap<object, SourceLocation>;
}

/** An interface of a device with an address: a link's end, a segment's or an external's attachment. */
interface Port {
    device: Device;
    iface: InterfaceConfig;
    line: number;
    v4?: Address<number>;
    v6?: Address<bigint>;
}

/** A next hop through a port: a static route's gateway or a BGP neighbour, and what it stands for. */
interface Hop<A extends Bound> {
    address: A;
    /** The prefixes reached through it; undefined: not said (a BGP neighbour without a route-map in). */
    prefixes?: string[];
    line: number;
    what: 'route' | 'neighbor';
}

export function importConfigs(source: string): TwinImport {
    return new ConfigsImport(source).run();
}

class ConfigsImport {
    private readonly warnings: ImportWarning[] = [];
    private readonly sources = new Map<string, string>();
    private readonly names = new Set<string>();
    /** The address ranges taken so far (the twin's must not overlap), and the pools chosen around them. */
    private readonly space = new AddressSpace();

    constructor(private readonly source: string) {}

    run(): TwinImport {
        const devices = this.readDevices();
        // Loopbacks first, then links, then edges: where addresses overlap, the later is left out.
        const deviceDocuments = Object.fromEntries(devices.map(device => [device.name, this.device(device)]));
        const ports = devices.flatMap(device => this.portsOf(device));
        const linked = new Set<Port>();
        const links = this.links(ports, linked);
        const edges = ports.filter(port => !linked.has(port));
        const inside = insideAddresses(devices, ports, linked);
        const externals: Record<string, ExternalDocument> = {};
        const segments: Record<string, SegmentDocument> = {};
        const served = new Set<object>();
        for (const port of edges) {
            const hops4 = this.hopsOn(port, V4, served);
            const hops6 = this.hopsOn(port, V6, served);
            if (hops4.length + hops6.length > 0) this.external(port, hops4, hops6, externals);
            else this.segment(port, segments);
        }
        this.unplacedHops(devices, served, inside);
        const twin: TwinDocument = {
            network: networkName(this.source),
            routing: this.routing(devices),
            devices: deviceDocuments,
            links,
            ...(Object.keys(segments).length > 0 ? { segments } : {}),
            ...(Object.keys(externals).length > 0 ? { externals } : {})
        };
        const pools = this.pools(twin);
        if (pools) twin.pools = pools;
        return { twin, sources: this.sources, warnings: this.warnings };
    }

    private warn(device: Device, line: number | undefined, message: string): void {
        this.warnings.push({ where: line === undefined ? device.file : `${device.file}:${line}`, message });
    }

    /**
     * Takes the range of `address`'s subnet (or the address alone) for `what`; false, with a
     * warning, where something taken before overlaps it.
     */
    private claim<A extends Bound>(
        family: Family<A>,
        address: Omit<Address<A>, 'subnet'>,
        what: string,
        at: { device: Device; line: number },
        whole = true
    ): boolean {
        const prefix = { network: address.network, length: address.length };
        const range: IpPrefix = whole
            ? { family: family.version, network: BigInt(address.network), length: address.length }
            : { family: family.version, network: BigInt(address.address), length: family.af.bits };
        const clash = this.space.overlapping(range);
        if (clash === undefined) {
            this.space.place(range, what);
            return true;
        }
        const shown = whole ? family.af.format(prefix) : family.af.formatAddress(address.address);
        this.warn(
            at.device,
            at.line,
            `${what} (${shown}) overlaps ${clash}: the twin's addresses do not overlap, so ${shown} is left out.`
        );
        return false;
    }

    /** Every folder with a frr.conf, in the order of their names; errors for what cannot be read. */
    private readDevices(): Device[] {
        const folders = this.deviceFolders();
        const devices: Device[] = [];
        const invalid: string[] = [];
        for (const folder of folders) {
            const file = path.join(this.source, folder, 'frr.conf');
            let text: string | undefined;
            try {
                text = readRegularFile(file, MAX_FILE_BYTES);
            } catch (error) {
                if (error instanceof FileRefused)
                    throw new ImportError(file, `${error.message} Give each device's frr.conf as a regular file.`);
                throw error;
            }
            if (text === undefined) {
                this.warnings.push({
                    where: path.join(this.source, folder),
                    message: 'no frr.conf in this folder: not a device, left out.'
                });
                continue;
            }
            const parsed = parseFrrConf(text, file, folder);
            const device: Device = {
                name: folder,
                file,
                shown: `${folder}/frr.conf`,
                lines: text.split(/\r?\n/),
                config: parsed.config,
                locations: parsed.locations
            };
            const unmodelled: Array<{ line: number; message: string }> = [];
            for (const diagnostic of parsed.diagnostics) {
                const line = diagnostic.range.start.line;
                if (diagnostic.code === 'frr-invalid') invalid.push(`${file}:${line}: ${diagnostic.message}`);
                else if (diagnostic.severity === 'error') unmodelled.push({ line, message: diagnostic.message });
            }
            this.unmodelled(device, unmodelled);
            devices.push(device);
        }
        if (invalid.length > 0) {
            const [first, ...rest] = invalid;
            const colon = first.indexOf(': ');
            throw new ImportError(
                first.slice(0, colon),
                `${first.slice(colon + 2)} FRR would refuse this line too: correct it or remove it, then import again.${rest.length > 0 ? ` ${rest.length} more line(s) like it: ${rest.slice(0, 5).join('; ')}${rest.length > 5 ? '; …' : ''}` : ''}`
            );
        }
        if (devices.length === 0)
            throw new ImportError(
                this.source,
                "no device folder with a frr.conf in it. Give the folder that holds a folder per device, each with its frr.conf (as 'netintent compile --out DIR' writes them)."
            );
        this.nameDevices(devices);
        return devices;
    }

    /** The lines the parser does not model: each said, up to a few per device, then how many more. */
    private unmodelled(device: Device, lines: Array<{ line: number; message: string }>): void {
        const shown = lines.length > MAX_LINE_WARNINGS ? lines.slice(0, MAX_LINE_WARNINGS - 1) : lines;
        for (const { line, message } of shown) this.warn(device, line, `${notModelled(message)}; not imported.`);
        const rest = lines.slice(shown.length).map(l => l.line);
        if (rest.length > 0)
            this.warn(
                device,
                undefined,
                `${rest.length} more lines netintent does not model (lines ${rest.slice(0, 10).join(', ')}${rest.length > 10 ? ', …' : ''}): not imported; 'netintent verify --configs' reports each.`
            );
    }

    private deviceFolders(): string[] {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(this.source, { withFileTypes: true });
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            const why =
                code === 'ENOENT'
                    ? 'no such folder'
                    : code === 'ENOTDIR'
                      ? 'not a folder'
                      : `cannot be read (${code ?? (error as Error).message})`;
            throw new ImportError(
                this.source,
                `${why}. Give the folder that holds a folder per device, each with its frr.conf (as 'netintent compile --out DIR' writes them).`
            );
        }
        return entries
            .filter(entry => !entry.name.startsWith('.') && isFolder(path.join(this.source, entry.name)))
            .map(entry => entry.name)
            .sort();
    }

    /**
     * Each device is named by its folder (where `verify --configs` looks for its configuration);
     * a folder name that cannot name a device gives way to the hostname (or its first label), else
     * to a name made of the folder's.
     */
    private nameDevices(devices: Device[]): void {
        const taken = new Set<string>();
        for (const device of devices) {
            const folder = device.name;
            const hostname = device.config.hostname;
            let name = folder;
            if (!isTwinName(folder)) {
                // The hostname, or its first label (edge-2 of edge-2.example.net).
                const label = hostname.split('.')[0];
                name = isTwinName(hostname)
                    ? hostname
                    : isTwinName(label)
                      ? label
                      : twinName(folder, 'device', new Set());
                this.warn(
                    device,
                    undefined,
                    `the folder name '${folder}' cannot name a device (letters, digits, '-' and '_', starting with a letter): named ${name}; 'verify --configs' will not find its configuration under that name.`
                );
            } else if (hostname !== folder) {
                this.warn(
                    device,
                    this.lineOf(device, /^hostname\s/),
                    `hostname ${hostname} is not the folder's name: the device is named ${folder}, the name 'verify --configs' looks its configuration up by.`
                );
            }
            device.name = twinName(name, 'device', taken);
            taken.add(device.name);
        }
    }

    private lineOf(device: Device, pattern: RegExp): number | undefined {
        const index = device.lines.findIndex(line => pattern.test(line));
        return index < 0 ? undefined : index + 1;
    }

    private line(device: Device, element: object | undefined): number {
        return (element && device.locations.get(element)?.range.start.line) ?? 1;
    }

    /** The interfaces of a device with an address, but its loopback. */
    private portsOf(device: Device): Port[] {
        const ports: Port[] = [];
        for (const iface of device.config.interfaces) {
            if (iface.name === 'lo') continue;
            const line = this.line(device, iface);
            if (!iface.address && !iface.address6) {
                this.warn(device, line, `interface ${iface.name} has no address: not in the twin.`);
                continue;
            }
            if (!isInterfaceName(iface.name)) {
                this.warn(
                    device,
                    line,
                    `'${iface.name}' cannot be an interface of the twin (a Linux interface name: 1 to 15 bytes, no '/', ':' or spaces): left out.`
                );
                continue;
            }
            if (iface.shutdown)
                this.warn(device, line, `interface ${iface.name} is shut down: imported as if it were up.`);
            const port: Port = { device, iface, line };
            for (const family of [V4, V6] as const) {
                const given = (family as Family<Bound>).of(iface);
                if (!given) continue;
                const whole = given.length === family.af.bits;
                if (whole) {
                    this.warn(
                        device,
                        line,
                        `interface ${iface.name}: ${family.af.formatAddress(given.address as never)}/${given.length} is a single address, no subnet: its ${family.af.name} address is not in the twin.`
                    );
                    continue;
                }
                const network = (family as Family<Bound>).network(given.address, given.length);
                const subnet = family.af.format({ network: network as never, length: given.length });
                const address = { ...given, network, subnet };
                if (family.version === 4) port.v4 = address as Address<number>;
                else port.v6 = address as Address<bigint>;
            }
            if (port.v4 || port.v6) ports.push(port);
        }
        return ports;
    }

    /** Pairs of interfaces of two devices in one subnet, of either family; `linked` gets their ends. */
    private links(ports: Port[], linked: Set<Port>): LinkDocument[] {
        const groups4 = groupBySubnet(ports, p => p.v4);
        const groups6 = groupBySubnet(ports, p => p.v6);
        this.sharedByMore(groups4, V4);
        this.sharedByMore(groups6, V6);
        const links: LinkDocument[] = [];
        for (const port of ports) {
            if (linked.has(port)) continue;
            const partner4 = partnerOf(port, groups4, p => p.v4);
            const partner6 = partnerOf(port, groups6, p => p.v6);
            const partner = partner4 ?? partner6;
            if (!partner || linked.has(partner)) continue;
            linked.add(port).add(partner);
            const v4 = partner4 === partner;
            const v6 = partner6 === partner;
            for (const [end, family, has] of [
                [port, V4, v4],
                [partner, V4, v4],
                [port, V6, v6],
                [partner, V6, v6]
            ] as const) {
                const address = family.version === 4 ? end.v4 : end.v6;
                if (!has && address)
                    this.warn(
                        end.device,
                        end.line,
                        `interface ${end.iface.name} links to ${partner === end ? port.device.name : partner.device.name}, but its ${family.af.name} address ${formatInterfaceAddress(family as Family<Bound>, address)} is not in a subnet the other end shares: left out of the link.`
                    );
            }
            // The twin gives the lower address to the first end.
            const [a, b] = lower(port, partner, v4) ? [port, partner] : [partner, port];
            const link: LinkDocument = { endpoints: [endpoint(a), endpoint(b)] };
            const what = `link ${endpoint(a)} -- ${endpoint(b)}`;
            if (v4 && this.claim(V4, a.v4!, what, a)) link.subnet = this.linkSubnet(a, b, V4, a.v4!, b.v4!);
            if (v6 && this.claim(V6, a.v6!, what, a)) link.subnet6 = this.linkSubnet(a, b, V6, a.v6!, b.v6!);
            const cost = this.cost(a, b);
            if (cost !== undefined && cost !== DEFAULT_COST) link.cost = cost;
            this.sources.set(
                `links.${links.length}`,
                `${a.device.shown}:${a.line} interface ${a.iface.name}, ${b.device.shown}:${b.line} interface ${b.iface.name}`
            );
            links.push(link);
        }
        return links;
    }

    /** A subnet in more than two interfaces: the twin's links join two, its segments have one router. */
    private sharedByMore<A extends Bound>(groups: Map<string, Port[]>, family: Family<A>): void {
        for (const [subnet, members] of groups) {
            if (members.length === 2 && members[0].device !== members[1].device) continue;
            if (members.length === 1) continue;
            const list = members.map(p => `${p.device.name}:${p.iface.name}`).join(', ');
            for (const member of members) {
                this.warn(
                    member.device,
                    member.line,
                    `${family.af.name} subnet ${subnet} is on ${members.length} interfaces (${list}): a link of the twin joins two devices and a segment has one router, so this address of ${member.iface.name} is left out.`
                );
                if (family.version === 4) delete member.v4;
                else delete member.v6;
            }
        }
    }

    /** A link's subnet; a warning where its ends are not the addresses the twin gives them. */
    private linkSubnet<A extends Bound>(a: Port, b: Port, family: Family<A>, x: Address<A>, y: Address<A>): string {
        const subnet = x.subnet;
        const ends = linkEnds({ family: family.version, network: BigInt(x.network), length: x.length });
        const [first, second] = ends.map(end => (family.version === 4 ? Number(end) : end) as A);
        if (x.address !== first || y.address !== second)
            this.warn(
                a.device,
                a.line,
                `link ${endpoint(a)} -- ${endpoint(b)}: the twin gives the ends of ${subnet} the addresses ${family.af.formatAddress(first)} and ${family.af.formatAddress(second)}, not the configured ${family.af.formatAddress(x.address)} and ${family.af.formatAddress(y.address)}.`
            );
        return subnet;
    }

    /** The link's OSPF cost: the one both ends (and both families) say; the first end's where they differ. */
    private cost(a: Port, b: Port): number | undefined {
        const costs = [a.iface.ospf?.cost, b.iface.ospf?.cost, a.iface.ospf6?.cost, b.iface.ospf6?.cost].filter(
            (cost): cost is number => cost !== undefined && cost > 0
        );
        if (costs.length === 0) return undefined;
        if (costs.some(cost => cost !== costs[0]))
            this.warn(
                a.device,
                a.line,
                `link ${endpoint(a)} -- ${endpoint(b)}: its ends or families have different OSPF costs (${[...new Set(costs)].join(', ')}); the twin has one cost per link: ${costs[0]}.`
            );
        return costs[0];
    }

    /** The static routes (main table) and BGP neighbours whose next hop is on the port's subnet. */
    private hopsOn<A extends Bound>(port: Port, family: Family<A>, served: Set<object>): Hop<A>[] {
        const own = (family.version === 4 ? port.v4 : port.v6) as Address<A> | undefined;
        if (!own) return [];
        const { device } = port;
        const config = device.config;
        const on = (address: A) =>
            address !== own.address && family.af.contains({ network: own.network, length: own.length }, address);
        const hops: Hop<A>[] = [];
        const routes = family.version === 4 ? config.staticRoutes : config.staticRoutes6;
        for (const route of routes) {
            if (route.table !== undefined || route.nextHop === 'blackhole' || !on(route.nextHop as A)) continue;
            served.add(route);
            hops.push({
                address: route.nextHop as A,
                prefixes: [family.af.format(route.prefix as never)],
                line: this.line(device, route),
                what: 'route'
            });
        }
        const neighbors = (family.version === 4 ? config.bgp?.neighbors : config.bgp?.ipv6?.neighbors) ?? [];
        for (const neighbor of neighbors as BgpNeighbor<A>[]) {
            if (!on(neighbor.address)) continue;
            served.add(neighbor);
            hops.push({
                address: neighbor.address,
                prefixes: announced(config, neighbor, family),
                line: this.line(device, neighbor),
                what: 'neighbor'
            });
        }
        return hops;
    }

    private external(
        port: Port,
        hops4: Hop<number>[],
        hops6: Hop<bigint>[],
        externals: Record<string, ExternalDocument>
    ): void {
        const { device, iface } = port;
        const name = this.nameOf(port, 'external');
        const prefixes: string[] = [];
        const peers: string[] = [];
        for (const [family, hops] of [
            [V4, hops4],
            [V6, hops6]
        ] as const) {
            if (hops.length === 0) continue;
            const peer = (hops as Hop<Bound>[])[0].address;
            peers.push(family.af.formatAddress(peer as never));
            for (const hop of hops as Hop<Bound>[]) {
                if (hop.address !== peer)
                    this.warn(
                        device,
                        hop.line,
                        `external ${name} has one ${family.af.name} peer, ${family.af.formatAddress(peer as never)}; ${hop.what === 'route' ? 'this route goes' : 'this neighbour is'} through ${family.af.formatAddress(hop.address as never)}: its prefixes are taken, through the one peer.`
                    );
                const said = hop.prefixes ?? [family.everything];
                if (!hop.prefixes)
                    this.warn(
                        device,
                        hop.line,
                        `external ${name}: BGP neighbour ${family.af.formatAddress(hop.address as never)} has no route-map in that says what it announces; its prefixes are taken to be ${family.everything}: edit them in the twin.`
                    );
                for (const prefix of said) if (!prefixes.includes(prefix)) prefixes.push(prefix);
            }
        }
        const what = `external ${name}'s attachment`;
        const addresses: string[] = [];
        const kept: string[] = [];
        if (port.v4 && this.claim(V4, port.v4, what, port)) addresses.push(formatInterfaceAddress(V4, port.v4));
        if (port.v6 && this.claim(V6, port.v6, what, port)) addresses.push(formatInterfaceAddress(V6, port.v6));
        // A peer stays with its family's address on the attachment.
        for (const peer of peers) if (addresses.some(a => a.includes(':') === peer.includes(':'))) kept.push(peer);
        if (addresses.length === 0) return;
        externals[name] = {
            prefixes,
            attach: endpoint(port),
            address: oneOrBoth(addresses),
            peer: oneOrBoth(kept)
        };
        const lines = [...hops4, ...hops6].map(hop => hop.line).sort((x, y) => x - y);
        this.sources.set(
            `externals.${name}`,
            `${device.shown}:${port.line} interface ${iface.name}; next hops at line${lines.length > 1 ? 's' : ''} ${[...new Set(lines)].join(', ')}`
        );
    }

    private segment(port: Port, segments: Record<string, SegmentDocument>): void {
        const { device, iface } = port;
        const prefixes: string[] = [];
        const gateways: string[] = [];
        let defaultGateways = true;
        for (const family of [V4, V6] as const) {
            const address = (family.version === 4 ? port.v4 : port.v6) as Address<Bound> | undefined;
            if (!address) continue;
            const af = family.af as AddressFamily<Bound, { network: Bound; length: number }>;
            const prefix = { network: address.network, length: address.length };
            const subnet = af.format(prefix);
            const misfit = segmentMisfit(
                { family: family.version, network: BigInt(address.network), length: address.length },
                { family: family.version, value: BigInt(address.address) }
            );
            if (misfit === 'too small') {
                this.warn(
                    device,
                    port.line,
                    `interface ${iface.name}: no other device has an address in ${subnet}, and a segment needs room for a gateway and hosts (a /${af.bits - 2} or shorter): left out. A link to a device whose configuration is not in ${this.source}?`
                );
                continue;
            }
            if (misfit === 'unusable') {
                this.warn(
                    device,
                    port.line,
                    `interface ${iface.name}: ${af.formatAddress(address.address)} is not a usable address of ${subnet}, so it cannot be a segment's gateway: left out.`
                );
                continue;
            }
            if (!this.claim(family as Family<Bound>, address, `segment at ${endpoint(port)}`, port)) continue;
            if (address.length >= af.bits - 2)
                this.warn(
                    device,
                    port.line,
                    `interface ${iface.name}: ${subnet} looks like a point-to-point subnet, but no other device in ${this.source} has an address in it: imported as a segment.`
                );
            prefixes.push(subnet);
            gateways.push(af.formatAddress(address.address));
            if (address.address !== af.add(address.network, 1)) defaultGateways = false;
        }
        if (prefixes.length === 0) return;
        const name = this.nameOf(port, 'segment');
        segments[name] = {
            prefix: oneOrBoth(prefixes)!,
            attach: endpoint(port),
            ...(defaultGateways ? {} : { gateway: oneOrBoth(gateways) })
        };
        this.sources.set(`segments.${name}`, `${device.shown}:${port.line} interface ${iface.name}`);
    }

    /**
     * A segment's or external's name: what the interface's description says (`segment web`,
     * `external internet`, as compile writes them, or a bare name), else `<device>-<interface>`.
     */
    private nameOf(port: Port, kind: 'segment' | 'external'): string {
        const description = port.iface.description?.trim() ?? '';
        const said = /^(?:segment|external)\s+(\S+)$/.exec(description)?.[1] ?? description;
        const fallback = twinName(`${port.device.name}-${port.iface.name}`, kind, new Set());
        const wanted = isTwinName(said) && !this.names.has(said) ? said : fallback;
        if (isTwinName(said) && this.names.has(said))
            this.warn(
                port.device,
                port.line,
                `interface ${port.iface.name}'s description names ${said}, which another segment or external has already: named ${twinName(wanted, kind, this.names)}.`
            );
        const name = twinName(wanted, kind, this.names);
        this.names.add(name);
        return name;
    }

    /** Static routes and BGP neighbours that lead outside the twin but through no interface of it. */
    private unplacedHops(devices: Device[], served: Set<object>, inside: Inside): void {
        for (const device of devices) {
            const config = device.config;
            for (const [family, routes, within] of [
                [V4, config.staticRoutes, inside.v4],
                [V6, config.staticRoutes6, inside.v6]
            ] as const) {
                for (const route of routes as Array<{ nextHop: Bound | 'blackhole'; table?: number; prefix: object }>) {
                    if (route.table !== undefined || served.has(route)) continue;
                    const af = family.af as AddressFamily<Bound, { network: Bound; length: number }>;
                    const prefix = af.format(route.prefix as never);
                    if (route.nextHop === 'blackhole') {
                        this.warn(
                            device,
                            this.line(device, route),
                            `the blackhole route to ${prefix} is not in the twin (the compiler writes the routes a twin needs).`
                        );
                    } else if (!(within as IntervalSet<Bound>).has(route.nextHop)) {
                        this.warn(
                            device,
                            this.line(device, route),
                            `the route to ${prefix} goes through ${af.formatAddress(route.nextHop)}, on no interface's subnet of the twin: not imported.`
                        );
                    }
                }
            }
            const neighbors: Array<[Family<Bound>, BgpNeighbor<Bound>]> = [
                ...(config.bgp?.neighbors ?? []).map(n => [V4, n] as [Family<Bound>, BgpNeighbor<Bound>]),
                ...(config.bgp?.ipv6?.neighbors ?? []).map(n => [V6, n] as [Family<Bound>, BgpNeighbor<Bound>])
            ];
            for (const [family, neighbor] of neighbors) {
                const within = (family.version === 4 ? inside.v4 : inside.v6) as IntervalSet<Bound>;
                if (served.has(neighbor) || within.has(neighbor.address)) continue;
                this.warn(
                    device,
                    this.line(device, neighbor),
                    `BGP neighbour ${family.af.formatAddress(neighbor.address)} is on no interface's subnet of the twin: not imported (the twin's BGP sessions run over its links).`
                );
            }
        }
    }

    private device(device: Device): DeviceDocument {
        const config = device.config;
        const lo = config.interfaces.find(i => i.name === 'lo');
        const loopbacks: string[] = [];
        const parts: string[] = [];
        if (lo) {
            const line = this.line(device, lo);
            for (const family of [V4, V6] as const) {
                const address = (family as Family<Bound>).of(lo);
                if (!address) continue;
                const network = (family as Family<Bound>).network(address.address, address.length);
                const at = { device, line };
                if (
                    !this.claim(
                        family as Family<Bound>,
                        { ...address, network },
                        `the loopback of ${device.name}`,
                        at,
                        false
                    )
                )
                    continue;
                loopbacks.push(family.af.formatAddress(address.address as never));
                if (address.length !== family.af.bits)
                    this.warn(
                        device,
                        line,
                        `the loopback ${formatInterfaceAddress(family as Family<Bound>, address)} is not a single address: the twin's loopback is ${family.af.formatAddress(address.address as never)}/${family.af.bits}.`
                    );
            }
            if (lo.secondary?.length)
                this.warn(
                    device,
                    line,
                    `the loopback's other addresses (${lo.secondary.map(s => V4.af.formatAddress(s.address)).join(', ')}; a 'via any of' set's shared address where compile wrote them) are not in the twin: the compiler takes such addresses from pools.loopbacks, which the configurations do not say.`
                );
            if (loopbacks.length > 0) parts.push(`interface lo (line ${line})`);
        }
        const document: DeviceDocument = {};
        if (loopbacks.length > 0) document.loopback = oneOrBoth(loopbacks);
        if (config.bgp) {
            document.asn = config.bgp.asn;
            parts.push(`router bgp ${config.bgp.asn} (line ${this.line(device, config.bgp)})`);
        }
        const ids = [config.ospf?.routerId, config.ospf6?.routerId, config.bgp?.routerId].filter(
            (id): id is number => id !== undefined && id !== 0
        );
        if (new Set(ids).size > 1)
            this.warn(
                device,
                undefined,
                `its routing daemons have different router IDs (${[...new Set(ids)].map(id => V4.af.formatAddress(id)).join(', ')}): the twin has one, ${V4.af.formatAddress(ids[0])}.`
            );
        const loopback = lo?.address?.address;
        if (ids.length > 0 && (ids[0] !== loopback || !hasIPv4(document.loopback)))
            document['router-id'] = V4.af.formatAddress(ids[0]);
        this.sources.set(`devices.${device.name}`, `${device.shown}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`);
        return document;
    }

    /** The routing all devices run; where they differ, the one most run, with a warning. */
    private routing(devices: Device[]): 'ospf' | 'bgp' | 'static' {
        const kinds = new Map<'ospf' | 'bgp' | 'static', Device[]>([
            ['ospf', []],
            ['bgp', []],
            ['static', []]
        ]);
        for (const device of devices) {
            const config = device.config;
            kinds.get(config.ospf || config.ospf6 ? 'ospf' : config.bgp ? 'bgp' : 'static')!.push(device);
        }
        const [chosen, running] = [...kinds].reduce((best, kind) => (kind[1].length > best[1].length ? kind : best));
        const what = { ospf: 'router ospf', bgp: 'router bgp', static: 'neither router ospf nor router bgp' };
        for (const [kind, others] of kinds) {
            if (kind === chosen || others.length === 0) continue;
            this.warnings.push({
                where: others.map(d => d.file).join(', '),
                message: `${others.length === 1 ? 'this device has' : 'these devices have'} ${what[kind]}, ${running.length} other(s) ${what[chosen]}: the twin has one routing for all, ${chosen}.`
            });
        }
        this.sources.set(
            'routing',
            `${what[chosen]}: ${running.length === devices.length ? 'every device' : `${running.length} of ${devices.length} devices`}`
        );
        return chosen;
    }

    /**
     * Pools where the twin needs them: a link without an IPv4 subnet (the twin gives every link
     * one) or a device without an IPv4 loopback; each a free block of private space.
     */
    private pools(twin: TwinDocument): TwinDocument['pools'] {
        const links = twin.links.filter(link => !link.subnet);
        const devices = Object.entries(twin.devices).filter(([, device]) => !hasIPv4(device.loopback));
        if (links.length === 0 && devices.length === 0) return undefined;
        // What the twin places is in this.space already; the prefixes it routes toward (but a default route) too.
        const pools = this.space.pools(links.length, devices.length, routedToward(twin));
        if (links.length > 0) {
            this.warnings.push({
                where: this.source,
                message: `${links.length} link(s) have no IPv4 subnet in the configurations (${links
                    .map(l => l.endpoints.join(' -- '))
                    .slice(0, 3)
                    .join(
                        '; '
                    )}${links.length > 3 ? '; …' : ''}): the twin gives every link one, so each takes a /31 of pools.links ${pools.links}, a free block chosen by the import.`
            });
        }
        if (devices.length > 0) {
            this.warnings.push({
                where: this.source,
                message: `${devices.length} device(s) have no IPv4 address on interface lo (${devices
                    .map(([name]) => name)
                    .slice(0, 5)
                    .join(
                        ', '
                    )}${devices.length > 5 ? ', …' : ''}): the twin gives every device one, from pools.loopbacks ${pools.loopbacks}, a free block chosen by the import.`
            });
        }
        this.sources.set('pools', 'chosen by the import: free blocks for what the configurations do not address');
        return pools;
    }
}

/** The addresses inside the twin: its links' subnets and its loopbacks (a next hop there is the network's own). */
interface Inside {
    v4: IntervalSet;
    v6: IntervalSet<bigint>;
}

function insideAddresses(devices: Device[], ports: Port[], linked: Set<Port>): Inside {
    const v4: Array<readonly [number, number]> = [];
    const v6: Array<readonly [bigint, bigint]> = [];
    for (const port of ports) {
        if (!linked.has(port)) continue;
        if (port.v4) v4.push([port.v4.network, V4.af.last({ network: port.v4.network, length: port.v4.length })]);
        if (port.v6) v6.push([port.v6.network, V6.af.last({ network: port.v6.network, length: port.v6.length })]);
    }
    for (const device of devices) {
        const lo = device.config.interfaces.find(i => i.name === 'lo');
        for (const address of [lo?.address, ...(lo?.secondary ?? [])])
            if (address) v4.push([address.address, address.address]);
        if (lo?.address6) v6.push([lo.address6.address, lo.address6.address]);
    }
    return { v4: IntervalSet.fromIntervals(v4), v6: IntervalSet.fromIntervals(v6) };
}

/** The ports of each subnet of one family, by the subnet's text. */
function groupBySubnet<A extends Bound>(
    ports: Port[],
    of: (port: Port) => Address<A> | undefined
): Map<string, Port[]> {
    const groups = new Map<string, Port[]>();
    for (const port of ports) {
        const subnet = of(port)?.subnet;
        if (subnet === undefined) continue;
        const members = groups.get(subnet);
        if (members) members.push(port);
        else groups.set(subnet, [port]);
    }
    return groups;
}

/** The other end of the port's subnet in one family, where exactly one other device has one. */
function partnerOf<A extends Bound>(
    port: Port,
    groups: Map<string, Port[]>,
    of: (port: Port) => Address<A> | undefined
): Port | undefined {
    const address = of(port);
    if (!address) return undefined;
    const members = groups.get(address.subnet)!;
    if (members.length !== 2) return undefined;
    const other = members[0] === port ? members[1] : members[0];
    return other.device === port.device || of(other) === undefined ? undefined : other;
}

/** Whether `a` has the lower address of the link (IPv4 where the link has it, else IPv6). */
function lower(a: Port, b: Port, v4: boolean): boolean {
    return v4 ? a.v4!.address < b.v4!.address : a.v6!.address < b.v6!.address;
}

/** What a BGP neighbour's route-map in lets in: the prefixes its prefix-lists permit; undefined when unsaid. */
function announced<A extends Bound>(
    config: DeviceConfig,
    neighbor: BgpNeighbor<A>,
    family: Family<A>
): string[] | undefined {
    const map: RouteMap | undefined = config.routeMaps.find(m => m.name === neighbor.routeMapIn);
    if (!map) return undefined;
    const lists = (family.version === 4 ? config.prefixLists : config.prefixLists6) as PrefixList<{
        network: A;
        length: number;
    }>[];
    const prefixes: string[] = [];
    for (const entry of map.entries) {
        if (entry.action !== 'permit') continue;
        const listName = family.version === 4 ? entry.matchPrefixList : entry.matchPrefixList6;
        // A permit without a match of this family lets everything of it in.
        if (listName === undefined) return [family.everything];
        for (const item of lists.find(l => l.name === listName)?.entries ?? [])
            if (item.action === 'permit') prefixes.push(family.af.format(item.prefix));
    }
    return prefixes.length > 0 ? [...new Set(prefixes)] : undefined;
}

function endpoint(port: Port): string {
    return `${port.device.name}:${port.iface.name}`;
}

function formatInterfaceAddress<A extends Bound>(family: Family<A>, address: { address: A; length: number }): string {
    return `${family.af.formatAddress(address.address)}/${address.length}`;
}

function hasIPv4(value: OneOrBoth | undefined): boolean {
    return value !== undefined && (Array.isArray(value) ? value : [value]).some(v => !v.includes(':'));
}

/** What the parser's message says, without what it means for verdicts (the import verifies nothing). */
function notModelled(message: string): string {
    return message.replace(/; the verdicts of this network are unknown until it is removed or modelled\.$/, '');
}

function networkName(source: string): string {
    const base = path.basename(path.resolve(source));
    return twinName(base, 'network', new Set());
}

function isFolder(at: string): boolean {
    try {
        return fs.statSync(at).isDirectory();
    } catch {
        return false;
    }
}

/** The IPv4 prefixes the twin's externals route toward (but a default route): a pool keeps out of them. */
function routedToward(twin: TwinDocument): IpPrefix[] {
    return Object.values(twin.externals ?? {})
        .flatMap(external => external.prefixes.filter(p => !p.endsWith('/0')))
        .map(text => V4.af.parsePrefix(text))
        .filter(prefix => prefix !== undefined)
        .map(({ network, length }) => ({ family: 4 as const, network: BigInt(network), length }));
}
