/**
 * `lab test`: each requirement tried with real traffic in the running lab, beside the verifier's
 * verdict. A packet of the requirement between addresses that live in the lab (a segment's test
 * host or hosts, an external's addresses, a device's loopback) is sent from its source's
 * namespace — TCP and UDP to a listener started in the destination's namespace, ping otherwise —
 * and traceroute follows the path where the requirement constrains it (via, avoid, hops).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { CompiledNetwork } from '../compile/compile.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import { IntervalSet } from '../net/interval-set.js';
import { formatAddress, parseAddress, prefixRange } from '../net/ipv4.js';
import { PacketSet, type Packet } from '../net/packet-set.js';
import { placesOf, type Place } from '../twin/places.js';
import type { RequirementVerdict } from '../verify/verify.js';
import type { LabState } from './lab.js';
import { sendForged } from './spoof.js';
import { applyFailures, waitForConvergence } from './converge.js';
import { NO_FAILURES, scenarioFailures, type Failures } from '../simulate/network.js';
import type { Twin } from '../twin/model.js';

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
    addresses: IntervalSet;
}

const PROBE = path.join(__dirname, 'probe.cjs');

export async function labTest(state: LabState, program: IntentProgram, compiled: CompiledNetwork, verdicts: Map<Requirement, RequirementVerdict>): Promise<TrafficResult[]> {
    const live = livePlaces(state, program);
    const owners = new Map<number, string>();
    for (const config of compiled.devices.values()) for (const iface of config.interfaces) if (iface.address) owners.set(iface.address.address, config.hostname);
    const results: TrafficResult[] = [];
    for (const [requirement, verdict] of verdicts) {
        const verifier = verdict.verdict;
        if (verifier === 'unknown') {
            results.push({ requirement, verifier, lab: 'untested', detail: `the verifier could not decide: ${verdict.unknown}` });
            continue;
        }
        const attempt = pickTrial(requirement, verdict, live);
        if (!attempt) {
            results.push({ requirement, verifier, lab: 'untested', detail: 'no packet of it between addresses that live in the lab' });
            continue;
        }
        // Latency is not emulated (a bound broken only by latency is not tried); a counterexample's failures are made real.
        const latencyOnly = verdict.counterexample !== undefined && /more than latency <=/.test(verdict.counterexample.reason);
        if (latencyOnly) {
            results.push({ requirement, verifier, lab: 'untested', detail: 'link latencies are not emulated in the lab' });
            continue;
        }
        const notes = requirement.constraints.latencyUs !== undefined ? ['latency not measured'] : [];
        // The failures to try: a counterexample's; else none, each scenario's, and sampled survive sets.
        const trials = verdict.counterexample
            ? [{ failures: verdict.counterexample.failed, label: verdict.counterexample.failures.join(', ') }]
            : failureTrials(requirement, verdict, program.twin);
        let lab: TrafficResult['lab'] = 'holds';
        const outcomes: string[] = [];
        for (const trial of trials) {
            const restore = applyFailures(state, program.twin, trial.failures);
            let delivered: boolean;
            try {
                if (trial.failures !== NO_FAILURES) waitForConvergence(state, program.twin, compiled, 30_000, trial.failures);
                delivered = attempt.forged
                    ? sendForged(attempt.from, attempt.to.namespace, attempt.packet)
                    : await send(attempt.from, attempt.to, attempt.packet, requirement.kind === 'allow' && requirement.stateful);
            } finally {
                restore();
                if (trial.failures !== NO_FAILURES) waitForConvergence(state, program.twin, compiled, 30_000);
            }
            const holds = requirement.kind === 'allow' ? delivered : !delivered;
            outcomes.push(`${delivered ? 'delivered' : 'not delivered'}${trial.label ? ` with ${trial.label} failed` : ''}`);
            if (!holds) {
                lab = 'violated';
                break;
            }
        }
        const forged = attempt.forged ? ` (forged, from ${attempt.from.place.name})` : '';
        let detail = `${describe(attempt.packet)}${forged} ${outcomes.join('; ')}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
        if (lab === 'holds' && requirement.kind === 'allow' && constrained(requirement)) {
            const devices = traceroute(attempt.from.namespace, attempt.packet, owners);
            const problem = pathProblem(requirement, [attempt.from.place.device, ...devices]);
            detail += `; traceroute ${[attempt.from.place.device, ...devices].join(' → ')}`;
            if (problem) {
                lab = 'violated';
                detail += ` (${problem})`;
            }
        }
        results.push({ requirement, verifier, lab, detail });
    }
    return results;
}

function livePlaces(state: LabState, program: IntentProgram): LivePlace[] {
    const twin = program.twin;
    return placesOf(twin).flatMap((place): LivePlace[] => {
        const [kind, name] = place.name.split(' ');
        if (kind === 'segment') {
            const entry = state.segments.find(s => s.segment === name);
            if (!entry) return [];
            const single = (address: string) => IntervalSet.of(parseAddress(address)!, parseAddress(address)!);
            return [
                { place, namespace: entry.namespace, interface: 'br0', addresses: single(entry.address) },
                ...state.hosts.filter(h => h.segment === name).map(h => ({ place, namespace: h.namespace, interface: 'eth0', addresses: single(h.address) }))
            ];
        }
        if (kind === 'external') {
            const entry = state.externals.find(e => e.external === name);
            return entry ? [{ place, namespace: entry.namespace, interface: 'eth0', addresses: place.space }] : [];
        }
        const device = state.devices.find(d => d.device === name);
        return device ? [{ place, namespace: device.namespace, interface: 'lo', addresses: place.space }] : [];
    });
}

/** The most failure sets of a `survive` requirement the lab tries for real (each costs seconds). */
const SURVIVE_SAMPLES = 2;

