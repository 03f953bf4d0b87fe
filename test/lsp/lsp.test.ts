/** The language server as an editor sees it: the built server process over stdio JSON-RPC. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
    CodeAction,
    CodeLens,
    CompletionList,
    Hover,
    LocationLink,
    PublishDiagnosticsParams,
    WorkspaceEdit
} from 'vscode-languageserver-protocol';
import { ROOT } from '../support/samples.js';
import { LspClient } from './lsp-client.js';
import { temporaryFolder } from '../support/temporary.js';
import { checkWorkspace } from '../support/workspace.js';

const folder = temporaryFolder('netintent-lsp-');
fs.cpSync(path.join(ROOT, 'samples', 'campus'), folder, { recursive: true });
// A second file bound to the same twin, using a group of the first.
fs.writeFileSync(
    path.join(folder, 'more.intent'),
    'twin "campus.twin.yaml"\n\nintent staff-to-web-again {\n  allow staff -> web : tcp 8080\n}\n'
);
const policy = path.join(folder, 'policy.intent');
const policyUri = `file://${policy}`;
const moreUri = `file://${path.join(folder, 'more.intent')}`;
const policyText = fs.readFileSync(policy, 'utf8');

/** The 0-based position of the n-th occurrence of `text` in the policy file (at its start, plus `shift`). */
function at(text: string, shift = 0, occurrence = 0, source = policyText) {
    let index = -1;
    for (let i = 0; i <= occurrence; i++) index = source.indexOf(text, index + 1);
    if (index < 0) throw new Error(`'${text}' not found`);
    const before = source.slice(0, index + shift);
    const line = before.split('\n').length - 1;
    return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}

let client: LspClient;

/** The loops and blackholes the editor published on a twin file are those the CLI reports for the same files, at the same places. */
async function expectForwardingAsCli(
    published: PublishDiagnosticsParams,
    files: Record<string, string>
): Promise<void> {
    const cli = await checkWorkspace(files, true);
    const expected = cli.diagnostics.filter(d => d.code === 'blackhole' || d.code === 'loop');
    expect(expected.length).toBeGreaterThan(0);
    // The CLI sorts its report.
    const byMessage = (a: unknown[], b: unknown[]) => String(a[3]).localeCompare(String(b[3]));
    expect(
        published.diagnostics
            .map(d => [d.range.start.line + 1, d.range.start.character + 1, d.code, d.message])
            .sort(byMessage)
    ).toEqual(expected.map(d => [d.range.start.line, d.range.start.column, d.code, d.message]).sort(byMessage));
}
let version = 1;

async function lenses(uri: string): Promise<CodeLens[]> {
    return client.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
}

/** Waits until every code lens of a document reports a verdict. */
async function verified(uri: string): Promise<string[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
        const titles = (await lenses(uri)).map(l => l.command?.title ?? '');
        if (titles.length > 0 && titles.every(t => !t.includes('not verified'))) return titles;
        if (Date.now() > deadline) throw new Error(`not verified: ${titles.join(' | ')}`);
        await new Promise(resolve => setTimeout(resolve, 100));
    }
}

async function change(uri: string, text: string): Promise<void> {
    await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: ++version },
        contentChanges: [{ text }]
    });
}

beforeAll(async () => {
    client = new LspClient();
    await client.initialize(folder);
    await client.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri: policyUri, languageId: 'netintent', version, text: policyText }
    });
});

afterAll(async () => {
    await client.stop();
});

