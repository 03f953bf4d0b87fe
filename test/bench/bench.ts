/**
 * The project's benchmark: `npm run bench -- [--family F[,F...]] [--dual-stack] [--timeout-s N] [SIZES...]`
 * (default: every family of generate.ts at 1000 devices; N 600; `--dual-stack`: each network dual
 * stack, generate.ts's dualStack, the same intents then covering both families). Each network has 1,000 intents
 * whatever its size, in the mix generate.ts describes (survive 1 and 2 included). Per family
 * and size, three fresh processes, each stopped after N seconds (reported as "> N s"):
 *
 * - `check --no-verify`: the cold check without verification (parse, link, validate, the intent
 *   IR), as checkFiles with verify false.
 * - the cold check with verification (compile, simulate, verify every requirement, loops and
 *   blackholes), as `netintent check`; its verdicts; then, in a VerificationSession kept as the
 *   language server keeps it (warmed by a first run, not reported), the median of 15 edits of one
 *   intent's port, and the median of 5 edits of one link's cost in the twin: each the time to the
 *   new program (check --no-verify of the files) + the session's run. A twin whose links changed
 *   only in cost keeps the compile and the routing, repaired (see VerificationSession).
 * - survive: every `survive 1 link failure` requirement verified one after the other on a fresh
 *   verifier of the compiled network (the intact network simulated beforehand, not counted), then
 *   every `survive 2 link failures` one likewise: each requirement's own time (its failure-free
 *   check and every failure set it examines), as it takes it inside the cold check (survive 1
 *   also pays for warming the JIT up on verification, which matters only for small networks).
 *
 * Peak RSS is the largest of the three processes'. Rows are printed as they finish and
 * test-results/bench.md is rewritten after each.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../../server/src/check/check.js';
import type { CheckReport } from '../../server/src/check/report.js';
import { keepHeapNearLive } from '../../server/src/common/heap.js';
import { compileNetwork } from '../../server/src/compile/compile.js';
import type { IntentProgram, Requirement } from '../../server/src/intent/model.js';
import { createNetintentServices } from '../../server/src/language/netintent-module.js';
import { VerificationSession } from '../../server/src/verify/session.js';
import { NetworkVerifier } from '../../server/src/verify/verify.js';
import { writeWorkspace } from '../support/workspace.js';
import { removeTemporaryFolders, temporaryFolder } from '../support/temporary.js';
import { dualStack, FAMILIES, INTENT_FILE, networkFiles, TWIN_FILE, type FamilyName } from './generate.js';

/** Intents per network at every size: what an operator writes does not grow with the network. */
const INTENTS = 1000;

/**
 * Edits measured per kind; the median is reported (one run alone is at the mercy of the JIT and
 * GC). An intent edit takes milliseconds, and its first few after warming up still run code the
 * JIT has not optimised: more of them, so that the median is what an engineer editing meets.
 */
const INTENT_EDITS = 15;
/** Set (by --dual-stack) for the processes that measure: their networks are dual stack. */
const DUAL_STACK = 'NETINTENT_BENCH_DUAL_STACK';
const LINK_EDITS = 5;
const PARTS = ['no-verify', 'full', 'survive'] as const;
type Part = (typeof PARTS)[number];
/** Where a part that fails before its first stage is reported. */
const FIRST_STAGE: Record<Part, string> = { 'no-verify': 'no-verify', full: 'check', survive: 'survive-1' };

/** A stage measured, with what it found. */
interface Measurement {
    stage: string;
    rssMb: number;
    [key: string]: unknown;
}

/** One line a measuring process writes: a stage starts, or one is measured. */
type Message = { start: string } | Measurement;

