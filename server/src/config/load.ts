/**
 * Reads a folder of device configurations — a folder per device, as `compile` writes them:
 * frr.conf (required), daemons, nftables.nft and policy-routing.sh (if present) — into the model,
 * so that configurations netintent did not write are verified the same way as its own.
 */
import * as path from 'node:path';
import type { Diagnostic, SourceLocation } from '../common/diagnostic.js';
import { FileRefused, MAX_FILE_BYTES, readRegularFile } from '../common/files.js';
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
    for (const device of twin.devices.values()) {
        const files = readDeviceFiles(path.join(folder, device.name));
        if ('refused' in files) {
            // Like a missing configuration: verifying without it would prove what it may break.
            diagnostics.push({
                ...device.location,
                severity: 'error',
                code: 'missing-config',
                message: `Cannot read the configuration of device ${device.name}: ${files.refused}`
            });
            continue;
        }
        const { frr, daemons, nft, script } = files;
        const frrFile = path.join(folder, device.name, 'frr.conf');
        if (frr === undefined) {
            diagnostics.push({
                ...device.location,
                severity: 'error',
                code: 'missing-config',
                message: `No configuration for device ${device.name}: ${frrFile} does not exist. Give a folder per device, as 'netintent compile' writes them.`
            });
            continue;
        }
        const parsed = parseFrrConf(frr, frrFile, device.name);
        diagnostics.push(...parsed.diagnostics);
        const config = parsed.config;
        config.role = device.role;
        if (config.hostname !== device.name) {
            diagnostics.push({
                file: frrFile,
                range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } },
                severity: 'warning',
                code: 'hostname',
                message: `hostname ${config.hostname} is not the twin's device name ${device.name}; the twin's name is used.`
            });
            config.hostname = device.name;
        }
        config.loopback = device.loopback;
        const daemonsFile = path.join(folder, device.name, 'daemons');
        if (daemons !== undefined) diagnostics.push(...applyDaemons(config, daemons, daemonsFile, frr));
        const nftFile = path.join(folder, device.name, 'nftables.nft');
        if (nft !== undefined) {
            const scriptFile = path.join(folder, device.name, 'policy-routing.sh');
            diagnostics.push(
                ...parseNftables(
                    config,
                    nft,
                    nftFile,
                    script === undefined ? undefined : { text: script, file: scriptFile }
                ).diagnostics
            );
        }
        configs.set(device.name, config);
    }
    return { configs, diagnostics };
}

type DeviceFiles = Record<'frr' | 'daemons' | 'nft' | 'script', string | undefined>;

/** The texts of a device's folder (undefined: no such file), or why one of them is not read. */
function readDeviceFiles(folder: string): DeviceFiles | { refused: string } {
    const read = (name: string) => readRegularFile(path.join(folder, name), MAX_FILE_BYTES);
    try {
        return {
            frr: read('frr.conf'),
            daemons: read('daemons'),
            nft: read('nftables.nft'),
            script: read('policy-routing.sh')
        };
    } catch (error) {
        if (error instanceof FileRefused) return { refused: error.message };
        throw error;
    }
}

/** The daemons Debian's frrcommon.sh knows; it starts zebra and staticd whatever the file says. */
const FRR_DAEMONS = [
    'zebra',
    'bgpd',
    'ripd',
    'ripngd',
    'ospfd',
    'ospf6d',
    'isisd',
    'babeld',
    'pimd',
    'pim6d',
    'ldpd',
    'nhrpd',
    'eigrpd',
    'sharpd',
    'pbrd',
    'staticd',
    'bfdd',
    'fabricd',
    'vrrpd',
    'pathd'
];
const MODELLED_DAEMONS = ['zebra', 'staticd', 'ospfd', 'ospf6d', 'bgpd'];
/** Settings of the daemons file that change nothing FRR routes with. */
const HARMLESS_SETTINGS = ['vtysh_enable', 'watchfrr_enable', 'watchfrr_options', 'MAX_FDS', 'FRR_NO_ROOT'];

/**
 * The daemons file, a shell fragment frrcommon.sh sources: a daemon runs when its value is set and
 * neither `no` nor `0`. With ospfd, ospf6d or bgpd off, that section of frr.conf does nothing and is left
 * out; any other routing daemon on, and any setting that changes how FRR runs (a defaults
 * profile other than traditional, multiple instances, anything else a shell could do), is
 * unmodelled.
 */
function applyDaemons(config: DeviceConfig, text: string, file: string, frrConf: string): Diagnostic[] {
    const diagnostics: Diagnostic[] = [];
    const lines = text.split(/\r?\n/);
    const at = (index: number): SourceLocation => {
        const raw = lines[index] ?? '';
        const column = raw.length - raw.trimStart().length + 1;
        return {
            file,
            range: { start: { line: index + 1, column }, end: { line: index + 1, column: raw.length + 1 } }
        };
    };
    const unmodelled = (index: number) => {
        const location = at(index);
        const line = lines[index].trim();
        diagnostics.push({
            ...location,
            severity: 'error',
            code: 'frr-unsupported',
            message: `netintent does not model '${line}' (in daemons); the verdicts of this network are unknown until it is removed or modelled.`
        });
        config.unmodelled.push({ scope: 'routing', location, text: line });
    };
    // The last setting of each daemon: the shell's value.
    const daemons = new Map<string, { index: number; on: boolean }>();
    lines.forEach((raw, index) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#')) return;
        const m = line.match(/^([A-Za-z_]\w*)=(?:"([^"]*)"|'([^']*)'|([^\s"'`$;]*))$/);
        if (!m) return unmodelled(index);
        const [name, value] = [m[1], m[2] ?? m[3] ?? m[4]];
        if (FRR_DAEMONS.includes(name)) {
            daemons.set(name, { index, on: value !== '' && value !== 'no' && value !== '0' });
        } else if (name === 'frr_profile') {
            if (value !== '' && value !== 'traditional') unmodelled(index);
        } else if (/_options$/.test(name)) {
            const profile = value.match(/(?:^|\s)(?:-F|--profile)[\s=]*(\S+)/);
            if (profile && profile[1] !== 'traditional') unmodelled(index);
        } else if (/_instances$/.test(name)) {
            if (value !== '') unmodelled(index); // several instances of a daemon
        } else if (!HARMLESS_SETTINGS.includes(name)) {
            unmodelled(index);
        }
    });
    const off = (daemon: string, section: string) => {
        const setting = daemons.get(daemon);
        const what = setting ? lines[setting.index].trim() : `${daemon} is not in daemons`;
        diagnostics.push({
            ...at(setting?.index ?? 0),
            severity: 'info',
            code: 'frr-daemon-off',
            message: `${what}: FRR does not run ${daemon} on ${config.hostname}, so the ${section} section of frr.conf does nothing; verification leaves it out.`
        });
    };
    if (config.ospf && !daemons.get('ospfd')?.on) {
        off('ospfd', 'router ospf');
        delete config.ospf;
    }
    if (config.ospf6 && !daemons.get('ospf6d')?.on) {
        off('ospf6d', 'router ospf6');
        delete config.ospf6;
    }
    if (config.bgp && !daemons.get('bgpd')?.on) {
        off('bgpd', 'router bgp');
        delete config.bgp;
    }
    for (const [daemon, { index, on }] of daemons) {
        // pbrd without a pbr-map does nothing; frr.conf's pbr-maps are unmodelled where they stand.
        const idle = daemon === 'pbrd' && !/^pbr-map /m.test(frrConf);
        if (on && !MODELLED_DAEMONS.includes(daemon) && !idle) unmodelled(index);
    }
    return diagnostics;
}
