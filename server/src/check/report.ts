/** What a check of a workspace found: the contract of docs/cli.md, before formatting. */
import type { Diagnostic } from '../common/diagnostic.js';
import { describePacket, type Packet } from '../net/packet-set.js';
import type { SteeringSummary } from '../compile/steering.js';
import type { RequirementVerdict } from '../verify/verify.js';

/**
 * `unknown` where the verifier could not decide (what a configuration says that it does not
 * model, or a statement with errors that it depends on: `reason` names it) or did not run;
 * `error` where errors in the statement itself, or in the twin, prevent checking.
 */
export type Verdict = 'holds' | 'violated' | 'unknown' | 'error';

export interface Counterexample {
    packet: Packet;
    /** Where the packet is sent from ("segment guest"), and whether its source is forged. */
    origin: string;
    forged: boolean;
    failures: string[];
    path: string[];
    reason: string;
    /** Every failing ECMP branch as device paths, the one of `path` first. */
    branches: string[][];
    /** The path hop by hop: each device with the interfaces the packet enters and leaves by. */
    hops: Hop[];
}

export interface RequirementReport {
    line: number;
    kind: 'allow' | 'deny' | 'isolate' | 'default';
    verdict: Verdict;
    counterexample?: Counterexample;
    /** Why the verifier could not decide (verdict `unknown`). */
    reason?: string;
    /** With `--explain`: the paths of its traffic without failures, hop by hop (at most 64 per place it is sent from). */
    paths?: Hop[][];
    /** With `--explain`: every path, also those past the listed ones. */
    pathCount?: number;
    /** With `--explain`: the failure sets examined (`survive`, `during`), the first 100 ... */
    failureSets?: string[][];
    /** ... and how many there were. */
    failureSetCount?: number;
    /** With `--explain`, for `survive`: how it was decided. */
    survivedBy?: 'minimum cut' | 'failure sets';
    /** With `--explain`, for path constraints: the steering compiled for them (not with `verify --configs`). */
    steering?: SteeringSummary;
}

/** A device on a path, with the interfaces the packets enter and leave it by (none where they start or end there). */
export interface Hop {
    device: string;
    in?: string;
    out?: string;
}

export interface IntentReport {
    name: string;
    file: string;
    line: number;
    verdict: Verdict;
    requirements: RequirementReport[];
}

export interface CheckReport {
    diagnostics: Diagnostic[];
    intents: IntentReport[];
    /** `unknown`: intents the verifier ran on and could not decide. */
    summary: { errors: number; warnings: number; intents: number; holding: number; violated: number; unknown: number };
}

/** An intent's verdict from its requirements': error beats violated beats unknown beats holds. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
    for (const verdict of ['error', 'violated', 'unknown'] as const) {
        if (verdicts.includes(verdict)) return verdict;
    }
    return 'holds';
}

/** What a verdict says at its statement: a violation (an error), or why it is not proved (a warning). */
export function verdictProblem(
    verdict: RequirementVerdict
): Pick<Diagnostic, 'severity' | 'code' | 'message'> | undefined {
    const { counterexample } = verdict;
    if (counterexample) {
        const failures = counterexample.failures.length > 0 ? ` with ${counterexample.failures.join(', ')} failed` : '';
        return {
            severity: 'error',
            code: 'violated',
            message: `Violated${failures}: ${counterexample.reason}. Packet: ${describePacket(counterexample.packet)}.`
        };
    }
    return verdict.unknown
        ? { severity: 'warning', code: 'unknown', message: `Not proved: ${verdict.unknown}.` }
        : undefined;
}
