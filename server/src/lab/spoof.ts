/**
 * Forged sources tried for real. A test host claims an address that is not its own: it adds the
 * address to its interface for the trial and sends from it. Whether the packet arrives is read
 * from a counter in the destination's namespace (no reply can come back to a forged source).
 */
import type { Packet } from '../net/packet-set.js';
import { connectFrom, inNamespace, pingFrom, run } from './system.js';

/** A table of the trial's own in the destination namespace, before anything else there sees the packet. */
const COUNTER_TABLE = 'netintent_probe';

export interface ForgedSender {
    namespace: string;
    /** The interface its own address is on (where the claimed one is added for the trial). */
    interface: string;
}

/** Sends `packet` (its source forged) from `from`; whether it reached `toNamespace`. */
export function sendForged(from: ForgedSender, toNamespace: string, packet: Packet): boolean {
    const ipv6 = packet.dst.includes(':');
    const rule = [
        `${ipv6 ? 'ip6' : 'ip'} saddr ${packet.src} ${ipv6 ? 'ip6' : 'ip'} daddr ${packet.dst}`,
        packet.protocol === 'tcp' || packet.protocol === 'udp'
            ? `${packet.protocol} dport ${packet.dstPort}`
            : `meta l4proto ${ipv6 && packet.protocol === 'icmp' ? 'ipv6-icmp' : packet.protocol}`
    ].join(' ');
    // The claimed address, usable at once (no duplicate address detection for IPv6).
    const claim = ipv6
        ? ['-6', 'addr', '%', `${packet.src}/128`, 'dev', from.interface, 'nodad']
        : ['addr', '%', `${packet.src}/32`, 'dev', from.interface];
    const claimed = (action: 'add' | 'del') =>
        claim.map(a => (a === '%' ? action : a)).filter(a => action === 'add' || a !== 'nodad');
    inNamespace(toNamespace, 'nft', ['-f', '-'], {
        input: `table inet ${COUNTER_TABLE} {\n\tchain seen {\n\t\ttype filter hook prerouting priority -400; policy accept;\n\t\t${rule} counter\n\t}\n}\n`
    });
    inNamespace(from.namespace, 'ip', claimed('add'));
    try {
        if (packet.protocol === 'tcp' || packet.protocol === 'udp') connectFrom(from.namespace, packet, 500);
        else pingFrom(from.namespace, packet, 1);
        return arrivals(toNamespace) > 0;
    } finally {
        inNamespace(from.namespace, 'ip', claimed('del'), { allowFailure: true });
        inNamespace(toNamespace, 'nft', ['delete', 'table', 'inet', COUNTER_TABLE], { allowFailure: true });
    }
}

function arrivals(namespace: string): number {
    const listed = JSON.parse(
        run('ip', ['netns', 'exec', namespace, 'nft', '-j', 'list', 'table', 'inet', COUNTER_TABLE])
    ) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> };
    return listed.nftables.flatMap(item => item.rule?.expr ?? []).reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
}
