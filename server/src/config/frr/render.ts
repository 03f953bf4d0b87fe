/** The FRR 8.4 text of a device's configuration: frr.conf and the daemons file. */
import { formatAddress, formatPrefix, prefixContains } from '../../net/ipv4.js';
import { formatAddress6, formatPrefix6 } from '../../net/ipv6.js';
import type {
    BgpUnicast,
    DeviceConfig,
    InterfaceConfig,
    OspfAuthentication,
    OspfInterface,
    PrefixList
} from '../model.js';

/** FRR's OSPF intervals (seconds) where the model gives none. */
const OSPF_HELLO_DEFAULT = 10;
const OSPF_DEAD_DEFAULT = 40;

export function renderFrrConf(config: DeviceConfig): string {
    const lines: string[] = [
        'frr version 8.4',
        'frr defaults traditional',
        `hostname ${word(config.hostname)}`,
        'log syslog informational',
        'service integrated-vtysh-config',
        // Routes with their next hops inline, not as kernel nexthop groups: FRR 8.4's zebra can
        // leave a group short of a member after an interface flap (FRRouting/frr#13413, #18374)
        // while it reports the route whole, and the kernel then forwards on fewer paths.
        'no zebra nexthop kernel enable',
        '!'
    ];
    for (const iface of config.interfaces) lines.push(...renderInterface(iface, inOspfNetwork(config, iface)), '!');
    for (const route of config.staticRoutes) {
        const nextHop = route.nextHop === 'blackhole' ? 'blackhole' : formatAddress(route.nextHop);
        lines.push(
            `ip route ${formatPrefix(route.prefix)} ${nextHop}${route.distance !== undefined ? ` ${route.distance}` : ''}${route.table !== undefined ? ` table ${route.table}` : ''}`
        );
    }
    for (const route of config.staticRoutes6) {
        const nextHop = route.nextHop === 'blackhole' ? 'blackhole' : formatAddress6(route.nextHop);
        lines.push(
            `ipv6 route ${formatPrefix6(route.prefix)} ${nextHop}${route.distance !== undefined ? ` ${route.distance}` : ''}${route.table !== undefined ? ` table ${route.table}` : ''}`
        );
    }
    if (config.staticRoutes.length + config.staticRoutes6.length > 0) lines.push('!');
    lines.push(...renderPrefixLists('ip', config.prefixLists, formatPrefix));
    lines.push(...renderPrefixLists('ipv6', config.prefixLists6, formatPrefix6));
    for (const map of config.routeMaps) {
        for (const entry of map.entries) {
            lines.push(`route-map ${word(map.name)} ${entry.action} ${entry.seq}`);
            if (entry.matchPrefixList) lines.push(` match ip address prefix-list ${word(entry.matchPrefixList)}`);
            if (entry.matchPrefixList6) lines.push(` match ipv6 address prefix-list ${word(entry.matchPrefixList6)}`);
            lines.push('exit', '!');
        }
    }
    if (config.ospf) {
        const ospf = config.ospf;
        lines.push('router ospf', ` ospf router-id ${formatAddress(ospf.routerId)}`);
        for (const source of ospf.redistribute) lines.push(` redistribute ${source}`);
        for (const network of ospf.networks) lines.push(` network ${formatPrefix(network)} area 0`);
        if (ospf.defaultOriginate) lines.push(' default-information originate');
        lines.push('exit', '!');
    }
    if (config.ospf6) {
        const ospf6 = config.ospf6;
        lines.push('router ospf6', ` ospf6 router-id ${formatAddress(ospf6.routerId)}`);
        for (const source of ospf6.redistribute) lines.push(` redistribute ${source}`);
        if (ospf6.defaultOriginate) lines.push(' default-information originate');
        lines.push('exit', '!');
    }
    if (config.bgp) {
        const bgp = config.bgp;
        lines.push(`router bgp ${bgp.asn}`, ` bgp router-id ${formatAddress(bgp.routerId)}`);
        if (!bgp.ebgpRequiresPolicy) lines.push(' no bgp ebgp-requires-policy');
        if (bgp.multipathRelax) lines.push(' bgp bestpath as-path multipath-relax');
        const ipv6 = bgp.ipv6;
        for (const neighbor of [...bgp.neighbors, ...(ipv6?.neighbors ?? [])]) {
            const peer = formatAnyAddress(neighbor.address);
            lines.push(` neighbor ${peer} remote-as ${neighbor.remoteAs}`);
            if (neighbor.description) lines.push(` neighbor ${peer} description ${text(neighbor.description)}`);
        }
        lines.push(' !', ' address-family ipv4 unicast');
        lines.push(...renderBgpUnicast(bgp, formatPrefix));
        // FRR activates every neighbour in IPv4 unicast (bgp default ipv4-unicast): an IPv6 session carries IPv6 routes only.
        for (const neighbor of ipv6?.neighbors ?? [])
            lines.push(`  no neighbor ${formatAddress6(neighbor.address)} activate`);
        lines.push(' exit-address-family');
        if (ipv6) {
            lines.push(' !', ' address-family ipv6 unicast');
            for (const neighbor of ipv6.neighbors)
                lines.push(`  neighbor ${formatAddress6(neighbor.address)} activate`);
            lines.push(...renderBgpUnicast(ipv6, formatPrefix6));
            lines.push(' exit-address-family');
        }
        lines.push('exit', '!');
    }
    lines.push('end');
    return lines.join('\n') + '\n';
}

