/**
 * Editor latency on a generated fabric: over JSON-RPC to the built server, the time from a
 * one-intent edit to the publishDiagnostics that carries its verification, for edits that break
 * an intent and edits that repair it. `npm run bench:lsp [DEVICES] [EDITS]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeWorkspace } from '../support/workspace.js';
import { LspClient } from '../lsp/lsp-client.js';
import { generateFabric } from './generate.js';

const devices = Number(process.argv[2] ?? 1000);
const edits = Number(process.argv[3] ?? 20);
const fabric = generateFabric(devices, devices);
const folder = writeWorkspace({ 'fabric.twin.yaml': fabric.twin, 'fabric.intent': fabric.intents });
const uri = `file://${path.join(folder, 'fabric.intent')}`;
const client = new LspClient();
await client.initialize(folder);
let version = 1;
let started = performance.now();
await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'netintent', version, text: fabric.intents } });
// Ready when verification has published once (the code lenses then carry verdicts).
for (;;) {
    const lenses: Array<{ command?: { title: string } }> = await client.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    if (lenses.length > 0 && lenses.every(l => !l.command?.title.includes('not verified'))) break;
    await new Promise(resolve => setTimeout(resolve, 50));
}
const openMs = performance.now() - started;
const target = 'intent i1 { allow segment';
const line = fabric.intents.split('\n').find(l => l.startsWith(target))!;
const broken = fabric.intents.replace(line, line.replace(/ }$/, ' hops <= 1 }'));
const samples: number[] = [];
for (let i = 0; i < edits; i++) {
    const breaking = i % 2 === 0;
    // The server publishes twice per edit: Langium's checks, then the verification's.
    const published = client.publications.get(uri) ?? 0;
    started = performance.now();
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: breaking ? broken : fabric.intents }] });
    await client.diagnosticsFor(uri, p => (client.publications.get(uri) ?? 0) >= published + 2 && p.diagnostics.some(d => d.code === 'violated') === breaking);
    samples.push(performance.now() - started);
}
await client.stop();
samples.sort((a, b) => a - b);
const p = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)];
const row = `| ${devices} | ${devices} | ${openMs.toFixed(0)} ms | ${edits} | ${p(0.5).toFixed(0)} ms | ${p(0.95).toFixed(0)} ms | ${samples[samples.length - 1].toFixed(0)} ms |`;
const table = ['| devices | intents | open → verified | edits | median edit → verified diagnostics | p95 | max |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |', row].join('\n');
fs.mkdirSync('test-results', { recursive: true });
fs.writeFileSync(path.join('test-results', 'lsp-latency.md'), `# netintent editor latency\n\n${table}\n`);
console.log(table);
process.exit(0);
