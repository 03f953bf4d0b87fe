/** Durations as the twin and the language write them: microseconds inside, "1ms" or "500us" outside. */

/** "1ms", "500us", "0.5ms", "2s" → microseconds. */
export function parseDuration(text: string): number | undefined {
    const match = /^(\d+(?:\.\d+)?)\s*(us|ms|s)$/.exec(text.trim());
    if (!match) return undefined;
    const scale = { us: 1, ms: 1000, s: 1_000_000 }[match[2] as 'us' | 'ms' | 's'];
    return Math.round(Number(match[1]) * scale);
}

/** 2000 → "2ms", 500 → "500us". */
export function formatMicroseconds(us: number): string {
    return us % 1000 === 0 ? `${us / 1000}ms` : `${us}us`;
}
