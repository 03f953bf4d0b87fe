/**
 * The limits of the language (docs/language.md, Limits): no intent file kills `netintent check`
 * or the language services, or keeps them busy for long. Each input here once crashed them, ran
 * them out of memory or took minutes; now each ends within 10 s with a clear error at its place.
 * The CLI tests run the built CLI (npm test builds it first), killed after 10 s.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../../server/src/common/suggest.js';
import { mulberry32 } from '../support/random.js';
import { checkWorkspace, netintentServices, smallWorkspace, writeWorkspace } from '../support/workspace.js';

const ROOT = path.join(__dirname, '..', '..');
const NODE = path.join(ROOT, 'node_modules', 'node', 'bin', 'node');
const BIN = path.join(ROOT, 'bin', 'netintent.cjs');
const TEN_SECONDS = 10_000;

/** `netintent check` of main.intent after the twin line: its diagnostics ("main.intent:2:7: error: … [code]") and exit code. */
function check(body: string, ...options: string[]) {
    const folder = writeWorkspace(smallWorkspace(body));
    const run = spawnSync(NODE, [BIN, 'check', ...options, 'main.intent'], {
        cwd: folder,
        encoding: 'utf8',
        timeout: TEN_SECONDS,
        maxBuffer: 64 * 1024 * 1024
    });
    expect(run.error?.message, 'netintent check did not end within 10 s').toBeUndefined();
    expect(run.stderr).not.toContain('internal error');
    expect([0, 1]).toContain(run.status);
    return { code: run.status, lines: run.stdout.split('\n').filter(l => l.startsWith('main.intent:')) };
}

/** The services' check of main.intent, which must take under 10 s. */
async function checkTimed(body: string) {
    const started = performance.now();
    const checked = await checkWorkspace(smallWorkspace(body));
    expect(performance.now() - started).toBeLessThan(TEN_SECONDS);
    expect(checked.lines.filter(l => /An error occurred/.test(l))).toEqual([]);
    return checked;
}

/** `body` repeated to about `bytes`. */
function repeat(bytes: number, line: (i: number) => string): string {
    const lines: string[] = [];
    for (let i = 0, size = 0; size < bytes; i++) {
        lines.push(line(i));
        size += lines[i].length;
    }
    return lines.join('');
}

describe('did you mean', () => {
    it('a 60 KB file with a 30,000-character name: an error at each name, no suggestion (it ran out of memory at 4 GB)', () => {
        const name = 'a'.repeat(30_000);
        const run = check(`group ${name} = segment web\nintent i {\n  allow ${name}b -> db\n}\n`);
        expect(run.code).toBe(1);
        expect(run.lines).toEqual([
            'main.intent:2:7: error: This name is 30,000 characters long; a name has at most 64. [syntax]',
            'main.intent:4:9: error: This name is 30,001 characters long; a name has at most 64. [syntax]'
        ]);
    });

    it('20,000 groups and 17,000 unknown names: the first 1,000 problems, with suggestions, in seconds (it took minutes)', () => {
        const body = repeat(1_000_000, i =>
            i < 20_000 ? `group grp${i} = segment web\n` : `group q${i} = grp${i}x\n`
        );
        const run = check(body);
        expect(run.lines[0]).toBe(
            "main.intent:20002:16: error: Unknown group, segment, host or external 'grp20000x'. Did you mean 'grp200'? [unknown-name]"
        );
        expect(run.lines).toHaveLength(1001);
        expect(run.lines[1000]).toMatch(
            /^main\.intent:\d+:\d+: error: More than 1,000 problems in this file; the first 1,000 are reported\. \[too-many-problems\]$/
        );
    });

    it('the banded edit distance is the edit distance, up to the limit', () => {
        const rng = mulberry32(0x5eed);
        const word = () => Array.from({ length: Math.floor(rng() * 12) }, () => 'abcd'[Math.floor(rng() * 4)]).join('');
        for (let n = 0; n < 2000; n++) {
            const [a, b, limit] = [word(), word(), Math.floor(rng() * 8)];
            expect(editDistance(a, b, limit), `${a} ${b} ${limit}`).toBe(Math.min(fullDistance(a, b), limit + 1));
        }
    });

    it('no suggestion for a name or candidate over 64 characters, nor beyond the first 1,000 candidates', () => {
        expect(nearestName('allw', ['allow', 'deny'])).toBe('allow');
        expect(nearestName(`${'x'.repeat(64)}y`, ['x'.repeat(65)])).toBeUndefined();
        expect(nearestName('x'.repeat(64), [`${'x'.repeat(64)}y`])).toBeUndefined();
        const others = Array.from({ length: 1000 }, (_, i) => `other${i}`);
        expect(nearestName('webb', [...others, 'web'])).toBeUndefined();
        expect(nearestName('webb', ['web', ...others])).toBe('web');
    });
});

