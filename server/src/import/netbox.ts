/**
 * `netintent twin import SOURCE --from netbox` (docs/twin.md, "From NetBox"): NetBox's devices,
 * interfaces, cables, IP addresses and prefixes, in the shapes of its REST API (NetBox 4; the
 * `device_role` of NetBox 3 is read too), from a saved export file or live from a NetBox URL
 * (`Authorization: Token …`, or `Bearer …` for a v2 `nbt_` token; every `next` page followed).
 *
 * - a cable between interfaces of two devices is a link (through patch panels or a circuit
 *   where NetBox traces the interface's path to another device's interface; a cable on a LAG
 *   member is a link of its LAG); its subnet is the one its ends' addresses are on, left to the
 *   pools (a warning) where an end has none;
 * - an address on an interface that is on no link is a segment there: its own subnet, or the
 *   longest NetBox prefix holding it when it is a host address; named from the description of
 *   the NetBox prefix that is that subnet, else device-interface;
 * - an address on a loopback interface (lo, lo0, Loopback0…), else a host-length primary IP,
 *   is the device's loopback; the device's role (its slug) is its role;
 * - a cable to a circuit, a front or rear port, or anything that leads to no other device's
 *   interface is a warning, its interface left out; so are management-only interfaces;
 * - a device that takes part in nothing of this (a patch panel, a PDU) is left out, said in
 *   one warning.
 */
import * as path from 'node:path';
import { ImportError, type TwinImport } from './document.js';
import {
    formatIpPrefix,
    isLoopbackName,
    parseIpAddress,
    parseIpPrefix,
    prefixOf,
    TwinBuilder,
    type IpAddress,
    type IpFamily,
    type IpPrefix,
    type SegmentPrefix
} from './build.js';
import { describeJson, jsonList, jsonObject, parseJson, readJsonFile, type JsonObject } from './json.js';

export interface NetboxOptions {
    /** An API token (NETBOX_TOKEN): v1 tokens are sent as `Token <t>`, v2 ones (`nbt_…`) as `Bearer <t>`. */
    token?: string;
    /** The fetch to use (tests); Node's own by default. */
    fetch?: typeof fetch;
}

/** The five lists a saved export holds (its keys), the API endpoint of each, and how an object of it is named in messages. */
const LISTS = {
    devices: { endpoint: 'dcim/devices', kind: 'dcim.devices' },
    interfaces: { endpoint: 'dcim/interfaces', kind: 'dcim.interfaces' },
    cables: { endpoint: 'dcim/cables', kind: 'dcim.cables' },
    ip_addresses: { endpoint: 'ipam/ip-addresses', kind: 'ipam.ip-addresses' },
    prefixes: { endpoint: 'ipam/prefixes', kind: 'ipam.prefixes' }
} as const;
type ListName = keyof typeof LISTS;
type Lists = Record<ListName, JsonObject[]>;

/** NetBox's largest page by default (MAX_PAGE_SIZE). */
const PAGE_SIZE = 1000;
const REQUEST_TIMEOUT_MS = 120_000;
/** A NetBox whose `next` never ends is refused after this many pages of one list. */
const MAX_PAGES = 10_000;
const SHOWN = 10;

export async function importNetbox(source: string, options: NetboxOptions = {}): Promise<TwinImport> {
    if (/^https?:\/\//i.test(source)) {
        const url = new URL(source);
        // The network is named after the NetBox's host (netbox.example.com: netbox), or 'netbox' for an address.
        const host = url.hostname.split('.')[0];
        const network = /^[A-Za-z]/.test(host) ? host : 'netbox';
        return new NetboxImport(await fetchLists(url, options), network, url.origin).run();
    }
    return new NetboxImport(readExport(source), path.basename(source).replace(/\.json$/i, ''), source).run();
}

/** A saved export: one JSON object with the five lists, each a list or an API page (its `results`). */
function readExport(file: string): Lists {
    const root = jsonObject(readJsonFile(file), file, 'A saved NetBox export');
    const lists = {} as Lists;
    for (const name of Object.keys(LISTS) as ListName[]) {
        const value = root[name];
        if (value === undefined)
            throw new ImportError(
                file,
                `no '${name}': a saved NetBox export is one JSON object with the lists ${Object.keys(LISTS).join(', ')} (each the results of /api/${LISTS[name].endpoint}/ and the like; an empty list where there are none).`
            );
        const page =
            value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
        if (page && typeof page.next === 'string')
            throw new ImportError(
                `${file}: ${name}`,
                `this is one page of ${page.count ?? 'more'} results, the next at ${page.next}; save every page's results (or import live from the NetBox URL).`
            );
        lists[name] = objects(page ? page.results : value, `${file}: ${name}`, name);
    }
    return lists;
}

