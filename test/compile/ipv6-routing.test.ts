/**
 * The routing compiled for a dual-stack twin (samples/dual-stack): OSPFv3 beside OSPFv2 on the
 * same interfaces at the same costs, IPv6 addresses on links, segments, externals and loopbacks,
 * the external's IPv6 routes announced into OSPFv3; FRR accepts every file.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import type { DeviceConfig } from '../../server/src/config/model.js';
import { renderDaemons, renderFrrConf } from '../../server/src/config/frr/render.js';
import { formatAddress6, formatPrefix6 } from '../../server/src/net/ipv6.js';
import { sampleProgram } from '../support/samples.js';
import { requireTool, sbin } from '../support/system.js';
import { temporaryFolder } from '../support/temporary.js';

/** Every device's frr.conf passes FRR's own checker (vtysh -C), where FRR is installed. */
function expectFrrAccepts(devices: ReadonlyMap<string, DeviceConfig>): void {
    if (!requireTool('vtysh', 'frr')) return;
    const folder = temporaryFolder('netintent-frr-dual-');
    for (const [name, config] of devices) {
        const file = path.join(folder, `${name}.conf`);
        fs.writeFileSync(file, renderFrrConf(config));
        const run = spawnSync(sbin('vtysh'), ['-C', '-f', file], { encoding: 'utf8' });
        expect(run.status, `${name}: ${run.stdout}${run.stderr}`).toBe(0);
    }
}

/** The sample's requirements (intent:line) in the order verdicts come, each with the verdict given, else `holds`. */
function expectedVerdicts(verdicts: Record<string, string>): string[] {
    const requirements = [
        'staff-to-servers:14',
        'staff-to-servers:16',
        'staff-to-servers:17',
        'lab-to-servers:21',
        'lab-to-servers:22',
        'guests:26',
        'guests:27',
        'staff-internet:31',
        'default:6'
    ];
    return requirements.map(r => `${r} ${verdicts[r] ?? 'holds'}`);
}

describe('the routing of a dual-stack twin', async () => {
    const program = await sampleProgram('dual-stack');
    const compiled = compileNetwork(program);
    const device = (name: string) => compiled.devices.get(name)!;
    const iface = (name: string, interfaceName: string) => device(name).interfaces.find(i => i.name === interfaceName)!;

    it('runs OSPFv3 on every router, with OSPFv2 router ID, and ospf6d', () => {
        for (const [name, config] of compiled.devices) {
            expect(config.ospf6?.routerId, name).toBe(config.ospf!.routerId);
            expect(renderDaemons(config), name).toContain('ospf6d=yes');
        }
    });

    it('puts each link interface in OSPFv3 at the link cost, segments and externals passive; one end announces the link subnet', () => {
        // r2:eth3 -- r4:eth3 costs 15; the IPv6-only segment lab6 is on r2:eth9, guest (IPv4 only) on r4:eth9.
        expect(iface('r2', 'eth3').ospf6).toEqual({ cost: 15, passive: false, pointToPoint: true });
        // The link's second end announces no prefix (FRR 8.4's ospf6d keeps stale routes to one two routers announce).
        expect(iface('r4', 'eth3').ospf6).toEqual({
            cost: 15,
            passive: false,
            pointToPoint: true,
            advertisePrefixList: 'NETINTENT-NOT-ANNOUNCED'
        });
        expect(device('r4').prefixLists6).toContainEqual({
            name: 'NETINTENT-NOT-ANNOUNCED',
            entries: [{ seq: 5, action: 'deny', prefix: { network: 0n, length: 0 }, le: 128 }]
        });
        expect(iface('r2', 'eth9').ospf6).toEqual({ cost: 10, passive: true, pointToPoint: false });
        expect(iface('r2', 'eth9').ospf).toBeUndefined();
        expect(iface('r4', 'eth9').ospf6).toBeUndefined();
        expect(iface('r4', 'eth8').ospf6?.passive).toBe(true);
        const address = (name: string, interfaceName: string) => {
            const a = iface(name, interfaceName).address6!;
            return `${formatAddress6(a.address)}/${a.length}`;
        };
        // A /127 per link from links6, the segment's first address, a /128 loopback from loopbacks6.
        expect([address('r2', 'eth3'), address('r4', 'eth3')].sort()).toEqual(
            [`2001:db8:ff00::8/127`, `2001:db8:ff00::9/127`].sort()
        );
        expect(address('r2', 'eth9')).toBe('2001:db8:6::1/64');
        expect(address('r2', 'lo')).toBe('2001:db8:fffe::2/128');
    });

    it("routes the external's IPv6 space to its peer and originates the default into OSPFv3", () => {
        const r4 = device('r4');
        expect(r4.staticRoutes6.map(r => `${formatPrefix6(r.prefix)} ${formatAddress6(r.nextHop as bigint)}`)).toEqual([
            '::/0 2001:db8:ee::1'
        ]);
        expect(r4.ospf6).toMatchObject({ defaultOriginate: true, redistribute: [] });
        expect(renderFrrConf(r4)).toContain('ipv6 route ::/0 2001:db8:ee::1\n');
        for (const name of ['r1', 'r2', 'r3']) expect(device(name).staticRoutes6, name).toEqual([]);
    });

    it("every frr.conf passes FRR's own checker (vtysh -C)", () => {
        expectFrrAccepts(compiled.devices);
    });

    it('a link cost edit in the twin moves the OSPFv2 and OSPFv3 costs together, nothing else', () => {
        const twin = program.twin;
        const edited = { ...twin, links: twin.links.map((l, i) => (i === 4 ? { ...l, cost: 25 } : l)) };
        const after = compileNetwork({ ...program, twin: edited }, compiled);
        expect(after.underlayChange).toBe('costs');
        for (const name of ['r2', 'r4']) {
            const eth3 = after.devices.get(name)!.interfaces.find(i => i.name === 'eth3')!;
            expect([eth3.ospf?.cost, eth3.ospf6?.cost], name).toEqual([25, 25]);
        }
        expect(after.devices.get('r1')).toBe(compiled.devices.get('r1'));
    });
});

