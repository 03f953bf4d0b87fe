/** Verdicts as tests compare them. */
import type { Requirement } from '../../server/src/intent/model.js';
import type { RequirementVerdict } from '../../server/src/verify/verify.js';

/** Each verdict as a report would show it, with the devices its traffic reached. */
export function shownVerdicts(verdicts: Map<Requirement, RequirementVerdict>): string[] {
    return [...verdicts].map(([r, v]) =>
        JSON.stringify([
            r.intent,
            r.location.range.start.line,
            v.verdict,
            v.unknown,
            v.counterexample,
            v.paths,
            v.pathDevices,
            [...v.devices].sort(),
            v.survivedBy
        ])
    );
}
