/** What changed between two loads of a twin, where the later stages can take an edit as such. */
import { contentKey } from '../common/content-key.js';
import type { Twin } from './model.js';

const WITHOUT_COSTS = new Set(['location', 'cost']);

/** Each twin's content without link costs and source positions, as compared below (computed once). */
const costless = new WeakMap<Twin, string>();

function withoutCosts(twin: Twin): string {
    let text = costless.get(twin);
    if (text === undefined) {
        text = contentKey(twin, WITHOUT_COSTS);
        costless.set(twin, text);
    }
    return text;
}

/**
 * The indexes of the links whose cost is all that changed from `before` to `after`; undefined
 * where anything else differs (a device, an address, a link added, a latency) — an edit the
 * later stages then take as a new twin.
 */
export function linkCostEdits(before: Twin, after: Twin): number[] | undefined {
    if (before.links.length !== after.links.length || withoutCosts(before) !== withoutCosts(after)) return undefined;
    return after.links.flatMap((link, i) => (link.cost === before.links[i].cost ? [] : [i]));
}
