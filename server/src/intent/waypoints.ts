/** Waypoints (`via`): each a set of devices of which a path passes one, in the order written. */

/** The index of the first waypoint a path of devices does not pass in order; -1 when it passes them all. */
export function missedWaypoint(devices: readonly string[], via: ReadonlyArray<readonly string[]>): number {
    let at = 0;
    for (let i = 0; i < via.length; i++) {
        const found = devices.findIndex((d, index) => index >= at && via[i].includes(d));
        if (found < 0) return i;
        at = found;
    }
    return -1;
}

/** "fw1", or "any of hub-r1, hub-r2". */
export function describeWaypoint(waypoint: readonly string[]): string {
    return waypoint.length === 1 ? waypoint[0] : `any of ${waypoint.join(', ')}`;
}
