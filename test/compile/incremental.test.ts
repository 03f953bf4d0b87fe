/**
 * A compile given the previous one reuses what did not change (filters per edge, steering merged)
 * and must come out exactly as a compile from nothing: random edits of generated networks (a
 * port changed, an intent removed, one added), with and without `default deny`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../server/src/check/check.js';
import { compileNetwork, type CompiledNetwork } from '../../server/src/compile/compile.js';
import { createNetintentServices } from '../../server/src/language/netintent-module.js';
import { FAMILIES, INTENT_FILE, networkFiles, TWIN_FILE, type FamilyName } from '../bench/generate.js';
import { mulberry32 } from '../support/random.js';
import { writeWorkspace } from '../support/workspace.js';

const EDITS = 12;

describe.each(['campus', 'clos', 'wan'] as FamilyName[])('compiling after edits, family %s', family => {
    it.each([false, true])('equals a compile from nothing (default deny: %s)', async defaultDeny => {
        const network = FAMILIES[family](40, 40, 5);
        const folder = writeWorkspace(networkFiles(network));
        const intentFile = path.join(folder, INTENT_FILE);
        const { Netintent } = createNetintentServices(NodeFileSystem);
        const programOf = async (text: string) => {
            // Second, so that edits below leave its line (which its rules name) where it is.
            fs.writeFileSync(intentFile, defaultDeny ? text.replace('\n', '\ndefault deny\n') : text);
            const report = await checkFiles(Netintent, [intentFile], { verify: false });
            expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
            return Netintent.intent.IntentPrograms.forTwin(path.join(folder, TWIN_FILE)).program;
        };
        const shown = (compiled: CompiledNetwork) => JSON.stringify([...compiled.devices]);
        let lines = network.intents.split('\n');
        let previous = compileNetwork(await programOf(lines.join('\n')));
        const random = mulberry32(3);
        let reusedDevices = 0;
        for (let edit = 0; edit < EDITS; edit++) {
            const intents = lines.flatMap((line, i) => (/^intent i\d+ \{/.test(line) ? [i] : []));
            const at = intents[Math.floor(random() * intents.length)];
            const kind = edit % 3;
            if (kind === 0)
                lines[at] = lines[at].replace(/(: \w+ )(\d+)/, (_, head, port) => `${head}${Number(port) + 1}`);
            if (kind === 1) lines = lines.filter((_, i) => i !== at);
            if (kind === 2)
                lines = [
                    ...lines,
                    lines[at]
                        .replace(/^intent i(\d+)/, `intent added${edit}`)
                        .replace(/(: \w+ )(\d+)/, `$1${50000 + edit}`)
                ];
            const program = await programOf(lines.join('\n'));
            const incremental = compileNetwork(program, previous);
            expect(shown(incremental)).toBe(shown(compileNetwork(program)));
            reusedDevices += [...incremental.devices].filter(
                ([name, config]) => previous.devices.get(name) === config
            ).length;
            previous = incremental;
        }
        // Most devices kept their configuration object from one compile to the next.
        expect(reusedDevices).toBeGreaterThan((EDITS * 40) / 2);
    });
});
