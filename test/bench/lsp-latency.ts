/**
 * Editor latency on a generated fabric: over JSON-RPC to the built server, the time from a
 * one-intent edit to the publishDiagnostics that carries its verification, for edits that break
 * an intent and edits that repair it, and from a link-cost edit saved in the twin file to the
 * verification after it. `npm run bench:lsp [DEVICES] [EDITS] [FILES]` (the intents spread over
 * FILES intent files; the edited one is open).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeWorkspace } from '../support/workspace.js';
import { removeTemporaryFolders } from '../support/temporary.js';
import { LspClient } from '../lsp/lsp-client.js';
import { FAMILIES, TWIN_FILE } from './generate.js';

const devices = Number(process.argv[2] ?? 1000);
const edits = Number(process.argv[3] ?? 20);
/** Intent files the intents are spread over (1: all in one file). */
const files = Number(process.argv[4] ?? 1);
/** Link-cost edits of the twin file, each from the original. */
const LINK_EDITS = 5;
const fabric = FAMILIES.clos(devices, devices, 1);
// The twin line, then the declarations and intents dealt out to the files in turn.
const [twinLine, , ...intentLines] = fabric.intents.trimEnd().split('\n');
const texts = Array.from(
    { length: files },
    (_, f) => [twinLine, '', ...intentLines.filter((_, i) => i % files === f)].join('\n') + '\n'
);
const workspace: Record<string, string> = { [TWIN_FILE]: fabric.twin };
texts.forEach((text, f) => {
    workspace[`fabric-${f}.intent`] = text;
});
const folder = writeWorkspace(workspace);
const uri = `file://${path.join(folder, 'fabric-0.intent')}`;
const edited = texts[0];
const client = new LspClient();
await client.initialize(folder);
let version = 1;
let started = performance.now();
await client.connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'netintent', version, text: edited }
});
// Ready when verification has published once (the code lenses then carry verdicts).
for (;;) {
    const lenses: Array<{ command?: { title: string } }> = await client.connection.sendRequest(
        'textDocument/codeLens',
        { textDocument: { uri } }
    );
    if (lenses.length > 0 && lenses.every(l => !l.command?.title.includes('not verified'))) break;
    await new Promise(resolve => setTimeout(resolve, 50));
}
const openMs = performance.now() - started;
// A plain allow of the first file (it holds), broken by a bound on hops no path between two devices meets.
const lines = edited.split('\n');
const target = lines.findIndex(l => / oneway }$/.test(l));
if (target < 0) throw new Error('the first file has no plain allow to edit');
const broken = edited.replace(lines[target], lines[target].replace(/ }$/, ' hops <= 1 }'));
const samples: number[] = [];
for (let i = 0; i < edits; i++) {
    const breaking = i % 2 === 0;
    // The server publishes twice per edit: Langium's checks, then the verification's.
    const published = client.publications.get(uri) ?? 0;
    started = performance.now();
    await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: ++version },
        contentChanges: [{ text: breaking ? broken : edited }]
    });
    await client.diagnosticsFor(
        uri,
        p =>
            (client.publications.get(uri) ?? 0) >= published + 2 &&
            p.diagnostics.some(d => d.code === 'violated' && d.range.start.line === target) === breaking
    );
    samples.push(performance.now() - started);
}
// A link's cost edited in the twin file, as a save does: the file changes on disk and the client
// says so; the server re-checks the bound files (one publication) and verifies (another).
const twinFile = path.join(folder, TWIN_FILE);
const twinText = fs.readFileSync(twinFile, 'utf8');
const linkLines = twinText.split('\n').flatMap((line, i) => (line.startsWith('  - { endpoints:') ? [i] : []));
const twinSamples: number[] = [];
for (let i = 0; i < LINK_EDITS; i++) {
    const twinLines = twinText.split('\n');
    const at = linkLines[Math.floor(((i + 1) * linkLines.length) / (LINK_EDITS + 1))];
    const cost = Number(/cost: (\d+)/.exec(twinLines[at])?.[1] ?? 10);
    twinLines[at] = twinLines[at].replace(/(, cost: \d+)? }$/, `, cost: ${cost + 5} }`);
    fs.writeFileSync(twinFile, twinLines.join('\n'));
    const published = client.publications.get(uri) ?? 0;
    started = performance.now();
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
        changes: [{ uri: `file://${twinFile}`, type: 2 }]
    });
    await client.diagnosticsFor(uri, () => (client.publications.get(uri) ?? 0) >= published + 2, 120_000);
    twinSamples.push(performance.now() - started);
}
await client.stop();
samples.sort((a, b) => a - b);
twinSamples.sort((a, b) => a - b);
const p = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)];
const row = `| ${devices} | ${devices} | ${files} | ${openMs.toFixed(0)} ms | ${edits} | ${p(0.5).toFixed(0)} ms | ${p(0.95).toFixed(0)} ms | ${samples[samples.length - 1].toFixed(0)} ms | ${twinSamples[Math.floor(twinSamples.length / 2)].toFixed(0)} ms |`;
const table = [
    `| devices | intents | intent files | open → verified | edits | median edit → verified diagnostics | p95 | max | median link-cost edit in the twin → verified (of ${LINK_EDITS}) |`,
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row
].join('\n');
fs.mkdirSync('test-results', { recursive: true });
fs.appendFileSync(path.join('test-results', 'lsp-latency.md'), `${table}\n\n`);
console.log(table);
removeTemporaryFolders();
process.exit(0);
