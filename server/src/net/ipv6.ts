/**
 * IPv6 addresses as unsigned 128-bit bigints, prefixes, and their text forms: every form of
 * RFC 4291 is read (compressed, with an embedded IPv4 address), and addresses are written in the
 * canonical form of RFC 5952 (lower case, no leading zeros, the longest run of zero groups — the
 * first of equal runs, two groups or more — as ::, an IPv4-mapped address with its IPv4 part).
 */
import ipaddr from 'ipaddr.js';
import { IntervalSet } from './interval-set.js';
import { formatAddress } from './ipv4.js';

export interface Prefix6 {
    /** Network address (host bits cleared). */
    readonly network: bigint;
    readonly length: number;
}

const ALL_ONES = (1n << 128n) - 1n;
export const ALL_ADDRESSES6 = IntervalSet.of(0n, ALL_ONES);
/** fe80::/10: each link's own addresses. */
export const LINK_LOCAL6 = IntervalSet.of(0xfe80n << 112n, (0xfebfn << 112n) | ((1n << 112n) - 1n));
/** ff00::/8 (netintent routes no multicast). */
export const MULTICAST6 = IntervalSet.of(0xffn << 120n, ALL_ONES);
/**
 * The addresses no router forwards packets to or from: link-local ones (RFC 4291: they never
 * leave their link), multicast (no multicast routing), the unspecified address and the loopback.
 */
export const NOT_FORWARDED6 = LINK_LOCAL6.union(MULTICAST6).union(IntervalSet.of(0n, 1n));

/** The address of an IPv6 text form, or undefined (a zone, `%eth0`, is no address of a twin). */
export function parseAddress6(text: string): bigint | undefined {
    if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
    return ipaddr.IPv6.parse(text).parts.reduce((value, part) => (value << 16n) | BigInt(part), 0n);
}

export function formatAddress6(address: bigint): string {
    const parts = Array.from({ length: 8 }, (_, i) => Number((address >> BigInt(112 - 16 * i)) & 0xffffn));
    if (parts.slice(0, 5).every(p => p === 0) && parts[5] === 0xffff) {
        return `::ffff:${formatAddress(Number(address & 0xffffffffn))}`;
    }
    return new ipaddr.IPv6(parts).toRFC5952String();
}

/** The mask of each prefix length, computed once: lookups mask addresses millions of times. */
const MASKS6 = Array.from({ length: 129 }, (_, length) =>
    length === 0 ? 0n : (ALL_ONES << BigInt(128 - length)) & ALL_ONES
);

export function prefixMask6(length: number): bigint {
    return MASKS6[length];
}

export interface ParsedPrefix6 {
    prefix: Prefix6;
    /** The address as written, when it had host bits set (2001:db8::5/64). */
    hostBitsSet: boolean;
}

/** Parses "address/len" (or a bare address, as a /128 when `bareIsHost`). */
export function parsePrefix6(text: string, bareIsHost = true): ParsedPrefix6 | undefined {
    const slash = text.indexOf('/');
    const addressText = slash < 0 ? text : text.slice(0, slash);
    const lengthText = slash < 0 ? (bareIsHost ? '128' : '') : text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText)) return undefined;
    const length = Number(lengthText);
    const address = parseAddress6(addressText);
    if (address === undefined || length > 128) return undefined;
    const network = address & prefixMask6(length);
    return { prefix: { network, length }, hostBitsSet: network !== address };
}

export function formatPrefix6(prefix: Prefix6): string {
    return `${formatAddress6(prefix.network)}/${prefix.length}`;
}

export function lastAddress6(prefix: Prefix6): bigint {
    return prefix.network | (~prefixMask6(prefix.length) & ALL_ONES);
}

export function prefixContains6(prefix: Prefix6, address: bigint): boolean {
    return (address & prefixMask6(prefix.length)) === prefix.network;
}

/** An address range as a prefix where it is one ("2001:db8::/32"), else as "a-b". */
export function formatRange6(lo: bigint, hi: bigint): string {
    if (lo === hi) return formatAddress6(lo);
    const size = hi - lo + 1n;
    const bits = size.toString(2).length - 1;
    if (size === 1n << BigInt(bits) && lo % size === 0n) return `${formatAddress6(lo)}/${128 - bits}`;
    return `${formatAddress6(lo)}-${formatAddress6(hi)}`;
}

/** The prefixes that make up an address set, largest first within each range; at most `limit`. */
export function prefixesOf6(set: IntervalSet<bigint>, limit: number): Prefix6[] {
    const out: Prefix6[] = [];
    for (const [lo, hi] of set.intervals) {
        let start = lo;
        while (start <= hi && out.length < limit) {
            // The largest aligned block that starts here and ends by hi.
            let length = 0;
            while (
                length < 128 &&
                ((start & ~prefixMask6(length) & ALL_ONES) !== 0n || lastAddress6({ network: start, length }) > hi)
            )
                length++;
            out.push({ network: start, length });
            start = lastAddress6({ network: start, length }) + 1n;
        }
    }
    return out;
}
