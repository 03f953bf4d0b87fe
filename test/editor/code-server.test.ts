/**
 * The extension in a real editor: code-server with the packaged .vsix installed, driven by
 * playwright-core in Debian's Chromium, headless. `scripts/install-editor.sh` (run by .ci/run)
 * installs both; without them these tests are skipped loudly, and fail under CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/samples.js';
import { temporaryFolder } from '../support/temporary.js';
import { needs } from '../support/system.js';

const EDITOR = path.join(ROOT, '.cache', 'editor');
const NODE22 = path.join(EDITOR, 'node22', 'bin', 'node');
const CODE_SERVER = path.join(EDITOR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';
const VSIX = path.join(ROOT, 'netintent.vsix');
const RESULTS = path.join(ROOT, 'test-results');

function available(): boolean {
    return needs(
        'the real-editor tests',
        [NODE22, CODE_SERVER, CHROMIUM, VSIX].filter(f => !fs.existsSync(f)),
        'run scripts/install-editor.sh and npm run package'
    );
}

const enabled = available();
const home = temporaryFolder('netintent-editor-');
const workspace = path.join(home, 'campus');
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;

async function freePort(): Promise<number> {
    return new Promise(resolve => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
            const port = (probe.address() as net.AddressInfo).port;
            probe.close(() => resolve(port));
        });
    });
}

async function command(title: string): Promise<void> {
    await page.keyboard.press('F1');
    await page.keyboard.type(title);
    await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${title}"]`, { timeout: 15_000 });
    await page.keyboard.press('Enter');
}

describe.skipIf(!enabled)('the extension in code-server', () => {
    beforeAll(async () => {
        fs.cpSync(path.join(ROOT, 'samples', 'campus'), workspace, { recursive: true });
        const env = {
            ...process.env,
            XDG_CONFIG_HOME: path.join(home, 'config'),
            XDG_DATA_HOME: path.join(home, 'data')
        };
        const dirs = ['--extensions-dir', path.join(home, 'extensions'), '--user-data-dir', path.join(home, 'user')];
        // Compile-on-save on, into a folder of its own.
        fs.mkdirSync(path.join(home, 'user', 'User'), { recursive: true });
        fs.writeFileSync(
            path.join(home, 'user', 'User', 'settings.json'),
            JSON.stringify({ 'netintent.compileOnSave': true, 'netintent.outDir': 'saved' })
        );
        const install = spawnSync(NODE22, [CODE_SERVER, ...dirs, '--install-extension', VSIX], {
            env,
            encoding: 'utf8'
        });
        expect(install.stdout).toContain('was successfully installed');
        const port = await freePort();
        server = spawn(
            NODE22,
            [
                CODE_SERVER,
                ...dirs,
                '--auth',
                'none',
                '--bind-addr',
                `127.0.0.1:${port}`,
                '--disable-telemetry',
                '--disable-update-check',
                '--disable-workspace-trust',
                workspace
            ],
            { env, stdio: 'ignore' }
        );
        for (let i = 0; i < 100; i++) {
            const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
                r => r.ok,
                () => false
            );
            if (up) break;
            await new Promise(resolve => setTimeout(resolve, 200));
        }
        browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            args: [
                '--headless',
                '--no-sandbox',
                '--disable-gpu',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
                '--no-first-run'
            ]
        });
        page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
        await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
        // Open the intent file with Quick Open.
        await page.keyboard.press('Control+P');
        await page.keyboard.type('policy.intent');
        await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: 15_000 });
        await page.keyboard.press('Enter');
        await page.waitForSelector('.monaco-editor .view-lines', { timeout: 15_000 });
    }, 180_000);

    afterAll(async () => {
        await browser?.close();
        server?.kill();
    });

    it('shows a code lens with the verdict', async () => {
        const lens = page.locator('.codelens-decoration', { hasText: '✓ holds' }).first();
        await lens.waitFor({ timeout: 60_000 });
        expect(await lens.textContent()).toMatch(/^✓ holds · \d+ paths?/);
    }, 90_000);

    it('a broken intent shows a squiggle and a Problems entry; typing the fix clears them', async () => {
        // Put the cursor at the end of the staff-web allow and add a bound no path can meet.
        const text = fs.readFileSync(path.join(workspace, 'policy.intent'), 'utf8');
        const line = text.split('\n').findIndex(l => l.includes('allow staff -> web : web-ports')) + 1;
        await page.keyboard.press('Control+G');
        await page.keyboard.type(String(line));
        await page.keyboard.press('Enter');
        await page.keyboard.press('End');
        await page.keyboard.type(' hops <= 1');
        await page.locator('.squiggly-error').first().waitFor({ timeout: 30_000 });
        await page.keyboard.press('Control+Shift+M');
        const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'Violated' }).first();
        await problem.waitFor({ timeout: 15_000 });
        expect(await problem.textContent()).toContain('more than hops <= 1');
        // The fix, typed: remove what was added.
        await page.locator('.monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+G');
        await page.keyboard.type(String(line));
        await page.keyboard.press('Enter');
        await page.keyboard.press('End');
        for (let i = 0; i < ' hops <= 1'.length; i++) await page.keyboard.press('Backspace');
        await page.locator('.squiggly-error').first().waitFor({ state: 'detached', timeout: 30_000 });
        await page
            .locator('.markers-panel .monaco-list-row', { hasText: 'Violated' })
            .first()
            .waitFor({ state: 'detached', timeout: 15_000 });
    }, 120_000);

    it('saving compiles into netintent.outDir (compileOnSave)', async () => {
        await page.locator('.monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+S');
        const frr = path.join(workspace, 'saved', 'fw1', 'frr.conf');
        for (let i = 0; i < 100 && !fs.existsSync(frr); i++) await new Promise(resolve => setTimeout(resolve, 200));
        expect(fs.readFileSync(frr, 'utf8')).toContain('hostname fw1');
    }, 60_000);

    it('Compile writes the configurations into the output folder', async () => {
        // What compile-on-save wrote goes first, so that the files found are Compile's.
        fs.rmSync(path.join(workspace, 'saved'), { recursive: true, force: true });
        await command('netintent: Compile');
        const frr = path.join(workspace, 'saved', 'core1', 'frr.conf');
        for (let i = 0; i < 100 && !fs.existsSync(frr); i++) await new Promise(resolve => setTimeout(resolve, 200));
        expect(fs.readFileSync(frr, 'utf8')).toMatch(/^frr version 8\.4\nfrr defaults traditional\nhostname core1\n/);
    }, 60_000);

    it('Show Topology draws the twin in a webview (screenshot in test-results/)', async () => {
        // With the cursor in a requirement, the view draws its paths too.
        const text = fs.readFileSync(path.join(workspace, 'policy.intent'), 'utf8');
        await page.locator('.monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+G');
        await page.keyboard.type(String(text.split('\n').findIndex(l => l.includes('allow web -> db')) + 1));
        await page.keyboard.press('Enter');
        await command('netintent: Show Topology');
        const frame = page.locator('iframe.webview').first();
        await frame.waitFor({ timeout: 30_000 });
        await page.waitForTimeout(3000);
        fs.mkdirSync(RESULTS, { recursive: true });
        const file = path.join(RESULTS, 'topology.png');
        await page.screenshot({ path: file });
        expect(fs.statSync(file).size).toBeGreaterThan(10_000);
    }, 60_000);
});
