/**
 * `lab test`: each requirement tried with real traffic in the running lab, beside the verifier's
 * verdict. A packet of the requirement between addresses that live in the lab (a segment's test
 * host or hosts, an external's addresses, a device's loopback) is sent from its source's
 * namespace — TCP and UDP to a listener started in the destination's namespace, ping otherwise —
 * and traceroute follows the path where the requirement constrains it (via, avoid, hops), each
 * while the trial's failures are in force. Between trials the lab's whole state must be the
 * compiled one again.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { CompiledNetwork } from '../compile/compile.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import {
    addressesIntersect,
    intersectAddresses,
    IPV4,
    IPV6,
    inFamily,
    isEmptyAddresses,
    subtractAddresses,
    type Addresses
} from '../net/family.js';
import { IntervalSet } from '../net/interval-set.js';
import { formatAddress, parseAddress } from '../net/ipv4.js';
import { formatAddress6, parseAddress6 } from '../net/ipv6.js';
import { describePacket, FAMILIES, PacketSet, type Family, type Packet } from '../net/packet-set.js';
import { hostsOf, placesOf, type Place } from '../twin/places.js';
import type { RequirementVerdict } from '../verify/verify.js';
import { describeWaypoint, missedWaypoint } from '../intent/waypoints.js';
import type { LabState } from './lab.js';
import { sendForged } from './spoof.js';
import { applyFailures, waitForConvergence } from './converge.js';
import { NO_FAILURES, scenarioFailures, type Failures } from '../simulate/network.js';
import { interfaceName, type Twin } from '../twin/model.js';
import { connectFrom, LabError, pingFrom, PROBE } from './system.js';

export interface TrafficResult {
    requirement: Requirement;
    verifier: RequirementVerdict['verdict'];
    lab: 'holds' | 'violated' | 'untested';
    detail: string;
}

/** A packet with a forged source sent from a segment, and whether the network delivered it. */
export interface ForgedTrial {
    from: string;
    packet: Packet;
    claims: string;
    delivered: boolean;
}

interface LivePlace {
    place: Place;
    namespace: string;
    /** The interface its addresses are on. */
    interface: string;
    /** Its addresses in the lab, of both families. */
    addresses: Addresses;
}

/** A packet of a requirement, from one live place to another; `forged`: its source is not the sender's. */
interface Attempt {
    packet: Packet;
    from: LivePlace;
    to: LivePlace;
    forged: boolean;
}

/** `failureTrials`: at most this many failure sets per `survive` requirement (each costs seconds). */
export async function labTest(
    state: LabState,
    program: IntentProgram,
    compiled: CompiledNetwork,
    verdicts: Map<Requirement, RequirementVerdict>,
    failureTrials = DEFAULT_FAILURE_TRIALS
): Promise<TrafficResult[]> {
    const live = livePlaces(state, program);
    const owners = addressOwners(compiled);
    settle(state, program.twin, compiled, NO_FAILURES, 'before the first trial');
    const results: TrafficResult[] = [];
    for (const [requirement, verdict] of verdicts) {
        const verifier = verdict.verdict;
        if (verifier === 'unknown') {
            results.push({
                requirement,
                verifier,
                lab: 'untested',
                detail: `the verifier could not decide: ${verdict.unknown}`
            });
            continue;
        }
        const attempts = pickTrials(requirement, verdict, live);
        if (attempts.length === 0) {
            results.push({
                requirement,
                verifier,
                lab: 'untested',
                detail: 'no packet of it between addresses that live in the lab'
            });
            continue;
        }
        // Latency is not emulated (a bound broken only by latency is not tried); a counterexample's failures are made real.
        const latencyOnly =
            verdict.counterexample !== undefined && /more than latency <=/.test(verdict.counterexample.reason);
        if (latencyOnly) {
            results.push({
                requirement,
                verifier,
                lab: 'untested',
                detail: 'link latencies are not emulated in the lab'
            });
            continue;
        }
        const notes = requirement.constraints.latencyUs !== undefined ? ['latency not measured'] : [];
        // The failures to try: a counterexample's; else none, each scenario's, and sampled survive sets.
        const trials = verdict.counterexample
            ? [{ failures: verdict.counterexample.failed, label: verdict.counterexample.failures.join(', ') }]
            : trialsOf(requirement, verdict, program.twin, failureTrials);
        let lab: TrafficResult['lab'] = 'holds';
        const outcomes: string[] = [];
        for (const trial of trials) {
            // A packet of each family the requirement has in the lab, all while the trial's failures are in force.
            const outcome = await withFailures(state, program.twin, compiled, trial.failures, trial.label, async () => {
                const tried = [];
                for (const attempt of attempts)
                    tried.push({ attempt, ...(await tryOnce(requirement, attempt, owners)) });
                return tried;
            });
            for (const { attempt, description, holds } of outcome) {
                const forged = attempt.forged ? ` (forged, from ${attempt.from.place.name})` : '';
                outcomes.push(
                    `${describePacket(attempt.packet)}${forged} ${description}${trial.label ? ` with ${trial.label} failed` : ''}`
                );
                if (!holds) lab = 'violated';
            }
            if (lab === 'violated') break;
        }
        results.push({
            requirement,
            verifier,
            lab,
            detail: `${outcomes.join('; ')}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`
        });
    }
    return results;
}

