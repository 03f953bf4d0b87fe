/**
 * Address allocation from a twin's pools: a /31 (IPv4) and a /127 (IPv6, RFC 6164) for each link
 * without a subnet of that family, the addresses of each link's two interfaces, a loopback (/32,
 * /128) for each device without one; every block taken is one no address in use overlaps. A
 * missing or too small IPv4 pool is an error at the YAML line; IPv6 is given only where the twin
 * has IPv6 pools (an IPv4-only twin stays IPv4-only).
 */
import type { Diagnostic, SourceLocation } from '../common/diagnostic.js';
import { IPV4, IPV6, type AddressFamily } from '../net/family.js';
import { IntervalSet, type Bound } from '../net/interval-set.js';
import type { Prefix } from '../net/ipv4.js';
import type { Prefix6 } from '../net/ipv6.js';
import { linkName, type Twin, type TwinLink } from './model.js';

/** A range of addresses in use: what uses it, and where that is written. */
export interface AddressUse<A extends Bound = number> {
    range: IntervalSet<A>;
    what: string;
    location: SourceLocation;
}

/** A pool of the twin, and where it is written. */
export interface Pool<P = Prefix> {
    prefix: P;
    location: SourceLocation;
}

export interface Pools {
    links?: Pool;
    loopbacks?: Pool;
    links6?: Pool<Prefix6>;
    loopbacks6?: Pool<Prefix6>;
}

/** What allocation reads and adds to: the twin, the addresses in use (per family), the diagnostics. */
export interface AddressBook {
    twin: Twin;
    uses: AddressUse[];
    uses6: AddressUse<bigint>[];
    diagnostics: Diagnostic[];
}

/** Link subnets, then the links' interfaces, then loopbacks; IPv4, then IPv6. */
export function allocateAddresses(book: AddressBook, pools: Pools): void {
    const { twin } = book;
    allocateFrom(book, IPV4, book.uses, pools.links, {
        pool: 'links',
        length: 31,
        needing: twin.links.filter(l => !l.subnet),
        missing: n =>
            `${n} link(s) have no 'subnet:' and the twin has no pool to take one from; add 'pools: { links: 10.0.0.0/16 }' or a subnet to each link.`,
        shortage: 'a /31 for each link without a subnet',
        assign: (link, network, range) => {
            link.subnet = { network, length: 31 };
            book.uses.push({ range, what: `link ${linkName(link)}`, location: link.location });
        }
    });
    if (pools.links6) {
        allocateFrom(book, IPV6, book.uses6, pools.links6, {
            pool: 'links6',
            length: 127,
            needing: twin.links.filter(l => !l.subnet6),
            shortage: 'a /127 for each link without a subnet6',
            assign: (link, network, range) => {
                link.subnet6 = { network, length: 127 };
                book.uses6.push({ range, what: `link ${linkName(link)}`, location: link.location });
            }
        });
    }
    for (const link of twin.links) addressLinkInterfaces(twin, link);
    if (pools.loopbacks) twin.loopbackPool = pools.loopbacks.prefix;
    allocateFrom(book, IPV4, book.uses, pools.loopbacks, {
        pool: 'loopbacks',
        length: 32,
        needing: [...twin.devices.values()].filter(d => d.loopback === undefined),
        missing: n =>
            `${n} device(s) have no 'loopback:' and the twin has no pool to take one from; add 'pools: { loopbacks: 10.255.0.0/24 }' or a loopback to each device.`,
        shortage: 'an address for each device without a loopback',
        assign: (device, address, range) => {
            device.loopback = address;
            book.uses.push({ range, what: `loopback of ${device.name}`, location: device.location });
        }
    });
    if (pools.loopbacks6) {
        twin.loopbackPool6 = pools.loopbacks6.prefix;
        allocateFrom(book, IPV6, book.uses6, pools.loopbacks6, {
            pool: 'loopbacks6',
            length: 128,
            needing: [...twin.devices.values()].filter(d => d.loopback6 === undefined),
            shortage: 'an address for each device without an IPv6 loopback',
            assign: (device, address, range) => {
                device.loopback6 = address;
                book.uses6.push({ range, what: `IPv6 loopback of ${device.name}`, location: device.location });
            }
        });
    }
}

