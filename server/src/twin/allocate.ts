/**
 * Address allocation from a twin's pools: a /31 for each link without a subnet, the addresses of
 * each link's two interfaces, a loopback for each device without one; every block taken is one
 * no address in use overlaps. A missing or too small pool is an error at the YAML line.
 */
import type { Diagnostic, SourceLocation } from '../common/diagnostic.js';
import { IntervalSet } from '../net/interval-set.js';
import { formatPrefix, lastAddress, prefixRange, type Prefix } from '../net/ipv4.js';
import { linkName, type Twin, type TwinLink } from './model.js';

/** A range of addresses in use: what uses it, and where that is written. */
export interface AddressUse {
    range: IntervalSet;
    what: string;
    location: SourceLocation;
}

/** A pool of the twin, and where it is written. */
export interface Pool {
    prefix: Prefix;
    location: SourceLocation;
}

/** What allocation reads and adds to: the twin, the addresses in use, the diagnostics. */
export interface AddressBook {
    twin: Twin;
    uses: AddressUse[];
    diagnostics: Diagnostic[];
}

/** Link subnets, then the links' interfaces, then loopbacks. */
export function allocateAddresses(book: AddressBook, linkPool: Pool | undefined, loopbackPool: Pool | undefined): void {
    allocateLinkSubnets(book, linkPool);
    for (const link of book.twin.links) addressLinkInterfaces(book.twin, link);
    allocateLoopbacks(book, loopbackPool);
}

function use(book: AddressBook, range: IntervalSet, what: string, location: SourceLocation): void {
    book.uses.push({ range, what, location });
}

function allocateLinkSubnets(book: AddressBook, linkPool: Pool | undefined): void {
    allocateFrom(book, linkPool, {
        pool: 'links',
        length: 31,
        needing: book.twin.links.filter(l => !l.subnet),
        missing: n =>
            `${n} link(s) have no 'subnet:' and the twin has no pool to take one from; add 'pools: { links: 10.0.0.0/16 }' or a subnet to each link.`,
        shortage: 'a /31 for each link without a subnet',
        assign: (link, network) => {
            link.subnet = { network, length: 31 };
            use(book, prefixRange(link.subnet), `link ${linkName(link)}`, link.location);
        }
    });
}

function allocateLoopbacks(book: AddressBook, loopbackPool: Pool | undefined): void {
    if (loopbackPool) book.twin.loopbackPool = loopbackPool.prefix;
    allocateFrom(book, loopbackPool, {
        pool: 'loopbacks',
        length: 32,
        needing: [...book.twin.devices.values()].filter(d => d.loopback === undefined),
        missing: n =>
            `${n} device(s) have no 'loopback:' and the twin has no pool to take one from; add 'pools: { loopbacks: 10.255.0.0/24 }' or a loopback to each device.`,
        shortage: 'an address for each device without a loopback',
        assign: (device, address) => {
            device.loopback = address;
            use(book, IntervalSet.of(address, address), `loopback of ${device.name}`, device.location);
        }
    });
}

/** Gives each thing that needs one a block of the pool, in order; reports a missing or small pool. */
function allocateFrom<T extends { location: SourceLocation }>(
    book: AddressBook,
    pool: Pool | undefined,
    request: {
        pool: string;
        length: number;
        needing: T[];
        missing: (count: number) => string;
        shortage: string;
        assign: (item: T, block: number) => void;
    }
): void {
    const { needing } = request;
    if (needing.length === 0) return;
    if (!pool) {
        book.diagnostics.push({
            ...needing[0].location,
            severity: 'error',
            code: 'pool',
            message: request.missing(needing.length)
        });
        return;
    }
    const blocks = freeBlocks(book.uses, pool.prefix, request.length, needing.length);
    blocks.forEach((block, i) => request.assign(needing[i], block));
    if (blocks.length < needing.length) {
        book.diagnostics.push({
            ...pool.location,
            severity: 'error',
            code: 'pool',
            message: `pools.${request.pool} ${formatPrefix(pool.prefix)} is too small: ${request.shortage} needs ${needing.length}, only ${blocks.length} are free. Use a larger prefix.`
        });
    }
}

function addressLinkInterfaces(twin: Twin, link: TwinLink): void {
    if (!link.subnet) return;
    const first = link.subnet.length === 31 ? link.subnet.network : link.subnet.network + 1;
    const ends = [link.a, link.b];
    ends.forEach((end, i) => {
        const iface = twin.devices.get(end.device)?.interfaces.get(end.interface);
        if (iface) {
            iface.address = first + i;
            iface.prefixLength = link.subnet!.length;
        }
    });
}

/** The first `count` free blocks of `length` in the pool, skipping every address in use. */
function freeBlocks(uses: readonly AddressUse[], pool: Prefix, length: number, count: number): number[] {
    const used = IntervalSet.fromIntervals(uses.flatMap(u => u.range.intervals));
    const step = 2 ** (32 - length);
    // Single addresses skip the pool's own network address (10.255.0.0 is nobody's loopback).
    const start = length === 32 && pool.length < 31 ? pool.network + 1 : pool.network;
    const out: number[] = [];
    for (let block = start; block + step - 1 <= lastAddress(pool) && out.length < count; block += step) {
        if (!used.intersects(IntervalSet.of(block, block + step - 1))) out.push(block);
    }
    return out;
}
