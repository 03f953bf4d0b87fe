// Runs a TypeScript entry point of the project (benchmarks, tools): bundled by esbuild, then run.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const [entry, ...args] = process.argv.slice(2);
const outfile = path.join('out', 'run', path.basename(entry).replace(/\.ts$/, '.mjs'));
await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    // CommonJS dependencies inside an ES module bundle need a require.
    banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
    }
});
const run = spawnSync(process.execPath, ['--max-old-space-size=4096', outfile, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