/** Gives each thing that needs one a block of the pool, in order; reports a missing or small pool. */
function allocateFrom<
    T extends { location: SourceLocation },
    A extends Bound,
    P extends { network: A; length: number }
>(
    book: AddressBook,
    family: AddressFamily<A, P>,
    uses: readonly AddressUse<A>[],
    pool: Pool<P> | undefined,
    request: {
        pool: string;
        length: number;
        needing: T[];
        missing?: (count: number) => string;
        shortage: string;
        assign: (item: T, block: A, range: IntervalSet<A>) => void;
    }
): void {
    const { needing } = request;
    if (needing.length === 0) return;
    if (!pool) {
        if (request.missing)
            book.diagnostics.push({
                ...needing[0].location,
                severity: 'error',
                code: 'pool',
                message: request.missing(needing.length)
            });
        return;
    }
    const blocks = freeBlocks(family, uses, pool.prefix, request.length, needing.length);
    blocks.forEach((block, i) => request.assign(needing[i], block.network, family.range(block)));
    if (blocks.length < needing.length) {
        book.diagnostics.push({
            ...pool.location,
            severity: 'error',
            code: 'pool',
            message: `pools.${request.pool} ${family.format(pool.prefix)} is too small: ${request.shortage} needs ${needing.length}, only ${blocks.length} are free. Use a larger prefix.`
        });
    }
}

function addressLinkInterfaces(twin: Twin, link: TwinLink): void {
    const ends = [link.a, link.b].map(end => twin.devices.get(end.device)?.interfaces.get(end.interface));
    if (link.subnet) {
        const { network, length } = link.subnet;
        // A /31 has no network or broadcast address (RFC 3021); a longer subnet's hosts start past its network.
        const first = length === 31 ? network : network + 1;
        ends.forEach((iface, i) => {
            if (!iface) return;
            iface.address = first + i;
            iface.prefixLength = length;
        });
    }
    if (link.subnet6) {
        const { network, length } = link.subnet6;
        // A /127 uses both its addresses (RFC 6164); a shorter subnet skips the Subnet-Router anycast address.
        const first = length === 127 ? network : network + 1n;
        ends.forEach((iface, i) => {
            if (!iface) return;
            iface.address6 = first + BigInt(i);
            iface.prefixLength6 = length;
        });
    }
}

/**
 * The first `count` free blocks of `length` (a pool's full length or one bit less: single
 * addresses, or pairs) in the pool, skipping every address in use range by range, not block by
 * block (an IPv6 pool has more blocks than could be counted).
 */
function freeBlocks<A extends Bound, P extends { network: A; length: number }>(
    family: AddressFamily<A, P>,
    uses: readonly AddressUse<A>[],
    pool: P,
    length: number,
    count: number
): P[] {
    const used = IntervalSet.fromIntervals<A>(uses.flatMap(u => u.range.intervals)).intersect(family.range(pool));
    const step = 2 ** (family.bits - length);
    const aligned = (address: A) => (step === 2 && BigInt(address) % 2n === 1n ? family.add(address, 1) : address);
    // Single addresses skip the pool's own network address (10.255.0.0 is nobody's loopback).
    let block = length === family.bits && pool.length < family.bits - 1 ? family.add(pool.network, 1) : pool.network;
    const last = family.last(pool);
    const out: P[] = [];
    let next = 0;
    while (out.length < count) {
        const candidate = { network: block, length } as P;
        if (family.last(candidate) > last) break;
        while (next < used.intervals.length && used.intervals[next][1] < block) next++;
        const taken = used.intervals[next];
        if (taken && taken[0] <= family.last(candidate)) {
            block = aligned(family.add(taken[1], 1));
        } else {
            out.push(candidate);
            block = family.add(block, step);
        }
    }
    return out;
}
