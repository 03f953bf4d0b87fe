/**
 * "Did you mean …": the known name nearest to a misspelt one. Bounded whatever it is given: a
 * name (or candidate) longer than MAX_LENGTH is not compared, the edit distance is computed only
 * up to the largest distance that could still be suggested, and at most MAX_CANDIDATES are read.
 */

/** As long as a name may be in an intent file or a twin; anything longer is no typo of one. */
const MAX_LENGTH = 64;
/** Candidates compared per name: enough for a twin's names, bounded for a name that is unknown everywhere. */
const MAX_CANDIDATES = 1_000;

/**
 * Edit distance (insert, delete, substitute, swap of neighbours), computed only within `limit`
 * of the diagonal: O(length × limit) time and O(length) memory. A distance over `limit` is
 * returned as `limit + 1`.
 */
export function editDistance(a: string, b: string, limit = Math.max(a.length, b.length)): number {
    const over = limit + 1;
    if (Math.abs(a.length - b.length) > limit) return over;
    // Three rows: the two before, for a swap, and the current one.
    let before = new Array<number>(b.length + 1).fill(over);
    let previous = Array.from({ length: b.length + 1 }, (_, j) => Math.min(j, over));
    let current = new Array<number>(b.length + 1);
    for (let i = 1; i <= a.length; i++) {
        current.fill(over);
        current[0] = Math.min(i, over);
        let best = current[0];
        for (let j = Math.max(1, i - limit); j <= Math.min(b.length, i + limit); j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
            current[j] = Math.min(d, over);
            best = Math.min(best, current[j]);
        }
        // Every cell of the row is over the limit: so is every cell below it.
        if (best > limit) return over;
        [before, previous, current] = [previous, current, before];
    }
    return previous[b.length];
}

/**
 * The candidate closest to `name`, if it is close enough to be a plausible typo
 * (at most a third of the name's letters wrong, and at least one letter right).
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
    if (name.length > MAX_LENGTH) return undefined;
    const limit = Math.max(1, Math.ceil(name.length / 3));
    let best: string | undefined;
    let bestDistance = Infinity;
    const lower = name.toLowerCase();
    let read = 0;
    for (const candidate of candidates) {
        if (++read > MAX_CANDIDATES) break;
        if (candidate.length > MAX_LENGTH) continue;
        // Only a distance that can still win (or tie) matters.
        const distance = editDistance(lower, candidate.toLowerCase(), Math.min(limit, bestDistance));
        if (distance > limit) continue;
        if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best !== undefined && bestDistance < Math.max(name.length, best.length) ? best : undefined;
}

/** " Did you mean 'x'?" or "" — for appending to a message. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
    return suggesting(nearestName(name, candidates));
}

/** " Did you mean 'x'?" for a name found by nearestName, or "" for none. */
export function suggesting(nearest: string | undefined): string {
    return nearest === undefined ? '' : ` Did you mean '${nearest}'?`;
}
