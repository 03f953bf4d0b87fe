/**
 * What tests need from the machine: Debian's commands, root, FRR, the editor. Outside CI a
 * missing part skips the tests with a loud note; under CI=true, where .ci/run installs
 * everything, it fails them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { missingTools } from '../../server/src/lab/system.js';

/** Whether `tests` can run: nothing of what they need is `missing`. */
export function needs(tests: string, missing: readonly string[], remedy = '.ci/run installs them'): boolean {
    if (missing.length === 0) return true;
    const message = `${tests} need ${missing.join(', ')}; SKIPPED (${remedy}).`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! ${message}\n`);
    return false;
}

/** Whether the lab runs here (root, FRR's daemons, nftables, iproute2, traceroute), as `netintent lab` checks it. */
export function needsLab(tests: string): boolean {
    return needs(tests, missingTools());
}

/** Where Debian puts commands, which a test's PATH may lack (sbin for a user that is not root). */
const SYSTEM_BIN = ['/usr/bin', '/usr/sbin', '/sbin'];

/** A command's full path from SYSTEM_BIN, or its bare name. */
export function sbin(tool: string): string {
    return SYSTEM_BIN.map(d => path.join(d, tool)).find(f => fs.existsSync(f)) ?? tool;
}

/** Whether a command from Debian's packages is here, for the tests that use it. */
export function requireTool(command: string, debianPackage: string): boolean {
    const found = [...(process.env.PATH ?? '').split(path.delimiter), ...SYSTEM_BIN].some(dir =>
        fs.existsSync(path.join(dir, command))
    );
    return needs(`the tests that use ${command}`, found ? [] : [`${command} (Debian package ${debianPackage})`]);
}