function objects(value: unknown, where: string, name: string): JsonObject[] {
    return jsonList(value, where, `'${name}'`).map((item, i) =>
        jsonObject(item, `${where}[${i}]`, `An entry of '${name}'`)
    );
}

/** The five lists from a NetBox's API, every page; the devices filtered by the URL's query (?site=dc1&role=router). */
async function fetchLists(source: URL, options: NetboxOptions): Promise<Lists> {
    const base = source.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
    const lists = {} as Lists;
    for (const name of Object.keys(LISTS) as ListName[]) {
        const first = new URL(`${source.origin}${base}/api/${LISTS[name].endpoint}/`);
        if (name === 'devices') for (const [key, value] of source.searchParams) first.searchParams.append(key, value);
        first.searchParams.set('limit', String(PAGE_SIZE));
        const results: JsonObject[] = [];
        let next: string | null = first.href;
        for (let pages = 0; next !== null; pages++) {
            const url: URL = new URL(next, first);
            // The token goes to the NetBox given, never to another server a page names.
            if (url.origin !== source.origin)
                throw new ImportError(
                    url.href,
                    `NetBox's next page is on another server than ${source.origin}; the token is not sent there.`
                );
            if (pages >= MAX_PAGES)
                throw new ImportError(url.href, `more than ${MAX_PAGES} pages of ${name}: refused.`);
            const page = jsonObject(await getJson(url, options), url.href, 'A NetBox API page');
            results.push(...objects(page.results, url.href, 'results'));
            if (page.next !== null && page.next !== undefined && typeof page.next !== 'string')
                throw new ImportError(url.href, `'next' must be a URL or null, not ${describeJson(page.next)}.`);
            next = page.next ?? null;
        }
        lists[name] = results;
    }
    return lists;
}

async function getJson(url: URL, options: NetboxOptions): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.token)
        headers.Authorization = `${options.token.startsWith('nbt_') ? 'Bearer' : 'Token'} ${options.token}`;
    let response: Response;
    try {
        response = await (options.fetch ?? fetch)(url, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
        const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
        throw new ImportError(url.href, `cannot reach NetBox: ${cause}.`);
    }
    const text = await response.text();
    if (!response.ok) {
        let detail = '';
        try {
            const body = JSON.parse(text) as { detail?: unknown };
            if (typeof body.detail === 'string') detail = `: ${body.detail}`;
        } catch {
            // Not JSON: the status says it.
        }
        const hint =
            response.status === 401 || response.status === 403
                ? options.token
                    ? ' Check the token in NETBOX_TOKEN (it needs read access to DCIM and IPAM).'
                    : ' Give an API token in NETBOX_TOKEN.'
                : response.status === 404
                  ? " Is this the NetBox's URL (https://netbox.example.com)?"
                  : '';
        throw new ImportError(
            url.href,
            `NetBox answered HTTP ${response.status} ${response.statusText}${detail}.${hint}`
        );
    }
    return parseJson(text, url.href);
}

interface Interface {
    id: number;
    name: string;
    device: number;
    where: string;
    mgmtOnly: boolean;
    /** The LAG it is a member of. */
    lag?: number;
    /** The one interface of another device NetBox traces its cable path to, if it does. */
    connected?: number;
    addresses: Array<IpAddress & { vrf: number | null; where: string }>;
}

interface Prefix {
    prefix: IpPrefix;
    vrf: number | null;
    description: string;
    where: string;
}

interface PlannedLink {
    where: string;
    ends: [Interface, Interface];
}

