/**
 * The extension's own requests, answered from the same pipeline as the CLI: compile the intents
 * of a file's twin into a folder, verify now, and the topology with the paths of the requirement
 * under the cursor.
 */
import * as path from 'node:path';
import { AstUtils, CstUtils, URI, type LangiumDocument } from 'langium';
import type { Connection } from 'vscode-languageserver';
import { OutputError, writeOutput } from '../compile/output.js';
import { boundHasErrors } from '../check/verifiable.js';
import { compileFiles } from '../compile/targets.js';
import { isRequirement } from '../language/generated/ast.js';
import type { NetintentLspServices } from './netintent-lsp-module.js';
import {
    COMPILE_REQUEST,
    TOPOLOGY_REQUEST,
    VERIFY_REQUEST,
    type CompileParams,
    type CompileResult,
    type Topology,
    type TopologyParams
} from './protocol.js';

export function registerRequests(connection: Connection, services: NetintentLspServices): void {
    const documents = services.shared.workspace.LangiumDocuments;
    const documentOf = (uri: string) => documents.getDocument(URI.parse(uri));

    connection.onRequest(COMPILE_REQUEST, async (params: CompileParams): Promise<CompileResult> => {
        await services.editor.Verification.idle();
        const document = documentOf(params.uri);
        const bound = document && services.intent.IntentPrograms.forDocument(document);
        if (!document || !bound) return { written: 0, unchanged: 0, refused: [], error: 'This file binds no twin.' };
        if (boundHasErrors(bound))
            return { written: 0, unchanged: 0, refused: [], error: 'Not compiled: fix the errors first.' };
        const outDir = path.resolve(path.dirname(document.uri.fsPath), params.outDir);
        const { files } = compileFiles(bound.program, params.target);
        try {
            const result = await writeOutput(outDir, files, { force: false });
            for (const warning of result.warnings) connection.console.warn(`compile into ${outDir}: ${warning}`);
            return {
                network: bound.program.twin.network,
                written: result.written.length,
                unchanged: result.unchanged.length,
                refused: result.refused,
                outDir
            };
        } catch (error) {
            // A folder that cannot take the output is the user's to fix, not a failed request.
            if (error instanceof OutputError)
                return { written: 0, unchanged: 0, refused: [], outDir, error: error.message };
            throw error;
        }
    });

    connection.onRequest(VERIFY_REQUEST, async () => {
        await services.editor.Verification.idle();
        return services.editor.Verification.counts();
    });

    connection.onRequest(TOPOLOGY_REQUEST, async (params: TopologyParams): Promise<Topology | undefined> => {
        await services.editor.Verification.idle();
        const document = documentOf(params.uri);
        const bound = document && services.intent.IntentPrograms.forDocument(document);
        if (!document || !bound) return undefined;
        const twin = bound.program.twin;
        const topology: Topology = {
            network: twin.network,
            devices: [...twin.devices.values()].map(d => ({ name: d.name, role: d.role })),
            links: twin.links.map(l => ({
                a: l.a.device,
                b: l.b.device,
                label: `${l.a.interface} – ${l.b.interface}`
            })),
            places: [
                ...[...twin.segments.values()]
                    .filter(s => s.attach)
                    .map(s => ({ name: `segment ${s.name}`, device: s.attach!.device })),
                ...[...twin.externals.values()]
                    .filter(e => e.attach)
                    .map(e => ({ name: `external ${e.name}`, device: e.attach!.device }))
            ],
            paths: []
        };
        const statement = params.position && requirementAt(document, params.position);
        const verdict = statement && services.editor.Verification.verdictOf(statement);
        if (verdict) {
            topology.requirement = statement.$cstNode?.text.split('\n')[0];
            if (verdict.counterexample) {
                topology.paths = verdict.counterexample.branches.map(devices => ({ devices, failing: true }));
                topology.dropAt = verdict.counterexample.path.at(-1);
            } else {
                topology.paths = verdict.pathDevices.map(devices => ({ devices, failing: false }));
            }
        }
        return topology;
    });
}

/** The requirement at the cursor, or, from a line's indentation or end, the one on that line. */
function requirementAt(document: LangiumDocument, position: { line: number; character: number }) {
    const root = document.parseResult.value.$cstNode!;
    const lineText = document.textDocument.getText({
        start: { line: position.line, character: 0 },
        end: { line: position.line + 1, character: 0 }
    });
    const firstWord = { line: position.line, character: lineText.length - lineText.trimStart().length };
    for (const candidate of [position, firstWord]) {
        const leaf = CstUtils.findLeafNodeAtOffset(root, document.textDocument.offsetAt(candidate));
        const requirement = leaf && AstUtils.getContainerOfType(leaf.astNode, isRequirement);
        if (requirement) return requirement;
    }
    return undefined;
}
