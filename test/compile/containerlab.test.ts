/**
 * The containerlab topology deploys as written: pinned images that have what the configurations
 * need, kernel interface names that fit and do not clash, a node for everything `netintent lab`
 * runs, the routed default route ahead of the management one, steps that need no order from FRR
 * and can run again, and containerlab's schema, the same bytes every time.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileFiles } from '../../server/src/compile/targets.js';
import { FRR_IMAGE, TEST_IMAGE } from '../../server/src/config/containerlab/render.js';
import { MANAGEMENT_TABLE, NODE_DIR } from '../../server/src/config/containerlab/steps.js';
import type { IntentProgram } from '../../server/src/intent/model.js';
import { IPV6 } from '../../server/src/net/family.js';
import { IntervalSet } from '../../server/src/net/interval-set.js';
import { parsePrefix, prefixRange } from '../../server/src/net/ipv4.js';
import { parsePrefix6 } from '../../server/src/net/ipv6.js';
import { hasIPv6 } from '../../server/src/twin/model.js';
import { MAX_LOCAL_ROUTES } from '../../server/src/twin/test-hosts.js';
import { mulberry32 } from '../support/random.js';
import { randomNetwork, type Network } from '../support/random-networks.js';
import { ROOT, sampleProgram } from '../support/samples.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';

interface Node {
    kind: string;
    image: string;
    binds?: string[];
    exec: string[];
}

interface Topology {
    name: string;
    topology: { nodes: Record<string, Node>; links: Array<{ endpoints: string[] }> };
}

function render(program: IntentProgram): { text: string; topology: Topology; files: Map<string, string> } {
    const { files } = compileFiles(program, 'containerlab');
    const text = files.get(`${program.twin.network}.clab.yml`)!;
    return { text, topology: parse(text) as Topology, files };
}

/** The samples: each folder of samples/ with a twin. broken's intents have errors on purpose: its twin is compiled alone. */
const SAMPLE_FOLDERS = fs
    .readdirSync(path.join(ROOT, 'samples'))
    .filter(f => fs.readdirSync(path.join(ROOT, 'samples', f)).some(n => n.endsWith('.twin.yaml')))
    .sort();

async function sample(folder: string): Promise<IntentProgram> {
    return folder === 'broken'
        ? twinAlone(path.join(ROOT, 'samples', 'broken', 'broken.twin.yaml'))
        : sampleProgram(folder);
}

async function twinAlone(file: string): Promise<IntentProgram> {
    return workspaceProgram(fs.readFileSync(file, 'utf8'), 'twin "net.twin.yaml"\n');
}

async function workspaceProgram(twin: string, intents: string): Promise<IntentProgram> {
    const checked = await checkWorkspace({ 'net.twin.yaml': twin, 'net.intent': intents });
    expect(checked.lines.filter(l => l.includes(' error '))).toEqual([]);
    return netintentServices().intent.IntentPrograms.forTwin(path.join(checked.folder, 'net.twin.yaml')).program;
}

/**
 * A random network with long segment names, a 64-character one among them; hosts whose names are
 * those of a device, of a segment's node and of containerlab's host; two more segments on the
 * device of the first, one on an interface named mgmt.
 */
async function randomTwin({ twin, intents }: Network): Promise<IntentProgram> {
    const renames: Array<[string, string]> = [
        ['sa', 'datacenter-servers-east'],
        ['sb', 'datacenter-servers-west'],
        ['sc', 'building-a-floor-3-east-wing-printers-and-badge-readers-segment']
    ];
    let named = twin;
    let namedIntents = intents;
    for (const [from, to] of renames) {
        named = named.replace(`  ${from}: {`, `  ${to}: {`);
        namedIntents = namedIntents
            .replaceAll(`segment ${from} `, `segment ${to} `)
            .replaceAll(`segment ${from},`, `segment ${to},`)
            .replaceAll(`segment ${from}\n`, `segment ${to}\n`);
    }
    const first = /datacenter-servers-east: \{ prefix: 10\.1\.1\.0\/24, attach: (\w+):eth10 \}/.exec(named)![1];
    const device = /^ {2}(\w+): \{ role: router \}$/m.exec(named)![1];
    named = named.replace(
        'externals:\n',
        [
            `  datacenter-storage-replication: { prefix: 10.1.4.0/24, attach: ${first}:eth13 }`,
            `  management-out-of-band-access: { prefix: 10.1.5.0/24, attach: ${first}:mgmt }`,
            'hosts:',
            '  seg-datacenter-servers-east: { segment: datacenter-servers-east, address: 10.1.1.10 }',
            '  web-frontend-01: { segment: datacenter-servers-east, address: 10.1.1.11 }',
            `  ${device}: { segment: datacenter-servers-west, address: 10.1.2.10 }`,
            '  host: { segment: datacenter-servers-west, address: 10.1.2.11 }',
            '  replication-target: { segment: datacenter-storage-replication, address: 10.1.4.10 }',
            'externals:\n'
        ].join('\n')
    );
    return workspaceProgram(named, namedIntents);
}

