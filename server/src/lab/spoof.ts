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
    const rule = [
        `ip saddr ${packet.src} ip daddr ${packet.dst}`,
        packet.protocol === 'tcp' || packet.protocol === 'udp'
            ? `${packet.protocol} dport ${packet.dstPort}`
            : `meta l4proto ${packet.protocol}`
    ].join(' ');
    inNamespace(toNamespace, 'nft', ['-f', '-'], {
        input: `table inet ${COUNTER_TABLE} {\n\tchain seen {\n\t\ttype filter hook prerouting priority -400; policy accept;\n\t\t${rule} counter\n\t}\n}\n`
    });
    inNamespace(from.namespace, 'ip', ['addr', 'add', `${packet.src}/32`, 'dev', from.interface]);
    try {
        if (packet.protocol === 'tcp' || packet.protocol === 'udp') connectFrom(from.namespace, packet, 500);
        else pingFrom(from.namespace, packet, 1);
        return arrivals(toNamespace) > 0;
    } finally {
        inNamespace(from.namespace, 'ip', ['addr', 'del', `${packet.src}/32`, 'dev', from.interface], {
            allowFailure: true
        });
        inNamespace(toNamespace, 'nft', ['delete', 'table', 'inet', COUNTER_TABLE], { allowFailure: true });
    }
}

function arrivals(namespace: string): number {
    const listed = JSON.parse(
        run('ip', ['netns', 'exec', namespace, 'nft', '-j', 'list', 'table', 'inet', COUNTER_TABLE])
    ) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> };
    return listed.nftables.flatMap(item => item.rule?.expr ?? []).reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
}