describe('the routing of a dual-stack twin with static routes', async () => {
    const ospf = await sampleProgram('dual-stack');
    const program = { ...ospf, twin: { ...ospf.twin, routing: 'static' as const } };
    const compiled = compileNetwork(program);

    it('routes every IPv6 subnet along the least-cost paths, as IPv4 (ipv6 route to the far end of the link)', () => {
        const r1 = compiled.devices.get('r1')!;
        const routes6 = r1.staticRoutes6.map(r => `${formatPrefix6(r.prefix)} ${formatAddress6(r.nextHop as bigint)}`);
        // The IPv6-only lab over r1-r2, the servers over r2 or r4 (equal cost 20), the internet's ::/0 over r4.
        const r2 = formatAddress6(
            compiled.devices.get('r2')!.interfaces.find(i => i.name === 'eth1')!.address6!.address
        );
        const r4 = formatAddress6(
            compiled.devices.get('r4')!.interfaces.find(i => i.name === 'eth2')!.address6!.address
        );
        expect(routes6).toContain(`2001:db8:6::/64 ${r2}`);
        expect(routes6.filter(r => r.startsWith('2001:db8:3::/64 ')).sort()).toEqual(
            [`2001:db8:3::/64 ${r2}`, `2001:db8:3::/64 ${r4}`].sort()
        );
        expect(routes6).toContain(`::/0 ${r4}`);
        // As many IPv6 routes as IPv4 ones toward what both families have: loopbacks, links, dual-stack segments.
        expect(r1.ospf6).toBeUndefined();
        expect(renderFrrConf(r1)).toContain(`ipv6 route 2001:db8:6::/64 ${r2}\n`);
    });

    it("every frr.conf passes FRR's own checker (vtysh -C), and IPv6 requirements hold as with OSPF", () => {
        expectFrrAccepts(compiled.devices);
        const verdicts = [...verifyProgram(program, compiled.devices).verdicts].map(
            ([r, v]) => `${r.intent}:${r.location.range.start.line} ${v.verdict}`
        );
        // No OSPFv3: nothing keeps stale routes, so default deny is proved in both families; static
        // routes do not go around a failed link (r2 -- r3 cuts r2's only way to the servers).
        expect(verdicts).toEqual(expectedVerdicts({ 'staff-to-servers:14': 'violated' }));
    });
});