describe('the language server', () => {
    it('publishes the diagnostics of the samples (none) and verifies every intent: code lenses', async () => {
        const published = await client.diagnosticsFor(policyUri, () => true);
        expect(published.diagnostics).toEqual([]);
        const titles = await verified(policyUri);
        // default deny first: one path from each of the 6 segments and the internet, dropped where it enters;
        // then each intent, with the paths of its requirements added up.
        expect(titles).toEqual([
            '✓ holds · 7 paths',
            '✓ holds · 4 paths',
            '✓ holds · 4 paths · survives 1 link failure',
            '✓ holds · 3 paths',
            '✓ holds · 9 paths',
            '✓ holds · 5 paths',
            '✓ holds · 3 paths',
            '✓ holds · 3 paths'
        ]);
    });

    it('hover: a twin name shows what it is; a requirement shows its verdict', async () => {
        const device: Hover = await client.connection.sendRequest('textDocument/hover', {
            textDocument: { uri: policyUri },
            position: at('via fw1', 5)
        });
        expect(JSON.stringify(device.contents)).toContain('**device fw1** — firewall, loopback');
        const requirement: Hover = await client.connection.sendRequest('textDocument/hover', {
            textDocument: { uri: policyUri },
            position: at('allow web -> db', 1)
        });
        expect(JSON.stringify(requirement.contents)).toContain('✓ holds');
        expect(JSON.stringify(requirement.contents)).toContain('paths: srv1 → dist1 → fw1 → dist1 → srv1');
    });

    it('the topology, with the paths of the requirement under the cursor', async () => {
        const topology: {
            devices: unknown[];
            links: unknown[];
            paths: Array<{ devices: string[]; failing: boolean }>;
            requirement?: string;
        } = await client.connection.sendRequest('netintent/topology', {
            uri: policyUri,
            position: at('allow web -> db', 1)
        });
        expect(topology.devices).toHaveLength(9);
        expect(topology.requirement).toBe('allow web -> db : postgres');
        // steered to fw1 and on from it by OSPF: both distribution switches on either side (ECMP)
        expect(topology.paths).toEqual([
            { devices: ['srv1', 'dist1', 'fw1', 'dist1', 'srv1'], failing: false },
            { devices: ['srv1', 'dist1', 'fw1', 'dist2', 'srv1'], failing: false },
            { devices: ['srv1', 'dist2', 'fw1', 'dist1', 'srv1'], failing: false },
            { devices: ['srv1', 'dist2', 'fw1', 'dist2', 'srv1'], failing: false }
        ]);
    });

    it('definition: a segment name leads to its line in the twin YAML', async () => {
        const links: LocationLink[] = await client.connection.sendRequest('textDocument/definition', {
            textDocument: { uri: policyUri },
            position: at('segment web', 9)
        });
        const twinText = fs.readFileSync(path.join(folder, 'campus.twin.yaml'), 'utf8');
        expect(links).toHaveLength(1);
        expect(links[0].targetUri).toBe(`file://${path.join(folder, 'campus.twin.yaml')}`);
        expect(links[0].targetRange.start).toEqual(at('  web:', 2, 0, twinText));
    });

    it('references of a twin name: its declaration in the YAML and every use', async () => {
        const locations: Array<{ uri: string }> = await client.connection.sendRequest('textDocument/references', {
            textDocument: { uri: policyUri },
            position: at('via fw1', 5),
            context: { includeDeclaration: true }
        });
        expect(locations[0].uri).toMatch(/campus\.twin\.yaml$/);
        expect(locations.length).toBeGreaterThanOrEqual(2);
    });

    it('completion at five places: keywords, groups and twin names, devices with details, services, scenarios', async () => {
        const complete = async (position: { line: number; character: number }) => {
            const result: CompletionList = await client.connection.sendRequest('textDocument/completion', {
                textDocument: { uri: policyUri },
                position
            });
            return result.items;
        };
        const topLevel = await complete({ line: policyText.split('\n').length - 1, character: 0 });
        expect(topLevel.map(i => i.label)).toEqual(expect.arrayContaining(['intent', 'group', 'service', 'scenario']));
        const source = await complete(at('allow web -> db', 6));
        expect(source.map(i => i.label)).toEqual(expect.arrayContaining(['web', 'staff', 'inet', 'guest']));
        const via = await complete(at('via fw1', 4));
        expect(via.find(i => i.label === 'core1')?.detail).toMatch(/^device · core, loopback /);
        const service = await complete(at(': postgres', 2));
        expect(service.map(i => i.label)).toEqual(expect.arrayContaining(['postgres', 'web-ports', 'dns']));
        const scenario = await complete(at('during core1-maintenance', 7));
        expect(scenario.map(i => i.label)).toContain('core1-maintenance');
    });

    it('a quick fix for a typo, applied, clears the error', async () => {
        const broken = policyText.replace(
            'allow staff -> web : web-ports\n}',
            'allow staff -> segment webb : web-ports\n}'
        );
        await change(policyUri, broken);
        const published = await client.diagnosticsFor(policyUri, p =>
            p.diagnostics.some(d => d.code === 'unknown-name')
        );
        const diagnostic = published.diagnostics.find(d => d.code === 'unknown-name')!;
        expect(diagnostic.message).toBe("Unknown segment 'webb'. Did you mean 'web'?");
        const actions: CodeAction[] = await client.connection.sendRequest('textDocument/codeAction', {
            textDocument: { uri: policyUri },
            range: diagnostic.range,
            context: { diagnostics: [diagnostic] }
        });
        const fix = actions.find(a => a.title === "Change to 'web'")!;
        const edit = fix.edit!.changes![policyUri][0];
        const lines = broken.split('\n');
        lines[edit.range.start.line] =
            lines[edit.range.start.line].slice(0, edit.range.start.character) +
            edit.newText +
            lines[edit.range.start.line].slice(edit.range.end.character);
        await change(policyUri, lines.join('\n'));
        await client.diagnosticsFor(policyUri, p => p.diagnostics.length === 0);
    });

    it("quick fixes read the diagnostic's code and data, not its message: an unknown service can be declared", async () => {
        const broken = policyText.replace('allow staff -> web : web-ports\n}', 'allow staff -> web : backup-ports\n}');
        await change(policyUri, broken);
        const published = await client.diagnosticsFor(policyUri, p =>
            p.diagnostics.some(d => d.code === 'unknown-name')
        );
        const diagnostic = published.diagnostics.find(d => d.code === 'unknown-name')!;
        // A client may show (and send back) the message translated or shortened.
        const actions: CodeAction[] = await client.connection.sendRequest('textDocument/codeAction', {
            textDocument: { uri: policyUri },
            range: diagnostic.range,
            context: { diagnostics: [{ ...diagnostic, message: 'unbekannter Name' }] }
        });
        expect(actions.map(a => a.title)).toContain("Declare service 'backup-ports'");
        const declaration = actions.find(a => a.title === "Declare service 'backup-ports'")!.edit!.changes![
            policyUri
        ][0];
        expect(declaration.newText).toBe('service backup-ports = tcp\n');
        await change(policyUri, policyText);
        await client.diagnosticsFor(policyUri, p => p.diagnostics.length === 0);
    });

    it('an edit that breaks an intent is reported violated at its line; the repair clears it', async () => {
        const breaking = policyText.replace(
            'allow staff -> web : web-ports\n}',
            'allow staff -> web : web-ports\n    hops <= 1\n}'
        );
        await change(policyUri, breaking);
        const published = await client.diagnosticsFor(policyUri, p => p.diagnostics.some(d => d.code === 'violated'));
        const violation = published.diagnostics.find(d => d.code === 'violated')!;
        expect(violation.message).toMatch(
            /^Violated: the path acc1 → .* passes \d devices, more than hops <= 1\. Packet: tcp /
        );
        expect(violation.range.start.line).toBe(at('allow staff -> web').line);
        await change(policyUri, policyText);
        await client.diagnosticsFor(policyUri, p => p.diagnostics.length === 0);
        expect((await verified(policyUri)).every(t => t.startsWith('✓ holds'))).toBe(true);
    });

    it('document symbols, folding ranges and semantic tokens', async () => {
        const symbols: Array<{ name: string }> = await client.connection.sendRequest('textDocument/documentSymbol', {
            textDocument: { uri: policyUri }
        });
        expect(symbols.map(s => s.name)).toEqual(
            expect.arrayContaining(['web-to-db', 'staff-web', 'postgres', 'core1-maintenance', 'web'])
        );
        const folds: Array<{ startLine: number; endLine: number }> = await client.connection.sendRequest(
            'textDocument/foldingRange',
            { textDocument: { uri: policyUri } }
        );
        expect(folds).toContainEqual(expect.objectContaining({ startLine: at('intent web-to-db').line }));
        const tokens: { data: number[] } = await client.connection.sendRequest('textDocument/semanticTokens/full', {
            textDocument: { uri: policyUri }
        });
        // Five numbers per token: at least one per group, service, scenario and intent name.
        expect(tokens.data.length / 5).toBeGreaterThan(20);
    });

    it('formatting puts one statement a line and indents intent bodies', async () => {
        const messy = 'twin "campus.twin.yaml"\nintent tidy {   allow web   ->   db : postgres via fw1 }\n';
        const uri = `file://${path.join(folder, 'messy.intent')}`;
        await client.connection.sendNotification('textDocument/didOpen', {
            textDocument: { uri, languageId: 'netintent', version: 1, text: messy }
        });
        await client.diagnosticsFor(uri, () => true);
        const edits: Array<{
            range: { start: { line: number; character: number }; end: { line: number; character: number } };
            newText: string;
        }> = await client.connection.sendRequest('textDocument/formatting', {
            textDocument: { uri },
            options: { tabSize: 2, insertSpaces: true }
        });
        const lines = messy.split('\n');
        const offset = (p: { line: number; character: number }) =>
            lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
        let formatted = messy;
        for (const edit of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) {
            formatted =
                formatted.slice(0, offset(edit.range.start)) + edit.newText + formatted.slice(offset(edit.range.end));
        }
        expect(formatted).toBe(
            'twin "campus.twin.yaml"\nintent tidy {\n  allow web -> db : postgres\n    via fw1\n}\n'
        );
        await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    });

    it('renames a group in every file bound to the twin', async () => {
        const edit: WorkspaceEdit = await client.connection.sendRequest('textDocument/rename', {
            textDocument: { uri: policyUri },
            position: at('group staff', 6),
            newName: 'employees'
        });
        expect(Object.keys(edit.changes!).sort()).toEqual([moreUri, policyUri].sort());
        expect(edit.changes![moreUri].map(e => e.newText)).toEqual(['employees']);
        // Twin names are the twin's: they are not renamed from an intent file.
        const refused = await client.connection.sendRequest('textDocument/prepareRename', {
            textDocument: { uri: policyUri },
            position: at('via fw1', 5)
        });
        expect(refused).toBeNull();
    });

    it('editing the twin YAML re-checks the intents bound to it', async () => {
        const twinFile = path.join(folder, 'campus.twin.yaml');
        const original = fs.readFileSync(twinFile, 'utf8');
        fs.writeFileSync(twinFile, original.replace(/^ {2}fw1:/m, '  fw9:'));
        await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
            changes: [{ uri: `file://${twinFile}`, type: 2 }]
        });
        const published = await client.diagnosticsFor(policyUri, p =>
            p.diagnostics.some(d => d.code === 'twin-error' || d.code === 'unknown-name')
        );
        expect(published.diagnostics.map(d => d.message).join('\n')).toMatch(/fw1/);
        fs.writeFileSync(twinFile, original);
        await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
            changes: [{ uri: `file://${twinFile}`, type: 2 }]
        });
        await client.diagnosticsFor(policyUri, p => p.diagnostics.length === 0);
    });

    it('loops and blackholes reach the editor as the CLI reports them: at the device in the twin file, cleared once routed', async () => {
        const twinFile = path.join(folder, 'campus.twin.yaml');
        const twinUri = `file://${twinFile}`;
        const original = fs.readFileSync(twinFile, 'utf8');
        // acc3 (guest) loses its only link: it has no route for what guests send.
        fs.writeFileSync(
            twinFile,
            original.replace('  - endpoints: [dist2:eth5, acc3:eth1]\n    latency: 500us\n    bandwidth: 1G\n', '')
        );
        await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
            changes: [{ uri: twinUri, type: 2 }]
        });
        const published = await client.diagnosticsFor(twinUri, p => p.diagnostics.length > 0);
        await expectForwardingAsCli(
            published,
            Object.fromEntries(
                ['campus.twin.yaml', 'policy.intent', 'more.intent'].map(f => [
                    f,
                    fs.readFileSync(path.join(folder, f), 'utf8')
                ])
            )
        );
        expect(published.diagnostics.map(d => d.message).join('\n')).toMatch(
            /Blackhole for 10\.1\.100\.0\/24: acc3 has no route/
        );
        fs.writeFileSync(twinFile, original);
        await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
            changes: [{ uri: twinUri, type: 2 }]
        });
        await client.diagnosticsFor(twinUri, p => p.diagnostics.length === 0);
    });
});

