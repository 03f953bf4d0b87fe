/** Verdicts as tests compare them, and verdicts of intents on a twin. */
import * as path from 'node:path';
import { expect } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import type { Requirement } from '../../server/src/intent/model.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import type { RequirementVerdict } from '../../server/src/verify/verify.js';
import { checkWorkspace, netintentServices } from './workspace.js';

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

/** Each requirement's verdict by intent name; `configure` changes the compiled configurations first. */
export async function verdictsOn(
    twin: string,
    intents: string,
    configure?: (devices: ReturnType<typeof compileNetwork>['devices']) => void
): Promise<Map<string, RequirementVerdict[]>> {
    const checked = await checkWorkspace({
        'net.twin.yaml': twin,
        'main.intent': `twin "net.twin.yaml"\n${intents}`
    });
    expect(checked.lines.filter(l => l.includes(' error '))).toEqual([]);
    const program = netintentServices().intent.IntentPrograms.forTwin(
        path.join(checked.folder, 'net.twin.yaml')
    ).program;
    const compiled = compileNetwork(program);
    configure?.(compiled.devices);
    const result = verifyProgram(program, compiled.devices);
    const byIntent = new Map<string, RequirementVerdict[]>();
    for (const [requirement, verdict] of result.verdicts)
        byIntent.set(requirement.intent, [...(byIntent.get(requirement.intent) ?? []), verdict]);
    return byIntent;
}

/** A verdict in one line: the counterexample's reason, failures and path, or the paths and scenarios of a hold. */
export const summary = (v: RequirementVerdict): string =>
    v.counterexample
        ? `violated: ${v.counterexample.reason} [${v.counterexample.failures.join(', ')}] ${v.counterexample.path.join(' ')}`
        : v.verdict === 'unknown'
          ? `unknown: ${v.unknown}`
          : `holds (${v.paths} path${v.paths === 1 ? '' : 's'}, ${v.scenarios} scenarios)`;
