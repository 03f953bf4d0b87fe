/** Whether the lab's FRR instances forward as the simulator says: every device's FIB, compared. */
import type { CompiledNetwork } from '../compile/compile.js';
import { NetworkVerifier } from '../verify/verify.js';
import type { Twin } from '../twin/model.js';
import { fibDifferences, frrFib, simulatedFib } from './fib.js';
import type { LabState } from './lab.js';
import { NO_FAILURES, type Failures } from '../simulate/network.js';
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
        for (const iface of twin.devices.get(device)?.interfaces.keys() ?? []) downed.push({ namespace: namespaceOf(device), name: iface });
    }
    for (const { namespace, name } of downed) inNamespace(namespace, 'ip', ['link', 'set', name, 'down']);
    return () => {
        for (const { namespace, name } of downed) inNamespace(namespace, 'ip', ['link', 'set', name, 'up']);
    };
}

/** The FIB entries that differ from the simulation's (under `failures`; failed devices are not asked). */
export function fibsDiffer(state: LabState, twin: Twin, compiled: CompiledNetwork, failures: Failures = NO_FAILURES): string[] {
    return compareFibs(state, twin, compiled, failures).differences;
}

/** The comparison itself: the differences, and how many entries (prefix at a device) were compared. */
export function compareFibs(state: LabState, twin: Twin, compiled: CompiledNetwork, failures: Failures = NO_FAILURES): { differences: string[]; entries: number } {
    const routing = new NetworkVerifier(twin, compiled.devices).context(failures).routing;
    let entries = 0;
    const differences = state.devices.filter(d => !failures.devices.has(d.device)).flatMap(d => {
        const simulated = simulatedFib(routing, d.device, compiled.devices);
        const real = frrFib(d.pathspace);
        entries += new Set([...simulated.keys(), ...real.keys()]).size;
        return fibDifferences(d.device, simulated, real);
    });
    return { differences, entries };
}

/** Polls until the FIBs agree; returns the differences left at the deadline (none: converged). */
export function waitForConvergence(state: LabState, twin: Twin, compiled: CompiledNetwork, ms: number, failures: Failures = NO_FAILURES): string[] {
    const deadline = Date.now() + ms;
    for (;;) {
        const differences = fibsDiffer(state, twin, compiled, failures);
        if (differences.length === 0 || Date.now() > deadline) return differences;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
}