/** A link flapped next to a waypoint, and the steered requirements tried once it was back. */
export interface FlapResult {
    link: string;
    /** The steered requirements tried after the flap, each with what happened. */
    tried: Array<{ requirement: Requirement; holds: boolean; detail: string }>;
}

/**
 * Every link of a waypoint of a holding steered requirement (`via`; for a path pinned by avoid or
 * hops, every link of it) is taken down, brought back up, and the lab's whole state must return
 * to the compiled one; then every such requirement is tried again, its path traced: steering that
 * a flap lost (routes of a policy table the kernel dropped with the link) shows up as a packet
 * around the waypoint.
 */
export async function flapWaypointLinks(
    state: LabState,
    program: IntentProgram,
    compiled: CompiledNetwork,
    verdicts: Map<Requirement, RequirementVerdict>
): Promise<FlapResult[]> {
    const live = livePlaces(state, program);
    const owners = addressOwners(compiled);
    const twin = program.twin;
    const steered = [...verdicts]
        .filter(
            ([requirement, verdict]) =>
                requirement.kind === 'allow' && constrained(requirement) && verdict.verdict === 'holds'
        )
        .flatMap(([requirement, verdict]) =>
            pickTrials(requirement, verdict, live).map(attempt => ({ requirement, verdict, attempt }))
        );
    // The links of each waypoint; where there is none (a path pinned for avoid or hops), the links of the path.
    const flapped = new Set<number>();
    for (const { requirement, verdict } of steered) {
        const waypoints = requirement.constraints.via.flat();
        twin.links.forEach((link, index) => {
            if (waypoints.includes(link.a.device) || waypoints.includes(link.b.device)) flapped.add(index);
        });
        if (waypoints.length === 0) for (const index of linksOnPaths(twin, verdict.pathDevices)) flapped.add(index);
    }
    const results: FlapResult[] = [];
    for (const [index, link] of twin.links.entries()) {
        if (!flapped.has(index)) continue;
        if ([link.a, link.b].some(end => twin.down.has(interfaceName(end)))) continue;
        const name = `${interfaceName(link.a)} -- ${interfaceName(link.b)}`;
        await withFailures(
            state,
            twin,
            compiled,
            { ...NO_FAILURES, links: new Set([index]) },
            name,
            async () => undefined
        );
        const tried = [];
        for (const { requirement, attempt } of steered) {
            const outcome = await tryOnce(requirement, attempt, owners);
            tried.push({
                requirement,
                holds: outcome.holds,
                detail: `${describePacket(attempt.packet)} ${outcome.description}`
            });
        }
        results.push({ link: name, tried });
    }
    return results;
}

