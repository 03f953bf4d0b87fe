/**
 * The built language server under hostile input, over raw stdio: malformed framing, names a
 * rename must refuse, and a barrage of malformed JSON-RPC. After each, it must still answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkspaceEdit } from 'vscode-languageserver-protocol';
import {
    Message,
    StreamMessageReader,
    type NotificationMessage,
    type RequestMessage,
    type ResponseMessage
} from 'vscode-languageserver-protocol/node';
import { LspClient } from './lsp-client.js';
import { temporaryFolder } from '../support/temporary.js';

const SERVER = path.resolve('out', 'server', 'main.cjs');
const INITIALIZE = { processId: null, rootUri: null, capabilities: {} };

function frame(message: unknown): string {
    const body = JSON.stringify(message);
    return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The built server over stdio: bytes written as given, its messages read as it frames them. */
class RawServer {
    /** What the server logged to the client (window/logMessage). */
    readonly logs: string[] = [];
    readonly exited: Promise<number | null>;
    private readonly process: ChildProcess;
    private readonly waiting = new Map<number | string, (response: ResponseMessage) => void>();
    private ids = 0;

    constructor() {
        this.process = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
        this.exited = new Promise(resolve => this.process.once('exit', code => resolve(code)));
        this.process.stderr!.on('data', (chunk: Buffer) => this.logs.push(`stderr: ${chunk.toString()}`));
        new StreamMessageReader(this.process.stdout!).listen(message => this.receive(message));
    }

    write(bytes: string | Buffer): void {
        this.process.stdin!.write(bytes);
    }

    /** Sends a request; its response, or a failure after `ms`. */
    request(method: string, params?: unknown, ms = 5000): Promise<ResponseMessage> {
        const id = ++this.ids;
        const answered = this.response(id, `${method} (${id})`, ms);
        this.write(frame({ jsonrpc: '2.0', id, method, params }));
        return answered;
    }

    /** The response with an id, or a failure after `ms`. */
    response(id: number | string, what: string, ms: number): Promise<ResponseMessage> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(
                () =>
                    reject(
                        new Error(`no answer to ${what} within ${ms} ms; the server logged:\n${this.logs.join('\n')}`)
                    ),
                ms
            );
            this.waiting.set(id, response => {
                clearTimeout(timer);
                resolve(response);
            });
        });
    }

    async initialize(folder?: string): Promise<void> {
        const uri = folder && `file://${folder}`;
        const params = folder
            ? { ...INITIALIZE, rootUri: uri, workspaceFolders: [{ uri, name: path.basename(folder) }] }
            : INITIALIZE;
        expect((await this.request('initialize', params)).result).toHaveProperty('capabilities');
        this.write(frame({ jsonrpc: '2.0', method: 'initialized', params: {} }));
    }

    /** Closes stdin, as a client that is gone; kills the server if it has not exited within 2 s. */
    async stop(): Promise<void> {
        this.process.stdin!.end();
        await Promise.race([this.exited, new Promise(resolve => setTimeout(resolve, 2000))]);
        this.process.kill();
    }

    private receive(message: Message): void {
        if (Message.isResponse(message)) this.waiting.get(message.id!)?.(message);
        else if (Message.isRequest(message)) this.answer(message);
        else if ((message as NotificationMessage).method === 'window/logMessage')
            this.logs.push((message as NotificationMessage & { params: { message: string } }).params.message);
    }

    /** What an editor answers: an empty configuration, yes to the rest. */
    private answer(request: RequestMessage): void {
        const result =
            request.method === 'workspace/configuration'
                ? (request.params as { items: unknown[] }).items.map(() => ({}))
                : null;
        this.write(frame({ jsonrpc: '2.0', id: request.id, result }));
    }
}

/** A workspace of the campus sample and a second file using one of its groups. */
function campus(): { folder: string; policyUri: string; moreUri: string; policyText: string } {
    const folder = temporaryFolder('netintent-hostile-');
    fs.cpSync(path.resolve('samples', 'campus'), folder, { recursive: true });
    fs.writeFileSync(
        path.join(folder, 'more.intent'),
        'twin "campus.twin.yaml"\n\nintent staff-to-web-again {\n  allow staff -> web : tcp 8080\n}\n'
    );
    const policy = path.join(folder, 'policy.intent');
    return {
        folder,
        policyUri: `file://${policy}`,
        moreUri: `file://${path.join(folder, 'more.intent')}`,
        policyText: fs.readFileSync(policy, 'utf8')
    };
}

