/**
 * Loads a twin file (docs/twin.md): reads the YAML with positions, imports a containerlab topology
 * (containerlab.ts), enforces every rule with an error at the YAML line it concerns, and has the
 * addresses the twin leaves to its pools allocated (allocate.ts), deterministically (in the order
 * things are written).
 */
import * as path from 'node:path';
import { isScalar, isSeq, type Node } from 'yaml';
import { quoted, type Diagnostic, type SourceLocation } from '../common/diagnostic.js';
import { didYouMean } from '../common/suggest.js';
import { parseDuration } from '../common/units.js';
import {
    IPV4,
    IPV6,
    parseAnyAddress,
    parseAnyPrefix,
    type AddressFamily,
    type AnyAddress,
    type AnyPrefix
} from '../net/family.js';
import { compareBounds, IntervalSet, type Bound } from '../net/interval-set.js';
import { formatAddress } from '../net/ipv4.js';
import { formatAddress6, NOT_FORWARDED6 } from '../net/ipv6.js';
import type { Family } from '../net/packet-set.js';
import {
    interfaceName,
    linkName,
    ROUTINGS,
    type InterfaceKey,
    type InterfaceUse,
    type Routing,
    type Twin,
    type TwinDevice,
    type TwinExternal,
    type TwinLink,
    type TwinSegment
} from './model.js';
import { CONTAINERLAB_POOLS, importContainerlab, isContainerlabFile, type ContainerlabTarget } from './containerlab.js';
import { allocateAddresses, type AddressUse, type Pools } from './allocate.js';
import { YamlReader, type Endpoint, type MapEntry } from './yaml-reader.js';

/** Reads a file's text: undefined when it does not exist, `refused` (why) when it may not or cannot be read. */
export type ReadFile = (file: string) => string | undefined | { refused: string };

export interface TwinLoadResult {
    /** Best effort even when there are errors, so that names still resolve. */
    twin: Twin;
    diagnostics: Diagnostic[];
    /** The files the twin was read from (the twin and an imported containerlab topology). */
    files: string[];
}

/** The keys of a twin file, in the order docs/twin.md shows them (the order importers write them in). */
export const TOP_KEYS = [
    'network',
    'routing',
    'topology',
    'pools',
    'devices',
    'links',
    'segments',
    'hosts',
    'externals',
    'state'
] as const;
export const DEVICE_KEYS = ['role', 'platform', 'loopback', 'asn', 'router-id'];
export const LINK_KEYS = ['endpoints', 'subnet', 'subnet6', 'cost', 'latency', 'bandwidth'];
export const SEGMENT_KEYS = ['prefix', 'attach', 'gateway'];
export const HOST_KEYS = ['segment', 'address'];
export const EXTERNAL_KEYS = ['prefixes', 'attach', 'address', 'peer'];
export const POOL_KEYS = ['links', 'loopbacks', 'links6', 'loopbacks6'];
const STATE_KEYS = ['observed', 'down', 'routes'];
const DEFAULT_COST = 10;
/** Names of devices, segments, hosts, externals and the network: what intents can write, kept short. */
const MAX_NAME = 64;
const NAME = new RegExp(`^[A-Za-z_][A-Za-z0-9_-]{0,${MAX_NAME - 1}}$`);

/** Whether `name` can name a device, segment, host, external or the network (what intents can write). */
export function isTwinName(name: string): boolean {
    return NAME.test(name);
}

