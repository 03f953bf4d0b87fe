/**
 * What the verification of one twin found, as both fronts show it: the verdict of each statement
 * (a requirement, or the `default deny` line), a problem at each statement whose verdict is not
 * `holds` (a violation is an error; what is not proved, a warning), and the loops and blackholes
 * of the flows the intents speak of, at their devices in the twin file. The CLI reports them all;
 * the editor publishes the violations and the forwarding problems, and shows what is not proved in
 * its code lenses and hovers (lsp/verification.ts).
 */
import type { AstNode } from 'langium';
import type { Diagnostic } from '../common/diagnostic.js';
import { locationOf } from '../language/intent-build.js';
import type { Requirement } from '../intent/model.js';
import type { BoundProgram } from '../language/intent-programs.js';
import type { ForwardingProblem, RequirementVerdict } from '../verify/verify.js';
import { verdictProblem } from './report.js';
import { statementVerdicts, type VerifiablePart } from './verifiable.js';

/** What a verification run returns, from the CLI's one-off run or the editor's session. */
export interface TwinVerification {
    verdicts: ReadonlyMap<Requirement, RequirementVerdict>;
    forwarding: readonly ForwardingProblem[];
}

export interface TwinFindings {
    verdicts: Map<AstNode, RequirementVerdict>;
    /** The problem of each statement whose verdict is not `holds`, with the statement. */
    atStatements: Array<{ statement: AstNode; diagnostic: Diagnostic }>;
    /** Loops and blackholes, warnings at their devices in the twin file. */
    forwarding: Diagnostic[];
}

export function twinFindings(bound: BoundProgram, part: VerifiablePart, verification: TwinVerification): TwinFindings {
    const verdicts = statementVerdicts(bound, part, verification.verdicts);
    const atStatements: TwinFindings['atStatements'] = [];
    for (const [statement, verdict] of verdicts) {
        const problem = verdictProblem(verdict);
        if (problem) atStatements.push({ statement, diagnostic: { ...locationOf(statement), ...problem } });
    }
    const forwarding = verification.forwarding.map((problem): Diagnostic => {
        const message =
            problem.kind === 'loop'
                ? `Routing loop for ${problem.destination}: ${problem.path.join(' → ')}.`
                : `Blackhole for ${problem.destination}: ${problem.device} has no route (${problem.path.join(' → ')}).`;
        return {
            ...bound.program.twin.devices.get(problem.device)!.location,
            severity: 'warning',
            code: problem.kind,
            message
        };
    });
    return { verdicts, atStatements, forwarding };
}
