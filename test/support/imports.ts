/** What every importer's test checks of its result: the twin it gives loads without an error and passes the twin schema. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { stringify } from 'yaml';
import { expect } from 'vitest';
import type { TwinImport } from '../../server/src/import/document.js';
import { loadTwin } from '../../server/src/twin/load.js';
import type { Twin } from '../../server/src/twin/model.js';
import { ROOT } from './samples.js';
import { temporaryFolder } from './temporary.js';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'twin.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, validateFormats: false, allowUnionTypes: true }).compile(schema);

export function readFile(file: string): string | undefined {
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** The imported twin written as YAML and loaded as a twin file: no errors allowed, the schema passed. */
export function loadImported(result: TwinImport): Twin {
    const document = JSON.parse(JSON.stringify(result.twin));
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    const file = path.join(temporaryFolder('netintent-import-'), 'imported.twin.yaml');
    fs.writeFileSync(file, stringify(result.twin));
    const loaded = loadTwin(file, readFile);
    const errors = loaded.diagnostics.filter(d => d.severity === 'error');
    expect(
        errors.map(e => `${e.range.start.line}: ${e.message}`),
        stringify(result.twin)
    ).toEqual([]);
    return loaded.twin;
}

/** A file of `content` (JSON) in a new temporary folder. */
export function jsonFile(name: string, content: unknown): string {
    const file = path.join(temporaryFolder('netintent-import-'), name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return file;
}
