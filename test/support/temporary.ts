/** Temporary folders for tests, removed once their test file has run (test/support/cleanup.ts). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

/** A new empty folder under the system's temporary folder, its name starting with `prefix`. */
export function temporaryFolder(prefix: string): string {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(folder);
    return folder;
}

/** Removes every folder temporaryFolder made in this test file. */
export function removeTemporaryFolders(): void {
    for (const folder of made.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
}