/** One import: the lists read into the twin (see the module's comment for what becomes what). */
class NetboxImport {
    private readonly builder: TwinBuilder;
    private readonly devices = new Map<number, { object: JsonObject; where: string }>();
    private readonly interfaces = new Map<number, Interface>();
    /** NetBox's prefixes by family, length and network: those holding an address are found length by length. */
    private readonly prefixes = new Map<IpFamily, Map<number, Map<bigint, Prefix[]>>>();
    /** By the two interfaces' ids ("3 7", the lower first): however many cables make one link. */
    private readonly links = new Map<string, PlannedLink>();
    /** Interfaces on a link, or cabled to what leads to no device's interface: no segment. */
    private readonly cabled = new Set<number>();
    private readonly unplacedAddresses: string[] = [];
    private readonly managementOnly = new Set<string>();
    private readonly outsideCables: string[] = [];
    /** Each device's loopback interfaces. */
    private readonly loopbackInterfaces = new Map<number, Interface[]>();

    constructor(
        private readonly lists: Lists,
        network: string,
        private readonly where: string
    ) {
        this.builder = new TwinBuilder(network, where);
    }

    run(): TwinImport {
        this.readDevices();
        this.readInterfaces();
        this.readAddresses();
        this.readPrefixes();
        for (const [i, cable] of this.lists.cables.entries()) this.readCable(cable, i);
        const segments = [...this.interfaces.values()].filter(i => this.isSegment(i));
        const loopbacks = [...this.devices.keys()].map(id => ({ id, addresses: this.loopbackAddresses(id) }));
        const taking = new Set([
            ...[...this.links.values()].flatMap(l => l.ends.map(e => e.device)),
            ...segments.map(s => s.device),
            ...loopbacks.filter(l => l.addresses.some(a => a.fromInterface)).map(l => l.id)
        ]);
        const left: string[] = [];
        for (const [id, { object, where }] of this.devices) {
            const name = typeof object.name === 'string' && object.name !== '' ? object.name : `device-${id}`;
            if (!taking.has(id)) {
                left.push(name);
                continue;
            }
            const role = object.role ?? object.device_role;
            const slug = role !== null && typeof role === 'object' ? (role as JsonObject).slug : undefined;
            this.builder.addDevice(String(id), name, `${where} (${name})`, typeof slug === 'string' ? slug : undefined);
        }
        for (const link of this.links.values()) this.addLink(link);
        for (const iface of segments) this.addSegment(iface);
        for (const { id, addresses } of loopbacks) {
            if (!this.builder.hasDevice(String(id))) continue;
            for (const address of addresses) this.builder.setLoopback(String(id), address, address.where);
        }
        this.summarize(left);
        return this.builder.build();
    }

    private readDevices(): void {
        for (const [i, object] of this.lists.devices.entries()) {
            const id = this.idOf(object, 'devices', i);
            this.devices.set(id, { object, where: `${LISTS.devices.kind} id ${id}` });
        }
    }

    private readInterfaces(): void {
        for (const [i, object] of this.lists.interfaces.entries()) {
            const id = this.idOf(object, 'interfaces', i);
            const where = `${LISTS.interfaces.kind} id ${id}`;
            const device = this.nestedId(object.device, `${where}: device`);
            const name = object.name;
            if (typeof name !== 'string' || name === '')
                throw new ImportError(where, `'name' must be a non-empty text, not ${describeJson(name)}.`);
            const connected = jsonList(
                object.connected_endpoints ?? undefined,
                `${where}: connected_endpoints`,
                "'connected_endpoints'"
            );
            const reachable =
                object.connected_endpoints_type === 'dcim.interface' &&
                object.connected_endpoints_reachable !== false &&
                connected.length === 1;
            this.interfaces.set(id, {
                id,
                name,
                device,
                where,
                mgmtOnly: object.mgmt_only === true,
                lag: object.lag ? this.nestedId(object.lag, `${where}: lag`) : undefined,
                connected: reachable ? this.nestedId(connected[0], `${where}: connected_endpoints[0]`) : undefined,
                addresses: []
            });
            if (isLoopbackName(name))
                this.loopbackInterfaces.set(device, [
                    ...(this.loopbackInterfaces.get(device) ?? []),
                    this.interfaces.get(id)!
                ]);
        }
    }

