/**
 * Writing into a twin file: the state observed in a running network (`state: { observed, down }`),
 * with the rest of the file kept as the user wrote it (formatting, comments, order), and the file
 * written whole or not at all.
 */
import * as fs from 'node:fs';
import { isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';

export class TwinWriteError extends Error {}

/** Sets the twin file's `state`: when it was observed, and the interfaces that were down. */
export function writeTwinState(file: string, down: readonly string[], observed: Date): void {
    const document = parseDocument(fs.readFileSync(file, 'utf8'));
    if (document.errors.length > 0) throw new TwinWriteError(`${file} does not parse; fix it before syncing.`);
    const existing = document.getIn(['state', 'down'], true);
    const list = new YAMLSeq();
    list.flow = isSeq(existing) ? (existing.flow ?? true) : true;
    for (const name of down) list.add(name);
    if (!isMap(document.get('state', true))) document.set('state', document.createNode({}));
    document.setIn(['state', 'observed'], observed.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    document.setIn(['state', 'down'], list);
    // Beside the original, then renamed over it.
    fs.writeFileSync(`${file}.netintent-tmp`, document.toString());
    fs.renameSync(`${file}.netintent-tmp`, file);
}
