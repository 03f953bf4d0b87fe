/** `netintent`: the command line front over the shared pipeline (docs/cli.md). */
import * as fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../check/check.js';
import { keepHeapNearLive } from '../common/heap.js';
import { createNetintentServices } from '../language/netintent-module.js';
import { intentFiles, twinScope, UsageError } from './files.js';
import { formatDiagnostics, formatJson, formatSarif, formatText, FORMATS, type Format } from './format.js';
import { checkOutputFolder, OutputError, writeOutput } from '../compile/output.js';
import { compileFiles, TARGETS, type Target } from '../compile/targets.js';
import { compileNetwork, type CompiledNetwork } from '../compile/compile.js';
import { waitForConvergence } from '../lab/converge.js';
import type { IntentProgram, Requirement } from '../intent/model.js';
import {
    compareState,
    describeComparison,
    KNOWN_FRR_DIFFERENCE,
    KNOWN_STEERING6_DIFFERENCE,
    type StateComparison
} from '../lab/state.js';
import { deployedProgram, labDown, labName, labUp, readState, type LabState } from '../lab/lab.js';
import { DEFAULT_FAILURE_TRIALS, flapWaypointLinks, forgedSourceTrials, labTest } from '../lab/traffic.js';
import { describePacket } from '../net/packet-set.js';
import { syncTwin } from '../lab/sync.js';
import { verifyProgram } from '../verify/program.js';
import * as path from 'node:path';
import { LabError, missingTools } from '../lab/system.js';
import { EXPORT_FORMATS, runTwinExport } from './twin-export.js';
import { ImportError } from '../import/document.js';
import { ImportWriteError } from '../import/write.js';
import { IMPORT_SOURCES, runTwinImport, type ImportSource, type TwinImportOptions } from './twin-import.js';

declare const NETINTENT_VERSION: string;
const VERSION = typeof NETINTENT_VERSION === 'string' ? NETINTENT_VERSION : '0.0.0-dev';

/** Exit codes of docs/cli.md. */
const EXIT_CLEAN = 0;
const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;

interface CheckCommandOptions {
    format: Format;
    verify: boolean;
    configs?: string;
    allowOutside: string[];
    explain: boolean;
}

async function runCheck(paths: string[], options: CheckCommandOptions): Promise<number> {
    if (options.explain && options.format === 'sarif')
        throw new UsageError('--explain has no SARIF form; use --format text or json.');
    if (options.explain && !options.verify)
        throw new UsageError('--explain tells how verification decided; it cannot go with --no-verify.');
    const files = intentFiles(paths.length > 0 ? paths : ['.']);
    if (options.configs !== undefined && !fs.existsSync(options.configs))
        throw new UsageError(`no such folder: ${options.configs}`);
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const report = await checkFiles(Netintent, files, {
        verify: options.verify,
        configs: options.configs,
        twinScope: twinScope(paths, options.allowOutside),
        explain: options.explain
    });
    const cwd = process.cwd();
    const output =
        options.format === 'json'
            ? formatJson(report, cwd)
            : options.format === 'sarif'
              ? formatSarif(report, cwd, VERSION)
              : formatText(report, cwd, options.explain);
    process.stdout.write(output);
    return report.summary.errors > 0 || report.summary.violated > 0 || report.summary.unknown > 0
        ? EXIT_ERRORS
        : EXIT_CLEAN;
}

interface CompileCommandOptions {
    out: string;
    target: Target;
    force: boolean;
    allowOutside: string[];
}

