/**
 * Time bounds in tests exist to catch work that grows faster than it should (a quadratic step
 * takes minutes where a linear one takes a second), and were set on one machine; another may be
 * slower, or busy with the other test files running beside. A fixed workload, timed once per test
 * file, says how much slower this machine runs now than the reference: bounds stretch by that
 * ratio (never shrink), so a linear step stays within them anywhere and a quadratic one does not.
 */
import { loadTwin } from '../../server/src/twin/load.js';

/**
 * What the workload takes on the machine the bounds were set on (best of three). Measured on
 * 2026-12-01 at 470-610 ms on a machine that the project's benchmark (npm run bench) found 2.6
 * times slower than that one, where a bound of 4 s was exceeded by a step that takes 3 s alone.
 */
const REFERENCE_MS = 180;

let slowness: number | undefined;

/** Loads a generated twin of 5,000 devices and 5,000 links, three times; the best time. */
function workloadMs(): number {
    const lines = ['pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/16 }', 'devices:'];
    for (let i = 0; i < 5000; i++) lines.push(`  d${i}: {}`);
    lines.push('links:');
    for (let i = 0; i < 5000; i++) lines.push(`  - { endpoints: [d${i}:eth1, d${(i + 1) % 5000}:eth2] }`);
    const text = lines.join('\n') + '\n';
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
        const started = performance.now();
        loadTwin('/t/w.twin.yaml', () => text);
        best = Math.min(best, performance.now() - started);
    }
    return best;
}

/** A time bound set on the reference machine, for this one. */
export function bound(ms: number): number {
    slowness ??= Math.max(1, workloadMs() / REFERENCE_MS);
    return ms * slowness;
}