/** Device by interface address, as text in its canonical form: who answered a traceroute probe. */
function addressOwners(compiled: CompiledNetwork): Map<string, string> {
    const owners = new Map<string, string>();
    for (const config of compiled.devices.values()) {
        for (const iface of config.interfaces) {
            if (iface.address) owners.set(formatAddress(iface.address.address), config.hostname);
            if (iface.address6) owners.set(formatAddress6(iface.address6.address), config.hostname);
        }
    }
    return owners;
}

/**
 * Runs `trial` with `failures` made real, once the lab's state is the simulator's for them; then
 * brings them back and waits until the whole state is the compiled one again (or stops the test:
 * a lab that did not come back would judge every later trial on the wrong network).
 */
async function withFailures<T>(
    state: LabState,
    twin: Twin,
    compiled: CompiledNetwork,
    failures: Failures,
    label: string,
    trial: () => Promise<T>
): Promise<T> {
    if (failures === NO_FAILURES) return trial();
    const restore = applyFailures(state, twin, failures);
    let outcome: T;
    try {
        settle(state, twin, compiled, failures, `with ${label} failed`);
        outcome = await trial();
    } finally {
        restore();
    }
    settle(state, twin, compiled, NO_FAILURES, `after ${label} came back`);
    return outcome;
}

/** How long the lab may take to reach a state (OSPF's dead interval is 3 s in the lab, adjacencies take a few). */
const SETTLE_MS = 30_000;

function settle(state: LabState, twin: Twin, compiled: CompiledNetwork, failures: Failures, when: string): void {
    const { differences } = waitForConvergence(state, twin, compiled, SETTLE_MS, failures);
    if (differences.length > 0) {
        throw new LabError(
            `${when}, the lab's state is not the ${failures === NO_FAILURES ? 'compiled' : 'simulated'} one after ${SETTLE_MS / 1000} s:\n${differences
                .slice(0, 20)
                .map(d => `  ${d}`)
                .join('\n')}`
        );
    }
}

/**
 * One packet of the requirement, sent as it stands (the failures in force): whether what
 * happened is what the requirement asks, and for an allow whose path is constrained, the path
 * traceroute follows with the packet's own protocol and port. An allow's packet that does not
 * arrive is sent once more a second later, between the same addresses (the lab hashes ECMP on
 * addresses only, so it takes the same branch): a network that has just converged may still be
 * resolving a neighbour or reinstalling a route, and one lost packet is not the steady state the
 * verifier judges. Both attempts are reported.
 */
async function tryOnce(
    requirement: Requirement,
    attempt: Attempt,
    owners: Map<string, string>
): Promise<{ holds: boolean; description: string }> {
    const sendIt = () =>
        attempt.forged
            ? sendForged(attempt.from, attempt.to.namespace, attempt.packet)
                ? DELIVERED
                : { delivered: false, why: 'nothing arrived' }
            : send(attempt.from, attempt.to, attempt.packet, requirement.kind === 'allow' && requirement.stateful);
    let sent = await sendIt();
    let description = sent.delivered ? 'delivered' : `not delivered (${sent.why})`;
    if (!sent.delivered && requirement.kind === 'allow') {
        await new Promise(resolve => setTimeout(resolve, RETRY_MS));
        const first = sent;
        sent = await sendIt();
        description = sent.delivered
            ? `delivered on the second try (the first: ${first.why})`
            : `not delivered (${first.why}; a second later: ${sent.why})`;
    }
    const delivered = sent.delivered;
    if (requirement.kind !== 'allow') return { holds: !delivered, description };
    if (!delivered || !constrained(requirement)) return { holds: delivered, description };
    // The first hop answers from the gateway of the source: the source's device, counted once.
    const traced = [attempt.from.place.device, ...traceroute(attempt.from.namespace, attempt.packet, owners)].filter(
        (d, i, all) => i === 0 || all[i - 1] !== d
    );
    const problem = pathProblem(requirement, traced);
    return {
        holds: problem === undefined,
        description: `${description}, traceroute ${traced.join(' → ')}${problem ? ` (${problem})` : ''}`
    };
}