async function runCompile(paths: string[], options: CompileCommandOptions): Promise<number> {
    const files = intentFiles(paths.length > 0 ? paths : ['.']);
    // An output folder that cannot be one is a usage error now, not after a long compile.
    checkOutputFolder(options.out);
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const report = await checkFiles(Netintent, files, {
        verify: false,
        twinScope: twinScope(paths, options.allowOutside)
    });
    const cwd = process.cwd();
    const shown = report.diagnostics.filter(d => d.severity === 'error' || d.severity === 'warning');
    if (report.summary.errors > 0) {
        process.stderr.write(formatDiagnostics(shown, cwd));
        process.stderr.write(
            `netintent: not compiled: ${report.summary.errors} error${report.summary.errors === 1 ? '' : 's'} to fix first.\n`
        );
        return EXIT_ERRORS;
    }
    const outputs = new Map<string, string>();
    const summaries: string[] = [];
    const warnings = [...shown];
    for (const program of report.programs.values()) {
        const prefix = report.programs.size > 1 ? `${program.twin.network}/` : '';
        const { compiled, files: compiledFiles } = compileFiles(program, options.target, prefix);
        warnings.push(...compiled.warnings);
        for (const [name, content] of compiledFiles) outputs.set(name, content);
        const lines = [...compiledFiles.values()].reduce((n, text) => n + text.split('\n').length - 1, 0);
        summaries.push(
            `${program.twin.network}: ${compiled.devices.size} devices, ${compiledFiles.size} files, ${lines} lines`
        );
    }
    process.stderr.write(formatDiagnostics(warnings, cwd));
    const result = await writeOutput(options.out, outputs, { force: options.force });
    for (const warning of result.warnings) process.stderr.write(`netintent: warning: ${warning}\n`);
    if (result.refused.length > 0) {
        process.stderr.write(
            `netintent: not compiled: ${result.refused.length} file(s) in ${options.out} were not written by netintent (or were edited since): ${result.refused.slice(0, 5).join(', ')}${result.refused.length > 5 ? ', …' : ''}. Move them away, or run again with --force to overwrite them.\n`
        );
        return EXIT_ERRORS;
    }
    for (const summary of summaries) process.stdout.write(`compiled ${summary} → ${options.out}\n`);
    process.stdout.write(
        `${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed\n`
    );
    return EXIT_CLEAN;
}

/** The twin and the compiled network of the intent files at `paths` (one twin), or an error report. */
async function compiledTwin(paths: string[], allowOutside: readonly string[]) {
    const files = intentFiles(paths.length > 0 ? paths : ['.']);
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const report = await checkFiles(Netintent, files, { verify: false, twinScope: twinScope(paths, allowOutside) });
    if (report.summary.errors > 0) {
        process.stderr.write(
            formatDiagnostics(
                report.diagnostics.filter(d => d.severity === 'error'),
                process.cwd()
            )
        );
        throw new UsageError(`${report.summary.errors} error(s) to fix first.`);
    }
    if (report.programs.size !== 1)
        throw new UsageError(`a lab runs one twin; these files bind ${report.programs.size}.`);
    const [program] = report.programs.values();
    return { program, compiled: compileNetwork(program) };
}

/** The program and configurations the lab runs (see deployedProgram): compiled again only where the twin's down interfaces changed since. */
function deployed(intended: { program: IntentProgram; compiled: CompiledNetwork }, state: LabState) {
    const program = deployedProgram(intended.program, state);
    return program === intended.program ? intended : { program, compiled: compileNetwork(program) };
}

