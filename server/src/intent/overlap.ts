/**
 * Overlap between allows and denies (docs/language.md): where both match some packets, the strictly
 * more specific statement wins and takes those packets from the other; where neither contains
 * the other (or they are equal) it is a conflict, reported with one packet both match.
 */
import type { Bound } from '../net/interval-set.js';
import type { Cube, PacketSet } from '../net/packet-set.js';
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
        const { cubes, cubes6 } = requirement.effective;
        if (cubes.length + cubes6.length > MAX_PARTS) tooCarved.add(requirement);
    };
    const box = new Map(requirements.map(r => [r, [bounds(r.packets.cubes), bounds(r.packets.cubes6)] as const]));
    for (const allow of allows) {
        const [a, a6] = box.get(allow)!;
        for (const deny of denies) {
            // Most pairs are apart already by the span of their addresses (in each family): no need to intersect.
            const [d, d6] = box.get(deny)!;
            if (apart(a, d) && apart(a6, d6)) continue;
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

/** [lowest source, highest source, lowest destination, highest destination] of one family's cubes; none when there are none. */
type Box<A extends Bound> = readonly [A, A, A, A] | undefined;

function bounds<A extends Bound>(cubes: readonly Cube<A>[]): Box<A> {
    let box: Box<A>;
    for (const { src, dst } of cubes) {
        const srcLo = src.first();
        const srcHi = src.intervals[src.intervals.length - 1][1];
        const dstLo = dst.first();
        const dstHi = dst.intervals[dst.intervals.length - 1][1];
        box = box
            ? [
                  srcLo < box[0] ? srcLo : box[0],
                  srcHi > box[1] ? srcHi : box[1],
                  dstLo < box[2] ? dstLo : box[2],
                  dstHi > box[3] ? dstHi : box[3]
              ]
            : [srcLo, srcHi, dstLo, dstHi];
    }
    return box;
}

/** Whether two boxes share no source or no destination address (an absent box shares nothing). */
function apart<A extends Bound>(a: Box<A>, d: Box<A>): boolean {
    return !a || !d || a[1] < d[0] || d[1] < a[0] || a[3] < d[2] || d[3] < a[2];
}