/** What Linux takes as an interface name (dev_valid_name), and no quotes or backslashes. */
const LINUX_INTERFACE = /^[^\s/:'"\\\x00-\x1f\x7f]{1,15}$/;
/** Linux counts an interface name's bytes (IFNAMSIZ, 16 with the closing NUL), not its characters. */
const MAX_INTERFACE_BYTES = 15;

/** Whether Linux (and so the twin) takes `name` as an interface name: 1 to 15 bytes, none of `/`, `:`, whitespace, quotes, backslashes or control characters. */
export function isInterfaceName(name: string): boolean {
    return (
        LINUX_INTERFACE.test(name) &&
        Buffer.byteLength(name, 'utf8') <= MAX_INTERFACE_BYTES &&
        name !== '.' &&
        name !== '..'
    );
}

/** The platforms netintent renders configurations for. */
const PLATFORMS = ['frr'];

export function loadTwin(file: string, readFile: ReadFile): TwinLoadResult {
    return new TwinLoader(file, readFile).load();
}

class TwinLoader {
    private readonly diagnostics: Diagnostic[] = [];
    private readonly files: string[] = [];
    private readonly twin: Twin;
    private readonly addressUses: AddressUse[] = [];
    private readonly addressUses6: AddressUse<bigint>[] = [];
    private readonly interfaceUsers = new Map<string, string>();
    private readonly unattachedReported = new Set<string>();
    /** The containerlab topology's links the twin has not yet added to, by their two ends (see endsKey). */
    private readonly importedLinks = new Map<string, TwinLink>();
    private readonly hostNodeAttachments = new Map<string, { key: InterfaceKey; location: SourceLocation }>();
    private readonly pools: Pools = {};

    constructor(
        private readonly file: string,
        private readonly readFile: ReadFile
    ) {
        this.twin = {
            file,
            network: path.basename(file).replace(/\.(twin|clab)?\.?ya?ml$/i, ''),
            routing: 'ospf',
            devices: new Map(),
            links: [],
            segments: new Map(),
            hosts: new Map(),
            externals: new Map(),
            down: new Set(),
            ownSpace: IntervalSet.EMPTY,
            ownSpace6: IntervalSet.EMPTY6,
            rejected: new Set()
        };
    }

    load(): TwinLoadResult {
        const reader = this.open(this.file);
        if (reader) {
            if (isContainerlabFile(this.file)) {
                // A containerlab file has no place for pools: its addresses come from these.
                const location = reader.location(reader.root);
                this.pools.links = { prefix: CONTAINERLAB_POOLS.links, location };
                this.pools.loopbacks = { prefix: CONTAINERLAB_POOLS.loopbacks, location };
                importContainerlab(reader, new Set(), this.containerlabTarget());
            } else {
                this.loadTwinFile(reader);
            }
        }
        this.finish();
        return { twin: this.twin, diagnostics: this.diagnostics, files: this.files };
    }

    private open(file: string, from?: { reader: YamlReader; node: Node | null }): YamlReader | undefined {
        const text = this.readFile(file);
        if (typeof text !== 'string') {
            const [message, code] =
                text === undefined
                    ? [
                          `Cannot read '${file}': no such file. Check the path (it is relative to the file that names it).`,
                          'missing-file'
                      ]
                    : [text.refused, 'unreadable-file'];
            if (from) {
                from.reader.error(from.node, message, code);
            } else {
                this.diagnostics.push({
                    file,
                    range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } },
                    severity: 'error',
                    code,
                    message
                });
            }
            return undefined;
        }
        this.files.push(file);
        const reader = new YamlReader(file, text);
        // Diagnostics are collected by reference, so later reports land here too.
        this.readers.push(reader);
        return reader;
    }

    private readonly readers: YamlReader[] = [];

    private loadTwinFile(reader: YamlReader): void {
        const top = new Map(reader.map(reader.root, 'the twin', TOP_KEYS).map(e => [e.key, e]));
        const network = top.get('network');
        if (network) {
            const name = reader.string(network.value, 'network');
            if (name && this.checkNameAt(reader, network.value, name, 'network'))
                (this.twin as { network: string }).network = name;
        }
        const routing = top.get('routing');
        if (routing) {
            const value = reader.string(routing.value, 'routing');
            if (value !== undefined && !ROUTINGS.includes(value as Routing)) {
                reader.error(
                    routing.value,
                    `Unknown routing '${value}'. Use one of: ${ROUTINGS.join(', ')}.${didYouMean(value, ROUTINGS)}`
                );
            } else if (value) {
                (this.twin as { routing: Routing }).routing = value as Routing;
            }
        }
        const hostNames = new Set(reader.map(top.get('hosts')?.value, 'hosts').map(e => e.key));
        const topology = top.get('topology');
        if (topology) {
            const relative = reader.string(topology.value, 'topology');
            if (relative !== undefined) {
                const clab = this.open(path.resolve(path.dirname(reader.file), relative), {
                    reader,
                    node: topology.value
                });
                if (clab) importContainerlab(clab, hostNames, this.containerlabTarget());
            }
        }
        this.readPools(reader, top.get('pools'));
        for (const entry of reader.map(top.get('devices')?.value, 'devices')) this.readDevice(reader, entry);
        for (const node of reader.seq(top.get('links')?.value, 'links')) this.readLink(reader, node);
        for (const entry of reader.map(top.get('segments')?.value, 'segments')) this.readSegment(reader, entry);
        for (const entry of reader.map(top.get('hosts')?.value, 'hosts')) this.readHost(reader, entry);
        for (const entry of reader.map(top.get('externals')?.value, 'externals')) this.readExternal(reader, entry);
        this.readState(reader, top.get('state'));
    }

    /** What a containerlab import adds to: this twin, through the loader's own checks. */
    private containerlabTarget(): ContainerlabTarget {
        return {
            addDevice: device => this.twin.devices.set(device.name, device),
            checkName: (reader, entry, kind) => this.checkName(reader, entry, kind),
            readEndpoints: (reader, node) => this.readEndpoints(reader, node),
            addLink: (reader, node, a, b) => {
                const link = this.addLink(reader, node, a, b);
                if (link) this.importedLinks.set(endsKey(a.key, b.key), link);
            },
            attachHost: (host, attachment) => this.hostNodeAttachments.set(host, attachment)
        };
    }

    private readPools(reader: YamlReader, entry: MapEntry | undefined): void {
        for (const pool of reader.map(entry?.value, 'pools', POOL_KEYS)) {
            const family = pool.key.endsWith('6') ? 6 : 4;
            const read = this.readPrefix(reader, pool.value, `pools.${pool.key}`, family);
            if (!read) continue;
            const location = reader.location(pool.value);
            if (read.family === 4) this.pools[pool.key as 'links' | 'loopbacks'] = { prefix: read.prefix, location };
            else this.pools[pool.key as 'links6' | 'loopbacks6'] = { prefix: read.prefix, location };
        }
    }

    private readDevice(reader: YamlReader, entry: MapEntry): void {
        const existing = this.twin.devices.get(entry.key);
        const device: TwinDevice = existing ?? {
            name: entry.key,
            role: 'router',
            platform: 'frr',
            interfaces: new Map(),
            location: reader.location(entry.keyNode)
        };
        // A device the twin also declares after a containerlab import points at the twin's line.
        device.location = reader.location(entry.keyNode);
        this.checkName(reader, entry, 'device');
        for (const field of reader.map(entry.value, `device ${entry.key}`, DEVICE_KEYS)) {
            switch (field.key) {
                case 'role':
                    device.role = reader.string(field.value, 'role') ?? device.role;
                    break;
                case 'platform': {
                    const platform = reader.string(field.value, 'platform');
                    if (platform !== undefined && !PLATFORMS.includes(platform)) {
                        reader.error(
                            field.value,
                            `Platform '${platform}' has no renderer: netintent writes configurations for ${PLATFORMS.join(', ')} only.${didYouMean(platform, PLATFORMS)}`,
                            'platform'
                        );
                    }
                    device.platform = platform ?? device.platform;
                    break;
                }
                case 'asn':
                    device.asn = reader.integer(field.value, 'asn', 1, 4294967295);
                    break;
                case 'loopback': {
                    const { 4: v4, 6: v6 } = this.onePerFamily(reader, field.value, 'loopback', node =>
                        this.readAddress(reader, node, 'loopback')
                    );
                    if (v4) device.loopback = v4.value.address;
                    if (v6) device.loopback6 = v6.value.address;
                    if (v4) this.use(reader, v4, `loopback of ${entry.key}`);
                    if (v6) this.use(reader, v6, `IPv6 loopback of ${entry.key}`);
                    break;
                }
                case 'router-id':
                    this.readAddress(reader, field.value, field.key, 4);
                    break;
            }
        }
        this.twin.devices.set(entry.key, device);
    }

    private readLink(reader: YamlReader, node: Node): void {
        const fields = new Map(reader.map(node, 'a link', LINK_KEYS).map(e => [e.key, e]));
        const endpointsEntry = fields.get('endpoints');
        if (!endpointsEntry) {
            reader.error(node, "A link needs 'endpoints: [device:interface, device:interface]'.");
            return;
        }
        const endpoints = this.readEndpoints(reader, endpointsEntry.value);
        if (!endpoints) return;
        const [a, b] = endpoints;
        // The twin may add to a link of the containerlab topology; any other repetition is a reuse.
        const imported = this.importedLinks.get(endsKey(a.key, b.key));
        if (imported) this.importedLinks.delete(endsKey(a.key, b.key));
        const link = imported ?? this.addLink(reader, node, a, b);
        if (!link) return;
        link.location = reader.location(node);
        for (const field of fields.values()) {
            switch (field.key) {
                case 'subnet':
                case 'subnet6': {
                    const read = this.readPrefix(reader, field.value, field.key, field.key === 'subnet' ? 4 : 6);
                    const family = read?.family === 4 ? IPV4 : IPV6;
                    if (read && read.prefix.length > family.bits - 1) {
                        reader.error(
                            field.value,
                            `Subnet ${this.formatRead(read)} has no room for two interfaces; use a /${family.bits - 1} or shorter prefix.`
                        );
                    } else if (read) {
                        if (read.family === 4) link.subnet = read.prefix;
                        else link.subnet6 = read.prefix;
                        this.use(reader, { value: read, node: field.value! }, `link ${linkName(link)}`);
                    }
                    break;
                }
                case 'cost':
                    link.cost = reader.integer(field.value, 'cost', 1, 65535) ?? link.cost;
                    break;
                case 'latency':
                    link.latencyUs = this.readLatency(reader, field.value) ?? link.latencyUs;
                    break;
                case 'bandwidth':
                    link.bandwidth = reader.string(field.value, 'bandwidth');
                    break;
            }
        }
    }

    private addLink(reader: YamlReader, node: Node, a: Endpoint, b: Endpoint): TwinLink | undefined {
        const description = `link ${interfaceName(a.key)} -- ${interfaceName(b.key)}`;
        const okA = this.addInterface(reader, a, 'link', description);
        const okB = this.addInterface(reader, b, 'link', description);
        if (!okA || !okB) return undefined;
        const link: TwinLink = {
            a: a.key,
            b: b.key,
            cost: DEFAULT_COST,
            latencyUs: 0,
            location: reader.location(node)
        };
        this.twin.links.push(link);
        return link;
    }

    private readSegment(reader: YamlReader, entry: MapEntry): void {
        this.checkName(reader, entry, 'segment');
        const fields = new Map(reader.map(entry.value, `segment ${entry.key}`, SEGMENT_KEYS).map(e => [e.key, e]));
        const prefixEntry = fields.get('prefix');
        if (!prefixEntry) {
            reader.error(
                entry.keyNode,
                `Segment ${entry.key} needs a 'prefix:' (the subnet where its endpoints live; a list of one IPv4 and one IPv6 prefix for dual stack).`
            );
            this.twin.rejected.add(`segment:${entry.key}`);
            return;
        }
        const prefixes = this.onePerFamily(reader, prefixEntry.value, 'prefix', node =>
            this.readPrefix(reader, node, 'prefix')
        );
        // Room for the network address, a gateway, a host and (IPv4) the broadcast address.
        const roomy = <T extends AnyPrefix>(read: Written<T> | undefined) => {
            if (!read) return undefined;
            const longest = (read.value.family === 4 ? IPV4 : IPV6).bits - 2;
            if (read.value.prefix.length <= longest) return read.value;
            reader.error(
                read.node,
                `Segment prefix ${this.formatRead(read.value)} is too small for a gateway and hosts; use a /${longest} or shorter prefix.`
            );
            return undefined;
        };
        const v4 = roomy(prefixes[4]);
        const v6 = roomy(prefixes[6]);
        if ((prefixes[4] && !v4) || (prefixes[6] && !v6) || (!v4 && !v6)) {
            this.twin.rejected.add(`segment:${entry.key}`);
            return;
        }
        const segment: TwinSegment = {
            name: entry.key,
            prefix: v4?.prefix,
            prefix6: v6?.prefix,
            gateway: v4 && v4.prefix.network + 1,
            gateway6: v6 && v6.prefix.network + 1n,
            location: reader.location(entry.keyNode)
        };
        const gateway = fields.get('gateway');
        if (gateway) {
            const gateways = this.onePerFamily(reader, gateway.value, 'gateway', node =>
                this.readAddress(reader, node, 'gateway')
            );
            const [gateway4, gateway6] = [gateways[4], gateways[6]];
            if (gateway4 && this.isUsable(reader, IPV4, segment.prefix, gateway4, `Gateway`, entry.key))
                segment.gateway = gateway4.value.address;
            if (gateway6 && this.isUsable(reader, IPV6, segment.prefix6, gateway6, `Gateway`, entry.key))
                segment.gateway6 = gateway6.value.address;
        }
        for (const written of [prefixes[4], prefixes[6]])
            if (written) this.use(reader, written, `segment ${entry.key}`);
        this.twin.segments.set(entry.key, segment);
        const attach = fields.get('attach');
        if (attach) {
            const endpoint = this.readEndpoint(reader, attach.value);
            if (
                endpoint &&
                this.addInterface(reader, endpoint, 'segment', `segment ${entry.key}`, gatewayAddresses(segment))
            ) {
                segment.attach = endpoint.key;
            } else {
                // Its attach line already has an error; "not attached" would say it twice.
                this.unattachedReported.add(entry.key);
            }
        }
    }

    private readHost(reader: YamlReader, entry: MapEntry): void {
        this.checkName(reader, entry, 'host');
        if (!this.hostAccepted(reader, entry)) this.twin.rejected.add(`host:${entry.key}`);
    }

    /** Reads a host; false when it has errors and is left out. */
    private hostAccepted(reader: YamlReader, entry: MapEntry): boolean {
        const fields = new Map(reader.map(entry.value, `host ${entry.key}`, HOST_KEYS).map(e => [e.key, e]));
        const segmentEntry = fields.get('segment');
        if (!segmentEntry) {
            reader.error(entry.keyNode, `Host ${entry.key} needs a 'segment:' (the segment it lives in).`);
            return false;
        }
        const segmentName = reader.string(segmentEntry.value, 'segment');
        if (segmentName === undefined) return false;
        const segment = this.twin.segments.get(segmentName);
        if (!segment) {
            reader.error(
                segmentEntry.value,
                `Unknown segment '${segmentName}'.${didYouMean(segmentName, this.twin.segments.keys()) || ' Declare it under segments:.'}`,
                'unknown-name'
            );
            return false;
        }
        const fromContainerlab = this.hostNodeAttachments.get(entry.key);
        if (fromContainerlab && !segment.attach) {
            const endpoint = { key: fromContainerlab.key, node: null, location: fromContainerlab.location };
            if (this.addInterface(reader, endpoint, 'segment', `segment ${segment.name}`, gatewayAddresses(segment))) {
                segment.attach = fromContainerlab.key;
            }
        }
        const addressEntry = fields.get('address');
        const given = addressEntry
            ? this.onePerFamily(reader, addressEntry.value, 'address', node =>
                  this.readAddress(reader, node, 'address')
              )
            : {};
        if (given.failed) return false;
        const hosts = [...this.twin.hosts.values()];
        const at = addressEntry?.value ?? entry.keyNode;
        const address = this.hostAddress(
            reader,
            IPV4,
            segment,
            segment.prefix,
            segment.gateway,
            given[4],
            hosts.map(h => h.address),
            at
        );
        const address6 = this.hostAddress(
            reader,
            IPV6,
            segment,
            segment.prefix6,
            segment.gateway6,
            given[6],
            hosts.map(h => h.address6),
            at
        );
        if (address === false || address6 === false) return false;
        this.twin.hosts.set(entry.key, {
            name: entry.key,
            segment: segment.name,
            address,
            address6,
            location: reader.location(entry.keyNode)
        });
        return true;
    }

    /**
     * A host's address in one family: the one written, else the segment's first free one; none
     * where the segment has no prefix of the family; false after an error.
     */
    private hostAddress<A extends Bound, P extends { network: A; length: number }>(
        reader: YamlReader,
        family: AddressFamily<A, P>,
        segment: TwinSegment,
        prefix: P | undefined,
        gateway: A | undefined,
        given: Written<{ address: A }> | undefined,
        taken: readonly (A | undefined)[],
        at: Node
    ): A | undefined | false {
        if (!prefix && !given) return undefined;
        const used = new Set([gateway, ...taken]);
        if (prefix && !given) {
            for (let a = family.add(prefix.network, 1); a < family.last(prefix); a = family.add(a, 1))
                if (!used.has(a)) return a;
            reader.error(
                at,
                `Segment ${segment.name} (${family.format(prefix)}) has no ${family.name} address left for this host; give the segment a larger prefix.`
            );
            return false;
        }
        const { address } = given!.value;
        const text = family.formatAddress(address);
        if (!this.isUsable(reader, family, prefix, given!, 'Address', segment.name)) return false;
        if (address === gateway) {
            reader.error(
                given!.node,
                `Address ${text} is the gateway of segment ${segment.name}; give the host another address.`
            );
            return false;
        }
        const clash = [...this.twin.hosts.values()].find(h => h.address === address || h.address6 === address);
        if (clash) {
            reader.error(
                given!.node,
                `Address ${text} is already host ${clash.name}'s (line ${clash.location.range.start.line}).`
            );
            return false;
        }
        return address;
    }

    private readExternal(reader: YamlReader, entry: MapEntry): void {
        this.checkName(reader, entry, 'external');
        const fields = new Map(reader.map(entry.value, `external ${entry.key}`, EXTERNAL_KEYS).map(e => [e.key, e]));
        const prefixesEntry = fields.get('prefixes');
        if (!prefixesEntry) {
            reader.error(
                entry.keyNode,
                `External ${entry.key} needs 'prefixes:' (the address space it stands for, e.g. [0.0.0.0/0]).`
            );
            this.twin.rejected.add(`external:${entry.key}`);
            return;
        }
        const prefixes = reader
            .seq(prefixesEntry.value, 'prefixes')
            .map(node => this.readPrefix(reader, node, 'prefix'))
            .filter(p => p !== undefined);
        const addressEntry = fields.get('address');
        const addresses = addressEntry
            ? this.onePerFamily(reader, addressEntry.value, 'address', node => this.readInterfaceAddress(reader, node))
            : {};
        const [address, address6] = [addresses[4]?.value, addresses[6]?.value];
        for (const written of [addresses[4], addresses[6]])
            if (written) this.use(reader, written, `external ${entry.key}'s attachment`);
        const peerEntry = fields.get('peer');
        const peers = peerEntry
            ? this.onePerFamily(reader, peerEntry.value, 'peer', node => this.readAddress(reader, node, 'peer'))
            : {};
        const [peer4, peer6] = [peers[4], peers[6]];
        const offSubnet = [
            peer4 && address && !IPV4.contains(address.prefix, peer4.value.address) && { peer: peer4, address },
            peer6 &&
                address6 &&
                !IPV6.contains(address6.prefix, peer6.value.address) && { peer: peer6, address: address6 }
        ];
        for (const stray of offSubnet) {
            if (!stray) continue;
            reader.error(
                stray.peer.node,
                `Peer ${this.formatAddress(stray.peer.value)} is not on the attachment subnet of ${this.formatRead(stray.address, true)}.`
            );
        }
        let attach: InterfaceKey | undefined;
        const attachEntry = fields.get('attach');
        if (attachEntry) {
            const endpoint = this.readEndpoint(reader, attachEntry.value);
            const ends = {
                ...(address && { address: address.address, length: address.prefix.length }),
                ...(address6 && { address6: address6.address, length6: address6.prefix.length })
            };
            if (endpoint && this.addInterface(reader, endpoint, 'external', `external ${entry.key}`, ends))
                attach = endpoint.key;
        }
        this.twin.externals.set(entry.key, {
            name: entry.key,
            prefixes: prefixes.filter(p => p.family === 4).map(p => p.prefix),
            prefixes6: prefixes.filter(p => p.family === 6).map(p => p.prefix),
            attach,
            address: address && { address: address.address, length: address.prefix.length },
            address6: address6 && { address: address6.address, length: address6.prefix.length },
            peer: peers[4]?.value.address,
            peer6: peers[6]?.value.address,
            space: IntervalSet.EMPTY,
            space6: IntervalSet.EMPTY6,
            location: reader.location(entry.keyNode)
        });
    }

    private readState(reader: YamlReader, entry: MapEntry | undefined): void {
        for (const field of reader.map(entry?.value, 'state', STATE_KEYS)) {
            if (field.key !== 'down') continue;
            for (const node of reader.seq(field.value, 'down')) {
                const endpoint = this.readEndpoint(reader, node);
                if (!endpoint) continue;
                const device = this.twin.devices.get(endpoint.key.device);
                if (!device) {
                    reader.error(
                        node,
                        `Unknown device '${endpoint.key.device}'.${didYouMean(endpoint.key.device, this.twin.devices.keys())}`,
                        'unknown-name'
                    );
                } else if (!device.interfaces.has(endpoint.key.interface)) {
                    reader.error(
                        node,
                        `Device ${device.name} has no interface '${endpoint.key.interface}'.${didYouMean(endpoint.key.interface, device.interfaces.keys())}`,
                        'unknown-name'
                    );
                } else {
                    this.twin.down.add(interfaceName(endpoint.key));
                }
            }
        }
    }

    /** Allocation and the rules that need the whole twin. */
    private finish(): void {
        allocateAddresses(
            { twin: this.twin, uses: this.addressUses, uses6: this.addressUses6, diagnostics: this.diagnostics },
            this.pools
        );
        this.checkOverlaps(this.addressUses);
        this.checkOverlaps(this.addressUses6);
        for (const segment of this.twin.segments.values()) {
            if (!segment.attach && !this.unattachedReported.has(segment.name)) {
                this.diagnostics.push({
                    ...segment.location,
                    severity: 'error',
                    code: 'twin',
                    message: `Segment ${segment.name} is not attached to a device; add 'attach: device:interface' (its gateway interface).`
                });
            }
        }
        this.twin.ownSpace = IntervalSet.fromIntervals(this.addressUses.flatMap(u => u.range.intervals));
        this.twin.ownSpace6 = IntervalSet.fromIntervals(this.addressUses6.flatMap(u => u.range.intervals));
        // The pools are the network's own too, used or not (an anycast address the compiler takes
        // from the loopback pool is no external's).
        const { links, loopbacks, links6, loopbacks6 } = this.pools;
        const pools = IntervalSet.fromIntervals(
            [links, loopbacks].flatMap(p => (p ? IPV4.range(p.prefix).intervals : []))
        );
        const pools6 = IntervalSet.fromIntervals(
            [links6, loopbacks6].flatMap(p => (p ? IPV6.range(p.prefix).intervals : []))
        );
        const externals = [...this.twin.externals.values()];
        for (const [external, space] of externalSpaces(IPV4, externals, e => e.prefixes))
            external.space = space.subtract(this.twin.ownSpace).subtract(pools);
        for (const [external, space] of externalSpaces(IPV6, externals, e => e.prefixes6))
            // An external is reached through routers: it holds no address they do not forward.
            external.space6 = space.subtract(this.twin.ownSpace6).subtract(pools6).subtract(NOT_FORWARDED6);
        for (const reader of this.readers) this.diagnostics.push(...reader.diagnostics);
        this.diagnostics.sort(
            (x, y) =>
                x.file.localeCompare(y.file) ||
                x.range.start.line - y.range.start.line ||
                x.range.start.column - y.range.start.column
        );
    }

    private checkOverlaps<A extends Bound>(uses: readonly AddressUse<A>[]): void {
        const sorted = [...uses].sort((x, y) => compareBounds(x.range.first(), y.range.first()));
        let widest: AddressUse<A> | undefined;
        for (const use of sorted) {
            if (widest && widest.range.intersects(use.range)) {
                const [later, earlier] =
                    compareLocations(use.location, widest.location) > 0 ? [use, widest] : [widest, use];
                this.diagnostics.push({
                    ...later.location,
                    severity: 'error',
                    code: 'overlap',
                    message: `The ${later.what} overlaps the ${earlier.what} (${path.basename(earlier.location.file)} line ${earlier.location.range.start.line}); address ranges must not overlap.`
                });
            }
            if (!widest || lastOf(use.range) > lastOf(widest.range)) widest = use;
        }
    }

    /** Records what a prefix or address of either family, as written, is used by (overlaps are found among them). */
    private use(reader: YamlReader, written: Written<AnyPrefix | AnyAddress>, what: string): void {
        const { value, node } = written;
        const location = reader.location(node);
        if (value.family === 4) {
            const range = 'prefix' in value ? IPV4.range(value.prefix) : IntervalSet.of(value.address, value.address);
            this.addressUses.push({ range, what, location });
        } else {
            const range = 'prefix' in value ? IPV6.range(value.prefix) : IntervalSet.of(value.address, value.address);
            this.addressUses6.push({ range, what, location });
        }
    }

    private checkName(reader: YamlReader, entry: MapEntry, kind: string): boolean {
        return this.checkNameAt(reader, entry.keyNode, entry.key, kind);
    }

    /** Names that intents write, and that become file names, hostnames and keys of what the compiler writes. */
    private checkNameAt(reader: YamlReader, node: Node | null, name: string, kind: string): boolean {
        if (isTwinName(name)) return true;
        reader.error(
            node,
            `${quoted(name)} cannot be a ${kind} name: it starts with a letter or '_' and has only letters, digits, '-' and '_' (at most ${MAX_NAME} characters).`,
            'bad-name'
        );
        return false;
    }

    private readEndpoints(reader: YamlReader, node: Node | null): [Endpoint, Endpoint] | undefined {
        const items = reader.seq(node, 'endpoints');
        if (items.length !== 2) {
            reader.error(
                node,
                `A link has exactly two endpoints, written [device:interface, device:interface]; this has ${items.length}.`
            );
            return undefined;
        }
        const a = this.readEndpoint(reader, items[0]);
        const b = this.readEndpoint(reader, items[1]);
        if (a && b && a.key.device === b.key.device && a.key.interface === b.key.interface) {
            reader.error(node, 'A link joins two different interfaces; both endpoints here are the same.');
            return undefined;
        }
        return a && b ? [a, b] : undefined;
    }

    private readEndpoint(reader: YamlReader, node: Node | null): Endpoint | undefined {
        const text = reader.string(node, 'an interface');
        if (text === undefined) return undefined;
        const colon = text.indexOf(':');
        if (colon <= 0 || colon === text.length - 1) {
            reader.error(node, `${quoted(text)} is not an interface; write device:interface, e.g. core1:eth1.`);
            return undefined;
        }
        const device = text.slice(0, colon);
        const iface = text.slice(colon + 1);
        if (!this.checkNameAt(reader, node, device, 'device')) return undefined;
        // The interface becomes a Linux interface (FRR runs on Linux): its rules, not the intents'.
        if (!isInterfaceName(iface)) {
            reader.error(
                node,
                `${quoted(iface)} cannot be an interface name: a Linux interface name has 1 to 15 bytes (in UTF-8; a letter such as 'é' takes two) and no '/', ':', whitespace, quotes, backslashes or control characters. Rename it (e.g. eth1, swp1, eth1.100).`,
                'bad-name'
            );
            return undefined;
        }
        return { key: { device, interface: iface }, node, location: reader.location(node) };
    }

    /** Registers an interface of a device; each interface serves one link, segment or external. */
    private addInterface(
        reader: YamlReader,
        endpoint: Endpoint,
        use: InterfaceUse,
        user: string,
        addresses: InterfaceAddresses = {}
    ): boolean {
        const device = this.twin.devices.get(endpoint.key.device);
        if (!device) {
            const hint = didYouMean(endpoint.key.device, this.twin.devices.keys()) || ' Declare it under devices:.';
            this.report(reader, endpoint, `Unknown device '${endpoint.key.device}'.${hint}`, 'unknown-name');
            return false;
        }
        const name = interfaceName(endpoint.key);
        const previous = this.interfaceUsers.get(name);
        if (previous) {
            this.report(
                reader,
                endpoint,
                `Interface ${name} is already used by the ${previous}; an interface serves one link, segment or external. Use another interface.`,
                'interface-reuse'
            );
            return false;
        }
        this.interfaceUsers.set(name, `${user} (line ${endpoint.location.range.start.line})`);
        device.interfaces.set(endpoint.key.interface, {
            device: device.name,
            name: endpoint.key.interface,
            use,
            location: endpoint.location,
            address: addresses.address,
            prefixLength: addresses.length,
            address6: addresses.address6,
            prefixLength6: addresses.length6
        });
        return true;
    }

    private report(reader: YamlReader, endpoint: Endpoint, message: string, code: string): void {
        if (endpoint.node) {
            reader.error(endpoint.node, message, code);
        } else {
            this.diagnostics.push({ ...endpoint.location, severity: 'error', code, message });
        }
    }

    /**
     * One value or a list, at most one per family (a segment's prefix, a host's address, ...):
     * each read by `read`, with the node it was written at. `failed` when one could not be read.
     */
    private onePerFamily<T extends { family: Family }>(
        reader: YamlReader,
        node: Node | null,
        what: string,
        read: (node: Node) => T | undefined
    ): PerFamily<T> {
        const resolved = reader.resolve(node);
        const nodes = resolved && isSeq(resolved) ? reader.seq(node, what) : [node as Node];
        const out: PerFamily<T> = {};
        if (nodes.length === 0) reader.error(node, `${what} must not be an empty list.`);
        for (const item of nodes) {
            const value = read(item);
            if (!value) {
                out.failed = true;
                continue;
            }
            const earlier = out[value.family];
            if (earlier) {
                reader.error(
                    item,
                    `This is a second IPv${value.family} ${what} (the first is at line ${reader.location(earlier.node).range.start.line}); give at most one per family: [IPv4, IPv6].`
                );
                out.failed = true;
                continue;
            }
            (out as Record<Family, Written<T>>)[value.family] = { value, node: item };
        }
        return out;
    }

    /** A prefix of either family (or of the one `family` asks for), as written; host bits set are a warning. */
    private readPrefix<F extends Family = Family>(
        reader: YamlReader,
        node: Node | null,
        what: string,
        family?: F
    ): (AnyPrefix & { family: F }) | undefined {
        const text = reader.string(node, what);
        if (text === undefined) return undefined;
        const parsed = parseAnyPrefix(text, false);
        if (!parsed || (family && parsed.family !== family)) {
            const kind = family ? `an IPv${family}` : 'an IPv4 or IPv6';
            const example =
                family === 6
                    ? 'like 2001:db8:1::/64'
                    : family === 4
                      ? 'like 10.1.0.0/16 (four numbers 0-255, a length 0-32)'
                      : 'like 10.1.0.0/16 or 2001:db8:1::/64';
            reader.error(node, `'${text}' is not ${kind} prefix; write it ${example}.`, 'bad-prefix');
            return undefined;
        }
        if (parsed.hostBitsSet) {
            reader.warning(node, `${text} has host bits set; it is read as ${this.formatRead(parsed)}.`, 'host-bits');
        }
        return parsed as AnyPrefix & { family: F };
    }

    /** An interface's address with its prefix length ("203.0.113.2/30", "2001:db8:ee::2/64"). */
    private readInterfaceAddress(reader: YamlReader, node: Node | null): AnyPrefix | undefined {
        const text = reader.string(node, 'address');
        if (text === undefined) return undefined;
        const parsed = parseAnyPrefix(text, false);
        if (!parsed || parsed.prefix.length > (parsed.family === 4 ? IPV4 : IPV6).bits - 1) {
            reader.error(
                node,
                `'${text}' is not an interface address with its prefix length; write it like 203.0.113.2/30 or 2001:db8:ee::2/64.`
            );
            return undefined;
        }
        return parsed;
    }

    private readAddress(reader: YamlReader, node: Node | null, what: string, family?: Family): AnyAddress | undefined {
        const text = reader.string(node, what);
        if (text === undefined) return undefined;
        const address = parseAnyAddress(text);
        if (address === undefined || (family && address.family !== family)) {
            const [kind, example] =
                family === 4 ? ['an IPv4', '10.1.0.1'] : ['an IPv4 or IPv6', '10.1.0.1 or 2001:db8:1::1'];
            reader.error(node, `'${text}' is not ${kind} address; write it like ${example}.`, 'bad-address');
            return undefined;
        }
        return address;
    }

    /** A prefix as read, in its canonical form; `withAddress`: the address as written, with the length. */
    private formatRead(read: AnyPrefix, withAddress = false): string {
        if (withAddress) return `${this.formatAddress(read)}/${read.prefix.length}`;
        return read.family === 4 ? IPV4.format(read.prefix) : IPV6.format(read.prefix);
    }

    private formatAddress(read: AnyAddress): string {
        return read.family === 4 ? formatAddress(read.address) : formatAddress6(read.address);
    }

    /** Whether a gateway's or host's address is a usable one of the segment's prefix (else an error at it). */
    private isUsable<A extends Bound, P extends { network: A; length: number }>(
        reader: YamlReader,
        family: AddressFamily<A, P>,
        prefix: P | undefined,
        given: Written<{ address: A }>,
        what: 'Gateway' | 'Address',
        segment: string
    ): boolean {
        const text = family.formatAddress(given.value.address);
        if (!prefix) {
            reader.error(
                given.node,
                `${what} ${text} is ${family.name}, but segment ${segment} has no ${family.name} prefix; add one to its prefix list or remove this ${what.toLowerCase()}.`
            );
            return false;
        }
        const { address } = given.value;
        // Neither the network address nor (IPv4) the broadcast address; IPv6 has no broadcast.
        const usable =
            family.contains(prefix, address) &&
            address !== prefix.network &&
            (family.family === 6 || address !== family.last(prefix));
        if (usable) return true;
        const range = family.format(prefix);
        reader.error(
            given.node,
            what === 'Gateway'
                ? `Gateway ${text} is not a usable address of segment ${segment} (${range}).`
                : `Address ${text} is not inside segment ${segment} (${range}); use an address of that segment.`
        );
        return false;
    }

    private readLatency(reader: YamlReader, node: Node | null): number | undefined {
        const resolved = reader.resolve(node);
        const text = resolved && isScalar(resolved) ? String(resolved.value) : '';
        const microseconds = parseDuration(text);
        if (microseconds === undefined)
            reader.error(node, `'${text}' is not a latency; write it like 1ms, 500us or 0.5ms.`);
        return microseconds;
    }
}

