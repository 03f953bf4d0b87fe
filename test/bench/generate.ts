/**
 * Generated data-centre fabrics for benchmarks, shaped like RFC 7938's five-stage Clos: pods of
 * 20 leaves fully meshed to 4 spines, spine k of every pod linked to super-spine k. A segment per
 * leaf, and as many intents as devices: allows between random segments on a service, every
 * tenth with a waypoint (a super-spine), every seventh a deny.
 */
import { mulberry32 } from '../support/random.js';

export interface GeneratedFabric {
    twin: string;
    intents: string;
}

const LEAVES_PER_POD = 20;
const SPINES_PER_POD = 4;
const SUPER_SPINES = 4;

export interface FabricOptions {
    /** Add `survive 1 link failure` to every allow. */
    survive?: boolean;
    seed?: number;
}

export function generateFabric(devices: number, intents: number, options: FabricOptions = {}): GeneratedFabric {
    const next = mulberry32(options.seed ?? 1);
    const pods = Math.max(1, Math.round((devices - SUPER_SPINES) / (LEAVES_PER_POD + SPINES_PER_POD)));
    const lines = [
        `network: fabric-${devices}`,
        'routing: ospf',
        'pools: { links: 10.128.0.0/14, loopbacks: 10.255.0.0/16 }',
        'devices:'
    ];
    for (let s = 0; s < SUPER_SPINES; s++) lines.push(`  super${s}: { role: super-spine }`);
    for (let p = 0; p < pods; p++) {
        for (let s = 0; s < SPINES_PER_POD; s++) lines.push(`  p${p}-spine${s}: { role: spine }`);
        for (let l = 0; l < LEAVES_PER_POD; l++) lines.push(`  p${p}-leaf${l}: { role: leaf }`);
    }
    lines.push('links:');
    for (let p = 0; p < pods; p++) {
        for (let s = 0; s < SPINES_PER_POD; s++) {
            lines.push(`  - endpoints: [p${p}-spine${s}:eth0, super${s}:eth${p}]`, `    latency: ${200 + ((p * 13 + s) % 300)}us`);
            for (let l = 0; l < LEAVES_PER_POD; l++) {
                lines.push(`  - endpoints: [p${p}-leaf${l}:eth${s + 1}, p${p}-spine${s}:eth${l + 1}]`, `    latency: ${50 + ((l * 7 + s) % 100)}us`);
            }
        }
    }
    lines.push('segments:');
    const leaves: string[] = [];
    for (let p = 0; p < pods; p++) {
        for (let l = 0; l < LEAVES_PER_POD; l++) {
            const n = leaves.length;
            leaves.push(`seg${n}`);
            lines.push(`  seg${n}: { prefix: 10.${Math.floor(n / 256)}.${n % 256}.0/24, attach: p${p}-leaf${l}:eth10 }`);
        }
    }
    const body = ['twin "fabric.twin.yaml"', ''];
    const survive = options.survive ? ' survive 1 link failure' : '';
    for (let i = 0; i < intents; i++) {
        const a = Math.floor(next() * leaves.length);
        let b = Math.floor(next() * leaves.length);
        if (b === a) b = (a + 1) % leaves.length;
        const port = 1000 + i;
        if (i % 7 === 3) {
            body.push(`intent i${i} { deny segment ${leaves[a]} -> segment ${leaves[b]} : tcp ${port} }`);
        } else if (i % 10 === 5 && !options.survive) {
            body.push(`intent i${i} { allow segment ${leaves[a]} -> segment ${leaves[b]} : tcp ${port} via super${i % SUPER_SPINES} }`);
        } else {
            body.push(`intent i${i} { allow segment ${leaves[a]} -> segment ${leaves[b]} : tcp ${port}${survive} }`);
        }
    }
    return { twin: lines.join('\n') + '\n', intents: body.join('\n') + '\n' };
}
