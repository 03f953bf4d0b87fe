/** The twin loader (docs/twin.md): the reference example, allocation, every rule at its YAML line, containerlab import. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../server/src/common/diagnostic.js';
import { loadTwin, type TwinLoadResult } from '../../server/src/twin/load.js';
import type { Twin } from '../../server/src/twin/model.js';
import { formatAddress, formatPrefix, parseAddress } from '../../server/src/net/ipv4.js';
import { bound } from '../support/timing.js';

const REFERENCE = path.join(__dirname, '..', 'fixtures', 'twin', 'reference.twin.yaml');
const FILE = '/t/a.twin.yaml';

/** The lines of a YAML file; line N of the file is the N-th argument. */
function yaml(...lines: string[]): string {
    return lines.join('\n') + '\n';
}

/** Loads `text` as /t/a.twin.yaml, with `more` files beside it, all in memory. */
function load(text: string, more: Record<string, string> = {}, entry = FILE): TwinLoadResult {
    const files: Record<string, string> = { [FILE]: text, ...more };
    return loadTwin(entry, f => files[f]);
}

function loadReference(): TwinLoadResult {
    return loadTwin(REFERENCE, f => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined));
}

function show(result: TwinLoadResult): string {
    return (
        result.diagnostics
            .map(
                d =>
                    `${path.basename(d.file)}:${d.range.start.line}:${d.range.start.column} ${d.severity} ${d.code}: ${d.message}`
            )
            .join('\n') || '(no diagnostics)'
    );
}

function errors(result: TwinLoadResult): Diagnostic[] {
    return result.diagnostics.filter(d => d.severity === 'error');
}

/** The one diagnostic with `code`, checked to be at `line` (and `column`, when given). */
function one(result: TwinLoadResult, code: string, line: number, column?: number): Diagnostic {
    const found = result.diagnostics.filter(d => d.code === code);
    expect(found, `one '${code}' diagnostic in:\n${show(result)}`).toHaveLength(1);
    const d = found[0];
    expect(d.range.start.line, `line of: ${d.message}`).toBe(line);
    if (column !== undefined) expect(d.range.start.column, `column of: ${d.message}`).toBe(column);
    return d;
}

/** "10.0.0.0/31": an interface's address and prefix length. */
function interfaceAddress(twin: Twin, device: string, name: string): string | undefined {
    const iface = twin.devices.get(device)?.interfaces.get(name);
    return iface?.address === undefined ? undefined : `${formatAddress(iface.address)}/${iface.prefixLength}`;
}

function loopback(twin: Twin, device: string): string | undefined {
    const address = twin.devices.get(device)?.loopback;
    return address === undefined ? undefined : formatAddress(address);
}

/** Every address the loader placed, in a comparable form. */
function addressing(twin: Twin) {
    return {
        loopbacks: [...twin.devices.values()].map(d => [d.name, loopback(twin, d.name)]),
        interfaces: [...twin.devices.values()].flatMap(d =>
            [...d.interfaces.keys()].map(i => [`${d.name}:${i}`, interfaceAddress(twin, d.name, i)])
        ),
        links: twin.links.map(l => (l.subnet ? formatPrefix(l.subnet) : undefined)),
        segments: [...twin.segments.values()].map(s => [s.name, formatPrefix(s.prefix!), formatAddress(s.gateway!)]),
        hosts: [...twin.hosts.values()].map(h => [h.name, formatAddress(h.address!)])
    };
}

/** The start of most rule tests: pools and two devices (lines 1-6). */
const HEAD = ['pools:', '  links: 10.0.0.0/16', '  loopbacks: 10.255.0.0/24', 'devices:', '  core1: {}', '  edge1: {}'];

