/** What `compile` writes for each target: the files of every device, and for containerlab a topology. */
import { renderContainerlab } from '../config/containerlab/render.js';
import { deviceFiles } from '../config/files.js';
import type { IntentProgram } from '../intent/model.js';
import { compileNetwork, type CompiledNetwork } from './compile.js';

export type Target = 'frr' | 'containerlab';
export const TARGETS: readonly Target[] = ['frr', 'containerlab'];

export interface CompiledFiles {
    compiled: CompiledNetwork;
    /** Path relative to the output folder → content. */
    files: Map<string, string>;
}

/** `prefix`: the sub-folder of this network in the output folder ('' for the only one). */
export function compileFiles(program: IntentProgram, target: Target, prefix = ''): CompiledFiles {
    const compiled = compileNetwork(program);
    const perDevice = [...compiled.devices.values()].map(deviceFiles);
    const files = new Map<string, string>();
    for (const device of perDevice) {
        for (const [name, content] of device.files) files.set(`${prefix}${device.name}/${name}`, content);
    }
    if (target === 'containerlab')
        files.set(`${prefix}${program.twin.network}.clab.yml`, renderContainerlab(program.twin, perDevice));
    return { compiled, files };
}