/** What an address family of BGP announces and how its neighbours exchange routes, ending in its maximum-paths. */
function renderBgpUnicast<A extends number | bigint, P>(
    unicast: BgpUnicast<A, P>,
    format: (prefix: P) => string
): string[] {
    const lines: string[] = [];
    for (const network of unicast.networks) lines.push(`  network ${format(network)}`);
    for (const r of unicast.redistribute)
        lines.push(`  redistribute ${r.source}${r.routeMap ? ` route-map ${word(r.routeMap)}` : ''}`);
    for (const neighbor of unicast.neighbors) {
        const peer = formatAnyAddress(neighbor.address);
        if (neighbor.nextHopSelf) lines.push(`  neighbor ${peer} next-hop-self`);
        if (neighbor.routeMapIn) lines.push(`  neighbor ${peer} route-map ${word(neighbor.routeMapIn)} in`);
        if (neighbor.routeMapOut) lines.push(`  neighbor ${peer} route-map ${word(neighbor.routeMapOut)} out`);
    }
    lines.push(`  maximum-paths ${unicast.maximumPaths}`);
    return lines;
}

function formatAnyAddress(address: number | bigint): string {
    return typeof address === 'bigint' ? formatAddress6(address) : formatAddress(address);
}

/** Whether a `network … area 0` of the config holds the interface's address (FRR refuses `ip ospf area` beside it). */
function inOspfNetwork(config: DeviceConfig, iface: InterfaceConfig): boolean {
    return (
        iface.address !== undefined &&
        (config.ospf?.networks ?? []).some(n => prefixContains(n, iface.address!.address))
    );
}

function renderPrefixLists<P>(
    words: 'ip' | 'ipv6',
    lists: readonly PrefixList<P>[],
    format: (prefix: P) => string
): string[] {
    const lines: string[] = [];
    for (const list of lists) {
        for (const entry of list.entries) {
            lines.push(
                `${words} prefix-list ${word(list.name)} seq ${entry.seq} ${entry.action} ${format(entry.prefix)}${entry.le !== undefined ? ` le ${entry.le}` : ''}`
            );
        }
        lines.push('!');
    }
    return lines;
}

function renderInterface(iface: InterfaceConfig, inNetwork: boolean): string[] {
    const lines = [`interface ${word(iface.name)}`];
    if (iface.description) lines.push(` description ${text(iface.description)}`);
    for (const address of [iface.address, ...(iface.secondary ?? [])]) {
        if (address) lines.push(` ip address ${formatAddress(address.address)}/${address.length}`);
    }
    if (iface.ospf) lines.push(...renderOspfInterface(iface.ospf, inNetwork));
    if (iface.address6) lines.push(` ipv6 address ${formatAddress6(iface.address6.address)}/${iface.address6.length}`);
    if (iface.ospf6) lines.push(...renderOspf6Interface(iface.ospf6));
    if (iface.shutdown) lines.push(' shutdown');
    lines.push('exit');
    return lines;
}