function livePlaces(state: LabState, program: IntentProgram): LivePlace[] {
    const twin = program.twin;
    return placesOf(twin).flatMap((place): LivePlace[] => {
        const [kind, name] = place.name.split(' ');
        if (kind === 'segment') {
            const entry = state.segments.find(s => s.segment === name);
            if (!entry) return [];
            // The senders: the test host and the twin's hosts, each with the addresses it has.
            const senders = [
                { namespace: entry.namespace, interface: 'br0', address: entry.address, address6: entry.address6 },
                ...state.hosts
                    .filter(h => h.segment === name)
                    .map(h => ({ namespace: h.namespace, interface: 'eth0', address: h.address, address6: h.address6 }))
            ];
            return senders.flatMap(({ address, address6, ...sender }) => {
                const v4 = address === undefined ? undefined : parseAddress(address)!;
                const v6 = address6 === undefined ? undefined : parseAddress6(address6)!;
                if (v4 === undefined && v6 === undefined) return [];
                const addresses = {
                    v4: v4 === undefined ? IntervalSet.EMPTY : IntervalSet.of(v4, v4),
                    v6: v6 === undefined ? IntervalSet.EMPTY6 : IntervalSet.of(v6, v6)
                };
                return [{ place, ...sender, addresses }];
            });
        }
        const addresses = { v4: place.space, v6: place.space6 };
        if (kind === 'external') {
            const entry = state.externals.find(e => e.external === name);
            return entry ? [{ place, namespace: entry.namespace, interface: 'eth0', addresses }] : [];
        }
        const device = state.devices.find(d => d.device === name);
        return device ? [{ place, namespace: device.namespace, interface: 'lo', addresses }] : [];
    });
}

export const DEFAULT_FAILURE_TRIALS = 12;

/**
 * Failure sets a holding requirement is tried under: none; each of its scenarios; and for
 * `survive K`, up to `limit` sets of K links (or devices other than the ends), those its paths
 * use first: for K = 1, each on its own.
 */
function trialsOf(
    requirement: Requirement,
    verdict: RequirementVerdict,
    twin: Twin,
    limit: number
): Array<{ failures: Failures; label: string }> {
    const trials: Array<{ failures: Failures; label: string }> = [{ failures: NO_FAILURES, label: '' }];
    for (const scenario of requirement.scenarios)
        trials.push({ failures: scenarioFailures(twin, scenario), label: `scenario ${scenario.name}` });
    const survive = requirement.constraints.survive;
    if (!survive) return trials;
    // What the paths use first (the failures that matter to them, as the verifier reasons), then
    // the rest: the lab does not take the verifier's word that those change nothing.
    const paths = verdict.pathDevices;
    if (survive.kind === 'link') {
        const links = firstThenRest(
            linksOnPaths(twin, paths),
            twin.links.map((_, index) => index)
        );
        for (const chosen of groupsOf(links, survive.count, limit)) {
            trials.push({
                failures: { ...NO_FAILURES, links: new Set(chosen) },
                label: chosen
                    .map(i => `${interfaceName(twin.links[i].a)} -- ${interfaceName(twin.links[i].b)}`)
                    .join(', ')
            });
        }
    } else {
        const ends = new Set(paths.flatMap(path => [path[0], path[path.length - 1]]));
        const devices = firstThenRest(
            [...new Set(paths.flatMap(path => path.slice(1, -1)))].sort(),
            [...twin.devices.keys()].filter(d => !ends.has(d)).sort()
        );
        for (const chosen of groupsOf(devices, survive.count, limit))
            trials.push({ failures: { ...NO_FAILURES, devices: new Set(chosen) }, label: chosen.join(', ') });
    }
    return trials;
}

function firstThenRest<T>(first: readonly T[], all: readonly T[]): T[] {
    return [...first, ...all.filter(x => !first.includes(x))];
}

