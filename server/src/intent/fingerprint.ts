/**
 * A requirement's fingerprint: equal exactly when everything later stages read of it is equal
 * (kind, where it is written, its flows, effective packets, constraints and scenarios). Compiled
 * parts and verdicts are kept by fingerprint, so that an edit recomputes only what it changed.
 * The parts are remembered by the objects they come from, which a rebuild reuses where the
 * statement is unchanged, so that fingerprinting a thousand requirements again costs little.
 */
import type { Bound, IntervalSet } from '../net/interval-set.js';
import type { Cube, PacketSet } from '../net/packet-set.js';
import type { Requirement } from './model.js';

const fingerprints = new WeakMap<Requirement, string>();
const statics = new WeakMap<Requirement['flows'], string>();
const packetTexts = new WeakMap<PacketSet, string>();

/** By the parts a fingerprint is made of: an unchanged statement gets the same string object, whose hash maps keep. */
const byParts = new WeakMap<Requirement['flows'], WeakMap<PacketSet, WeakMap<PacketSet, string>>>();

export function requirementFingerprint(requirement: Requirement): string {
    let fingerprint = fingerprints.get(requirement);
    if (fingerprint === undefined) {
        let byPackets = byParts.get(requirement.flows);
        if (!byPackets) byParts.set(requirement.flows, (byPackets = new WeakMap()));
        let byEffective = byPackets.get(requirement.packets);
        if (!byEffective) byPackets.set(requirement.packets, (byEffective = new WeakMap()));
        fingerprint = byEffective.get(requirement.effective);
        if (fingerprint === undefined) {
            fingerprint = `${staticPart(requirement)}|${packets(requirement.packets)}|${packets(requirement.effective)}`;
            byEffective.set(requirement.effective, fingerprint);
        }
        fingerprints.set(requirement, fingerprint);
    }
    return fingerprint;
}

/** Everything but the packets; the same flows object means the same statement (see language/intent-build.ts). */
function staticPart(requirement: Requirement): string {
    let text = statics.get(requirement.flows);
    if (text === undefined) {
        const { kind, intent, location, stateful, constraints, scenarios } = requirement;
        text = JSON.stringify([
            kind,
            intent,
            location.file,
            location.range.start.line,
            stateful,
            requirement.flows.map(({ source, destination }) => [
                intervals(source.addresses),
                intervals(destination.addresses),
                intervals(source.addresses6),
                intervals(destination.addresses6)
            ]),
            constraints,
            scenarios.map(s => [s.name, s.failures])
        ]);
        statics.set(requirement.flows, text);
    }
    return text;
}

function intervals<A extends Bound>(set: IntervalSet<A>): string {
    return set.intervals.map(([lo, hi]) => `${lo}-${hi}`).join(',');
}

function packets(set: PacketSet): string {
    let text = packetTexts.get(set);
    if (text === undefined) {
        const cubeText = <A extends Bound>(c: Cube<A>) =>
            [intervals(c.src), intervals(c.dst), ...[c.protocol, c.dstPort, c.srcPort].map(intervals)].join('/');
        text = [...set.cubes.map(cubeText), '6', ...set.cubes6.map(cubeText)].join(';');
        packetTexts.set(set, text);
    }
    return text;
}
