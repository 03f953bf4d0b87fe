/**
 * allow / deny / isolate / default deny → ordered ACLs at the interfaces where traffic enters
 * the network (segment and external attachments). Rules come from each requirement's effective
 * packets (overlaps already resolved), so their order never changes what they decide; the more
 * specific statements still come first, as an engineer reading the ruleset expects.
 */
import * as path from 'node:path';
import type { Requirement, IntentProgram } from '../intent/model.js';
import { IntervalSet } from '../net/interval-set.js';
import { ALL_PORTS, ALL_PROTOCOLS, PacketSet, type Cube } from '../net/packet-set.js';
import type { Acl, AclRule, PacketMatch, Ranges } from '../config/model.js';
import { placesOf } from '../twin/places.js';

/** Every ACL of the network, by device. */
export function compileAcls(program: IntentProgram): Map<string, Acl[]> {
    const requirements = program.intents.flatMap(i => i.requirements).filter(r => r.kind !== 'allow' || !r.effective.isEmpty());
    const ordered = [...requirements].sort((a, b) => volume(a.effective) - volume(b.effective));
    const everywhere = program.defaultRequirement?.packets;
    const byDevice = new Map<string, Acl[]>();
    for (const ingress of placesOf(program.twin).filter(p => p.interface !== undefined)) {
        const fromHere = PacketSet.cube({ src: ingress.space, dst: IntervalSet.of(0, 0xffffffff), protocol: ALL_PROTOCOLS, dstPort: ALL_PORTS });
        const rules: AclRule[] = ordered.flatMap(r => rulesFor(r, r.effective.intersect(fromHere)));
        if (everywhere) {
            const denied = everywhere.intersect(fromHere);
            rules.push(...denied.cubes.map(cube => ({ action: 'drop' as const, match: matchOf(cube), comment: `default deny (${where(program.defaultRequirement!)})` })));
        }
        if (rules.length === 0) continue;
        const acls = byDevice.get(ingress.device) ?? [];
        acls.push({ interface: ingress.interface!, rules, defaultAction: 'accept' });
        byDevice.set(ingress.device, acls);
    }
    return byDevice;
}

function rulesFor(requirement: Requirement, packets: PacketSet): AclRule[] {
    const action = requirement.kind === 'allow' ? 'accept' : 'drop';
    const comment = `${requirement.intent}: ${requirement.kind} (${where(requirement)})${requirement.kind === 'allow' && !requirement.stateful ? ' oneway' : ''}`;
    return packets.cubes.map(cube => ({ action, match: matchOf(cube), comment, ...(action === 'accept' && !requirement.stateful ? { oneway: true } : {}) }));
}

function where(requirement: Requirement): string {
    return `${path.basename(requirement.location.file)}:${requirement.location.range.start.line}`;
}

/** A cube as a match; fields that match everything are left out. */
export function matchOf(cube: Cube): PacketMatch {
    const match: PacketMatch = {};
    const full = (set: IntervalSet, all: IntervalSet) => set.equals(all);
    if (!full(cube.src, IntervalSet.of(0, 0xffffffff))) match.src = ranges(cube.src);
    if (!full(cube.dst, IntervalSet.of(0, 0xffffffff))) match.dst = ranges(cube.dst);
    if (!full(cube.protocol, ALL_PROTOCOLS)) match.protocols = ranges(cube.protocol);
    if (!full(cube.dstPort, ALL_PORTS)) match.dstPorts = ranges(cube.dstPort);
    if (!full(cube.srcPort, ALL_PORTS)) match.srcPorts = ranges(cube.srcPort);
    return match;
}

function ranges(set: IntervalSet): Ranges {
    return set.intervals.map(([lo, hi]) => [lo, hi] as const);
}

/** How much a set covers, to put narrower statements first. */
function volume(set: PacketSet): number {
    return set.cubes.reduce((sum, c) => sum + c.src.size() * c.dst.size() * c.protocol.size() * c.dstPort.size(), 0);
}
