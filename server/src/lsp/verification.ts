/**
 * Verification in the language server: after Langium's fast checks of a build, debounced while
 * the user types, cancelled by the next edit, with work-done progress. Each twin keeps a
 * VerificationSession, so an edit verifies again only what it changed. Statements with errors are
 * left out, and what depends on them is unknown (check/verifiable.ts), as in the CLI. Violations
 * are published with the document's other diagnostics; hover and code lenses read the verdicts,
 * the unknown ones with their reasons, from here.
 */
import { AstUtils, DocumentState, type AstNode } from 'langium';
import { CodeLensRefreshRequest, DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { verdictProblem } from '../check/report.js';
import { statementVerdicts, verifiablePart } from '../check/verifiable.js';
import type { NetintentServices, NetintentSharedServices } from '../language/netintent-module.js';
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
    private readonly shared: NetintentSharedServices;
    private readonly programs: IntentPrograms;

    /** Created by the language server only (the CLI verifies once, without a scheduler). */
    constructor(services: NetintentServices) {
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
        const setting = await this.shared.workspace.ConfigurationProvider.getConfiguration('netintent', 'verifyOnType').catch(() => undefined);
        return setting !== false;
    }

    /** The verdict of a requirement statement (or of the `default deny` line), if verified. */
    verdictOf(statement: AstNode): RequirementVerdict | undefined {
        return this.verdicts.get(statement);
    }

    /** How many requirement statements hold and how many are violated, as last verified. */
    counts(): { holding: number; violated: number } {
        const verdicts = [...this.verdicts.values()];
        return { holding: verdicts.filter(v => v.verdict === 'holds').length, violated: verdicts.filter(v => v.verdict === 'violated').length };
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
            this.running = this.verifyAll(generation).finally(() => { this.running = undefined; });
        }, VERIFY_DEBOUNCE_MS);
    }

    private async verifyAll(generation: number): Promise<void> {
        const connection = this.shared.lsp.Connection;
        const programs = this.programs;
        const documents = this.shared.workspace.LangiumDocuments.all.toArray();
        const twins = new Set(documents.map(d => this.shared.twin.TwinWorkspace.twinFileOf(d)).filter((f): f is string => f !== undefined));
        const progress = connection ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
        progress?.begin('netintent', 0, 'Verifying intents', true);
        // A run's verdicts replace the last run's whole: statements of earlier builds drop out.
        const verdicts = new Map<AstNode, RequirementVerdict>();
        try {
            for (const twinFile of twins) {
                const bound = programs.forTwin(twinFile);
                if (bound.loaded.diagnostics.some(d => d.severity === 'error')) continue;
                const part = verifiablePart(bound);
                let session = this.sessions.get(twinFile);
                if (!session) this.sessions.set(twinFile, session = new VerificationSession());
                const run = part.program && await session.runAsync(part.program, () => generation !== this.generation, part.undecided);
                const violations = new Map<string, Diagnostic[]>();
                for (const [statement, verdict] of statementVerdicts(bound, part, run?.verdicts ?? new Map())) {
                    verdicts.set(statement, verdict);
                    // What is not proved shows in the code lens and hover: the error it depends on is marked already.
                    const problem = verdictProblem(verdict);
                    if (problem?.code !== 'violated' || !statement.$cstNode) continue;
                    const uri = AstUtils.getDocument(statement).uri.toString();
                    const list = violations.get(uri) ?? [];
                    list.push({ range: statement.$cstNode.range, severity: DiagnosticSeverity.Error, code: problem.code, source: 'netintent', message: problem.message });
                    violations.set(uri, list);
                }
                for (const document of bound.documents) {
                    const own = (document.diagnostics ?? []).filter(d => d.code !== 'violated');
                    document.diagnostics = [...own, ...(violations.get(document.uri.toString()) ?? [])];
                    connection?.sendDiagnostics({ uri: document.uri.toString(), diagnostics: document.diagnostics });
                }
            }
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
