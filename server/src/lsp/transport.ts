/**
 * The server's end of stdio, made so that no input leaves it deaf. vscode-jsonrpc's stream reader
 * never recovers from a bad header (`Content-Length: abc`, `-5`, none, longer than its body): it
 * reads each later header together with the body before it, or waits for bytes that never come,
 * and answers nothing again. This reader frames messages the same way (header lines, then a
 * Content-Length of bytes of UTF-8 JSON) but resynchronises on the next well-formed header:
 *
 * - a header block that is not `name: value` lines with one Content-Length of digits is dropped,
 *   with everything after it up to the next well-formed header; so is a message over 64 MB,
 *   whose body is skipped as it arrives, not held;
 * - a body in which a well-formed header begins is cut short there: JSON text cannot hold one
 *   (its strings escape CR and LF), so the Content-Length was longer than the body sent. A header
 *   with too long a length, or with no body at all, thus holds the reader only until the client's
 *   next message, which is read as usual; with none, there is nothing to answer. The wait is
 *   bounded by the 64 MB cap and not by time, so a large message sent slowly is never cut;
 * - a body that is not JSON, or that the connection refuses, is dropped.
 *
 * Each loss is logged to the client. A header is found again by `Content-Length:`, spelled as
 * every client writes it.
 */
import { Console } from 'node:console';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import {
    AbstractMessageReader,
    createConnection,
    Disposable,
    ProposedFeatures,
    StreamMessageWriter,
    type Connection,
    type DataCallback,
    type Message,
    type MessageReader
} from 'vscode-languageserver/node';

const MAX_BODY = 64 * 1024 * 1024;
/** Far longer than the lines of a real header block (a Content-Length and a Content-Type line), and more of them. */
const MAX_LINE = 256;
const MAX_LINES = 16;
const CONTENT_LENGTH = Buffer.from('Content-Length:');
const CRLF = Buffer.from('\r\n');

/** The connection over stdin and stdout, with the reader below. */
export function createStdioConnection(): Connection {
    const reader = new ResynchronisingMessageReader(process.stdin, message => connection.console.error(message));
    const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(process.stdout));
    // What vscode-languageserver does for the stdio it opens itself, and so not for a reader of ours:
    // console output goes to the client's log (stdout is the protocol's), and a closed stdin ends the server.
    globalThis.console = consoleTo(connection);
    let shutdown = false;
    connection.onShutdown(() => {
        shutdown = true;
    });
    reader.onClose(() => process.exit(shutdown ? 0 : 1));
    return connection;
}

function consoleTo(connection: Connection): Console {
    const sink = (log: (message: string) => void) =>
        new Writable({
            write(chunk: Buffer, _encoding, done) {
                log(chunk.toString().replace(/\n$/, ''));
                done();
            }
        });
    return new Console(
        sink(message => connection.console.log(message)),
        sink(message => connection.console.error(message))
    );
}

export class ResynchronisingMessageReader extends AbstractMessageReader implements MessageReader {
    private readonly bytes = new ByteQueue();
    /** The length of the body at the front, once its header is read. */
    private bodyLength?: number;
    /** How far into that body no header begins. */
    private searched = 0;
    /** Whether bytes are being dropped up to the next header (logged once, when it starts). */
    private lost = false;
    private callback: DataCallback = () => undefined;

    constructor(
        private readonly input: Readable,
        private readonly log: (message: string) => void
    ) {
        super();
    }

    listen(callback: DataCallback): Disposable {
        this.callback = callback;
        const onData = (chunk: Buffer) => this.read(chunk);
        this.input.on('data', onData);
        this.input.on('error', error => this.fireError(error));
        this.input.on('close', () => this.fireClose());
        return Disposable.create(() => this.input.off('data', onData));
    }

    private read(chunk: Buffer): void {
        this.bytes.append(chunk);
        while (this.bodyLength === undefined ? this.readHeader() : this.readBody());
    }

    /** Takes the header at the front; false while more bytes are needed. */
    private readHeader(): boolean {
        const header = headerAt(this.bytes.view, 0);
        if (header === 'incomplete') return false;
        if (header === 'invalid') return this.resynchronise(`not a message header: ${preview(this.bytes.view)}`);
        if (header.length > MAX_BODY)
            return this.resynchronise(`a message of ${header.length} bytes, more than ${MAX_BODY}`);
        this.bytes.drop(header.end);
        this.bodyLength = header.length;
        this.searched = 0;
        this.lost = false;
        return true;
    }

    /** Drops the front up to the next header (or to what could still become one); false while more bytes are needed. */
    private resynchronise(dropped: string): boolean {
        if (!this.lost) this.log(`netintent: dropped input up to the next message header: ${dropped}`);
        this.lost = true;
        const next = nextHeader(this.bytes.view, 1, this.bytes.view.length);
        this.bytes.drop(next.at);
        return next.state === 'found';
    }

