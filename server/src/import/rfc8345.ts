/**
 * `netintent twin import FILE.json --from rfc8345` (docs/twin.md, "From RFC 8345"): the IETF
 * network topology model (RFC 8345) in its JSON encoding (RFC 7951), with the L3 unicast
 * topology of RFC 8346. The file may stack networks (`supporting-network`): the L3 unicast one is
 * imported, and what it references in the others is checked.
 *
 * - a node is a device (`node-id`, or the L3 `name` where the node-id cannot be a twin name);
 * - a termination point is an interface (`tp-id`); its `ip-address`es are its addresses;
 * - the two one-way links between two termination points are one link of the twin, its cost
 *   `metric1` (the lower where the two ways differ, a warning); a link one way only is a warning,
 *   and imported; its subnet is the node `prefix` holding both ends' addresses, else the /31
 *   (/127) they make;
 * - a node `prefix` holding the address of a termination point that is on no link is a segment
 *   there, the address its gateway;
 * - a node's first `router-id` is its loopback, else the address of a termination point named
 *   lo, lo0, Loopback0… or a /32 prefix on no termination point; its IPv6 loopback likewise;
 * - a malformed or dangling reference is an error at its JSON path; what has no place in the
 *   twin is a warning.
 */
import { isTwinName } from '../twin/load.js';
import { ImportError, type TwinImport } from './document.js';
import {
    formatIp,
    formatIpPrefix,
    isLoopbackName,
    parseIpAddress,
    parseIpPrefix,
    prefixContains,
    TwinBuilder,
    type IpAddress,
    type IpFamily,
    type IpPrefix,
    type SegmentPrefix
} from './build.js';
import { describeJson, jsonList, jsonObject, jsonString, readJsonFile, type JsonObject } from './json.js';

const NW = 'ietf-network';
const NT = 'ietf-network-topology';
const L3T = 'ietf-l3-unicast-topology';
const L3_UNICAST = `${L3T}:l3-unicast-topology`;
const NETWORKS = `${NW}:networks`;
const MAX_COST = 65535;

/** A member of a JSON object as RFC 7951 names it: qualified by its module where that differs from its parent's, else not (either is read). */
function member(object: JsonObject, module: string, name: string): unknown {
    return object[`${module}:${name}`] ?? object[name];
}

interface Network {
    id: string;
    path: string;
    object: JsonObject;
    types: string[];
    /** node-id → its termination points' tp-ids. */
    nodes: Map<string, Set<string>>;
    /** The networks it stacks on: its supporting networks, and those its nodes' supporting nodes are in. */
    stacksOn: Set<string>;
}

interface Tp {
    id: string;
    path: string;
    addresses: IpAddress[];
}

interface Node {
    id: string;
    path: string;
    object: JsonObject;
    attributesPath: string;
    tps: Map<string, Tp>;
    routerIds: Array<{ address: IpAddress; path: string }>;
    prefixes: Array<{ prefix: IpPrefix; path: string; used: boolean }>;
}

interface Direction {
    index: number;
    path: string;
    from: { node: string; tp: string };
    to: { node: string; tp: string };
    metric?: bigint;
}

