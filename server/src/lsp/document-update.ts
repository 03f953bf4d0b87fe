/** Re-checking when a twin changes. */
import * as fs from 'node:fs';
import { URI } from 'langium';
import { DefaultDocumentUpdateHandler } from 'langium/lsp';
import { FileChangeType, type DidChangeWatchedFilesParams, type FileEvent } from 'vscode-languageserver';
import type { NetintentLspSharedServices } from './netintent-lsp-module.js';

/**
 * A twin file saved or changed on disk (the client watches *.twin.yaml and *.clab.yml): the
 * twin is read again and every intent file bound to it is checked again, without a restart.
 */
export class NetintentDocumentUpdateHandler extends DefaultDocumentUpdateHandler {
    private readonly shared: NetintentLspSharedServices;

    constructor(shared: NetintentLspSharedServices) {
        super(shared);
        this.shared = shared;
    }

    /** Saves are wanted: with verifyOnType off, they start verification (see VerificationScheduler). */
    didSaveDocument(): void {
        // The scheduler listens to the documents' save events; nothing more to do here.
    }

    override didChangeWatchedFiles(params: DidChangeWatchedFilesParams): void {
        const twins = this.shared.twin.TwinWorkspace;
        const affected = new Set(params.changes.flatMap(change => twins.changed(URI.parse(change.uri).fsPath)));
        // Documents open in the editor, or on disk: a closed file that was never saved has no text to reload.
        const open = this.shared.workspace.TextDocuments;
        const bound = this.shared.workspace.LangiumDocuments.all
            .filter(
                d =>
                    affected.has(twins.twinFileOf(d) ?? '') &&
                    (open.get(d.uri.toString()) !== undefined || fs.existsSync(d.uri.fsPath))
            )
            .map((d): FileEvent => ({ uri: d.uri.toString(), type: FileChangeType.Changed }))
            .toArray();
        // The intent files bound to a changed twin count as changed, in the same update: a second
        // one would cancel the verification the first scheduled.
        super.didChangeWatchedFiles({ changes: [...params.changes, ...bound] });
    }
}
