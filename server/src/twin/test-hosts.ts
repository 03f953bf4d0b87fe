/**
 * What `netintent lab` and a containerlab deploy of the compiled network add to the twin to test
 * it with, chosen the same way by both: a test host on each segment, and an external's answers.
 */
import type { TwinHost, TwinSegment } from './model.js';

/** An external answers for the addresses it stands for with a local route per prefix, up to this many. */
export const MAX_LOCAL_ROUTES = 256;

/**
 * A segment's test host in one family: the first address of its prefix that is neither the
 * gateway nor a twin host's.
 */
export function testerAddress<A extends number | bigint>(network: A, gateway: A | undefined, hosts: readonly A[]): A {
    const taken = new Set<A>([...hosts, ...(gateway !== undefined ? [gateway] : [])]);
    const next = (address: A) => (typeof address === 'bigint' ? address + 1n : (address as number) + 1) as A;
    let tester = next(network);
    while (taken.has(tester)) tester = next(tester);
    return tester;
}

/** A segment's test host in each family it has a prefix of. */
export function testerAddresses(
    segment: TwinSegment,
    hosts: readonly TwinHost[]
): { tester?: number; tester6?: bigint } {
    return {
        tester:
            segment.prefix &&
            testerAddress(
                segment.prefix.network,
                segment.gateway,
                hosts.flatMap(h => h.address ?? [])
            ),
        tester6:
            segment.prefix6 &&
            testerAddress(
                segment.prefix6.network,
                segment.gateway6,
                hosts.flatMap(h => h.address6 ?? [])
            )
    };
}