export function importRfc8345(file: string): TwinImport {
    const root = jsonObject(readJsonFile(file), file, 'An RFC 8345 topology file');
    const networksObject = root[NETWORKS];
    if (networksObject === undefined) {
        const keys = Object.keys(root).slice(0, 5);
        throw new ImportError(
            '$',
            `no '${NETWORKS}': this is not the JSON encoding of an RFC 8345 topology${keys.length > 0 ? ` (its top level has ${keys.map(k => `'${k}'`).join(', ')})` : ''}.`
        );
    }
    const listPath = `$.${NETWORKS}.network`;
    const networks = jsonList(
        member(jsonObject(networksObject, `$.${NETWORKS}`, `'${NETWORKS}'`), NW, 'network'),
        listPath,
        "'network'"
    ).map((value, i) => readNetwork(value, `${listPath}[${i}]`));
    const byId = new Map<string, Network>();
    for (const network of networks) {
        const earlier = byId.get(network.id);
        if (earlier)
            throw new ImportError(
                `${network.path}.network-id`,
                `network-id '${network.id}' is also ${earlier.path}'s.`
            );
        byId.set(network.id, network);
    }
    const { network, why } = chooseNetwork(networks, listPath);
    const builder = new TwinBuilder(network.id, file);
    if (why) builder.warn(listPath, why);
    if (!network.types.includes(L3_UNICAST))
        builder.warn(
            network.path,
            `Network '${network.id}' is not an L3 unicast topology (its network-types have no '${L3_UNICAST}'): its nodes and links are imported without addresses.`
        );
    const nodes = jsonList(member(network.object, NW, 'node'), `${network.path}.node`, "'node'").map((value, i) =>
        readNode(jsonObject(value, `${network.path}.node[${i}]`, 'A node'), `${network.path}.node[${i}]`, byId, builder)
    );
    const nodeById = new Map(nodes.map(n => [n.id, n]));
    for (const node of nodes) {
        const name = l3Name(node);
        builder.addDevice(node.id, name ?? node.id, `${node.path} (node-id ${JSON.stringify(node.id)})`);
    }
    const linkEnds = importLinks(network, nodeById, builder);
    for (const node of nodes) importSegments(node, linkEnds, builder);
    for (const node of nodes) importLoopbacks(node, linkEnds, builder);
    for (const node of nodes) {
        for (const prefix of node.prefixes.filter(p => !p.used))
            builder.warn(
                prefix.path,
                `Prefix ${formatIpPrefix(prefix.prefix)} of node '${node.id}' holds the address of none of its termination points: not imported (the twin places a prefix on a link, a segment or a loopback).`
            );
    }
    return builder.build();
}

function readNetwork(value: unknown, path: string): Network {
    const object = jsonObject(value, path, 'A network');
    const id = jsonString(member(object, NW, 'network-id'), `${path}.network-id`, "'network-id'");
    const typesValue = member(object, NW, 'network-types');
    const types =
        typesValue === undefined ? [] : Object.keys(jsonObject(typesValue, `${path}.network-types`, "'network-types'"));
    const nodes = new Map<string, Set<string>>();
    const stacksOn = new Set<string>();
    const supporting = member(object, NW, 'supporting-network');
    for (const [i, ref] of jsonList(supporting, `${path}.supporting-network`, "'supporting-network'").entries()) {
        const where = `${path}.supporting-network[${i}]`;
        stacksOn.add(
            jsonString(
                jsonObject(ref, where, 'A supporting network')['network-ref'],
                `${where}.network-ref`,
                "'network-ref'"
            )
        );
    }
    for (const [i, nodeValue] of jsonList(member(object, NW, 'node'), `${path}.node`, "'node'").entries()) {
        const nodePath = `${path}.node[${i}]`;
        const node = jsonObject(nodeValue, nodePath, 'A node');
        const nodeId = jsonString(member(node, NW, 'node-id'), `${nodePath}.node-id`, "'node-id'");
        if (nodes.has(nodeId))
            throw new ImportError(
                `${nodePath}.node-id`,
                `node-id '${nodeId}' is also an earlier node's in network '${id}'.`
            );
        const tps = new Set<string>();
        for (const [j, tpValue] of jsonList(
            member(node, NT, 'termination-point'),
            `${nodePath}.${NT}:termination-point`,
            "'termination-point'"
        ).entries()) {
            const tpPath = `${nodePath}.${NT}:termination-point[${j}]`;
            const tpId = jsonString(
                member(jsonObject(tpValue, tpPath, 'A termination point'), NT, 'tp-id'),
                `${tpPath}.tp-id`,
                "'tp-id'"
            );
            if (tps.has(tpId))
                throw new ImportError(
                    `${tpPath}.tp-id`,
                    `tp-id '${tpId}' is also an earlier termination point's of node '${nodeId}'.`
                );
            tps.add(tpId);
        }
        nodes.set(nodeId, tps);
        for (const ref of jsonList(node['supporting-node'], `${nodePath}.supporting-node`, "'supporting-node'"))
            stacksOn.add(String((ref as JsonObject | null)?.['network-ref']));
    }
    return { id, path, object, types, nodes, stacksOn };
}

