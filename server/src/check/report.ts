/** What a check of a workspace found: the contract of CLI.md, before formatting. */
import type { Diagnostic } from '../common/diagnostic.js';
import type { Packet } from '../net/packet-set.js';

/** `unknown` until a verifier has decided; `error` where errors prevent checking. */
export type Verdict = 'holds' | 'violated' | 'unknown' | 'error';

export interface Counterexample {
    packet: Packet;
    failures: string[];
    path: string[];
    reason: string;
    /** Every failing ECMP branch as device paths, the one of `path` first. */
    branches: string[][];
    /** The path hop by hop: each device with the interfaces the packet enters and leaves by. */
    hops: Array<{ device: string; in?: string; out?: string }>;
}

export interface RequirementReport {
    line: number;
    kind: 'allow' | 'deny' | 'isolate' | 'default';
    verdict: Verdict;
    counterexample?: Counterexample;
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
    summary: { errors: number; warnings: number; intents: number; holding: number; violated: number };
}

/** An intent's verdict from its requirements': error beats violated beats unknown beats holds. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
    for (const verdict of ['error', 'violated', 'unknown'] as const) {
        if (verdicts.includes(verdict)) return verdict;
    }
    return 'holds';
}
