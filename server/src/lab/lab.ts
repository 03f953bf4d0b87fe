/**
 * The lab: the compiled network running for real on this machine — a network namespace per
 * device with FRR's daemons (one instance per namespace, `-N`), veth pairs per link with the
 * twin's interface names, the nftables rules loaded, forwarding on; a namespace per segment
 * (a bridge with a test host, the attachment as gateway) and per host on it, and per external
 * (answering for the peer and the external's addresses). A state file records each thing before
 * it is made, so that `down` removes everything also after `up` was killed.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompiledNetwork } from '../compile/compile.js';
import type { DeviceConfig } from '../config/model.js';
import type { IntentProgram } from '../intent/model.js';
import { renderFrrConf } from '../config/frr/render.js';
import { renderNftables, renderPolicyRouting } from '../config/nftables/render.js';
import { formatAddress, formatPrefix, prefixesOf } from '../net/ipv4.js';
import { formatAddress6, formatPrefix6, prefixesOf6 } from '../net/ipv6.js';
import { MAX_LOCAL_ROUTES, testerAddresses } from '../twin/test-hosts.js';
import type { Twin } from '../twin/model.js';
import { checkName, FRR_DAEMONS, inNamespace, LabError, namespaces, run } from './system.js';

export const STATE_DIR = '/run/netintent';

/**
 * The kernel settings of a device (containerlab's nodes get the same): forwarding; no reverse-path
 * filter and no redirects, since steered paths may hairpin; and a route whose interface lost its
 * carrier (a neighbour failed) is not used, as on a router, where the simulator has it gone. Set
 * for `all` and `default` before any interface is moved in: the kernel takes the stricter (or,
 * for the last, either) of `all` and an interface's own, which starts as `default`.
 */
export const DEVICE_SYSCTLS = [
    'net.ipv4.ip_forward=1',
    // IPv6's `all` also sets `default` and every interface's own.
    'net.ipv6.conf.all.forwarding=1',
    ...['all', 'default'].flatMap(scope => [
        `net.ipv4.conf.${scope}.rp_filter=0`,
        `net.ipv4.conf.${scope}.send_redirects=0`,
        `net.ipv4.conf.${scope}.ignore_routes_with_linkdown=1`,
        // A failed link is set down here, which would flush its IPv6 addresses, and FRR 8.4's
        // zebra does not put them back when it comes up (the lab saw it): keep them, as a cable
        // that loses its carrier does.
        `net.ipv6.conf.${scope}.keep_addr_on_down=1`
    ])
];

export interface LabDevice {
    device: string;
    namespace: string;
    /** FRR's path space (-N): /etc/frr/<pathspace>, /var/run/frr/<pathspace>. */
    pathspace: string;
}

export interface LabState {
    lab: string;
    twin: string;
    devices: LabDevice[];
    /** Every namespace made, devices', segments' and externals'. */
    namespaces: string[];
    /** Where each segment's test host is, with the address it sends from in each family the segment has. */
    segments: Array<{ segment: string; namespace: string; address?: string; address6?: string }>;
    /** The twin's hosts, each in a namespace of its own on its segment's bridge. */
    hosts: Array<{ host: string; segment: string; namespace: string; address?: string; address6?: string }>;
    externals: Array<{ external: string; namespace: string; address?: string; address6?: string }>;
    /** The interfaces the twin said were down when the lab came up: the configurations it runs were compiled so. */
    down: string[];
}

/**
 * The program as the lab runs it: its twin with the interfaces that were down when the lab came
 * up (a later `twin sync` may have written others into the twin file; the lab still runs the
 * configurations compiled before).
 */
export function deployedProgram(program: IntentProgram, state: LabState): IntentProgram {
    const down = new Set(state.down ?? []);
    const same = down.size === program.twin.down.size && [...down].every(name => program.twin.down.has(name));
    return same ? program : { ...program, twin: { ...program.twin, down } };
}

/** The lab's name: the twin's network, made safe and short (namespace and FRR names carry it). */
export function labName(twin: Twin): string {
    return checkName(
        twin.network
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, '-')
            .replace(/^-|-$/g, '')
            .slice(0, 16) || 'lab',
        'lab name'
    );
}

export function stateFile(lab: string): string {
    return path.join(STATE_DIR, `${lab}.json`);
}

export function readState(lab: string): LabState | undefined {
    try {
        return JSON.parse(fs.readFileSync(stateFile(lab), 'utf8')) as LabState;
    } catch {
        return undefined;
    }
}