/**
 * The L3 unicast network, and why it was taken where the file has several: the one the others
 * stack on (OSPF or BGP process networks stack on the routers' own). One network of another type
 * alone is taken too (the caller warns).
 */
function chooseNetwork(networks: readonly Network[], listPath: string): { network: Network; why?: string } {
    const l3 = networks.filter(n => n.types.includes(L3_UNICAST));
    if (l3.length === 1) return { network: l3[0] };
    const names = (list: readonly Network[]) => list.map(n => `'${n.id}'`).join(', ');
    if (l3.length > 1) {
        const ids = new Set(l3.map(n => n.id));
        const bases = l3.filter(n => ![...n.stacksOn].some(ref => ref !== n.id && ids.has(ref)));
        if (bases.length === 1)
            return {
                network: bases[0],
                why: `The file has ${l3.length} L3 unicast networks; '${bases[0].id}' is imported, the one the others (${names(l3.filter(n => n !== bases[0]))}) stack on.`
            };
        throw new ImportError(
            listPath,
            `${l3.length} networks are L3 unicast topologies (${names(l3)}) and ${bases.length === 0 ? 'none' : `${bases.length} (${names(bases)})`} of them stack on no other; netintent imports one. Keep the one to import (and the networks it stacks on) in the file.`
        );
    }
    if (networks.length === 1) return { network: networks[0] };
    const described = networks.map(n => `'${n.id}' (${n.types.join(', ') || 'no network-types'})`);
    throw new ImportError(
        listPath,
        networks.length === 0
            ? 'the file holds no network.'
            : `none of the ${networks.length} networks is an L3 unicast topology (network-types '${L3_UNICAST}'): ${described.join(', ')}.`
    );
}

function readNode(
    object: JsonObject,
    path: string,
    networks: ReadonlyMap<string, Network>,
    builder: TwinBuilder
): Node {
    const id = member(object, NW, 'node-id') as string;
    checkSupporting(object, path, networks);
    const tps = new Map<string, Tp>();
    const tpListPath = `${path}.${NT}:termination-point`;
    for (const [j, value] of jsonList(
        member(object, NT, 'termination-point'),
        tpListPath,
        "'termination-point'"
    ).entries()) {
        const tpPath = `${tpListPath}[${j}]`;
        const tp = value as JsonObject;
        const tpId = member(tp, NT, 'tp-id') as string;
        checkSupporting(tp, tpPath, networks);
        const attributesPath = `${tpPath}.${L3T}:l3-termination-point-attributes`;
        const attributes = member(tp, L3T, 'l3-termination-point-attributes');
        const addresses =
            attributes === undefined
                ? []
                : jsonList(
                      jsonObject(attributes, attributesPath, "'l3-termination-point-attributes'")['ip-address'],
                      `${attributesPath}.ip-address`,
                      "'ip-address'"
                  ).flatMap((text, k) => readAddress(text, `${attributesPath}.ip-address[${k}]`, builder, true));
        tps.set(tpId, { id: tpId, path: tpPath, addresses });
    }
    const attributesPath = `${path}.${L3T}:l3-node-attributes`;
    const attributesValue = member(object, L3T, 'l3-node-attributes');
    const attributes =
        attributesValue === undefined ? {} : jsonObject(attributesValue, attributesPath, "'l3-node-attributes'");
    const routerIds = jsonList(attributes['router-id'], `${attributesPath}.router-id`, "'router-id'").flatMap(
        (text, k) => {
            const where = `${attributesPath}.router-id[${k}]`;
            return readAddress(text, where, builder, false).map(address => {
                if (address.family !== 4)
                    throw new ImportError(
                        where,
                        `a router-id is four numbers (rt-types:router-id, like 10.255.0.1), not ${describeJson(text)}.`
                    );
                return { address, path: where };
            });
        }
    );
    const prefixes = jsonList(attributes.prefix, `${attributesPath}.prefix`, "'prefix'").map((value, k) => {
        const where = `${attributesPath}.prefix[${k}]`;
        const text = jsonString(jsonObject(value, where, 'A prefix entry').prefix, `${where}.prefix`, "'prefix'");
        const parsed = parseIpPrefix(text);
        if (!parsed)
            throw new ImportError(
                `${where}.prefix`,
                `'${text}' is not an IPv4 or IPv6 prefix (like 10.1.0.0/24 or 2001:db8:1::/64).`
            );
        return { prefix: parsed.prefix, path: where, used: false };
    });
    return { id, path, object, attributesPath, tps, routerIds, prefixes };
}

