/**
 * Verification kept between runs in one process (the language server, the benchmark): the
 * compiled network, the simulated routing and every verdict. A run after an edit recompiles only
 * the requirements that changed, keeps the routing when the underlay is the same, and verifies
 * again only the requirements that changed or whose traffic reached a device whose filters changed.
 */
import { compileNetwork, type CompiledNetwork } from '../compile/compile.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
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

    run(program: IntentProgram): SessionRun {
        const steps = this.steps(program);
        let step = steps.next();
        while (!step.done) step = steps.next();
        return step.value;
    }

    /**
     * The same, giving way to other work after every verified requirement (the language server
     * answers requests meanwhile) and stopping with `Cancelled` when `cancelled()` says so.
     */
    async runAsync(program: IntentProgram, cancelled: () => boolean): Promise<SessionRun> {
        const steps = this.steps(program);
        let step = steps.next();
        while (!step.done) {
            await new Promise(resolve => setImmediate(resolve));
            if (cancelled()) throw new Cancelled();
            step = steps.next();
        }
        return step.value;
    }

    /** Yields after each requirement it verifies (not after those whose verdicts it keeps). */
    private *steps(program: IntentProgram): Generator<void, SessionRun> {
        const compiled = compileNetwork(program, this.compiled);
        const sameRouting = this.verifier !== undefined && this.compiled?.reuse.underlay === compiled.reuse.underlay;
        const changed = new Set<string>();
        if (sameRouting) {
            for (const [name, config] of compiled.devices) if (this.compiled!.devices.get(name) !== config) changed.add(name);
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
        for (const { requirement, key, effective } of requirementsToVerify(program)) {
            let verdict = this.cache.get(key);
            if (!verdict || [...verdict.devices].some(d => changed.has(d))) {
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

/** A run given up because newer input arrived. */
export class Cancelled extends Error {}