function record(state: LabState): void {
    fs.mkdirSync(STATE_DIR, { recursive: true });
    const file = stateFile(state.lab);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
    fs.renameSync(`${file}.tmp`, file);
}

/** Starts the lab; returns once every device's FIB is the simulated one (or throws). */
export function labUp(twin: Twin, compiled: CompiledNetwork, log: (line: string) => void): LabState {
    const lab = labName(twin);
    if (fs.existsSync(stateFile(lab)))
        throw new LabError(`the lab ${lab} is already up (${stateFile(lab)}); run 'netintent lab down' first.`);
    const prefix = `ni-${lab}`;
    const state: LabState = {
        lab,
        twin: twin.file,
        devices: [],
        namespaces: [],
        segments: [],
        hosts: [],
        externals: [],
        down: [...twin.down].sort()
    };
    const makeNamespace = (name: string) => {
        checkName(name, 'namespace');
        if (namespaces().includes(name))
            throw new LabError(
                `a namespace ${name} exists already; another lab or a leftover? 'ip netns del ${name}' if it is a leftover.`
            );
        state.namespaces.push(name);
        record(state);
        run('ip', ['netns', 'add', name]);
        inNamespace(name, 'ip', ['link', 'set', 'lo', 'up']);
    };
    const veth = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) => {
        // Temporary names fit the 15 characters of a kernel interface name; the twin's names are set inside.
        const tag = randomBytes(4).toString('hex');
        run('ip', ['link', 'add', `nia${tag}`, 'type', 'veth', 'peer', 'name', `nib${tag}`]);
        for (const [end, temporary] of [
            [a, `nia${tag}`],
            [b, `nib${tag}`]
        ] as const) {
            run('ip', ['link', 'set', temporary, 'netns', end.namespace]);
            inNamespace(end.namespace, 'ip', ['link', 'set', temporary, 'name', checkName(end.name, 'interface')]);
            inNamespace(end.namespace, 'ip', ['link', 'set', end.name, 'up']);
        }
    };

    for (const device of twin.devices.values()) {
        const namespace = `${prefix}-${checkName(device.name, 'device')}`;
        makeNamespace(namespace);
        state.devices.push({ device: device.name, namespace, pathspace: namespace });
        for (const setting of DEVICE_SYSCTLS) inNamespace(namespace, 'sysctl', ['-qw', setting]);
    }
    record(state);
    const deviceNamespace = (device: string) => state.devices.find(d => d.device === device)!.namespace;
    for (const link of twin.links) {
        veth(
            { namespace: deviceNamespace(link.a.device), name: link.a.interface },
            { namespace: deviceNamespace(link.b.device), name: link.b.interface }
        );
    }
    for (const segment of twin.segments.values()) {
        if (!segment.attach) continue;
        const namespace = `${prefix}-s-${checkName(segment.name, 'segment')}`;
        makeNamespace(namespace);
        const hosts = [...twin.hosts.values()].filter(h => h.segment === segment.name);
        // The segment is a bridge: the attachment, its test host, and a namespace per twin host.
        inNamespace(namespace, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
        inNamespace(namespace, 'ip', ['link', 'set', 'br0', 'up']);
        veth(
            { namespace, name: 'eth0' },
            { namespace: deviceNamespace(segment.attach.device), name: segment.attach.interface }
        );
        inNamespace(namespace, 'ip', ['link', 'set', 'eth0', 'master', 'br0']);
        // An address in each family the segment has, with its gateway as the default route.
        const onSegment = (ns: string, dev: string, address: number | undefined, address6: bigint | undefined) => {
            if (segment.prefix && segment.gateway !== undefined && address !== undefined) {
                inNamespace(ns, 'ip', [
                    'addr',
                    'add',
                    `${formatAddress(address)}/${segment.prefix.length}`,
                    'dev',
                    dev
                ]);
                inNamespace(ns, 'ip', ['route', 'add', 'default', 'via', formatAddress(segment.gateway)]);
            }
            if (segment.prefix6 && segment.gateway6 !== undefined && address6 !== undefined) {
                // nodad: usable at once, not after duplicate address detection's second.
                inNamespace(ns, 'ip', [
                    '-6',
                    'addr',
                    'add',
                    `${formatAddress6(address6)}/${segment.prefix6.length}`,
                    'dev',
                    dev,
                    'nodad'
                ]);
                inNamespace(ns, 'ip', ['-6', 'route', 'add', 'default', 'via', formatAddress6(segment.gateway6)]);
            }
        };
        const { tester, tester6 } = testerAddresses(segment, hosts);
        onSegment(namespace, 'br0', tester, tester6);
        state.segments.push({
            segment: segment.name,
            namespace,
            ...(tester !== undefined && { address: formatAddress(tester) }),
            ...(tester6 !== undefined && { address6: formatAddress6(tester6) })
        });
        hosts.forEach((host, index) => {
            const hostNamespace = `${prefix}-h-${checkName(host.name, 'host')}`;
            makeNamespace(hostNamespace);
            veth({ namespace: hostNamespace, name: 'eth0' }, { namespace, name: `host${index}` });
            inNamespace(namespace, 'ip', ['link', 'set', `host${index}`, 'master', 'br0']);
            onSegment(hostNamespace, 'eth0', host.address, host.address6);
            state.hosts.push({
                host: host.name,
                segment: segment.name,
                namespace: hostNamespace,
                ...(host.address !== undefined && { address: formatAddress(host.address) }),
                ...(host.address6 !== undefined && { address6: formatAddress6(host.address6) })
            });
        });
    }
    for (const external of twin.externals.values()) {
        const ipv4 = external.peer !== undefined && external.address !== undefined;
        const ipv6 = external.peer6 !== undefined && external.address6 !== undefined;
        if (!external.attach || (!ipv4 && !ipv6)) continue;
        const namespace = `${prefix}-x-${checkName(external.name, 'external')}`;
        makeNamespace(namespace);
        veth(
            { namespace, name: 'eth0' },
            { namespace: deviceNamespace(external.attach.device), name: external.attach.interface }
        );
        // The peer on the attachment's subnet, routing back through the attachment, and answering
        // for every address it stands for (a local route per prefix).
        const local = (family: string, address: string, length: number, gateway: string, space: string[]) => {
            const nodad = family === '-6' ? ['nodad'] : [];
            inNamespace(namespace, 'ip', [family, 'addr', 'add', `${address}/${length}`, 'dev', 'eth0', ...nodad]);
            inNamespace(namespace, 'ip', [family, 'route', 'add', 'default', 'via', gateway]);
            for (const prefix of space)
                inNamespace(namespace, 'ip', [family, 'route', 'add', 'local', prefix, 'dev', 'lo']);
        };
        if (ipv4)
            local(
                '-4',
                formatAddress(external.peer!),
                external.address!.length,
                formatAddress(external.address!.address),
                prefixesOf(external.space, MAX_LOCAL_ROUTES).map(formatPrefix)
            );
        if (ipv6) {
            // A listener binds to any of them: IPv4 does where a local route holds the address,
            // IPv6 only where it is configured, unless non-local binds are allowed.
            inNamespace(namespace, 'sysctl', ['-qw', 'net.ipv6.ip_nonlocal_bind=1']);
            local(
                '-6',
                formatAddress6(external.peer6!),
                external.address6!.length,
                formatAddress6(external.address6!.address),
                prefixesOf6(external.space6, MAX_LOCAL_ROUTES).map(formatPrefix6)
            );
        }
        state.externals.push({
            external: external.name,
            namespace,
            ...(ipv4 && { address: formatAddress(external.peer!) }),
            ...(ipv6 && { address6: formatAddress6(external.peer6!) })
        });
    }
    record(state);

    for (const entry of state.devices) {
        const config = compiled.devices.get(entry.device)!;
        startFrr(entry, fastTimers(renderFrrConf(config)), config);
        const files = path.join(STATE_DIR, state.lab, entry.device);
        fs.mkdirSync(files, { recursive: true });
        fs.writeFileSync(path.join(files, 'nftables.nft'), renderNftables(config));
        inNamespace(entry.namespace, 'nft', ['-f', path.join(files, 'nftables.nft')]);
        const policy = renderPolicyRouting(config);
        if (policy) {
            fs.writeFileSync(path.join(files, 'policy-routing.sh'), policy);
            inNamespace(entry.namespace, 'sh', [path.join(files, 'policy-routing.sh')]);
        }
        log(`${entry.device}: FRR started in ${entry.namespace}`);
    }
    return state;
}