async function runLab(
    action: string,
    paths: string[],
    allowOutside: readonly string[],
    failureTrials = DEFAULT_FAILURE_TRIALS
): Promise<number> {
    const missing = missingTools();
    if (missing.length > 0)
        throw new UsageError(`the lab needs ${missing.join(', ')} (Linux, root, Debian's frr, nftables, iproute2).`);
    const intended = await compiledTwin(paths, allowOutside);
    const lab = labName(intended.program.twin);
    const log = (line: string) => process.stdout.write(`${line}\n`);
    if (action === 'down') {
        labDown(lab, log);
        log(`lab ${lab} is down`);
        return EXIT_CLEAN;
    }
    if (action === 'up') {
        const { program, compiled } = intended;
        const started = Date.now();
        const state = labUp(program.twin, compiled, log);
        const comparison = waitForConvergence(state, program.twin, compiled, 60_000);
        if (comparison.differences.length > 0) {
            process.stderr.write(
                `netintent: the lab did not converge to the compiled state within 60 s:\n${comparison.differences.slice(0, 20).join('\n')}\n`
            );
            return EXIT_ERRORS;
        }
        log(
            `lab ${lab} is up: ${state.devices.length} devices converged in ${((Date.now() - started) / 1000).toFixed(1)} s; ${describeComparison(comparison)} as compiled`
        );
        logKnown(comparison, log);
        return EXIT_CLEAN;
    }
    const state = readState(lab);
    const { program, compiled } = state ? deployed(intended, state) : intended;
    if (action === 'test') {
        if (!state) throw new UsageError(`the lab ${lab} is not up; run 'netintent lab up' first.`);
        const { verdicts } = verifyProgram(program, compiled.devices);
        const results = await labTest(state, program, compiled, verdicts, failureTrials);
        const statement = (r: Requirement) =>
            `${path.relative(process.cwd(), r.location.file)}:${r.location.range.start.line} ${r.intent} ${r.kind}`;
        let disagreements = 0;
        for (const result of results) {
            const agree = result.lab === 'untested' || result.lab === result.verifier;
            if (!agree) disagreements++;
            log(
                `${agree ? (result.lab === 'untested' ? '?' : '✓') : '✗'} ${statement(result.requirement)}: verifier ${result.verifier}, lab ${result.lab} — ${result.detail}`
            );
        }
        // Anti-spoofing: every edge drops packets whose source is not its own (the verifier counts on it).
        const forged = forgedSourceTrials(state, program);
        for (const trial of forged) {
            log(
                `${trial.delivered ? '✗' : '✓'} forged source from ${trial.from}, claiming ${trial.claims}: ${describePacket(trial.packet)} ${trial.delivered ? 'delivered' : 'not delivered'}`
            );
        }
        // Steering must come back by itself: each waypoint link flapped, the steered requirements tried again.
        const flaps = await flapWaypointLinks(state, program, compiled, verdicts);
        for (const flap of flaps) {
            const failed = flap.tried.filter(t => !t.holds);
            log(
                `${failed.length === 0 ? '✓' : '✗'} flapped ${flap.link} (down, up, state as compiled): ${flap.tried.length - failed.length} of ${flap.tried.length} steered requirements hold`
            );
            for (const t of failed) log(`    ${statement(t.requirement)}: ${t.detail}`);
        }
        const tested = results.filter(r => r.lab !== 'untested').length;
        const spoofed = forged.filter(t => t.delivered).length;
        const brokenByFlap = flaps.filter(f => f.tried.some(t => !t.holds)).length;
        log(
            `${tested} requirements tried with traffic, ${disagreements} disagree with the verifier${results.length > tested ? `, ${results.length - tested} untested` : ''}`
        );
        log(
            `${forged.length} packets with forged sources sent from ${new Set(forged.map(t => t.from)).size} segments, ${spoofed} delivered`
        );
        log(`${flaps.length} waypoint links flapped, ${brokenByFlap} left a steered requirement broken`);
        return disagreements > 0 || spoofed > 0 || brokenByFlap > 0 ? EXIT_ERRORS : EXIT_CLEAN;
    }
    if (!state) {
        log(`lab ${lab} is down`);
        return EXIT_CLEAN;
    }
    const comparison = compareState(state, program.twin, compiled);
    const { differences } = comparison;
    log(
        `lab ${lab} is up: ${state.devices.length} devices, ${state.namespaces.length} namespaces; ${differences.length === 0 ? `${describeComparison(comparison)} as compiled` : `${differences.length} differences from the compiled state:`}`
    );
    for (const line of differences.slice(0, 50)) log(`  ${line}`);
    logKnown(comparison, log);
    return differences.length === 0 ? EXIT_CLEAN : EXIT_ERRORS;
}

/** The known differences of FRR from the simulator, apart from the lab's own. */
function logKnown(comparison: StateComparison, log: (line: string) => void): void {
    const classes: Array<[string[], string]> = [
        [comparison.known, KNOWN_FRR_DIFFERENCE],
        [comparison.steering6, KNOWN_STEERING6_DIFFERENCE]
    ];
    for (const [lines, why] of classes) {
        if (lines.length === 0) continue;
        log(`${lines.length} known differences: ${why}:`);
        for (const line of lines.slice(0, 20)) log(`  ${line}`);
    }
}