/**
 * An address (none, with a warning, for an empty text). A termination point's may have its prefix
 * length (`10.0.0.17/30`: not inet:ip-address, but some tools write it so), which is then used.
 */
function readAddress(value: unknown, where: string, builder: TwinBuilder, withLength: boolean): IpAddress[] {
    if (value === '') {
        builder.warn(where, 'An empty address: passed over.');
        return [];
    }
    const text = jsonString(value, where, 'An address');
    // A zone (fe80::1%eth0) belongs to link-local addresses, which the twin has none of.
    const address = parseIpAddress(text.replace(/%[^/]*/, ''));
    if (!address || (address.length !== undefined && !withLength))
        throw new ImportError(
            where,
            `'${text}' is not an IPv4 or IPv6 address (inet:ip-address, like 10.0.0.1 or 2001:db8::1).`
        );
    return [address];
}

/** `supporting-node`s and `supporting-termination-point`s that name a network of the file must name what it has. */
function checkSupporting(object: JsonObject, path: string, networks: ReadonlyMap<string, Network>): void {
    for (const [kind, module] of [
        ['supporting-node', NW],
        ['supporting-termination-point', NT]
    ] as const) {
        for (const [i, value] of jsonList(object[kind], `${path}.${kind}`, `'${kind}'`).entries()) {
            const where = `${path}.${kind}[${i}]`;
            const ref = jsonObject(value, where, `A ${kind}`);
            const networkRef = jsonString(ref['network-ref'], `${where}.network-ref`, "'network-ref'");
            const nodeRef = jsonString(ref['node-ref'], `${where}.node-ref`, "'node-ref'");
            // References may name networks the file does not hold (require-instance false).
            const network = networks.get(networkRef);
            if (!network) continue;
            const tps = network.nodes.get(nodeRef);
            if (!tps) throw new ImportError(`${where}.node-ref`, `network '${networkRef}' has no node '${nodeRef}'.`);
            if (module === NT) {
                const tpRef = jsonString(ref['tp-ref'], `${where}.tp-ref`, "'tp-ref'");
                if (!tps.has(tpRef))
                    throw new ImportError(
                        `${where}.tp-ref`,
                        `node '${nodeRef}' of network '${networkRef}' has no termination point '${tpRef}'.`
                    );
            }
        }
    }
}

function l3Name(node: Node): string | undefined {
    const attributes = member(node.object, L3T, 'l3-node-attributes') as JsonObject | undefined;
    const name = attributes?.name;
    // The node-id is the node's identity; its L3 name only stands in where the node-id cannot be a name.
    return typeof name === 'string' && !isTwinName(node.id) && isTwinName(name) ? name : undefined;
}

