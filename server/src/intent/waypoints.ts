/** Waypoints (`via`): each a set of devices of which a path passes one, in the order written. */

/** The index of the first waypoint a path of devices does not pass in order; -1 when it passes them all. */
export function missedWaypoint(devices: readonly string[], via: ReadonlyArray<readonly string[]>): number {
    let passed = 0;
    for (const device of devices) passed = waypointsPassed(passed, device, via);
    return passed === via.length ? -1 : passed;
}

/**
 * How many waypoints a path has passed in order after this device, `passed` before it: the device
 * passes the next ones it belongs to (one device may be several waypoints in a row). More passed
 * before never gives fewer after, so the fewest over many paths can be carried device by device.
 */
export function waypointsPassed(passed: number, device: string, via: ReadonlyArray<readonly string[]>): number {
    while (passed < via.length && via[passed].includes(device)) passed++;
    return passed;
}

/** "fw1", or "any of hub-r1, hub-r2". */
export function describeWaypoint(waypoint: readonly string[]): string {
    return waypoint.length === 1 ? waypoint[0] : `any of ${waypoint.join(', ')}`;
}
