/**
 * The network the simulator runs: the twin's cabling (which interface meets which) with each
 * device's configuration, and a set of failures on top of what the twin observed down.
 */
import type { DeviceConfig, InterfaceConfig } from '../config/model.js';
import { prefixMask, type Prefix } from '../net/ipv4.js';
import { prefixMask6, type Prefix6 } from '../net/ipv6.js';
import type { ScenarioIR } from '../intent/model.js';
import { findLink, interfaceName, linkName, type Twin, type TwinLink } from '../twin/model.js';

/** Failures applied on top of the twin's observed state. */
export interface Failures {
    /** Indexes into twin.links. */
    links: ReadonlySet<number>;
    devices: ReadonlySet<string>;
    /** "device:interface". */
    interfaces: ReadonlySet<string>;
}

export const NO_FAILURES: Failures = { links: new Set(), devices: new Set(), interfaces: new Set() };

export function failureKey(failures: Failures): string {
    return [
        [...failures.links].sort((a, b) => a - b).join(','),
        [...failures.devices].sort().join(','),
        [...failures.interfaces].sort().join(',')
    ].join('|');
}

/** A scenario's failures as the simulator takes them. */
export function scenarioFailures(twin: Twin, scenario: ScenarioIR): Failures {
    const links = new Set<number>();
    const devices = new Set<string>();
    const interfaces = new Set<string>();
    for (const failure of scenario.failures) {
        if (failure.kind === 'device') devices.add(failure.device);
        if (failure.kind === 'interface') interfaces.add(interfaceName(failure.interface));
        if (failure.kind === 'link') {
            const link = findLink(twin, failure.a, failure.b);
            if (link) links.add(twin.links.indexOf(link));
        }
    }
    return { links, devices, interfaces };
}

export function describeFailures(twin: Twin, failures: Failures): string[] {
    return [
        ...[...failures.links].sort((a, b) => a - b).map(i => linkName(twin.links[i])),
        ...[...failures.devices].sort(),
        ...[...failures.interfaces].sort()
    ];
}

/** An interface of a device with an address, as the data plane sees it. */
export interface Port {
    device: string;
    config: InterfaceConfig;
    subnet?: Prefix;
    /** The subnet of its global IPv6 address. */
    subnet6?: Prefix6;
    /** The host prefixes of its secondary addresses (a loopback's anycast address). */
    extra: Prefix[];
    /** "device:interface", as failures and the twin's `down` name it. */
    name: string;
    /** The interface at the other end of its link, if it is cabled to a device. */
    peer?: { device: string; interface: string; link: number };
    /** That interface's port, where its device has one. */
    far?: Port;
}

export class SimNetwork {
    private currentConfigs: ReadonlyMap<string, DeviceConfig>;
    /** Ports by device, then interface name. */
    private readonly ports = new Map<string, Map<string, Port>>();
    /** Owner of each interface address. */
    readonly addressOwner = new Map<number, { device: string; interface: string }>();
    /** Owner of each global IPv6 interface address. */
    readonly addressOwner6 = new Map<bigint, { device: string; interface: string }>();

    constructor(
        readonly twin: Twin,
        configs: ReadonlyMap<string, DeviceConfig>
    ) {
        this.currentConfigs = configs;
        for (const [device, config] of configs) {
            for (const iface of config.interfaces) {
                const subnet = iface.address
                    ? {
                          network: (iface.address.address & prefixMask(iface.address.length)) >>> 0,
                          length: iface.address.length
                      }
                    : undefined;
                let byName = this.ports.get(device);
                if (!byName) this.ports.set(device, (byName = new Map()));
                const extra = (iface.secondary ?? []).map(a => ({
                    network: (a.address & prefixMask(a.length)) >>> 0,
                    length: a.length
                }));
                const subnet6 = iface.address6 && {
                    network: iface.address6.address & prefixMask6(iface.address6.length),
                    length: iface.address6.length
                };
                byName.set(iface.name, {
                    device,
                    config: iface,
                    subnet,
                    subnet6,
                    extra,
                    name: interfaceName({ device, interface: iface.name })
                });
                for (const address of [iface.address, ...(iface.secondary ?? [])]) {
                    if (address) this.addressOwner.set(address.address, { device, interface: iface.name });
                }
                if (iface.address6) this.addressOwner6.set(iface.address6.address, { device, interface: iface.name });
            }
        }
        twin.links.forEach((link, index) => this.cable(link, index));
    }

    get configs(): ReadonlyMap<string, DeviceConfig> {
        return this.currentConfigs;
    }

    /**
     * New configurations with the same interfaces and routing (only ACLs and policy routes
     * differ): the routing computed so far stays valid.
     */
    replaceFilters(configs: ReadonlyMap<string, DeviceConfig>): void {
        this.currentConfigs = configs;
    }

    private cable(link: TwinLink, index: number): void {
        const a = this.port(link.a.device, link.a.interface);
        const b = this.port(link.b.device, link.b.interface);
        if (a) {
            a.peer = { ...link.b, link: index };
            a.far = b;
        }
        if (b) {
            b.peer = { ...link.a, link: index };
            b.far = a;
        }
    }

    port(device: string, iface: string): Port | undefined {
        return this.ports.get(device)?.get(iface);
    }

    /**
     * Whether an interface passes traffic: configured up, not observed or failed down, its device
     * up, and (for a cabled interface) its link and the other end up too — a veth or a cable
     * loses carrier when the far end goes.
     */
    isUp(device: string, iface: string, failures: Failures): boolean {
        const port = this.port(device, iface);
        return port !== undefined && this.portUp(port, failures);
    }

    private portUp(port: Port, failures: Failures): boolean {
        if (port.config.shutdown || failures.devices.has(port.device)) return false;
        if (this.twin.down.has(port.name) || failures.interfaces.has(port.name)) return false;
        if (!port.peer) return true;
        if (failures.links.has(port.peer.link) || failures.devices.has(port.peer.device)) return false;
        const far = port.far;
        return (
            far !== undefined &&
            !far.config.shutdown &&
            !this.twin.down.has(far.name) &&
            !failures.interfaces.has(far.name)
        );
    }

    /** The interfaces of a device that are up and have an address of the family (`any`: up, addressed or not). */
    upPorts(device: string, failures: Failures, family: 4 | 6 | 'any' = 4): Port[] {
        if (failures.devices.has(device)) return [];
        const addressed = (p: Port) => (family === 4 ? p.subnet : family === 6 ? p.subnet6 : true);
        return [...(this.ports.get(device)?.values() ?? [])].filter(p => addressed(p) && this.portUp(p, failures));
    }
}