function emit(message: Message): void {
    process.stdout.write(JSON.stringify(message) + '\n');
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;

/** Errors of the files themselves (violations are verdicts, not errors). */
const fileErrors = (report: CheckReport) =>
    report.diagnostics.filter(d => d.severity === 'error' && d.code !== 'violated');

/** Times `work`, announcing the stage before and reporting it with what `work` returns after. */
async function stage<T extends Record<string, unknown>>(name: string, work: () => Promise<T> | T): Promise<T> {
    emit({ start: name });
    const started = performance.now();
    const result = await work();
    emit({ stage: name, ms: performance.now() - started, ...result, rssMb: rssMb() });
    return result;
}

/** One part of the measurement of a family at a size, in this process. */
async function measure(family: FamilyName, devices: number, part: Part): Promise<void> {
    const generated = FAMILIES[family](devices, INTENTS, 1);
    const network = process.env[DUAL_STACK] ? dualStack(generated) : generated;
    const folder = writeWorkspace(networkFiles(network));
    const intentFile = path.join(folder, INTENT_FILE);
    const twinFile = path.join(folder, TWIN_FILE);
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const programNow = async () => {
        const errors = fileErrors(await checkFiles(Netintent, [intentFile], { verify: false }));
        if (errors.length > 0) throw new Error(`${errors.length} errors, the first: ${errors[0].message}`);
        return Netintent.intent.IntentPrograms.forTwin(twinFile).program;
    };

    if (part === 'no-verify') {
        const { errors } = await stage('no-verify', async () => {
            const found = fileErrors(await checkFiles(Netintent, [intentFile], { verify: false }));
            return { errors: found.length, firstError: found[0]?.message };
        });
        if (errors > 0) return;
        const { program } = Netintent.intent.IntentPrograms.forTwin(twinFile);
        emit({ stage: 'size', links: program.twin.links.length, intents: program.intents.length, rssMb: rssMb() });
    } else if (part === 'full') {
        await stage('check', async () => {
            const { summary } = await checkFiles(Netintent, [intentFile], { verify: true });
            return { holding: summary.holding, violated: summary.violated, unknown: summary.unknown };
        });
        const session = new VerificationSession();
        await stage('session', async () => ({ verified: session.run(await programNow()).verified }));
        const edit = (name: string, file: string, edits: number, edited: (n: number) => string) =>
            stage(name, async () => {
                const toProgram: number[] = [];
                const reverify: number[] = [];
                let reverified = 0;
                for (let n = 0; n < edits; n++) {
                    fs.writeFileSync(file, edited(n));
                    let started = performance.now();
                    const program = await programNow();
                    toProgram.push(performance.now() - started);
                    started = performance.now();
                    reverified = session.run(program).verified;
                    reverify.push(performance.now() - started);
                }
                return { programMs: median(toProgram), reverifyMs: median(reverify), reverified };
            });
        // Intent i0's port, to one no intent uses.
        await edit('intent-edit', intentFile, INTENT_EDITS, n =>
            network.intents.replace(/^(intent i0 \{[^:]*: \w+ )\d+/m, `$1${60001 + n}`)
        );
        fs.writeFileSync(intentFile, network.intents);
        // The cost of links spread over the twin, one edit from the original each time.
        const linkLines = network.twin
            .split('\n')
            .flatMap((line, i) => (line.startsWith('  - { endpoints:') ? [i] : []));
        await edit('link-edit', twinFile, LINK_EDITS, n => {
            const lines = network.twin.split('\n');
            const at = linkLines[Math.floor(((n + 1) * linkLines.length) / (LINK_EDITS + 1))];
            const cost = Number(/cost: (\d+)/.exec(lines[at])?.[1] ?? 10);
            lines[at] = lines[at].replace(/(, cost: \d+)? }$/, `, cost: ${cost + 5} }`);
            return lines.join('\n');
        });
    } else {
        const program = await programNow();
        const { devices: configs } = compileNetwork(program);
        for (const count of [1, 2]) {
            // A fresh verifier, its intact network simulated before the clock starts.
            const verifier = new NetworkVerifier(program.twin, configs);
            verifier.context();
            await stage(`survive-${count}`, () => verifySurvive(program, verifier, count));
        }
    }
}

/** Verifies every `survive <count> link failure(s)` requirement, reporting after each. */
function verifySurvive(program: IntentProgram, verifier: NetworkVerifier, count: number) {
    const requirements: Requirement[] = program.intents
        .flatMap(i => i.requirements)
        .filter(r => r.constraints.survive?.kind === 'link' && r.constraints.survive.count === count);
    let holding = 0;
    let failureSets = 0;
    const started = performance.now();
    for (const [done, requirement] of requirements.entries()) {
        const verdict = verifier.verify(requirement);
        if (verdict.verdict === 'holds') holding++;
        failureSets += verdict.scenarios;
        emit({
            stage: `survive-${count}-progress`,
            done: done + 1,
            of: requirements.length,
            ms: performance.now() - started,
            rssMb: rssMb()
        });
    }
    return { requirements: requirements.length, holding, failureSets };
}

/** What the processes of one family and size reported: measured stages, and where one stopped. */
interface Measured {
    family: FamilyName;
    devices: number;
    stages: Map<string, Record<string, unknown>>;
    /** Per part that did not finish: the stage it was in, for how long, and why it stopped. */
    stopped: Map<string, { seconds: number; why: string }>;
    rssMb: number;
}

function runPart(family: FamilyName, devices: number, part: Part, timeoutS: number, into: Measured): Promise<void> {
    // The child's temporary files (its workspace) go into a folder of this process, removed when it ends, even if killed.
    const temporary = temporaryFolder('netintent-bench-');
    const child = spawn(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--measure', family, String(devices), part],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: temporary } }
    );
    const spawned = performance.now();
    let running: { stage: string; since: number } | undefined;
    let stderr = '';
    child.stderr.on('data', chunk => {
        stderr = (stderr + chunk).slice(-2000);
    });
    readline.createInterface({ input: child.stdout }).on('line', line => {
        const message = JSON.parse(line) as Message;
        if ('stage' in message) {
            into.stages.set(message.stage, message);
            into.rssMb = Math.max(into.rssMb, message.rssMb);
        } else {
            running = { stage: message.start, since: performance.now() };
        }
    });
    let timedOut = false;
    const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
    }, timeoutS * 1000);
    return new Promise(resolve =>
        child.on('close', code => {
            clearTimeout(timer);
            removeTemporaryFolders();
            // Node's last words on running out of memory come before its stack trace.
            const lines = stderr.trim().split('\n');
            const why = timedOut
                ? 'timeout'
                : `exit ${code}: ${lines.find(l => l.includes('FATAL ERROR')) ?? lines.pop()}`;
            if (running && !into.stages.has(running.stage)) {
                into.stopped.set(running.stage, { seconds: (performance.now() - running.since) / 1000, why });
            } else if (code !== 0) {
                into.stopped.set(FIRST_STAGE[part], { seconds: (performance.now() - spawned) / 1000, why });
            }
            resolve();
        })
    );
}