/** Consecutive groups of `size` (size 1: each on its own), at most `limit` of them. */
function groupsOf<T>(items: readonly T[], size: number, limit: number): T[][] {
    const groups: T[][] = [];
    for (let start = 0; start + size <= items.length && groups.length < limit; start += size)
        groups.push(items.slice(start, start + size));
    return groups;
}

/** The links between consecutive devices of the paths (parallel links included), in the twin's order. */
function linksOnPaths(twin: Twin, paths: ReadonlyArray<readonly string[]>): number[] {
    const between = new Set(
        paths.flatMap(path => path.slice(1).map((device, i) => [path[i], device].sort().join('\n')))
    );
    return twin.links.flatMap((link, index) =>
        between.has([link.a.device, link.b.device].sort().join('\n')) ? [index] : []
    );
}

/**
 * Packets of the requirement from one live place to another (ports 1 and up), one per family in
 * which it has one. A counterexample is tried on its own packets where the lab has them (in its
 * family, toward its destination's /24 or /64); one with a forged source is replayed as it is:
 * from its origin, claiming the address it claims.
 */
function pickTrials(requirement: Requirement, verdict: RequirementVerdict, live: LivePlace[]): Attempt[] {
    const counterexample = verdict.counterexample;
    const counterFamily: Family | undefined = counterexample && (counterexample.packet.dst.includes(':') ? 6 : 4);
    if (counterexample?.forged) {
        const to = live.find(l => holdsAddress(l.addresses, counterexample.packet.dst));
        const from = live.find(l => l.place.name === counterexample.origin && l.place.kind === 'segment');
        return from && to ? [{ packet: counterexample.packet, from, to, forged: true }] : [];
    }
    const effective = requirement.kind === 'default' ? undefined : requirement.effective;
    const attempts: Attempt[] = [];
    for (const family of counterFamily ? [counterFamily] : FAMILIES) {
        const near = counterexample ? nearDestination(counterexample.packet.dst) : undefined;
        const attempt = firstAttempt(requirement, effective ?? requirement.packets, live, family, near);
        if (attempt) attempts.push(attempt);
    }
    return attempts;
}

/** The first packet of one family of the requirement between two live places (toward `near` where it has such). */
function firstAttempt(
    requirement: Requirement,
    packets: PacketSet,
    live: LivePlace[],
    family: Family,
    near: PacketSet | undefined
): Attempt | undefined {
    const only = (addresses: Addresses) => inFamily(addresses, family);
    for (const flow of requirement.flows) {
        const source = only({ v4: flow.source.addresses, v6: flow.source.addresses6 });
        const destination = only({ v4: flow.destination.addresses, v6: flow.destination.addresses6 });
        for (const from of live.filter(l => addressesIntersect(l.addresses, source))) {
            // Within one place the network plays no part.
            for (const to of live.filter(l => l.place !== from.place && addressesIntersect(l.addresses, destination))) {
                const between = packets
                    .intersect(
                        PacketSet.between(
                            intersectAddresses(from.addresses, source),
                            intersectAddresses(to.addresses, destination)
                        )
                    )
                    .intersect(ANY_PORT);
                const counter = near ? between.intersect(near) : PacketSet.EMPTY;
                const packet = (counter.isEmpty() ? between : counter).witness();
                if (packet) return { packet, from, to, forged: false };
            }
        }
    }
    return undefined;
}

/** Packets to a port of 1 and up (or without ports), of both families: what a probe can send. */
const ANY_PORT = PacketSet.cube({ dstPort: IntervalSet.of(1, 65535) }).union(
    PacketSet.cube6({ dstPort: IntervalSet.of(1, 65535) })
);

/** The packets to an address's /24 (IPv4) or /64 (IPv6). */
function nearDestination(text: string): PacketSet {
    if (!text.includes(':')) return PacketSet.cube({ dst: IPV4.range(IPV4.parsePrefix(`${text}/24`)!) });
    return PacketSet.cube6({ dst: IPV6.range(IPV6.parsePrefix(`${text}/64`)!) });
}

