/**
 * A containerlab topology that runs the compiled network as `netintent lab` does, with nothing to
 * prepare on the host: an FRR node per device with its files bound in; a node per attached
 * segment, a bridge of its attachment and its hosts with the segment's test host on it; a node
 * per twin host on its segment's node; a node per external, answering for what it stands for.
 * containerlab makes no interface outside the nodes, and every one it or a node's steps make has
 * a name of at most 15 characters (the kernel's limit), unique in its node.
 */
import { stringify } from 'yaml';
import {
    hasIPv6,
    type InterfaceKey,
    type TwinExternal,
    type TwinHost,
    type TwinSegment,
    type Twin
} from '../../twin/model.js';
import type { DeviceFiles } from '../files.js';
import { testerAddresses } from '../../twin/test-hosts.js';
import {
    deviceSteps,
    externalSteps,
    hostSteps,
    NODE_DIR,
    segmentSteps,
    type Address,
    type ExternalAddress
} from './steps.js';

/**
 * FRR's own release image (Alpine 3.15: FRR 8.4.1 with every daemon, iproute2, busybox; no nft,
 * which its first step installs). 8.4 is the version frr.conf is written for.
 */
export const FRR_IMAGE = 'quay.io/frrouting/frr:8.4.1';
/** Segments, hosts and externals (Alpine 3.22: iproute2, ping, traceroute, tcpdump, curl; nginx on 80 and 443). */
export const TEST_IMAGE = 'wbitt/network-multitool:3.22.2';
/** A node's name is its container's hostname: at most 64 characters. */
const MAX_NODE_NAME = 64;
/** The VRF of the management interface, unless the node has an interface of that name. */
const MANAGEMENT_VRF = 'mgmt';
/** Names containerlab reads in a link as a link to the host or its networks, not as a node's. */
const LINK_TYPE_NAMES = ['host', 'mgmt-net', 'macvlan'];

interface Node {
    kind: 'linux';
    image: string;
    binds?: string[];
    exec: string[];
}

export function renderContainerlab(twin: Twin, devices: readonly DeviceFiles[]): string {
    const topology = new Topology();
    const deviceNodes = new Map<string, string>();
    const ipv6 = hasIPv6(twin);
    for (const device of devices) {
        const interfaces = [...(twin.devices.get(device.name)?.interfaces.keys() ?? [])];
        deviceNodes.set(device.name, topology.add(device.name, deviceNode(device, interfaces, ipv6)));
    }
    const endpoint = (key: InterfaceKey) => `${deviceNodes.get(key.device)}:${key.interface}`;
    for (const l of twin.links) topology.link(endpoint(l.a), endpoint(l.b));
    for (const segment of twin.segments.values()) {
        // As in `netintent lab`: a segment attached to no device is not part of the network.
        if (!segment.attach) continue;
        const hosts = [...twin.hosts.values()].filter(h => h.segment === segment.name);
        addSegment(topology, segment, endpoint(segment.attach), hosts);
    }
    for (const external of twin.externals.values()) {
        // As in `netintent lab`, an external with no attachment, or no peer and address in either family, is left out.
        const addresses = externalAddresses(external);
        if (!external.attach || addresses.length === 0) continue;
        const node = topology.add(`ext-${external.name}`, testNode(externalSteps(MANAGEMENT_VRF, addresses)));
        topology.link(`${node}:eth1`, endpoint(external.attach));
    }
    return (
        header(twin.network) +
        stringify({ name: twin.network, topology: { nodes: topology.nodes, links: topology.links } }, { lineWidth: 0 })
    );
}

function header(network: string): string {
    return [
        `# containerlab topology of ${network}, written by netintent.`,
        `# Deploy from this folder: sudo containerlab deploy -t ${network}.clab.yml (netintent's docs/cli.md).`,
        '# Nodes: a device each (FRR); seg-NAME, a segment (a bridge with its test host on it);',
        '# a twin host each, on its segment; ext-NAME, an external. On every node eth0, the management',
        "# interface, is in VRF mgmt: the main table holds the network's routes only.",
        ''
    ].join('\n');
}