/** The 0-based position of `text` in `source`, plus `shift` characters. */
function at(source: string, text: string, shift = 0): { line: number; character: number } {
    const before = source.slice(0, source.indexOf(text) + shift);
    return { line: before.split('\n').length - 1, character: before.length - before.lastIndexOf('\n') - 1 };
}

const NOTHING = '{"jsonrpc":"2.0","method":"netintent/nothing"}';

/** 16 KB of reproducible noise, strewn with line ends and headers, good and bad. */
function noise(): Buffer {
    const pieces = [
        '\r\n',
        '\r\n\r\n',
        'Content-Length: 5\r\n\r\n',
        'Content-Length: 99999999999\r\n\r\n',
        'Content-Length: 300\r\n\r\n',
        'Content-Length:',
        '{"jsonrpc":'
    ];
    let seed = 42;
    const random = (below: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * below);
    const bytes: Buffer[] = [];
    for (let size = 0; size < 16384; size += bytes.at(-1)!.length) {
        bytes.push(
            random(5) === 0
                ? Buffer.from(pieces[random(pieces.length)])
                : Buffer.from(Array.from({ length: 64 }, () => random(256)))
        );
    }
    return Buffer.concat(bytes);
}

describe('malformed framing: the server drops what it cannot read and answers the next request', () => {
    const cases: Array<[string, string | Buffer, RegExp]> = [
        [
            'a Content-Length that is not a number',
            `Content-Length: abc\r\n\r\n${NOTHING}`,
            /dropped input up to the next message header: not a message header/
        ],
        ['a negative Content-Length', `Content-Length: -5\r\n\r\n${NOTHING}`, /not a message header/],
        [
            'no Content-Length',
            `Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n${NOTHING}`,
            /not a message header/
        ],
        ['a header line without a colon', `Content-Length ${NOTHING.length}\r\n\r\n${NOTHING}`, /not a message header/],
        [
            'a Content-Length longer than the body that follows',
            `Content-Length: ${NOTHING.length + 100}\r\n\r\n${NOTHING}`,
            /shorter than its Content-Length/
        ],
        [
            'a Content-Length of 2^40',
            `Content-Length: ${2 ** 40}\r\n\r\n${NOTHING}`,
            /a message of 1099511627776 bytes, more than 67108864/
        ],
        [
            'a header block with no body ever',
            'Content-Length: 30\r\n\r\n',
            /shorter than its Content-Length \(30\): the next one began 0 bytes into it/
        ],
        ['a body that is not JSON', 'Content-Length: 5\r\n\r\nhello', /dropped a message that is not JSON: "hello"/],
        [
            'a JSON body that is not a JSON-RPC message',
            frame({ hello: 'world' }),
            /neither a response nor a notification/
        ],
        ['a JSON body that is an array', frame([1, 2]), /neither a response nor a notification/],
        [
            'a cancellation without params',
            frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: null }),
            /could not take/
        ],
        ['16 KB of noise', noise(), /dropped/]
    ];
    it.each(cases)('%s', async (_name, bytes, logged) => {
        const server = new RawServer();
        try {
            server.write(bytes);
            await server.initialize();
            expect((await server.request('shutdown')).error).toBeUndefined();
            expect(server.logs.join('\n')).toMatch(logged);
        } finally {
            await server.stop();
        }
    });

    it('a 70 MB message, over the 64 MB cap: refused, its body skipped, the next request answered', async () => {
        const server = new RawServer();
        try {
            const body = Buffer.alloc(70 * 1024 * 1024, 'a');
            server.write(`Content-Length: ${body.length}\r\n\r\n`);
            server.write(body);
            await server.initialize();
            expect(server.logs.join('\n')).toMatch(/a message of 73400320 bytes, more than 67108864/);
        } finally {
            await server.stop();
        }
    });

    it('a well-formed message that arrives a byte at a time, and one whose body holds a header split where it looks whole', async () => {
        const server = new RawServer();
        try {
            const bytes = Buffer.from(frame({ jsonrpc: '2.0', id: 'slow', method: 'initialize', params: INITIALIZE }));
            const answered = server.response('slow', 'the slow initialize', 5000);
            for (const byte of bytes) {
                server.write(Buffer.of(byte));
                await new Promise(resolve => setImmediate(resolve));
            }
            expect((await answered).result).toHaveProperty('capabilities');
            // JSON text can hold a Content-Length header only in a string, where it does not end in CR LF: not a header.
            const text = frame({
                jsonrpc: '2.0',
                id: 'quoted',
                method: 'shutdown',
                params: { note: 'Content-Length: 12\r\n\r\nnot a message' }
            });
            const cut = text.indexOf('Content-Length: 12') + 'Content-Length: 12'.length;
            const quoted = server.response('quoted', 'the quoted header', 5000);
            server.write(text.slice(0, cut));
            await new Promise(resolve => setTimeout(resolve, 100));
            server.write(text.slice(cut));
            expect((await quoted).error).toBeUndefined();
            expect(server.logs.join('\n')).not.toMatch(/dropped/);
        } finally {
            await server.stop();
        }
    });

    it('a closed stdin ends the server', async () => {
        const server = new RawServer();
        await server.initialize();
        const exited = server.exited;
        await server.stop();
        expect(
            await Promise.race([exited, new Promise(resolve => setTimeout(() => resolve('still running'), 100))])
        ).toBe(1);
    });
});

