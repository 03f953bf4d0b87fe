/** The three output formats of `netintent check` (docs/cli.md): text, JSON and SARIF 2.1.0. */
import * as path from 'node:path';
import type { Diagnostic } from '../common/diagnostic.js';
import type { CheckReport, Hop, RequirementReport } from '../check/report.js';
import { describePacket } from '../net/packet-set.js';

export type Format = 'text' | 'json' | 'sarif';
export const FORMATS: readonly Format[] = ['text', 'json', 'sarif'];

/** Paths as the user sees them: relative to the working folder. */
function display(file: string, cwd: string): string {
    const relative = path.relative(cwd, file);
    return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}

/** `file:line:col: severity: message [code]`, one a line. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], cwd: string): string {
    return diagnostics
        .map(
            d =>
                `${display(d.file, cwd)}:${d.range.start.line}:${d.range.start.column}: ${d.severity}: ${d.message} [${d.code}]\n`
        )
        .join('');
}

export function formatText(report: CheckReport, cwd: string, explain = false): string {
    const lines = formatDiagnostics(report.diagnostics, cwd).split('\n').filter(Boolean);
    if (report.intents.length > 0) {
        if (lines.length > 0) lines.push('');
        const width = Math.max(...report.intents.map(i => i.name.length));
        let lastFile = '';
        for (const intent of report.intents) {
            if (intent.file !== lastFile) {
                lines.push(display(intent.file, cwd));
                lastFile = intent.file;
            }
            const requirements = `${intent.requirements.length} requirement${intent.requirements.length === 1 ? '' : 's'}`;
            lines.push(
                `  ${intent.name.padEnd(width)}  ${intent.verdict.padEnd(8)}  line ${intent.line}, ${requirements}`
            );
            if (explain) for (const requirement of intent.requirements) lines.push(...explanationLines(requirement));
        }
    }
    const { errors, warnings, intents, holding, violated } = report.summary;
    const unknown = report.intents.filter(i => i.verdict === 'unknown').length;
    lines.push(
        '',
        `${intents} intent${intents === 1 ? '' : 's'}: ${holding} hold, ${violated} violated, ${unknown} unknown · ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`
    );
    return lines.join('\n') + '\n';
}

/** Paths and failure sets shown per requirement in text; `--format json` lists all it has. */
const TEXT_PATHS = 8;
const TEXT_FAILURE_SETS = 5;

/**
 * `--explain` in text, under its intent: per requirement its verdict, each path as devices with a
 * second line of the interfaces each device is entered and left by, the steering, the failure sets
 * tried, the counterexample.
 */
function explanationLines(requirement: RequirementReport): string[] {
    const lines = [`    line ${requirement.line} ${requirement.kind}: ${requirement.verdict}`];
    const { paths, pathCount } = requirement;
    if (paths !== undefined && pathCount !== undefined) {
        lines.push(`      ${plural(pathCount, 'path')} without failures${pathCount > 0 ? ':' : ''}`);
        for (const path of paths.slice(0, TEXT_PATHS))
            lines.push(`        ${path.map(h => h.device).join(' → ')}`, `          ${path.map(hopText).join(', ')}`);
        const unlisted = pathCount - Math.min(paths.length, TEXT_PATHS);
        if (unlisted > 0)
            lines.push(
                `        … ${plural(unlisted, 'more path')}${paths.length > TEXT_PATHS ? ` (--format json lists ${paths.length})` : ''}`
            );
    }
    const steering = requirement.steering;
    if (steering) lines.push(`      steering: ${steeringText(steering)}`);
    const { failureSets, failureSetCount } = requirement;
    if (failureSets !== undefined && failureSetCount !== undefined) {
        if (requirement.survivedBy === 'minimum cut' && failureSetCount === 0)
            lines.push(
                '      failure sets: none simulated; decided by a minimum cut (no set within the bound separates the ends)'
            );
        else if (failureSetCount > 0) {
            const shown = failureSets.slice(0, TEXT_FAILURE_SETS).map(set => `{${set.join(', ')}}`);
            const more = failureSetCount - shown.length > 0 ? `, … (--format json lists ${failureSets.length})` : '';
            const how = requirement.survivedBy ? ` (survive decided by ${requirement.survivedBy})` : '';
            lines.push(`      ${plural(failureSetCount, 'failure set')} tried${how}: ${shown.join(', ')}${more}`);
        }
    }
    const counterexample = requirement.counterexample;
    if (counterexample) {
        const failed = counterexample.failures.length > 0 ? ` with ${counterexample.failures.join(', ')} failed` : '';
        lines.push(
            `      counterexample${failed}: ${counterexample.reason}`,
            `        packet ${describePacket(counterexample.packet)} from ${counterexample.origin}${counterexample.forged ? ' (forged source)' : ''}`,
            `        ${counterexample.path.join(' → ')}`,
            `          ${counterexample.hops.map(hopText).join(', ')}`
        );
    }
    if (requirement.reason) lines.push(`      not proved: ${requirement.reason}`);
    return lines;
}

