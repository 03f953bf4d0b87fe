/**
 * Verification kept between runs in one process (the language server, the benchmark): the
 * compiled network, the simulated routing and every verdict. A run after an edit recompiles only
 * the requirements that changed, keeps the routing when the underlay is the same (repairs it when
 * only link costs changed), and verifies again only the requirements that changed, whose traffic
 * reached a device whose filters changed, or whose routes may have moved (see Rerouted).
 */
import { contentKey } from '../common/content-key.js';
import { compileNetwork, type CompiledNetwork } from '../compile/compile.js';
import type { DeviceConfig, FilterRule, IpRule, PacketMatch } from '../config/model.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import { addressesIntersect, type Addresses } from '../net/family.js';
import { IntervalSet, type Bound } from '../net/interval-set.js';
import { PacketSet } from '../net/packet-set.js';
import { matchSet } from './filter.js';
import { allRequirements, forwardingProblemsOf, requirementsToVerify } from './program.js';
import type { MovedRoutes, RoutingState } from '../simulate/routing.js';
import { IPV4_ROUTING, IPV6_ROUTING, type RoutingFamily, type StaticRouteOf } from '../simulate/routing-family.js';
import {
    addressedBy,
    NetworkVerifier,
    type ForwardingProblem,
    type MovedRoutesOfBoth,
    type RequirementVerdict
} from './verify.js';

export interface SessionRun {
    compiled: CompiledNetwork;
    verdicts: Map<Requirement, RequirementVerdict>;
    /** Requirements verified in this run (the others kept their verdicts). */
    verified: number;
    /** Loops and blackholes of the program's flows. */
    forwarding: ForwardingProblem[];
}

export class VerificationSession {
    private compiled?: CompiledNetwork;
    private verifier?: NetworkVerifier;
    private readonly cache = new Map<string, RequirementVerdict>();
    /** The last loops and blackholes, with the routing and the flows they were found for. */
    private forwarding?: { routing: RoutingState; flows: string; problems: ForwardingProblem[] };

    /** Verifies a program's requirements, but those `undecided` (see requirementsToVerify). */
    run(program: IntentProgram, undecided?: ReadonlyMap<Requirement, string>): SessionRun {
        const steps = this.steps(program, undecided);
        let step = steps.next();
        while (!step.done) step = steps.next();
        return step.value;
    }

    /**
     * The same, giving way to other work after every verified requirement (the language server
     * answers requests meanwhile) and stopping with `Cancelled` when `cancelled()` says so.
     */
    async runAsync(
        program: IntentProgram,
        cancelled: () => boolean,
        undecided?: ReadonlyMap<Requirement, string>
    ): Promise<SessionRun> {
        const steps = this.steps(program, undecided);
        let step = steps.next();
        while (!step.done) {
            await new Promise(resolve => setImmediate(resolve));
            if (cancelled()) throw new Cancelled();
            step = steps.next();
        }
        return step.value;
    }

    /** Loops and blackholes, found again only when routing or the flows' endpoints changed (not for an edit of ports or constraints). */
    private forwardingProblems(program: IntentProgram, verifier: NetworkVerifier): ForwardingProblem[] {
        const routing = verifier.context().routing;
        const flows = allRequirements(program)
            .map(r => flowsText(r.flows))
            .join(';');
        if (this.forwarding?.routing !== routing || this.forwarding.flows !== flows) {
            this.forwarding = { routing, flows, problems: forwardingProblemsOf(program, verifier) };
        }
        return this.forwarding.problems;
    }

    /** Yields after each requirement it verifies (not after those whose verdicts it keeps). */
    private *steps(
        program: IntentProgram,
        undecided: ReadonlyMap<Requirement, string> | undefined
    ): Generator<void, SessionRun> {
        const compiled = compileNetwork(program, this.compiled);
        const previous =
            this.verifier && this.compiled ? { verifier: this.verifier, compiled: this.compiled } : undefined;
        // Per device whose filters changed: the packets the changed rules match.
        const changed = new Map<string, PacketSet[]>();
        // Where link costs changed: the routes that may have moved.
        let rerouted: Rerouted | undefined;
        if (previous && compiled.underlayChange !== 'other') {
            for (const [name, config] of compiled.devices) {
                const before = previous.compiled.devices.get(name)!;
                if (before !== config) changed.set(name, changedPackets(before, config));
            }
        }
        const moved =
            previous && compiled.underlayChange === 'costs'
                ? previous.verifier.replaceRouting(program.twin, compiled.devices)
                : undefined;
        if (previous && compiled.underlayChange === 'none') {
            if (changed.size > 0) previous.verifier.replaceFilters(compiled.devices);
        } else if (moved) {
            rerouted = new Rerouted(moved, previous!.verifier);
        } else {
            this.verifier = new NetworkVerifier(program.twin, compiled.devices);
            this.cache.clear();
        }
        this.compiled = compiled;
        const verifier = this.verifier!;
        const verdicts = new Map<Requirement, RequirementVerdict>();
        const seen = new Set<string>();
        let verified = 0;
        for (const { requirement, key, effective } of requirementsToVerify(program, undecided)) {
            let verdict = this.cache.get(key);
            if (
                !verdict ||
                affected(verdict, requirement, effective ?? requirement.effective, changed) ||
                rerouted?.affects(verdict, requirement, effective ?? requirement.effective)
            ) {
                verdict = verifier.verify(requirement, effective);
                verified++;
                this.cache.set(key, verdict);
                yield;
            }
            seen.add(key);
            verdicts.set(requirement, verdict);
        }
        for (const key of [...this.cache.keys()]) if (!seen.has(key)) this.cache.delete(key);
        return { compiled, verdicts, verified, forwarding: this.forwardingProblems(program, verifier) };
    }
}