const ms = (n: number) =>
    n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : n < 100 ? `${n.toFixed(1)} ms` : `${n.toFixed(0)} ms`;

function row(m: Measured): string {
    const at = (name: string) => m.stages.get(name) as Record<string, number> | undefined;
    /** A measured stage's cell, or how far it (or `before`, a stage it needs first) got. */
    const cell = (name: string, show: (s: Record<string, number>) => string, before?: string) => {
        const measured = at(name);
        if (measured) return show(measured);
        const stoppedIn = [name, before].find(n => n !== undefined && m.stopped.has(n));
        if (stoppedIn === undefined) return '–';
        const { seconds, why } = m.stopped.get(stoppedIn)!;
        const progress = at(`${stoppedIn}-progress`);
        const where = `${stoppedIn === before ? ` in ${before}` : ''}${progress ? `, ${progress.done} of ${progress.of} done` : ''}`;
        return why === 'timeout'
            ? `> ${seconds.toFixed(0)} s${where}`
            : `failed after ${seconds.toFixed(0)} s${where}: ${escape(why)}`;
    };
    const noVerify = at('no-verify');
    if (noVerify && noVerify.errors > 0) {
        return `| ${[m.family, m.devices, '–', '–', `${noVerify.errors} errors, the first: ${escape(String(noVerify.firstError))}`, ...Array(8).fill('–')].join(' | ')} |`;
    }
    const check = at('check');
    const edit = (s: Record<string, number>) => `${ms(s.programMs)} + ${ms(s.reverifyMs)} (${s.reverified})`;
    const survive = (s: Record<string, number>) =>
        `${ms(s.ms)}: ${s.requirements} req., ${s.holding} hold, ${s.failureSets.toLocaleString('en')} failure sets`;
    return `| ${[
        process.env[DUAL_STACK] ? `${m.family} (dual stack)` : m.family,
        m.devices,
        at('size')?.links ?? '–',
        at('size')?.intents ?? '–',
        cell('check', s => ms(s.ms)),
        cell('no-verify', s => ms(s.ms)),
        check && noVerify ? `${(check.ms / noVerify.ms).toFixed(1)}×` : '–',
        cell('intent-edit', edit, 'session'),
        cell('link-edit', edit),
        cell('survive-1', survive),
        cell('survive-2', survive),
        cell('check', s => `${s.holding} / ${s.violated} / ${s.unknown}`),
        `${m.rssMb.toFixed(0)} MB`
    ].join(' | ')} |`;
}

