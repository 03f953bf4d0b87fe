/**
 * What each node of the containerlab topology runs once containerlab has started it and wired its
 * interfaces (its `exec` steps). containerlab runs every step on its own, without a shell, and
 * substitutes environment variables anywhere in the topology file: a step that needs a shell says
 * `sh -c '…'`, and no step has a `$`. Every step can run again and leaves the node as one run does.
 */
import { formatAddress, formatPrefix, prefixesOf } from '../../net/ipv4.js';
import { formatAddress6, formatPrefix6, prefixesOf6 } from '../../net/ipv6.js';
import type { IntervalSet } from '../../net/interval-set.js';
import { MAX_LOCAL_ROUTES } from '../../twin/test-hosts.js';

/** The table of the management VRF: below the tables of policy routing (1000 and up). */
export const MANAGEMENT_TABLE = 10;
/** The bridge a segment node makes of its interfaces. */
const SEGMENT_BRIDGE = 'br0';
/** Where a device node finds its netintent files. */
export const NODE_DIR = '/etc/netintent';

/**
 * Puts eth0, containerlab's management interface, and its default route into a VRF of their own.
 * Docker's default route on eth0 is a kernel route, which zebra prefers to the routed default
 * (OSPF's, BGP's or a static one), and the connected management subnet may overlap the twin's
 * addresses; in the VRF neither reaches the main table, which then holds what `netintent lab`'s
 * namespaces hold. Management keeps working inside the VRF (`docker exec` needs no network).
 * The local table is still read first, also for eth0: it answers ARP only for its own address,
 * not for the twin's (an external's local routes take in the management subnet).
 */
function managementVrf(vrf: string): string {
    return (
        `sh -c 'ip link show ${vrf} >/dev/null 2>&1 || ip link add ${vrf} type vrf table ${MANAGEMENT_TABLE}; ip link set ${vrf} up; ` +
        `ip route show default dev eth0 >/tmp/eth0-default; ip link set eth0 master ${vrf}; xargs -r ip route replace vrf ${vrf} </tmp/eth0-default; ` +
        `sysctl -qw net.ipv4.conf.eth0.arp_ignore=1'`
    );
}

/**
 * The steps of an FRR node, in their order; `policyRouting` when the device has policy-routing.sh,
 * `ipv6` when the twin has IPv6 (containerlab's linux nodes have it enabled: disable_ipv6=0).
 */
export function deviceSteps(vrf: string, policyRouting: boolean, ipv6: boolean): string[] {
    return [
        // FRR's image (Alpine) has no nft: installed from Alpine's repository, over the
        // management network, so before eth0 leaves the main table.
        `sh -c 'command -v nft >/dev/null || apk add --no-cache nftables'`,
        'sysctl -w net.ipv4.ip_forward=1',
        // IPv6's `all` also sets every interface's own.
        ...(ipv6 ? ['sysctl -w net.ipv6.conf.all.forwarding=1'] : []),
        // Steered paths may hairpin through a device and return on another interface: no
        // redirects, no reverse-path filter. The kernel takes the stricter of `all` and each
        // interface's own setting, and the interfaces containerlab moved in keep the host's.
        `sh -c 'echo 0 | tee /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/conf/*/send_redirects >/dev/null'`,
        // A route over an interface that lost its carrier (its neighbour failed) is not used, as
        // the verifier has it (the kernel takes `all` or the interface's own).
        'sysctl -w net.ipv4.conf.all.ignore_routes_with_linkdown=1',
        // An interface set down keeps its IPv6 addresses, as in `netintent lab`: FRR 8.4's zebra
        // does not put back those the kernel flushed (the kernel takes `all` or the interface's own).
        ...(ipv6 ? ['sysctl -w net.ipv6.conf.all.keep_addr_on_down=1'] : []),
        // nftables.nft replaces its own table: loading it again changes nothing.
        `nft -f ${NODE_DIR}/nftables.nft`,
        managementVrf(vrf),
        // Only `ip rule`s, which need nothing from FRR (frr.conf holds their tables' routes);
        // it removes each rule before it adds it.
        ...(policyRouting ? [`sh ${NODE_DIR}/policy-routing.sh`] : [])
    ];
}

/** A test node's address in one family, the length of its subnet, and the router of its default route. */
export type Address =
    | { readonly family: 4; readonly address: number; readonly length: number; readonly gateway: number }
    | { readonly family: 6; readonly address: bigint; readonly length: number; readonly gateway: bigint };

/** An external's peer in one family (the gateway is the attachment), with the addresses it stands for. */
export type ExternalAddress =
    | (Extract<Address, { family: 4 }> & { readonly space: IntervalSet })
    | (Extract<Address, { family: 6 }> & { readonly space: IntervalSet<bigint> });

/** A segment: a bridge of `ports` (the attachment and the hosts), with the test host's addresses on it. */
export function segmentSteps(vrf: string, ports: readonly string[], addresses: readonly Address[]): string[] {
    return [
        managementVrf(vrf),
        `sh -c 'ip link show ${SEGMENT_BRIDGE} >/dev/null 2>&1 || ip link add ${SEGMENT_BRIDGE} type bridge; ip link set ${SEGMENT_BRIDGE} up'`,
        ...ports.map(port => `ip link set ${port} master ${SEGMENT_BRIDGE}`),
        ...addresses.flatMap(address => addressSteps(SEGMENT_BRIDGE, address))
    ];
}

/** A twin host on its segment. */
export function hostSteps(vrf: string, addresses: readonly Address[]): string[] {
    return [managementVrf(vrf), ...addresses.flatMap(address => addressSteps('eth1', address))];
}

/** An external: the peer on its link, answering for every address it stands for, as in `netintent lab`. */
export function externalSteps(vrf: string, addresses: readonly ExternalAddress[]): string[] {
    return [
        managementVrf(vrf),
        ...addresses.flatMap(address => {
            const prefixes =
                address.family === 4
                    ? prefixesOf(address.space, MAX_LOCAL_ROUTES).map(formatPrefix)
                    : prefixesOf6(address.space, MAX_LOCAL_ROUTES).map(formatPrefix6);
            const ip = address.family === 4 ? 'ip' : 'ip -6';
            return [
                // A listener binds to any of them: IPv6 only to a configured address, unless non-local binds are allowed.
                ...(address.family === 6 ? ['sysctl -w net.ipv6.ip_nonlocal_bind=1'] : []),
                ...addressSteps('eth1', address),
                // One step for them all: an external may stand for a few hundred prefixes.
                ...(prefixes.length > 0
                    ? [`sh -c 'printf "route replace local %s dev lo\\n" ${prefixes.join(' ')} | ${ip} -batch -'`]
                    : [])
            ];
        })
    ];
}

/** The address on `dev`, and the default route through the gateway. */
function addressSteps(dev: string, address: Address): string[] {
    if (address.family === 4) {
        return [
            `ip addr replace ${formatAddress(address.address)}/${address.length} dev ${dev}`,
            `ip route replace default via ${formatAddress(address.gateway)}`
        ];
    }
    // nodad: usable at once, not after duplicate address detection's second (as in `netintent lab`).
    return [
        `ip -6 addr replace ${formatAddress6(address.address)}/${address.length} dev ${dev} nodad`,
        `ip -6 route replace default via ${formatAddress6(address.gateway)}`
    ];
}
