/**
 * What `netintent lab` and a containerlab deploy of the compiled network add to the twin to test
 * it with, chosen the same way by both: a test host on each segment, and an external's answers.
 */
import type { IPv4Segment } from './model.js';

/** An external answers for the addresses it stands for with a local route per prefix, up to this many. */
export const MAX_LOCAL_ROUTES = 256;

/** The segment's test host: its first address that is neither the gateway nor a twin host's. */
export function testerAddress(segment: IPv4Segment, hosts: readonly number[]): number {
    const taken = new Set([segment.gateway, ...hosts]);
    let tester = segment.prefix.network + 1;
    while (taken.has(tester)) tester++;
    return tester;
}