    /** Delivers the body at the front once all of it is here; false while more bytes are needed. */
    private readBody(): boolean {
        const length = this.bodyLength!;
        const bytes = this.bytes.view;
        const next = nextHeader(bytes, this.searched, Math.min(length, bytes.length));
        if (next.state === 'found') {
            this.log(
                `netintent: dropped a message shorter than its Content-Length (${length}): the next one began ${next.at} bytes into it`
            );
            this.bytes.drop(next.at);
            this.bodyLength = undefined;
            return true;
        }
        this.searched = next.at;
        if (bytes.length < length || next.state === 'pending') return false;
        const text = bytes.toString('utf8', 0, length);
        this.bytes.drop(length);
        this.bodyLength = undefined;
        this.deliver(text);
        return true;
    }

    private deliver(text: string): void {
        let message: Message;
        try {
            message = JSON.parse(text) as Message;
        } catch {
            this.log(`netintent: dropped a message that is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
            return;
        }
        try {
            this.callback(message);
        } catch (error) {
            // vscode-jsonrpc reads a cancellation's params before it checks them.
            this.log(
                `netintent: dropped a message the connection could not take (${(error as Error).message}): ${JSON.stringify(text.slice(0, 80))}`
            );
        }
    }
}

type Header = { length: number; end: number };

/** The header block at `at` (its body's length and where it ends), or whether it cannot be one or needs more bytes to tell. */
function headerAt(bytes: Buffer, at: number): Header | 'invalid' | 'incomplete' {
    let length: string | undefined;
    for (let start = at, lines = 0; lines <= MAX_LINES; lines++) {
        // Each line is looked for within MAX_LINE bytes: a JSON string holding `Content-Length:` is ruled out there.
        const window = bytes.subarray(start, start + MAX_LINE);
        const end = window.indexOf(CRLF);
        if (end < 0)
            return window.length < MAX_LINE && fieldPrefix(window.toString('latin1').replace(/\r$/, ''))
                ? 'incomplete'
                : 'invalid';
        if (end === 0) return length === undefined ? 'invalid' : { length: Number(length), end: start + CRLF.length };
        const line = field(window.toString('latin1', 0, end));
        if (!line) return 'invalid';
        if (line.name === 'content-length') {
            if (length !== undefined || !/^\d+$/.test(line.value)) return 'invalid';
            length = line.value;
        }
        start += end + CRLF.length;
    }
    return 'invalid';
}

/** A header line: a token, a colon and printable ASCII. */
function field(line: string): { name: string; value: string } | undefined {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([ -~]*?)[ \t]*$/.exec(line);
    return match ? { name: match[1].toLowerCase(), value: match[2] } : undefined;
}

/** Whether a line cut off by the end of the bytes so far can still become a valid header line. */
function fieldPrefix(line: string): boolean {
    if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/.test(line)) return true;
    const parsed = field(line);
    return parsed !== undefined && (parsed.name !== 'content-length' || /^\d*$/.test(parsed.value));
}

/**
 * The first well-formed header (found) or possible one (pending) beginning in from..before; with
 * none, `at` is where one could still begin: the end, less a `Content-Length:` cut off there.
 */
function nextHeader(bytes: Buffer, from: number, before: number): { at: number; state: 'found' | 'pending' | 'none' } {
    for (
        let at = bytes.indexOf(CONTENT_LENGTH, from);
        at >= 0 && at < before;
        at = bytes.indexOf(CONTENT_LENGTH, at + 1)
    ) {
        const header = headerAt(bytes, at);
        if (header !== 'invalid') return { at, state: header === 'incomplete' ? 'pending' : 'found' };
    }
    return { at: Math.max(from, before - CONTENT_LENGTH.length + 1), state: 'none' };
}

function preview(bytes: Buffer): string {
    return JSON.stringify(bytes.toString('latin1', 0, 80));
}

/** The bytes received and not yet taken, in one buffer grown by doubling: a body can be 64 MB. */
class ByteQueue {
    private data = Buffer.alloc(0);
    private start = 0;
    private end = 0;

    get view(): Buffer {
        return this.data.subarray(this.start, this.end);
    }

    append(chunk: Buffer): void {
        if (this.end + chunk.length > this.data.length) {
            const kept = this.end - this.start;
            const data =
                kept + chunk.length > this.data.length
                    ? Buffer.allocUnsafe(Math.max(2 * (kept + chunk.length), 65536))
                    : this.data;
            this.data.copy(data, 0, this.start, this.end);
            this.data = data;
            this.start = 0;
            this.end = kept;
        }
        chunk.copy(this.data, this.end);
        this.end += chunk.length;
    }

    drop(count: number): void {
        this.start += count;
        // Emptied: a buffer grown for a large message is not kept for the small ones after it.
        if (this.start === this.end) {
            if (this.data.length > 1 << 20) this.data = Buffer.alloc(0);
            this.start = this.end = 0;
        }
    }
}
