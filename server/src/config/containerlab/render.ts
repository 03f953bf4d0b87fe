/**
 * A containerlab topology for the compiled network, so that the existing orchestrator deploys
 * it unchanged: an FRR node per device with its files bound in, a host node per twin host.
 */
import { stringify } from 'yaml';
import { formatAddress } from '../../net/ipv4.js';
import type { Twin } from '../../twin/model.js';
import { interfaceName } from '../../twin/model.js';
import type { DeviceFiles } from '../files.js';

export const FRR_IMAGE = 'quay.io/frrouting/frr:8.4.0';
export const HOST_IMAGE = 'alpine:3';
/** Where a node finds its netintent files inside the container. */
const NODE_DIR = '/etc/netintent';

export function renderContainerlab(twin: Twin, devices: readonly DeviceFiles[]): string {
    const nodes: Record<string, object> = {};
    for (const device of devices) {
        const binds = [`${device.name}/frr.conf:/etc/frr/frr.conf`, `${device.name}/daemons:/etc/frr/daemons`];
        // Steered paths may hairpin through a device and return on another interface: no
        // redirects, no strict reverse-path filter.
        const exec = ['sysctl -w net.ipv4.ip_forward=1', 'sysctl -w net.ipv4.conf.all.send_redirects=0', 'sysctl -w net.ipv4.conf.all.rp_filter=0'];
        binds.push(`${device.name}/nftables.nft:${NODE_DIR}/nftables.nft`);
        exec.push(`nft -f ${NODE_DIR}/nftables.nft`);
        if (device.files.has('policy-routing.sh')) {
            binds.push(`${device.name}/policy-routing.sh:${NODE_DIR}/policy-routing.sh`);
            exec.push(`sh ${NODE_DIR}/policy-routing.sh`);
        }
        nodes[device.name] = { kind: 'linux', image: FRR_IMAGE, binds, exec };
    }
    const links: Array<{ endpoints: [string, string] }> = twin.links.map(l => ({ endpoints: [interfaceName(l.a), interfaceName(l.b)] }));
    for (const segment of twin.segments.values()) {
        const hosts = [...twin.hosts.values()].filter(h => h.segment === segment.name);
        if (!segment.attach || hosts.length === 0) continue;
        const length = segment.prefix.length;
        for (const host of hosts) {
            nodes[host.name] = {
                kind: 'linux', image: HOST_IMAGE,
                exec: [`ip addr add ${formatAddress(host.address)}/${length} dev eth1`, `ip route replace default via ${formatAddress(segment.gateway)}`]
            };
        }
        if (hosts.length === 1) {
            links.push({ endpoints: [`${hosts[0].name}:eth1`, interfaceName(segment.attach)] });
        } else {
            // Several hosts share the segment through a bridge, which containerlab expects to exist on the host.
            const bridge = `br-${segment.name}`;
            nodes[bridge] = { kind: 'bridge' };
            links.push({ endpoints: [`${bridge}:${segment.attach.device}`, interfaceName(segment.attach)] });
            hosts.forEach(h => links.push({ endpoints: [`${h.name}:eth1`, `${bridge}:${h.name}`] }));
        }
    }
    const header = `# containerlab topology of ${twin.network}, written by netintent.\n# Deploy with: containerlab deploy -t ${twin.network}.clab.yml\n`;
    return header + stringify({ name: twin.network, topology: { nodes, links } }, { lineWidth: 0 });
}
