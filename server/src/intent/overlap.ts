/**
 * Overlap between allows and denies (docs/language.md): where both match some packets, the strictly
 * more specific statement wins and takes those packets from the other; where neither contains
 * the other (or they are equal) it is a conflict, reported with one packet both match.
 */
import type { PacketSet } from '../net/packet-set.js';
import type { Conflict, Requirement } from './model.js';

/**
 * Conflicts looked for: each is an error to fix, and every pair of an allow and a deny can be one
 * (a file of a thousand of each, a million). With this many, nothing is verified, so what the
 * rest of the pairs would resolve is not needed either.
 */
export const MAX_CONFLICTS = 1000;

/**
 * Parts a statement's packets may be carved into by the more specific statements inside it.
 * Each exception can split a part in several, and the work grows with the parts: a deny of
 * everything with ten thousand allows inside took minutes. Past this the statement is an error.
 */
export const MAX_PARTS = 5000;

export function resolveOverlaps(requirements: readonly Requirement[]): {
    conflicts: Conflict[];
    tooCarved: Requirement[];
} {
    const allows = requirements.filter(r => r.kind === 'allow');
    const denies = requirements.filter(r => r.kind === 'deny' || r.kind === 'isolate');
    const conflicts: Conflict[] = [];
    const tooCarved = new Set<Requirement>();
    /** Takes an exception from a statement's packets, unless it is carved too finely already. */
    const carve = (requirement: Requirement, exception: PacketSet) => {
        if (tooCarved.has(requirement)) return;
        requirement.effective = requirement.effective.subtract(exception);
        if (requirement.effective.cubes.length > MAX_PARTS) tooCarved.add(requirement);
    };
    const box = new Map(requirements.map(r => [r, bounds(r.packets)]));
    for (const allow of allows) {
        const a = box.get(allow)!;
        for (const deny of denies) {
            // Most pairs are apart already by the span of their addresses: no need to intersect.
            const d = box.get(deny)!;
            if (a[1] < d[0] || d[1] < a[0] || a[3] < d[2] || d[3] < a[2]) continue;
            const shared = allow.packets.intersect(deny.packets);
            if (shared.isEmpty()) continue;
            const allowInside = deny.packets.contains(allow.packets);
            const denyInside = allow.packets.contains(deny.packets);
            if (allowInside && !denyInside) {
                carve(deny, allow.packets);
            } else if (denyInside && !allowInside) {
                carve(allow, deny.packets);
            } else {
                conflicts.push({ allow, deny, witness: shared.witness()! });
                if (conflicts.length === MAX_CONFLICTS) return { conflicts, tooCarved: [...tooCarved] };
            }
        }
    }
    return { conflicts, tooCarved: [...tooCarved] };
}

/** [lowest source, highest source, lowest destination, highest destination] of a packet set. */
function bounds(set: PacketSet): [number, number, number, number] {
    let box: [number, number, number, number] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const cube of set.cubes) {
        const src = cube.src.intervals;
        const dst = cube.dst.intervals;
        box = [
            Math.min(box[0], src[0][0]),
            Math.max(box[1], src[src.length - 1][1]),
            Math.min(box[2], dst[0][0]),
            Math.max(box[3], dst[dst.length - 1][1])
        ];
    }
    return box;
}
