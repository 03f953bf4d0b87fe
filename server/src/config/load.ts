/**
 * Reads a folder of device configurations — a folder per device, as `compile` writes them:
 * frr.conf (required), nftables.nft and policy-routing.sh (if present) — into the model, so that
 * configurations netintent did not write are verified the same way as its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../common/diagnostic.js';
import type { Twin } from '../twin/model.js';
import { parseFrrConf } from './frr/parse.js';
import type { DeviceConfig } from './model.js';
import { parseNftables } from './nftables/parse.js';

export interface LoadedConfigs {
    configs: Map<string, DeviceConfig>;
    diagnostics: Diagnostic[];
}

export function loadConfigs(folder: string, twin: Twin): LoadedConfigs {
    const configs = new Map<string, DeviceConfig>();
    const diagnostics: Diagnostic[] = [];
    const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
    for (const device of twin.devices.values()) {
        const frrFile = path.join(folder, device.name, 'frr.conf');
        const frr = read(frrFile);
        if (frr === undefined) {
            diagnostics.push({
                ...device.location, severity: 'error', code: 'missing-config',
                message: `No configuration for device ${device.name}: ${frrFile} does not exist. Give a folder per device, as 'netintent compile' writes them.`
            });
            continue;
        }
        const parsed = parseFrrConf(frr, frrFile, device.name);
        diagnostics.push(...parsed.diagnostics);
        const config = parsed.config;
        config.role = device.role;
        if (config.hostname !== device.name) {
            diagnostics.push({ file: frrFile, range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }, severity: 'warning', code: 'hostname', message: `hostname ${config.hostname} is not the twin's device name ${device.name}; the twin's name is used.` });
            config.hostname = device.name;
        }
        config.loopback = device.loopback;
        const nftFile = path.join(folder, device.name, 'nftables.nft');
        const nft = read(nftFile);
        if (nft !== undefined) {
            const scriptFile = path.join(folder, device.name, 'policy-routing.sh');
            const script = read(scriptFile);
            diagnostics.push(...parseNftables(config, nft, nftFile, script === undefined ? undefined : { text: script, file: scriptFile }).diagnostics);
        }
        configs.set(device.name, config);
    }
    return { configs, diagnostics };
}