async function runSync(paths: string[], allowOutside: readonly string[]): Promise<number> {
    const missing = missingTools();
    if (missing.length > 0) throw new UsageError(`twin sync reads the lab and needs ${missing.join(', ')}.`);
    const intended = await compiledTwin(paths, allowOutside);
    const state = readState(labName(intended.program.twin));
    if (!state)
        throw new UsageError(`the lab ${labName(intended.program.twin)} is not up; there is nothing to sync from.`);
    const { program, compiled } = deployed(intended, state);
    const result = syncTwin(state, program.twin, compiled);
    process.stdout.write(
        `${path.relative(process.cwd(), program.twin.file)}: state written, ${result.down.length} interface(s) down${result.down.length > 0 ? `: ${result.down.join(', ')}` : ''}\n`
    );
    process.stdout.write(
        result.differences.length === 0
            ? 'the live state (FIBs, policy tables and rules, rulesets) is the simulated one\n'
            : `${result.differences.length} differences of the live state from the simulated one:\n${result.differences
                  .slice(0, 50)
                  .map(d => `  ${d}`)
                  .join('\n')}\n`
    );
    return result.differences.length === 0 ? EXIT_CLEAN : EXIT_ERRORS;
}

interface TwinCommandOptions {
    from?: ImportSource;
    to?: (typeof EXPORT_FORMATS)[number];
    out?: string;
    force: boolean;
    allowOutside: string[];
}

function importSource(paths: string[]): string {
    if (paths.length !== 1)
        throw new UsageError(
            `twin import takes one SOURCE, ${paths.length === 0 ? 'none is given' : `not ${paths.length}`}: netintent twin import SOURCE --from configs|rfc8345|netbox --out FILE.twin.yaml`
        );
    return paths[0];
}

function importOptions(options: TwinCommandOptions): TwinImportOptions {
    if (options.from === undefined)
        throw new UsageError(`twin import needs --from ${IMPORT_SOURCES.join('|')}: what SOURCE is.`);
    if (options.out === undefined)
        throw new UsageError('twin import needs --out FILE.twin.yaml: the twin file to write.');
    return { from: options.from, out: options.out, force: options.force };
}

/** Twins are read only inside the folders given; this allows a file or folder elsewhere (repeatable). */
function allowOutsideOption(): Option {
    return new Option(
        '--allow-outside <path>',
        'also read twins and topologies at this file or folder, outside the folders given (repeatable)'
    )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([]);
}

/** How each verdict was reached (text and json; not SARIF). */
function explainOption(): Option {
    return new Option(
        '--explain',
        "show how each verdict was reached: its traffic's paths, the failure sets tried, the steering compiled (text, json)"
    ).default(false);
}

function positiveInteger(value: string): number {
    if (!/^[1-9]\d{0,3}$/.test(value)) throw new InvalidArgumentError('a whole number from 1 to 9999.');
    return Number(value);
}

