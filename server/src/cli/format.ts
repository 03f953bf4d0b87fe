/** The three output formats of `netintent check` (docs/cli.md): text, JSON and SARIF 2.1.0. */
import * as path from 'node:path';
import type { Diagnostic } from '../common/diagnostic.js';
import type { CheckReport } from '../check/report.js';

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

export function formatText(report: CheckReport, cwd: string): string {
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