/** The words of a command as containerlab splits it (google/shlex: quotes, no escapes in ours). */
function words(command: string): string[] {
    return [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map(m => m[1] ?? m[2] ?? m[3]);
}

/** The script of a step that runs a shell, or undefined. */
function shellScript(step: string): string | undefined {
    const argv = words(step);
    const sh = argv.indexOf('sh');
    return sh >= 0 && argv[sh + 1] === '-c' ? argv[sh + 2] : undefined;
}

/** Every kernel interface a node will have: eth0 (docker's), its link ends, and what its steps make. */
function interfacesOf(topology: Topology): Map<string, string[]> {
    const out = new Map<string, string[]>(Object.keys(topology.topology.nodes).map(n => [n, ['eth0']]));
    for (const link of topology.topology.links) {
        for (const endpoint of link.endpoints) {
            const [node, ...rest] = endpoint.split(':');
            out.get(node)?.push(rest.join(':'));
        }
    }
    for (const [name, node] of Object.entries(topology.topology.nodes)) {
        for (const step of node.exec) out.get(name)!.push(...[...step.matchAll(/ip link add (\S+)/g)].map(m => m[1]));
    }
    return out;
}

function expectDeployable(topology: Topology, what: string): void {
    const nodes = topology.topology.nodes;
    const endpoints = topology.topology.links.flatMap(l => l.endpoints);
    // Nothing for the host to provide: every node a container, every link between two of them.
    expect(
        Object.values(nodes)
            .map(n => n.kind)
            .filter(k => k !== 'linux'),
        what
    ).toEqual([]);
    expect(
        endpoints.filter(e => !(e.split(':')[0] in nodes)),
        what
    ).toEqual([]);
    // containerlab reads these as links to the host or its networks, whatever the nodes are called.
    expect(
        endpoints.filter(e => ['host', 'mgmt-net', 'macvlan'].includes(e.split(':')[0].toLowerCase())),
        what
    ).toEqual([]);
    expect(endpoints.length, `${what}: each interface in one link`).toBe(new Set(endpoints).size);
    for (const [node, interfaces] of interfacesOf(topology)) {
        for (const name of interfaces) expect(name, `${what}: ${node}:${name}`).toMatch(/^[^\s/:]{1,15}$/);
        expect(interfaces.length, `${what}: ${node} has ${interfaces.join(' ')}`).toBe(new Set(interfaces).size);
        // containerlab's pattern for container names, and the kernel's limit for a hostname.
        expect(`clab-${topology.name}-${node}`, what).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9._-]+$/);
        expect(node.length, `${what}: ${node}`).toBeLessThanOrEqual(64);
    }
}

function schemaValidator() {
    const schema = JSON.parse(
        fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'schemas', 'clab.schema.json'), 'utf8')
    );
    const ajv = new Ajv({ strict: false, allErrors: true });
    // The vendored schema names draft-07 by its https address; ajv knows it by http.
    ajv.addMetaSchema({
        ...JSON.parse(
            fs.readFileSync(path.join(ROOT, 'node_modules', 'ajv', 'dist', 'refs', 'json-schema-draft-07.json'), 'utf8')
        ),
        $id: 'https://json-schema.org/draft-07/schema'
    });
    return ajv.compile(schema);
}