    private readAddresses(): void {
        for (const [i, object] of this.lists.ip_addresses.entries()) {
            const id = this.idOf(object, 'ip_addresses', i);
            const where = `${LISTS.ip_addresses.kind} id ${id}`;
            const text = object.address;
            const address = typeof text === 'string' ? parseIpAddress(text) : undefined;
            if (!address || address.length === undefined)
                throw new ImportError(
                    where,
                    `'address' must be an address with its prefix length (10.0.0.1/31, 2001:db8::1/64), not ${describeJson(text)}.`
                );
            const iface =
                object.assigned_object_type === 'dcim.interface' && typeof object.assigned_object_id === 'number'
                    ? this.interfaces.get(object.assigned_object_id)
                    : undefined;
            if (!iface || !this.devices.has(iface.device)) {
                this.unplacedAddresses.push(`${text} (${where})`);
                continue;
            }
            iface.addresses.push({ ...address, vrf: this.vrfOf(object, where), where });
        }
    }

    private readPrefixes(): void {
        for (const [i, object] of this.lists.prefixes.entries()) {
            const id = this.idOf(object, 'prefixes', i);
            const where = `${LISTS.prefixes.kind} id ${id}`;
            const parsed = typeof object.prefix === 'string' ? parseIpPrefix(object.prefix) : undefined;
            if (!parsed)
                throw new ImportError(
                    where,
                    `'prefix' must be a prefix (10.1.0.0/24, 2001:db8:1::/64), not ${describeJson(object.prefix)}.`
                );
            const description = typeof object.description === 'string' ? object.description.trim() : '';
            const { family, length, network } = parsed.prefix;
            const byLength = this.prefixes.get(family) ?? new Map<number, Map<bigint, Prefix[]>>();
            const byNetwork = byLength.get(length) ?? new Map<bigint, Prefix[]>();
            byNetwork.set(network, [
                ...(byNetwork.get(network) ?? []),
                { prefix: parsed.prefix, vrf: this.vrfOf(object, where), description, where }
            ]);
            byLength.set(length, byNetwork);
            this.prefixes.set(family, byLength);
        }
    }

    /** A cable between two devices' interfaces (directly or along the path NetBox traces) is a link. */
    private readCable(cable: JsonObject, index: number): void {
        const id = this.idOf(cable, 'cables', index);
        const where = `${LISTS.cables.kind} id ${id}`;
        const sides = (['a_terminations', 'b_terminations'] as const).map(side =>
            jsonList(cable[side], `${where}: ${side}`, `'${side}'`).map((t, i) => {
                const termination = jsonObject(t, `${where}: ${side}[${i}]`, 'A termination');
                return {
                    type: String(termination.object_type),
                    id: termination.object_id,
                    object: (termination.object ?? {}) as JsonObject
                };
            })
        );
        const ends = sides.flatMap(side =>
            side
                .filter(t => t.type === 'dcim.interface')
                .map(t => (typeof t.id === 'number' ? this.interfaces.get(t.id) : undefined))
        );
        const known = ends.filter((e): e is Interface => e !== undefined && this.devices.has(e.device));
        // Power, console and patch cables between ports: nothing of the routed network.
        if (known.length === 0) return;
        const status =
            typeof cable.status === 'object' && cable.status !== null
                ? (cable.status as JsonObject).value
                : cable.status;
        if (status === 'planned') {
            this.builder.warn(
                where,
                `The cable is planned, not connected: ${known.map(e => this.describe(e)).join(' and ')} ${known.length > 1 ? 'are' : 'is'} left out.`
            );
            for (const end of known) this.cabled.add(end.id);
            return;
        }
        if (sides.some(side => side.length !== 1)) {
            this.builder.warn(
                where,
                `The cable has ${sides.map(s => s.length).join(' and ')} terminations on its two sides; a link joins one interface to one: ${known.map(e => this.describe(e)).join(', ')} left out.`
            );
            for (const end of known) this.cabled.add(end.id);
            return;
        }
        if (ends.length === 2 && ends[0] && ends[1]) {
            this.planLink(where, ends[0], ends[1]);
            return;
        }
        // One end is an interface; the other a circuit, a port of a patch panel, or an interface not in the lists.
        const [near] = known;
        const other = sides.flat().find(t => t.type !== 'dcim.interface' || t.id !== near.id)!;
        const far = near.connected === undefined ? undefined : this.interfaces.get(near.connected);
        if (far && far.device !== near.device) {
            this.planLink(`${where}, the path NetBox traces from it to ${this.describe(far)}`, near, far);
            return;
        }
        this.cabled.add(near.id);
        if (other.type === 'dcim.interface') {
            this.outsideCables.push(`${where} (${this.describe(near)})`);
            this.cabled.delete(near.id);
            return;
        }
        const circuit = (other.object.circuit as JsonObject | undefined)?.cid ?? other.object.display;
        this.builder.warn(
            where,
            other.type === 'circuits.circuittermination'
                ? `The cable joins ${this.describe(near)} to circuit ${circuit ?? `(${other.type} id ${other.id})`}, and NetBox traces no path through it to another device's interface: ${this.describe(near)} is left out (declare what it reaches under externals: by hand).`
                : `The cable joins ${this.describe(near)} to ${other.type} ${other.object.display ?? `id ${other.id}`}, which leads to no interface of another device: ${this.describe(near)} is left out.`
        );
    }

