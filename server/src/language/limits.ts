/**
 * What one intent file may hold (docs/language.md, Limits). Each is far beyond what a network's
 * intents need, and each makes a hostile or broken file end in a clear error instead of a hang,
 * a crash or a run out of memory, in the CLI and in the language server alike.
 */

/** Bytes of one intent file the language reads (1 MiB), checked before lexing. (Files are read up to 10 MB: common/files.ts.) */
export const MAX_SOURCE_BYTES = 1024 * 1024;
/** Characters of a name (did-you-mean compares no longer ones either: common/suggest.ts). */
export const MAX_NAME_LENGTH = 64;
/** Characters between the quotes of a string (a twin path, a description, an interface name). */
export const MAX_STRING_LENGTH = 1024;
/** Syntax errors reported per file: the parser stops after these, characters that fit no token are not reported beyond. */
export const MAX_SYNTAX_ERRORS = 100;
/** Problems reported per file (of every kind): enough to fix, not a report as large as the file. */
export const MAX_PROBLEMS = 1000;
/** Groups nested in groups (a group of groups is 2 levels). */
export const MAX_GROUP_DEPTH = 1000;

/** 1234567 as "1,234,567". */
export function count(n: number): string {
    return n.toLocaleString('en');
}