const validate = schemaValidator();
const next = mulberry32(4242);
const RANDOM = Array.from({ length: 12 }, (_, seed) => ({ seed, ...randomNetwork(seed, next) }));

describe('images', () => {
    it('are pinned to exact versions', async () => {
        const { topology } = render(await sample('campus'));
        const images = new Set(Object.values(topology.topology.nodes).map(n => n.image));
        expect([...images]).toEqual([FRR_IMAGE, TEST_IMAGE]);
        for (const image of images) expect(image).toMatch(/^[\w./-]+:\d+\.\d+\.\d+$/);
    });

    it("FRR's is of the version frr.conf is written for", async () => {
        const { files } = render(await sample('campus'));
        const version = /^frr version (\S+)$/m.exec(files.get('core1/frr.conf')!)![1];
        expect(FRR_IMAGE).toMatch(new RegExp(`^quay\\.io/frrouting/frr:${version.replace('.', '\\.')}\\.\\d+$`));
    });

    it('a device installs nft before it loads its rules, while the management network still reaches out', async () => {
        const { topology } = render(await sample('campus'));
        for (const [name, node] of Object.entries(topology.topology.nodes).filter(([, n]) => n.image === FRR_IMAGE)) {
            const install = node.exec.findIndex(s => s.includes('apk add --no-cache nftables'));
            const load = node.exec.indexOf(`nft -f ${NODE_DIR}/nftables.nft`);
            const vrf = node.exec.findIndex(s => s.includes('master mgmt'));
            expect(install, name).toBe(0);
            expect(load, name).toBeGreaterThan(install);
            expect(vrf, name).toBeGreaterThan(install);
            // Installed once: a second run needs no network (eth0 is in its VRF by then).
            expect(node.exec[install]).toBe(`sh -c 'command -v nft >/dev/null || apk add --no-cache nftables'`);
        }
    });
});

describe('names: interfaces of at most 15 characters, unique in each node; nodes that are containers', () => {
    it.each(SAMPLE_FOLDERS)('sample %s', async folder => {
        expectDeployable(render(await sample(folder)).topology, folder);
    });

    it.each(RANDOM)('random network $seed with long names', async network => {
        const { topology } = render(await randomTwin(network));
        expectDeployable(topology, `network ${network.seed}`);
        const nodes = topology.topology.nodes;
        // The host named like the segment's node, and the one named like a device, have nodes of their own.
        expect(nodes['seg-datacenter-servers-east']?.exec.some(s => s.includes('type bridge'))).toBe(true);
        expect(nodes['seg-datacenter-servers-east-2']?.exec).toContain('ip addr replace 10.1.1.10/24 dev eth1');
        expect(nodes['host-2']?.exec).toContain('ip addr replace 10.1.2.11/24 dev eth1');
        expect(
            Object.keys(nodes)
                .filter(n => n.startsWith('seg-building-a-floor-3'))
                .map(n => n.length)
        ).toEqual([64]);
        // A device with an interface named mgmt keeps eth0 in a VRF of another name.
        const withMgmt = topology.topology.links
            .flatMap(l => l.endpoints)
            .find(e => e.endsWith(':mgmt'))!
            .split(':')[0];
        expect(nodes[withMgmt].exec.filter(s => s.includes('master mgmt1'))).toHaveLength(1);
    });
});