/** `dist1 (eth6→eth3)`: a device and the interfaces the packets enter and leave it by. */
function hopText(hop: Hop): string {
    return hop.in === undefined && hop.out === undefined
        ? hop.device
        : `${hop.device} (${hop.in ?? ''}→${hop.out ?? ''})`;
}

function steeringText(steering: NonNullable<RequirementReport['steering']>): string {
    const problems = steering.problems.length > 0 ? `; not realisable: ${steering.problems.join('; ')}` : '';
    if (steering.method === 'none')
        return `none${problems || ": the underlay's own shortest paths meet the constraints"}`;
    const how =
        steering.method === 'waypoints'
            ? `toward the waypoints by the IGP; marked on entry at ${steering.marked.join(', ')} (DSCP 0), passed at ${steering.waypoints.join(', ')} (DSCP + 1)`
            : `a pinned path, hop by hop; marked on entry at ${steering.marked.join(', ')}`;
    return `${how}; policy tables on ${plural(steering.tables.length, 'device')}: ${steering.tables.join(', ')}${problems}`;
}

function plural(count: number, noun: string): string {
    return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function formatJson(report: CheckReport, cwd: string): string {
    const json = {
        version: 1,
        diagnostics: report.diagnostics.map(d => ({
            file: display(d.file, cwd),
            line: d.range.start.line,
            column: d.range.start.column,
            endLine: d.range.end.line,
            endColumn: d.range.end.column,
            severity: d.severity,
            code: d.code,
            message: d.message
        })),
        intents: report.intents.map(i => ({ ...i, file: display(i.file, cwd) })),
        summary: report.summary
    };
    return JSON.stringify(json, null, 2) + '\n';
}

const SARIF_LEVELS = { error: 'error', warning: 'warning', info: 'note' } as const;

export function formatSarif(report: CheckReport, cwd: string, version: string): string {
    const codes = [...new Set(report.diagnostics.map(d => d.code))].sort();
    const sarif = {
        $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
        version: '2.1.0',
        runs: [
            {
                tool: {
                    driver: {
                        name: 'netintent',
                        version,
                        informationUri: 'https://github.com/netintent/netintent',
                        rules: codes.map(code => ({
                            id: code,
                            name: code,
                            shortDescription: { text: `netintent ${code}` }
                        }))
                    }
                },
                originalUriBaseIds: { SRCROOT: { uri: pathToFileUri(cwd) + '/' } },
                results: report.diagnostics.map(d => sarifResult(d, cwd, codes))
            }
        ]
    };
    return JSON.stringify(sarif, null, 2) + '\n';
}

function sarifResult(d: Diagnostic, cwd: string, codes: string[]) {
    return {
        ruleId: d.code,
        ruleIndex: codes.indexOf(d.code),
        level: SARIF_LEVELS[d.severity],
        message: { text: d.message },
        locations: [
            {
                physicalLocation: {
                    artifactLocation: { uri: display(d.file, cwd), uriBaseId: 'SRCROOT' },
                    region: {
                        startLine: d.range.start.line,
                        startColumn: d.range.start.column,
                        endLine: d.range.end.line,
                        endColumn: Math.max(d.range.end.column, 1)
                    }
                }
            }
        ]
    };
}

function pathToFileUri(folder: string): string {
    return 'file://' + folder.split(path.sep).map(encodeURIComponent).join('/');
}