const flowsTexts = new WeakMap<Requirement['flows'], string>();

/** A requirement's flows' endpoints as text, made once per flows (a rebuild keeps those of unchanged statements). */
function flowsText(flows: Requirement['flows']): string {
    let text = flowsTexts.get(flows);
    if (text === undefined)
        flowsTexts.set(
            flows,
            (text = flows
                .map(
                    ({ source, destination }) =>
                        `${source.addresses.intervals.join()}>${destination.addresses.intervals.join()}` +
                        `/${source.addresses6.intervals.join()}>${destination.addresses6.intervals.join()}`
                )
                .join('|'))
        );
    return text;
}

/**
 * Whether a kept verdict may no longer hold: its traffic (or its replies) reached a device where
 * rules that match some of its packets were added or removed. A reply is the packet with its
 * addresses and ports swapped (any DSCP), so the changed rules meet the replies of the traffic
 * exactly where their own replies meet the traffic: the replies of the few changed parts are
 * made (once each), not those of every kept requirement's packets.
 */
function affected(
    verdict: RequirementVerdict,
    requirement: Requirement,
    effective: PacketSet,
    changed: Map<string, PacketSet[]>
): boolean {
    for (const device of verdict.devices) {
        const delta = changed.get(device);
        if (
            delta?.some(
                part => part.intersects(effective) || (requirement.stateful && part.replies().intersects(effective))
            )
        )
            return true;
    }
    return false;
}

/**
 * Routing after link costs were edited, against the verdicts kept from before: a verdict without
 * failures stays where its traffic met no router whose routes toward its destinations may have
 * moved; one that `survive` decided by a minimum cut also (that holds whatever the costs, and its
 * failure-free part is checked so); any other under failures is verified again, since a cost can
 * move a path that only a failure brings into use. A router's destinations include the next hops
 * of its static routes: of the main table, for every packet; of a policy table (steering toward a
 * waypoint resolves them through OSPF), for the packets a rule there marks for that table (a mark
 * stays on its device: the kernel clears it when a packet leaves the namespace).
 */
class Rerouted {
    /** By device: the moved routes there, per family. */
    private readonly routesAt = new Map<string, { v4: MovedRoutes[]; v6: MovedRoutes<bigint>[] }>();
    private readonly moved = new Map<string, MovedAt>();
    private readonly destinations = new Map<MovedRoutes<Bound>, IntervalSet<Bound>>();

    constructor(
        moved: MovedRoutesOfBoth,
        private readonly verifier: NetworkVerifier
    ) {
        const add = <K extends 'v4' | 'v6'>(family: K, routes: MovedRoutesOfBoth[K][number]) => {
            for (const device of routes.at) {
                let here = this.routesAt.get(device);
                if (!here) this.routesAt.set(device, (here = { v4: [], v6: [] }));
                (here[family] as Array<typeof routes>).push(routes);
            }
        };
        moved.v4.forEach(routes => add('v4', routes));
        moved.v6.forEach(routes => add('v6', routes));
    }

    affects(verdict: RequirementVerdict, requirement: Requirement, effective: PacketSet): boolean {
        if (verdict.verdict !== 'holds' && verdict.verdict !== 'violated') return true;
        if (requirement.scenarios.length > 0) return true;
        if (
            requirement.constraints.survive &&
            requirement.kind === 'allow' &&
            !(verdict.survivedBy === 'minimum cut' && verdict.verdict === 'holds')
        )
            return true;
        let addressed: Addresses | undefined;
        let packets: PacketSet | undefined;
        // Steering's matches are shared among devices: each is tested once per requirement.
        const met = new Map<PacketSet, boolean>();
        for (const device of verdict.devices) {
            const moved = this.movedAt(device);
            if (!moved) continue;
            addressed ??= addressedBy(effective, requirement.stateful);
            if (addressesIntersect(moved.toward, addressed) || moved.main) return true;
            for (const part of moved.marked) {
                packets ??= requirement.stateful ? effective.union(effective.replies()) : effective;
                let meets = met.get(part);
                if (meets === undefined) met.set(part, (meets = part.intersects(packets)));
                if (meets) return true;
            }
        }
        return false;
    }