describe('a node for everything `netintent lab` runs', () => {
    it("every attached segment, with hosts or not, is a node bridging its attachment and its hosts, with the lab's test host", async () => {
        const program = await sample('campus');
        const { topology } = render(program);
        const { nodes, links } = topology.topology;
        const peerOf = (endpoint: string) =>
            links.find(l => l.endpoints.includes(endpoint))?.endpoints.find(e => e !== endpoint);
        for (const segment of program.twin.segments.values()) {
            const node = nodes[`seg-${segment.name}`];
            expect(node, segment.name).toBeDefined();
            expect(peerOf(`seg-${segment.name}:eth1`)).toBe(`${segment.attach!.device}:${segment.attach!.interface}`);
            const ports = links
                .flatMap(l => l.endpoints)
                .filter(e => e.startsWith(`seg-${segment.name}:`))
                .map(e => e.split(':')[1]);
            expect(node.exec.filter(s => s.endsWith(' master br0')).map(s => words(s)[3])).toEqual(ports);
        }
        // As the lab picks it: the first address that is not the gateway nor a host's.
        expect(nodes['seg-web'].exec.slice(-2)).toEqual([
            'ip addr replace 10.1.100.2/24 dev br0',
            'ip route replace default via 10.1.100.1'
        ]);
        expect(nodes['seg-db'].exec.slice(-2)).toEqual([
            'ip addr replace 10.1.101.1/24 dev br0',
            'ip route replace default via 10.1.101.254'
        ]);
        expect(nodes['dc-dns'].exec.slice(-2)).toEqual([
            'ip addr replace 10.1.101.53/24 dev eth1',
            'ip route replace default via 10.1.101.254'
        ]);
        expect(peerOf('dc-dns:eth1')).toBe('seg-db:eth2');
        expect(nodes['seg-staff'].exec.filter(s => s.endsWith(' master br0'))).toEqual(['ip link set eth1 master br0']);
    });

    it('every external is a node: the peer on its link, a default route back, local routes for exactly what it stands for', async () => {
        const program = await sample('dc-fabric');
        const { topology } = render(program);
        // Peer and attachment addresses as dc-fabric.twin.yaml gives them.
        const link: Record<string, [string, string]> = {
            internet: ['198.51.100.1/30', '198.51.100.2'],
            'corp-mgmt': ['198.51.100.5/30', '198.51.100.6']
        };
        for (const external of program.twin.externals.values()) {
            const node = topology.topology.nodes[`ext-${external.name}`];
            const [peer, attachment] = link[external.name];
            expect(node.exec.slice(1, 3), external.name).toEqual([
                `ip addr replace ${peer} dev eth1`,
                `ip route replace default via ${attachment}`
            ]);
            const prefixes = words(shellScript(node.exec[3])!).filter(w => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(w));
            const covered = prefixes.reduce(
                (set, p) => set.union(prefixRange(parsePrefix(p)!.prefix)),
                IntervalSet.EMPTY
            );
            expect(covered.equals(external.space), external.name).toBe(true);
        }
    });
});

describe('the routed default route wins', () => {
    it.each(SAMPLE_FOLDERS)(
        'every node of %s moves eth0 into VRF mgmt before it sets a route or an address',
        async folder => {
            const { topology } = render(await sample(folder));
            for (const [name, node] of Object.entries(topology.topology.nodes)) {
                const vrf = node.exec.findIndex(s => s.includes('ip link set eth0 master mgmt'));
                expect(vrf, name).toBeGreaterThanOrEqual(0);
                const routing = node.exec.findIndex(
                    (s, i) => i !== vrf && /ip (-6 )?(addr|route) replace|policy-routing/.test(s)
                );
                if (routing >= 0) expect(vrf, name).toBeLessThan(routing);
                expect(node.exec[vrf]).toContain(`type vrf table ${MANAGEMENT_TABLE};`);
            }
        }
    );

    it.each(SAMPLE_FOLDERS)("the VRF's table is none that policy routing in %s uses", async folder => {
        const { files } = render(await sample(folder));
        const tables = [...files]
            .filter(([name]) => /\/(frr\.conf|policy-routing\.sh)$/.test(name))
            .flatMap(([, text]) => [...text.matchAll(/\btable (\d+)/g)].map(m => Number(m[1])));
        expect(tables).not.toContain(MANAGEMENT_TABLE);
    });

    it('management keeps its own default route, inside the VRF, and eth0 answers ARP for its own address only', async () => {
        const { topology } = render(await sample('wan'));
        const step = topology.topology.nodes['hq-r1'].exec.find(s => s.includes('master mgmt'))!;
        expect(shellScript(step)).toBe(
            'ip link show mgmt >/dev/null 2>&1 || ip link add mgmt type vrf table 10; ip link set mgmt up; ' +
                'ip route show default dev eth0 >/tmp/eth0-default; ip link set eth0 master mgmt; xargs -r ip route replace vrf mgmt </tmp/eth0-default; ' +
                'sysctl -qw net.ipv4.conf.eth0.arp_ignore=1'
        );
    });
});

