#!/usr/bin/env node
// Runs the netintent CLI on Node 22 or newer. On an older Node it re-runs itself with the
// Node 22 binary that `npm install` puts in node_modules (the registry's `node` package).
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const major = Number(process.versions.node.split('.')[0]);
if (major >= 22) {
    require(path.join(__dirname, '..', 'out', 'cli.cjs'));
} else {
    let node22;
    try {
        node22 = require.resolve('node/bin/node', { paths: [path.join(__dirname, '..')] });
    } catch {
        process.stderr.write(`netintent: needs Node 22 or newer (this is ${process.version}). Run 'npm install' in the netintent folder, which brings one, or install Node 22.\n`);
        process.exit(2);
    }
    const result = spawnSync(node22, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(result.status ?? 2);
}
