/** `twin export --to rfc8345` (docs/twin.md, "Export to RFC 8345"): its shape, and twin → export → import giving the same network for every sample. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportRfc8345 } from '../../server/src/export/rfc8345.js';
import { importRfc8345 } from '../../server/src/import/rfc8345.js';
import { formatAddress, formatPrefix } from '../../server/src/net/ipv4.js';
import { formatAddress6, formatPrefix6 } from '../../server/src/net/ipv6.js';
import { loadTwin } from '../../server/src/twin/load.js';
import { interfaceName, type Twin } from '../../server/src/twin/model.js';
import { jsonFile, loadImported, readFile } from '../support/imports.js';
import { ROOT } from '../support/samples.js';

/** Every sample's twin that loads without errors (samples/broken/bad-twin is broken on purpose). */
function sampleTwins(): string[] {
    return fs
        .readdirSync(path.join(ROOT, 'samples'), { withFileTypes: true, recursive: true })
        .filter(e => e.isFile() && e.name.endsWith('.twin.yaml'))
        .map(e => path.join(e.parentPath, e.name))
        .filter(file => !loadTwin(file, readFile).diagnostics.some(d => d.severity === 'error'))
        .sort();
}

function load(file: string): Twin {
    return loadTwin(file, readFile).twin;
}

/** What a round trip keeps: devices and their loopbacks, links with their subnets, end addresses and costs, segments by attachment. */
function network(twin: Twin) {
    const v4 = (a: number | undefined) => (a === undefined ? undefined : formatAddress(a));
    const v6 = (a: bigint | undefined) => (a === undefined ? undefined : formatAddress6(a));
    const address = (key: { device: string; interface: string }) => {
        const iface = twin.devices.get(key.device)!.interfaces.get(key.interface)!;
        return [v4(iface.address), iface.prefixLength, v6(iface.address6), iface.prefixLength6];
    };
    return {
        devices: [...twin.devices.values()]
            .map(d => ({ name: d.name, loopback: v4(d.loopback), loopback6: v6(d.loopback6) }))
            .sort((x, y) => x.name.localeCompare(y.name)),
        links: twin.links
            .map(l => ({
                ends: `${interfaceName(l.a)} -- ${interfaceName(l.b)}`,
                subnet: l.subnet && formatPrefix(l.subnet),
                subnet6: l.subnet6 && formatPrefix6(l.subnet6),
                cost: l.cost,
                addresses: [address(l.a), address(l.b)]
            }))
            .sort((x, y) => x.ends.localeCompare(y.ends)),
        segments: [...twin.segments.values()]
            .map(s => ({
                attach: s.attach && interfaceName(s.attach),
                prefix: s.prefix && formatPrefix(s.prefix),
                prefix6: s.prefix6 && formatPrefix6(s.prefix6),
                gateway: v4(s.gateway),
                gateway6: v6(s.gateway6)
            }))
            .sort((x, y) => x.attach!.localeCompare(y.attach!))
    };
}

type Json = Record<string, never> & Record<string, unknown>;

