/** A language client for tests: the built server process, spoken to over stdio JSON-RPC. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import {
    createProtocolConnection,
    StreamMessageReader,
    StreamMessageWriter,
    type ProtocolConnection,
    type PublishDiagnosticsParams
} from 'vscode-languageserver-protocol/node';

// Tests and benchmarks run from the project root (npm scripts, vitest).
const SERVER = path.resolve('out', 'server', 'main.cjs');

export class LspClient {
    readonly connection: ProtocolConnection;
    /** The latest diagnostics published per document URI. */
    readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
    /** How many times diagnostics were published per document URI. */
    readonly publications = new Map<string, number>();
    private readonly process: ChildProcess;
    private waiters: Array<() => void> = [];

    constructor() {
        this.process = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
        this.connection = createProtocolConnection(
            new StreamMessageReader(this.process.stdout!),
            new StreamMessageWriter(this.process.stdin!)
        );
        this.connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
            this.diagnostics.set(params.uri, params);
            this.publications.set(params.uri, (this.publications.get(params.uri) ?? 0) + 1);
            const waiters = this.waiters;
            this.waiters = [];
            waiters.forEach(w => w());
        });
        // The server asks for progress tokens, code lens refreshes and configuration: say yes.
        this.connection.onRequest('window/workDoneProgress/create', () => null);
        this.connection.onRequest('workspace/codeLens/refresh', () => null);
        this.connection.onRequest('workspace/semanticTokens/refresh', () => null);
        this.connection.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
            params.items.map(() => ({}))
        );
        this.connection.onRequest('client/registerCapability', () => null);
        this.connection.listen();
    }

    async initialize(folder: string): Promise<void> {
        const uri = `file://${folder}`;
        await this.connection.sendRequest('initialize', {
            processId: process.pid,
            rootUri: uri,
            workspaceFolders: [{ uri, name: path.basename(folder) }],
            capabilities: {
                workspace: { codeLens: { refreshSupport: true }, workspaceFolders: true, configuration: true },
                window: { workDoneProgress: true },
                textDocument: {
                    publishDiagnostics: {},
                    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } }
                }
            }
        });
        await this.connection.sendNotification('initialized', {});
    }

    /** Waits until `accept` holds for a document's latest diagnostics (or fails after `ms`). */
    async diagnosticsFor(
        uri: string,
        accept: (p: PublishDiagnosticsParams) => boolean,
        ms = 20_000
    ): Promise<PublishDiagnosticsParams> {
        const deadline = Date.now() + ms;
        for (;;) {
            const latest = this.diagnostics.get(uri);
            if (latest && accept(latest)) return latest;
            if (Date.now() > deadline)
                throw new Error(
                    `no matching diagnostics for ${uri}; latest: ${JSON.stringify(latest?.diagnostics.map(d => d.message))}`
                );
            await new Promise<void>(resolve => {
                this.waiters.push(resolve);
                setTimeout(resolve, 200);
            });
        }
    }

    /** Shuts the server down as an editor does; kills it if it has not exited within 2 s. */
    async stop(): Promise<void> {
        const exited = new Promise(resolve => this.process.once('exit', resolve));
        try {
            await this.connection.sendRequest('shutdown');
            await this.connection.sendNotification('exit');
            await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 2000))]);
        } finally {
            this.process.kill();
            this.connection.dispose();
        }
    }
}
