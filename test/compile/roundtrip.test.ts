/**
 * `check` verifies what `compile` writes: on every sample and on seeded random networks, the
 * files compile writes, read back as `verify --configs` reads them, give the verdicts check gives.
 * Interface names that a careless escaping would fold into one (eth-10, eth_10) share a device.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFiles } from '../../server/src/compile/targets.js';
import { loadConfigs } from '../../server/src/config/load.js';
import type { IntentProgram } from '../../server/src/intent/model.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import { mulberry32 } from '../support/random.js';
import { randomNetwork } from '../support/random-networks.js';
import { SAMPLES, sampleProgram } from '../support/samples.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';
import { temporaryFolder } from '../support/temporary.js';

/** Each requirement's verdict on the compiled model, and on the files written and read back. */
function bothWays(program: IntentProgram): { compiled: string[]; readBack: string[]; diagnostics: string[] } {
    const { compiled, files } = compileFiles(program, 'frr');
    const folder = temporaryFolder('netintent-roundtrip-');
    for (const [name, content] of files) {
        fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
        fs.writeFileSync(path.join(folder, name), content);
    }
    const loaded = loadConfigs(folder, program.twin);
    const summary = (verdicts: ReturnType<typeof verifyProgram>['verdicts']) =>
        [...verdicts].map(
            ([r, v]) =>
                `${r.intent}:${r.location.range.start.line} ${v.verdict}${v.counterexample ? ` ${v.counterexample.reason}` : ''}`
        );
    return {
        compiled: summary(verifyProgram(program, compiled.devices).verdicts),
        readBack: summary(verifyProgram(program, loaded.configs).verdicts),
        diagnostics: loaded.diagnostics
            .filter(d => d.severity !== 'info')
            .map(d => `${d.file}:${d.range.start.line} ${d.message}`)
    };
}

describe('what compile writes verifies as check says', () => {
    it.each(SAMPLES)('sample %s', async sample => {
        const result = bothWays(await sampleProgram(sample));
        expect(result.diagnostics).toEqual([]);
        expect(result.readBack).toEqual(result.compiled);
    });

    it('sample dual-stack with routing: bgp (IPv6 unicast read back)', async () => {
        const program = await sampleProgram('dual-stack');
        const result = bothWays({ ...program, twin: { ...program.twin, routing: 'bgp' } });
        expect(result.diagnostics).toEqual([]);
        expect(result.readBack).toEqual(result.compiled);
        expect(result.compiled.every(v => v.endsWith(' holds'))).toBe(true);
    });

    const next = mulberry32(1717);
    const networks = Array.from({ length: 24 }, (_, seed) => ({ seed, ...randomNetwork(seed, next) }));
    it.each(networks)('random network $seed', async ({ seed, twin, intents }) => {
        // Two interfaces of one device whose names differ only in '-' against '_'.
        const attach = /sa: \{ prefix: 10\.1\.1\.0\/24, attach: (\w+):eth10 \}/.exec(twin)![1];
        const named = twin
            .replace(`attach: ${attach}:eth10 }`, `attach: ${attach}:eth-10 }`)
            .replace(`attach: ${attach}:eth9,`, `attach: ${attach}:eth_10,`);
        const checked = await checkWorkspace({ 'net.twin.yaml': named, 'net.intent': intents });
        expect(
            checked.lines.filter(l => l.includes(' error ')),
            `network ${seed}`
        ).toEqual([]);
        const program = netintentServices().intent.IntentPrograms.forTwin(
            path.join(checked.folder, 'net.twin.yaml')
        ).program;
        const result = bothWays(program);
        expect(result.diagnostics, `network ${seed}`).toEqual([]);
        expect(result.readBack, `network ${seed}`).toEqual(result.compiled);
    });
});