describe('the docs/twin.md example (reference.twin.yaml)', () => {
    const result = loadReference();
    const twin = result.twin;

    it('loads with no error diagnostics', () => {
        expect(errors(result), show(result)).toEqual([]);
        expect(result.files).toEqual([REFERENCE]);
        expect(twin.network).toBe('campus');
        expect(twin.routing).toBe('ospf');
    });

    it('has its devices, 3 links, 2 segments, 2 hosts and 1 external', () => {
        expect([...twin.devices.keys()]).toEqual(['core1', 'core2', 'fw1', 'dist1', 'leaf1']);
        expect(twin.devices.get('core1')).toMatchObject({ role: 'core', platform: 'frr' });
        expect(twin.devices.get('core2')).toMatchObject({ role: 'core', platform: 'frr' });
        expect(twin.devices.get('fw1')?.role).toBe('firewall');
        expect(twin.devices.get('leaf1')).toMatchObject({ role: 'access', asn: 65101 });
        expect(twin.links).toHaveLength(3);
        expect(twin.links.map(l => `${l.a.device}:${l.a.interface} -- ${l.b.device}:${l.b.interface}`)).toEqual([
            'core1:eth1 -- core2:eth1',
            'core1:eth2 -- fw1:eth1',
            'dist1:swp1 -- leaf1:eth1'
        ]);
        expect(twin.links[0]).toMatchObject({ cost: 10, latencyUs: 1000, bandwidth: '10G' });
        expect(twin.links[1]).toMatchObject({ cost: 10, latencyUs: 0 });
        expect([...twin.segments.keys()]).toEqual(['web', 'db']);
        expect(twin.segments.get('web')?.attach).toEqual({ device: 'leaf1', interface: 'eth10' });
        expect(twin.segments.get('db')?.attach).toEqual({ device: 'leaf1', interface: 'eth11' });
        expect([...twin.hosts.keys()]).toEqual(['jump1', 'dc-dns']);
        expect(twin.hosts.get('jump1')).toMatchObject({ segment: 'web', address: parseAddress('10.1.10.5') });
        expect(twin.hosts.get('dc-dns')).toMatchObject({ segment: 'db', address: parseAddress('10.1.20.53') });
        expect([...twin.externals.keys()]).toEqual(['internet']);
        const internet = twin.externals.get('internet')!;
        expect(internet.prefixes.map(formatPrefix)).toEqual(['0.0.0.0/0']);
        expect(internet.attach).toEqual({ device: 'core1', interface: 'eth9' });
        expect(internet.peer).toBe(parseAddress('203.0.113.1'));
    });

    it('has core2:eth1 down', () => {
        expect([...twin.down]).toEqual(['core2:eth1']);
    });

    it('gives the first link its subnet and later links consecutive /31s from pools.links', () => {
        expect(twin.links.map(l => formatPrefix(l.subnet!))).toEqual(['10.0.0.0/31', '10.0.0.2/31', '10.0.0.4/31']);
        expect(interfaceAddress(twin, 'core1', 'eth1')).toBe('10.0.0.0/31');
        expect(interfaceAddress(twin, 'core2', 'eth1')).toBe('10.0.0.1/31');
        expect(interfaceAddress(twin, 'core1', 'eth2')).toBe('10.0.0.2/31');
        expect(interfaceAddress(twin, 'fw1', 'eth1')).toBe('10.0.0.3/31');
        expect(interfaceAddress(twin, 'dist1', 'swp1')).toBe('10.0.0.4/31');
        expect(interfaceAddress(twin, 'leaf1', 'eth1')).toBe('10.0.0.5/31');
        expect(interfaceAddress(twin, 'core1', 'eth9')).toBe('203.0.113.2/30');
    });

    it('takes loopbacks from pools.loopbacks in YAML order, skipping the explicit one and the network address', () => {
        expect(loopback(twin, 'core1')).toBe('10.255.0.1');
        expect(loopback(twin, 'core2')).toBe('10.255.0.2');
        expect(loopback(twin, 'fw1')).toBe('10.255.0.3');
        expect(loopback(twin, 'dist1')).toBe('10.255.0.4');
        expect(loopback(twin, 'leaf1')).toBe('10.255.0.5');
    });

    it('puts segment gateways at the first address or the one given', () => {
        expect(formatAddress(twin.segments.get('web')!.gateway!)).toBe('10.1.10.1');
        expect(formatAddress(twin.segments.get('db')!.gateway!)).toBe('10.1.20.254');
        expect(interfaceAddress(twin, 'leaf1', 'eth10')).toBe('10.1.10.1/24');
        expect(interfaceAddress(twin, 'leaf1', 'eth11')).toBe('10.1.20.254/24');
    });

    it("makes the external's space everything outside the network", () => {
        const space = twin.externals.get('internet')!.space;
        const has = (a: string) => space.has(parseAddress(a)!);
        expect(has('8.8.8.8')).toBe(true);
        for (const a of ['10.1.10.0', '10.1.10.1', '10.1.10.5', '10.1.10.255', '10.1.20.53'])
            expect(has(a), a).toBe(false);
        for (const a of ['10.255.0.1', '10.255.0.2', '10.255.0.3', '10.255.0.4', '10.255.0.5'])
            expect(has(a), a).toBe(false);
        for (const a of ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'])
            expect(has(a), a).toBe(false);
        expect(has('203.0.113.2')).toBe(false);
    });
});

describe('externals', () => {
    const base = ['pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/24 }', 'devices:', '  r1: {}', 'externals:'];

    it('each stands for the addresses whose longest matching prefix is its own, as routes decide', () => {
        const result = load(
            yaml(
                ...base,
                '  internet: { prefixes: [0.0.0.0/0, 10.1.1.0/24], attach: r1:eth1 }',
                '  partner:  { prefixes: [10.1.0.0/16], attach: r1:eth2 }',
                '  mirror:   { prefixes: [10.1.0.0/16], attach: r1:eth3 }'
            )
        );
        expect(errors(result), show(result)).toEqual([]);
        const owner = (a: string) =>
            [...result.twin.externals.values()].filter(e => e.space.has(parseAddress(a)!)).map(e => e.name);
        expect(owner('8.8.8.8')).toEqual(['internet']);
        // The /16 of two externals is both's; inside it, internet's own /24 is longer.
        expect(owner('10.1.9.9')).toEqual(['partner', 'mirror']);
        expect(owner('10.1.1.9')).toEqual(['internet']);
    });

    it('many externals with many prefixes load in near-linear time', () => {
        const prefixes = Array.from({ length: 1000 }, (_, i) => `${20 + (i >> 8)}.${i & 255}.0.0/16`).join(', ');
        const externals = Array.from(
            { length: 40 },
            (_, i) => `  x${i}: { prefixes: [${prefixes}], attach: r1:eth${i + 1} }`
        );
        const started = performance.now();
        const result = load(yaml(...base, ...externals));
        expect(performance.now() - started).toBeLessThan(bound(3000));
        expect(errors(result), show(result)).toEqual([]);
        expect(result.twin.externals.get('x39')!.space.has(parseAddress('23.231.1.1')!)).toBe(true);
    });
});

describe('allocation', () => {
    it('is deterministic: loading twice gives identical addresses', () => {
        const first = addressing(loadReference().twin);
        const second = addressing(loadReference().twin);
        expect(second).toEqual(first);
        expect(first.interfaces.length).toBeGreaterThan(0);
    });

    it('addresses link interfaces also when every link gives its subnet', () => {
        const result = load(
            yaml(
                'pools:',
                '  loopbacks: 10.255.0.0/24',
                'devices:',
                '  core1: {}',
                '  edge1: {}',
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]',
                '    subnet: 10.0.0.8/31'
            )
        );
        expect(errors(result), show(result)).toEqual([]);
        expect(interfaceAddress(result.twin, 'core1', 'eth1')).toBe('10.0.0.8/31');
        expect(interfaceAddress(result.twin, 'edge1', 'eth1')).toBe('10.0.0.9/31');
    });
});

