/** The bundled samples, checked and compiled through the real pipeline. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFiles } from '../../server/src/check/check.js';
import type { IntentProgram } from '../../server/src/intent/model.js';
import { netintentServices } from './workspace.js';

export const ROOT = path.join(__dirname, '..', '..');
export const SAMPLES = ['campus', 'dc-fabric', 'wan', 'dual-hub'] as const;

/** The intent program of a sample (its intent files must check without errors). */
export async function sampleProgram(sample: string): Promise<IntentProgram> {
    const folder = path.join(ROOT, 'samples', sample);
    const files = fs.readdirSync(folder).filter(f => f.endsWith('.intent')).map(f => path.join(folder, f));
    const report = await checkFiles(netintentServices(), files, { verify: false });
    const errors = report.diagnostics.filter(d => d.severity === 'error');
    if (errors.length > 0) throw new Error(`${sample} has errors: ${errors.map(e => e.message).join('; ')}`);
    const twin = fs.readdirSync(folder).find(f => f.endsWith('.twin.yaml'))!;
    return netintentServices().intent.IntentPrograms.forTwin(path.join(folder, twin)).program;
}

/** Where Debian puts commands, which a test's PATH may lack (sbin for a user that is not root). */
const SYSTEM_BIN = ['/usr/bin', '/usr/sbin', '/sbin'];

/** A command's full path from SYSTEM_BIN, or its bare name. */
export function sbin(tool: string): string {
    return SYSTEM_BIN.map(d => path.join(d, tool)).find(f => fs.existsSync(f)) ?? tool;
}

/**
 * A command from Debian's packages that the tests need. Outside CI a missing one skips the test
 * with a loud note; under CI=true (where .ci/run installs it) it fails.
 */
export function requireTool(command: string, debianPackage: string): boolean {
    const found = (process.env.PATH ?? '').split(path.delimiter).some(dir => fs.existsSync(path.join(dir, command)))
        || SYSTEM_BIN.some(dir => fs.existsSync(path.join(dir, command)));
    if (found) return true;
    const message = `${command} is not installed (Debian package ${debianPackage}); the tests that need it are SKIPPED. .ci/run installs it.`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! ${message}\n`);
    return false;
}