function deviceNode(device: DeviceFiles, interfaces: readonly string[], ipv6: boolean): Node {
    const binds = [
        `${device.name}/frr.conf:/etc/frr/frr.conf`,
        `${device.name}/daemons:/etc/frr/daemons`,
        `${device.name}/nftables.nft:${NODE_DIR}/nftables.nft`
    ];
    const policyRouting = device.files.has('policy-routing.sh');
    if (policyRouting) binds.push(`${device.name}/policy-routing.sh:${NODE_DIR}/policy-routing.sh`);
    return { kind: 'linux', image: FRR_IMAGE, binds, exec: deviceSteps(vrfName(interfaces), policyRouting, ipv6) };
}

/** The segment's node (eth1 to the attachment, then an interface per host) and its hosts' nodes. */
function addSegment(topology: Topology, segment: TwinSegment, attachment: string, hosts: readonly TwinHost[]): void {
    const hostPort = (index: number) => `eth${index + 2}`;
    // The test host, in each family the segment has, as `netintent lab` picks it.
    const { tester, tester6 } = testerAddresses(segment, hosts);
    const ports = ['eth1', ...hosts.map((_, index) => hostPort(index))];
    const node = topology.add(
        `seg-${segment.name}`,
        testNode(segmentSteps(MANAGEMENT_VRF, ports, segmentAddresses(segment, tester, tester6)))
    );
    topology.link(`${node}:eth1`, attachment);
    hosts.forEach((host, index) => {
        const hostNode = topology.add(
            host.name,
            testNode(hostSteps(MANAGEMENT_VRF, segmentAddresses(segment, host.address, host.address6)))
        );
        topology.link(`${hostNode}:eth1`, `${node}:${hostPort(index)}`);
    });
}

/** A node's addresses on a segment: one in each family the segment has and the node has an address in. */
function segmentAddresses(segment: TwinSegment, address: number | undefined, address6: bigint | undefined): Address[] {
    const { prefix, gateway, prefix6, gateway6 } = segment;
    return [
        ...(prefix && gateway !== undefined && address !== undefined
            ? [{ family: 4 as const, address, length: prefix.length, gateway }]
            : []),
        ...(prefix6 && gateway6 !== undefined && address6 !== undefined
            ? [{ family: 6 as const, address: address6, length: prefix6.length, gateway: gateway6 }]
            : [])
    ];
}

/** An external's peer in each family the twin gives it a peer and an attachment address in. */
function externalAddresses(external: TwinExternal): ExternalAddress[] {
    const { peer, address, space, peer6, address6, space6 } = external;
    return [
        ...(peer !== undefined && address
            ? [{ family: 4 as const, address: peer, length: address.length, gateway: address.address, space }]
            : []),
        ...(peer6 !== undefined && address6
            ? [
                  {
                      family: 6 as const,
                      address: peer6,
                      length: address6.length,
                      gateway: address6.address,
                      space: space6
                  }
              ]
            : [])
    ];
}

function testNode(exec: string[]): Node {
    return { kind: 'linux', image: TEST_IMAGE, exec };
}

/** The management VRF's name on a device: not one of the twin's interfaces of the device. */
function vrfName(interfaces: readonly string[]): string {
    let name = MANAGEMENT_VRF;
    for (let n = 1; interfaces.includes(name); n++) name = `${MANAGEMENT_VRF}${n}`;
    return name;
}

/**
 * The nodes and links. The names of devices, segments, hosts and externals may coincide with each
 * other or with what containerlab reserves; their nodes' names do not. Devices come first, so
 * that each keeps its own name (and its folder's) unless containerlab reserves it.
 */
class Topology {
    readonly nodes: Record<string, Node> = {};
    readonly links: Array<{ endpoints: [string, string] }> = [];

    /** Adds `node` as `wanted`, cut to fit, or with the first free `-N` after it; returns its name. */
    add(wanted: string, node: Node): string {
        for (let n = 1; ; n++) {
            const suffix = n === 1 ? '' : `-${n}`;
            const name = wanted.slice(0, MAX_NODE_NAME - suffix.length) + suffix;
            if (!Object.hasOwn(this.nodes, name) && !LINK_TYPE_NAMES.includes(name.toLowerCase())) {
                this.nodes[name] = node;
                return name;
            }
        }
    }

    link(a: string, b: string): void {
        this.links.push({ endpoints: [a, b] });
    }
}