describe('syntax errors', () => {
    it('1,400 lines of `group x = ,`: the first 100 syntax errors and one saying the rest is not checked (the parser overflowed the stack)', () => {
        const run = check('group x = ,\n'.repeat(1400));
        expect(run.code).toBe(1);
        const syntax = run.lines.filter(l => l.endsWith('[syntax]'));
        expect(syntax).toHaveLength(101);
        expect(syntax[0]).toBe("main.intent:2:11: error: Unexpected ','; expected 'EOF'. [syntax]");
        expect(syntax[100]).toBe(
            'main.intent:102:1: error: More than 100 syntax errors in this file: the first 100 are reported, and the rest of the file is not checked. [syntax]'
        );
    });

    it('completion in such a file answers (its parser recovers the same way)', () => {
        const text = `twin "small.twin.yaml"\n${'group x = ,\n'.repeat(1400)}group y = `;
        expect(() => netintentServices().parser.CompletionParser.parse(text)).not.toThrow();
    });

    it('below 100 errors a file parses as before: the statements after them count', async () => {
        const checked = await checkTimed(
            `${'intent broken { allow web -> }\n'.repeat(99)}intent fine {\n  allow web -> db : tcp 80\n}\n`
        );
        expect(checked.lines.filter(l => l.includes('More than'))).toEqual([]);
        expect(checked.intents.map(i => i.name)).toContain('fine');
    });

    it('characters that fit no token: the first 100, then one saying there are more', async () => {
        const checked = await checkTimed('§ '.repeat(300));
        expect(checked.lines).toHaveLength(101);
        expect(checked.lines[100]).toBe(
            'main.intent:2:201 error syntax: More than 100 unexpected characters in this file; the first 100 are reported.'
        );
    });
});

describe('nesting of groups', () => {
    /** `group g0 = segment web`, then `group g1 = g0` and so on up to g<n>. */
    const chain = (n: number) =>
        `group g0 = segment web\n${Array.from({ length: n }, (_, i) => `group g${i + 1} = g${i}\n`).join('')}`;

    it('a chain 10,000 deep, used by an intent: an error where it gets too deep (linking, validation and the IR overflowed the stack)', () => {
        const run = check(`${chain(10_000)}intent a {\n  allow g10000 -> db\n}\n`);
        expect(run.code).toBe(1);
        expect(run.lines[0]).toBe(
            "main.intent:1002:15: error: Group 'g999' nests groups 1,000 levels deep; a group may nest at most 1,000, so it cannot be a member of another. Name its segments, hosts or prefixes here instead. [group-depth]"
        );
    });

    it('a chain 1,000 deep is fine', async () => {
        const checked = await checkTimed(`${chain(999)}intent a {\n  allow g999 -> db\n}\n`);
        expect(checked.lines).toEqual([]);
    });

    it('a cycle of 3,000 groups: errors at its members, as deep as its groups (the cycle check overflowed the stack)', async () => {
        const checked = await checkTimed(
            `group g0 = g2999\n${chain(2999).replace('group g0 = segment web\n', '')}intent a {\n  allow g5 -> db\n}\n`
        );
        expect(checked.lines[0]).toBe(
            "main.intent:2:12 error group-depth: Group 'g2999' nests groups 3,000 levels deep; a group may nest at most 1,000, so it cannot be a member of another. Name its segments, hosts or prefixes here instead."
        );
    });

    it('a small cycle is still reported as one', async () => {
        const checked = await checkTimed('group a = b\ngroup b = a, segment web\n');
        expect(checked.lines).toEqual([
            "main.intent:2:7 error group-cycle: Group 'a' contains itself through its members; remove the cycle.",
            "main.intent:3:7 error group-cycle: Group 'b' contains itself through its members; remove the cycle."
        ]);
    });
});

