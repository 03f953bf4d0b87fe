/**
 * Overlap between allows and denies (LANGUAGE.md): where both match some packets, the strictly
 * more specific statement wins and takes those packets from the other; where neither contains
 * the other (or they are equal) it is a conflict, reported with one packet both match.
 */
import type { Conflict, Requirement } from './model.js';

export function resolveOverlaps(requirements: readonly Requirement[]): Conflict[] {
    const allows = requirements.filter(r => r.kind === 'allow');
    const denies = requirements.filter(r => r.kind === 'deny' || r.kind === 'isolate');
    const conflicts: Conflict[] = [];
    for (const allow of allows) {
        for (const deny of denies) {
            const shared = allow.packets.intersect(deny.packets);
            if (shared.isEmpty()) continue;
            const allowInside = deny.packets.contains(allow.packets);
            const denyInside = allow.packets.contains(deny.packets);
            if (allowInside && !denyInside) {
                deny.effective = deny.effective.subtract(allow.packets);
            } else if (denyInside && !allowInside) {
                allow.effective = allow.effective.subtract(deny.packets);
            } else {
                conflicts.push({ allow, deny, witness: shared.witness()! });
            }
        }
    }
    return conflicts;
}
