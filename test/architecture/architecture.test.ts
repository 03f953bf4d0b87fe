/**
 * The import rules of docs/ARCHITECTURE.md, over the import graph of the sources: each stage reads
 * only the stages below it; the back end never imports Langium, Chevrotain or anything of LSP;
 * only lsp/, the client and the server's entry point know the language server protocol; and the
 * README's table and the architecture's data flow name every folder there is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/samples.js';

/** The stages of server/src, lowest first. */
const STAGES = [
    'common',
    'net',
    'twin',
    'intent',
    'config',
    'import',
    'export',
    'compile',
    'simulate',
    'verify',
    'lab',
    'language',
    'check',
    'lsp',
    'cli'
];
/** The back end: every stage up to the lab (the language, the fronts and the editor are above it). */
const BACK_END = new Set(STAGES.slice(0, STAGES.indexOf('lab') + 1));
/** Packages of the language server protocol and its connection; `vscode-languageserver-types` is the shape of Langium's diagnostics. */
const LSP_PACKAGES = [
    /^vscode-languageserver(\/|$)/,
    /^vscode-languageserver-protocol/,
    /^vscode-jsonrpc/,
    /^langium\/lsp/,
    /^vscode$/
];
const EDITOR_FRAMEWORKS = [/^langium/, /^chevrotain/, /^vscode/];

interface Import {
    file: string;
    specifier: string;
}

function sourceFiles(folder: string): string[] {
    return fs
        .readdirSync(folder, { withFileTypes: true, recursive: true })
        .filter(e => e.isFile() && e.name.endsWith('.ts'))
        .map(e => path.join(e.parentPath, e.name));
}

function importsOf(file: string): Import[] {
    const text = fs.readFileSync(file, 'utf8');
    return [...text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map(m => ({
        file: path.relative(ROOT, file),
        specifier: m[1] ?? m[2]
    }));
}

/** The stage of a file under server/src ('main' for the entry point), or undefined outside it. */
function stageOf(file: string): string | undefined {
    const relative = path.relative(path.join(ROOT, 'server', 'src'), path.resolve(ROOT, file));
    if (relative.startsWith('..')) return undefined;
    return relative.includes(path.sep) ? relative.split(path.sep)[0] : 'main';
}

const serverImports = sourceFiles(path.join(ROOT, 'server', 'src')).flatMap(importsOf);
const clientImports = sourceFiles(path.join(ROOT, 'client', 'src')).flatMap(importsOf);

describe('the import rules of docs/ARCHITECTURE.md', () => {
    it('knows every stage of server/src', () => {
        const folders = fs
            .readdirSync(path.join(ROOT, 'server', 'src'), { withFileTypes: true })
            .filter(e => e.isDirectory())
            .map(e => e.name);
        expect(folders.sort()).toEqual([...STAGES].sort());
    });

    it('each stage reads only itself and the stages below it', () => {
        const upward = serverImports.flatMap(({ file, specifier }) => {
            if (!specifier.startsWith('.')) return [];
            const from = stageOf(file)!;
            const to = stageOf(path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier)));
            if (from === 'main' || to === undefined || to === from) return [];
            return STAGES.indexOf(to) > STAGES.indexOf(from)
                ? [`${file} imports ${specifier} (${from} reads ${to}, a stage above it)`]
                : [];
        });
        expect(upward).toEqual([]);
    });

    it('the back end imports no Langium, Chevrotain or VS Code package', () => {
        const found = serverImports.filter(
            i => BACK_END.has(stageOf(i.file)!) && EDITOR_FRAMEWORKS.some(p => p.test(i.specifier))
        );
        expect(found).toEqual([]);
    });

    it('only lsp/, the client and the server entry point speak the language server protocol', () => {
        const found = serverImports.filter(
            i => !['lsp', 'main'].includes(stageOf(i.file)!) && LSP_PACKAGES.some(p => p.test(i.specifier))
        );
        expect(found).toEqual([]);
    });

    it('the client reads of the server only the protocol it speaks (lsp/protocol.ts)', () => {
        const found = clientImports.filter(
            i => i.specifier.includes('server/src') && !i.specifier.endsWith('server/src/lsp/protocol.js')
        );
        expect(found).toEqual([]);
    });

    it('the rules see the imports (the parse of import lines finds them)', () => {
        expect(serverImports.length).toBeGreaterThan(300);
        expect(serverImports).toContainEqual({ file: path.join('server', 'src', 'main.ts'), specifier: 'langium/lsp' });
    });
});

describe('the maps agree with the tree', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const architecture = fs.readFileSync(path.join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');

    it("the README's table names every top-level folder and every stage, and the architecture's data flow every stage", () => {
        const ignored = new Set(['node_modules', 'out', 'test-results', 'server']);
        const topLevel = fs
            .readdirSync(ROOT, { withFileTypes: true })
            .filter(e => e.isDirectory() && !e.name.startsWith('.') && !ignored.has(e.name))
            .map(e => e.name);
        expect(topLevel.filter(folder => !readme.includes(`| \`${folder}/\``))).toEqual([]);
        expect(STAGES.filter(stage => !readme.includes(`| \`server/src/${stage}/\``))).toEqual([]);
        expect(STAGES.filter(stage => !architecture.includes(`| \`${stage}/\``))).toEqual([]);
    });
});
