/** The files of each device of a compiled network, as the renderers write them. */
import type { DeviceConfig } from './model.js';
import { renderDaemons, renderFrrConf } from './frr/render.js';
import { NFTABLES_FILE, renderNftables, renderPolicyRouting } from './nftables/render.js';

export interface DeviceFiles {
    name: string;
    /** File name → content. */
    files: Map<string, string>;
}

export function deviceFiles(config: DeviceConfig): DeviceFiles {
    const files = new Map<string, string>([
        ['frr.conf', renderFrrConf(config)],
        ['daemons', renderDaemons(config)],
        [NFTABLES_FILE, renderNftables(config)]
    ]);
    const policyRouting = renderPolicyRouting(config);
    if (policyRouting) files.set('policy-routing.sh', policyRouting);
    return { name: config.hostname, files };
}