describe('steps', () => {
    it.each(SAMPLE_FOLDERS)(
        'of %s can run again, are valid sh, and have no $ for containerlab to substitute',
        async folder => {
            const { topology } = render(await sample(folder));
            for (const [name, node] of Object.entries(topology.topology.nodes)) {
                for (const step of node.exec) {
                    expect(step, name).not.toContain('$');
                    expect(step, name).not.toMatch(/ip (-6 )?(addr|route|rule) add/);
                    // A link is made only where none of that name is yet.
                    for (const [, link] of step.matchAll(/ip link add (\S+)/g))
                        expect(step, name).toContain(`ip link show ${link} >/dev/null 2>&1 || ip link add ${link}`);
                    const script = shellScript(step);
                    if (script !== undefined) execFileSync('sh', ['-n', '-c', script]);
                }
            }
        }
    );

    it.each(SAMPLE_FOLDERS)(
        'policy-routing.sh of %s needs nothing from FRR, and can run again: ip rules only, each removed before it is added',
        async folder => {
            const { files } = render(await sample(folder));
            for (const [name, script] of [...files].filter(([file]) => file.endsWith('/policy-routing.sh'))) {
                const commands = script.split('\n').filter(line => line.trim() !== '' && !line.startsWith('#'));
                expect(
                    commands.filter(c => !c.startsWith('ip rule ')),
                    name
                ).toEqual([]);
                for (const [index, add] of commands.entries()) {
                    const rule = /^ip rule add (.*) priority \d+$/.exec(add)?.[1];
                    if (rule !== undefined)
                        expect(commands.slice(0, index), name).toContain(`ip rule del ${rule} 2>/dev/null || true`);
                }
            }
        }
    );

    it('policy routing is the last step, and only devices with policy-routing.sh have it', async () => {
        const { topology, files } = render(await sample('campus'));
        for (const [name, node] of Object.entries(topology.topology.nodes).filter(([, n]) => n.image === FRR_IMAGE)) {
            const steered = files.has(`${name}/policy-routing.sh`);
            expect(
                node.exec.findIndex(s => s.includes('policy-routing.sh')),
                name
            ).toBe(steered ? node.exec.length - 1 : -1);
            expect(node.binds?.includes(`${name}/policy-routing.sh:${NODE_DIR}/policy-routing.sh`), name).toBe(steered);
        }
    });
});

