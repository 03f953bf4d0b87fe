/**
 * A containerlab topology as (part of) a twin: its nodes are devices, its links the twin's links;
 * a node the twin declares as a host attaches there instead. A `.clab.yml` alone is a twin whose
 * addresses come from CONTAINERLAB_POOLS.
 */
import { isMap, type Node } from 'yaml';
import type { SourceLocation } from '../common/diagnostic.js';
import type { Prefix } from '../net/ipv4.js';
import type { InterfaceKey, TwinDevice } from './model.js';
import type { Endpoint, MapEntry, YamlReader } from './yaml-reader.js';

/** The pools of a twin that is a containerlab file alone. */
export const CONTAINERLAB_POOLS = {
    links: { network: 0x0afe0000, length: 16 } as Prefix, // 10.254.0.0/16
    loopbacks: { network: 0x0affff00, length: 24 } as Prefix // 10.255.255.0/24
};

export function isContainerlabFile(file: string): boolean {
    return /\.clab\.ya?ml$/i.test(file);
}

/** containerlab: every node is a device, except nodes the twin declares as hosts. */
export function importContainerlab(
    reader: YamlReader,
    hostNames: ReadonlySet<string>,
    target: ContainerlabTarget
): void {
    const top = new Map(reader.map(reader.root, 'the containerlab file').map(e => [e.key, e]));
    const topology = top.get('topology');
    if (!topology) {
        reader.error(
            reader.root,
            "A containerlab file needs a 'topology:' with 'nodes:' and 'links:'.",
            'containerlab'
        );
        return;
    }
    const sections = new Map(reader.map(topology.value, 'topology').map(e => [e.key, e]));
    for (const node of reader.map(sections.get('nodes')?.value, 'nodes')) {
        if (hostNames.has(node.key) || !target.checkName(reader, node, 'node')) continue;
        const image = isMap(reader.resolve(node.value))
            ? reader.map(node.value, `node ${node.key}`).find(e => e.key === 'image')
            : undefined;
        const imageName = image ? (reader.string(image.value, 'image') ?? '') : '';
        const platform = /frr/i.test(imageName) || !imageName ? 'frr' : imageName;
        if (platform !== 'frr') {
            reader.error(
                image!.value,
                `Node ${node.key} runs ${imageName}, which netintent cannot configure: it writes FRR configurations only. ` +
                    `If ${node.key} is a host, declare it under hosts: in a twin file that imports this topology.`,
                'platform'
            );
        }
        target.addDevice({
            name: node.key,
            role: 'router',
            platform,
            interfaces: new Map(),
            location: reader.location(node.keyNode)
        });
    }
    for (const linkNode of reader.seq(sections.get('links')?.value, 'links')) {
        const fields = new Map(reader.map(linkNode, 'a link').map(e => [e.key, e]));
        const endpointsEntry = fields.get('endpoints');
        const endpoints = endpointsEntry ? target.readEndpoints(reader, endpointsEntry.value) : undefined;
        if (!endpointsEntry) reader.error(linkNode, "A link needs 'endpoints: [a:eth1, b:eth1]'.", 'containerlab');
        if (!endpoints) continue;
        const [a, b] = endpoints;
        const hostEnd = hostNames.has(a.key.device) ? a : hostNames.has(b.key.device) ? b : undefined;
        if (hostEnd) {
            const deviceEnd = hostEnd === a ? b : a;
            target.attachHost(hostEnd.key.device, {
                key: deviceEnd.key,
                location: reader.location(deviceEnd.node)
            });
            continue;
        }
        target.addLink(reader, linkNode, a, b);
    }
}

/** What an import adds to: the twin being loaded, through the loader's own checks. */
export interface ContainerlabTarget {
    addDevice(device: TwinDevice): void;
    checkName(reader: YamlReader, entry: MapEntry, kind: string): boolean;
    readEndpoints(reader: YamlReader, node: Node | null): [Endpoint, Endpoint] | undefined;
    /** A link between two devices, which the twin may add to. */
    addLink(reader: YamlReader, node: Node, a: Endpoint, b: Endpoint): void;
    /** A link between a host node and a device: where the host attaches. */
    attachHost(host: string, attachment: { key: InterfaceKey; location: SourceLocation }): void;
}
