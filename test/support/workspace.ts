/** Test workspaces: files written to a fresh temporary folder, checked through the real pipeline. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { checkFiles } from '../../server/src/check/check.js';
import type { CheckReport } from '../../server/src/check/report.js';
import { createNetintentServices, type NetintentServices } from '../../server/src/language/netintent-module.js';
import { temporaryFolder } from './temporary.js';

let services: NetintentServices | undefined;

/** One set of services for the whole test file, as the CLI and the server each have one. */
export function netintentServices(): NetintentServices {
    services ??= createNetintentServices(NodeFileSystem).Netintent;
    return services;
}

/** Writes `files` (relative path → text) into a new temporary folder; returns the folder. */
export function writeWorkspace(files: Record<string, string>): string {
    const folder = temporaryFolder('netintent-test-');
    for (const [relative, text] of Object.entries(files)) {
        const file = path.join(folder, relative);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
    }
    return folder;
}

export interface Checked extends CheckReport {
    folder: string;
    /** Diagnostics as "file:line:col severity code: message", file relative to the folder. */
    lines: string[];
}

/** Checks every .intent file among `files` (and verifies them with `verify`). */
export async function checkWorkspace(files: Record<string, string>, verify = false): Promise<Checked> {
    const folder = writeWorkspace(files);
    const intentFiles = Object.keys(files)
        .filter(f => f.endsWith('.intent'))
        .map(f => path.join(folder, f));
    const report = await checkFiles(netintentServices(), intentFiles, { verify });
    const lines = report.diagnostics.map(
        d =>
            `${path.relative(folder, d.file)}:${d.range.start.line}:${d.range.start.column} ${d.severity} ${d.code}: ${d.message}`
    );
    return { ...report, folder, lines };
}

/** A small valid twin most language tests bind: r1 - r2 - r3 in a line. */
export const SMALL_TWIN = `network: small
pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }
devices:
  r1: { role: access }
  r2: { role: core }
  r3: { role: access }
links:
  - endpoints: [r1:eth1, r2:eth1]
  - endpoints: [r2:eth2, r3:eth1]
segments:
  web: { prefix: 10.1.1.0/24, attach: r1:eth10 }
  db:  { prefix: 10.1.2.0/24, attach: r3:eth10 }
hosts:
  h1: { segment: web, address: 10.1.1.10 }
externals:
  internet: { prefixes: [0.0.0.0/0], attach: r2:eth9, address: 203.0.113.2/30, peer: 203.0.113.1 }
`;

/** An intent file bound to SMALL_TWIN, with `body` after the twin line. */
export function smallWorkspace(body: string, extra: Record<string, string> = {}): Record<string, string> {
    return { 'small.twin.yaml': SMALL_TWIN, 'main.intent': `twin "small.twin.yaml"\n${body}`, ...extra };
}
