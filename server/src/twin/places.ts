/** Where the twin's addresses live: the places traffic enters and leaves the network. */
import { IntervalSet } from '../net/interval-set.js';
import { prefixRange } from '../net/ipv4.js';
import type { Twin } from './model.js';

/**
 * A place addresses live at: each segment and external at its attachment interface, each device's
 * loopback on the device itself.
 */
export interface Place {
    device: string;
    /** The attachment interface; none for a loopback. */
    interface?: string;
    space: IntervalSet;
    name: string;
}

export function placesOf(twin: Twin): Place[] {
    const places: Place[] = [];
    for (const segment of twin.segments.values()) {
        if (segment.attach) places.push({ ...segment.attach, space: prefixRange(segment.prefix), name: `segment ${segment.name}` });
    }
    for (const external of twin.externals.values()) {
        if (external.attach) places.push({ ...external.attach, space: external.space, name: `external ${external.name}` });
    }
    for (const device of twin.devices.values()) {
        if (device.loopback !== undefined) places.push({ device: device.name, space: IntervalSet.of(device.loopback, device.loopback), name: `device ${device.name}` });
    }
    return places;
}
