/** Where the twin's addresses live: the places traffic enters and leaves the network. */
import { compareBounds, IntervalSet, type Bound } from '../net/interval-set.js';
import { lastAddress, prefixRange } from '../net/ipv4.js';
import { IPV6, type Addresses } from '../net/family.js';
import type { Twin, TwinDevice } from './model.js';

/**
 * A place addresses live at: each segment and external at its attachment interface (an edge of
 * the network, where a host may send any packet at all), each device on itself.
 */
export interface Place {
    device: string;
    /** The attachment interface; none for a device. */
    interface?: string;
    /** Every address that lives here: a segment's prefix, an external's space and peer, a device's own addresses. */
    space: IntervalSet;
    /**
     * The addresses something here may send from and be reached at: a segment's prefix without
     * its network and broadcast addresses and the routers' own; an external's space and peer; a
     * device's own addresses. The edge drops packets from any other source (anti-spoofing).
     */
    hosts: IntervalSet;
    /** The same in IPv6: a segment's prefix without its subnet-router anycast address and the routers' own. */
    hosts6: IntervalSet<bigint>;
    /** Addresses that packets sent from here reach without crossing a router (its space less the routers'). */
    local: IntervalSet;
    /** `space` and `local` in IPv6. */
    space6: IntervalSet<bigint>;
    local6: IntervalSet<bigint>;
    name: string;
    kind: 'segment' | 'external' | 'device';
}

/** A place's hosts of both families. */
export function hostsOf(place: Place): Addresses {
    return { v4: place.hosts, v6: place.hosts6 };
}

/** A place's space of both families. */
export function spaceOf(place: Place): Addresses {
    return { v4: place.space, v6: place.space6 };
}

/**
 * Whether an endpoint's addresses of one family name a place: a segment or external by any of its
 * addresses, a device only whole (a segment's prefix holds its gateway, but does not name the
 * router).
 */
function namesPlaceIn<A extends Bound>(addresses: IntervalSet<A>, space: IntervalSet<A>, place: Place): boolean {
    if (place.kind !== 'device') return space.intersects(addresses);
    return !space.isEmpty() && addresses.contains(space);
}

/**
 * Items' address intervals of one family sorted by start, each with the furthest end up to it
 * (items overlap — a gateway is a segment's and a device's — so reaches, not ends, are in order).
 */
class FamilyIndex<A extends Bound, T> {
    private readonly entries: Array<{ lo: A; hi: A; reach: A; item: T }>;

    constructor(items: readonly T[], space: (item: T) => IntervalSet<A>) {
        const intervals = items
            .flatMap(item => space(item).intervals.map(([lo, hi]) => ({ lo, hi, item })))
            .sort((a, b) => compareBounds(a.lo, b.lo) || compareBounds(a.hi, b.hi));
        let reach: A | undefined;
        this.entries = intervals.map(entry => {
            reach = reach === undefined || entry.hi > reach ? entry.hi : reach;
            return { ...entry, reach };
        });
    }

    meeting(addresses: IntervalSet<A>, into: Set<T>): void {
        const entries = this.entries;
        for (const [lo, hi] of addresses.intervals) {
            // The first interval whose reach gets to lo.
            let low = 0;
            let high = entries.length;
            while (low < high) {
                const mid = (low + high) >> 1;
                if (entries[mid].reach < lo) low = mid + 1;
                else high = mid;
            }
            for (let i = low; i < entries.length && entries[i].lo <= hi; i++)
                if (entries[i].hi >= lo) into.add(entries[i].item);
        }
    }
}

/** Items (places, interfaces' subnets) found by their addresses of either family without trying each. */
export class AddressIndex<T> {
    private readonly v4: FamilyIndex<number, T>;
    private readonly v6: FamilyIndex<bigint, T>;

    constructor(items: readonly T[], addresses: (item: T) => Addresses) {
        this.v4 = new FamilyIndex(items, item => addresses(item).v4);
        this.v6 = new FamilyIndex(items, item => addresses(item).v6);
    }

    /** The items whose addresses meet these, in either family. */
    meeting(addresses: Addresses): Set<T> {
        const meeting = new Set<T>();
        this.v4.meeting(addresses.v4, meeting);
        this.v6.meeting(addresses.v6, meeting);
        return meeting;
    }
}

/** Places found by their addresses of either family without trying each. */
export class PlaceIndex {
    private readonly index: AddressIndex<Place>;

    constructor(readonly places: readonly Place[]) {
        this.index = new AddressIndex(places, spaceOf);
    }

    /** The places whose space meets these addresses, in either family. */
    meeting(addresses: Addresses): Set<Place> {
        return this.index.meeting(addresses);
    }

    /** The places these IPv4 addresses name (a segment or external by any address, a device only whole), in the order of `places`. */
    named(addresses: IntervalSet): Place[] {
        const meeting = this.meeting({ v4: addresses, v6: IntervalSet.EMPTY6 });
        return this.places.filter(p => meeting.has(p) && namesPlaceIn(addresses, p.space, p));
    }

