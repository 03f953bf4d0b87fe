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
    esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'out/client/extension.cjs', external: ['vscode'] })
]);
