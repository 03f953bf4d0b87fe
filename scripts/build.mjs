// Bundles the CLI, the language server and the VS Code extension with esbuild.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    sourcemap: true,
    logLevel: 'warning',
    define: { NETINTENT_VERSION: JSON.stringify(version) }
};

await Promise.all([
    esbuild.build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'out/cli.cjs' }),
    esbuild.build({ ...common, entryPoints: ['server/src/main.ts'], outfile: 'out/server/main.cjs' }),
    esbuild.build({ ...common, entryPoints: ['server/src/lab/probe.ts'], outfile: 'out/probe.cjs' }),
    esbuild.build({
        ...common,
        entryPoints: ['client/src/extension.ts'],
        outfile: 'out/client/extension.cjs',
        external: ['vscode']
    }),
    // The topology webview's script: a browser bundle, cytoscape included, nothing loaded at run time.
    esbuild.build({
        entryPoints: ['client/src/topology-view.ts'],
        outfile: 'out/client/topology-view.js',
        bundle: true,
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
        logLevel: 'warning',
        minify: true
    })
]);
