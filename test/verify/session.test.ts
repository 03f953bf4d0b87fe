/** Verification kept between runs: an edit verifies again only what it changed, and the same verdicts come out. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import { VerificationSession } from '../../server/src/verify/session.js';
import * as fs from 'node:fs';
import { checkFiles } from '../../server/src/check/check.js';
import { SQUARE } from '../support/networks.js';
import { netintentServices, writeWorkspace } from '../support/workspace.js';

/** One workspace whose intent file is edited between runs, as an editor would. */
function workspace() {
    const folder = writeWorkspace({ 'square.twin.yaml': SQUARE('ospf') });
    return async (intents: string) => {
        fs.writeFileSync(path.join(folder, 'main.intent'), `twin "square.twin.yaml"\n${intents}`);
        const report = await checkFiles(netintentServices(), [path.join(folder, 'main.intent')], { verify: false });
        expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
        return netintentServices().intent.IntentPrograms.forTwin(path.join(folder, 'square.twin.yaml')).program;
    };
}

const summary = (verdicts: ReturnType<typeof verifyProgram>['verdicts']) => [...verdicts].map(([r, v]) => `${r.intent}:${v.verdict}`);

describe('VerificationSession', () => {
    it('after an edit, verifies only the changed requirement and those its new filters reach, with fresh results', async () => {
        const intents = (port: number) => [
            'intent a { allow web -> db : tcp 443 }',
            `intent b { deny db -> web : tcp ${port} }`,
            'intent c { allow internet -> web : tcp 80 }',
            'intent d { allow db -> internet : tcp 25 via r3 }'
        ].join('\n') + '\n';
        const program = workspace();
        const session = new VerificationSession();
        const first = await program(intents(22));
        expect(session.run(first).verified).toBe(4);
        // The same program again: nothing to verify.
        expect(session.run(first).verified).toBe(0);
        // One deny changes port: its rules on r4 change. b is new; a's replies (db to web, any port)
        // pass r4 and could match the changed rules: checked again. d passes r4 but its packets
        // (db to the internet) match none of them, and c never reaches r4: both keep their verdicts.
        const before = session.run(first).verdicts;
        const second = await program(intents(23));
        const run = session.run(second);
        expect(run.verified).toBe(2);
        // The routing was kept: the underlay of the first compile is the one in use.
        expect(second.twin).toBe(first.twin);
        const verdictOf = (verdicts: typeof before, intent: string) => [...verdicts].find(([r]) => r.intent === intent)![1];
        expect(verdictOf(run.verdicts, 'c')).toBe(verdictOf(before, 'c'));
        expect(verdictOf(run.verdicts, 'd')).toBe(verdictOf(before, 'd'));
        expect(verdictOf(run.verdicts, 'a')).not.toBe(verdictOf(before, 'a'));
        expect(summary(run.verdicts)).toEqual(summary(verifyProgram(second, compileNetwork(second).devices).verdicts));
    });

    it('steering added by an edit, in a network with no default route, is verified as a fresh check verifies it', async () => {
        // The policy tables' routes are default routes: the routing kept from before must know that prefix.
        const folder = writeWorkspace({ 'square.twin.yaml': SQUARE('ospf').replace(/externals:\n.*\n/, '') });
        const program = async (intents: string) => {
            fs.writeFileSync(path.join(folder, 'main.intent'), `twin "square.twin.yaml"\n${intents}`);
            const report = await checkFiles(netintentServices(), [path.join(folder, 'main.intent')], { verify: false });
            expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
            return netintentServices().intent.IntentPrograms.forTwin(path.join(folder, 'square.twin.yaml')).program;
        };
        const session = new VerificationSession();
        session.run(await program('intent a { allow web -> db : tcp 443 }\n'));
        const edited = await program('intent a { allow web -> db : tcp 443 }\nintent b { allow web -> db : tcp 80 via r3 }\n');
        const run = session.run(edited);
        expect(run.compiled.underlayChange).toBe('none');
        const fresh = verifyProgram(edited, compileNetwork(edited).devices).verdicts;
        expect(summary(run.verdicts)).toEqual(summary(fresh));
        const pathsOf = (verdicts: typeof fresh) => [...verdicts].map(([r, v]) => `${r.intent}: ${JSON.stringify(v.pathDevices)}`);
        expect(pathsOf(run.verdicts)).toEqual(pathsOf(fresh));
        expect(pathsOf(run.verdicts)).toContain('b: [["r1","r3","r4"]]');
    });

    it('a changed twin starts afresh', async () => {
        const session = new VerificationSession();
        session.run(await workspace()('intent a { allow web -> db : tcp 443 }\n'));
        const other = await workspace()('intent a { allow web -> db : tcp 443 }\n');
        expect(session.run(other).verified).toBe(1);
    });
});
