/**
 * Generated leaf-spine fabrics for benchmarks: N devices (a spine per 25 devices, at least two;
 * each leaf on two neighbouring spines, so the fabric is connected), a segment per leaf, and as many intents as devices — allows between
 * random segments on a service, every tenth with a waypoint, every seventh a deny.
 */
import { mulberry32 } from '../support/random.js';

export interface GeneratedFabric {
    twin: string;
    intents: string;
}

export function generateFabric(devices: number, intents: number, seed = 1): GeneratedFabric {
    const next = mulberry32(seed);
    const spines = Math.max(2, Math.round(devices / 25));
    const leaves = devices - spines;
    const lines = [
        `network: fabric-${devices}`,
        'routing: ospf',
        'pools: { links: 10.128.0.0/14, loopbacks: 10.255.0.0/16 }',
        'devices:'
    ];
    for (let s = 0; s < spines; s++) lines.push(`  spine${s}: { role: spine }`);
    for (let l = 0; l < leaves; l++) lines.push(`  leaf${l}: { role: leaf }`);
    lines.push('links:');
    for (let l = 0; l < leaves; l++) {
        for (const k of [0, 1]) {
            const spine = (l + k) % spines;
            lines.push(`  - endpoints: [leaf${l}:eth${k + 1}, spine${spine}:eth${l * 2 + k + 1}]`, `    latency: ${100 + ((l * 7 + k) % 400)}us`);
        }
    }
    lines.push('segments:');
    for (let l = 0; l < leaves; l++) lines.push(`  seg${l}: { prefix: 10.${Math.floor(l / 256)}.${l % 256}.0/24, attach: leaf${l}:eth10 }`);
    const body = ['twin "fabric.twin.yaml"', ''];
    for (let i = 0; i < intents; i++) {
        const a = Math.floor(next() * leaves);
        let b = Math.floor(next() * leaves);
        if (b === a) b = (a + 1) % leaves;
        const port = 1000 + i;
        if (i % 7 === 3) {
            body.push(`intent i${i} { deny segment seg${a} -> segment seg${b} : tcp ${port} }`);
        } else if (i % 10 === 5) {
            body.push(`intent i${i} { allow segment seg${a} -> segment seg${b} : tcp ${port} via spine${(a + 3) % spines} }`);
        } else {
            body.push(`intent i${i} { allow segment seg${a} -> segment seg${b} : tcp ${port} }`);
        }
    }
    return { twin: lines.join('\n') + '\n', intents: body.join('\n') + '\n' };
}
