/** The JSON Schema for twin files that editors use: it accepts every sample twin and catches mistakes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'twin.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, validateFormats: false }).compile(schema);

function twinFiles(folder: string): string[] {
    return fs
        .readdirSync(folder, { withFileTypes: true, recursive: true })
        .filter(e => e.isFile() && e.name.endsWith('.twin.yaml'))
        .map(e => path.join(e.parentPath, e.name));
}

describe('twin.schema.json', () => {
    it('is what package.json contributes to editors for *.twin.yaml', () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
        expect(manifest.contributes.yamlValidation).toEqual([
            { fileMatch: ['*.twin.yaml', '*.twin.yml'], url: './schemas/twin.schema.json' }
        ]);
    });

    it('accepts every sample twin and the reference example', () => {
        const files = [
            ...twinFiles(path.join(ROOT, 'samples')).filter(f => !f.includes('bad-twin')),
            path.join(ROOT, 'test', 'fixtures', 'twin', 'reference.twin.yaml')
        ];
        expect(files.length).toBeGreaterThanOrEqual(5);
        for (const file of files) {
            expect(validate(parse(fs.readFileSync(file, 'utf8'))), `${file}: ${JSON.stringify(validate.errors)}`).toBe(
                true
            );
        }
    });

    it('rejects a misspelt key, a bad routing, an invalid prefix and a one-ended link', () => {
        const cases = [
            { devics: {} },
            { routing: 'rip' },
            { segments: { web: { prefix: '10.0.0.0/33', attach: 'r1:eth1' } } },
            { links: [{ endpoints: ['r1:eth1'] }] }
        ];
        for (const twin of cases) expect(validate(twin), JSON.stringify(twin)).toBe(false);
    });
});