    /** A link between two interfaces (their LAGs where they are members), once however many cables make it. */
    private planLink(where: string, x: Interface, y: Interface): void {
        const [a, b] = [x, y].map(end => (end.lag !== undefined && this.interfaces.get(end.lag)) || end);
        if (!this.devices.has(a.device) || !this.devices.has(b.device)) {
            const inside = this.devices.has(a.device) ? a : b;
            this.outsideCables.push(`${where} (${this.describe(inside)})`);
            return;
        }
        for (const end of [x, y, a, b]) this.cabled.add(end.id);
        if (a.mgmtOnly || b.mgmtOnly) {
            for (const end of [a, b].filter(e => e.mgmtOnly)) this.managementOnly.add(this.describe(end));
            return;
        }
        if (a === b) return;
        const key = a.id < b.id ? `${a.id} ${b.id}` : `${b.id} ${a.id}`;
        const known = this.links.get(key);
        if (known) known.where += ` and ${where}`;
        else this.links.set(key, { where, ends: [a, b] });
    }

    private addLink({ where, ends: [a, b] }: PlannedLink): void {
        if (a.addresses.length === 0 && b.addresses.length === 0)
            this.builder.warn(
                where,
                `Neither ${this.describe(a)} nor ${this.describe(b)} has an address in NetBox: the link's subnet is left to the pools.`
            );
        const end = (i: Interface) => ({ device: String(i.device), interface: i.name, addresses: i.addresses });
        this.builder.addLink(where, end(a), end(b));
    }

    /** An interface that has an address and is on no cable to another device: the gateway of a segment. */
    private isSegment(iface: Interface): boolean {
        if (iface.addresses.length === 0 || this.cabled.has(iface.id) || isLoopbackName(iface.name)) return false;
        if (!this.devices.has(iface.device)) return false;
        if (iface.mgmtOnly) {
            this.managementOnly.add(this.describe(iface));
            return false;
        }
        return true;
    }

    private addSegment(iface: Interface): void {
        const prefixes: SegmentPrefix[] = [];
        const sources: string[] = [];
        let name: string | undefined;
        for (const family of [4, 6] as IpFamily[]) {
            const [gateway, ...others] = iface.addresses.filter(a => a.family === family);
            if (!gateway) continue;
            if (others.length > 0)
                this.builder.warn(
                    others[0].where,
                    `${this.describe(iface)} has ${others.length + 1} IPv${family} addresses; its segment takes the first, ${formatIpPrefix(prefixOf(gateway, gateway.length!))}: the others are not imported.`
                );
            const bits = family === 4 ? 32 : 128;
            const netbox = this.prefixesHolding(gateway).sort(
                (p, q) => Number(q.vrf === gateway.vrf) - Number(p.vrf === gateway.vrf)
            );
            // A host address (a /32) takes its subnet from the longest NetBox prefix holding it.
            const prefix = gateway.length! < bits - 1 ? prefixOf(gateway, gateway.length!) : netbox[0]?.prefix;
            // A primary IP of its own is the device's loopback.
            if (!prefix && this.primaries(iface.device).some(p => p.value === gateway.value)) continue;
            if (!prefix) {
                this.builder.warn(
                    gateway.where,
                    `${formatIpPrefix(prefixOf(gateway, gateway.length!))} on ${this.describe(iface)} is a host address in no NetBox prefix, and the interface is on no cable to another device: not imported.`
                );
                continue;
            }
            const same = netbox.find(p => p.prefix.length === prefix.length && p.prefix.network === prefix.network);
            if (same?.description) name ??= same.description;
            prefixes.push({ prefix, gateway });
            sources.push(same ? `${gateway.where} in ${same.where}` : gateway.where);
        }
        if (prefixes.length > 0)
            this.builder.addSegment(
                sources.join(' and '),
                { device: String(iface.device), interface: iface.name },
                prefixes,
                name
            );
    }

