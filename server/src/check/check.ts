/**
 * The check pipeline that both fronts share: load the intent files, parse, link and validate
 * them (with their twins), and report diagnostics and per-intent verdicts.
 */
import { AstUtils, URI, type AstNode, type LangiumDocument } from 'langium';
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver-types';
import type { Diagnostic, Severity } from '../common/diagnostic.js';
import { locationOf } from '../intent/build.js';
import { isDefaultPolicy, isGroup, isIntent, isScenario, isService, type Model } from '../language/generated/ast.js';
import type { NetintentServices } from '../language/netintent-module.js';
import { combineVerdicts, type CheckReport, type IntentReport, type RequirementReport, type Verdict } from './report.js';

export interface CheckOptions {
    /** Run the verifier (when there is one); false: parse, link and validate only. */
    verify: boolean;
}

export async function checkFiles(services: NetintentServices, files: readonly string[], _options: CheckOptions): Promise<CheckReport> {
    const shared = services.shared;
    // Each check starts from the files as they are now, also when the services are reused.
    const previous = shared.workspace.LangiumDocuments.all.map(d => d.uri).toArray();
    if (previous.length > 0) await shared.workspace.DocumentBuilder.update([], previous);
    shared.twin.TwinWorkspace.clear();
    const documents: LangiumDocument<Model>[] = [];
    for (const file of files) {
        documents.push(await shared.workspace.LangiumDocuments.getOrCreateDocument(URI.file(file)) as LangiumDocument<Model>);
    }
    await shared.workspace.DocumentBuilder.build(documents, { validation: true });

    const diagnostics: Diagnostic[] = documents.flatMap(d => (d.diagnostics ?? []).map(x => fromLsp(d, x)));
    const twinFiles = new Set(documents.map(d => shared.twin.TwinWorkspace.twinFileOf(d)).filter((f): f is string => f !== undefined));
    const brokenTwins = new Set<string>();
    for (const twinFile of twinFiles) {
        const loaded = shared.twin.TwinWorkspace.get(twinFile);
        diagnostics.push(...loaded.diagnostics.filter(d => !(d.code === 'missing-file' && d.file === twinFile)));
        if (loaded.diagnostics.some(d => d.severity === 'error')) brokenTwins.add(twinFile);
    }
    const intents = documents.flatMap(document => {
        const twinFile = shared.twin.TwinWorkspace.twinFileOf(document);
        const unusable = twinFile === undefined || brokenTwins.has(twinFile);
        return intentReports(document, diagnostics, unusable);
    });
    const reported = sortDiagnostics(dedupe(diagnostics));
    return {
        diagnostics: reported,
        intents,
        summary: {
            errors: reported.filter(d => d.severity === 'error').length,
            warnings: reported.filter(d => d.severity === 'warning').length,
            intents: intents.length,
            holding: intents.filter(i => i.verdict === 'holds').length,
            violated: intents.filter(i => i.verdict === 'violated').length
        }
    };
}

/** One report per intent, plus one for a `default deny` (its implicit requirement). */
function intentReports(document: LangiumDocument<Model>, diagnostics: readonly Diagnostic[], twinUnusable: boolean): IntentReport[] {
    const file = document.uri.fsPath;
    const hasErrors = (node: AstNode) => {
        const { file: where, range } = locationOf(node);
        return diagnostics.some(d => d.file === where && d.severity === 'error' && d.range.start.line >= range.start.line && d.range.start.line <= range.end.line);
    };
    // A requirement cannot be checked when it, or a group, service or scenario it uses, has errors.
    const broken = (node: AstNode) => twinUnusable || hasErrors(node) || declarationsUsedBy(node).some(hasErrors);
    const fileHasErrors = diagnostics.some(d => d.file === file && d.severity === 'error');
    const reports: IntentReport[] = [];
    for (const statement of document.parseResult.value.statements) {
        if (isDefaultPolicy(statement) && statement.action === 'deny') {
            const line = locationOf(statement).range.start.line;
            const verdict: Verdict = twinUnusable || fileHasErrors ? 'error' : 'unknown';
            reports.push({ name: 'default deny', file, line, verdict, requirements: [{ line, kind: 'default', verdict }] });
        }
        if (!isIntent(statement)) continue;
        const requirements: RequirementReport[] = statement.requirements.map(requirement => ({
            line: locationOf(requirement).range.start.line,
            kind: requirement.$type.toLowerCase() as RequirementReport['kind'],
            verdict: broken(requirement) ? 'error' : 'unknown'
        }));
        const verdict = broken(statement) ? 'error' : requirements.length === 0 ? 'unknown' : combineVerdicts(requirements.map(r => r.verdict));
        reports.push({ name: statement.name ?? '', file, line: locationOf(statement).range.start.line, verdict, requirements });
    }
    return reports;
}

/** The groups, services and scenarios a statement uses, directly or through groups. */
function declarationsUsedBy(node: AstNode, found = new Set<AstNode>()): AstNode[] {
    for (const child of AstUtils.streamAst(node)) {
        for (const reference of AstUtils.streamReferences(child)) {
            const target = 'ref' in reference.reference ? reference.reference.ref : undefined;
            if ((isGroup(target) || isService(target) || isScenario(target)) && !found.has(target)) {
                found.add(target);
                declarationsUsedBy(target, found);
            }
        }
    }
    return [...found];
}

const SEVERITIES: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'info', 4: 'info' };

function fromLsp(document: LangiumDocument, diagnostic: LspDiagnostic): Diagnostic {
    const data = diagnostic.data as { code?: string } | undefined;
    const raw = String(diagnostic.code ?? data?.code ?? 'error');
    const code = raw === 'lexing-error' || raw === 'parsing-error' ? 'syntax' : raw;
    return {
        file: document.uri.fsPath,
        range: {
            start: { line: diagnostic.range.start.line + 1, column: diagnostic.range.start.character + 1 },
            end: { line: diagnostic.range.end.line + 1, column: diagnostic.range.end.character + 1 }
        },
        severity: SEVERITIES[diagnostic.severity ?? 1],
        code,
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
    return diagnostics.sort((x, y) => x.file.localeCompare(y.file) || x.range.start.line - y.range.start.line || x.range.start.column - y.range.start.column);
}
