/**
 * `twin sync`: the live lab read back into the twin — which interfaces are down (written to the
 * twin file's `state`, keeping the user's formatting and comments), and where the live FIBs
 * state (FIBs, policy tables and rules, rulesets) differs from the simulated one under it.
 */
import * as fs from 'node:fs';
import { isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';
import type { CompiledNetwork } from '../compile/compile.js';
import { NO_FAILURES, type Failures } from '../simulate/network.js';
import { interfaceName, type Twin } from '../twin/model.js';
import type { LabState } from './lab.js';
import { compareState } from './state.js';
import { LabError, run } from './system.js';

export interface SyncResult {
    down: string[];
    differences: string[];
}

/** The interfaces of the twin's devices that carry no traffic in the lab now. */
export function observedDown(state: LabState, twin: Twin): string[] {
    const down: string[] = [];
    for (const entry of state.devices) {
        const links = JSON.parse(run('ip', ['-n', entry.namespace, '-j', 'link', 'show'])) as Array<{
            ifname: string;
            flags?: string[];
            operstate?: string;
        }>;
        for (const iface of twin.devices.get(entry.device)?.interfaces.keys() ?? []) {
            const link = links.find(l => l.ifname === iface);
            if (!link || !(link.flags ?? []).includes('LOWER_UP'))
                down.push(interfaceName({ device: entry.device, interface: iface }));
        }
    }
    return down.sort();
}

export function syncTwin(state: LabState, twin: Twin, compiled: CompiledNetwork, now = new Date()): SyncResult {
    if (/\.clab\.ya?ml$/i.test(twin.file))
        throw new LabError(
            `${twin.file} is a containerlab file: a twin file of its own (with 'topology: ${twin.file}') can hold the observed state.`
        );
    const down = observedDown(state, twin);
    const failures: Failures = { ...NO_FAILURES, interfaces: new Set(down.filter(name => !twin.down.has(name))) };
    const { differences } = compareState(state, twin, compiled, failures);
    const text = fs.readFileSync(twin.file, 'utf8');
    const document = parseDocument(text);
    if (document.errors.length > 0) throw new LabError(`${twin.file} does not parse; fix it before syncing.`);
    const existing = document.getIn(['state', 'down'], true);
    const list = new YAMLSeq();
    list.flow = isSeq(existing) ? (existing.flow ?? true) : true;
    for (const name of down) list.add(name);
    if (!isMap(document.get('state', true))) document.set('state', document.createNode({}));
    document.setIn(['state', 'observed'], now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    document.setIn(['state', 'down'], list);
    // Written whole or not at all, beside the original.
    fs.writeFileSync(`${twin.file}.netintent-tmp`, document.toString());
    fs.renameSync(`${twin.file}.netintent-tmp`, twin.file);
    return { down, differences };
}