/** Whether addresses of either family hold an address written as text. */
function holdsAddress(addresses: Addresses, text: string): boolean {
    const v6 = parseAddress6(text);
    return v6 === undefined ? addresses.v4.has(parseAddress(text) ?? -1) : addresses.v6.has(v6);
}

/**
 * Anti-spoofing, for real: from every segment's test host, a packet claiming an address of
 * another place, toward a destination an allow lets that address reach (so that the rules alone
 * would let it pass), or toward any other place where no allow has one. None may arrive.
 */
export function forgedSourceTrials(state: LabState, program: IntentProgram): ForgedTrial[] {
    const live = livePlaces(state, program);
    const allows = program.intents.flatMap(i => i.requirements).filter(r => r.kind === 'allow');
    const trials: ForgedTrial[] = [];
    for (const from of live.filter(l => l.place.kind === 'segment' && l.interface === 'br0')) {
        // In each family the test host has an address in (without one it could not send at all).
        for (const family of FAMILIES) {
            if (isEmptyAddresses(inFamily(from.addresses, family))) continue;
            const chosen = forgedPacket(from, live, allows, family) ?? anyForgedPacket(from, live, allows, family);
            if (!chosen) continue;
            trials.push({
                from: from.place.name,
                packet: chosen.packet,
                claims: chosen.claims,
                delivered: sendForged(from, chosen.to.namespace, chosen.packet)
            });
        }
    }
    return trials;
}

function forgedPacket(
    from: LivePlace,
    live: LivePlace[],
    allows: Requirement[],
    family: Family
): { packet: Packet; to: LivePlace; claims: string } | undefined {
    const only = (addresses: Addresses) => inFamily(addresses, family);
    for (const requirement of allows) {
        for (const flow of requirement.flows) {
            const source = only({ v4: flow.source.addresses, v6: flow.source.addresses6 });
            const destination = only({ v4: flow.destination.addresses, v6: flow.destination.addresses6 });
            for (const claimed of live.filter(
                l => l.place !== from.place && l.place.kind !== 'device' && addressesIntersect(hostsOf(l.place), source)
            )) {
                for (const to of live.filter(
                    l =>
                        l.place !== from.place &&
                        l.place !== claimed.place &&
                        l.place.kind !== 'device' &&
                        addressesIntersect(l.addresses, destination)
                )) {
                    const forged = PacketSet.between(
                        subtractAddresses(intersectAddresses(hostsOf(claimed.place), source), claimed.addresses),
                        only(to.addresses)
                    ).intersect(ANY_PORT);
                    const packet = requirement.effective.intersect(forged).witness();
                    if (packet) return { packet, to, claims: claimed.place.name };
                }
            }
        }
    }
    return undefined;
}

/** Where no allow fits: another segment's address, toward a place some allow sends to (a reachable one, likely). */
function anyForgedPacket(
    from: LivePlace,
    live: LivePlace[],
    allows: Requirement[],
    family: Family
): { packet: Packet; to: LivePlace; claims: string } | undefined {
    const only = (addresses: Addresses) => inFamily(addresses, family);
    const others = live.filter(l => l.place !== from.place && l.place.kind === 'segment');
    const wanted = (l: LivePlace) =>
        allows.some(r =>
            r.flows.some(f =>
                addressesIntersect(only(l.addresses), { v4: f.destination.addresses, v6: f.destination.addresses6 })
            )
        );
    for (const to of [...others.filter(wanted), ...others.filter(l => !wanted(l))]) {
        // Another segment's address; with only two segments, the destination's own.
        const spare = (l: LivePlace) => subtractAddresses(only(hostsOf(l.place)), l.addresses);
        const claimed =
            others.find(l => l.place !== to.place && !isEmptyAddresses(spare(l))) ??
            (isEmptyAddresses(spare(to)) ? undefined : to);
        const dst = only(to.addresses);
        if (!claimed || isEmptyAddresses(dst)) continue;
        const src = spare(claimed);
        const first = (a: Addresses) => (a.v4.isEmpty() ? formatAddress6(a.v6.first()) : formatAddress(a.v4.first()));
        return {
            packet: { src: first(src), dst: first(dst), protocol: 'udp', dstPort: 9 },
            to,
            claims: claimed.place.name
        };
    }
    return undefined;
}

