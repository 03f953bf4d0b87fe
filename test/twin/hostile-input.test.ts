/** Hostile YAML given to the twin loader: it never hangs, throws, or quotes another file's lines. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../server/src/common/diagnostic.js';
import { loadTwin, type TwinLoadResult } from '../../server/src/twin/load.js';
import { MAX_ALIAS_NODES, MAX_PROBLEMS } from '../../server/src/twin/yaml-reader.js';
import { bound } from '../support/timing.js';

const FILE = '/t/a.twin.yaml';
const BASE = ['pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/24 }', 'devices:', '  r1: {}'];

function load(text: string): TwinLoadResult {
    return loadTwin(FILE, f => (f === FILE ? text : undefined));
}

function show(result: TwinLoadResult): string {
    return (
        result.diagnostics
            .map(d => `${path.basename(d.file)}:${d.range.start.line}:${d.range.start.column} ${d.code}: ${d.message}`)
            .join('\n') || '(none)'
    );
}

function withCode(result: TwinLoadResult, code: string): Diagnostic[] {
    return result.diagnostics.filter(d => d.code === code);
}

/** Loads `text`, which must take less than `ms` (on the reference machine: see bound). */
function loadQuickly(text: string, ms = 2000): TwinLoadResult {
    const start = performance.now();
    const result = load(text);
    expect(performance.now() - start).toBeLessThan(bound(ms));
    return result;
}

describe('alias amplification', () => {
    it('refuses 40 externals aliasing one 4,000-prefix list, at the alias that crosses the bound', () => {
        const prefixes = Array.from({ length: 4000 }, (_, i) => `10.${100 + (i >> 8)}.${i & 255}.0/24`).join(', ');
        const lines = [...BASE, 'externals:', `  e0: { prefixes: &p [${prefixes}], attach: r1:eth0 }`];
        for (let i = 1; i < 40; i++) lines.push(`  e${i}: { prefixes: *p, attach: r1:eth${i} }`);
        const result = loadQuickly(lines.join('\n') + '\n');
        const alias = withCode(result, 'yaml-alias');
        expect(alias, show(result)).toHaveLength(1);
        // Each alias stands for the list and its 4,000 prefixes: the 25th crosses 100,000.
        const crossing = Math.floor(MAX_ALIAS_NODES / 4001) + 1;
        expect(alias[0].range.start).toEqual({ line: BASE.length + 2 + crossing, column: 20 });
        expect(alias[0].message).toContain('aliases expand too far');
        expect(alias[0].message).toContain('100,000 nodes');
    });

    it('refuses an alias inside the node it names, at the alias', () => {
        const result = loadQuickly(
            [...BASE, 'externals:', '  e0: { prefixes: &p [10.9.0.0/16, *p], attach: r1:eth0 }'].join('\n')
        );
        const alias = withCode(result, 'yaml-alias');
        expect(alias, show(result)).toHaveLength(1);
        expect(alias[0].range.start).toEqual({ line: 5, column: 36 });
    });

    it('takes aliases that stay within the bound', () => {
        const result = load(
            [
                ...BASE,
                'externals:',
                '  e0: { prefixes: &p [10.9.0.0/16], attach: r1:eth0 }',
                '  e1: { prefixes: *p, attach: r1:eth1 }'
            ].join('\n')
        );
        expect(
            result.diagnostics.filter(d => d.code.startsWith('yaml')),
            show(result)
        ).toEqual([]);
        expect([...result.twin.externals.keys()]).toEqual(['e0', 'e1']);
    });
});

describe('size and shape', () => {
    it('refuses collections nested more than 100 deep at the first too deep, before the yaml package recurses', () => {
        const result = loadQuickly(`network: x\nlinks: ${'['.repeat(100_000)}\n`);
        expect(result.diagnostics, show(result)).toHaveLength(1);
        expect(result.diagnostics[0]).toMatchObject({ code: 'yaml-depth', range: { start: { line: 2, column: 107 } } });
        expect(result.diagnostics[0].message).toBe(
            'YAML nested more than 100 levels deep; a twin needs a few. The file is not read.'
        );
    });

    it('refuses more than three million tokens at the token that passes them, without reading on', () => {
        const result = loadQuickly(`network: x\nlinks: [${'1, '.repeat(1_200_000)}]\nrouting: x\n`, 8000);
        expect(result.diagnostics, show(result)).toHaveLength(1);
        expect(result.diagnostics[0]).toMatchObject({ code: 'yaml-size', range: { start: { line: 2 } } });
        expect(result.diagnostics[0].range.start.column).toBeLessThan(3 * 1_200_000);
        expect(result.diagnostics[0].message).toBe(
            'YAML with more than 3,000,000 tokens (names, values, punctuation); a twin of 20,000 devices has that many. The file is not read.'
        );
    });

    it('finds a duplicate key among 60,000 in linear time', () => {
        const keys = Array.from({ length: 60_000 }, (_, i) => `k${i}: 1`);
        const result = loadQuickly(['extra: {', ...keys.map(k => `  ${k},`), '  k7: 2 }'].join('\n'), 4000);
        expect(
            withCode(result, 'duplicate-name').map(d => d.range.start),
            show(result)
        ).toEqual([{ line: 60_002, column: 3 }]);
    });

    it(`reports ${MAX_PROBLEMS} problems of a file and says there are more`, () => {
        const result = loadQuickly('- a: '.repeat(100_000), 4000);
        expect(result.diagnostics).toHaveLength(MAX_PROBLEMS + 1);
        expect(result.diagnostics.at(-1)).toMatchObject({
            code: 'too-many-problems',
            message: 'More than 1,000 problems in this file; the first 1,000 are reported.'
        });
    });
});