describe('size of a file, names and strings', () => {
    const tooLarge = (bytes: number) =>
        `main.intent:1:1: error: This file is ${bytes.toLocaleString('en')} bytes; an intent file may have at most 1,048,576 (1 MiB), so it is not checked. Split it into files that bind the same twin. [syntax]`;

    it('a 5 MB string: one error at line 1 with the size and the limit (the lexer overflowed)', () => {
        const body = `intent a "${'a'.repeat(5_000_000)}" {\n}\n`;
        expect(check(body).lines).toEqual([tooLarge(body.length + 23)]);
    });

    it('an unterminated /* over 5 MB: the same (it took minutes)', () => {
        const body = '/* '.repeat(1_700_000);
        expect(check(body).lines).toEqual([tooLarge(body.length + 23)]);
    });

    it('below the limit, unterminated comments and strings are lexed in linear time (they took minutes)', () => {
        const comments = check('/* '.repeat(300_000));
        expect(comments.lines[0]).toBe(
            'main.intent:2:1: error: unexpected character: ->/<- at offset: 23, skipped 2 characters. [syntax]'
        );
        expect(comments.lines[100]).toBe(
            'main.intent:2:301: error: More than 100 unexpected characters in this file; the first 100 are reported. [syntax]'
        );
        const strings = check(`intent a ${'"\\'.repeat(225_000)}\n`);
        expect(strings.lines).toContain(
            'main.intent:2:10: error: unexpected character: ->"<- at offset: 32, skipped 450000 characters. [syntax]'
        );
    });

    it('a name has at most 64 characters, a string at most 1,024', async () => {
        const [name, string] = ['n'.repeat(64), 's'.repeat(1024)];
        expect(
            (await checkTimed(`group ${name} = segment web\nintent a "${string}" {\n  allow ${name} -> db\n}\n`)).lines
        ).toEqual([]);
        expect((await checkTimed(`group ${name}n = segment web\nintent a "${string}s" {\n}\n`)).lines).toEqual([
            'main.intent:2:7 error syntax: This name is 65 characters long; a name has at most 64.',
            'main.intent:3:10 error syntax: This string is 1,025 characters long; a string has at most 1,024.'
        ]);
    });

    it('a syntax error quotes 40 characters of the token it is at', async () => {
        const checked = await checkTimed(`intent a {\n  allow "${'q'.repeat(2000)}" -> db\n}\n`);
        expect(checked.lines).toEqual([
            'main.intent:3:9 error syntax: This string is 2,000 characters long; a string has at most 1,024.',
            `main.intent:3:9 error syntax: Unexpected '"${'q'.repeat(39)}…'; expected one of 'any', 'segment', 'host', 'external', 'device', 'prefix', a name.`
        ]);
    });

    it('a 1 MB file checks in seconds (building the IR was quadratic in it)', () => {
        const body = repeat(1_000_000, i =>
            i % 3 === 0
                ? `group g${i} = segment web\nservice s${i} = tcp ${i % 60_000}\n`
                : `intent i${i} {\n  allow g${i - (i % 3)} -> db : s${i - (i % 3)}\n}\n`
        );
        expect(check(body, '--no-verify')).toEqual({ code: 0, lines: [] });
    });

    it('a group of 200,000 members parses in linear time (it took a minute)', () => {
        const run = check(`group a = ${'web, '.repeat(200_000)}db /* last */, h1\n`);
        expect(run).toEqual({ code: 0, lines: [] });
    });
});

describe('problems per file', () => {
    it('100,000 empty groups: the first 1,000 problems and one saying there are more (validation overflowed and reported none)', () => {
        const run = check('group x =\n'.repeat(100_000));
        expect(run.code).toBe(1);
        expect(run.lines).toHaveLength(1001);
        expect(run.lines[0]).toBe(
            "main.intent:2:7: error: Group 'x' is empty; add at least one member (a segment, host, external, prefix or group). [empty-group]"
        );
        expect(run.lines[1000]).toBe(
            'main.intent:502:7: error: More than 1,000 problems in this file; the first 1,000 are reported. [too-many-problems]'
        );
    });

    it('3,000 allows and denies that all overlap: 1,000 conflicts are looked for, not 9 million', () => {
        const run = check(`intent a {\n${'  allow web -> db\n  deny web -> db\n'.repeat(3000)}}\n`);
        expect(run.code).toBe(1);
        expect(run.lines[0]).toMatch(/^main\.intent:3:3: error: This allow overlaps the deny of intent 'a' \(line 4\)/);
    });
});

/** The textbook edit distance (with swaps of neighbours), to compare the banded one with. */
function fullDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
    );
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

describe('overlaps', () => {
    it('a deny of everything carved by thousands of allows inside it: an error at the deny within seconds (it took minutes)', () => {
        // Each allow a pair of single addresses on its own port: each splits the parts it overlaps.
        const allows = Array.from(
            { length: 12_000 },
            (_, i) =>
                `  allow prefix 10.1.1.${1 + (i % 250)} -> prefix 10.1.2.${1 + (Math.floor(i / 250) % 250)} : tcp ${1 + i}\n`
        ).join('');
        const run = check(`intent everything {\n  deny any -> any\n}\nintent exceptions {\n${allows}}\n`);
        expect(run.code).toBe(1);
        expect(run.lines).toContain(
            'main.intent:3:3: error: The more specific statements inside this deny carve it into more than 5000 parts, more than netintent resolves; split it into narrower statements, or merge the ones inside it. [too-complex]'
        );
    });
});