export function createProgram(setExitCode: (code: number) => void): Command {
    const program = new Command('netintent')
        .description('Say what your network must do, and get proof that it will.')
        .version(VERSION)
        .exitOverride()
        .showHelpAfterError('(run with --help for usage)');
    program
        .command('check')
        .description(
            'lint and verify intent files against their twins; exit 0 clean, 1 errors or violations, 2 bad usage'
        )
        .argument('[paths...]', 'intent files or folders holding them', [])
        .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
        .option('--no-verify', 'parse, link and validate only')
        .addOption(explainOption())
        .addOption(allowOutsideOption())
        .action(async (paths: string[], options: CheckCommandOptions) => setExitCode(await runCheck(paths, options)));
    program
        .command('verify')
        .description(
            'verify intents against device configurations: compiled from the intents, or read from --configs (a folder per device with frr.conf, and nftables.nft and policy-routing.sh where there are); exit 0 all hold, 1 violations or errors, 2 bad usage'
        )
        .argument('[paths...]', 'intent files or folders holding them', [])
        .option('--configs <dir>', 'verify the configurations in this folder instead of compiling the intents')
        .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
        .addOption(explainOption())
        .addOption(allowOutsideOption())
        .action(async (paths: string[], options: CheckCommandOptions) =>
            setExitCode(await runCheck(paths, { ...options, verify: true }))
        );
    program
        .command('lab')
        .description(
            'the compiled network running for real: FRR in Linux network namespaces (root): up, test (real traffic beside the verifier), status, down'
        )
        .argument('<action>', 'up | test | status | down')
        .argument('[paths...]', 'intent files or folders holding them (one twin)', [])
        .addOption(allowOutsideOption())
        .option(
            '--failure-trials <count>',
            `test: at most this many failure sets per survive requirement (default ${DEFAULT_FAILURE_TRIALS})`,
            positiveInteger,
            DEFAULT_FAILURE_TRIALS
        )
        .action(async (action: string, paths: string[], options: { allowOutside: string[]; failureTrials: number }) => {
            if (!['up', 'test', 'status', 'down'].includes(action))
                throw new UsageError(`unknown lab action '${action}'; use up, test, status or down.`);
            setExitCode(await runLab(action, paths, options.allowOutside, options.failureTrials));
        });
    program
        .command('twin')
        .description(
            "the twin and the running network: import writes a twin file from what describes the network already (--from configs: a folder per device with its frr.conf; rfc8345: an RFC 8345/8346 JSON file; netbox: a NetBox export or URL); export writes the twin in another format (--to rfc8345); sync writes the live lab's observed state into the twin file"
        )
        .argument('<action>', 'import | export | sync')
        .argument(
            '[paths...]',
            'import: the SOURCE (a folder of device configurations, an RFC 8345 file, a NetBox export or URL); export and sync: intent files or folders holding them (one twin), export also a twin file',
            []
        )
        .addOption(new Option('--from <kind>', 'import: what SOURCE is').choices(IMPORT_SOURCES))
        .addOption(new Option('--to <format>', 'export: the format to write').choices(EXPORT_FORMATS))
        .option(
            '--out <file>',
            'import: the twin file to write (e.g. network.twin.yaml); export: the file to write (standard output without)'
        )
        .option(
            '--force',
            'import: replace --out even if netintent did not write it, or it was edited since; export: overwrite --out if it exists',
            false
        )
        .addOption(allowOutsideOption())
        .action(async (action: string, paths: string[], options: TwinCommandOptions) => {
            if (action === 'import') {
                await runTwinImport(importSource(paths), importOptions(options));
                setExitCode(EXIT_CLEAN);
                return;
            }
            if (action === 'export') return setExitCode(await runTwinExport(paths, options));
            if (action !== 'sync') throw new UsageError(`unknown twin action '${action}'; use import, export or sync.`);
            if (options.from !== undefined || options.to !== undefined || options.out !== undefined || options.force)
                throw new UsageError(
                    '--from, --to, --out and --force are options of twin import and export, not of twin sync.'
                );
            setExitCode(await runSync(paths, options.allowOutside));
        });
    program
        .command('compile')
        .description(
            'compile intents and their twins into device configurations (a folder per device); exit 0 done, 1 errors, 2 bad usage'
        )
        .argument('[paths...]', 'intent files or folders holding them', [])
        .requiredOption('--out <dir>', 'output folder (files netintent did not write there are never overwritten)')
        .addOption(new Option('--target <target>', 'what to write').choices(TARGETS).default('frr'))
        .option('--force', 'overwrite files in the output folder that netintent did not write', false)
        .addOption(allowOutsideOption())
        .action(async (paths: string[], options: CompileCommandOptions) =>
            setExitCode(await runCompile(paths, options))
        );
    return program;
}

export async function main(argv: string[]): Promise<number> {
    // A reader that stops early (`| head`) closes the pipe: the rest of the output is dropped, and
    // the command still runs to its end (a lab trial still restores what it failed).
    process.stdout.on('error', () => undefined);
    let exitCode = EXIT_CLEAN;
    const program = createProgram(code => {
        exitCode = code;
    });
    try {
        await program.parseAsync(argv);
        return exitCode;
    } catch (error) {
        if (error instanceof CommanderError) {
            // --help and --version end here too, with code 0.
            return error.exitCode === 0 ? EXIT_CLEAN : EXIT_USAGE;
        }
        if (
            error instanceof UsageError ||
            error instanceof OutputError ||
            error instanceof LabError ||
            error instanceof ImportError ||
            error instanceof ImportWriteError
        ) {
            process.stderr.write(`netintent: ${error.message}\n`);
            return EXIT_USAGE;
        }
        const detail = process.env.NETINTENT_DEBUG ? (error as Error).stack : (error as Error).message;
        process.stderr.write(
            `netintent: internal error: ${detail}\nPlease report it with the files that caused it (NETINTENT_DEBUG=1 shows the stack).\n`
        );
        return EXIT_USAGE;
    }
}

keepHeapNearLive();
main(process.argv).then(code => {
    process.exitCode = code;
});
