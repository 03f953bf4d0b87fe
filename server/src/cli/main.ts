/** `netintent`: the command line front over the shared pipeline (CLI.md). */
import { Command, CommanderError, Option } from 'commander';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../check/check.js';
import { createNetintentServices } from '../language/netintent-module.js';
import { intentFiles, UsageError } from './files.js';
import { formatJson, formatSarif, formatText, FORMATS, type Format } from './format.js';

declare const NETINTENT_VERSION: string;
const VERSION = typeof NETINTENT_VERSION === 'string' ? NETINTENT_VERSION : '0.0.0-dev';

/** Exit codes of CLI.md. */
const EXIT_CLEAN = 0;
const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;

interface CheckCommandOptions {
    format: Format;
    verify: boolean;
}

async function runCheck(paths: string[], options: CheckCommandOptions): Promise<number> {
    const files = intentFiles(paths.length > 0 ? paths : ['.']);
    const { Netintent } = createNetintentServices(NodeFileSystem);
    const report = await checkFiles(Netintent, files, { verify: options.verify });
    const cwd = process.cwd();
    const output = options.format === 'json' ? formatJson(report, cwd)
        : options.format === 'sarif' ? formatSarif(report, cwd, VERSION)
        : formatText(report, cwd);
    process.stdout.write(output);
    return report.summary.errors > 0 || report.summary.violated > 0 ? EXIT_ERRORS : EXIT_CLEAN;
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
        if (error instanceof UsageError) {
            process.stderr.write(`netintent: ${error.message}\n`);
            return EXIT_USAGE;
        }
        const detail = process.env.NETINTENT_DEBUG ? (error as Error).stack : (error as Error).message;
        process.stderr.write(`netintent: internal error: ${detail}\nPlease report it with the files that caused it (NETINTENT_DEBUG=1 shows the stack).\n`);
        return EXIT_USAGE;
    }
}

main(process.argv).then(code => { process.exitCode = code; });