describe('rename refuses a new name that is not an identifier of the language', () => {
    const workspace = campus();
    const staff = at(workspace.policyText, 'group staff', 6);
    let client: LspClient;

    beforeAll(async () => {
        client = new LspClient();
        await client.initialize(workspace.folder);
        await client.connection.sendNotification('textDocument/didOpen', {
            textDocument: { uri: workspace.policyUri, languageId: 'netintent', version: 1, text: workspace.policyText }
        });
    });

    afterAll(async () => {
        await client.stop();
    });

    const rename = (newName: unknown, position = staff): Promise<WorkspaceEdit | null> =>
        client.connection.sendRequest('textDocument/rename', {
            textDocument: { uri: workspace.policyUri },
            position,
            newName
        });

    it.each([['a b"; rm -rf /'], [''], ['9lives'], ['web.tier'], ['naïve'], ['staff\n'], [null], [5]])(
        '%j: an error saying what a name is, no edits',
        async newName => {
            await expect(rename(newName)).rejects.toThrow(
                /is not a name: a name is a letter \(a-z, A-Z\) or _, then letters, digits, _ and -, and not a keyword/
            );
        }
    );

    it.each([['intent'], ['allow'], ['segment']])('the keyword %s: refused', async keyword => {
        await expect(rename(keyword)).rejects.toThrow(`'${keyword}' is a keyword`);
    });

    it('a good name still renames across files', async () => {
        const edit = (await rename('employees_2-b'))!;
        expect(Object.keys(edit.changes!).sort()).toEqual([workspace.moreUri, workspace.policyUri].sort());
        expect(
            Object.values(edit.changes!)
                .flat()
                .every(e => e.newText === 'employees_2-b')
        ).toBe(true);
    });

    it('twin names are not renamed from an intent file: an error saying where they are', async () => {
        await expect(rename('fw9', at(workspace.policyText, 'via fw1', 5))).rejects.toThrow(
            "'fw1' is a name of the twin: rename it in the twin file."
        );
    });
});

/**
 * Some 200 malformed messages, each kind against a running workspace: the wrong envelope, hover
 * params of the wrong type, unknown methods, documents never opened, positions out of range, and
 * notifications with params that make no sense. Requests among them carry string ids, to be told apart.
 */
