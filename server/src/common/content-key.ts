/**
 * A value as text, for telling by content whether something changed (cache keys, edits): JSON,
 * with what JSON cannot hold written out — bigints (IPv6 addresses) as `<digits>n`, maps and sets
 * as their entries. Properties named in `omit` are left out.
 */
export function contentKey(value: unknown, omit?: ReadonlySet<string>): string {
    return JSON.stringify(value, (key, item: unknown) => {
        if (omit?.has(key)) return undefined;
        if (typeof item === 'bigint') return `${item}n`;
        if (item instanceof Map || item instanceof Set) return [...item];
        return item;
    });
}