    /** The NetBox prefixes that hold an address, the longest first. */
    private prefixesHolding(address: IpAddress): Prefix[] {
        const byLength = this.prefixes.get(address.family);
        if (!byLength) return [];
        return [...byLength.keys()]
            .sort((x, y) => y - x)
            .flatMap(length => byLength.get(length)!.get(prefixOf(address, length).network) ?? []);
    }

    /** A device's loopback candidates: its loopback interfaces' addresses, then its host-length primary IPs. */
    private loopbackAddresses(id: number): Array<IpAddress & { where: string; fromInterface: boolean }> {
        const onLoopbacks = (this.loopbackInterfaces.get(id) ?? []).flatMap(i =>
            i.addresses.map(a => ({ ...a, fromInterface: true }))
        );
        return [...onLoopbacks, ...this.primaries(id).map(a => ({ ...a, fromInterface: false }))];
    }

    /** A device's primary IPs of host length (a /32, a /128): loopback addresses. */
    private primaries(id: number): Array<IpAddress & { where: string }> {
        const device = this.devices.get(id)!;
        return (['primary_ip4', 'primary_ip6'] as const).flatMap(key => {
            const nested = device.object[key];
            if (nested === null || typeof nested !== 'object') return [];
            const text = (nested as JsonObject).address;
            const address = typeof text === 'string' ? parseIpAddress(text) : undefined;
            if (!address || address.length !== (address.family === 4 ? 32 : 128)) return [];
            return [{ ...address, where: `${device.where}: ${key}` }];
        });
    }

    /** What was left out in numbers, one warning each. */
    private summarize(devicesLeft: readonly string[]): void {
        const list = (items: readonly string[]) =>
            `${items.slice(0, SHOWN).join(', ')}${items.length > SHOWN ? `, … (${items.length - SHOWN} more)` : ''}`;
        if (devicesLeft.length > 0)
            this.builder.warn(
                this.where,
                `${devicesLeft.length} device(s) have no cable to another device's interface, no address that makes a segment and no loopback address: left out: ${list(devicesLeft)}.`
            );
        if (this.managementOnly.size > 0)
            this.builder.warn(
                this.where,
                `${this.managementOnly.size} management-only interface(s) are not part of the routed network: left out: ${list([...this.managementOnly])}.`
            );
        if (this.unplacedAddresses.length > 0)
            this.builder.warn(
                this.where,
                `${this.unplacedAddresses.length} IP address(es) are on no interface of a device in the import (unassigned, on a virtual machine or an FHRP group, or on an interface the lists do not have): not imported: ${list(this.unplacedAddresses)}.`
            );
        if (this.outsideCables.length > 0)
            this.builder.warn(
                this.where,
                `${this.outsideCables.length} cable(s) lead to a device or interface the lists do not have: each interface at their other end is taken as on no cable: ${list(this.outsideCables)}.`
            );
    }

    private describe(iface: Interface): string {
        const device = this.devices.get(iface.device)?.object.name;
        return `${typeof device === 'string' ? device : `device ${iface.device}`} ${iface.name}`;
    }

    private idOf(object: JsonObject, list: ListName, index: number): number {
        if (typeof object.id === 'number' && Number.isInteger(object.id)) return object.id;
        throw new ImportError(
            `${this.where}: ${list}[${index}]`,
            object.id === undefined ? "has no 'id'." : `'id' must be a whole number, not ${describeJson(object.id)}.`
        );
    }

    /** The id of a nested object ({id, url, display, …}), or an id given alone. */
    private nestedId(value: unknown, where: string): number {
        const id = value !== null && typeof value === 'object' ? (value as JsonObject).id : value;
        if (typeof id === 'number' && Number.isInteger(id)) return id;
        throw new ImportError(where, `must be a NetBox object with an 'id', not ${describeJson(value)}.`);
    }

    private vrfOf(object: JsonObject, where: string): number | null {
        return object.vrf === null || object.vrf === undefined ? null : this.nestedId(object.vrf, `${where}: vrf`);
    }
}