/** One FRR instance in the device's namespace: zebra, staticd and the routing daemons its configuration needs. */
function startFrr(entry: LabDevice, frrConf: string, config: DeviceConfig): void {
    const etc = path.join('/etc/frr', entry.pathspace);
    const runDir = path.join('/var/run/frr', entry.pathspace);
    for (const dir of [etc, runDir]) {
        fs.mkdirSync(dir, { recursive: true });
        run('chown', ['frr:frr', dir], { allowFailure: true });
    }
    fs.writeFileSync(path.join(etc, 'frr.conf'), frrConf);
    fs.writeFileSync(path.join(etc, 'vtysh.conf'), 'service integrated-vtysh-config\n');
    const daemons = [
        'zebra',
        'staticd',
        ...(config.ospf ? ['ospfd'] : []),
        ...(config.ospf6 ? ['ospf6d'] : []),
        ...(config.bgp ? ['bgpd'] : [])
    ];
    for (const daemon of daemons) {
        inNamespace(entry.namespace, path.join(FRR_DAEMONS, daemon), [
            '-d',
            '-N',
            entry.pathspace,
            '-F',
            'traditional',
            '-i',
            path.join(runDir, `${daemon}.pid`)
        ]);
        if (daemon === 'zebra')
            waitFor(() => fs.existsSync(path.join(runDir, 'zserv.api')), `zebra of ${entry.device}`, 10_000);
    }
    run('vtysh', ['-N', entry.pathspace, '-b'], { allowFailure: false });
}

