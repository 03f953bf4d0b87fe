/** Failures made real in the lab, and waiting until the lab's state is what the simulator says. */
import type { CompiledNetwork } from '../compile/compile.js';
import type { Twin } from '../twin/model.js';
import type { LabState } from './lab.js';
import { NO_FAILURES, type Failures } from '../simulate/network.js';
import { compareState, type StateComparison } from './state.js';
import { inNamespace } from './system.js';

/**
 * Applies failures for real: a failed link's two interfaces and every interface of a failed
 * device are set down. Returns what brings them back up.
 */
export function applyFailures(state: LabState, twin: Twin, failures: Failures): () => void {
    const downed: Array<{ namespace: string; name: string }> = [];
    const namespaceOf = (device: string) => state.devices.find(d => d.device === device)!.namespace;
    for (const index of failures.links) {
        const link = twin.links[index];
        for (const end of [link.a, link.b]) downed.push({ namespace: namespaceOf(end.device), name: end.interface });
    }
    for (const name of failures.interfaces) {
        const colon = name.indexOf(':');
        downed.push({ namespace: namespaceOf(name.slice(0, colon)), name: name.slice(colon + 1) });
    }
    for (const device of failures.devices) {
        for (const iface of twin.devices.get(device)?.interfaces.keys() ?? [])
            downed.push({ namespace: namespaceOf(device), name: iface });
    }
    for (const { namespace, name } of downed) inNamespace(namespace, 'ip', ['link', 'set', name, 'down']);
    return () => {
        for (const { namespace, name } of downed) inNamespace(namespace, 'ip', ['link', 'set', name, 'up']);
    };
}

/**
 * Polls until the lab's whole state is the compiled one (under `failures`, the simulator's for
 * them); returns the comparison at the end (no differences: converged).
 */
export function waitForConvergence(
    state: LabState,
    twin: Twin,
    compiled: CompiledNetwork,
    ms: number,
    failures: Failures = NO_FAILURES
): StateComparison {
    const deadline = Date.now() + ms;
    for (;;) {
        const comparison = compareState(state, twin, compiled, failures);
        if (comparison.differences.length === 0 || Date.now() > deadline) return comparison;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
}