describe('IPv6 where the twin has it, as `netintent lab` sets it up', () => {
    it('every device of samples/dual-stack forwards IPv6, keeps its IPv6 addresses when an interface goes down, and runs ospf6d', async () => {
        const { topology, files } = render(await sample('dual-stack'));
        const devices = Object.entries(topology.topology.nodes).filter(([, n]) => n.image === FRR_IMAGE);
        expect(devices.map(([name]) => name)).toEqual(['r1', 'r2', 'r3', 'r4']);
        for (const [name, node] of devices) {
            expect(node.exec, name).toContain('sysctl -w net.ipv6.conf.all.forwarding=1');
            expect(node.exec, name).toContain('sysctl -w net.ipv6.conf.all.keep_addr_on_down=1');
            // The daemons file bound to /etc/frr, which FRR's image starts its daemons from.
            expect(node.binds).toContain(`${name}/daemons:/etc/frr/daemons`);
            expect(files.get(`${name}/daemons`)).toMatch(/^ospf6d=yes$/m);
        }
    });

    it('the test hosts and twin hosts of samples/dual-stack have an address in each family their segment has, and a default route in each', async () => {
        const { topology } = render(await sample('dual-stack'));
        const { nodes, links } = topology.topology;
        const addressing = (node: string) => nodes[node].exec.filter(s => /^ip (-6 )?(addr|route) replace/.test(s));
        expect(addressing('seg-staff')).toEqual([
            'ip addr replace 10.6.1.2/24 dev br0',
            'ip route replace default via 10.6.1.1',
            'ip -6 addr replace 2001:db8:1::2/64 dev br0 nodad',
            'ip -6 route replace default via 2001:db8:1::1'
        ]);
        // The IPv6-only segment: a node of its own, on its attachment, with IPv6 only.
        expect(addressing('seg-lab6')).toEqual([
            'ip -6 addr replace 2001:db8:6::2/64 dev br0 nodad',
            'ip -6 route replace default via 2001:db8:6::1'
        ]);
        expect(links.map(l => l.endpoints)).toContainEqual(['seg-lab6:eth1', 'r2:eth9']);
        expect(addressing('seg-guest')).toEqual([
            'ip addr replace 10.6.4.2/24 dev br0',
            'ip route replace default via 10.6.4.1'
        ]);
        expect(addressing('seg-servers').slice(2)).toEqual([
            'ip -6 addr replace 2001:db8:3::2/64 dev br0 nodad',
            'ip -6 route replace default via 2001:db8:3::1'
        ]);
        expect(addressing('web')).toEqual([
            'ip addr replace 10.6.3.80/24 dev eth1',
            'ip route replace default via 10.6.3.1',
            'ip -6 addr replace 2001:db8:3::80/64 dev eth1 nodad',
            'ip -6 route replace default via 2001:db8:3::1'
        ]);
    });

    it('the external of samples/dual-stack: its IPv6 peer, a default route back, local routes for the lowest of the addresses it stands for', async () => {
        const program = await sample('dual-stack');
        const node = render(program).topology.topology.nodes['ext-internet'];
        expect(node.exec.slice(1, 3)).toEqual([
            'ip addr replace 198.51.100.1/30 dev eth1',
            'ip route replace default via 198.51.100.2'
        ]);
        // A listener may bind any address it stands for (IPv6 binds only configured ones otherwise).
        expect(node.exec.slice(4, 7)).toEqual([
            'sysctl -w net.ipv6.ip_nonlocal_bind=1',
            'ip -6 addr replace 2001:db8:ee::1/64 dev eth1 nodad',
            'ip -6 route replace default via 2001:db8:ee::2'
        ]);
        expect(node.exec[7]).toMatch(/ \| ip -6 -batch -'$/);
        const prefixes = words(shellScript(node.exec[7])!).filter(w => w.includes(':'));
        // ::/0 less the twin's own takes more prefixes than an external gets local routes.
        expect(prefixes).toHaveLength(MAX_LOCAL_ROUTES);
        const covered = prefixes.reduce(
            (set, p) => set.union(IPV6.range(parsePrefix6(p, false)!.prefix)),
            IntervalSet.EMPTY6
        );
        const space = program.twin.externals.get('internet')!.space6;
        const last = covered.intervals[covered.intervals.length - 1][1];
        expect(covered.equals(space.intersect(IntervalSet.of(space.first(), last)))).toBe(true);
    });

    it.each(SAMPLE_FOLDERS)('%s: IPv6 in the topology only where the twin has it', async folder => {
        const program = await sample(folder);
        const { text, files } = render(program);
        if (hasIPv6(program.twin)) expect(text).toMatch(/ip -6 addr replace/);
        else expect(text).not.toMatch(/ipv6|ip -6|nodad|::/);
        // FRR's image starts ospf6d where the bound daemons file says so: where frr.conf has OSPFv3.
        for (const device of program.twin.devices.keys()) {
            expect(/^ospf6d=yes$/m.test(files.get(`${device}/daemons`)!), device).toBe(
                /^router ospf6$/m.test(files.get(`${device}/frr.conf`)!)
            );
        }
    });
});

describe("containerlab's schema, the same bytes every run", () => {
    it.each(SAMPLE_FOLDERS)('sample %s', async folder => {
        const program = await sample(folder);
        const { text, topology } = render(program);
        expect(validate(topology), JSON.stringify(validate.errors)).toBe(true);
        expect(render(program).text).toBe(text);
    });

    it.each(RANDOM)('random network $seed', async network => {
        const program = await randomTwin(network);
        const { text, topology } = render(program);
        expect(validate(topology), JSON.stringify(validate.errors)).toBe(true);
        expect(render(program).text).toBe(text);
    });
});
