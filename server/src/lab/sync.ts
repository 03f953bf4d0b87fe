/**
 * `twin sync`: the live lab read back into the twin — which interfaces are down (written to the
 * twin file's `state` by twin/write.ts), and where the live FIBs
 * state (FIBs, policy tables and rules, rulesets) differs from the simulated one under it.
 */
import type { CompiledNetwork } from '../compile/compile.js';
import { NO_FAILURES, type Failures } from '../simulate/network.js';
import { isContainerlabFile } from '../twin/containerlab.js';
import { interfaceName, type Twin } from '../twin/model.js';
import { TwinWriteError, writeTwinState } from '../twin/write.js';
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
    if (isContainerlabFile(twin.file))
        throw new LabError(
            `${twin.file} is a containerlab file: a twin file of its own (with 'topology: ${twin.file}') can hold the observed state.`
        );
    const down = observedDown(state, twin);
    const failures: Failures = { ...NO_FAILURES, interfaces: new Set(down.filter(name => !twin.down.has(name))) };
    const { differences } = compareState(state, twin, compiled, failures);
    try {
        writeTwinState(twin.file, down, now);
    } catch (error) {
        if (error instanceof TwinWriteError) throw new LabError(error.message);
        throw error;
    }
    return { down, differences };
}