describe('the routing of a dual-stack twin with eBGP (RFC 7938)', async () => {
    const ospf = await sampleProgram('dual-stack');
    const program = { ...ospf, twin: { ...ospf.twin, routing: 'bgp' as const } };
    const compiled = compileNetwork(program);
    const device = (name: string) => compiled.devices.get(name)!;
    const address6 = (name: string, interfaceName: string) =>
        formatAddress6(device(name).interfaces.find(i => i.name === interfaceName)!.address6!.address);
    const verdicts = (devices: ReadonlyMap<string, DeviceConfig>, of = program) =>
        [...verifyProgram(of, devices).verdicts].map(
            ([r, v]) =>
                `${r.intent}:${r.location.range.start.line} ${v.verdict}${v.counterexample ? ` ${v.counterexample.packet.dst}` : ''}`
        );

    it("peers over each link's IPv6 addresses in IPv6 unicast only, announcing the IPv6 loopback and segments", () => {
        const r1 = device('r1');
        // r1:eth1 -- r2:eth1 and r4:eth2 -- r1:eth2: a session per family on each link.
        expect(r1.bgp!.neighbors.map(n => n.description)).toEqual(['r2:eth1', 'r4:eth2']);
        expect(r1.bgp!.ipv6!.neighbors.map(n => [formatAddress6(n.address), n.remoteAs, n.description])).toEqual([
            [address6('r2', 'eth1'), device('r2').bgp!.asn, 'r2:eth1'],
            [address6('r4', 'eth2'), device('r4').bgp!.asn, 'r4:eth2']
        ]);
        expect(r1.bgp!.ipv6!.networks.map(formatPrefix6)).toEqual(['2001:db8:fffe::1/128', '2001:db8:1::/64']);
        const text = renderFrrConf(r1);
        const ipv4Unicast = text.slice(
            text.indexOf(' address-family ipv4 unicast'),
            text.indexOf(' address-family ipv6')
        );
        expect(ipv4Unicast).toContain(`  no neighbor ${address6('r2', 'eth1')} activate\n`);
        expect(text).toContain(`  neighbor ${address6('r2', 'eth1')} activate\n`);
        expect(text).toContain(' match ipv6 address prefix-list NETINTENT-ANY\n');
        // The external's IPv6 default route, into BGP where it is: r4.
        expect(device('r4').bgp!.ipv6!.redistribute).toEqual([{ source: 'static' }]);
        expect(r1.bgp!.ipv6!.redistribute).toEqual([]);
    });

    it("every frr.conf passes FRR's own checker (vtysh -C), and IPv6 requirements hold as with OSPF", () => {
        expectFrrAccepts(compiled.devices);
        expect(verdicts(compiled.devices)).toEqual(expectedVerdicts({}));
    });

    it('a device without an IPv6 loopback still carries IPv6 routes over its IPv6 links, and announces no /128', () => {
        const devices = new Map(program.twin.devices);
        devices.set('r3', { ...devices.get('r3')!, loopback6: undefined });
        const twin = { ...program.twin, devices };
        const withoutLoopback = compileNetwork({ ...program, twin });
        const r3 = withoutLoopback.devices.get('r3')!.bgp!.ipv6!;
        expect(r3.neighbors.map(n => n.description)).toEqual(['r2:eth2', 'r4:eth1']);
        expect(r3.networks.map(formatPrefix6)).toEqual(['2001:db8:3::/64']);
        expectFrrAccepts(new Map([['r3', withoutLoopback.devices.get('r3')!]]));
        expect(verdicts(withoutLoopback.devices, { ...program, twin })).toEqual(expectedVerdicts({}));
    });

    it("without its route-map entry for IPv6, r1 takes and gives no IPv6 routes: staff's IPv6 traffic is cut, IPv4 holds", () => {
        const r1 = device('r1');
        const ipv4Only = {
            ...r1,
            routeMaps: r1.routeMaps.map(m => ({ ...m, entries: m.entries.filter(e => !e.matchPrefixList6) }))
        };
        const devices = new Map(compiled.devices).set('r1', ipv4Only);
        // Each counterexample an IPv6 packet; the guests' IPv4-only requirements still hold.
        expect(verdicts(devices)).toEqual(
            expectedVerdicts({
                'staff-to-servers:14': 'violated 2001:db8:3::80',
                'staff-to-servers:16': 'violated 2001:db8:3::53',
                'staff-to-servers:17': 'violated 2001:db8:3::3',
                'staff-internet:31': 'violated ::3'
            })
        );
    });
});