/**
 * What each external stands for in one family, as routes would decide it: the addresses whose
 * longest matching prefix among all the externals' is one of its own (one prefix in two
 * externals: both). The prefixes nest or are apart, so one pass over them in order builds the
 * nesting: near-linear.
 */
function externalSpaces<A extends Bound, P extends { network: A; length: number }>(
    family: AddressFamily<A, P>,
    externals: readonly TwinExternal[],
    prefixesOf: (external: TwinExternal) => readonly P[]
): Map<TwinExternal, IntervalSet<A>> {
    const nodes = new Map<string, { prefix: P; owners: TwinExternal[]; inside: P[] }>();
    for (const external of externals) {
        for (const prefix of prefixesOf(external)) {
            const key = family.format(prefix);
            const node = nodes.get(key) ?? { prefix, owners: [], inside: [] };
            if (!node.owners.includes(external)) node.owners.push(external);
            nodes.set(key, node);
        }
    }
    const ordered = [...nodes.values()].sort(
        (a, b) => compareBounds(a.prefix.network, b.prefix.network) || a.prefix.length - b.prefix.length
    );
    const open: typeof ordered = [];
    for (const node of ordered) {
        while (open.length > 0 && !family.contains(open[open.length - 1].prefix, node.prefix.network)) open.pop();
        open[open.length - 1]?.inside.push(node.prefix);
        open.push(node);
    }
    const spaces = new Map<TwinExternal, Array<readonly [A, A]>>(externals.map(e => [e, []]));
    for (const node of ordered) {
        const own = family
            .range(node.prefix)
            .subtract(IntervalSet.fromIntervals(node.inside.map(p => [p.network, family.last(p)] as const)));
        for (const owner of node.owners) spaces.get(owner)!.push(...own.intervals);
    }
    return new Map([...spaces].map(([external, intervals]) => [external, IntervalSet.fromIntervals(intervals)]));
}

