/** Whether the lab's FRR instances forward as the simulator says: every device's FIB, compared. */
import type { CompiledNetwork } from '../compile/compile.js';
import { NetworkVerifier } from '../verify/verify.js';
import type { Twin } from '../twin/model.js';
import { fibDifferences, frrFib, simulatedFib } from './fib.js';
import type { LabState } from './lab.js';

export function fibsDiffer(state: LabState, twin: Twin, compiled: CompiledNetwork): string[] {
    const routing = new NetworkVerifier(twin, compiled.devices).context().routing;
    return state.devices.flatMap(d => fibDifferences(d.device, simulatedFib(routing, d.device, compiled.devices), frrFib(d.pathspace)));
}

/** Polls until the FIBs agree; returns the differences left at the deadline (none: converged). */
export function waitForConvergence(state: LabState, twin: Twin, compiled: CompiledNetwork, ms: number): string[] {
    const deadline = Date.now() + ms;
    for (;;) {
        const differences = fibsDiffer(state, twin, compiled);
        if (differences.length === 0 || Date.now() > deadline) return differences;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
}
