/**
 * The project's benchmark: `npm run bench [SIZES...]` (default 100 500 1000 2000). For each size
 * a generated Clos fabric with as many intents as devices, measured in a fresh process with the
 * real pipeline: cold `check` (parse, link, validate, compile, verify), peak memory, verifying
 * again after one intent changes (in a session kept between runs, as the language server keeps
 * it; the median of five edits), and `survive 1 link failure` on every allow. Writes
 * test-results/bench.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../../server/src/check/check.js';
import { createNetintentServices } from '../../server/src/language/netintent-module.js';
import { VerificationSession } from '../../server/src/verify/session.js';
import { writeWorkspace } from '../support/workspace.js';
import { generateFabric } from './generate.js';

interface Row {
    devices: number;
    links: number;
    intents: number;
    coldCheckMs: number;
    holding: number;
    editToProgramMs: number;
    reverifyMs: number;
    reverified: number;
    survive1Ms: number;
    surviveHolding: number;
    peakRssMb: number;
}

/** Edits measured per size. */
const EDITS = 5;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function measure(devices: number): Promise<Row> {
    const fabric = generateFabric(devices, devices);
    const folder = writeWorkspace({ 'fabric.twin.yaml': fabric.twin, 'fabric.intent': fabric.intents });
    const intentFile = path.join(folder, 'fabric.intent');
    const twinFile = path.join(folder, 'fabric.twin.yaml');
    const { Netintent } = createNetintentServices(NodeFileSystem);

    let started = performance.now();
    const cold = await checkFiles(Netintent, [intentFile], { verify: true });
    const coldCheckMs = performance.now() - started;

    // A session as the language server keeps it, warmed by a first run; then one intent's port
    // changes, EDITS times (the median is reported: one run alone is at the mercy of the JIT and GC).
    const session = new VerificationSession();
    const first = Netintent.intent.IntentPrograms.forTwin(twinFile).program;
    session.run(first);
    const toProgram: number[] = [];
    const reverify: number[] = [];
    let rerun: ReturnType<VerificationSession['run']> | undefined;
    for (let edit = 0; edit < EDITS; edit++) {
        fs.writeFileSync(intentFile, fabric.intents.replace(': tcp 1001', `: tcp ${9001 + edit}`));
        started = performance.now();
        await checkFiles(Netintent, [intentFile], { verify: false });
        const edited = Netintent.intent.IntentPrograms.forTwin(twinFile).program;
        toProgram.push(performance.now() - started);
        started = performance.now();
        rerun = session.run(edited);
        reverify.push(performance.now() - started);
    }
    const editToProgramMs = median(toProgram);
    const reverifyMs = median(reverify);

    const survive = generateFabric(devices, devices, { survive: true });
    const surviveFolder = writeWorkspace({ 'fabric.twin.yaml': survive.twin, 'fabric.intent': survive.intents });
    const { Netintent: fresh } = createNetintentServices(NodeFileSystem);
    started = performance.now();
    const survived = await checkFiles(fresh, [path.join(surviveFolder, 'fabric.intent')], { verify: true });
    const survive1Ms = performance.now() - started;

    return {
        devices, links: first.twin.links.length, intents: devices, coldCheckMs, holding: cold.summary.holding,
        editToProgramMs, reverifyMs, reverified: rerun!.verified, survive1Ms, surviveHolding: survived.summary.holding,
        peakRssMb: process.resourceUsage().maxRSS / 1024
    };
}

const args = process.argv.slice(2);
if (args[0] === '--size') {
    // One size in this process, so that its peak memory is its own.
    process.stdout.write(JSON.stringify(await measure(Number(args[1]))) + '\n');
} else {
    const sizes = args.map(Number).filter(n => n > 0);
    const rows: Row[] = [];
    for (const size of sizes.length > 0 ? sizes : [100, 500, 1000, 2000]) {
        const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--size', String(size)], { encoding: 'utf8', maxBuffer: 1 << 24 });
        if (child.status !== 0) throw new Error(`size ${size} failed: ${child.stderr}`);
        const row = JSON.parse(child.stdout.trim().split('\n').pop()!) as Row;
        rows.push(row);
        console.log(`${size} devices: cold check ${row.coldCheckMs.toFixed(0)} ms, re-verify ${row.reverifyMs.toFixed(1)} ms, survive-1 ${row.survive1Ms.toFixed(0)} ms, peak RSS ${row.peakRssMb.toFixed(0)} MB`);
    }
    const ms = (n: number) => (n < 100 ? n.toFixed(1) : n.toFixed(0));
    const table = [
        '| devices | links | intents | cold check (verify included) | holding | edit → program (check --no-verify of the file) | re-verify after one intent changed | requirements re-verified | survive 1 link failure, all intents | holding | peak RSS |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...rows.map(r => `| ${r.devices} | ${r.links} | ${r.intents} | ${ms(r.coldCheckMs)} ms | ${r.holding} | ${ms(r.editToProgramMs)} ms | ${ms(r.reverifyMs)} ms | ${r.reverified} | ${ms(r.survive1Ms)} ms | ${r.surviveHolding} | ${r.peakRssMb.toFixed(0)} MB |`)
    ].join('\n');
    fs.mkdirSync('test-results', { recursive: true });
    fs.writeFileSync(path.join('test-results', 'bench.md'), `# netintent benchmark\n\n${table}\n`);
    console.log(`\n${table}`);
}
