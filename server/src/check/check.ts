/**
 * The check pipeline that both fronts share: load the intent files, parse, link and validate
 * them (with their twins), and report diagnostics and per-intent verdicts.
 */
import { URI, type AstNode, type LangiumDocument } from 'langium';
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver-types';
import { fromZeroBased, type Diagnostic, type Severity } from '../common/diagnostic.js';
import { locationOf } from '../language/intent-build.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import { isDefaultPolicy, isIntent, type Model } from '../language/generated/ast.js';
import type { NetintentServices } from '../language/netintent-module.js';
import type { TwinScope } from '../language/twin-workspace.js';
import * as path from 'node:path';
import { compileNetwork } from '../compile/compile.js';
import { summarizeSteering } from '../compile/steering.js';
import { requirementFingerprint } from '../intent/fingerprint.js';
import { loadConfigs } from '../config/load.js';
import { verifyProgram } from '../verify/program.js';
import type { RequirementVerdict } from '../verify/verify.js';
import { combineVerdicts, type CheckReport, type Hop, type IntentReport, type RequirementReport } from './report.js';
import { twinFindings, type TwinVerification } from './findings.js';
import { diagnosticCode, hasErrors, twinHasErrors, verifiablePart } from './verifiable.js';

export interface CheckOptions {
    /** Run the verifier; false: parse, link and validate only. */
    verify: boolean;
    /**
     * Verify the configurations in this folder (a folder per device) instead of compiling the
     * intents; with several twins, a sub-folder per network.
     */
    configs?: string;
    /** The folders twins may be read from (the CLI's workspace); without, the editor's, if any. */
    twinScope?: TwinScope;
    /** Report how each verdict was reached: paths, failure sets, steering (`check --explain`). */
    explain?: boolean;
}

/** A check's report, and the intent program of each twin the files bind, by twin file (what the compiler and the lab take). */
export interface CheckedFiles extends CheckReport {
    programs: Map<string, IntentProgram>;
}

export async function checkFiles(
    services: NetintentServices,
    files: readonly string[],
    options: CheckOptions
): Promise<CheckedFiles> {
    const shared = services.shared;
    shared.twin.TwinWorkspace.setScope(options.twinScope);
    // Each check starts from the files as they are now, also when the services are reused.
    const previous = shared.workspace.LangiumDocuments.all.map(d => d.uri).toArray();
    if (previous.length > 0) await shared.workspace.DocumentBuilder.update([], previous);
    shared.twin.TwinWorkspace.refresh();
    const documents: LangiumDocument<Model>[] = [];
    for (const file of files) {
        documents.push(
            (await shared.workspace.LangiumDocuments.getOrCreateDocument(URI.file(file))) as LangiumDocument<Model>
        );
    }
    await shared.workspace.DocumentBuilder.build(documents, { validation: true });

    const diagnostics: Diagnostic[] = documents.flatMap(d => (d.diagnostics ?? []).map(x => fromLsp(d, x)));
    const twinFiles = new Set(
        documents.map(d => shared.twin.TwinWorkspace.twinFileOf(d)).filter((f): f is string => f !== undefined)
    );
    const brokenTwins = new Set<string>();
    for (const twinFile of twinFiles) {
        const loaded = shared.twin.TwinWorkspace.get(twinFile);
        diagnostics.push(...loaded.diagnostics.filter(d => !(d.code === 'missing-file' && d.file === twinFile)));
        if (twinHasErrors(loaded)) brokenTwins.add(twinFile);
    }
    const verified = options.verify
        ? verifyTwins(services, [...twinFiles].sort(), brokenTwins, diagnostics, options)
        : new Map<AstNode, RequirementVerdict>();
    const intents = documents.flatMap(document => {
        const twinFile = shared.twin.TwinWorkspace.twinFileOf(document);
        const unusable = twinFile === undefined || brokenTwins.has(twinFile);
        return intentReports(document, unusable, verified);
    });
    const reported = sortDiagnostics(dedupe(diagnostics));
    const programs = new Map(
        [...twinFiles].sort().map(twinFile => [twinFile, services.intent.IntentPrograms.forTwin(twinFile).program])
    );
    return {
        programs,
        diagnostics: reported,
        intents,
        summary: {
            errors: reported.filter(d => d.severity === 'error').length,
            warnings: reported.filter(d => d.severity === 'warning').length,
            intents: intents.length,
            holding: intents.filter(i => i.verdict === 'holds').length,
            violated: intents.filter(i => i.verdict === 'violated').length,
            unknown: intents.filter(i => i.verdict === 'unknown' && i.requirements.some(r => r.reason !== undefined))
                .length
        }
    };
}

