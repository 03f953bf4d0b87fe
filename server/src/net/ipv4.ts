/** IPv4 addresses as unsigned 32-bit numbers, prefixes, and their text forms. */
import ipaddr from 'ipaddr.js';
import { IntervalSet } from './interval-set.js';

export interface Prefix {
    /** Network address (host bits cleared). */
    readonly network: number;
    readonly length: number;
}

export const ALL_ADDRESSES = IntervalSet.of(0, 0xffffffff);

export function parseAddress(text: string): number | undefined {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
    const [a, b, c, d] = ipaddr.IPv4.parse(text).octets;
    return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

export function formatAddress(address: number): string {
    return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

export function prefixMask(length: number): number {
    return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

export interface ParsedPrefix {
    prefix: Prefix;
    /** The address as written, when it had host bits set (10.1.1.5/24). */
    hostBitsSet: boolean;
}

/** Parses "a.b.c.d/len" (or a bare address, as a /32 when `bareIsHost`). */
export function parsePrefix(text: string, bareIsHost = true): ParsedPrefix | undefined {
    const slash = text.indexOf('/');
    const addressText = slash < 0 ? text : text.slice(0, slash);
    const lengthText = slash < 0 ? (bareIsHost ? '32' : '') : text.slice(slash + 1);
    if (!/^\d{1,2}$/.test(lengthText)) return undefined;
    const length = Number(lengthText);
    const address = parseAddress(addressText);
    if (address === undefined || length > 32) return undefined;
    const network = (address & prefixMask(length)) >>> 0;
    return { prefix: { network, length }, hostBitsSet: network !== address };
}

export function formatPrefix(prefix: Prefix): string {
    return `${formatAddress(prefix.network)}/${prefix.length}`;
}

export function prefixRange(prefix: Prefix): IntervalSet {
    return IntervalSet.of(prefix.network, lastAddress(prefix));
}

export function lastAddress(prefix: Prefix): number {
    return (prefix.network | ~prefixMask(prefix.length)) >>> 0;
}

export function prefixContains(prefix: Prefix, address: number): boolean {
    return (address & prefixMask(prefix.length)) >>> 0 === prefix.network;
}

export function prefixSize(prefix: Prefix): number {
    return 2 ** (32 - prefix.length);
}

/** An address range as a prefix where it is one ("10.1.0.0/16"), else as "a-b". */
export function formatRange(lo: number, hi: number): string {
    if (lo === hi) return formatAddress(lo);
    const size = hi - lo + 1;
    const length = 32 - Math.log2(size);
    if (Number.isInteger(length) && lo % size === 0) return `${formatAddress(lo)}/${length}`;
    return `${formatAddress(lo)}-${formatAddress(hi)}`;
}

/** The prefixes that make up an address set, largest first within each range; at most `limit`. */
export function prefixesOf(set: IntervalSet, limit: number): Prefix[] {
    const out: Prefix[] = [];
    for (const [lo, hi] of set.intervals) {
        let start = lo;
        while (start <= hi && out.length < limit) {
            // The largest aligned block that starts here and ends by hi.
            let length = 0;
            while (length < 32 && (start % 2 ** (32 - length) !== 0 || start + 2 ** (32 - length) - 1 > hi)) length++;
            out.push({ network: start, length });
            start = lastAddress({ network: start, length }) + 1;
            if (start > 0xffffffff) break;
        }
    }
    return out;
}