describe('rules, each at its YAML line', () => {
    it('reports a duplicate device name at the second key', () => {
        const result = load(yaml(...HEAD, '  core1: { role: edge }'));
        const d = one(result, 'duplicate-name', 7, 3);
        expect(d.severity).toBe('error');
        expect(d.message).toContain('already used');
    });

    it('reports an unknown device in a link endpoint, with did-you-mean', () => {
        const result = load(yaml(...HEAD, 'links:', '  - endpoints: [core1:eth1, edg1:eth1]'));
        const d = one(result, 'unknown-name', 8, 29);
        expect(d.message).toContain("Unknown device 'edg1'");
        expect(d.message).toContain("Did you mean 'edge1'?");
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports an interface reused by two links at the second use', () => {
        const result = load(
            yaml(
                ...HEAD,
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]',
                '  - endpoints: [core1:eth1, edge1:eth2]'
            )
        );
        const d = one(result, 'interface-reuse', 9, 17);
        expect(d.message).toContain(
            'Interface core1:eth1 is already used by the link core1:eth1 -- edge1:eth1 (line 8)'
        );
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports the same link written twice as a reuse of its interfaces', () => {
        const result = load(
            yaml(
                ...HEAD,
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]',
                '  - endpoints: [core1:eth1, edge1:eth1]'
            )
        );
        const reuse = result.diagnostics.filter(d => d.code === 'interface-reuse');
        expect(reuse.length, show(result)).toBeGreaterThan(0);
        expect(
            reuse.every(d => d.range.start.line === 9),
            show(result)
        ).toBe(true);
        expect(reuse[0].message).toContain('Interface core1:eth1 is already used');
    });

    it('reports an interface reused by a link and a segment attach', () => {
        const result = load(
            yaml(
                ...HEAD,
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]',
                'segments:',
                '  lan: { prefix: 10.1.0.0/24, attach: core1:eth1 }'
            )
        );
        const d = one(result, 'interface-reuse', 10, 39);
        expect(d.message).toContain('Interface core1:eth1 is already used by the link core1:eth1 -- edge1:eth1');
    });

    it('reports an unknown device in a segment attach', () => {
        const result = load(yaml(...HEAD, 'segments:', '  lan: { prefix: 10.1.0.0/24, attach: edg1:eth10 }'));
        const d = one(result, 'unknown-name', 8, 39);
        expect(d.message).toContain("Unknown device 'edg1'");
        expect(d.message).toContain("Did you mean 'edge1'?");
    });

    it('reports state.down naming an unknown interface', () => {
        const result = load(
            yaml(...HEAD, 'links:', '  - endpoints: [core1:eth1, edge1:eth1]', 'state:', '  down: [core1:eth7]')
        );
        const d = one(result, 'unknown-name', 10, 10);
        expect(d.message).toContain("Device core1 has no interface 'eth7'");
        expect(d.message).toContain("Did you mean 'eth1'?");
        expect(result.twin.down.size).toBe(0);
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports an invalid prefix', () => {
        const result = load(
            yaml(...HEAD, 'links:', '  - endpoints: [core1:eth1, edge1:eth1]', '    subnet: 10.0.0.0/33')
        );
        const d = one(result, 'bad-prefix', 9, 13);
        expect(d.message).toContain("'10.0.0.0/33' is not an IPv4 prefix");
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports an invalid address', () => {
        const result = load(yaml(...HEAD, '  edge2: { loopback: 10.0.0.256 }'));
        const d = one(result, 'bad-address', 7, 22);
        expect(d.message).toContain("'10.0.0.256' is not an IPv4 or IPv6 address");
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('warns about host bits in a segment prefix, naming the normalised prefix', () => {
        const result = load(yaml(...HEAD, 'segments:', '  web: { prefix: 10.1.10.5/24, attach: core1:eth10 }'));
        const d = one(result, 'host-bits', 8, 18);
        expect(d.severity).toBe('warning');
        expect(d.message).toContain('10.1.10.5/24 has host bits set');
        expect(d.message).toContain('10.1.10.0/24');
        expect(errors(result), show(result)).toEqual([]);
        expect(formatPrefix(result.twin.segments.get('web')!.prefix!)).toBe('10.1.10.0/24');
    });

    it('reports a host address outside its segment', () => {
        const result = load(
            yaml(
                ...HEAD,
                'segments:',
                '  lan: { prefix: 10.1.0.0/24, attach: core1:eth10 }',
                'hosts:',
                '  h1: { segment: lan, address: 10.2.0.5 }'
            )
        );
        const d = one(result, 'twin', 10, 32);
        expect(d.message).toContain('Address 10.2.0.5 is not inside segment lan (10.1.0.0/24)');
        expect(result.twin.hosts.has('h1')).toBe(false);
        expect(result.twin.rejected.has('host:h1')).toBe(true);
    });

    it('reports a host address equal to the gateway', () => {
        const result = load(
            yaml(
                ...HEAD,
                'segments:',
                '  lan: { prefix: 10.1.0.0/24, attach: core1:eth10 }',
                'hosts:',
                '  h1: { segment: lan, address: 10.1.0.1 }'
            )
        );
        const d = one(result, 'twin', 10, 32);
        expect(d.message).toContain('Address 10.1.0.1 is the gateway of segment lan');
        expect(result.twin.hosts.has('h1')).toBe(false);
    });

    it('reports two overlapping segments at the later one, naming the earlier one', () => {
        const result = load(
            yaml(
                ...HEAD,
                'segments:',
                '  a: { prefix: 10.1.5.0/24, attach: core1:eth10 }',
                '  b: { prefix: 10.1.0.0/16, attach: edge1:eth10 }'
            )
        );
        const d = one(result, 'overlap', 9, 16);
        expect(d.message).toContain('The segment b overlaps the segment a (a.twin.yaml line 8)');
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports a link subnet overlapping a segment', () => {
        const result = load(
            yaml(
                ...HEAD,
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]',
                '    subnet: 10.1.0.4/31',
                'segments:',
                '  lan: { prefix: 10.1.0.0/24, attach: core1:eth10 }'
            )
        );
        const d = one(result, 'overlap', 11, 18);
        expect(d.message).toContain('The segment lan overlaps the link core1:eth1 -- edge1:eth1 (a.twin.yaml line 9)');
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports a pool too small for the links that need one, at the pool', () => {
        const result = load(
            yaml(
                'pools:',
                '  links: 10.0.0.0/31',
                '  loopbacks: 10.255.0.0/24',
                'devices:',
                '  core1: {}',
                '  edge1: {}',
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]',
                '  - endpoints: [core1:eth2, edge1:eth2]'
            )
        );
        const d = one(result, 'pool', 2, 10);
        expect(d.message).toContain('pools.links 10.0.0.0/31 is too small');
        expect(d.message).toContain('needs 2, only 1');
    });

    it('reports a /32 link pool as too small for even one /31', () => {
        const result = load(
            yaml(
                'pools:',
                '  links: 10.0.0.0/32',
                '  loopbacks: 10.255.0.0/24',
                'devices:',
                '  core1: {}',
                '  edge1: {}',
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]'
            )
        );
        const d = one(result, 'pool', 2, 10);
        expect(d.message).toContain('pools.links 10.0.0.0/32 is too small');
    });

    it('reports links without a subnet and no pool', () => {
        const result = load(
            yaml(
                'pools:',
                '  loopbacks: 10.255.0.0/24',
                'devices:',
                '  core1: {}',
                '  edge1: {}',
                'links:',
                '  - endpoints: [core1:eth1, edge1:eth1]'
            )
        );
        const d = one(result, 'pool', 7, 5);
        expect(d.message).toContain("have no 'subnet:' and the twin has no pool");
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports an unknown top-level key with did-you-mean', () => {
        const result = load(
            yaml('pools:', '  links: 10.0.0.0/16', '  loopbacks: 10.255.0.0/24', 'devics:', '  core1: {}')
        );
        const d = one(result, 'unknown-key', 4, 1);
        expect(d.message).toContain("Unknown key 'devics'");
        expect(d.message).toContain("Did you mean 'devices'?");
    });

    it('reports an unknown routing value', () => {
        const result = load(yaml('routing: ospff', ...HEAD));
        const d = one(result, 'twin', 1, 10);
        expect(d.message).toContain("Unknown routing 'ospff'");
        expect(d.message).toContain("Did you mean 'ospf'?");
        expect(result.twin.routing).toBe('ospf');
    });

    it('reports a segment without attach', () => {
        const result = load(yaml(...HEAD, 'segments:', '  lan: { prefix: 10.1.0.0/24 }'));
        const d = one(result, 'twin', 8, 3);
        expect(d.message).toContain('Segment lan is not attached to a device');
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports an external whose peer is outside its attachment subnet', () => {
        const result = load(
            yaml(
                ...HEAD,
                'externals:',
                '  internet: { prefixes: [0.0.0.0/0], attach: core1:eth9, address: 203.0.113.2/30, peer: 203.0.114.1 }'
            )
        );
        const d = one(result, 'twin', 8, 89);
        expect(d.message).toContain('Peer 203.0.114.1 is not on the attachment subnet');
        expect(errors(result), show(result)).toHaveLength(1);
    });

    it('reports a link with one endpoint', () => {
        const result = load(yaml(...HEAD, 'links:', '  - endpoints: [core1:eth1]'));
        const d = one(result, 'twin', 8, 16);
        expect(d.message).toContain('exactly two endpoints');
        expect(d.message).toContain('this has 1');
        expect(result.twin.links).toHaveLength(0);
    });
});

