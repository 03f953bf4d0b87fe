/**
 * A requirement's fingerprint: equal exactly when everything later stages read of it is equal
 * (kind, where it is written, its flows, effective packets, constraints and scenarios). Compiled
 * parts and verdicts are kept by fingerprint, so that an edit recomputes only what it changed.
 */
import type { IntervalSet } from '../net/interval-set.js';
import type { PacketSet } from '../net/packet-set.js';
import type { Requirement } from './model.js';

const fingerprints = new WeakMap<Requirement, string>();

export function requirementFingerprint(requirement: Requirement): string {
    let fingerprint = fingerprints.get(requirement);
    if (fingerprint === undefined) {
        const { kind, intent, location, stateful, constraints, scenarios } = requirement;
        fingerprint = JSON.stringify([
            kind, intent, location.file, location.range.start.line, stateful,
            requirement.flows.map(f => [intervals(f.source.addresses), intervals(f.destination.addresses)]),
            packets(requirement.packets), packets(requirement.effective),
            constraints, scenarios.map(s => [s.name, s.failures])
        ]);
        fingerprints.set(requirement, fingerprint);
    }
    return fingerprint;
}

function intervals(set: IntervalSet): string {
    return set.intervals.map(([lo, hi]) => `${lo}-${hi}`).join(',');
}

function packets(set: PacketSet): string {
    return set.cubes.map(c => [c.src, c.dst, c.protocol, c.dstPort, c.srcPort].map(intervals).join('/')).join(';');
}