/**
 * Verifies each twin's intents but the statements with errors and what depends on them
 * (check/verifiable.ts); what it found is reported as the editor shows it (check/findings.ts).
 * Returns the verdict of each requirement's statement (the `default deny` line for the default
 * requirement).
 */
function verifyTwins(
    services: NetintentServices,
    twinFiles: string[],
    brokenTwins: Set<string>,
    diagnostics: Diagnostic[],
    options: Pick<CheckOptions, 'configs' | 'explain'>
): Map<AstNode, RequirementVerdict> {
    const configsFolder = options.configs;
    const byStatement = new Map<AstNode, RequirementVerdict>();
    for (const twinFile of twinFiles) {
        if (brokenTwins.has(twinFile)) continue;
        const bound = services.intent.IntentPrograms.forTwin(twinFile);
        const part = verifiablePart(bound);
        const configs =
            configsFolder !== undefined && twinFiles.length > 1
                ? path.join(configsFolder, bound.program.twin.network)
                : configsFolder;
        const verification = part.program
            ? verifyNetwork(part.program, part.undecided, configs, diagnostics, options.explain ?? false)
            : { verdicts: new Map(), forwarding: [] };
        const findings = twinFindings(bound, part, verification);
        findings.verdicts.forEach((verdict, statement) => byStatement.set(statement, verdict));
        diagnostics.push(...findings.atStatements.map(s => s.diagnostic), ...findings.forwarding);
    }
    return byStatement;
}

/**
 * Compiles a program and verifies it, or verifies it on the configurations in `configsFolder`
 * (none when one cannot be read). With `explain`, each verdict is explained; where the
 * configurations are the compiled ones, with the steering of each requirement that has some.
 */
function verifyNetwork(
    program: IntentProgram,
    undecided: ReadonlyMap<Requirement, string>,
    configsFolder: string | undefined,
    diagnostics: Diagnostic[],
    explain: boolean
): TwinVerification {
    const compiled = compileNetwork(program);
    if (configsFolder !== undefined) {
        const loaded = loadConfigs(configsFolder, program.twin);
        diagnostics.push(...loaded.diagnostics);
        // What a configuration holds that is not modelled makes verdicts unknown, not the run impossible.
        if (loaded.diagnostics.some(d => d.severity === 'error' && d.code === 'missing-config'))
            return { verdicts: new Map(), forwarding: [] };
        return verifyProgram(program, loaded.configs, undecided, { explain });
    }
    const verification = verifyProgram(program, compiled.devices, undecided, { explain });
    if (!explain) return verification;
    const steering = compiled.reuse.steering.byRequirement;
    for (const [requirement, verdict] of verification.verdicts) {
        const own = requirement.kind === 'allow' ? steering.get(requirementFingerprint(requirement)) : undefined;
        if (own && verdict.explanation)
            verification.verdicts.set(requirement, {
                ...verdict,
                explanation: { ...verdict.explanation, steering: summarizeSteering(own) }
            });
    }
    return verification;
}

/**
 * One report per intent, plus one for a `default deny` (its implicit requirement). A statement
 * with errors of its own is `error`, as is every statement of a twin that cannot be used; one
 * that depends on errors elsewhere has the verdict verification gave it.
 */