describe('hostile or broken YAML', () => {
    it('reports a syntax error at its line and does not throw', () => {
        let result: TwinLoadResult | undefined;
        expect(() => {
            result = load(yaml('network: x', 'routing: ospf', 'devices:', '  core1: {}', ' edge1: {}'));
        }).not.toThrow();
        const d = one(result!, 'yaml-syntax', 5, 1);
        expect(d.severity).toBe('error');
        expect(d.message).toContain('YAML syntax error');
    });

    it('stops a billion-laughs expansion quickly with yaml-alias', () => {
        const text = yaml(
            'a0: &a0 [lol]',
            ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)
        );
        const start = performance.now();
        let result: TwinLoadResult | undefined;
        expect(() => {
            result = load(text);
        }).not.toThrow();
        expect(performance.now() - start).toBeLessThan(bound(2000));
        const alias = result!.diagnostics.filter(d => d.code === 'yaml-alias');
        expect(alias, show(result!)).toHaveLength(1);
        expect(alias[0].severity).toBe('error');
        expect(alias[0].message).toContain('aliases expand too far');
    });
});

describe('names that reach a configuration', () => {
    const twin = (attach: string) =>
        yaml(
            'pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/24 }',
            'devices:',
            '  acc3: {}',
            'segments:',
            `  guest: { prefix: 10.1.40.0/22, attach: ${JSON.stringify(attach)} }`
        );

    it('an interface name that would inject nft rules is an error at its line', () => {
        // Once compiled as `iifname "eth10" accept` ahead of the ACL jump, with check saying all held.
        const result = load(twin('acc3:eth10" accept\n\t\tiifname "eth10'));
        const d = one(result, 'bad-name', 5, 42);
        expect(d.message).toBe(
            `'eth10\\" accept\\n\\t\\tiifname \\"eth10' cannot be an interface name: a Linux interface name has 1 to 15 bytes (in UTF-8; a letter such as 'é' takes two) and no '/', ':', whitespace, quotes, backslashes or control characters. Rename it (e.g. eth1, swp1, eth1.100).`
        );
        expect(result.twin.segments.get('guest')?.attach).toBeUndefined();
    });

    it.each([
        ['a newline (frr.conf injection)', 'acc3:eth1\nrouter bgp 1'],
        ['a slash', 'acc3:Ethernet1/1'],
        ['a colon', 'acc3:eth1:2'],
        ['a space', 'acc3:eth 1'],
        ['more than 15 characters', 'acc3:eth1234567890123'],
        ['a quote', "acc3:eth'1"],
        // 15 characters but 30 bytes: nft would refuse the ruleset ("String exceeds maximum length of 16").
        ['more than 15 bytes', 'acc3:ééééééééééééééé']
    ])('an interface name with %s is refused', (_, attach) => {
        expect(one(load(twin(attach)), 'bad-name', 5).severity).toBe('error');
    });

    it('a device, network or containerlab node name that is not a name is refused at its line', () => {
        const result = load(
            yaml(
                'network: "camp us"',
                'pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/24 }',
                'links:',
                '  - endpoints: ["r1\\n:eth1", r2:eth1]'
            )
        );
        expect(result.diagnostics.filter(d => d.code === 'bad-name').map(d => d.range.start.line)).toEqual([1, 4]);
        const clab = load(
            '',
            {
                '/t/lab.clab.yml': yaml(
                    'name: lab',
                    'topology:',
                    '  nodes:',
                    '    "r 1": { kind: linux, image: frrouting/frr }'
                )
            },
            '/t/lab.clab.yml'
        );
        expect(one(clab, 'bad-name', 4, 5).message).toContain("'r 1' cannot be a node name");
    });
});

