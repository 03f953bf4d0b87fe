/**
 * The project's benchmark: `npm run bench` (sizes as arguments, default 100 500 1000 2000).
 * Generates fabrics, then measures with the real pipeline in this process and writes a table to
 * test-results/bench.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../../server/src/check/check.js';
import { compileFiles } from '../../server/src/compile/targets.js';
import { createNetintentServices } from '../../server/src/language/netintent-module.js';
import { writeWorkspace } from '../support/workspace.js';
import { generateFabric } from './generate.js';

interface Row {
    devices: number;
    intents: number;
    links: number;
    checkMs: number;
    compileMs: number;
    files: number;
    peakRssMb: number;
}

async function measure(devices: number): Promise<Row> {
    const fabric = generateFabric(devices, devices);
    const folder = writeWorkspace({ 'fabric.twin.yaml': fabric.twin, 'fabric.intent': fabric.intents });
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const started = performance.now();
    const report = await checkFiles(Netintent, [path.join(folder, 'fabric.intent')], { verify: false });
    const checkMs = performance.now() - started;
    if (report.summary.errors > 0) throw new Error(`generated fabric has errors: ${report.diagnostics[0].message}`);
    const { program } = Netintent.intent.IntentPrograms.forTwin(path.join(folder, 'fabric.twin.yaml'));
    const compileStart = performance.now();
    const { files } = compileFiles(program, 'containerlab');
    const compileMs = performance.now() - compileStart;
    return {
        devices, intents: devices, links: program.twin.links.length, checkMs, compileMs, files: files.size,
        peakRssMb: process.resourceUsage().maxRSS / 1024
    };
}

const sizes = process.argv.slice(2).map(Number).filter(n => n > 0);
const rows: Row[] = [];
for (const size of sizes.length > 0 ? sizes : [100, 500, 1000, 2000]) {
    const row = await measure(size);
    rows.push(row);
    console.log(`${row.devices} devices: check ${row.checkMs.toFixed(0)} ms, compile ${row.compileMs.toFixed(0)} ms`);
}
const table = [
    '| devices | intents | links | check (parse, link, validate, IR) | compile (model + render) | files | peak RSS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(r => `| ${r.devices} | ${r.intents} | ${r.links} | ${r.checkMs.toFixed(0)} ms | ${r.compileMs.toFixed(0)} ms | ${r.files} | ${r.peakRssMb.toFixed(0)} MB |`)
].join('\n');
fs.mkdirSync('test-results', { recursive: true });
fs.writeFileSync(path.join('test-results', 'bench.md'), `# netintent benchmark (${new Date().toISOString().slice(0, 10)})\n\n${table}\n`);
console.log(`\n${table}`);