    /**
     * What moved at a device: the destinations of its moved routes, whether a main-table static
     * route's next hop is among them, and what its rules mark for policy tables whose next hops are.
     */
    private movedAt(device: string): MovedAt | undefined {
        let found = this.moved.get(device);
        if (found === undefined) {
            const routes = this.routesAt.get(device);
            const config = this.verifier.network.configs.get(device);
            if (!routes || !config) return undefined;
            const toward: Addresses = {
                v4: IntervalSet.fromIntervals(
                    routes.v4.flatMap(moved => this.destinationsOf(moved, IPV4_ROUTING).intervals)
                ),
                v6: IntervalSet.fromIntervals(
                    routes.v6.flatMap(moved => this.destinationsOf(moved, IPV6_ROUTING).intervals)
                )
            };
            const v4 = tablesMovedTo(config.staticRoutes, toward.v4);
            const v6 = tablesMovedTo(config.staticRoutes6, toward.v6);
            const marks = new Set([
                ...config.ipRules.filter(r => v4.tables.has(r.table)).map(r => r.fwmark),
                ...config.ipRules6.filter(r => v6.tables.has(r.table)).map(r => r.fwmark)
            ]);
            const marked = new Set<PacketSet>();
            for (const chain of config.filter.chains)
                for (const rule of chain.rules)
                    if (rule.setMark !== undefined && marks.has(rule.setMark)) marked.add(reach(rule.match));
            found = { toward, main: v4.main || v6.main, marked: [...marked] };
            this.moved.set(device, found);
        }
        return found;
    }

    /** Where a moved route may lead, in its family (once per moved route: many devices share one). */
    private destinationsOf<A extends Bound>(moved: MovedRoutes<A>, family: RoutingFamily<A>): IntervalSet<A> {
        let found = this.destinations.get(moved) as IntervalSet<A> | undefined;
        if (!found) {
            const toward = moved.toward;
            found =
                'router' in toward
                    ? this.verifier.destinationsVia(toward.router, family)
                    : family.addresses.range(toward.prefix);
            this.destinations.set(moved, found);
        }
        return found;
    }
}

interface MovedAt {
    toward: Addresses;
    main: boolean;
    marked: PacketSet[];
}

/** Of one family's static routes: whether a main-table one's next hop is among moved destinations, and the policy tables where one is. */
function tablesMovedTo<A extends Bound>(
    routes: readonly StaticRouteOf<A>[],
    toward: IntervalSet<A>
): { main: boolean; tables: Set<number> } {
    const byTable = routesByTable(routes);
    const movedIn = (table: number | undefined) =>
        toward.intersects(
            IntervalSet.fromIntervals(
                (byTable.get(table) ?? []).flatMap(r =>
                    r.nextHop === 'blackhole' ? [] : [[r.nextHop, r.nextHop] as const]
                )
            )
        );
    return {
        main: movedIn(undefined),
        tables: new Set([...byTable.keys()].filter((table): table is number => table !== undefined && movedIn(table)))
    };
}

/**
 * The packets whose fate at a device may differ between two of its configurations: those that
 * rules added or removed match, and those marked for a policy table whose rule or routes changed
 * (all packets where more changed: a base chain's policy decides packets no rule names; what is
 * not modelled, anything; the main table's static routes, anything). A rule's DSCP is left out of
 * what it matches, since steering rewrites it on the way. Steering numbers a device's marks anew
 * when a target comes or goes: a rule that now marks for a table of the same routes under another
 * number, in the same place among the rules that stay, decides as before.
 */
