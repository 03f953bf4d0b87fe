/** A long chain is searched through an index of its rules' destinations: it must decide as reading every rule in turn does. */
import { describe, expect, it } from 'vitest';
import type { FilterRule } from '../../server/src/config/model.js';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { PacketSet } from '../../server/src/net/packet-set.js';
import { FilterEvaluator } from '../../server/src/verify/filter.js';
import { mulberry32 } from '../support/random.js';

const SPACE = 4096;

describe('a long chain, searched by destination', () => {
    it('accepts and drops each packet as the first rule that matches it says, for chains of every length', () => {
        const next = mulberry32(11);
        const range = (width: number): [number, number] => {
            const lo = Math.floor(next() * SPACE);
            return [lo, Math.min(SPACE - 1, lo + Math.floor(next() * width))];
        };
        for (let trial = 0; trial < 30; trial++) {
            const rules: FilterRule[] = Array.from({ length: 5 + Math.floor(next() * 120) }, (_, i) => {
                const shape = next();
                // Mostly narrow destinations; some rules on sources alone, some wide, some matching all.
                const match =
                    shape < 0.6
                        ? { src: [range(400)], dst: [range(40)] }
                        : shape < 0.75
                          ? { src: [range(200)] }
                          : shape < 0.9
                            ? { dst: [range(SPACE)] }
                            : {};
                return { match, verdict: { kind: next() < 0.5 ? 'accept' : 'drop' }, comment: `rule ${i}` };
            });
            const policy = next() < 0.5 ? 'accept' : 'drop';
            const evaluator = new FilterEvaluator({
                chains: [{ table: 'inet t', name: 'forward', base: { hook: 'forward', priority: 0, policy }, rules }]
            });
            const context = { state: 'new' as const, ctMark: 0, mark: 0, reply: false };
            const within = (ranges: ReadonlyArray<readonly [number, number]> | undefined, value: number) =>
                !ranges || ranges.some(([lo, hi]) => lo <= value && value <= hi);
            for (let probe = 0; probe < 60; probe++) {
                const src = Math.floor(next() * SPACE);
                const dst = Math.floor(next() * SPACE);
                const first = rules.find(r => within(r.match.src, src) && within(r.match.dst, dst));
                const expected = (first?.verdict.kind ?? policy) === 'accept';
                const packet = PacketSet.cube({ src: IntervalSet.of(src, src), dst: IntervalSet.of(dst, dst) });
                const accepted = evaluator.run('forward', packet, context).accepted.some(g => !g.packets.isEmpty());
                expect(accepted, `trial ${trial}: ${rules.length} rules, ${src} -> ${dst}`).toBe(expected);
            }
            // Packets spread over many destinations at once: every part decided by its own first rule.
            const wide = PacketSet.cube({
                src: IntervalSet.of(0, SPACE - 1),
                dst: IntervalSet.of(...range(SPACE / 4))
            });
            const result = evaluator.run('forward', wide, context);
            const accepted = result.accepted.reduce((all, g) => all.union(g.packets), PacketSet.EMPTY);
            const dropped = result.dropped.reduce((all, d) => all.union(d.packets), PacketSet.EMPTY);
            expect(accepted.union(dropped).equals(wide)).toBe(true);
            for (let probe = 0; probe < 40; probe++) {
                const point = {
                    src: Math.floor(next() * SPACE),
                    dst:
                        wide.cubes[0].dst.intervals[0][0] +
                        Math.floor(next() * (wide.cubes[0].dst.intervals[0][1] - wide.cubes[0].dst.intervals[0][0] + 1))
                };
                const first = rules.find(r => within(r.match.src, point.src) && within(r.match.dst, point.dst));
                const packet = PacketSet.cube({
                    src: IntervalSet.of(point.src, point.src),
                    dst: IntervalSet.of(point.dst, point.dst)
                });
                expect(!accepted.intersect(packet).isEmpty(), `trial ${trial} wide ${point.src} -> ${point.dst}`).toBe(
                    (first?.verdict.kind ?? policy) === 'accept'
                );
            }
        }
    });

    it('decides IPv6 packets as reading every rule does, among rules of both families and of either', () => {
        const next = mulberry32(23);
        const range = (width: number): [number, number] => {
            const lo = Math.floor(next() * SPACE);
            return [lo, Math.min(SPACE - 1, lo + Math.floor(next() * width))];
        };
        const big = ([lo, hi]: [number, number]) => [BigInt(lo), BigInt(hi)] as const;
        for (let trial = 0; trial < 30; trial++) {
            const rules: FilterRule[] = Array.from({ length: 5 + Math.floor(next() * 120) }, (_, i) => {
                const shape = next();
                const match: FilterRule['match'] =
                    shape < 0.4
                        ? { family: 4, src: [range(400)], dst: [range(40)] }
                        : shape < 0.8
                          ? { family: 6, src6: [big(range(400))], dst6: [big(range(40))] }
                          : shape < 0.9
                            ? { family: 6 }
                            : {};
                return { match, verdict: { kind: next() < 0.5 ? 'accept' : 'drop' }, comment: `rule ${i}` };
            });
            const policy = next() < 0.5 ? 'accept' : 'drop';
            const evaluator = new FilterEvaluator({
                chains: [{ table: 'inet t', name: 'forward', base: { hook: 'forward', priority: 0, policy }, rules }]
            });
            const context = { state: 'new' as const, ctMark: 0, mark: 0, reply: false };
            const within = <A extends number | bigint>(ranges: ReadonlyArray<readonly [A, A]> | undefined, value: A) =>
                !ranges || ranges.some(([lo, hi]) => lo <= value && value <= hi);
            for (let probe = 0; probe < 60; probe++) {
                const src = Math.floor(next() * SPACE);
                const dst = Math.floor(next() * SPACE);
                const family = next() < 0.5 ? 4 : 6;
                const first = rules.find(({ match: m }) =>
                    family === 4
                        ? m.family !== 6 && within(m.src, src) && within(m.dst, dst)
                        : m.family !== 4 && within(m.src6, BigInt(src)) && within(m.dst6, BigInt(dst))
                );
                const expected = (first?.verdict.kind ?? policy) === 'accept';
                const packet =
                    family === 4
                        ? PacketSet.cube({ src: IntervalSet.of(src, src), dst: IntervalSet.of(dst, dst) })
                        : PacketSet.cube6({
                              src: IntervalSet.of(BigInt(src), BigInt(src)),
                              dst: IntervalSet.of(BigInt(dst), BigInt(dst))
                          });
                const accepted = evaluator.run('forward', packet, context).accepted.some(g => !g.packets.isEmpty());
                expect(accepted, `trial ${trial}: ${rules.length} rules, IPv${family} ${src} -> ${dst}`).toBe(expected);
            }
        }
    });
});
