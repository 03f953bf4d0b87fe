/** Every sample holds; every intent of samples/violations is violated with the right counterexample. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../server/src/check/check.js';
import { ROOT, SAMPLES } from '../support/samples.js';
import { netintentServices } from '../support/workspace.js';

async function verified(sample: string) {
    const folder = path.join(ROOT, 'samples', sample);
    const files = (await import('node:fs'))
        .readdirSync(folder)
        .filter(f => f.endsWith('.intent'))
        .map(f => path.join(folder, f));
    return checkFiles(netintentServices(), files, { verify: true });
}

describe.each(SAMPLES)('sample %s', sample => {
    it('every intent holds', async () => {
        const report = await verified(sample);
        expect(report.diagnostics.filter(d => d.severity === 'error')).toEqual([]);
        expect(report.intents.map(i => [i.name, i.verdict]).filter(([, v]) => v !== 'holds')).toEqual([]);
        expect(report.summary.holding).toBe(report.intents.length);
    });
});

describe('samples/violations', () => {
    it('reports each requirement violated, with the packet, failures, path and reason', async () => {
        const report = await verified('violations');
        const found = Object.fromEntries(
            report.intents.map(i => {
                const c = i.requirements[0].counterexample!;
                return [
                    i.name,
                    `${c.failures.join(', ') || '-'} | ${c.path.join(' ')} | ${c.reason} | ${c.packet.src} -> ${c.packet.dst}:${c.packet.dstPort}`
                ];
            })
        );
        expect(found).toEqual({
            unreachable: '- | r1 | dropped at r1: no route to 10.1.3.3 | 10.1.1.3 -> 10.1.3.3:80',
            // A router sends from any of its addresses (`device r2` is each of them), here its link end toward r1.
            'router-traffic':
                '- | r2 r3 | delivered to segment b (r2 → r3); nothing stops it | 10.0.0.1 -> 10.1.2.3:22',
            'router-isolation':
                '- | r2 r1 | delivered to segment a (r2 → r1); nothing stops it | 10.0.0.1 -> 10.1.1.3:23',
            waypoint: '- | r1 r2 r3 | the path r1 → r2 → r3 does not pass island | 10.1.1.3 -> 10.1.2.3:443',
            detour: '- | r1 r2 r3 | the path r1 → r2 → r3 passes r2, which it must avoid | 10.1.1.3 -> 10.1.2.3:444',
            'short-path':
                '- | r1 r2 r3 | the path r1 → r2 → r3 passes 3 devices, more than hops <= 2 | 10.1.1.3 -> 10.1.2.3:445',
            'fast-path':
                '- | r1 r2 r3 | the path r1 → r2 → r3 takes 10ms (5ms + 5ms), more than latency <= 1ms | 10.1.1.3 -> 10.1.2.3:446',
            'during-cut': 'r1:eth1 -- r2:eth1 | r1 | dropped at r1: no route to 10.1.2.3 | 10.1.1.3 -> 10.1.2.3:447',
            'link-resilience':
                'r1:eth1 -- r2:eth1 | r1 | dropped at r1: no route to 10.1.2.3 | 10.1.1.3 -> 10.1.2.3:448',
            'node-resilience': 'r2 | r1 | dropped at r1: no route to 10.1.2.3 | 10.1.1.3 -> 10.1.2.3:449'
        });
        expect(report.intents.every(i => i.verdict === 'violated')).toBe(true);
    });
});