/** Whether a packet arrived (and for a stateful flow, its reply came back); if not, what was seen. */
type Sent = { delivered: true } | { delivered: false; why: string };
const DELIVERED: Sent = { delivered: true };
const RETRY_MS = 1000;
/** How long the receiving probe may take to listen (a busy machine starts Node slowly). */
const LISTEN_MS = 10_000;

async function send(from: LivePlace, to: LivePlace, packet: Packet, expectReply: boolean): Promise<Sent> {
    if (packet.protocol !== 'tcp' && packet.protocol !== 'udp') {
        const ping = pingFrom(from.namespace, packet, 2);
        return ping.status === 0 ? DELIVERED : { delivered: false, why: 'no echo reply to 2 pings' };
    }
    const listener = spawn('ip', [
        'netns',
        'exec',
        to.namespace,
        process.execPath,
        PROBE,
        'listen',
        packet.protocol,
        packet.dst,
        String(packet.dstPort)
    ]);
    let output = '';
    listener.stdout.on('data', chunk => {
        output += String(chunk);
    });
    try {
        for (const deadline = Date.now() + LISTEN_MS; !output.includes('ready') && Date.now() < deadline;)
            await new Promise(resolve => setTimeout(resolve, 50));
        if (!output.includes('ready'))
            throw new LabError(
                `the probe did not listen on ${packet.dst}:${packet.dstPort} in ${to.namespace} within ${LISTEN_MS / 1000} s`
            );
        const connect = connectFrom(from.namespace, packet, 2000);
        await new Promise(resolve => setTimeout(resolve, 100));
        if (!output.includes('got')) return { delivered: false, why: 'nothing arrived' };
        if (expectReply && connect.status !== 0)
            return { delivered: false, why: 'it arrived, no reply came back within 2 s' };
        return DELIVERED;
    } finally {
        listener.kill();
    }
}

/** The devices a packet passes, by traceroute with the packet's own protocol and port. */
function traceroute(namespace: string, packet: Packet, owners: Map<string, string>): string[] {
    const mode =
        packet.protocol === 'tcp'
            ? ['-T', '-p', String(packet.dstPort)]
            : packet.protocol === 'udp'
              ? ['-U', '-p', String(packet.dstPort)]
              : ['-I'];
    const out = spawnSync(
        'ip',
        [
            'netns',
            'exec',
            namespace,
            'traceroute',
            '-n',
            '-q',
            '1',
            '-w',
            '1',
            '-m',
            '16',
            '-s',
            packet.src,
            ...(packet.dst.includes(':') ? ['-6'] : []),
            ...mode,
            packet.dst
        ],
        { encoding: 'utf8' }
    ).stdout;
    const devices: string[] = [];
    for (const line of out.split('\n').slice(1)) {
        const address = line.trim().split(/\s+/)[1] ?? '';
        const v6 = parseAddress6(address);
        const owner = owners.get(v6 === undefined ? address : formatAddress6(v6));
        if (owner && devices[devices.length - 1] !== owner) devices.push(owner);
    }
    return devices;
}

function constrained(requirement: Requirement): boolean {
    const c = requirement.constraints;
    return c.via.length > 0 || c.avoidDevices.length > 0 || c.hops !== undefined;
}

function pathProblem(requirement: Requirement, devices: string[]): string | undefined {
    const c = requirement.constraints;
    const missed = missedWaypoint(devices, c.via);
    if (missed >= 0) return `does not pass ${describeWaypoint(c.via[missed])}`;
    const avoided = devices.find(d => c.avoidDevices.includes(d));
    if (avoided) return `passes ${avoided}`;
    if (c.hops !== undefined && devices.length > c.hops)
        return `${devices.length} devices, more than hops <= ${c.hops}`;
    return undefined;
}