describe('YAML details', () => {
    it('reports an undefined alias at the alias, naming it', () => {
        const result = load([...BASE, 'segments:', '  web: { prefix: *nothere, attach: r1:eth10 }'].join('\n'));
        const alias = withCode(result, 'yaml-alias');
        expect(alias, show(result)).toHaveLength(1);
        expect(alias[0].range.start).toEqual({ line: 5, column: 18 });
        expect(alias[0].message).toBe("Unknown alias '*nothere': no anchor '&nothere' is set before it.");
        // The rest of the twin is still read.
        expect(result.twin.devices.has('r1')).toBe(true);
    });

    it('reports unknown tags at their lines', () => {
        const result = load(
            [
                'network: !!js/function "function () { return 1 }"',
                ...BASE.slice(0, 2),
                '  r1: { role: !custom core }'
            ].join('\n')
        );
        const tags = withCode(result, 'yaml-tag');
        expect(
            tags.map(d => d.range.start.line),
            show(result)
        ).toEqual([1, 4]);
        expect(tags[0].message).toBe("Unknown YAML tag '!!js/function': a twin holds plain values; remove the tag.");
        expect(tags[1].message).toContain("'!custom'");
    });

    it('reads CR-only line endings (old Mac files) with the right lines and columns', () => {
        const lines = [
            ...BASE,
            '  r2: { role: core, colour: blue }',
            'segments:',
            '  web: { prefix: 10.1.1.0/24, attach: r1:eth10 }'
        ];
        const mac = load(lines.join('\r'));
        const unix = load(lines.join('\n'));
        expect(mac.twin.devices.has('r2')).toBe(true);
        expect(mac.twin.segments.has('web')).toBe(true);
        expect(show(mac)).toBe(show(unix));
        expect(
            withCode(mac, 'unknown-key').map(d => d.range.start),
            show(mac)
        ).toEqual([{ line: 4, column: 21 }]);
    });
});

describe('files that are not twins', () => {
    const secret = 'x'.repeat(30) + 'SECRET-AFTER-FORTY-CHARACTERS';

    it('a text that is not a YAML mapping gives one error, quoting none of it', () => {
        const passwd = Array.from(
            { length: 30 },
            (_, i) => `user${i}:x:${1000 + i}:${1000 + i}:${secret}:/home/user${i}:/bin/sh`
        ).join('\n');
        const result = load(passwd + '\n');
        expect(result.diagnostics, show(result)).toHaveLength(1);
        expect(result.diagnostics[0]).toMatchObject({
            code: 'not-a-twin',
            message: "'a.twin.yaml' is not a twin: its top level is not a YAML mapping."
        });
    });

    it('a binary gives one error', () => {
        const result = load(`\x7fELF\x02\x01\x01\0\0\0${secret}: 1\n\0\0key: value\n`);
        expect(result.diagnostics, show(result)).toHaveLength(1);
        expect(result.diagnostics[0].message).toBe("'a.twin.yaml' is not a twin: it is binary, not text.");
        expect(result.diagnostics[0].range.start).toEqual({ line: 1, column: 1 });
    });

    it('an unknown key is quoted to 40 characters at most, control characters escaped', () => {
        const result = load(`root:$6$${secret}:19000:0:99999:7:::\nnetwork\t\u001b[2J: x\n`);
        const keys = withCode(result, 'unknown-key');
        expect(keys, show(result)).toHaveLength(2);
        expect(keys[0].message).toBe(
            `Unknown key 'root:$6$${'x'.repeat(30)}SE…' in the twin. Expected one of: network, routing, topology, pools, devices, links, segments, hosts, externals, state.`
        );
        expect(keys[1].message).toContain("'network\\t\\u001b[2J'");
        expect(show(result)).not.toContain('AFTER');
    });

    it('a syntax error quotes 40 characters of its token at most', () => {
        const result = load(`network: x\n} ${secret}\n`);
        const syntax = withCode(result, 'yaml-syntax');
        expect(syntax.length, show(result)).toBeGreaterThan(0);
        expect(show(result)).not.toContain('AFTER');
    });
});