describe('the language server on a dual-stack twin: IPv6 beside IPv4 wherever the twin shows addresses', () => {
    const dualFolder = temporaryFolder('netintent-lsp-dual-');
    fs.cpSync(path.join(ROOT, 'samples', 'dual-stack'), dualFolder, { recursive: true });
    const uri = `file://${path.join(dualFolder, 'editor.intent')}`;
    const text = [
        'twin "dual-stack.twin.yaml"',
        '',
        'group net = external internet',
        'scenario cut { fail link r1:eth1 -- r2:eth1 }',
        '',
        'intent editor {',
        '  allow segment staff -> host web : tcp 443',
        '    via r3',
        '  allow segment lab6 -> external internet : tcp 443',
        '  allow segment guest -> net : tcp 443 during cut',
        '}',
        ''
    ].join('\n');
    const position = (word: string, shift = 0) => at(word, shift, 0, text);
    let dual: LspClient;

    beforeAll(async () => {
        dual = new LspClient();
        await dual.initialize(dualFolder);
        await dual.connection.sendNotification('textDocument/didOpen', {
            textDocument: { uri, languageId: 'netintent', version: 1, text }
        });
        const published = await dual.diagnosticsFor(uri, () => true);
        expect(published.diagnostics).toEqual([]);
    });

    afterAll(async () => {
        await dual.stop();
    });

    async function hover(word: string, shift: number): Promise<string> {
        const result: Hover = await dual.connection.sendRequest('textDocument/hover', {
            textDocument: { uri },
            position: position(word, shift)
        });
        return (result.contents as { value: string }).value;
    }

    it('hovers over twin names give both families, RFC 5952 text; a one-family name its one', async () => {
        expect(await hover('segment staff', 8)).toBe('**segment staff** — 10.6.1.0/24, 2001:db8:1::/64 on r1:eth9');
        expect(await hover('segment lab6', 8)).toBe('**segment lab6** — 2001:db8:6::/64 on r2:eth9');
        expect(await hover('segment guest', 8)).toBe('**segment guest** — 10.6.4.0/24 on r4:eth9');
        expect(await hover('host web', 5)).toBe('**host web** — 10.6.3.80, 2001:db8:3::80 in segment servers');
        expect(await hover('external internet', 9)).toBe('**external internet** — 0.0.0.0/0, ::/0 via r4:eth8');
        expect(await hover('via r3', 4)).toBe(
            '**device r3** — server-router, loopback 10.255.0.3, 2001:db8:fffe::3, 3 interfaces'
        );
        expect(await hover('r1:eth1', 3)).toBe('**interface eth1** — link interface, 10.0.0.0/31, 2001:db8:ff00::/127');
    });

    it("a group's hover lists each family's ranges, so a fragmented IPv4 space does not hide the IPv6 ones", async () => {
        const value = await hover('-> net', 3);
        expect(value).toContain('addresses: 0.0.0.0-9.255.255.255, ');
        // The internet less the twin's own IPv6 space: the range between the link and loopback pools.
        expect(value).toContain(', 2001:db8:ff01::-2001:db8:fffd:ffff:ffff:ffff:ffff:ffff');
    });

    it('completion details give both families', async () => {
        const details = async (word: string, shift: number) => {
            const result: CompletionList = await dual.connection.sendRequest('textDocument/completion', {
                textDocument: { uri },
                position: position(word, shift)
            });
            return Object.fromEntries(result.items.filter(i => i.detail).map(i => [i.label, i.detail]));
        };
        expect(await details('segment lab6', 8)).toMatchObject({
            staff: 'segment · 10.6.1.0/24, 2001:db8:1::/64 on r1:eth9',
            lab6: 'segment · 2001:db8:6::/64 on r2:eth9',
            servers: 'segment · 10.6.3.0/24, 2001:db8:3::/64 on r3:eth9',
            guest: 'segment · 10.6.4.0/24 on r4:eth9'
        });
        expect(await details('host web', 5)).toMatchObject({
            web: 'host · 10.6.3.80, 2001:db8:3::80 in segment servers',
            dns: 'host · 10.6.3.53, 2001:db8:3::53 in segment servers'
        });
        expect(await details('via r3', 4)).toMatchObject({
            r2: 'device · access-router, loopback 10.255.0.2, 2001:db8:fffe::2, 4 interfaces'
        });
        expect(await details('external internet', 9)).toMatchObject({
            internet: 'external · 0.0.0.0/0, ::/0 via r4:eth8'
        });
    });

    it('the quick fix for an IPv6 prefix with host bits writes the prefix in RFC 5952 form', async () => {
        const written = text.replace('-> host web', '-> prefix 2001:DB8:0:3:0:0:0:80/64');
        await dual.connection.sendNotification('textDocument/didChange', {
            textDocument: { uri, version: 2 },
            contentChanges: [{ text: written }]
        });
        const published = await dual.diagnosticsFor(uri, p => p.diagnostics.some(d => d.code === 'host-bits'));
        const diagnostic = published.diagnostics.find(d => d.code === 'host-bits')!;
        const actions: CodeAction[] = await dual.connection.sendRequest('textDocument/codeAction', {
            textDocument: { uri },
            range: diagnostic.range,
            context: { diagnostics: [diagnostic] }
        });
        expect(actions.map(a => [a.title, a.edit!.changes![uri][0].newText])).toEqual([
            ['Write 2001:db8:0:3::/64', '2001:db8:0:3::/64']
        ]);
        await dual.connection.sendNotification('textDocument/didChange', {
            textDocument: { uri, version: 3 },
            contentChanges: [{ text }]
        });
        await dual.diagnosticsFor(uri, p => p.diagnostics.length === 0);
    });

    it('IPv6 loops and blackholes reach the editor as the CLI reports them, in RFC 5952 form', async () => {
        const twinFile = path.join(dualFolder, 'dual-stack.twin.yaml');
        const twinUri = `file://${twinFile}`;
        const original = fs.readFileSync(twinFile, 'utf8');
        // The IPv6-only lab moves to a router of its own, with no links: it reaches nothing.
        const isolated = original
            .replace('  r4: { role: edge-router }\n', '  r4: { role: edge-router }\n  r5: { role: lab-router }\n')
            .replace('attach: r2:eth9', 'attach: r5:eth9');
        fs.writeFileSync(twinFile, isolated);
        await dual.connection.sendNotification('workspace/didChangeWatchedFiles', {
            changes: [{ uri: twinUri, type: 2 }]
        });
        const published = await dual.diagnosticsFor(twinUri, p => p.diagnostics.length > 0);
        await expectForwardingAsCli(published, {
            'dual-stack.twin.yaml': isolated,
            'dual-stack.intent': fs.readFileSync(path.join(dualFolder, 'dual-stack.intent'), 'utf8'),
            'editor.intent': text
        });
        const messages = published.diagnostics.map(d => d.message);
        expect(messages).toContain('Blackhole for 2001:db8:3::/64: r5 has no route (r5).');
        expect(messages).toContain('Blackhole for 2001:db8:1::/64: r5 has no route (r5).');
        // The rest of the internet's IPv6 space, less what no router forwards (fe80::/10, ff00::/8, :: and ::1).
        expect(messages).toContain(
            'Blackhole for ::2-2001:db8:0:ffff:ffff:ffff:ffff:ffff, 2001:db8:1:1::-2001:db8:2:ffff:ffff:ffff:ffff:ffff, ' +
                '2001:db8:3:1::-2001:db8:5:ffff:ffff:ffff:ffff:ffff, 2001:db8:6:1::-2001:db8:ed:ffff:ffff:ffff:ffff:ffff, ' +
                '2001:db8:ee:1::-2001:db8:feff:ffff:ffff:ffff:ffff:ffff, 2001:db8:ff01::-2001:db8:fffd:ffff:ffff:ffff:ffff:ffff, ' +
                '2001:db8:fffe:1::-fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff, fec0::/10: r5 has no route (r5).'
        );
        expect(messages).toHaveLength(3);
        fs.writeFileSync(twinFile, original);
        await dual.connection.sendNotification('workspace/didChangeWatchedFiles', {
            changes: [{ uri: twinUri, type: 2 }]
        });
        await dual.diagnosticsFor(twinUri, p => p.diagnostics.length === 0);
    });

    it('the topology draws every attached segment, the IPv6-only one too', async () => {
        const topology: { places: Array<{ name: string; device: string }> } = await dual.connection.sendRequest(
            'netintent/topology',
            { uri }
        );
        expect(topology.places).toEqual([
            { name: 'segment staff', device: 'r1' },
            { name: 'segment lab6', device: 'r2' },
            { name: 'segment servers', device: 'r3' },
            { name: 'segment guest', device: 'r4' },
            { name: 'external internet', device: 'r4' }
        ]);
    });
});
