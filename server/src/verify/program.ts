/** Verifies every requirement of an intent program on a network's configurations. */
import type { DeviceConfig } from '../config/model.js';
import { requirementFingerprint } from '../intent/fingerprint.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import type { Addresses } from '../net/family.js';
import type { PacketSet } from '../net/packet-set.js';
import { NetworkVerifier, type ForwardingProblem, type RequirementVerdict, type VerifierOptions } from './verify.js';

export interface RequirementToVerify {
    requirement: Requirement;
    /** Equal for two runs exactly when the requirement asks the same. */
    key: string;
    /** For the default requirement: the packets no allow takes. */
    effective?: PacketSet;
}

/**
 * Every requirement of a program, the default one last; but those `undecided`, whose verdict is
 * unknown for a reason known beforehand (errors they depend on: check/verifiable.ts).
 */
export function requirementsToVerify(
    program: IntentProgram,
    undecided: ReadonlyMap<Requirement, string> = new Map()
): RequirementToVerify[] {
    const requirements = program.intents.flatMap(i => i.requirements);
    const out: RequirementToVerify[] = requirements
        .filter(r => !undecided.has(r))
        .map(requirement => ({ requirement, key: requirementFingerprint(requirement) }));
    const defaults = program.defaultRequirement;
    if (defaults && !undecided.has(defaults)) {
        const allows = requirements.filter(r => r.kind === 'allow');
        // What the default denies depends on every allow.
        out.push({
            requirement: defaults,
            key: [requirementFingerprint(defaults), ...allows.map(requirementFingerprint)].join('\n'),
            effective: NetworkVerifier.defaultEffective(defaults, allows)
        });
    }
    return out;
}

export interface ProgramVerification {
    verdicts: Map<Requirement, RequirementVerdict>;
    /** Loops and blackholes for the destinations the intents speak of. */
    forwarding: ForwardingProblem[];
}

export function verifyProgram(
    program: IntentProgram,
    configs: ReadonlyMap<string, DeviceConfig>,
    undecided?: ReadonlyMap<Requirement, string>,
    options?: VerifierOptions
): ProgramVerification {
    const verifier = new NetworkVerifier(program.twin, configs, options);
    const verdicts = new Map(
        requirementsToVerify(program, undecided).map(({ requirement, effective }) => [
            requirement,
            verifier.verify(requirement, effective)
        ])
    );
    return { verdicts, forwarding: forwardingProblemsOf(program, verifier) };
}

/** Loops and blackholes of the flows of every requirement of a program. */
export function forwardingProblemsOf(program: IntentProgram, verifier: NetworkVerifier): ForwardingProblem[] {
    return verifier.forwardingProblems(programFlows(program));
}

/** Where traffic goes from and to: a flow's source and destination addresses, of both families. */
export interface Flow {
    source: Addresses;
    destination: Addresses;
}

/** The flows of every requirement of a program (the default one's too). */
function programFlows(program: IntentProgram): Flow[] {
    return allRequirements(program).flatMap(r =>
        r.flows.map(f => ({
            source: { v4: f.source.addresses, v6: f.source.addresses6 },
            destination: { v4: f.destination.addresses, v6: f.destination.addresses6 }
        }))
    );
}

/** Every requirement of a program, the default one last. */
export function allRequirements(program: IntentProgram): Requirement[] {
    return [
        ...program.intents.flatMap(i => i.requirements),
        ...(program.defaultRequirement ? [program.defaultRequirement] : [])
    ];
}