function malformed(uri: string): Array<Record<string, unknown>> {
    const messages: Array<Record<string, unknown>> = [];
    const request = (method: unknown, params: unknown, envelope: object = {}) =>
        messages.push({ jsonrpc: '2.0', id: `bad-${messages.length}`, method, params, ...envelope });
    const notify = (method: string, params: unknown) => messages.push({ jsonrpc: '2.0', method, params });
    const hover = { textDocument: { uri }, position: { line: 0, character: 0 } };
    for (const jsonrpc of ['1.0', '3.0', 2, null, '', undefined]) request('textDocument/hover', hover, { jsonrpc });
    for (const id of [null, {}, [], true, 1.5, -1, 'x'.repeat(2000)]) request('textDocument/hover', hover, { id });
    for (const method of [undefined, null, 5, {}, []]) request(method, hover);
    for (const params of [
        null,
        5,
        'text',
        [],
        [1, 2],
        {},
        { textDocument: 5 },
        { textDocument: {} },
        { textDocument: { uri: 5 } },
        { textDocument: { uri: null } },
        { textDocument: { uri } },
        { textDocument: { uri }, position: 'start' },
        { textDocument: { uri }, position: { line: 'a', character: 0 } },
        { textDocument: { uri }, position: {} },
        { textDocument: { uri }, position: [0, 0] },
        { textDocument: [uri], position: { line: 0, character: 0 } }
    ])
        request('textDocument/hover', params);
    for (const method of [
        'foo',
        'textDocument/nothing',
        '$/nothing',
        'netintent/nothing',
        '',
        'textDocument/',
        '/',
        'workspace/executeCommand'
    ]) {
        request(method, hover);
        notify(method, hover);
    }
    const methods = [
        'hover',
        'definition',
        'references',
        'completion',
        'rename',
        'prepareRename',
        'codeLens',
        'documentSymbol',
        'formatting',
        'semanticTokens/full',
        'foldingRange',
        'codeAction'
    ];
    for (const unopened of [
        'file:///nowhere/x.intent',
        'file:///tmp/x.txt',
        'untitled:Untitled-1',
        'not a uri',
        '',
        'http://example.com/x.intent'
    ]) {
        for (const method of methods)
            request(`textDocument/${method}`, {
                textDocument: { uri: unopened },
                position: { line: 0, character: 0 },
                newName: 'x',
                context: { diagnostics: [] }
            });
        request('netintent/topology', { uri: unopened, position: { line: 0, character: 0 } });
    }
    for (const position of [
        { line: 1e9, character: 0 },
        { line: 0, character: 1e9 },
        { line: -1, character: -1 },
        { line: 1.5, character: 0.5 },
        { line: null, character: null }
    ]) {
        for (const method of ['hover', 'definition', 'references', 'completion', 'prepareRename'])
            request(`textDocument/${method}`, { textDocument: { uri }, position, context: {} });
        request('textDocument/codeAction', {
            textDocument: { uri },
            range: { start: position, end: position },
            context: { diagnostics: [] }
        });
        request('netintent/topology', { uri, position });
    }
    const elsewhere = 'file:///nowhere/y.intent';
    for (const params of [
        null,
        5,
        {},
        { textDocument: {} },
        { textDocument: { uri: elsewhere, languageId: 'netintent', version: 'one', text: 5 } }
    ]) {
        for (const method of [
            'textDocument/didOpen',
            'textDocument/didChange',
            'textDocument/didClose',
            'textDocument/didSave'
        ])
            notify(method, params);
    }
    notify('textDocument/didChange', { textDocument: { uri: elsewhere, version: 2 }, contentChanges: 'x' });
    for (const params of [null, {}, { id: null }, { id: {} }, { id: 'bad-0' }]) notify('$/cancelRequest', params);
    for (const params of [null, { value: 5 }, { value: 'loud' }]) notify('$/setTrace', params);
    for (const params of [null, { changes: 'x' }, { changes: [{ uri: 5, type: 'changed' }] }])
        notify('workspace/didChangeWatchedFiles', params);
    notify('workspace/didChangeConfiguration', null);
    notify('initialized', 5);
    return messages;
}

describe('malformed JSON-RPC', () => {
    const workspace = campus();

    it('some 200 malformed messages: each request answered, none crashes the server, a normal request answered after them', async () => {
        const server = new RawServer();
        try {
            await server.initialize(workspace.folder);
            server.write(
                frame({
                    jsonrpc: '2.0',
                    method: 'textDocument/didOpen',
                    params: {
                        textDocument: {
                            uri: workspace.policyUri,
                            languageId: 'netintent',
                            version: 1,
                            text: workspace.policyText
                        }
                    }
                })
            );
            const device = {
                textDocument: { uri: workspace.policyUri },
                position: at(workspace.policyText, 'via fw1', 5)
            };
            expect(JSON.stringify((await server.request('textDocument/hover', device, 20_000)).result)).toContain(
                '**device fw1**'
            );

            const messages = malformed(workspace.policyUri);
            expect(messages.length).toBeGreaterThanOrEqual(150);
            const answers = messages
                .filter(m => typeof m.id === 'string' && typeof m.method === 'string')
                .map(m => server.response(m.id as string, JSON.stringify(m).slice(0, 200), 10_000));
            server.write(messages.map(frame).join(''));
            await Promise.all(answers);

            expect(JSON.stringify((await server.request('textDocument/hover', device)).result)).toContain(
                '**device fw1**'
            );
            expect(await Promise.race([server.exited, 'running'])).toBe('running');
        } finally {
            await server.stop();
        }
    });
});