describe('platforms', () => {
    it('a platform netintent cannot render is an error at its line, not FRR in disguise', () => {
        const result = load(
            yaml(
                'pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/24 }',
                'devices:',
                '  r1: { platform: frr }',
                '  r2: { platform: cisco-ios }'
            )
        );
        const d = one(result, 'platform', 4, 19);
        expect(d.severity).toBe('error');
        expect(d.message).toBe("Platform 'cisco-ios' has no renderer: netintent writes configurations for frr only.");
    });

    it('a containerlab node whose image is not FRR is an error at its image, with what to do', () => {
        const result = load(
            '',
            {
                '/t/lab.clab.yml': yaml(
                    'name: lab',
                    'topology:',
                    '  nodes:',
                    '    r1: { kind: linux, image: frrouting/frr }',
                    '    h1: { kind: linux, image: alpine }'
                )
            },
            '/t/lab.clab.yml'
        );
        const d = one(result, 'platform', 5, 31);
        expect(d.message).toContain('Node h1 runs alpine, which netintent cannot configure');
        expect(d.message).toContain('declare it under hosts:');
    });
});

describe('containerlab import', () => {
    const CLAB = '/t/lab.clab.yml';
    const clabLines = [
        'name: lab',
        'topology:',
        '  nodes:',
        '    r1: { kind: linux, image: frrouting/frr }',
        '    r2: { kind: linux, image: frrouting/frr }',
        '    h1: { kind: linux, image: alpine }',
        '  links:',
        '    - endpoints: ["r1:eth1", "r2:eth1"]',
        '    - endpoints: ["h1:eth1", "r2:eth5"]'
    ];
    const twinText = yaml(
        'topology: lab.clab.yml',
        'pools:',
        '  links: 10.0.0.0/16',
        '  loopbacks: 10.255.0.0/24',
        'segments:',
        '  lan: { prefix: 10.9.0.0/24 }',
        'hosts:',
        '  h1: { segment: lan, address: 10.9.0.10 }'
    );

    it('takes nodes as devices, except hosts, whose link is their segment attachment', () => {
        const result = load(twinText, { [CLAB]: yaml(...clabLines) });
        expect(errors(result), show(result)).toEqual([]);
        expect([...result.twin.devices.keys()]).toEqual(['r1', 'r2']);
        expect(result.twin.links).toHaveLength(1);
        expect(result.twin.links[0]).toMatchObject({
            a: { device: 'r1', interface: 'eth1' },
            b: { device: 'r2', interface: 'eth1' }
        });
        expect(result.twin.segments.get('lan')?.attach).toEqual({ device: 'r2', interface: 'eth5' });
        expect(interfaceAddress(result.twin, 'r2', 'eth5')).toBe('10.9.0.1/24');
        expect(result.twin.hosts.get('h1')?.address).toBe(parseAddress('10.9.0.10'));
        expect(result.files).toEqual([FILE, CLAB]);
    });

    it('lets the twin add to a containerlab link without calling it a reuse', () => {
        const result = load(twinText + yaml('links:', '  - endpoints: [r1:eth1, r2:eth1]', '    cost: 5'), {
            [CLAB]: yaml(...clabLines)
        });
        expect(errors(result), show(result)).toEqual([]);
        expect(result.twin.links).toHaveLength(1);
        expect(result.twin.links[0].cost).toBe(5);
    });

    it('reports an error inside the containerlab file in that file, at its line', () => {
        const result = load(twinText, { [CLAB]: yaml(...clabLines, '    - endpoints: ["r2:eth2", "r9:eth1"]') });
        const d = one(result, 'unknown-name', 10, 30);
        expect(d.file).toBe(CLAB);
        expect(d.message).toContain("Unknown device 'r9'");
    });

    it('loads a .clab.yml given directly as the twin, its nodes as devices', () => {
        const result = load('', { [CLAB]: yaml(...clabLines) }, CLAB);
        expect([...result.twin.devices.keys()]).toEqual(['r1', 'r2', 'h1']);
        expect(result.twin.links).toHaveLength(2);
        expect(result.files).toEqual([CLAB]);
    });

    it('reports a topology file that does not exist at the topology line', () => {
        const result = load(
            yaml('pools: { links: 10.0.0.0/16, loopbacks: 10.255.0.0/24 }', 'topology: nothere.clab.yml')
        );
        const d = one(result, 'missing-file', 2, 11);
        expect(d.file).toBe(FILE);
        expect(d.message).toContain('/t/nothere.clab.yml');
    });
});

describe('a twin file that does not exist', () => {
    it('gives one missing-file diagnostic', () => {
        const result = loadTwin('/t/none.twin.yaml', () => undefined);
        expect(result.diagnostics, show(result)).toHaveLength(1);
        expect(result.diagnostics[0]).toMatchObject({
            file: '/t/none.twin.yaml',
            code: 'missing-file',
            severity: 'error'
        });
        expect(result.diagnostics[0].range.start.line).toBe(1);
        expect(result.files).toEqual([]);
    });
});
