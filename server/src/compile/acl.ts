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
import { requirementFingerprint } from '../intent/fingerprint.js';
import { placesOf, type Place } from '../twin/places.js';

/**
 * What the ACLs of the last compile were made from, so that the next one reuses what is the
 * same: each place's ACL by the requirements it was made from, and each requirement's rules at
 * each place (a rule that stays the same stays the same object, which tells the verifier so).
 */
export interface AclCache {
    acls: Map<string, { key: string; acl: Acl | undefined }>;
    rules: Map<string, AclRule[]>;
}

/**
 * Every ACL of the network, by device. An ACL whose requirements (by fingerprint) are those it
 * was made from last time is taken from `previous` as it was.
 */
export function compileAcls(program: IntentProgram, previous?: AclCache): { byDevice: Map<string, Acl[]>; cache: AclCache } {
    const requirements = program.intents.flatMap(i => i.requirements).filter(r => r.kind !== 'allow' || !r.effective.isEmpty());
    const ordered = [...requirements].sort((a, b) => volume(a.effective) - volume(b.effective));
    const ingresses = placesOf(program.twin).filter(p => p.interface !== undefined);
    const relevant = bySource(ingresses.map(p => p.space), ordered);
    const everywhere = program.defaultRequirement?.packets;
    const defaultKey = program.defaultRequirement ? requirementFingerprint(program.defaultRequirement) : '';
    const byDevice = new Map<string, Acl[]>();
    const cache: AclCache = { acls: new Map(), rules: new Map() };
    ingresses.forEach((ingress, index) => {
        const placeKey = `${ingress.device}:${ingress.interface}`;
        const mine = relevant[index];
        const key = [defaultKey, ...mine.map(requirementFingerprint)].join('\n');
        const reused = previous?.acls.get(placeKey);
        const rulesOf = (requirement: Requirement) => {
            const ruleKey = `${placeKey}\n${requirementFingerprint(requirement)}`;
            const rules = previous?.rules.get(ruleKey) ?? rulesFor(requirement, requirement.effective.intersect(PacketSet.cube({ src: ingress.space })));
            cache.rules.set(ruleKey, rules);
            return rules;
        };
        const acl = reused && reused.key === key ? reused.acl : aclFor(program, ingress, mine.map(rulesOf), everywhere);
        if (reused && reused.key === key) mine.forEach(rulesOf);
        cache.acls.set(placeKey, { key, acl });
        if (!acl) return;
        const acls = byDevice.get(ingress.device) ?? [];
        acls.push(acl);
        byDevice.set(ingress.device, acls);
    });
    return { byDevice, cache };
}

function aclFor(program: IntentProgram, ingress: Place, ruleLists: AclRule[][], everywhere: PacketSet | undefined): Acl | undefined {
    const fromHere = PacketSet.cube({ src: ingress.space });
    const rules: AclRule[] = ruleLists.flat();
    if (everywhere) {
        const denied = everywhere.intersect(fromHere);
        rules.push(...denied.cubes.map(cube => ({ action: 'drop' as const, match: matchOf(cube), comment: `default deny (${where(program.defaultRequirement!)})` })));
    }
    return rules.length === 0 ? undefined : { interface: ingress.interface!, rules, defaultAction: 'accept' };
}

/**
 * For each source space, the requirements (in the given order) some of whose packets come from
 * it: an index of the spaces' intervals, searched by each requirement's source intervals.
 */
function bySource(spaces: IntervalSet[], requirements: Requirement[]): Requirement[][] {
    const index = spaces.flatMap((space, place) => space.intervals.map(([lo, hi]) => ({ lo, hi, place }))).sort((a, b) => a.lo - b.lo);
    const out = spaces.map(() => [] as Requirement[]);
    // Two externals with the same prefixes overlap: then every requirement is matched against every space.
    if (index.some((entry, i) => i > 0 && entry.lo <= index[i - 1].hi)) {
        for (const requirement of requirements) {
            spaces.forEach((space, place) => {
                if (requirement.effective.cubes.some(c => c.src.intersects(space))) out[place].push(requirement);
            });
        }
        return out;
    }
    for (const requirement of requirements) {
        const places = new Set<number>();
        for (const cube of requirement.effective.cubes) {
            for (const [lo, hi] of cube.src.intervals) {
                // The first interval ending at or after lo; spaces are disjoint, so scan while they start by hi.
                let low = 0;
                let high = index.length;
                while (low < high) {
                    const mid = (low + high) >> 1;
                    if (index[mid].hi < lo) low = mid + 1; else high = mid;
                }
                for (let i = low; i < index.length && index[i].lo <= hi; i++) places.add(index[i].place);
            }
        }
        for (const place of places) out[place].push(requirement);
    }
    return out;
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
