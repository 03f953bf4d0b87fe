/**
 * The VS Code extension: starts the netintent language server for *.intent files, and adds the
 * commands (Compile, Verify, Show Topology), compile-on-save, an output channel and a status-bar
 * item with the counts of holding and violated intents.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
    LanguageClient,
    TransportKind,
    type LanguageClientOptions,
    type ServerOptions
} from 'vscode-languageclient/node';
import {
    COMPILE_REQUEST,
    VERDICTS_NOTIFICATION,
    VERIFY_REQUEST,
    type CompileParams,
    type CompileResult
} from '../../server/src/lsp/protocol.js';
import { TopologyPanel } from './topology-panel.js';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const output = vscode.window.createOutputChannel('netintent', { log: true });
    const module = context.asAbsolutePath(path.join('out', 'server', 'main.cjs'));
    const serverOptions: ServerOptions = {
        run: { module, transport: TransportKind.ipc },
        debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } }
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [{ scheme: 'file', language: 'netintent' }],
        outputChannel: output,
        // Twin files are read by the server from disk: it re-checks the intents when they change.
        synchronize: {
            fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{twin.yaml,twin.yml,clab.yml,clab.yaml}')
        }
    };
    client = new LanguageClient('netintent', 'netintent', serverOptions, clientOptions);

    const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10);
    status.name = 'netintent verdicts';
    status.command = 'netintent.verify';
    status.text = '$(sync~spin) netintent';
    status.show();
    context.subscriptions.push(output, status);

    await client.start();
    client.onNotification(VERDICTS_NOTIFICATION, (counts: { holding: number; violated: number }) => {
        status.text = `$(pass) ${counts.holding} $(error) ${counts.violated}`;
        status.tooltip = `netintent: ${counts.holding} requirements hold, ${counts.violated} violated`;
        status.backgroundColor =
            counts.violated > 0 ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    });

    const compile = async (document: vscode.TextDocument | undefined, quiet: boolean) => {
        if (!document || document.languageId !== 'netintent') {
            if (!quiet)
                void vscode.window.showWarningMessage('netintent: open an .intent file to compile its network.');
            return;
        }
        const settings = vscode.workspace.getConfiguration('netintent', document.uri);
        const params: CompileParams = {
            uri: document.uri.toString(),
            outDir: settings.get<string>('outDir', 'build'),
            target: settings.get<CompileParams['target']>('target', 'frr')
        };
        const result: CompileResult = await client!.sendRequest(COMPILE_REQUEST, params);
        if (result.error) {
            output.info(`compile ${path.basename(document.uri.fsPath)}: ${result.error}`);
            if (!quiet) void vscode.window.showErrorMessage(`netintent: ${result.error}`);
        } else if (result.refused.length > 0) {
            output.info(
                `compile ${result.network}: not written; these files in ${result.outDir} are not netintent's: ${result.refused.join(', ')}`
            );
            void vscode.window.showErrorMessage(
                `netintent: ${result.refused.length} file(s) in ${result.outDir} were not written by netintent; nothing was overwritten.`
            );
        } else {
            output.info(
                `compiled ${result.network} → ${result.outDir}: ${result.written} written, ${result.unchanged} unchanged`
            );
            if (!quiet)
                void vscode.window.showInformationMessage(
                    `netintent: compiled ${result.network} into ${result.outDir} (${result.written} written, ${result.unchanged} unchanged).`
                );
        }
    };

    context.subscriptions.push(
        vscode.commands.registerCommand('netintent.compile', () =>
            compile(vscode.window.activeTextEditor?.document, false)
        ),
        vscode.commands.registerCommand('netintent.verify', async () => {
            const counts: { holding: number; violated: number } = await client!.sendRequest(VERIFY_REQUEST);
            void vscode.window.showInformationMessage(
                `netintent: ${counts.holding} requirements hold, ${counts.violated} violated.`
            );
        }),
        vscode.commands.registerCommand('netintent.showTopology', () => TopologyPanel.show(context, client!)),
        vscode.workspace.onDidSaveTextDocument(document => {
            if (
                document.languageId === 'netintent' &&
                vscode.workspace.getConfiguration('netintent', document.uri).get<boolean>('compileOnSave', false)
            ) {
                void compile(document, true);
            }
        })
    );
}

export async function deactivate(): Promise<void> {
    await client?.stop();
}