/** The links, both ways of each made one; returns the termination points on a link ("node\0tp"). */
function importLinks(network: Network, nodes: ReadonlyMap<string, Node>, builder: TwinBuilder): Set<string> {
    const listPath = `${network.path}.${NT}:link`;
    const pairs = new Map<string, Direction[]>();
    const ends = new Set<string>();
    for (const [index, value] of jsonList(member(network.object, NT, 'link'), listPath, "'link'").entries()) {
        const path = `${listPath}[${index}]`;
        const link = jsonObject(value, path, 'A link');
        const linkId = jsonString(link['link-id'], `${path}.link-id`, "'link-id'");
        const from = linkEnd(link, path, 'source', 'source-node', 'source-tp', nodes);
        const to = linkEnd(link, path, 'destination', 'dest-node', 'dest-tp', nodes);
        if (!from || !to) {
            builder.warn(
                path,
                `Link '${linkId}' names no termination point at one end; a link of the twin joins two interfaces: not imported.`
            );
            continue;
        }
        const attributesPath = `${path}.${L3T}:l3-link-attributes`;
        const attributesValue = member(link, L3T, 'l3-link-attributes');
        const attributes =
            attributesValue === undefined ? {} : jsonObject(attributesValue, attributesPath, "'l3-link-attributes'");
        const direction: Direction = {
            index,
            path,
            from,
            to,
            metric: readMetric(attributes.metric1, `${attributesPath}.metric1`)
        };
        const key = [`${from.node}\0${from.tp}`, `${to.node}\0${to.tp}`].sort().join('\0\0');
        const pair = pairs.get(key) ?? [];
        pairs.set(key, pair);
        const same = pair.find(d => d.from.node === from.node && d.from.tp === from.tp);
        if (same) {
            builder.warn(
                path,
                `Link '${linkId}' goes the same way as ${same.path} (${describe(from)} → ${describe(to)}): left out.`
            );
            continue;
        }
        pair.push(direction);
        ends.add(`${from.node}\0${from.tp}`).add(`${to.node}\0${to.tp}`);
    }
    for (const [forward, reverse] of pairs.values()) {
        const where = reverse ? `${forward.path} and ${reverse.path}` : forward.path;
        if (!reverse)
            builder.warn(
                forward.path,
                `No link goes the other way (${describe(forward.to)} → ${describe(forward.from)}); RFC 8345 links are one-way, the twin's both ways: imported as a link both ways.`
            );
        const [a, b] = [forward.from, forward.to].map(end => nodes.get(end.node)!);
        const hints = [...a.prefixes, ...b.prefixes];
        const endOf = (end: { node: string; tp: string }) => ({
            device: end.node,
            interface: end.tp,
            addresses: nodes.get(end.node)!.tps.get(end.tp)!.addresses
        });
        const [x, y] = [endOf(forward.from), endOf(forward.to)];
        builder.addLink(
            where,
            x,
            y,
            linkCost(forward, reverse, builder),
            hints.map(h => h.prefix)
        );
        // The prefixes that are a link's subnet are imported as that.
        for (const hint of hints) {
            if ([x, y].some(end => end.addresses.some(address => prefixContains(hint.prefix, address))))
                hint.used = true;
        }
    }
    return ends;
}

function linkEnd(
    link: JsonObject,
    path: string,
    side: 'source' | 'destination',
    nodeKey: string,
    tpKey: string,
    nodes: ReadonlyMap<string, Node>
): { node: string; tp: string } | undefined {
    const sidePath = `${path}.${side}`;
    const end = jsonObject(link[side], sidePath, `'${side}'`);
    const node = jsonString(end[nodeKey], `${sidePath}.${nodeKey}`, `'${nodeKey}'`);
    const found = nodes.get(node);
    if (!found) throw new ImportError(`${sidePath}.${nodeKey}`, `the network has no node '${node}'.`);
    if (end[tpKey] === undefined) return undefined;
    const tp = jsonString(end[tpKey], `${sidePath}.${tpKey}`, `'${tpKey}'`);
    if (!found.tps.has(tp)) {
        const known = [...found.tps.keys()];
        throw new ImportError(
            `${sidePath}.${tpKey}`,
            `node '${node}' has no termination point '${tp}'${known.length > 0 ? ` (its tp-ids: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})` : ''}.`
        );
    }
    return { node, tp };
}

function describe(end: { node: string; tp: string }): string {
    return `${end.node} ${end.tp}`;
}

/** metric1: a uint64, which RFC 7951 writes as text ("10"); a number is read too. */
function readMetric(value: unknown, where: string): bigint | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    if (typeof value === 'string' && /^\d{1,20}$/.test(value) && BigInt(value) < 1n << 64n) return BigInt(value);
    throw new ImportError(
        where,
        `metric1 is a whole number from 0 to 2^64-1 (a uint64, written as text in JSON: "10"), not ${describeJson(value)}.`
    );
}

