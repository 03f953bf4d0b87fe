/**
 * Verification kept between runs in one process (the language server, the benchmark): the
 * compiled network, the simulated routing and every verdict. A run after an edit recompiles only
 * the requirements that changed, keeps the routing when the underlay is the same, and verifies
 * again only the requirements that changed or whose traffic reached a device whose filters changed.
 */
import { compileNetwork, type CompiledNetwork } from '../compile/compile.js';
import type { DeviceConfig, PacketMatch } from '../config/model.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import { PacketSet } from '../net/packet-set.js';
import { matchSet } from './filter.js';
import { requirementsToVerify } from './program.js';
import { NetworkVerifier, type RequirementVerdict } from './verify.js';

export interface SessionRun {
    compiled: CompiledNetwork;
    verdicts: Map<Requirement, RequirementVerdict>;
    /** Requirements verified in this run (the others kept their verdicts). */
    verified: number;
}

export class VerificationSession {
    private compiled?: CompiledNetwork;
    private verifier?: NetworkVerifier;
    private readonly cache = new Map<string, RequirementVerdict>();

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
    async runAsync(program: IntentProgram, cancelled: () => boolean, undecided?: ReadonlyMap<Requirement, string>): Promise<SessionRun> {
        const steps = this.steps(program, undecided);
        let step = steps.next();
        while (!step.done) {
            await new Promise(resolve => setImmediate(resolve));
            if (cancelled()) throw new Cancelled();
            step = steps.next();
        }
        return step.value;
    }

    /** Yields after each requirement it verifies (not after those whose verdicts it keeps). */
    private *steps(program: IntentProgram, undecided: ReadonlyMap<Requirement, string> | undefined): Generator<void, SessionRun> {
        const compiled = compileNetwork(program, this.compiled);
        const sameRouting = this.verifier !== undefined && this.compiled?.reuse.underlay === compiled.reuse.underlay;
        // Per device whose filters changed: the packets the changed rules match.
        const changed = new Map<string, PacketSet>();
        if (sameRouting) {
            for (const [name, config] of compiled.devices) {
                const before = this.compiled!.devices.get(name)!;
                if (before !== config) changed.set(name, changedPackets(before, config));
            }
            if (changed.size > 0) this.verifier!.replaceFilters(compiled.devices);
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
            if (!verdict || affected(verdict, requirement, effective ?? requirement.effective, changed)) {
                verdict = verifier.verify(requirement, effective);
                verified++;
                this.cache.set(key, verdict);
                yield;
            }
            seen.add(key);
            verdicts.set(requirement, verdict);
        }
        for (const key of [...this.cache.keys()]) if (!seen.has(key)) this.cache.delete(key);
        return { compiled, verdicts, verified };
    }
}

/**
 * Whether a kept verdict may no longer hold: its traffic (or its replies) reached a device where
 * rules that match some of its packets were added or removed.
 */
function affected(verdict: RequirementVerdict, requirement: Requirement, effective: PacketSet, changed: Map<string, PacketSet>): boolean {
    let packets: PacketSet | undefined;
    for (const device of verdict.devices) {
        const delta = changed.get(device);
        if (!delta) continue;
        packets ??= requirement.stateful ? effective.union(effective.replies()) : effective;
        if (delta.intersects(packets)) return true;
    }
    return false;
}

/** The packets that rules added to or removed from a device's filters match (all, where more than rules changed). */
function changedPackets(before: DeviceConfig, after: DeviceConfig): PacketSet {
    const rules = (config: DeviceConfig) => new Set<{ match: PacketMatch }>(config.filter.chains.flatMap(c => c.rules));
    const old = rules(before);
    const now = rules(after);
    let delta = PacketSet.EMPTY;
    for (const rule of old) if (!now.has(rule)) delta = delta.union(matchSet(rule.match));
    for (const rule of now) if (!old.has(rule)) delta = delta.union(matchSet(rule.match));
    // A base chain's policy decides packets no rule names; what is not modelled, policy rules and
    // their tables, any packet.
    const frame = (config: DeviceConfig) => JSON.stringify([
        config.filter.chains.map(c => [c.table, c.name, c.base]), config.unmodelled, config.ipRules, config.staticRoutes.filter(r => r.table !== undefined)
    ]);
    return frame(before) === frame(after) ? delta : PacketSet.ALL;
}

/** A run given up because newer input arrived. */
export class Cancelled extends Error {}
