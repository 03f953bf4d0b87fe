/** Positions and diagnostics shared by every stage: 1-based lines and columns, as editors show them. */
export interface Position {
    line: number;
    column: number;
}

export interface SourceRange {
    start: Position;
    end: Position;
}

/** Where a thing was written: a file and a range in it. */
export interface SourceLocation {
    file: string;
    range: SourceRange;
}

/** A range as the Language Server Protocol and Langium count: 0-based lines and characters. */
export interface ZeroBasedRange {
    start: { line: number; character: number };
    end: { line: number; character: number };
}

export function toZeroBased(range: SourceRange): ZeroBasedRange {
    return {
        start: { line: range.start.line - 1, character: range.start.column - 1 },
        end: { line: range.end.line - 1, character: range.end.column - 1 }
    };
}

export function fromZeroBased(range: ZeroBasedRange): SourceRange {
    return {
        start: { line: range.start.line + 1, column: range.start.character + 1 },
        end: { line: range.end.line + 1, column: range.end.character + 1 }
    };
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic extends SourceLocation {
    severity: Severity;
    code: string;
    message: string;
}

/** How much of a name or token from a file a message shows. */
export const MAX_QUOTED = 40;

/** Text from a file as a message quotes it: control characters escaped, cut after MAX_QUOTED characters. */
export function quoted(text: string): string {
    const escaped = JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
    return `'${escaped.slice(1, -1)}'`;
}
