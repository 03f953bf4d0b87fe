/** `twin import --from rfc8345` (docs/twin.md, "From RFC 8345"): hand-made topologies of every case, each import a twin the loader takes. */
import { describe, expect, it } from 'vitest';
import { ImportError } from '../../server/src/import/document.js';
import { importRfc8345 } from '../../server/src/import/rfc8345.js';
import { formatAddress } from '../../server/src/net/ipv4.js';
import { formatAddress6 } from '../../server/src/net/ipv6.js';
import { jsonFile, loadImported } from '../support/imports.js';

const L3 = 'ietf-l3-unicast-topology';
const NT = 'ietf-network-topology';
const L3_TYPE = { [`${L3}:l3-unicast-topology`]: {} };

function tp(id: string, ...addresses: string[]) {
    return {
        'tp-id': id,
        ...(addresses.length > 0 && { [`${L3}:l3-termination-point-attributes`]: { 'ip-address': addresses } })
    };
}

function node(id: string, tps: object[], attributes?: object, more: object = {}) {
    return {
        'node-id': id,
        ...more,
        ...(attributes && { [`${L3}:l3-node-attributes`]: attributes }),
        [`${NT}:termination-point`]: tps
    };
}

/** A one-way link from "node:tp" to "node:tp". */
function link(from: string, to: string, metric1?: string | number) {
    const [sourceNode, sourceTp] = from.split(':');
    const [destNode, destTp] = to.split(':');
    return {
        'link-id': `${from},${to}`,
        source: { 'source-node': sourceNode, 'source-tp': sourceTp },
        destination: { 'dest-node': destNode, 'dest-tp': destTp },
        ...(metric1 !== undefined && { [`${L3}:l3-link-attributes`]: { metric1 } })
    };
}

/** Both ways of a link. */
function both(a: string, b: string, metric1?: string | number) {
    return [link(a, b, metric1), link(b, a, metric1)];
}

function network(id: string, nodes: object[], links: object[] = [], more: object = {}) {
    return { 'network-id': id, 'network-types': L3_TYPE, ...more, node: nodes, [`${NT}:link`]: links };
}

function topology(...networks: object[]) {
    return { 'ietf-network:networks': { network: networks } };
}

function importOf(content: unknown) {
    return importRfc8345(jsonFile('topology.json', content));
}

/** The ImportError importing `content` throws: where and what. */
function failure(content: unknown): { where: string; message: string } {
    try {
        importOf(content);
    } catch (error) {
        if (error instanceof ImportError) return { where: error.where, message: error.message };
        throw error;
    }
    throw new Error('imported without an error');
}

function messages(result: { warnings: { message: string }[] }): string[] {
    return result.warnings.map(w => w.message);
}

/** Two routers, an L3 network stacked on a physical one, IPv4 and IPv6. */
const PHYSICAL = {
    'network-id': 'physical',
    node: [node('sw1', [tp('p1'), tp('p2')]), node('sw2', [tp('p1'), tp('p2')])],
    [`${NT}:link`]: both('sw1:p1', 'sw2:p1')
};
const supportedBy = (nodeRef: string, tpRef?: string) =>
    tpRef === undefined
        ? { 'supporting-node': [{ 'network-ref': 'physical', 'node-ref': nodeRef }] }
        : { 'supporting-termination-point': [{ 'network-ref': 'physical', 'node-ref': nodeRef, 'tp-ref': tpRef }] };
const ROUTED = network(
    'l3',
    [
        node(
            'r1',
            [
                { ...tp('eth1', '10.0.0.0', '2001:db8:ff::'), ...supportedBy('sw1', 'p1') },
                tp('eth9', '10.1.1.1', '2001:db8:1::1'),
                tp('lo', '2001:db8:fffe::1')
            ],
            {
                'router-id': ['10.255.0.1'],
                prefix: [
                    { prefix: '10.255.0.1/32', metric: 0 },
                    { prefix: '10.0.0.0/31' },
                    { prefix: '10.1.1.0/24', metric: 10 },
                    { prefix: '2001:db8:1::/64' }
                ]
            },
            supportedBy('sw1')
        ),
        node(
            'r2',
            [tp('eth1', '10.0.0.1', '2001:db8:ff::1'), tp('eth9', '10.2.2.254')],
            { 'router-id': ['10.255.0.2'], prefix: [{ prefix: '10.2.2.0/24' }, { prefix: '2001:db8:fffe::2/128' }] },
            supportedBy('sw2')
        )
    ],
    both('r1:eth1', 'r2:eth1', '25'),
    { 'supporting-network': [{ 'network-ref': 'physical' }] }
);

