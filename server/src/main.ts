/** The language server process: the same services as the CLI, spoken to over LSP. */
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createNetintentLspServices } from './lsp/netintent-lsp-module.js';
import { registerRequests } from './lsp/requests.js';
import { createStdioConnection } from './lsp/transport.js';

// Over stdio, a reader that survives malformed input (see transport.ts). IPC, the VS Code client's
// transport, carries whole messages: it and the others are left to vscode-languageserver.
const connection = process.argv.includes('--stdio') ? createStdioConnection() : createConnection(ProposedFeatures.all);
// A failure in one request or build must not end the editing session: log it and carry on.
process.on('unhandledRejection', error =>
    connection.console.error(`netintent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
);
const { shared, Netintent } = createNetintentLspServices({ connection, ...NodeFileSystem });
// Verification runs in the server only: start its scheduler before the first build.
void Netintent.editor.Verification;
registerRequests(connection, Netintent);
startLanguageServer(shared);