function intentReports(
    document: LangiumDocument<Model>,
    twinUnusable: boolean,
    verified: Map<AstNode, RequirementVerdict>
): IntentReport[] {
    const file = document.uri.fsPath;
    const broken = (node: AstNode) => twinUnusable || hasErrors(node);
    const reports: IntentReport[] = [];
    for (const statement of document.parseResult.value.statements) {
        if (isDefaultPolicy(statement) && statement.action === 'deny') {
            const line = locationOf(statement).range.start.line;
            const requirement = requirementReport(line, 'default', broken(statement), verified.get(statement));
            reports.push({
                name: 'default deny',
                file,
                line,
                verdict: requirement.verdict,
                requirements: [requirement]
            });
        }
        if (!isIntent(statement)) continue;
        const requirements = statement.requirements.map(requirement =>
            requirementReport(
                locationOf(requirement).range.start.line,
                requirement.$type.toLowerCase() as RequirementReport['kind'],
                broken(requirement),
                verified.get(requirement)
            )
        );
        const verdict = broken(statement)
            ? 'error'
            : requirements.length === 0
              ? 'unknown'
              : combineVerdicts(requirements.map(r => r.verdict));
        reports.push({
            name: statement.name ?? '',
            file,
            line: locationOf(statement).range.start.line,
            verdict,
            requirements
        });
    }
    return reports;
}

function requirementReport(
    line: number,
    kind: RequirementReport['kind'],
    broken: boolean,
    verdict: RequirementVerdict | undefined
): RequirementReport {
    if (broken) return { line, kind, verdict: 'error' };
    if (!verdict) return { line, kind, verdict: 'unknown' };
    const explained = explanationReport(verdict);
    if (verdict.unknown) return { line, kind, verdict: 'unknown', reason: verdict.unknown, ...explained };
    const { counterexample } = verdict;
    return counterexample
        ? {
              line,
              kind,
              verdict: 'violated',
              counterexample: {
                  packet: counterexample.packet,
                  origin: counterexample.origin,
                  forged: counterexample.forged,
                  failures: counterexample.failures,
                  path: counterexample.path,
                  reason: counterexample.reason,
                  branches: counterexample.branches,
                  hops: counterexample.hops.map(hopReport)
              },
              ...explained
          }
        : { line, kind, verdict: 'holds', ...explained };
}

/** What `--explain` adds to a requirement's report, if the verdict was explained. */
function explanationReport(verdict: RequirementVerdict): Partial<RequirementReport> {
    const explanation = verdict.explanation;
    if (!explanation) return {};
    return {
        paths: explanation.paths.map(path => path.map(hopReport)),
        pathCount: verdict.paths,
        failureSets: explanation.failureSets,
        failureSetCount: verdict.scenarios,
        ...(verdict.survivedBy ? { survivedBy: verdict.survivedBy } : {}),
        ...(explanation.steering ? { steering: explanation.steering } : {})
    };
}

function hopReport(hop: Hop): Hop {
    return { device: hop.device, in: hop.in, out: hop.out };
}

const SEVERITIES: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'info', 4: 'info' };

function fromLsp(document: LangiumDocument, diagnostic: LspDiagnostic): Diagnostic {
    return {
        file: document.uri.fsPath,
        range: fromZeroBased(diagnostic.range),
        severity: SEVERITIES[diagnostic.severity ?? 1],
        code: diagnosticCode(diagnostic),
        message: typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value
    };
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
    const seen = new Set<string>();
    return diagnostics.filter(d => {
        const key = `${d.file}:${d.range.start.line}:${d.range.start.column}:${d.code}:${d.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
    return diagnostics.sort(
        (x, y) =>
            x.file.localeCompare(y.file) ||
            x.range.start.line - y.range.start.line ||
            x.range.start.column - y.range.start.column
    );
}