describe('export to RFC 8345', () => {
    it('writes one L3 unicast network: nodes with router-id and prefixes, addressed termination points, both ways of each link', () => {
        const exported = exportRfc8345(load(path.join(ROOT, 'samples', 'campus', 'campus.twin.yaml'))) as Json;
        const [network] = (exported['ietf-network:networks'] as Json).network as unknown as Json[];
        expect(network['network-id']).toBe('campus');
        expect(network['network-types']).toEqual({ 'ietf-l3-unicast-topology:l3-unicast-topology': {} });
        const nodes = network.node as unknown as Json[];
        const core1 = nodes.find(n => n['node-id'] === 'core1')!;
        expect(core1['ietf-l3-unicast-topology:l3-node-attributes']).toMatchObject({
            'router-id': ['10.255.0.1'],
            prefix: expect.arrayContaining([{ prefix: '10.255.0.1/32' }, { prefix: '10.0.0.0/31' }])
        });
        expect(core1['ietf-network-topology:termination-point']).toContainEqual({
            'tp-id': 'eth1',
            'ietf-l3-unicast-topology:l3-termination-point-attributes': { 'ip-address': ['10.0.0.0'] }
        });
        const srv1 = nodes.find(n => n['node-id'] === 'srv1')!;
        expect((srv1['ietf-l3-unicast-topology:l3-node-attributes'] as Json).prefix).toContainEqual({
            prefix: '10.1.101.0/24'
        });
        expect(srv1['ietf-network-topology:termination-point']).toContainEqual({
            'tp-id': 'eth11',
            'ietf-l3-unicast-topology:l3-termination-point-attributes': { 'ip-address': ['10.1.101.254'] }
        });
        const links = network['ietf-network-topology:link'] as unknown as Json[];
        expect(links).toHaveLength(2 * 15);
        expect(links.slice(0, 2)).toEqual([
            {
                'link-id': 'core1,eth1,core2,eth1',
                source: { 'source-node': 'core1', 'source-tp': 'eth1' },
                destination: { 'dest-node': 'core2', 'dest-tp': 'eth1' },
                'ietf-l3-unicast-topology:l3-link-attributes': { metric1: '5' }
            },
            {
                'link-id': 'core2,eth1,core1,eth1',
                source: { 'source-node': 'core2', 'source-tp': 'eth1' },
                destination: { 'dest-node': 'core1', 'dest-tp': 'eth1' },
                'ietf-l3-unicast-topology:l3-link-attributes': { metric1: '5' }
            }
        ]);
    });

    it('writes IPv6: the IPv6 loopback as a /128 prefix, link and segment prefixes, both addresses on a termination point', () => {
        const exported = exportRfc8345(load(path.join(ROOT, 'samples', 'dual-stack', 'dual-stack.twin.yaml'))) as Json;
        const [network] = (exported['ietf-network:networks'] as Json).network as unknown as Json[];
        const r1 = (network.node as unknown as Json[]).find(n => n['node-id'] === 'r1')!;
        const prefixes = ((r1['ietf-l3-unicast-topology:l3-node-attributes'] as Json).prefix as unknown as Json[]).map(
            p => p.prefix
        );
        expect(prefixes).toEqual(
            expect.arrayContaining(['10.6.1.0/24', '2001:db8:1::/64', '2001:db8:ff00::/127', '2001:db8:fffe::1/128'])
        );
        expect(r1['ietf-network-topology:termination-point']).toContainEqual({
            'tp-id': 'eth9',
            'ietf-l3-unicast-topology:l3-termination-point-attributes': { 'ip-address': ['10.6.1.1', '2001:db8:1::1'] }
        });
    });

    const samples = sampleTwins();

    it('finds the samples to round-trip', () => {
        expect(samples.map(f => path.relative(ROOT, f))).toEqual(
            expect.arrayContaining([
                'samples/campus/campus.twin.yaml',
                'samples/dc-fabric/dc-fabric.twin.yaml',
                'samples/dual-hub/dual-hub.twin.yaml',
                'samples/dual-stack/dual-stack.twin.yaml',
                'samples/violations/violations.twin.yaml',
                'samples/wan/wan.twin.yaml',
                'samples/broken/broken.twin.yaml'
            ])
        );
    });

    it.each(samples.map(f => [path.relative(ROOT, f), f]))(
        'round trip of %s: twin → export → import, the same devices, links, segments and costs',
        (_name, file) => {
            const twin = load(file);
            const exported = jsonFile('exported.json', exportRfc8345(twin));
            const imported = importRfc8345(exported);
            const again = loadImported(imported);
            expect(network(again)).toEqual(network(twin));
            expect(again.network).toBe(twin.network);
            // Only externals' attachments have no place in RFC 8346 (an address in no prefix of the node).
            const externals = [...twin.externals.values()].map(e => interfaceName(e.attach!));
            expect(imported.warnings.map(w => w.message)).toEqual(
                externals.map(e =>
                    expect.stringMatching(
                        new RegExp(
                            `termination point '${e.split(':')[1]}' (is|are) in no prefix of node '${e.split(':')[0]}'`
                        )
                    )
                )
            );
        }
    );
});