function renderOspfInterface(ospf: OspfInterface, inNetwork: boolean): string[] {
    const lines = inNetwork ? [] : [' ip ospf area 0'];
    lines.push(...interfaceSettings('ip ospf', ospf));
    if (ospf.authentication) lines.push(...renderAuthentication(ospf.authentication));
    if (ospf.passive) lines.push(' ip ospf passive');
    return lines;
}

/** OSPFv3 on an interface, in `ipv6 ospf6` words (FRR 8.4 takes the area per interface). */
function renderOspf6Interface(ospf: NonNullable<InterfaceConfig['ospf6']>): string[] {
    return [
        ' ipv6 ospf6 area 0',
        ...interfaceSettings('ipv6 ospf6', ospf),
        ...(ospf.passive ? [' ipv6 ospf6 passive'] : []),
        ...(ospf.advertisePrefixList ? [` ipv6 ospf6 advertise prefix-list ${word(ospf.advertisePrefixList)}`] : [])
    ];
}

/** Network type, cost and intervals of an OSPF interface, the same in OSPFv2 (`ip ospf`) and OSPFv3 (`ipv6 ospf6`). */
function interfaceSettings(words: string, ospf: Omit<OspfInterface, 'authentication'>): string[] {
    const lines: string[] = [];
    if (ospf.pointToPoint) lines.push(` ${words} network point-to-point`);
    // Cost 0 is the loopback's without a cost line (FRR accepts 1-65535 only).
    if (ospf.cost !== 0) lines.push(` ${words} cost ${ospf.cost}`);
    const hello = ospf.helloInterval ?? OSPF_HELLO_DEFAULT;
    if (ospf.helloInterval !== undefined) lines.push(` ${words} hello-interval ${hello}`);
    // FRR takes four times the hello interval unless the dead interval is given.
    const dead = ospf.deadInterval ?? OSPF_DEAD_DEFAULT;
    if (dead !== 4 * hello) lines.push(` ${words} dead-interval ${dead}`);
    return lines;
}

function renderAuthentication(authentication: OspfAuthentication): string[] {
    if (authentication.kind === 'md5') {
        return [
            ' ip ospf authentication message-digest',
            ` ip ospf message-digest-key ${authentication.keyId} md5 ${word(authentication.key)}`
        ];
    }
    return [
        ' ip ospf authentication',
        ...(authentication.key !== '' ? [` ip ospf authentication-key ${word(authentication.key)}`] : [])
    ];
}

/** Which FRR daemons run: zebra and staticd always, ospfd, ospf6d or bgpd as the config needs. */
export function renderDaemons(config: DeviceConfig): string {
    const on = (flag: boolean) => (flag ? 'yes' : 'no');
    return [
        '# FRR daemons of this device, written by netintent.',
        `bgpd=${on(config.bgp !== undefined)}`,
        `ospfd=${on(config.ospf !== undefined)}`,
        `ospf6d=${on(config.ospf6 !== undefined)}`,
        'ripd=no',
        'ripngd=no',
        'isisd=no',
        'pimd=no',
        'ldpd=no',
        'nhrpd=no',
        'eigrpd=no',
        'babeld=no',
        'sharpd=no',
        'pbrd=no',
        'bfdd=no',
        'fabricd=no',
        'vrrpd=no',
        'pathd=no',
        '',
        'vtysh_enable=yes',
        'zebra_options="  -A 127.0.0.1 -s 90000000"',
        'bgpd_options="   -A 127.0.0.1"',
        'ospfd_options="  -A 127.0.0.1"',
        'staticd_options="-A 127.0.0.1"',
        ''
    ].join('\n');
}

/**
 * Every name frr.conf carries goes through here: FRR has no quoting, so a name with whitespace
 * or a control character would end the line or split it into more words (more commands). The
 * twin loader refuses such names at their YAML line; this refuses to write one that got past it.
 */
function word(value: string): string {
    if (!/^[^\s\x00-\x1f\x7f]+$/.test(value))
        throw new Error(`refusing to write ${JSON.stringify(value)} into frr.conf: not one word`);
    return value;
}

/** Free text at the end of a line (descriptions): on that line and no other. */
function text(value: string): string {
    return value.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}
