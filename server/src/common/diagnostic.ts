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

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic extends SourceLocation {
    severity: Severity;
    code: string;
    message: string;
}
