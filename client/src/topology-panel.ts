/**
 * The topology view: a webview that draws the twin and, for the requirement under the cursor,
 * its paths — a violating one in red with the device where it fails marked. Offline: the script
 * is bundled with the extension; a strict Content-Security-Policy allows nothing else.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TOPOLOGY_REQUEST, type Topology, type TopologyParams } from '../../server/src/lsp/protocol.js';

export class TopologyPanel {
    private static current?: TopologyPanel;

    static show(context: vscode.ExtensionContext, client: LanguageClient): void {
        if (TopologyPanel.current) {
            TopologyPanel.current.panel.reveal(vscode.ViewColumn.Beside);
        } else {
            TopologyPanel.current = new TopologyPanel(context, client);
        }
        void TopologyPanel.current.update();
    }

    private readonly panel: vscode.WebviewPanel;
    private readonly disposables: vscode.Disposable[] = [];
    private timer?: NodeJS.Timeout;

    private constructor(
        context: vscode.ExtensionContext,
        private readonly client: LanguageClient
    ) {
        const media = vscode.Uri.joinPath(context.extensionUri, 'out', 'client');
        this.panel = vscode.window.createWebviewPanel(
            'netintent.topology',
            'netintent topology',
            vscode.ViewColumn.Beside,
            {
                enableScripts: true,
                localResourceRoots: [media]
            }
        );
        const script = this.panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'topology-view.js'));
        const nonce = randomBytes(16).toString('base64');
        this.panel.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${this.panel.webview.cspSource} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">html, body, #graph { margin: 0; width: 100%; height: 100%; background: #fff; font-family: sans-serif; } #title { position: absolute; top: 6px; left: 8px; z-index: 1; font-size: 12px; }</style>
</head><body><div id="title"></div><div id="graph"></div><script nonce="${nonce}" src="${script}"></script></body></html>`;
        this.panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
        // The view asks for its data once its script runs; what was posted before is lost.
        this.panel.webview.onDidReceiveMessage(
            message => message === 'ready' && this.update(),
            undefined,
            this.disposables
        );
        vscode.window.onDidChangeTextEditorSelection(() => this.schedule(), undefined, this.disposables);
        vscode.window.onDidChangeActiveTextEditor(() => this.schedule(), undefined, this.disposables);
    }

    private schedule(): void {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.update(), 200);
    }

    /** The intent editor the view follows: the active one, or the last visible one while the view has focus. */
    private async update(): Promise<void> {
        const editor = [vscode.window.activeTextEditor, ...vscode.window.visibleTextEditors].find(
            e => e?.document.languageId === 'netintent'
        );
        if (!editor) return;
        const params: TopologyParams = { uri: editor.document.uri.toString(), position: editor.selection.active };
        const topology: Topology | undefined = await this.client.sendRequest(TOPOLOGY_REQUEST, params);
        if (topology) await this.panel.webview.postMessage({ topology });
    }

    private dispose(): void {
        TopologyPanel.current = undefined;
        clearTimeout(this.timer);
        this.disposables.forEach(d => d.dispose());
    }
}
