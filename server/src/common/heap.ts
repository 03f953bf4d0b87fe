/**
 * The heap of a netintent run (the CLI, the benchmark's processes). Verification makes many
 * short-lived header sets and routes; V8's default heap growth, tuned for throughput, lets that
 * garbage pile up to several times what is live before it collects (a 1,000-device check peaked
 * at 820 MB of RSS with 170 MB live). Growing the heap by half at most keeps it near what is
 * live, at no measurable cost in time (`npm run bench`). Not in the language server: there the
 * more frequent collections lengthened the slowest edits (`npm run bench:lsp 1000 20`: p95 edit →
 * diagnostics 176 → 266 ms).
 */
import { setFlagsFromString } from 'node:v8';

export function keepHeapNearLive(): void {
    setFlagsFromString('--heap-growing-percent=50');
}