/** Text for a table cell. */
const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const HEADER = [
    '| family | devices | links | intents | check, cold (verify included) | check --no-verify, cold | ratio | one intent edited: to program + re-verify (requirements re-verified), median of 15 | one link cost edited: to program + re-verify (re-verified), median of 5 | survive 1 link failure | survive 2 link failures | intents holding / violated / unknown | peak RSS |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
];

function usage(problem: string): never {
    console.error(
        `${problem}\nusage: npm run bench -- [--family ${Object.keys(FAMILIES).join(',')}] [--dual-stack] [--timeout-s SECONDS] [SIZES...]`
    );
    process.exit(2);
}

const args = process.argv.slice(2);
if (args[0] === '--measure') {
    // One part of one measurement in this process, so that its time and memory are its own; its heap as the CLI's.
    keepHeapNearLive();
    await measure(args[1] as FamilyName, Number(args[2]), args[3] as Part).catch((error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    });
} else {
    let families = Object.keys(FAMILIES) as FamilyName[];
    let timeoutS = 600;
    const sizes: number[] = [];
    for (let i = 0; i < args.length; i++) {
        if (args[i] === '--family') {
            families = (args[++i] ?? '').split(',') as FamilyName[];
            const unknown = families.find(f => !(f in FAMILIES));
            if (unknown !== undefined) usage(`No family '${unknown}'.`);
        } else if (args[i] === '--dual-stack') {
            process.env[DUAL_STACK] = '1';
        } else if (args[i] === '--timeout-s') {
            timeoutS = Number(args[++i]);
            if (!(timeoutS > 0)) usage('--timeout-s takes a number of seconds.');
        } else if (/^\d+$/.test(args[i]) && Number(args[i]) > 0) {
            sizes.push(Number(args[i]));
        } else {
            usage(`Unknown argument '${args[i]}'.`);
        }
    }
    const rows: string[] = [];
    console.log(HEADER.join('\n'));
    for (const devices of sizes.length > 0 ? sizes : [1000]) {
        for (const family of families) {
            const measured: Measured = { family, devices, stages: new Map(), stopped: new Map(), rssMb: 0 };
            for (const part of PARTS) await runPart(family, devices, part, timeoutS, measured);
            rows.push(row(measured));
            console.log(rows[rows.length - 1]);
            fs.mkdirSync('test-results', { recursive: true });
            fs.writeFileSync(
                path.join('test-results', 'bench.md'),
                `# netintent benchmark\n\nWhat each column measures: test/bench/bench.ts. Timeout per process: ${timeoutS} s.\n\n${[...HEADER, ...rows].join('\n')}\n`
            );
        }
    }
}
