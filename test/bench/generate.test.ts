/** The benchmark's generated networks: each family, small, gives a twin that loads and intents that check without errors. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../server/src/check/check.js';
import { loadTwin } from '../../server/src/twin/load.js';
import { netintentServices, writeWorkspace } from '../support/workspace.js';
import { FAMILIES, INTENT_FILE, networkFiles, TWIN_FILE, type FamilyName } from './generate.js';

const DEVICES = 60;

describe.each(Object.keys(FAMILIES) as FamilyName[])('generated family %s', family => {
    it('loads and checks without errors (parse, link, validation, twin)', async () => {
        const network = FAMILIES[family](DEVICES, DEVICES, 3);
        const folder = writeWorkspace(networkFiles(network));
        const report = await checkFiles(netintentServices(), [path.join(folder, INTENT_FILE)], { verify: false });
        expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
        expect(report.intents).toHaveLength(DEVICES);
        // The mix: a quarter survive one link failure, one in twenty two.
        expect(network.intents.match(/survive 1 link failure }/g)).toHaveLength(DEVICES / 4);
        expect(network.intents.match(/survive 2 link failures }/g)).toHaveLength(DEVICES / 20);
    });

    it('is the same for the same seed, and other intents for another', () => {
        expect(FAMILIES[family](DEVICES, DEVICES, 3)).toEqual(FAMILIES[family](DEVICES, DEVICES, 3));
        expect(FAMILIES[family](DEVICES, DEVICES, 4).intents).not.toEqual(
            FAMILIES[family](DEVICES, DEVICES, 3).intents
        );
    });
});

describe('generated family regular', () => {
    it('has every router on 3 or 4 links', () => {
        const degree = new Map<string, number>();
        for (const [, a, b] of FAMILIES.regular(500, 0, 1).twin.matchAll(/endpoints: \[(\w+):\w+, (\w+):\w+\]/g)) {
            for (const router of [a, b]) degree.set(router, (degree.get(router) ?? 0) + 1);
        }
        expect(degree.size).toBe(500);
        expect([...degree.values()].filter(d => d < 3 || d > 4)).toEqual([]);
    });
});

describe('generated addressing', () => {
    it('holds at 10,000 devices: a segment on each of 10,000 routers, no prefix overlapping another or the pools', () => {
        const folder = writeWorkspace({ [TWIN_FILE]: FAMILIES.regular(10_000, 0, 1).twin });
        const { twin, diagnostics } = loadTwin(path.join(folder, TWIN_FILE), file => fs.readFileSync(file, 'utf8'));
        expect(diagnostics).toEqual([]);
        expect(twin.segments.size).toBe(10_000);
    });
});