    /** The places addresses of both families name, in either family, in the order of `places`. */
    namedBy(addresses: Addresses): Place[] {
        const meeting = this.meeting(addresses);
        return this.places.filter(
            p => meeting.has(p) && (namesPlaceIn(addresses.v4, p.space, p) || namesPlaceIn(addresses.v6, p.space6, p))
        );
    }
}

const placesOfTwin = new WeakMap<Twin, Place[]>();
const indexOfTwin = new WeakMap<Twin, PlaceIndex>();

/** The index of placesOf(twin), made once per twin. */
export function placeIndexOf(twin: Twin): PlaceIndex {
    let index = indexOfTwin.get(twin);
    if (!index) indexOfTwin.set(twin, (index = new PlaceIndex(placesOf(twin))));
    return index;
}

/**
 * `routers`: every address a device owns, of both families; by default as the twin assigns them
 * (the places of a twin so are worked out once: a loaded twin does not change).
 */
export function placesOf(twin: Twin, routers?: Addresses): Place[] {
    if (routers) return findPlaces(twin, routers);
    let places = placesOfTwin.get(twin);
    if (!places)
        placesOfTwin.set(twin, (places = findPlaces(twin, { v4: routerAddresses(twin), v6: routerAddresses6(twin) })));
    return places;
}

function findPlaces(twin: Twin, { v4: routers, v6: routers6 }: Addresses): Place[] {
    const places: Place[] = [];
    // Every attached segment is an edge, an IPv6-only one too: a host there can still send IPv4,
    // from any source, and none of it is its own.
    for (const segment of twin.segments.values()) {
        if (!segment.attach) continue;
        const prefix = segment.prefix;
        const space = prefix ? prefixRange(prefix) : IntervalSet.EMPTY;
        const hosts = prefix
            ? space
                  .subtract(
                      IntervalSet.fromIntervals([
                          [prefix.network, prefix.network],
                          [lastAddress(prefix), lastAddress(prefix)]
                      ])
                  )
                  .subtract(routers)
            : IntervalSet.EMPTY;
        const prefix6 = segment.prefix6;
        const space6 = prefix6 ? IPV6.range(prefix6) : IntervalSet.EMPTY6;
        const hosts6 = prefix6
            ? space6.subtract(IntervalSet.of(prefix6.network, prefix6.network)).subtract(routers6)
            : IntervalSet.EMPTY6;
        places.push({
            ...segment.attach,
            space,
            hosts,
            hosts6,
            local: space.subtract(routers),
            space6,
            local6: space6.subtract(routers6),
            name: `segment ${segment.name}`,
            kind: 'segment'
        });
    }
    for (const external of twin.externals.values()) {
        if (!external.attach) continue;
        const space =
            external.peer === undefined
                ? external.space
                : external.space.union(IntervalSet.of(external.peer, external.peer));
        const space6 =
            external.peer6 === undefined
                ? external.space6
                : external.space6.union(IntervalSet.of(external.peer6, external.peer6));
        places.push({
            ...external.attach,
            space,
            hosts: space,
            hosts6: space6,
            local: space,
            space6,
            local6: space6,
            name: `external ${external.name}`,
            kind: 'external'
        });
    }
    for (const device of twin.devices.values()) {
        const own = deviceAddresses(twin, device.name);
        const own6 = deviceAddresses6(twin, device.name);
        if (!own.isEmpty() || !own6.isEmpty())
            places.push({
                device: device.name,
                space: own,
                hosts: own,
                hosts6: own6,
                local: own,
                space6: own6,
                local6: own6,
                name: `device ${device.name}`,
                kind: 'device'
            });
    }
    return places;
}

/** A device's own addresses: its loopback and every interface address. */
export function deviceAddresses(twin: Twin, name: string): IntervalSet {
    const device = twin.devices.get(name);
    return device ? asSet(ownAddresses(device)) : IntervalSet.EMPTY;
}

/** Every address a device of the twin owns. */
export function routerAddresses(twin: Twin): IntervalSet {
    return asSet([...twin.devices.values()].flatMap(ownAddresses));
}

/** A device's own IPv6 addresses. */
export function deviceAddresses6(twin: Twin, name: string): IntervalSet<bigint> {
    const device = twin.devices.get(name);
    return device ? asSet(ownAddresses6(device)) : IntervalSet.EMPTY6;
}

/** Every IPv6 address a device of the twin owns. */
export function routerAddresses6(twin: Twin): IntervalSet<bigint> {
    return asSet([...twin.devices.values()].flatMap(ownAddresses6));
}

function ownAddresses(device: TwinDevice): number[] {
    const addresses = [...device.interfaces.values()].flatMap(i => (i.address === undefined ? [] : [i.address]));
    return device.loopback === undefined ? addresses : [...addresses, device.loopback];
}

function ownAddresses6(device: TwinDevice): bigint[] {
    const addresses = [...device.interfaces.values()].flatMap(i => (i.address6 === undefined ? [] : [i.address6]));
    return device.loopback6 === undefined ? addresses : [...addresses, device.loopback6];
}

function asSet<A extends Bound>(addresses: A[]): IntervalSet<A> {
    return IntervalSet.fromIntervals(addresses.map(a => [a, a] as const));
}
