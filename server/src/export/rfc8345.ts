/**
 * `netintent twin export --to rfc8345` (docs/twin.md, "Export to RFC 8345"): a loaded twin as
 * one L3 unicast network of the IETF topology model (RFC 8345 with RFC 8346), in its JSON
 * encoding (RFC 7951), the reverse of importing it (import/rfc8345.ts):
 *
 * - each device a node: its IPv4 loopback its `router-id`; its `prefix`es the loopbacks (/32,
 *   /128), the subnets of its links and the prefixes of the segments attached to it;
 * - each interface a termination point, its addresses (link ends, segment gateways, external
 *   attachments) its `ip-address`es;
 * - each link two one-way links, `metric1` its cost.
 *
 * What RFC 8346 has no place for is not written: roles, platforms, ASNs, the routing protocol,
 * latencies and bandwidths, segment names, hosts and the prefixes of externals.
 */
import { formatAddress, formatPrefix } from '../net/ipv4.js';
import { formatAddress6, formatPrefix6 } from '../net/ipv6.js';
import type { InterfaceKey, Twin } from '../twin/model.js';

const NT = 'ietf-network-topology';
const L3T = 'ietf-l3-unicast-topology';

export function exportRfc8345(twin: Twin): object {
    const prefixes = new Map<string, Set<string>>([...twin.devices.keys()].map(name => [name, new Set()]));
    const addPrefix = (device: string, prefix: string | undefined) => {
        if (prefix !== undefined) prefixes.get(device)?.add(prefix);
    };
    for (const device of twin.devices.values()) {
        if (device.loopback !== undefined) addPrefix(device.name, `${formatAddress(device.loopback)}/32`);
        if (device.loopback6 !== undefined) addPrefix(device.name, `${formatAddress6(device.loopback6)}/128`);
    }
    for (const link of twin.links) {
        for (const end of [link.a, link.b]) {
            addPrefix(end.device, link.subnet && formatPrefix(link.subnet));
            addPrefix(end.device, link.subnet6 && formatPrefix6(link.subnet6));
        }
    }
    for (const segment of twin.segments.values()) {
        if (!segment.attach) continue;
        addPrefix(segment.attach.device, segment.prefix && formatPrefix(segment.prefix));
        addPrefix(segment.attach.device, segment.prefix6 && formatPrefix6(segment.prefix6));
    }
    const node = [...twin.devices.values()].map(device => {
        const terminationPoints = [...device.interfaces.values()].map(iface => {
            const addresses = [
                iface.address !== undefined ? formatAddress(iface.address) : undefined,
                iface.address6 !== undefined ? formatAddress6(iface.address6) : undefined
            ].filter((a): a is string => a !== undefined);
            return {
                'tp-id': iface.name,
                ...(addresses.length > 0 && {
                    [`${L3T}:l3-termination-point-attributes`]: { 'ip-address': addresses }
                })
            };
        });
        const attributes = {
            ...(device.loopback !== undefined && { 'router-id': [formatAddress(device.loopback)] }),
            ...(prefixes.get(device.name)!.size > 0 && {
                prefix: [...prefixes.get(device.name)!].map(prefix => ({ prefix }))
            })
        };
        return {
            'node-id': device.name,
            ...(Object.keys(attributes).length > 0 && { [`${L3T}:l3-node-attributes`]: attributes }),
            ...(terminationPoints.length > 0 && { [`${NT}:termination-point`]: terminationPoints })
        };
    });
    const oneWay = (from: InterfaceKey, to: InterfaceKey, cost: number) => ({
        'link-id': `${from.device},${from.interface},${to.device},${to.interface}`,
        source: { 'source-node': from.device, 'source-tp': from.interface },
        destination: { 'dest-node': to.device, 'dest-tp': to.interface },
        // metric1 is a uint64: RFC 7951 writes 64-bit numbers as text.
        [`${L3T}:l3-link-attributes`]: { metric1: String(cost) }
    });
    const link = twin.links.flatMap(l => [oneWay(l.a, l.b, l.cost), oneWay(l.b, l.a, l.cost)]);
    return {
        'ietf-network:networks': {
            network: [
                {
                    'network-id': twin.network,
                    'network-types': { [`${L3T}:l3-unicast-topology`]: {} },
                    node,
                    ...(link.length > 0 && { [`${NT}:link`]: link })
                }
            ]
        }
    };
}