function changedPackets(before: DeviceConfig, after: DeviceConfig): PacketSet[] {
    const frame = (config: DeviceConfig) =>
        contentKey([
            config.filter.chains.map(c => [c.table, c.name, c.base]),
            config.unmodelled,
            config.staticRoutes.filter(r => r.table === undefined),
            config.staticRoutes6.filter(r => r.table === undefined)
        ]);
    if (frame(before) !== frame(after)) return [PacketSet.ALL];
    // The parts are kept apart, not united: a run only asks whether a requirement's packets meet
    // one, and uniting hundreds of steering rules' matches cost more than the rest of an edit.
    const delta = new Set<PacketSet>();
    const rules = (config: DeviceConfig) => config.filter.chains.flatMap(c => c.rules);
    const old = rules(before);
    const now = rules(after);
    const oldSet = new Set(old);
    const nowSet = new Set(now);
    const wasMeant = markMeanings(before);
    const isMeant = markMeanings(after);
    // A rule kept whose mark now selects other routes.
    for (const rule of now) {
        if (oldSet.has(rule) && rule.setMark !== undefined && wasMeant.get(rule.setMark) !== isMeant.get(rule.setMark))
            delta.add(reach(rule.match));
    }
    // Rules removed and added, those that differ only in their mark's number paired off.
    const keyOf = (rule: FilterRule, meanings: Map<number, string>) =>
        contentKey([
            rule.iif,
            rule.oif,
            rule.ctState,
            rule.ctDirection,
            rule.ctMark,
            rule.icmpTypes,
            rule.match,
            rule.verdict,
            rule.setCtMark,
            rule.setDscp,
            rule.setMark === undefined ? undefined : (meanings.get(rule.setMark) ?? rule.setMark)
        ]);
    const removed = new Map<string, FilterRule[]>();
    for (const rule of old) {
        if (nowSet.has(rule)) continue;
        const key = keyOf(rule, wasMeant);
        const same = removed.get(key);
        if (same) same.push(rule);
        else removed.set(key, [rule]);
    }
    const renumbered = new Map<FilterRule, string>();
    for (const rule of now) {
        if (oldSet.has(rule)) continue;
        const key = keyOf(rule, isMeant);
        const partner = removed.get(key)?.pop();
        if (partner) {
            renumbered.set(partner, key);
            renumbered.set(rule, key);
        } else delta.add(reach(rule.match));
    }
    for (const list of removed.values()) for (const rule of list) delta.add(reach(rule.match));
    // Paired off only where the rules that stay keep their order; else each counts as changed.
    const order = (list: FilterRule[]) =>
        list.flatMap((rule): Array<FilterRule | string> =>
            renumbered.has(rule) ? [renumbered.get(rule)!] : oldSet.has(rule) && nowSet.has(rule) ? [rule] : []
        );
    const [was, is] = [order(old), order(now)];
    if (was.length !== is.length || was.some((item, i) => item !== is[i]))
        for (const rule of renumbered.keys()) delta.add(reach(rule.match));
    return [...delta];
}

/** What each mark of a device selects: its policy rules' tables' routes in each family, in the rules' order (the numbers left out). */
function markMeanings(config: DeviceConfig): Map<number, string> {
    const v4 = tablesByMark(config.ipRules, config.staticRoutes);
    const v6 = tablesByMark(config.ipRules6, config.staticRoutes6);
    const meanings = new Map<number, string>();
    for (const mark of new Set([...v4.keys(), ...v6.keys()]))
        meanings.set(mark, contentKey([v4.get(mark), v6.get(mark)]));
    return meanings;
}

/** Per mark of one family's policy rules: the routes of the tables they select, in the order of their priorities. */
function tablesByMark<A extends Bound>(
    ipRules: readonly IpRule[],
    routes: readonly StaticRouteOf<A>[]
): Map<number, unknown[]> {
    const byTable = routesByTable(routes);
    const byMark = new Map<number, IpRule[]>();
    for (const rule of ipRules) {
        const same = byMark.get(rule.fwmark);
        if (same) same.push(rule);
        else byMark.set(rule.fwmark, [rule]);
    }
    const tables = new Map<number, unknown[]>();
    for (const [mark, rules] of byMark) {
        const order = [...rules].sort((a, b) => a.priority - b.priority).map(r => r.table);
        tables.set(
            mark,
            order.map(table => (byTable.get(table) ?? []).map(r => [r.prefix, r.nextHop, r.distance]))
        );
    }
    return tables;
}

/** Static routes by table (undefined: the main table). */
function routesByTable<A extends Bound>(
    routes: readonly StaticRouteOf<A>[]
): Map<number | undefined, StaticRouteOf<A>[]> {
    const byTable = new Map<number | undefined, StaticRouteOf<A>[]>();
    for (const route of routes) {
        const same = byTable.get(route.table);
        if (same) same.push(route);
        else byTable.set(route.table, [route]);
    }
    return byTable;
}

const reaches = new WeakMap<PacketMatch, PacketSet>();

/** What a rule's match reaches, its DSCP left out; by match object (steering shares one match among devices). */
function reach(match: PacketMatch): PacketSet {
    let found = reaches.get(match);
    if (!found) reaches.set(match, (found = matchSet({ ...match, dscp: undefined })));
    return found;
}

/** A run given up because newer input arrived. */
export class Cancelled extends Error {}
