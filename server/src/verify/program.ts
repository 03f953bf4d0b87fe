/** Verifies every requirement of an intent program on a network's configurations. */
import type { DeviceConfig } from '../config/model.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import { NetworkVerifier, type RequirementVerdict } from './verify.js';

export interface ProgramVerdicts {
    verdicts: Map<Requirement, RequirementVerdict>;
    verifier: NetworkVerifier;
}

export function verifyProgram(program: IntentProgram, configs: ReadonlyMap<string, DeviceConfig>, verifier = new NetworkVerifier(program.twin, configs)): ProgramVerdicts {
    const verdicts = new Map<Requirement, RequirementVerdict>();
    const requirements = program.intents.flatMap(i => i.requirements);
    for (const requirement of requirements) verdicts.set(requirement, verifier.verify(requirement));
    if (program.defaultRequirement) {
        const allows = requirements.filter(r => r.kind === 'allow');
        const effective = NetworkVerifier.defaultEffective(program.defaultRequirement, allows);
        verdicts.set(program.defaultRequirement, verifier.verify(program.defaultRequirement, effective));
    }
    return { verdicts, verifier };
}
