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
    const files = fs
        .readdirSync(folder)
        .filter(f => f.endsWith('.intent'))
        .map(f => path.join(folder, f));
    const report = await checkFiles(netintentServices(), files, { verify: false });
    const errors = report.diagnostics.filter(d => d.severity === 'error');
    if (errors.length > 0) throw new Error(`${sample} has errors: ${errors.map(e => e.message).join('; ')}`);
    const twin = fs.readdirSync(folder).find(f => f.endsWith('.twin.yaml'))!;
    return netintentServices().intent.IntentPrograms.forTwin(path.join(folder, twin)).program;
}
