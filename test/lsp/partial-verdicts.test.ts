/**
 * The language server while statements have errors: the rest is still verified (docs/cli.md,
 * "While statements have errors"), over stdio JSON-RPC as an editor sees it.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeLens, Hover } from 'vscode-languageserver-protocol';
import { OVERLAP_BESIDE_PROVED, TYPO_BESIDE_PROVED } from '../support/broken-statements.js';
import { smallWorkspace, writeWorkspace } from '../support/workspace.js';
import { LspClient } from './lsp-client.js';

const files = smallWorkspace(TYPO_BESIDE_PROVED);
const TYPO = files['main.intent'];
const OVERLAP = smallWorkspace(OVERLAP_BESIDE_PROVED)['main.intent'];
const folder = writeWorkspace(files);
const uri = `file://${path.join(folder, 'main.intent')}`;

let client: LspClient;
let version = 1;

/** The 0-based line of the first line of `text` that contains `part`. */
function lineOf(text: string, part: string): number {
    return text.split('\n').findIndex(l => l.includes(part));
}

/** The code lens titles once every statement that can be has a verdict. */
async function verified(): Promise<string[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
        const lenses: CodeLens[] = await client.connection.sendRequest('textDocument/codeLens', {
            textDocument: { uri }
        });
        const titles = lenses.map(l => l.command?.title ?? '');
        if (titles.length > 0 && titles.every(t => !t.includes('not verified'))) return titles;
        if (Date.now() > deadline) throw new Error(`not verified: ${titles.join(' | ')}`);
        await new Promise(resolve => setTimeout(resolve, 100));
    }
}

async function hover(text: string, part: string): Promise<string> {
    const line = lineOf(text, part);
    const character = text.split('\n')[line].indexOf(part) + 1;
    const result: Hover = await client.connection.sendRequest('textDocument/hover', {
        textDocument: { uri },
        position: { line, character }
    });
    return JSON.stringify(result.contents);
}

beforeAll(async () => {
    client = new LspClient();
    await client.initialize(folder);
    await client.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'netintent', version, text: TYPO }
    });
});

afterAll(async () => {
    await client.stop();
});

describe('verdicts while statements have errors', () => {
    it('a typo in one intent: the others keep holds and violated, default deny is unknown naming the line', async () => {
        expect(await verified()).toEqual([
            '? unknown · what it covers depends on every allow and deny, and the allow at main.intent:4 has errors',
            '✗ error · see the errors in it',
            '✓ holds · 1 path',
            '✗ violated · the path r1 → r2 → r3 passes r2, which it must avoid'
        ]);
        const published = await client.diagnosticsFor(uri, p => p.diagnostics.some(d => d.code === 'violated'));
        expect(published.diagnostics.map(d => [d.range.start.line, d.code])).toEqual([
            [lineOf(TYPO, 'segment webb'), 'unknown-name'],
            [lineOf(TYPO, 'tcp 80'), 'violated']
        ]);
        expect(await hover(TYPO, 'allow web -> db : tcp 443')).toContain('✓ holds');
        expect(await hover(TYPO, 'allow segment webb')).toContain('Not verified: it has errors.');
    });

    it('an overlap: the pair are errors, what overlaps them is unknown naming the line, the rest holds', async () => {
        await client.connection.sendNotification('textDocument/didChange', {
            textDocument: { uri, version: ++version },
            contentChanges: [{ text: OVERLAP }]
        });
        expect(await verified()).toEqual([
            '✗ error · see the errors in it',
            '✗ error · see the errors in it',
            '? unknown · its packets or replies overlap those of the allow at main.intent:3, which has errors',
            '✓ holds · 2 paths'
        ]);
        const published = await client.diagnosticsFor(uri, p => !p.diagnostics.some(d => d.code === 'violated'));
        expect(published.diagnostics.map(d => [d.range.start.line, d.code])).toEqual([
            [lineOf(OVERLAP, 'tcp 5000-6000'), 'overlap'],
            [lineOf(OVERLAP, 'tcp 5500-7000'), 'overlap']
        ]);
        expect(await hover(OVERLAP, 'allow web -> db : tcp 5800')).toContain(
            '? unknown · its packets or replies overlap those of the allow at main.intent:3, which has errors'
        );
    });
});
