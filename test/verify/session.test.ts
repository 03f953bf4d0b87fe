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
import { FAMILIES, INTENT_FILE, networkFiles, TWIN_FILE, type FamilyName } from '../bench/generate.js';
import { mulberry32 } from '../support/random.js';
import { shownVerdicts } from '../support/verdicts.js';

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

const summary = (verdicts: ReturnType<typeof verifyProgram>['verdicts']) =>
    [...verdicts].map(([r, v]) => `${r.intent}:${v.verdict}`);

describe('VerificationSession', () => {
    it('after an edit, verifies only the changed requirement and those its new filters reach, with fresh results', async () => {
        const intents = (port: number) =>
            [
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
        const verdictOf = (verdicts: typeof before, intent: string) =>
            [...verdicts].find(([r]) => r.intent === intent)![1];
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
        const edited = await program(
            'intent a { allow web -> db : tcp 443 }\nintent b { allow web -> db : tcp 80 via r3 }\n'
        );
        const run = session.run(edited);
        expect(run.compiled.underlayChange).toBe('none');
        const fresh = verifyProgram(edited, compileNetwork(edited).devices).verdicts;
        expect(summary(run.verdicts)).toEqual(summary(fresh));
        const pathsOf = (verdicts: typeof fresh) =>
            [...verdicts].map(([r, v]) => `${r.intent}: ${JSON.stringify(v.pathDevices)}`);
        expect(pathsOf(run.verdicts)).toEqual(pathsOf(fresh));
        expect(pathsOf(run.verdicts)).toContain('b: [["r1","r3","r4"]]');
    });

    it('steering added on a device renumbers its marks, and what only changed number keeps its verdict', async () => {
        // d steers toward r3 from r4; e pins web -> db around r2, its replies from r4 too: r4's
        // targets sort anew, and d's rules there mark for the same routes under another number.
        const program = workspace();
        const session = new VerificationSession();
        const base = 'intent a { allow web -> db : tcp 443 }\nintent d { allow db -> internet : tcp 25 via r3 }\n';
        const before = session.run(await program(base));
        const second = await program(`${base}intent e { allow web -> db : tcp 8080 avoid r2 }\n`);
        const run = session.run(second);
        const d = (verdicts: typeof before.verdicts) => [...verdicts].find(([r]) => r.intent === 'd')![1];
        const markOf = (devices: typeof run.compiled.devices) =>
            devices
                .get('r4')!
                .filter.chains.flatMap(c => c.rules)
                .find(r => r.comment.startsWith('d:') && r.setMark !== undefined)!.setMark;
        expect(markOf(run.compiled.devices)).not.toBe(markOf(before.compiled.devices));
        // Only e is verified; d keeps its verdict, which is a fresh check's.
        expect(run.verified).toBe(1);
        expect(d(run.verdicts)).toBe(d(before.verdicts));
        const fresh = verifyProgram(second, compileNetwork(second).devices).verdicts;
        expect(summary(run.verdicts)).toEqual(summary(fresh));
        expect(JSON.stringify(d(run.verdicts).pathDevices)).toBe(JSON.stringify(d(fresh).pathDevices));
    });

    it('a changed twin starts afresh', async () => {
        const session = new VerificationSession();
        session.run(await workspace()('intent a { allow web -> db : tcp 443 }\n'));
        const other = await workspace()('intent a { allow web -> db : tcp 443 }\n');
        expect(session.run(other).verified).toBe(1);
    });
});

describe.each(Object.keys(FAMILIES) as FamilyName[])('random intent edits in a session, family %s', family => {
    it('give the verdicts of a fresh check after every edit', async () => {
        // Constraints added to and taken from allows (steering comes and goes, marks are numbered
        // anew), ports changed, intents removed and put back.
        const network = FAMILIES[family](40, 40, 5);
        const devices = [.../^devices:\n((?: .*\n)*)/m.exec(network.twin)![1].matchAll(/^ {2}([\w-]+): \{/gm)].map(
            m => m[1]
        );
        const original = network.intents.split('\n');
        const intentLines = original.flatMap((line, i) => (/^intent i\d+ \{ allow /.test(line) ? [i] : []));
        const folder = writeWorkspace(networkFiles(network));
        const intentFile = path.join(folder, INTENT_FILE);
        const programNow = async (lines: string[]) => {
            fs.writeFileSync(intentFile, lines.join('\n'));
            const report = await checkFiles(netintentServices(), [intentFile], { verify: false });
            expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
            return netintentServices().intent.IntentPrograms.forTwin(path.join(folder, TWIN_FILE)).program;
        };
        const random = mulberry32(3);
        const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
        const lines = [...original];
        const session = new VerificationSession();
        session.run(await programNow(lines));
        let kept = 0;
        for (let edit = 0; edit < 20; edit++) {
            for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
                const at = pick(intentLines);
                const plain = original[at].replace(/ (via|avoid|hops|survive|latency) .*\}$/, ' }');
                lines[at] = pick([
                    () => plain.replace(/ \}$/, ` via ${pick(devices)} }`),
                    () => plain.replace(/ \}$/, ` avoid ${pick(devices)} }`),
                    () => plain.replace(/ \}$/, ` hops <= ${2 + Math.floor(random() * 4)} }`),
                    () => plain.replace(/(tcp|udp) \d+/, `$1 ${2000 + edit}`),
                    () => '',
                    () => original[at]
                ])();
            }
            const program = await programNow(lines);
            const run = session.run(program);
            expect(shownVerdicts(run.verdicts)).toEqual(
                shownVerdicts(verifyProgram(program, compileNetwork(program).devices).verdicts)
            );
            kept += program.intents.flatMap(i => i.requirements).length - run.verified;
        }
        expect(kept).toBeGreaterThan(0);
    });
});
