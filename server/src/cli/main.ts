/** `netintent`: the command line front over the shared pipeline (CLI.md). */
import * as fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../check/check.js';
import { createNetintentServices } from '../language/netintent-module.js';
import { intentFiles, UsageError } from './files.js';
import { formatDiagnostics, formatJson, formatSarif, formatText, FORMATS, type Format } from './format.js';
import { OutputError, writeOutput } from '../compile/output.js';
import { compileFiles, TARGETS, type Target } from '../compile/targets.js';

declare const NETINTENT_VERSION: string;
const VERSION = typeof NETINTENT_VERSION === 'string' ? NETINTENT_VERSION : '0.0.0-dev';

/** Exit codes of CLI.md. */
const EXIT_CLEAN = 0;
const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;

interface CheckCommandOptions {
    format: Format;
    verify: boolean;
    configs?: string;
}

async function runCheck(paths: string[], options: CheckCommandOptions): Promise<number> {
    const files = intentFiles(paths.length > 0 ? paths : ['.']);
    if (options.configs !== undefined && !fs.existsSync(options.configs)) throw new UsageError(`no such folder: ${options.configs}`);
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const report = await checkFiles(Netintent, files, { verify: options.verify, configs: options.configs });
    const cwd = process.cwd();
    const output = options.format === 'json' ? formatJson(report, cwd)
        : options.format === 'sarif' ? formatSarif(report, cwd, VERSION)
        : formatText(report, cwd);
    process.stdout.write(output);
    return report.summary.errors > 0 || report.summary.violated > 0 ? EXIT_ERRORS : EXIT_CLEAN;
}

interface CompileCommandOptions {
    out: string;
    target: Target;
    force: boolean;
}

async function runCompile(paths: string[], options: CompileCommandOptions): Promise<number> {
    const files = intentFiles(paths.length > 0 ? paths : ['.']);
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const report = await checkFiles(Netintent, files, { verify: false });
    const cwd = process.cwd();
    const shown = report.diagnostics.filter(d => d.severity === 'error' || d.severity === 'warning');
    if (report.summary.errors > 0) {
        process.stderr.write(formatDiagnostics(shown, cwd));
        process.stderr.write(`netintent: not compiled: ${report.summary.errors} error${report.summary.errors === 1 ? '' : 's'} to fix first.\n`);
        return EXIT_ERRORS;
    }
    const twinFiles = [...new Set(files.map(f => Netintent.shared.twin.TwinWorkspace.twinFileOf(Netintent.shared.workspace.LangiumDocuments.getDocument(URI.file(f))!)!))].sort();
    const outputs = new Map<string, string>();
    const summaries: string[] = [];
    const warnings = [...shown];
    for (const twinFile of twinFiles) {
        const { program } = Netintent.intent.IntentPrograms.forTwin(twinFile);
        const prefix = twinFiles.length > 1 ? `${program.twin.network}/` : '';
        const { compiled, files: compiledFiles } = compileFiles(program, options.target, prefix);
        warnings.push(...compiled.warnings);
        for (const [name, content] of compiledFiles) outputs.set(name, content);
        const lines = [...compiledFiles.values()].reduce((n, text) => n + text.split('\n').length - 1, 0);
        summaries.push(`${program.twin.network}: ${compiled.devices.size} devices, ${compiledFiles.size} files, ${lines} lines`);
    }
    process.stderr.write(formatDiagnostics(warnings, cwd));
    const result = writeOutput(options.out, outputs, { force: options.force });
    if (result.refused.length > 0) {
        process.stderr.write(`netintent: not compiled: ${result.refused.length} file(s) in ${options.out} were not written by netintent (or were edited since): ${result.refused.slice(0, 5).join(', ')}${result.refused.length > 5 ? ', …' : ''}. Move them away, or run again with --force to overwrite them.\n`);
        return EXIT_ERRORS;
    }
    for (const summary of summaries) process.stdout.write(`compiled ${summary} → ${options.out}\n`);
    process.stdout.write(`${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed\n`);
    return EXIT_CLEAN;
}

export function createProgram(setExitCode: (code: number) => void): Command {
    const program = new Command('netintent')
        .description('Say what your network must do, and get proof that it will.')
        .version(VERSION)
        .exitOverride()
        .showHelpAfterError('(run with --help for usage)');
    program.command('check')
        .description('lint and verify intent files against their twins; exit 0 clean, 1 errors or violations, 2 bad usage')
        .argument('[paths...]', 'intent files or folders holding them', [])
        .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
        .option('--no-verify', 'parse, link and validate only')
        .action(async (paths: string[], options: CheckCommandOptions) => setExitCode(await runCheck(paths, options)));
    program.command('verify')
        .description('verify intents against device configurations: compiled from the intents, or read from --configs (a folder per device with frr.conf, and nftables.nft and policy-routing.sh where there are); exit 0 all hold, 1 violations or errors, 2 bad usage')
        .argument('[paths...]', 'intent files or folders holding them', [])
        .option('--configs <dir>', 'verify the configurations in this folder instead of compiling the intents')
        .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
        .action(async (paths: string[], options: CheckCommandOptions) => setExitCode(await runCheck(paths, { ...options, verify: true })));
    program.command('compile')
        .description('compile intents and their twins into device configurations (a folder per device); exit 0 done, 1 errors, 2 bad usage')
        .argument('[paths...]', 'intent files or folders holding them', [])
        .requiredOption('--out <dir>', 'output folder (files netintent did not write there are never overwritten)')
        .addOption(new Option('--target <target>', 'what to write').choices(TARGETS).default('frr'))
        .option('--force', 'overwrite files in the output folder that netintent did not write', false)
        .action(async (paths: string[], options: CompileCommandOptions) => setExitCode(await runCompile(paths, options)));
    return program;
}

export async function main(argv: string[]): Promise<number> {
    let exitCode = EXIT_CLEAN;
    const program = createProgram(code => { exitCode = code; });
    try {
        await program.parseAsync(argv);
        return exitCode;
    } catch (error) {
        if (error instanceof CommanderError) {
            // --help and --version end here too, with code 0.
            return error.exitCode === 0 ? EXIT_CLEAN : EXIT_USAGE;
        }
        if (error instanceof UsageError || error instanceof OutputError) {
            process.stderr.write(`netintent: ${error.message}\n`);
            return EXIT_USAGE;
        }
        const detail = process.env.NETINTENT_DEBUG ? (error as Error).stack : (error as Error).message;
        process.stderr.write(`netintent: internal error: ${detail}\nPlease report it with the files that caused it (NETINTENT_DEBUG=1 shows the stack).\n`);
        return EXIT_USAGE;
    }
}

main(process.argv).then(code => { process.exitCode = code; });