describe('import from RFC 8345', () => {
    it('follows the stack to the L3 network: devices, both ways made one link, metric1 the cost, segments, loopbacks, IPv6', () => {
        const result = importOf(topology(PHYSICAL, ROUTED));
        expect(result.twin).toEqual({
            network: 'l3',
            devices: {
                r1: { loopback: ['10.255.0.1', '2001:db8:fffe::1'] },
                r2: { loopback: ['10.255.0.2', '2001:db8:fffe::2'] }
            },
            links: [
                { endpoints: ['r1:eth1', 'r2:eth1'], subnet: '10.0.0.0/31', subnet6: '2001:db8:ff::/127', cost: 25 }
            ],
            segments: {
                'r1-eth9': { prefix: ['10.1.1.0/24', '2001:db8:1::/64'], attach: 'r1:eth9' },
                'r2-eth9': { prefix: '10.2.2.0/24', attach: 'r2:eth9', gateway: '10.2.2.254' }
            }
        });
        expect(result.warnings).toEqual([]);
        expect(result.sources.get('links.0')).toBe(
            '$.ietf-network:networks.network[1].ietf-network-topology:link[0] and $.ietf-network:networks.network[1].ietf-network-topology:link[1]'
        );
        expect(result.sources.get('devices.r2')).toBe('$.ietf-network:networks.network[1].node[1] (node-id "r2")');
        const twin = loadImported(result);
        const r1 = twin.devices.get('r1')!;
        expect(formatAddress(r1.interfaces.get('eth1')!.address!)).toBe('10.0.0.0');
        expect(formatAddress6(r1.interfaces.get('eth1')!.address6!)).toBe('2001:db8:ff::');
        expect(formatAddress(twin.devices.get('r2')!.interfaces.get('eth9')!.address!)).toBe('10.2.2.254');
    });

    it('imports a link given one way only, with a warning', () => {
        const routed = { ...ROUTED, [`${NT}:link`]: [link('r2:eth1', 'r1:eth1', 7)] };
        const result = importOf(topology(PHYSICAL, routed));
        expect(result.twin.links).toEqual([
            { endpoints: ['r1:eth1', 'r2:eth1'], subnet: '10.0.0.0/31', subnet6: '2001:db8:ff::/127', cost: 7 }
        ]);
        expect(result.warnings).toEqual([
            {
                where: '$.ietf-network:networks.network[1].ietf-network-topology:link[0]',
                message:
                    "No link goes the other way (r1 eth1 → r2 eth1); RFC 8345 links are one-way, the twin's both ways: imported as a link both ways."
            }
        ]);
        loadImported(result);
    });

    it('takes the lower metric1 where the two ways differ, and keeps a cost within OSPF’s', () => {
        const differ = importOf(
            topology(network('n', ROUTED.node, [link('r1:eth1', 'r2:eth1', '30'), link('r2:eth1', 'r1:eth1', 20)]))
        );
        expect(differ.twin.links[0].cost).toBe(20);
        expect(messages(differ)).toEqual([
            'The two ways of the link have different metric1s (30 and 20); the twin has one cost for both ways: 20, the lower.'
        ]);
        const huge = importOf(topology(network('n', ROUTED.node, both('r1:eth1', 'r2:eth1', '16777215'))));
        expect(huge.twin.links[0].cost).toBe(65535);
        expect(messages(huge)).toEqual([
            'metric1 16777215 is outside the costs OSPF has (1 to 65535): the cost is 65535.'
        ]);
        loadImported(huge);
    });

    it('is an error at the JSON path: an unknown tp-id, an unknown node, a dangling supporting reference, a bad address or metric', () => {
        const withLinks = (links: object[]) => topology(PHYSICAL, { ...ROUTED, [`${NT}:link`]: links });
        expect(failure(withLinks([link('r1:eth1', 'r2:eth7')]))).toEqual({
            where: '$.ietf-network:networks.network[1].ietf-network-topology:link[0].destination.dest-tp',
            message:
                "$.ietf-network:networks.network[1].ietf-network-topology:link[0].destination.dest-tp: node 'r2' has no termination point 'eth7' (its tp-ids: eth1, eth9)."
        });
        expect(failure(withLinks([...both('r1:eth1', 'r2:eth1'), link('r3:eth1', 'r1:eth9')])).where).toBe(
            '$.ietf-network:networks.network[1].ietf-network-topology:link[2].source.source-node'
        );
        const dangling = structuredClone(ROUTED);
        (dangling.node[1] as Record<string, unknown>)['supporting-node'] = [
            { 'network-ref': 'physical', 'node-ref': 'sw9' }
        ];
        expect(failure(topology(PHYSICAL, dangling))).toMatchObject({
            where: '$.ietf-network:networks.network[1].node[1].supporting-node[0].node-ref',
            message: expect.stringContaining("network 'physical' has no node 'sw9'.")
        });
        const danglingTp = structuredClone(ROUTED);
        (danglingTp.node[0] as Record<string, object[]>)[`${NT}:termination-point`][0] = {
            ...tp('eth1'),
            ...supportedBy('sw1', 'p9')
        };
        expect(failure(topology(PHYSICAL, danglingTp)).where).toBe(
            '$.ietf-network:networks.network[1].node[0].ietf-network-topology:termination-point[0].supporting-termination-point[0].tp-ref'
        );
        // A reference to a network the file does not hold is allowed (require-instance false).
        expect(() => importOf(topology(ROUTED))).not.toThrow();
        expect(failure(topology(network('n', [node('r1', [tp('eth1', '10.0.0.300')])])))).toMatchObject({
            where: `$.ietf-network:networks.network[0].node[0].ietf-network-topology:termination-point[0].${L3}:l3-termination-point-attributes.ip-address[0]`,
            message: expect.stringContaining("'10.0.0.300' is not an IPv4 or IPv6 address")
        });
        expect(failure(topology(network('n', [node('r1', [], { prefix: [{ prefix: '10.1.0.0/33' }] })]))).where).toBe(
            `$.ietf-network:networks.network[0].node[0].${L3}:l3-node-attributes.prefix[0].prefix`
        );
        expect(failure(topology(network('n', [node('r1', [], { 'router-id': ['2001:db8::1'] })]))).where).toBe(
            `$.ietf-network:networks.network[0].node[0].${L3}:l3-node-attributes.router-id[0]`
        );
        expect(failure(withLinks([link('r1:eth1', 'r2:eth1', 'ten')])).where).toBe(
            `$.ietf-network:networks.network[1].ietf-network-topology:link[0].${L3}:l3-link-attributes.metric1`
        );
        expect(failure(topology(network('n', [node('r1', []), node('r1', [])]))).where).toBe(
            '$.ietf-network:networks.network[0].node[1].node-id'
        );
    });

    it('is an error with the file, line and column when the file is not JSON; and when it is no RFC 8345 topology', () => {
        const file = jsonFile('broken.json', '{\n  "ietf-network:networks": {\n    "network": [,]\n  }\n}\n');
        expect(() => importRfc8345(file)).toThrow(ImportError);
        try {
            importRfc8345(file);
        } catch (error) {
            expect((error as ImportError).where).toBe(`${file}:3:17`);
            expect((error as ImportError).message).toBe(`${file}:3:17: not JSON: "," is not what JSON has here.`);
        }
        expect(failure('{"ietf-network:networks": ').message).toMatch(
            /topology\.json:1:27: not JSON: the text ends before the JSON value does\.$/
        );
        expect(failure('{"a": 1} x').message).toMatch(
            /topology\.json:1:10: not JSON: "x" is not what JSON has here\.$/
        );
        expect(failure({ networks: [] })).toEqual({
            where: '$',
            message:
                "$: no 'ietf-network:networks': this is not the JSON encoding of an RFC 8345 topology (its top level has 'networks')."
        });
        expect(() => importRfc8345('/nonexistent/topology.json')).toThrow('/nonexistent/topology.json: no such file.');
    });

    it('picks the L3 unicast network; of several the one the others stack on, else an error; none among several is an error, a single other network is taken with a warning', () => {
        expect(failure(topology(ROUTED, { ...ROUTED, 'network-id': 'l3-other' }))).toMatchObject({
            where: '$.ietf-network:networks.network',
            message: expect.stringContaining(
                "2 networks are L3 unicast topologies ('l3', 'l3-other') and 2 ('l3', 'l3-other') of them stack on no other"
            )
        });
        // An OSPF process network over the routers' own, its nodes stacked by supporting-node (as Batfish's are).
        const ospf = network('ospf-proc', [
            node(
                '10.255.0.1',
                [tp('10.0.0.0')],
                { 'router-id': ['10.255.0.1'] },
                { 'supporting-node': [{ 'network-ref': 'l3', 'node-ref': 'r1' }] }
            )
        ]);
        const stacked = importOf(topology(ospf, PHYSICAL, ROUTED));
        expect(stacked.twin.network).toBe('l3');
        expect(Object.keys(stacked.twin.devices)).toEqual(['r1', 'r2']);
        expect(messages(stacked)).toEqual([
            "The file has 2 L3 unicast networks; 'l3' is imported, the one the others ('ospf-proc') stack on."
        ]);
        expect(failure(topology(PHYSICAL, { ...PHYSICAL, 'network-id': 'other' })).message).toContain(
            "none of the 2 networks is an L3 unicast topology (network-types 'ietf-l3-unicast-topology:l3-unicast-topology'): 'physical' (no network-types), 'other' (no network-types)."
        );
        const plain = importOf(topology(PHYSICAL));
        expect(plain.twin).toMatchObject({
            network: 'physical',
            pools: { links: '10.254.0.0/16', loopbacks: '10.255.0.0/24' },
            devices: { sw1: {}, sw2: {} },
            links: [{ endpoints: ['sw1:p1', 'sw2:p1'] }]
        });
        expect(messages(plain)).toEqual([
            "Network 'physical' is not an L3 unicast topology (its network-types have no 'ietf-l3-unicast-topology:l3-unicast-topology'): its nodes and links are imported without addresses."
        ]);
        loadImported(plain);
    });

    it('renames what the twin cannot name so (a node-id that is an address, a tp-id with slashes), with warnings', () => {
        const result = importOf(
            topology(
                network(
                    'urn:example:net',
                    [
                        node('10.255.0.1', [tp('GigabitEthernet0/0/1', '10.0.0.0')]),
                        node('r2.example.com', [tp('xe-0/0/1', '10.0.0.1')], { name: 'edge2' })
                    ],
                    both('10.255.0.1:GigabitEthernet0/0/1', 'r2.example.com:xe-0/0/1')
                )
            )
        );
        expect(result.twin.network).toBe('urn-example-net');
        expect(Object.keys(result.twin.devices)).toEqual(['device-10-255-0-1', 'edge2']);
        expect(result.twin.links).toEqual([
            { endpoints: ['device-10-255-0-1:Gi0-0-1', 'edge2:xe-0-0-1'], subnet: '10.0.0.0/31' }
        ]);
        expect(messages(result)).toEqual([
            "'urn:example:net' cannot be a network name; the twin's network is 'urn-example-net'.",
            "'10.255.0.1' cannot be a device name in the twin; it is 'device-10-255-0-1'.",
            '2 interface name(s) are not Linux interface names (1 to 15 bytes, no \'/\', \':\', whitespace or quotes) and were renamed: device-10-255-0-1 "GigabitEthernet0/0/1" → Gi0-0-1, edge2 "xe-0/0/1" → xe-0-0-1.'
        ]);
        loadImported(result);
    });

    it('leaves to the pools what it cannot place, each with a warning: ends on no one subnet, a router-id that is a link address, a stray prefix', () => {
        const result = importOf(
            topology(
                network(
                    'n',
                    [
                        node('r1', [tp('eth1', '10.0.0.5'), tp('eth2', '10.0.1.0')], {
                            'router-id': ['10.0.1.0'],
                            prefix: [{ prefix: '192.0.2.0/24' }]
                        }),
                        node('r2', [tp('eth1', '10.0.0.9'), tp('eth2')]),
                        node('r3', [tp('eth1', '10.0.1.1'), tp('eth2', '2001:db8::1')])
                    ],
                    [...both('r1:eth1', 'r2:eth1'), ...both('r1:eth2', 'r3:eth1'), ...both('r2:eth2', 'r3:eth2')]
                )
            )
        );
        expect(result.twin.links).toEqual([
            { endpoints: ['r1:eth1', 'r2:eth1'] },
            { endpoints: ['r1:eth2', 'r3:eth1'], subnet: '10.0.1.0/31' },
            { endpoints: ['r2:eth2', 'r3:eth2'] }
        ]);
        expect(result.twin.pools).toEqual({ links: '10.254.0.0/16', loopbacks: '10.255.0.0/24' });
        expect(result.twin.devices).toEqual({ r1: {}, r2: {}, r3: {} });
        expect(messages(result)).toEqual([
            "The ends' addresses 10.0.0.5 and 10.0.0.9 are not the two of a /31 or the first two of a longer prefix, and no prefix of the source holds both: the link's subnet is left to the pools.",
            'r2:eth2 has no IPv6 address (r3:eth2 has 2001:db8::1): the link gets no IPv6 subnet.',
            "10.0.1.0 is also the link r1:eth2 -- r3:eth1: it is not r1's loopback.",
            "Prefix 192.0.2.0/24 of node 'r1' holds the address of none of its termination points: not imported (the twin places a prefix on a link, a segment or a loopback)."
        ]);
        loadImported(result);
    });

    it('reads an ip-address written with its prefix length, and passes over an empty router-id with a warning', () => {
        const result = importOf(
            topology(
                network(
                    'n',
                    [
                        node('r1', [tp('Fa0/0', '10.0.0.17/30'), tp('Lo0', '10.255.0.1/32')], { 'router-id': [''] }),
                        node('r2', [tp('Fa0/0', '10.0.0.18/30')])
                    ],
                    both('r1:Fa0/0', 'r2:Fa0/0')
                )
            )
        );
        expect(result.twin.links).toEqual([{ endpoints: ['r1:Fa0-0', 'r2:Fa0-0'], subnet: '10.0.0.16/30' }]);
        expect(result.twin.devices.r1).toEqual({ loopback: '10.255.0.1' });
        expect(result.warnings[0]).toEqual({
            where: `$.ietf-network:networks.network[0].node[0].${L3}:l3-node-attributes.router-id[0]`,
            message: 'An empty address: passed over.'
        });
        loadImported(result);
    });

    it('takes a link subnet longer than a /31 from a node prefix, and a loopback from a loopback termination point', () => {
        const result = importOf(
            topology(
                network(
                    'n',
                    [
                        node('r1', [tp('eth1', '10.0.0.1'), tp('lo0', '10.255.0.1')], {
                            prefix: [{ prefix: '10.0.0.0/29' }]
                        }),
                        node('r2', [tp('eth1', '10.0.0.2')])
                    ],
                    both('r2:eth1', 'r1:eth1', 10)
                )
            )
        );
        expect(result.twin.links).toEqual([{ endpoints: ['r1:eth1', 'r2:eth1'], subnet: '10.0.0.0/29', cost: 10 }]);
        expect(result.twin.devices.r1).toEqual({ loopback: '10.255.0.1' });
        expect(result.warnings).toEqual([]);
        const twin = loadImported(result);
        expect(formatAddress(twin.devices.get('r2')!.interfaces.get('eth1')!.address!)).toBe('10.0.0.2');
    });
});
