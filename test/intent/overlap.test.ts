/** Overlap between allows and denies (docs/language.md): the more specific wins; a partial overlap is an error. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { parseAddress } from '../../server/src/net/ipv4.js';
import { PacketSet, PROTOCOL_NUMBERS, type Packet } from '../../server/src/net/packet-set.js';
import { checkWorkspace, netintentServices, smallWorkspace } from '../support/workspace.js';

function packetSet(packet: Packet): PacketSet {
    const src = parseAddress(packet.src)!;
    const dst = parseAddress(packet.dst)!;
    const protocol = PROTOCOL_NUMBERS[packet.protocol as 'tcp'];
    const port = packet.dstPort ?? 0;
    return PacketSet.cube({
        src: IntervalSet.of(src, src),
        dst: IntervalSet.of(dst, dst),
        protocol: IntervalSet.of(protocol, protocol),
        dstPort: IntervalSet.of(port, port)
    });
}

async function programFor(body: string, extra: Record<string, string> = {}) {
    const checked = await checkWorkspace(smallWorkspace(body, extra));
    const bound = netintentServices().intent.IntentPrograms.forTwin(path.join(checked.folder, 'small.twin.yaml'));
    return { checked, program: bound.program };
}

describe('overlap', () => {
    it('a partial overlap is an error at both statements, naming the other intent and a packet both match', async () => {
        const { checked, program } = await programFor(`intent a {
  allow web -> db : tcp 5000-6000
}
intent b {
  deny web -> db : tcp 5500-7000
}
`);
        expect(checked.lines).toEqual([
            "main.intent:3:3 error overlap: This allow overlaps the deny of intent 'b' (line 6) and neither contains the other; both match tcp 10.1.1.1 -> 10.1.2.1:5500. Make one of them more specific.",
            "main.intent:6:3 error overlap: This deny overlaps the allow of intent 'a' (line 3) and neither contains the other; both match tcp 10.1.1.1 -> 10.1.2.1:5500. Make one of them more specific."
        ]);
        const [conflict] = program.conflicts;
        const witness = packetSet(conflict.witness);
        expect(conflict.allow.packets.contains(witness)).toBe(true);
        expect(conflict.deny.packets.contains(witness)).toBe(true);
        expect(checked.intents.map(i => i.verdict)).toEqual(['error', 'error']);
    });

    it('across files, the message names the other file', async () => {
        const { checked } = await programFor('intent a { allow web -> any : tcp 22 }\n', {
            'more.intent': 'twin "small.twin.yaml"\nintent b { isolate web, db : tcp 1-1024 }\n'
        });
        expect(checked.lines[0]).toContain("overlaps the isolate of intent 'b' (more.intent:2)");
        expect(checked.lines[1]).toContain(
            "more.intent:2:12 error overlap: This isolate overlaps the allow of intent 'a' (main.intent:2)"
        );
    });

    it('an allow inside a deny wins: an exception carved out of the deny', async () => {
        const { checked, program } = await programFor(`intent a { deny web -> db }
intent b { allow host h1 -> db : tcp 22 }
`);
        expect(checked.lines).toEqual([]);
        const deny = program.intents[0].requirements[0];
        const allow = program.intents[1].requirements[0];
        expect(deny.effective.equals(deny.packets.subtract(allow.packets))).toBe(true);
        expect(allow.effective.equals(allow.packets)).toBe(true);
    });

    it('a deny inside an allow wins', async () => {
        const { checked, program } = await programFor(`intent a { allow web -> db : tcp }
intent b { deny web -> db : tcp 23 }
`);
        expect(checked.lines).toEqual([]);
        const allow = program.intents[0].requirements[0];
        const deny = program.intents[1].requirements[0];
        expect(allow.effective.equals(allow.packets.subtract(deny.packets))).toBe(true);
        expect(allow.effective.contains(deny.packets)).toBe(false);
    });

    it('an allow and a deny of the same packets is a conflict', async () => {
        const { checked } = await programFor(
            'intent a { allow web -> db : tcp 80 }\nintent b { deny segment web -> segment db : tcp 80 }\n'
        );
        expect(checked.lines).toHaveLength(2);
        expect(checked.lines[0]).toContain('both match tcp 10.1.1.1 -> 10.1.2.1:80');
    });

    it('disjoint statements do not overlap', async () => {
        const { checked, program } = await programFor(
            'intent a { allow web -> db : tcp 80 }\nintent b { deny web -> db : udp 80 }\n'
        );
        expect(checked.lines).toEqual([]);
        expect(program.conflicts).toEqual([]);
    });
});
