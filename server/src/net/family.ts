/**
 * The two address families behind one interface, for what treats them alike (allocation from
 * pools, overlaps, the space of externals, text in either form): IPv4 addresses are numbers,
 * IPv6 addresses bigints.
 */
import { IntervalSet, type Bound } from './interval-set.js';
import {
    formatAddress,
    formatPrefix,
    formatRange,
    lastAddress,
    parseAddress,
    parsePrefix,
    prefixContains,
    prefixRange,
    type Prefix
} from './ipv4.js';
import {
    formatAddress6,
    formatPrefix6,
    formatRange6,
    lastAddress6,
    parseAddress6,
    parsePrefix6,
    prefixContains6,
    type Prefix6
} from './ipv6.js';
import type { Family } from './packet-set.js';

export interface AddressFamily<A extends Bound, P extends { readonly network: A; readonly length: number }> {
    readonly family: Family;
    readonly name: 'IPv4' | 'IPv6';
    readonly bits: number;
    /** Text of an example prefix and address, for messages. */
    readonly example: { prefix: string; address: string };
    range(prefix: P): IntervalSet<A>;
    last(prefix: P): A;
    contains(prefix: P, address: A): boolean;
    /** `address + n`. */
    add(address: A, n: number): A;
    /** How many addresses a prefix of this length holds. */
    size(length: number): A;
    format(prefix: P): string;
    formatAddress(address: A): string;
    /** A range as a prefix where it is one, else as `lo-hi`. */
    formatRange(lo: A, hi: A): string;
    parseAddress(text: string): A | undefined;
    /** A prefix, or a bare address as a host prefix. */
    parsePrefix(text: string): P | undefined;
}

export const IPV4: AddressFamily<number, Prefix> = {
    family: 4,
    name: 'IPv4',
    bits: 32,
    example: { prefix: '10.1.0.0/16', address: '10.1.0.1' },
    range: prefixRange,
    last: lastAddress,
    contains: prefixContains,
    add: (address, n) => address + n,
    size: length => 2 ** (32 - length),
    format: formatPrefix,
    formatAddress,
    formatRange,
    parseAddress,
    parsePrefix: text => parsePrefix(text)?.prefix
};

export const IPV6: AddressFamily<bigint, Prefix6> = {
    family: 6,
    name: 'IPv6',
    bits: 128,
    example: { prefix: '2001:db8:1::/64', address: '2001:db8:1::1' },
    range: prefix => IntervalSet.of(prefix.network, lastAddress6(prefix)),
    last: lastAddress6,
    contains: prefixContains6,
    add: (address, n) => address + BigInt(n),
    size: length => 1n << BigInt(128 - length),
    format: formatPrefix6,
    formatAddress: formatAddress6,
    formatRange: formatRange6,
    parseAddress: parseAddress6,
    parsePrefix: text => parsePrefix6(text)?.prefix
};

/** An address range as nft and people write it: `lo-hi`, a prefix, or one address. */
export function parseRange<A extends Bound, P extends { readonly network: A; readonly length: number }>(
    family: AddressFamily<A, P>,
    text: string
): readonly [A, A] | undefined {
    const dash = text.indexOf('-');
    if (dash > 0) {
        const lo = family.parseAddress(text.slice(0, dash));
        const hi = family.parseAddress(text.slice(dash + 1));
        return lo !== undefined && hi !== undefined && lo <= hi ? [lo, hi] : undefined;
    }
    const prefix = family.parsePrefix(text);
    return prefix && [prefix.network, family.last(prefix)];
}

/** An address of either family, as written. */
export type AnyAddress = { family: 4; address: number } | { family: 6; address: bigint };

/** A prefix of either family, as written (a bare address is a host prefix when `bareIsHost`). */
export type AnyPrefix =
    | { family: 4; prefix: Prefix; address: number; hostBitsSet: boolean }
    | { family: 6; prefix: Prefix6; address: bigint; hostBitsSet: boolean };

export function parseAnyAddress(text: string): AnyAddress | undefined {
    const v4 = parseAddress(text);
    if (v4 !== undefined) return { family: 4, address: v4 };
    const v6 = parseAddress6(text);
    return v6 === undefined ? undefined : { family: 6, address: v6 };
}

export function parseAnyPrefix(text: string, bareIsHost = true): AnyPrefix | undefined {
    const addressText = text.split('/')[0];
    const v4 = parsePrefix(text, bareIsHost);
    if (v4) return { family: 4, ...v4, address: parseAddress(addressText)! };
    const v6 = parsePrefix6(text, bareIsHost);
    return v6 && { family: 6, ...v6, address: parseAddress6(addressText)! };
}

/** Addresses of both families: what an endpoint of an intent stands for. */
export interface Addresses {
    readonly v4: IntervalSet;
    readonly v6: IntervalSet<bigint>;
}

export const NO_ADDRESSES: Addresses = { v4: IntervalSet.EMPTY, v6: IntervalSet.EMPTY6 };

export function unionAddresses(a: Addresses, b: Addresses): Addresses {
    return { v4: a.v4.union(b.v4), v6: a.v6.union(b.v6) };
}

export function intersectAddresses(a: Addresses, b: Addresses): Addresses {
    return { v4: a.v4.intersect(b.v4), v6: a.v6.intersect(b.v6) };
}

export function subtractAddresses(a: Addresses, b: Addresses): Addresses {
    return { v4: a.v4.subtract(b.v4), v6: a.v6.subtract(b.v6) };
}

export function addressesIntersect(a: Addresses, b: Addresses): boolean {
    return a.v4.intersects(b.v4) || a.v6.intersects(b.v6);
}

/** The addresses of one family (the other's left empty). */
export function inFamily(a: Addresses, family: Family): Addresses {
    return family === 4 ? { v4: a.v4, v6: IntervalSet.EMPTY6 } : { v4: IntervalSet.EMPTY, v6: a.v6 };
}

export function isEmptyAddresses(a: Addresses): boolean {
    return a.v4.isEmpty() && a.v6.isEmpty();
}

/** The first `limit` ranges of both families, IPv4 first, as prefixes where they are ("10.1.0.0/16, 2001:db8::/32, …"). */
export function describeAddresses(addresses: Addresses, limit: number): string {
    const ranges = [
        ...addresses.v4.intervals.map(([lo, hi]) => formatRange(lo, hi)),
        ...addresses.v6.intervals.map(([lo, hi]) => formatRange6(lo, hi))
    ];
    return ranges.slice(0, limit).join(', ') + (ranges.length > limit ? ', …' : '');
}
