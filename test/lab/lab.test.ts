/**
 * The lab on real FRR: for every sample, the compiled network runs in network namespaces, and
 * every device's FIB must equal the simulated one (prefix → next hops); `down` leaves nothing
 * behind, also after `up` was killed midway. Needs root, Debian's frr, nftables and iproute2
 * (.ci/run installs them); without them the tests are skipped loudly, and fail under CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../../server/src/check/check.js';
import { labDown, readState, STATE_DIR, stateFile } from '../../server/src/lab/lab.js';
import { forgedSourceTrials } from '../../server/src/lab/traffic.js';
import { loadTwin } from '../../server/src/twin/load.js';
import { ROOT } from '../support/samples.js';
import { netintentServices, writeWorkspace } from '../support/workspace.js';
import { temporaryFolder } from '../support/temporary.js';
import { needsLab } from '../support/system.js';
import { connectFrom, pingFrom, PROBE } from '../../server/src/lab/system.js';

const BIN = path.join(ROOT, 'bin', 'netintent.cjs');

function netintent(args: string[]) {
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 540_000 });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** What a lab leaves on the machine: its namespaces and FRR processes of its path spaces. */
function leftovers(lab: string): string[] {
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(l => l.startsWith(`ni-${lab}-`));
    const processes = spawnSync('pgrep', ['-af', `frr/.* ni-${lab}-`], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
    return [...namespaces, ...processes];
}

describe.skipIf(!needsLab('the lab tests'))('the lab', () => {
    it.each(['campus', 'dc-fabric', 'wan', 'violations', 'dual-hub'])(
        'runs %s on FRR with its whole state as compiled, and leaves nothing behind',
        sample => {
            const up = netintent(['lab', 'up', `samples/${sample}`]);
            try {
                expect(up.code, up.stderr).toBe(0);
                expect(up.stdout).toMatch(
                    /devices converged in [\d.]+ s; \d+ FIB entries, \d+ policy-table routes, \d+ ip rules, \d+ nftables chains as compiled\n$/
                );
                const status = netintent(['lab', 'status', `samples/${sample}`]);
                expect(status.code, status.stdout).toBe(0);
                expect(status.stdout).toMatch(
                    /FIB entries, \d+ policy-table routes, \d+ ip rules, \d+ nftables chains as compiled\n$/
                );
                // Real traffic agrees with the verifier on every requirement tried.
                const test = netintent(['lab', 'test', `samples/${sample}`]);
                expect(test.code, test.stdout).toBe(0);
                expect(test.stdout).toMatch(/\n\d+ requirements tried with traffic, 0 disagree with the verifier/);
                // Every segment's test host forged a source: no such packet arrived anywhere.
                const forged = /\n(\d+) packets with forged sources sent from (\d+) segments, 0 delivered\n/.exec(
                    test.stdout
                );
                expect(forged, test.stdout).not.toBeNull();
                const twinFile = fs
                    .readdirSync(path.join(ROOT, 'samples', sample))
                    .find(f => f.endsWith('.twin.yaml'))!;
                const { twin } = loadTwin(path.join(ROOT, 'samples', sample, twinFile), file =>
                    fs.readFileSync(file, 'utf8')
                );
                const attached = [...twin.segments.values()].filter(s => s.attach).length;
                expect(Number(forged![2])).toBe(attached);
                // Every steered requirement still holds after each of its waypoints' links flapped.
                expect(test.stdout).toMatch(/\n\d+ waypoint links flapped, 0 left a steered requirement broken\n$/);
                expect(test.stdout).not.toContain('✗');
                // Only a latency bound may go untried.
                for (const line of test.stdout.split('\n').filter(l => l.startsWith('?')))
                    expect(line).toContain('latenc');
                const entries = /(\d+) FIB entries/.exec(up.stdout)?.[1];
                const tried = /\n(\d+) requirements tried/.exec(test.stdout)?.[1];
                const flapped = /\n(\d+) waypoint links flapped/.exec(test.stdout)?.[1];
                console.log(
                    `differential ${sample}: ${entries} FIB entries equal, ${tried} requirements agree, ${flapped} waypoint links flapped`
                );
            } finally {
                const down = netintent(['lab', 'down', `samples/${sample}`]);
                expect(down.code, down.stderr).toBe(0);
            }
            expect(leftovers(sample)).toEqual([]);
        },
        600_000
    );

    it('down cleans up after up was killed (kill -9) midway', async () => {
        const state = '/run/netintent/wan.json';
        const up = spawn(process.execPath, [BIN, 'lab', 'up', 'samples/wan'], { cwd: ROOT, stdio: 'ignore' });
        // Kill it once some devices exist but before it is done.
        for (let i = 0; i < 300; i++) {
            const made = fs.existsSync(state)
                ? (JSON.parse(fs.readFileSync(state, 'utf8')) as { namespaces: string[] }).namespaces.length
                : 0;
            if (made >= 3) break;
            await new Promise(resolve => setTimeout(resolve, 20));
        }
        up.kill('SIGKILL');
        await new Promise(resolve => up.once('exit', resolve));
        // What it made so far is still there ...
        expect(leftovers('wan').length).toBeGreaterThan(0);
        const down = netintent(['lab', 'down', 'samples/wan']);
        expect(down.code, down.stderr).toBe(0);
        expect(leftovers('wan')).toEqual([]);
        expect(fs.existsSync(state)).toBe(false);
    }, 120_000);

    it('twin sync writes what is down into the twin, keeping its comments, and compares the live FIBs', async () => {
        const folder = temporaryFolder('netintent-sync-');
        fs.cpSync(path.join(ROOT, 'samples', 'violations'), folder, { recursive: true });
        const twinFile = path.join(folder, 'violations.twin.yaml');
        const original = fs.readFileSync(twinFile, 'utf8');
        expect(netintent(['lab', 'up', folder]).code).toBe(0);
        try {
            spawnSync('ip', ['-n', 'ni-violations-r2', 'link', 'set', 'eth2', 'down']);
            // Until OSPF notices (dead interval 3 s), the live FIBs still differ from the simulated ones.
            let sync = netintent(['twin', 'sync', folder]);
            for (let i = 0; i < 40 && sync.code !== 0; i++) {
                await new Promise(resolve => setTimeout(resolve, 500));
                sync = netintent(['twin', 'sync', folder]);
            }
            expect(sync.code, sync.stdout).toBe(0);
            expect(sync.stdout).toContain('2 interface(s) down: r2:eth2, r3:eth1');
            expect(sync.stdout).toContain(
                'the live state (FIBs, policy tables and rules, rulesets) is the simulated one'
            );
            const synced = fs.readFileSync(twinFile, 'utf8');
            expect(synced.split('\n').slice(0, 2)).toEqual(original.split('\n').slice(0, 2));
            expect(synced).toMatch(
                /\nstate:\n {2}observed: \d{4}-\d\d-\d\dT[\d:]+Z\n {2}down: \[ r2:eth2, r3:eth1 \]\n$/
            );
        } finally {
            netintent(['lab', 'down', folder]);
        }
    }, 120_000);

    it('a forged source arrives where an edge has no anti-spoofing: the forged-source trial sees it; status and lab test report the altered lab', async () => {
        // Default allow: only the guard stops sb from claiming sa's address, which may reach sc.
        const folder = writeWorkspace({
            'spoof.twin.yaml':
                [
                    'network: spoof',
                    'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }',
                    'devices:',
                    '  r1: { role: access }',
                    '  r2: { role: access }',
                    '  r3: { role: access }',
                    'links:',
                    '  - endpoints: [r1:eth1, r2:eth1]',
                    '  - endpoints: [r2:eth2, r3:eth1]',
                    'segments:',
                    '  sa: { prefix: 10.1.1.0/24, attach: r1:eth10 }',
                    '  sb: { prefix: 10.1.2.0/24, attach: r2:eth10 }',
                    '  sc: { prefix: 10.1.3.0/24, attach: r3:eth10 }'
                ].join('\n') + '\n',
            'spoof.intent':
                'twin "spoof.twin.yaml"\nintent dns { allow segment sa -> segment sc : udp 53 }\nintent rest { deny segment sb -> segment sc : udp 53 }\n'
        });
        const up = netintent(['lab', 'up', folder]);
        try {
            expect(up.code, up.stderr).toBe(0);
            const guarded = netintent(['lab', 'test', folder]);
            expect(guarded.code, guarded.stdout).toBe(0);
            expect(guarded.stdout).toContain('✓ forged source from segment sb, claiming segment sa: udp 10.1.1.');
            spawnSync('ip', ['netns', 'exec', 'ni-spoof-r2', 'nft', 'flush', 'chain', 'inet', 'netintent', 'guard']);
            // The lab no longer runs what was compiled: status says where, lab test refuses to judge the compiled claims on it.
            const status = netintent(['lab', 'status', folder]);
            expect(status.code).toBe(1);
            expect(status.stdout).toContain('r2 nftables chain guard: loaded rules differ from the compiled ones');
            const refused = netintent(['lab', 'test', folder]);
            expect(refused.code).toBe(2);
            expect(refused.stderr).toContain("before the first trial, the lab's state is not the compiled one");
            // The trial with forged sources, on the altered lab: the packet claiming sa's address gets through.
            await checkFiles(netintentServices(), [path.join(folder, 'spoof.intent')], { verify: false });
            const program = netintentServices().intent.IntentPrograms.forTwin(
                path.join(folder, 'spoof.twin.yaml')
            ).program;
            const trials = forgedSourceTrials(readState('spoof')!, program);
            expect(trials.filter(t => t.delivered).map(t => `${t.from} claiming ${t.claims}`)).toEqual([
                'segment sb claiming segment sa'
            ]);
        } finally {
            netintent(['lab', 'down', folder]);
        }
        expect(leftovers('spoof')).toEqual([]);
    }, 180_000);

    it('steering comes back after a flap, drops while its waypoint is cut off, and a lost rule shows', () => {
        // r1 reaches r3 over r2 or over fw at equal cost: steering alone takes the flows through fw.
        const folder = writeWorkspace({
            'steer.twin.yaml':
                [
                    'network: steer',
                    'routing: ospf',
                    'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }',
                    'devices:',
                    '  r1: { role: router }',
                    '  r2: { role: router }',
                    '  r3: { role: router }',
                    '  fw: { role: firewall }',
                    'links:',
                    '  - { endpoints: [r1:eth1, r2:eth1], cost: 10 }',
                    '  - { endpoints: [r2:eth2, r3:eth1], cost: 10 }',
                    '  - { endpoints: [r1:eth2, fw:eth1], cost: 10 }',
                    '  - { endpoints: [fw:eth2, r3:eth2], cost: 10 }',
                    'segments:',
                    '  a: { prefix: 10.1.1.0/24, attach: r1:eth10 }',
                    '  b: { prefix: 10.1.2.0/24, attach: r3:eth10 }'
                ].join('\n') + '\n',
            'steer.intent':
                [
                    'twin "steer.twin.yaml"',
                    'scenario fw-cut { fail link r1:eth2 -- fw:eth1 }',
                    // Pinned (avoid r2): no way around the cut, so dropped while it lasts.
                    'intent dns { allow segment a -> segment b : udp 53 avoid r2 }',
                    'intent dns-cut { allow segment a -> segment b : udp 53 avoid r2 during fw-cut }',
                    // By OSPF toward fw: around the cut, over r2 and r3 to fw and back to r3.
                    'intent web { allow segment a -> segment b : tcp 443 via fw survive 1 link failure }',
                    // With both links of fw down no way passes fw: dropped, never sent around it.
                    'scenario fw-gone {\n  fail link r1:eth2 -- fw:eth1\n  fail link fw:eth2 -- r3:eth2\n}',
                    'intent web-gone { allow segment a -> segment b : tcp 443 via fw during fw-gone }'
                ].join('\n') + '\n'
        });
        const check = netintent(['check', folder]);
        expect(check.stdout).toMatch(
            /steer\.intent:4:\d+: error: Violated with r1:eth2 -- fw:eth1 failed: dropped at r1: the next hop of its pinned path, fw \(10\.0\.0\.\d+\), cannot be reached/
        );
        expect(check.stdout).toMatch(
            /steer\.intent:10:\d+: error: Violated with .*: dropped at r1: no path through fw/
        );
        const up = netintent(['lab', 'up', folder]);
        try {
            expect(up.code, up.stderr).toBe(0);
            const test = netintent(['lab', 'test', folder]);
            expect(test.code, test.stdout).toBe(0);
            // Through fw, traced with the flow's own protocol and port; dropped while r1-fw is down.
            expect(test.stdout).toMatch(
                /✓ \S+steer\.intent:3 dns allow: verifier holds, lab holds — udp 10\.1\.1\.\d+ -> 10\.1\.2\.\d+:53 delivered, traceroute r1 → fw → r3\n/
            );
            expect(test.stdout).toMatch(
                /✓ \S+steer\.intent:4 dns-cut allow: verifier violated, lab violated — udp \S+ -> \S+:53 not delivered \(nothing arrived; a second later: nothing arrived\) with r1:eth2 -- fw:eth1 failed\n/
            );
            expect(test.stdout).toContain('traceroute r1 → r2 → r3 → fw → r3 with r1:eth2 -- fw:eth1 failed');
            expect(test.stdout).toMatch(
                /✓ \S+steer\.intent:10 web-gone allow: verifier violated, lab violated — tcp \S+ -> \S+:443 not delivered \(nothing arrived; a second later: nothing arrived\) with r1:eth2 -- fw:eth1, fw:eth2 -- r3:eth2 failed\n/
            );
            // After r1-fw went down and came back, both steered flows pass fw again.
            expect(test.stdout).toContain(
                '✓ flapped r1:eth2 -- fw:eth1 (down, up, state as compiled): 2 of 2 steered requirements hold'
            );
            expect(test.stdout).toContain(
                '✓ flapped fw:eth2 -- r3:eth2 (down, up, state as compiled): 2 of 2 steered requirements hold'
            );
            // A policy rule gone from the kernel is a difference from the compiled state, and lab test refuses to judge on it.
            spawnSync('ip', ['-n', 'ni-steer-r1', 'rule', 'del', 'priority', '1000']);
            const status = netintent(['lab', 'status', folder]);
            expect(status.code).toBe(1);
            expect(status.stdout).toMatch(/r1 ip rule priority 1000 fwmark \d+ table 1000: compiled, kernel none/);
            const refused = netintent(['lab', 'test', folder]);
            expect(refused.code).toBe(2);
            expect(refused.stderr).toContain("before the first trial, the lab's state is not the compiled one");
        } finally {
            netintent(['lab', 'down', folder]);
        }
        expect(leftovers('steer')).toEqual([]);
    }, 600_000);

    it('runs a dual-stack twin: OSPFv3 routes every IPv6 prefix, and IPv6 traffic goes where the intents say', async () => {
        const up = netintent(['lab', 'up', 'samples/dual-stack']);
        const listeners: ChildProcess[] = [];
        try {
            expect(up.code, up.stderr).toBe(0);
            // Both families' FIBs compared with the simulator's: 52 IPv4 entries and 56 IPv6 ones.
            expect(up.stdout).toContain('converged in');
            expect(up.stdout).toContain(' 108 FIB entries');
            const ns = (name: string) => `ni-dual-stack-${name}`;
            // OSPFv3 on FRR: each router's kernel routes every other loopback, the IPv6-only segment and the default.
            for (const n of [1, 2, 3, 4]) {
                const routes = spawnSync('ip', ['netns', 'exec', ns(`r${n}`), 'ip', '-6', 'route'], {
                    encoding: 'utf8'
                }).stdout;
                const wanted = [1, 2, 3, 4].filter(m => m !== n).map(m => `2001:db8:fffe::${m} `);
                if (n !== 2) wanted.push('2001:db8:6::/64 ');
                for (const prefix of [...wanted, 'default ']) expect(routes, `r${n}`).toContain(prefix);
            }
            // lab test tries each requirement in each family it has: real IPv6 traffic agrees with the
            // verifier, default deny's too (proved: one end announces each link subnet).
            const test = netintent(['lab', 'test', 'samples/dual-stack']);
            expect(test.code, test.stdout).toBe(0);
            expect(test.stdout).toContain('\n9 requirements tried with traffic, 0 disagree with the verifier\n');
            expect(test.stdout).toMatch(
                /✓ \S+:6 default default: verifier holds, lab holds — .* tcp 2001:db8:[\d:]+ -> /
            );
            expect(test.stdout).toMatch(
                /✓ \S+:21 lab-to-servers allow: verifier holds, lab holds — tcp 2001:db8:6::\d+ -> \[2001:db8:3::\d+\]:22 delivered\n/
            );
            expect(test.stdout).toMatch(
                /✓ \S+:14 staff-to-servers allow: verifier holds, lab holds — tcp 10\.6\.1\.\d+ -> 10\.6\.3\.80:80 delivered; tcp 2001:db8:1::\d+ -> \[2001:db8:3::80\]:80 delivered; .* with r2:eth3 -- r4:eth3 failed\n/
            );
            // Forged sources in each family a test host has (the IPv6-only lab's in IPv6 only): none arrives.
            expect(test.stdout).toContain('\n6 packets with forged sources sent from 4 segments, 0 delivered\n');
            expect(test.stdout).toMatch(/✓ forged source from segment lab6, claiming segment staff: tcp 2001:db8:1::/);
            // The IPv6 trial is not vacuous: without r2's ruleset (its guard and the edge's rules), the lab's packet claiming staff's address arrives.
            spawnSync('ip', ['netns', 'exec', ns('r2'), 'nft', 'delete', 'table', 'inet', 'netintent']);
            await checkFiles(netintentServices(), [path.join(ROOT, 'samples/dual-stack/dual-stack.intent')], {
                verify: false
            });
            const program = netintentServices().intent.IntentPrograms.forTwin(
                path.join(ROOT, 'samples/dual-stack/dual-stack.twin.yaml')
            ).program;
            const delivered = forgedSourceTrials(readState('dual-stack')!, program).filter(t => t.delivered);
            expect(delivered.map(t => `${t.from} claiming ${t.claims}: ${t.packet.src}`)).toEqual([
                expect.stringMatching(/^segment lab6 claiming segment staff: 2001:db8:1::/)
            ]);
            // The compiled ruleset back on r2 (it replaces its own table).
            spawnSync('ip', [
                'netns',
                'exec',
                ns('r2'),
                'nft',
                '-f',
                path.join(STATE_DIR, 'dual-stack', 'r2', 'nftables.nft')
            ]);
            const listen = async (namespace: string, protocol: string, port: number) => {
                const child = spawn('ip', [
                    'netns',
                    'exec',
                    namespace,
                    process.execPath,
                    PROBE,
                    'listen',
                    protocol,
                    '::',
                    String(port)
                ]);
                listeners.push(child);
                await new Promise<void>(resolve => child.stdout.on('data', () => resolve()));
            };
            await listen(ns('h-web'), 'tcp', 80);
            await listen(ns('h-web'), 'tcp', 22);
            await listen(ns('h-dns'), 'udp', 53);
            await listen(ns('x-internet'), 'tcp', 443);
            const connects = (from: string, src: string, dst: string, protocol: 'tcp' | 'udp', port: number) =>
                connectFrom(ns(from), { protocol, src, dst, dstPort: port }, 2000).status === 0;
            const staff = '2001:db8:1::2';
            const lab6 = '2001:db8:6::2';
            const web = '2001:db8:3::80';
            const beyond = '2001:db8:99::5'; // the internet's, outside the twin
            expect({
                'staff -> web tcp 80': connects('s-staff', staff, web, 'tcp', 80),
                'staff -> dns udp 53': connects('s-staff', staff, '2001:db8:3::53', 'udp', 53),
                'lab6 -> web tcp 22': connects('s-lab6', lab6, web, 'tcp', 22),
                'lab6 -> web tcp 80': connects('s-lab6', lab6, web, 'tcp', 80),
                'staff -> internet tcp 443': connects('s-staff', staff, beyond, 'tcp', 443),
                'web -> internet tcp 443': connects('h-web', web, beyond, 'tcp', 443),
                'staff ping web': pingFrom(ns('s-staff'), { protocol: 'icmp', src: staff, dst: web }, 2).status === 0,
                'lab6 ping staff': pingFrom(ns('s-lab6'), { protocol: 'icmp', src: lab6, dst: staff }, 2).status === 0
            }).toEqual({
                'staff -> web tcp 80': true,
                'staff -> dns udp 53': true,
                'lab6 -> web tcp 22': true,
                'lab6 -> web tcp 80': false,
                'staff -> internet tcp 443': true,
                'web -> internet tcp 443': false,
                'staff ping web': true,
                'lab6 ping staff': false
            });
            // An IPv6 route the simulator does not have is a difference lab status reports.
            spawnSync('ip', ['netns', 'exec', ns('r1'), 'ip', '-6', 'route', 'add', '2001:db8:99::/48', 'dev', 'eth1']);
            const status = netintent(['lab', 'status', 'samples/dual-stack']);
            expect(status.code).toBe(1);
            expect(status.stdout).toContain('r1 2001:db8:99::/48: simulated none, kernel connected');
            spawnSync('ip', ['netns', 'exec', ns('r1'), 'ip', '-6', 'route', 'del', '2001:db8:99::/48']);
            // ICMPv6 errors pass the filters: traceroute -6 sees each router on the way.
            const traced = spawnSync(
                'ip',
                ['netns', 'exec', ns('s-staff'), 'traceroute', '-6', '-I', '-n', '-w', '1', '-q', '1', web],
                {
                    encoding: 'utf8'
                }
            )
                .stdout.trim()
                .split('\n');
            expect(traced.slice(1).map(l => l.trim().split(/\s+/)[1])).toEqual([
                '2001:db8:1::1',
                expect.stringMatching(/^2001:db8:ff00::/),
                expect.stringMatching(/^2001:db8:ff00::/),
                web
            ]);
        } finally {
            for (const child of listeners) child.kill();
            netintent(['lab', 'down', 'samples/dual-stack']);
        }
        expect(leftovers('dual-stack')).toEqual([]);
    }, 180_000);

    it("runs the dual-stack twin on eBGP: bgpd's IPv6 routes, over sessions on the links' IPv6 addresses, are the simulated ones", () => {
        const sample = (file: string) => fs.readFileSync(path.join(ROOT, 'samples', 'dual-stack', file), 'utf8');
        const folder = writeWorkspace({
            'dual-stack.twin.yaml': sample('dual-stack.twin.yaml')
                .replace(/^network: dual-stack$/m, 'network: bgp6-lab')
                .replace(/^routing: ospf$/m, 'routing: bgp'),
            'dual-stack.intent': sample('dual-stack.intent')
        });
        const up = netintent(['lab', 'up', folder]);
        try {
            // Up compares both families' FIBs with the simulator's and fails where one differs.
            expect(up.code, up.stderr).toBe(0);
            expect(up.stdout).toContain('lab bgp6-lab is up: 4 devices converged in');
            const routes = spawnSync('ip', ['netns', 'exec', 'ni-bgp6-lab-r1', 'ip', '-6', 'route'], {
                encoding: 'utf8'
            }).stdout;
            // The servers two hops away over r2 and over r4: multipath across two ASes.
            expect(routes).toMatch(/^2001:db8:3::\/64 proto bgp .*\n\s+nexthop via \S+ dev eth\d .*\n\s+nexthop via /m);
            expect(routes).toMatch(/^default via \S+ dev eth2 proto bgp /m);
        } finally {
            netintent(['lab', 'down', folder]);
        }
        expect(leftovers('bgp6-lab')).toEqual([]);
    }, 120_000);

    it('refuses a second up of the same lab, and down of a lab that is not up', () => {
        const down = netintent(['lab', 'down', 'samples/violations']);
        expect(down.code).toBe(2);
        expect(down.stderr).toContain('no lab violations is up');
    });

    it('down kills only FRR daemons of the lab: a stale pid file naming another process leaves it running', async () => {
        // The pid of a dead daemon may since belong to anything; here, to a process of ours.
        const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
        const pathspace = 'ni-stale-r1';
        const runDir = path.join('/var/run/frr', pathspace);
        fs.mkdirSync(runDir, { recursive: true });
        fs.writeFileSync(path.join(runDir, 'zebra.pid'), String(bystander.pid));
        fs.mkdirSync(STATE_DIR, { recursive: true });
        fs.writeFileSync(
            stateFile('stale'),
            JSON.stringify({
                lab: 'stale',
                twin: '',
                devices: [{ device: 'r1', namespace: pathspace, pathspace }],
                namespaces: [],
                segments: [],
                hosts: [],
                externals: [],
                down: []
            })
        );
        try {
            labDown('stale', () => undefined);
            expect(bystander.exitCode).toBeNull();
            expect(process.kill(bystander.pid!, 0)).toBe(true);
            expect(fs.existsSync(runDir)).toBe(false);
            expect(fs.existsSync(stateFile('stale'))).toBe(false);
        } finally {
            bystander.kill('SIGKILL');
            fs.rmSync(runDir, { recursive: true, force: true });
            fs.rmSync(stateFile('stale'), { force: true });
        }
    });
});
