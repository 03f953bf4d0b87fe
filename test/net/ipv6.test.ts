/** IPv6 text forms: every form RFC 4291 allows is read, and addresses are written as RFC 5952 says. */
import { describe, expect, it } from 'vitest';
import {
    formatAddress6,
    formatPrefix6,
    lastAddress6,
    parseAddress6,
    parsePrefix6,
    prefixContains6
} from '../../server/src/net/ipv6.js';
import { mulberry32 } from '../support/random.js';

describe('IPv6 addresses', () => {
    it('reads the forms of RFC 4291 and writes the canonical form of RFC 5952', () => {
        const cases: Array<[string, string]> = [
            ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // lower case, no leading zeros (4.1, 4.3)
            ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs (4.2.3)
            ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened (4.2.2)
            ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run (4.2.3)
            ['0:0:0:0:0:0:0:0', '::'],
            ['::1', '::1'],
            ['fe80::', 'fe80::'],
            ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // IPv4-mapped keeps its IPv4 part (5)
            ['::ffff:c000:0201', '::ffff:192.0.2.1'],
            ['64:ff9b::192.0.2.33', '64:ff9b::c000:221']
        ];
        for (const [text, canonical] of cases)
            expect([text, formatAddress6(parseAddress6(text)!)]).toEqual([text, canonical]);
    });

    it('refuses what is no address', () => {
        for (const text of [
            '',
            ':',
            '1:2:3:4:5:6:7:8:9',
            '2001:db8::1::2',
            'fe80::1%eth0',
            '2001:db8::g',
            '12345::',
            '192.0.2.1',
            ' ::1'
        ]) {
            expect([text, parseAddress6(text)]).toEqual([text, undefined]);
        }
    });

    it('reads back what it writes, for random addresses with runs of zeros', () => {
        const random = mulberry32(7);
        for (let n = 0; n < 2000; n++) {
            let address = 0n;
            for (let group = 0; group < 8; group++)
                address = (address << 16n) | BigInt(random() < 0.5 ? 0 : Math.floor(random() * 0x10000));
            const text = formatAddress6(address);
            expect(parseAddress6(text)).toBe(address);
            expect(text).toBe(text.toLowerCase());
            expect(text.split('::').length).toBeLessThanOrEqual(2);
        }
    });
});

describe('IPv6 prefixes', () => {
    it('reads prefixes, says when host bits are set, and knows their extent', () => {
        expect(parsePrefix6('2001:db8:1::/48')).toEqual({
            prefix: { network: parseAddress6('2001:db8:1::'), length: 48 },
            hostBitsSet: false
        });
        const host = parsePrefix6('2001:db8:1::5/64')!;
        expect([formatPrefix6(host.prefix), host.hostBitsSet]).toEqual(['2001:db8:1::/64', true]);
        expect(formatPrefix6(parsePrefix6('::/0')!.prefix)).toBe('::/0');
        expect(parsePrefix6('2001:db8::1')!.prefix.length).toBe(128);
        expect(parsePrefix6('2001:db8::1', false)).toBeUndefined();
        expect(formatAddress6(lastAddress6(parsePrefix6('2001:db8:ff00::/127')!.prefix))).toBe('2001:db8:ff00::1');
        expect(lastAddress6(parsePrefix6('::/0')!.prefix)).toBe((1n << 128n) - 1n);
        expect(prefixContains6(parsePrefix6('2001:db8::/32')!.prefix, parseAddress6('2001:db8:ffff::1')!)).toBe(true);
        expect(prefixContains6(parsePrefix6('2001:db8::/32')!.prefix, parseAddress6('2001:db9::1')!)).toBe(false);
        for (const text of ['2001:db8::/129', '2001:db8::/', '2001:db8::/-1', '2001:db8::/ 64', '10.0.0.0/8']) {
            expect([text, parsePrefix6(text)]).toEqual([text, undefined]);
        }
    });
});