/** A value read from the twin, and the node it was written at. */
interface Written<T> {
    value: T;
    node: Node;
}

/** What a field gives per family, `failed` when part of it could not be read (an error is reported). */
type PerFamily<T extends { family: Family }> = {
    [F in Family]?: Written<Extract<T, { family: F }>>;
} & { failed?: true };

/** The addresses an interface gets from what it serves, per family. */
interface InterfaceAddresses {
    address?: number;
    length?: number;
    address6?: bigint;
    length6?: number;
}

/** A segment's gateway addresses: its attachment interface's. */
function gatewayAddresses(segment: TwinSegment): InterfaceAddresses {
    return {
        address: segment.gateway,
        length: segment.prefix?.length,
        address6: segment.gateway6,
        length6: segment.prefix6?.length
    };
}

/** A link's two ends, whichever way round they are written. */
function endsKey(a: InterfaceKey, b: InterfaceKey): string {
    return [interfaceName(a), interfaceName(b)].sort().join(' -- ');
}

function lastOf<A extends Bound>(range: IntervalSet<A>): A {
    return range.intervals[range.intervals.length - 1][1];
}

function compareLocations(x: SourceLocation, y: SourceLocation): number {
    return (
        x.file.localeCompare(y.file) ||
        x.range.start.line - y.range.start.line ||
        x.range.start.column - y.range.start.column
    );
}
