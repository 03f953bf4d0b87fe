/**
 * Loads a twin file (docs/twin.md): reads the YAML with positions, imports a containerlab topology
 * (containerlab.ts), enforces every rule with an error at the YAML line it concerns, and has the
 * addresses the twin leaves to its pools allocated (allocate.ts), deterministically (in the order
 * things are written).
 */
import * as path from 'node:path';
import { isScalar, type Node } from 'yaml';
import { quoted, type Diagnostic, type SourceLocation } from '../common/diagnostic.js';
import { didYouMean } from '../common/suggest.js';
import { parseDuration } from '../common/units.js';
import { IntervalSet } from '../net/interval-set.js';
import {
    formatAddress,
    formatPrefix,
    lastAddress,
    parseAddress,
    parsePrefix,
    prefixContains,
    prefixMask,
    prefixRange,
    type Prefix
} from '../net/ipv4.js';
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
import { allocateAddresses, type AddressUse, type Pool } from './allocate.js';
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

const TOP_KEYS = [
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
const DEVICE_KEYS = ['role', 'platform', 'loopback', 'asn', 'router-id'];
const LINK_KEYS = ['endpoints', 'subnet', 'cost', 'latency', 'bandwidth'];
const SEGMENT_KEYS = ['prefix', 'attach', 'gateway'];
const HOST_KEYS = ['segment', 'address'];
const EXTERNAL_KEYS = ['prefixes', 'attach', 'address', 'peer'];
const POOL_KEYS = ['links', 'loopbacks'];
const STATE_KEYS = ['observed', 'down', 'routes'];
const DEFAULT_COST = 10;
/** Names of devices, segments, hosts, externals and the network: what intents can write, kept short. */
const MAX_NAME = 64;
const NAME = new RegExp(`^[A-Za-z_][A-Za-z0-9_-]{0,${MAX_NAME - 1}}$`);
/** What Linux takes as an interface name (dev_valid_name), and no quotes or backslashes. */
const LINUX_INTERFACE = /^[^\s/:'"\\\x00-\x1f\x7f]{1,15}$/;
/** Linux counts an interface name's bytes (IFNAMSIZ, 16 with the closing NUL), not its characters. */
const MAX_INTERFACE_BYTES = 15;
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
    private readonly interfaceUsers = new Map<string, string>();
    private readonly unattachedReported = new Set<string>();
    /** The containerlab topology's links the twin has not yet added to, by their two ends (see endsKey). */
    private readonly importedLinks = new Map<string, TwinLink>();
    private readonly hostNodeAttachments = new Map<string, { key: InterfaceKey; location: SourceLocation }>();
    private linkPool?: Pool;
    private loopbackPool?: Pool;

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
            rejected: new Set()
        };
    }

    load(): TwinLoadResult {
        const reader = this.open(this.file);
        if (reader) {
            if (isContainerlabFile(this.file)) {
                // A containerlab file has no place for pools: its addresses come from these.
                const location = reader.location(reader.root);
                this.linkPool = { prefix: CONTAINERLAB_POOLS.links, location };
                this.loopbackPool = { prefix: CONTAINERLAB_POOLS.loopbacks, location };
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
            const prefix = this.readPrefix(reader, pool.value, `pools.${pool.key}`);
            if (!prefix) continue;
            const value = { prefix, location: reader.location(pool.value) };
            if (pool.key === 'links') this.linkPool = value;
            else this.loopbackPool = value;
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
                case 'loopback':
                case 'router-id': {
                    const address = this.readAddress(reader, field.value, field.key);
                    if (address !== undefined && field.key === 'loopback') {
                        device.loopback = address;
                        this.useAddresses(
                            IntervalSet.of(address, address),
                            `loopback of ${entry.key}`,
                            reader.location(field.value)
                        );
                    }
                    break;
                }
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
                case 'subnet': {
                    const subnet = this.readPrefix(reader, field.value, 'subnet');
                    if (subnet && subnet.length > 31) {
                        reader.error(
                            field.value,
                            `Subnet ${formatPrefix(subnet)} has no room for two interfaces; use a /31 or shorter prefix.`
                        );
                    } else if (subnet) {
                        link.subnet = subnet;
                        this.useAddresses(prefixRange(subnet), `link ${linkName(link)}`, reader.location(field.value));
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
                `Segment ${entry.key} needs a 'prefix:' (the subnet where its endpoints live).`
            );
            this.twin.rejected.add(`segment:${entry.key}`);
            return;
        }
        const prefix = this.readPrefix(reader, prefixEntry.value, 'prefix');
        if (prefix && prefix.length > 30) {
            reader.error(
                prefixEntry.value,
                `Segment prefix ${formatPrefix(prefix)} is too small for a gateway and hosts; use a /30 or shorter prefix.`
            );
        }
        if (!prefix || prefix.length > 30) {
            this.twin.rejected.add(`segment:${entry.key}`);
            return;
        }
        const segment: TwinSegment = {
            name: entry.key,
            prefix,
            gateway: prefix.network + 1,
            location: reader.location(entry.keyNode)
        };
        const gateway = fields.get('gateway');
        if (gateway) {
            const address = this.readAddress(reader, gateway.value, 'gateway');
            if (address !== undefined && !this.usableIn(prefix, address)) {
                reader.error(
                    gateway.value,
                    `Gateway ${formatAddress(address)} is not a usable address of segment ${entry.key} (${formatPrefix(prefix)}).`
                );
            } else if (address !== undefined) {
                segment.gateway = address;
            }
        }
        this.useAddresses(prefixRange(prefix), `segment ${entry.key}`, reader.location(prefixEntry.value));
        this.twin.segments.set(entry.key, segment);
        const attach = fields.get('attach');
        if (attach) {
            const endpoint = this.readEndpoint(reader, attach.value);
            if (
                endpoint &&
                this.addInterface(reader, endpoint, 'segment', `segment ${entry.key}`, {
                    address: segment.gateway,
                    length: prefix.length
                })
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
            if (
                this.addInterface(reader, endpoint, 'segment', `segment ${segment.name}`, {
                    address: segment.gateway,
                    length: segment.prefix.length
                })
            ) {
                segment.attach = fromContainerlab.key;
            }
        }
        const addressEntry = fields.get('address');
        const address = addressEntry
            ? this.readAddress(reader, addressEntry.value, 'address')
            : this.freeHostAddress(segment);
        if (address === undefined) return false;
        if (!this.usableIn(segment.prefix, address)) {
            reader.error(
                addressEntry?.value,
                `Address ${formatAddress(address)} is not inside segment ${segment.name} (${formatPrefix(segment.prefix)}); use an address of that segment.`
            );
            return false;
        }
        if (address === segment.gateway) {
            reader.error(
                addressEntry?.value,
                `Address ${formatAddress(address)} is the gateway of segment ${segment.name}; give the host another address.`
            );
            return false;
        }
        const clash = [...this.twin.hosts.values()].find(h => h.address === address);
        if (clash) {
            reader.error(
                addressEntry?.value,
                `Address ${formatAddress(address)} is already host ${clash.name}'s (line ${clash.location.range.start.line}).`
            );
            return false;
        }
        this.twin.hosts.set(entry.key, {
            name: entry.key,
            segment: segment.name,
            address,
            location: reader.location(entry.keyNode)
        });
        return true;
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
            .filter((p): p is Prefix => p !== undefined);
        let address: { address: number; length: number } | undefined;
        const addressEntry = fields.get('address');
        if (addressEntry) {
            const text = reader.string(addressEntry.value, 'address');
            const parsed = text === undefined ? undefined : parsePrefix(text, false);
            if (text !== undefined && (!parsed || parsed.prefix.length > 31)) {
                reader.error(
                    addressEntry.value,
                    `'${text}' is not an interface address with its prefix length; write it like 203.0.113.2/30.`
                );
            } else if (parsed && text !== undefined) {
                address = { address: parseAddress(text.split('/')[0])!, length: parsed.prefix.length };
                this.useAddresses(
                    prefixRange(parsed.prefix),
                    `external ${entry.key}'s attachment`,
                    reader.location(addressEntry.value)
                );
            }
        }
        let peer: number | undefined;
        const peerEntry = fields.get('peer');
        if (peerEntry) {
            peer = this.readAddress(reader, peerEntry.value, 'peer');
            if (
                peer !== undefined &&
                address &&
                !prefixContains(
                    { network: (address.address & prefixMask(address.length)) >>> 0, length: address.length },
                    peer
                )
            ) {
                reader.error(
                    peerEntry.value,
                    `Peer ${formatAddress(peer)} is not on the attachment subnet of ${formatAddress(address.address)}/${address.length}.`
                );
            }
        }
        let attach: InterfaceKey | undefined;
        const attachEntry = fields.get('attach');
        if (attachEntry) {
            const endpoint = this.readEndpoint(reader, attachEntry.value);
            if (endpoint && this.addInterface(reader, endpoint, 'external', `external ${entry.key}`, address))
                attach = endpoint.key;
        }
        this.twin.externals.set(entry.key, {
            name: entry.key,
            prefixes,
            attach,
            address,
            peer,
            space: IntervalSet.EMPTY,
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
            { twin: this.twin, uses: this.addressUses, diagnostics: this.diagnostics },
            this.linkPool,
            this.loopbackPool
        );
        this.checkOverlaps();
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
        // The pools are the network's own too, used or not (an anycast address the compiler takes
        // from the loopback pool is no external's).
        const pools = IntervalSet.fromIntervals(
            [this.linkPool, this.loopbackPool].flatMap(p => (p ? prefixRange(p.prefix).intervals : []))
        );
        for (const [external, space] of externalSpaces([...this.twin.externals.values()]))
            external.space = space.subtract(this.twin.ownSpace).subtract(pools);
        for (const reader of this.readers) this.diagnostics.push(...reader.diagnostics);
        this.diagnostics.sort(
            (x, y) =>
                x.file.localeCompare(y.file) ||
                x.range.start.line - y.range.start.line ||
                x.range.start.column - y.range.start.column
        );
    }

    private checkOverlaps(): void {
        const sorted = [...this.addressUses].sort((x, y) => x.range.first() - y.range.first());
        let widest: AddressUse | undefined;
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

    private useAddresses(range: IntervalSet, what: string, location: SourceLocation): void {
        this.addressUses.push({ range, what, location });
    }

    private checkName(reader: YamlReader, entry: MapEntry, kind: string): boolean {
        return this.checkNameAt(reader, entry.keyNode, entry.key, kind);
    }

    /** Names that intents write, and that become file names, hostnames and keys of what the compiler writes. */
    private checkNameAt(reader: YamlReader, node: Node | null, name: string, kind: string): boolean {
        if (NAME.test(name)) return true;
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
        if (
            !LINUX_INTERFACE.test(iface) ||
            Buffer.byteLength(iface, 'utf8') > MAX_INTERFACE_BYTES ||
            iface === '.' ||
            iface === '..'
        ) {
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
        address?: { address: number; length: number }
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
            address: address?.address,
            prefixLength: address?.length
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

    private readPrefix(reader: YamlReader, node: Node | null, what: string): Prefix | undefined {
        const text = reader.string(node, what);
        if (text === undefined) return undefined;
        const parsed = parsePrefix(text, false);
        if (!parsed) {
            reader.error(
                node,
                `'${text}' is not an IPv4 prefix; write it like 10.1.0.0/16 (four numbers 0-255, a length 0-32).`,
                'bad-prefix'
            );
            return undefined;
        }
        if (parsed.hostBitsSet) {
            reader.warning(
                node,
                `${text} has host bits set; it is read as ${formatPrefix(parsed.prefix)}.`,
                'host-bits'
            );
        }
        return parsed.prefix;
    }

    private readAddress(reader: YamlReader, node: Node | null, what: string): number | undefined {
        const text = reader.string(node, what);
        if (text === undefined) return undefined;
        const address = parseAddress(text);
        if (address === undefined)
            reader.error(node, `'${text}' is not an IPv4 address; write it like 10.1.0.1.`, 'bad-address');
        return address;
    }

    private readLatency(reader: YamlReader, node: Node | null): number | undefined {
        const resolved = reader.resolve(node);
        const text = resolved && isScalar(resolved) ? String(resolved.value) : '';
        const microseconds = parseDuration(text);
        if (microseconds === undefined)
            reader.error(node, `'${text}' is not a latency; write it like 1ms, 500us or 0.5ms.`);
        return microseconds;
    }

    private usableIn(prefix: Prefix, address: number): boolean {
        return prefixContains(prefix, address) && address !== prefix.network && address !== lastAddress(prefix);
    }

    private freeHostAddress(segment: TwinSegment): number | undefined {
        const taken = new Set([segment.gateway, ...[...this.twin.hosts.values()].map(h => h.address)]);
        for (let a = segment.prefix.network + 1; a < lastAddress(segment.prefix); a++) if (!taken.has(a)) return a;
        return undefined;
    }
}

/**
 * What each external stands for, as routes would decide it: the addresses whose longest matching
 * prefix among all the externals' is one of its own (one prefix in two externals: both). The
 * prefixes nest or are apart, so one pass over them in order builds the nesting: near-linear.
 */
function externalSpaces(externals: readonly TwinExternal[]): Map<TwinExternal, IntervalSet> {
    const nodes = new Map<string, { prefix: Prefix; owners: TwinExternal[]; inside: Prefix[] }>();
    for (const external of externals) {
        for (const prefix of external.prefixes) {
            const key = formatPrefix(prefix);
            const node = nodes.get(key) ?? { prefix, owners: [], inside: [] };
            if (!node.owners.includes(external)) node.owners.push(external);
            nodes.set(key, node);
        }
    }
    const ordered = [...nodes.values()].sort(
        (a, b) => a.prefix.network - b.prefix.network || a.prefix.length - b.prefix.length
    );
    const open: typeof ordered = [];
    for (const node of ordered) {
        while (open.length > 0 && !prefixContains(open[open.length - 1].prefix, node.prefix.network)) open.pop();
        open[open.length - 1]?.inside.push(node.prefix);
        open.push(node);
    }
    const spaces = new Map<TwinExternal, Array<readonly [number, number]>>(externals.map(e => [e, []]));
    for (const node of ordered) {
        const own = prefixRange(node.prefix).subtract(
            IntervalSet.fromIntervals(node.inside.map(p => [p.network, lastAddress(p)] as const))
        );
        for (const owner of node.owners) spaces.get(owner)!.push(...own.intervals);
    }
    return new Map([...spaces].map(([external, intervals]) => [external, IntervalSet.fromIntervals(intervals)]));
}

/** A link's two ends, whichever way round they are written. */
function endsKey(a: InterfaceKey, b: InterfaceKey): string {
    return [interfaceName(a), interfaceName(b)].sort().join(' -- ');
}

function lastOf(range: IntervalSet): number {
    return range.intervals[range.intervals.length - 1][1];
}

function compareLocations(x: SourceLocation, y: SourceLocation): number {
    return (
        x.file.localeCompare(y.file) ||
        x.range.start.line - y.range.start.line ||
        x.range.start.column - y.range.start.column
    );
}