/** The twin's cost of a link from its two ways' metric1: the lower where they differ, within OSPF's 1 to 65535. */
function linkCost(forward: Direction, reverse: Direction | undefined, builder: TwinBuilder): number | undefined {
    const metrics = [forward.metric, reverse?.metric].filter((m): m is bigint => m !== undefined);
    if (metrics.length === 0) return undefined;
    let cost = metrics.reduce((x, y) => (y < x ? y : x));
    if (metrics.length === 2 && metrics[0] !== metrics[1])
        builder.warn(
            `${forward.path} and ${reverse!.path}`,
            `The two ways of the link have different metric1s (${metrics[0]} and ${metrics[1]}); the twin has one cost for both ways: ${cost}, the lower.`
        );
    if (cost < 1n || cost > BigInt(MAX_COST)) {
        const clamped = cost < 1n ? 1n : BigInt(MAX_COST);
        builder.warn(
            forward.path,
            `metric1 ${cost} is outside the costs OSPF has (1 to ${MAX_COST}): the cost is ${clamped}.`
        );
        cost = clamped;
    }
    return Number(cost);
}

/** Each termination point on no link with an address in a node prefix: a segment there. */
function importSegments(node: Node, linkEnds: ReadonlySet<string>, builder: TwinBuilder): void {
    for (const tp of node.tps.values()) {
        if (linkEnds.has(`${node.id}\0${tp.id}`) || isLoopbackName(tp.id) || tp.addresses.length === 0) continue;
        const prefixes: SegmentPrefix[] = [];
        const paths: string[] = [];
        const outside: IpAddress[] = [];
        for (const family of [4, 6] as IpFamily[]) {
            const gateway = tp.addresses.find(a => a.family === family);
            if (!gateway) continue;
            const around = node.prefixes
                .filter(p => prefixContains(p.prefix, gateway))
                .sort((p, q) => q.prefix.length - p.prefix.length)[0];
            if (!around) {
                outside.push(gateway);
                continue;
            }
            around.used = true;
            prefixes.push({ prefix: around.prefix, gateway });
            paths.push(around.path);
        }
        if (outside.length > 0)
            builder.warn(
                tp.path,
                `${outside.map(formatIp).join(' and ')} of termination point '${tp.id}' ${outside.length > 1 ? 'are' : 'is'} in no prefix of node '${node.id}', and on no link: not imported (the twin places an address on a link, a segment or a loopback; an external's attachment is declared by hand).`
            );
        if (prefixes.length > 0)
            builder.addSegment(`${paths.join(' and ')} at ${tp.path}`, { device: node.id, interface: tp.id }, prefixes);
    }
}

/** The node's loopbacks: its first router-id, a loopback termination point's address, a host prefix on no termination point. */
function importLoopbacks(node: Node, linkEnds: ReadonlySet<string>, builder: TwinBuilder): void {
    const [first, ...others] = node.routerIds;
    if (others.length > 0)
        builder.warn(
            others[0].path,
            `Node '${node.id}' has ${node.routerIds.length} router-ids; the twin's loopback is the first, ${formatIp(first.address)}.`
        );
    const loopbackTps = [...node.tps.values()].filter(
        tp => isLoopbackName(tp.id) && !linkEnds.has(`${node.id}\0${tp.id}`)
    );
    const onTps = [...node.tps.values()].flatMap(tp => tp.addresses);
    const candidates = [
        ...(first ? [{ address: first.address, path: first.path }] : []),
        ...loopbackTps.flatMap(tp => tp.addresses.map(address => ({ address, path: tp.path }))),
        ...node.prefixes
            .filter(
                p =>
                    p.prefix.length === (p.prefix.family === 4 ? 32 : 128) &&
                    !onTps.some(a => prefixContains(p.prefix, a))
            )
            .map(p => ({ address: { family: p.prefix.family, value: p.prefix.network }, path: p.path }))
    ];
    // The first of each family that can be one is the loopback.
    for (const { address, path } of candidates) builder.setLoopback(node.id, address, path);
    // A host prefix that is the loopback is imported as that.
    for (const prefix of node.prefixes) {
        if (
            candidates.some(
                c =>
                    prefix.prefix.length === (c.address.family === 4 ? 32 : 128) &&
                    prefixContains(prefix.prefix, c.address)
            )
        )
            prefix.used = true;
    }
}