/**
 * Timers of seconds, so that the lab converges in seconds: hellos and keepalives, OSPF's
 * retransmission of a lost database packet (5 s by default) and its SPF hold time, which
 * back-to-back flaps otherwise stretch to 5 s, and BGP's connect retry (120 s): a link that
 * comes back holds its IPv6 address tentative for a second of duplicate address detection, the
 * first connect goes out from another address, the peer refuses it (the lab saw it). Timing
 * only: no route differs.
 */
export function fastTimers(frrConf: string): string {
    return frrConf
        .replace(
            /^( ip ospf area 0)$/gm,
            '$1\n ip ospf hello-interval 1\n ip ospf dead-interval 3\n ip ospf retransmit-interval 1'
        )
        .replace(
            /^( ipv6 ospf6 area 0)$/gm,
            '$1\n ipv6 ospf6 hello-interval 1\n ipv6 ospf6 dead-interval 3\n ipv6 ospf6 retransmit-interval 1'
        )
        .replace(/^(router ospf6?)$/gm, '$1\n timers throttle spf 0 50 200')
        .replace(/^(router bgp \d+)$/gm, '$1\n timers bgp 1 3')
        .replace(/^( neighbor (\S+) remote-as .*)$/gm, '$1\n neighbor $2 timers connect 1');
}

/** Stops everything a lab made (as its state file says), also what a killed `up` left half made. */
export function labDown(lab: string, log: (line: string) => void): void {
    const state = readState(lab);
    if (!state) throw new LabError(`no lab ${lab} is up (${stateFile(lab)} does not exist).`);
    for (const entry of state.devices) {
        const runDir = path.join('/var/run/frr', entry.pathspace);
        for (const pidFile of fs.existsSync(runDir) ? fs.readdirSync(runDir).filter(f => f.endsWith('.pid')) : []) {
            const pid = Number(fs.readFileSync(path.join(runDir, pidFile), 'utf8'));
            // A pid file outlives its daemon, and the pid may since belong to any process: only
            // one started with this device's path space is killed.
            if (pid > 0 && runsInPathspace(pid, entry.pathspace)) {
                try {
                    process.kill(pid, 'SIGKILL');
                } catch {
                    // Already gone.
                }
            }
        }
        fs.rmSync(runDir, { recursive: true, force: true });
        fs.rmSync(path.join('/etc/frr', entry.pathspace), { recursive: true, force: true });
    }
    const present = new Set(namespaces());
    for (const namespace of state.namespaces) {
        // Any process still inside (a daemon whose pid file was not written yet) goes with it.
        if (!present.has(namespace)) continue;
        for (const pid of run('ip', ['netns', 'pids', namespace], { allowFailure: true }).split('\n').filter(Boolean)) {
            try {
                process.kill(Number(pid), 'SIGKILL');
            } catch {
                // Already gone.
            }
        }
        run('ip', ['netns', 'del', namespace], { allowFailure: true });
        log(`removed ${namespace}`);
    }
    fs.rmSync(path.join(STATE_DIR, lab), { recursive: true, force: true });
    fs.rmSync(stateFile(lab), { force: true });
}

/** Whether the process was started as an FRR daemon with `-N pathspace`. */
function runsInPathspace(pid: number, pathspace: string): boolean {
    try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv[0].startsWith(FRR_DAEMONS) && argv.some((arg, i) => arg === pathspace && argv[i - 1] === '-N');
    } catch {
        return false;
    }
}

export function waitFor(condition: () => boolean, what: string, ms: number): void {
    const deadline = Date.now() + ms;
    while (!condition()) {
        if (Date.now() > deadline) throw new LabError(`timed out waiting for ${what}`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
}
