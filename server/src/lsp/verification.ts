/**
 * Verification in the language server: after Langium's fast checks of a build, debounced while
 * the user types, cancelled by the next edit, with work-done progress. Each twin keeps a
 * VerificationSession, so an edit verifies again only what it changed. Statements with errors are
 * left out, and what depends on them is unknown (check/verifiable.ts), as in the CLI. Violations
 * are published with the document's other diagnostics; hover and code lenses read the verdicts,
 * the unknown ones with their reasons, from here.
 */
import { AstUtils, DocumentState, URI, type AstNode } from 'langium';
import { CodeLensRefreshRequest, DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver';
import { twinFindings } from '../check/findings.js';
import { twinHasErrors, verifiablePart } from '../check/verifiable.js';
import { toZeroBased, type Diagnostic as Finding } from '../common/diagnostic.js';
import type { NetintentLspServices, NetintentLspSharedServices } from './netintent-lsp-module.js';
import type { IntentPrograms } from '../language/intent-programs.js';
import { Cancelled, VerificationSession } from '../verify/session.js';
import { VERDICTS_NOTIFICATION } from './protocol.js';
import type { RequirementVerdict } from '../verify/verify.js';

/** How long typing may pause before verification starts. */
export const VERIFY_DEBOUNCE_MS = 20;

export class VerificationScheduler {
    private readonly sessions = new Map<string, VerificationSession>();
    private verdicts = new Map<AstNode, RequirementVerdict>();
    private timer?: NodeJS.Timeout;
    private generation = 0;
    private running?: Promise<void>;
    private readonly shared: NetintentLspSharedServices;
    private readonly programs: IntentPrograms;
    /** The twin files whose loops and blackholes were published last. */
    private twinsWithProblems = new Set<string>();

    /** Created by the language server only (the CLI verifies once, without a scheduler). */
    constructor(services: NetintentLspServices) {
        this.shared = services.shared;
        this.programs = services.intent.IntentPrograms;
        this.shared.workspace.DocumentBuilder.onUpdate(() => this.cancel());
        // With `netintent.verifyOnType` off, verification waits for a save.
        this.shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.Validated, async () => {
            if (await this.verifyOnType()) this.schedule();
        });
        this.shared.workspace.TextDocuments.onDidSave(() => this.schedule());
    }

    private async verifyOnType(): Promise<boolean> {
        const setting = await this.shared.workspace.ConfigurationProvider.getConfiguration(
            'netintent',
            'verifyOnType'
        ).catch(() => undefined);
        return setting !== false;
    }

    /** The verdict of a requirement statement (or of the `default deny` line), if verified. */
    verdictOf(statement: AstNode): RequirementVerdict | undefined {
        return this.verdicts.get(statement);
    }

    /** How many requirement statements hold and how many are violated, as last verified. */
    counts(): { holding: number; violated: number } {
        const verdicts = [...this.verdicts.values()];
        return {
            holding: verdicts.filter(v => v.verdict === 'holds').length,
            violated: verdicts.filter(v => v.verdict === 'violated').length
        };
    }

    /** Resolves when the verification scheduled so far has finished (tests, commands). */
    async idle(): Promise<void> {
        while (this.timer || this.running) {
            if (this.running) await this.running;
            else await new Promise(resolve => setTimeout(resolve, VERIFY_DEBOUNCE_MS));
        }
    }

    private cancel(): void {
        this.generation++;
        clearTimeout(this.timer);
        this.timer = undefined;
    }

    private schedule(): void {
        this.cancel();
        const generation = this.generation;
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.running = this.verifyAll(generation).finally(() => {
                this.running = undefined;
            });
        }, VERIFY_DEBOUNCE_MS);
    }

    private async verifyAll(generation: number): Promise<void> {
        const connection = this.shared.lsp.Connection;
        const programs = this.programs;
        const documents = this.shared.workspace.LangiumDocuments.all.toArray();
        const twins = new Set(
            documents.map(d => this.shared.twin.TwinWorkspace.twinFileOf(d)).filter((f): f is string => f !== undefined)
        );
        const progress = connection
            ? await connection.window.createWorkDoneProgress().catch(() => undefined)
            : undefined;
        progress?.begin('netintent', 0, 'Verifying intents', true);
        // A run's verdicts replace the last run's whole: statements of earlier builds drop out.
        const verdicts = new Map<AstNode, RequirementVerdict>();
        try {
            const forwardingByTwin = new Map<string, Diagnostic[]>();
            for (const twinFile of twins) {
                const bound = programs.forTwin(twinFile);
                if (twinHasErrors(bound.loaded)) continue;
                const part = verifiablePart(bound);
                let session = this.sessions.get(twinFile);
                if (!session) this.sessions.set(twinFile, (session = new VerificationSession()));
                const run =
                    part.program &&
                    (await session.runAsync(part.program, () => generation !== this.generation, part.undecided));
                const findings = twinFindings(bound, part, run ?? { verdicts: new Map(), forwarding: [] });
                findings.verdicts.forEach((verdict, statement) => verdicts.set(statement, verdict));
                // What is not proved shows in the code lens and hover: the error it depends on is marked already.
                const violations = new Map<string, Diagnostic[]>();
                for (const { statement, diagnostic } of findings.atStatements) {
                    if (diagnostic.code !== 'violated' || !statement.$cstNode) continue;
                    const uri = AstUtils.getDocument(statement).uri.toString();
                    const list = violations.get(uri) ?? [];
                    list.push(toLsp(diagnostic, statement.$cstNode.range));
                    violations.set(uri, list);
                }
                for (const document of bound.documents) {
                    const own = (document.diagnostics ?? []).filter(d => d.code !== 'violated');
                    document.diagnostics = [...own, ...(violations.get(document.uri.toString()) ?? [])];
                    connection?.sendDiagnostics({ uri: document.uri.toString(), diagnostics: document.diagnostics });
                }
                forwardingByTwin.set(
                    URI.file(twinFile).toString(),
                    findings.forwarding.map(d => toLsp(d))
                );
            }
            // The twin files are no Langium documents: their loops and blackholes are published
            // here, and cleared where there were some and are none any more.
            const withProblems = new Set(
                [...forwardingByTwin].filter(([, list]) => list.length > 0).map(([uri]) => uri)
            );
            for (const uri of new Set([...this.twinsWithProblems, ...withProblems])) {
                connection?.sendDiagnostics({ uri, diagnostics: forwardingByTwin.get(uri) ?? [] });
            }
            this.twinsWithProblems = withProblems;
            this.verdicts = verdicts;
            await connection?.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
            await connection?.sendNotification(VERDICTS_NOTIFICATION, this.counts());
        } catch (error) {
            if (!(error instanceof Cancelled)) throw error;
        } finally {
            progress?.done();
        }
    }
}

/** A finding as the editor shows it: at `range`, or where the finding stands (1-based lines and columns there). */
function toLsp(finding: Finding, range?: Range): Diagnostic {
    return {
        range: range ?? toZeroBased(finding.range),
        severity:
            finding.severity === 'error'
                ? DiagnosticSeverity.Error
                : finding.severity === 'warning'
                  ? DiagnosticSeverity.Warning
                  : DiagnosticSeverity.Information,
        code: finding.code,
        source: 'netintent',
        message: finding.message
    };
}