/**
 * Failure sets a holding requirement is tried under: none; each of its scenarios; and for
 * `survive K`, up to SURVIVE_SAMPLES sets of K links (or devices) on its paths.
 */
function failureTrials(requirement: Requirement, verdict: RequirementVerdict, twin: Twin): Array<{ failures: Failures; label: string }> {
    const trials: Array<{ failures: Failures; label: string }> = [{ failures: NO_FAILURES, label: '' }];
    for (const scenario of requirement.scenarios) trials.push({ failures: scenarioFailures(twin, scenario), label: `scenario ${scenario.name}` });
    const survive = requirement.constraints.survive;
    const path = verdict.pathDevices[0];
    if (survive && path) {
        if (survive.kind === 'link') {
            const links = path.slice(1).map((device, i) => twin.links.findIndex(l => (l.a.device === path[i] && l.b.device === device) || (l.b.device === path[i] && l.a.device === device))).filter(i => i >= 0);
            for (let start = 0; start + survive.count <= links.length && trials.length < 1 + requirement.scenarios.length + SURVIVE_SAMPLES; start += Math.max(1, links.length - survive.count)) {
                const chosen = links.slice(start, start + survive.count);
                trials.push({ failures: { ...NO_FAILURES, links: new Set(chosen) }, label: chosen.map(i => `${twin.links[i].a.device}:${twin.links[i].a.interface} -- ${twin.links[i].b.device}:${twin.links[i].b.interface}`).join(', ') });
            }
        } else {
            const inner = path.slice(1, -1).filter((d, i, all) => all.indexOf(d) === i).slice(0, survive.count);
            if (inner.length === survive.count) trials.push({ failures: { ...NO_FAILURES, devices: new Set(inner) }, label: inner.join(', ') });
        }
    }
    return trials;
}

/**
 * A packet of the requirement from one live place to another (ports 1 and up). A counterexample
 * with a forged source is replayed as it is: from its origin, claiming the address it claims.
 */
function pickTrial(requirement: Requirement, verdict: RequirementVerdict, live: LivePlace[]): { packet: Packet; from: LivePlace; to: LivePlace; forged: boolean } | undefined {
    const counterexample = verdict.counterexample;
    if (counterexample?.forged) {
        const dst = parseAddress(counterexample.packet.dst)!;
        const from = live.find(l => l.place.name === counterexample.origin && l.place.kind === 'segment');
        const to = live.find(l => l.addresses.has(dst));
        return from && to ? { packet: counterexample.packet, from, to, forged: true } : undefined;
    }
    const effective = requirement.kind === 'default' ? undefined : requirement.effective;
    for (const flow of requirement.flows) {
        for (const from of live.filter(l => l.addresses.intersects(flow.source.addresses))) {
            // Within one place the network plays no part.
            for (const to of live.filter(l => l.place !== from.place && l.addresses.intersects(flow.destination.addresses))) {
                const cube = PacketSet.cube({ src: from.addresses.intersect(flow.source.addresses), dst: to.addresses.intersect(flow.destination.addresses), dstPort: IntervalSet.of(1, 65535) });
                const packets = (effective ?? requirement.packets).intersect(cube);
                // A violation is tried on its own packets where the lab has them.
                const counter = counterexample ? packets.intersect(PacketSet.cube({ dst: prefixRange({ network: parseAddress(counterexample.packet.dst)! & 0xffffff00, length: 24 }) })) : PacketSet.EMPTY;
                const packet = (counter.isEmpty() ? packets : counter).witness();
                if (packet) return { packet, from, to, forged: false };
            }
        }
    }
    return undefined;
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
        const chosen = forgedPacket(from, live, allows) ?? anyForgedPacket(from, live, allows);
        if (!chosen) continue;
        trials.push({ from: from.place.name, packet: chosen.packet, claims: chosen.claims, delivered: sendForged(from, chosen.to.namespace, chosen.packet) });
    }
    return trials;
}

function forgedPacket(from: LivePlace, live: LivePlace[], allows: Requirement[]): { packet: Packet; to: LivePlace; claims: string } | undefined {
    for (const requirement of allows) {
        for (const flow of requirement.flows) {
            for (const claimed of live.filter(l => l.place !== from.place && l.place.kind !== 'device' && l.place.hosts.intersects(flow.source.addresses))) {
                for (const to of live.filter(l => l.place !== from.place && l.place !== claimed.place && l.place.kind !== 'device' && l.addresses.intersects(flow.destination.addresses))) {
                    const cube = PacketSet.cube({ src: claimed.place.hosts.intersect(flow.source.addresses).subtract(claimed.addresses), dst: to.addresses, dstPort: IntervalSet.of(1, 65535) });
                    const packet = requirement.effective.intersect(cube).witness();
                    if (packet) return { packet, to, claims: claimed.place.name };
                }
            }
        }
    }
    return undefined;
}

/** Where no allow fits: another segment's address, toward a place some allow sends to (a reachable one, likely). */
function anyForgedPacket(from: LivePlace, live: LivePlace[], allows: Requirement[]): { packet: Packet; to: LivePlace; claims: string } | undefined {
    const others = live.filter(l => l.place !== from.place && l.place.kind === 'segment');
    const wanted = (l: LivePlace) => allows.some(r => r.flows.some(f => l.addresses.intersects(f.destination.addresses)));
    for (const to of [...others.filter(wanted), ...others.filter(l => !wanted(l))]) {
        const claimed = others.find(l => l.place !== to.place && !l.place.hosts.subtract(l.addresses).isEmpty());
        if (!claimed) continue;
        const src = claimed.place.hosts.subtract(claimed.addresses);
        return { packet: { src: formatAddress(src.first()), dst: formatAddress(to.addresses.first()), protocol: 'udp', dstPort: 9 }, to, claims: claimed.place.name };
    }
    return undefined;
}

async function send(from: LivePlace, to: LivePlace, packet: Packet, expectReply: boolean): Promise<boolean> {
    if (packet.protocol !== 'tcp' && packet.protocol !== 'udp') {
        return spawnSync('ip', ['netns', 'exec', from.namespace, 'ping', '-c', '2', '-W', '1', '-I', packet.src, packet.dst]).status === 0;
    }
    const listener = spawn('ip', ['netns', 'exec', to.namespace, process.execPath, PROBE, 'listen', packet.protocol, packet.dst, String(packet.dstPort)]);
    let output = '';
    listener.stdout.on('data', chunk => { output += String(chunk); });
    try {
        for (let i = 0; i < 50 && !output.includes('ready'); i++) await new Promise(resolve => setTimeout(resolve, 50));
        const connect = spawnSync('ip', ['netns', 'exec', from.namespace, process.execPath, PROBE, 'connect', packet.protocol, packet.src, packet.dst, String(packet.dstPort), '2000']);
        await new Promise(resolve => setTimeout(resolve, 100));
        const arrived = output.includes('got');
        return expectReply ? arrived && connect.status === 0 : arrived;
    } finally {
        listener.kill();
    }
}

/** The devices a packet passes, by traceroute with the packet's own protocol and port. */
function traceroute(namespace: string, packet: Packet, owners: Map<number, string>): string[] {
    const mode = packet.protocol === 'tcp' ? ['-T', '-p', String(packet.dstPort)] : packet.protocol === 'udp' ? ['-U', '-p', String(packet.dstPort)] : ['-I'];
    const out = spawnSync('ip', ['netns', 'exec', namespace, 'traceroute', '-n', '-q', '1', '-w', '1', '-m', '16', '-s', packet.src, ...mode, packet.dst], { encoding: 'utf8' }).stdout;
    const devices: string[] = [];
    for (const line of out.split('\n').slice(1)) {
        const address = line.trim().split(/\s+/)[1];
        const owner = address ? owners.get(parseAddress(address) ?? -1) : undefined;
        if (owner && devices[devices.length - 1] !== owner) devices.push(owner);
    }
    // The first hop answers from the gateway of the source: it is the source's device, counted once.
    return devices;
}

function constrained(requirement: Requirement): boolean {
    const c = requirement.constraints;
    return c.via.length > 0 || c.avoidDevices.length > 0 || c.hops !== undefined;
}

function pathProblem(requirement: Requirement, traced: string[]): string | undefined {
    const devices = traced.filter((d, i) => traced.indexOf(d) === i || traced[i - 1] !== d);
    const c = requirement.constraints;
    let at = 0;
    for (const waypoint of c.via) {
        const found = devices.indexOf(waypoint, at);
        if (found < 0) return `does not pass ${waypoint}`;
        at = found;
    }
    const avoided = devices.find(d => c.avoidDevices.includes(d));
    if (avoided) return `passes ${avoided}`;
    if (c.hops !== undefined && devices.length > c.hops) return `${devices.length} devices, more than hops <= ${c.hops}`;
    return undefined;
}

function describe(packet: Packet): string {
    return `${packet.protocol} ${packet.src} -> ${packet.dst}${packet.dstPort === undefined ? '' : `:${packet.dstPort}`}`;
}
