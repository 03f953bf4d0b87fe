/**
 * `twin import --from netbox` (docs/twin.md, "From NetBox"): NetBox's REST API shapes (NetBox 4's
 * serializers: nested objects with id, url, display; cable terminations with object_type and
 * object), from a saved export and live from a local HTTP server that pages and checks the token.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from '../../server/src/import/document.js';
import { importNetbox } from '../../server/src/import/netbox.js';
import { formatAddress } from '../../server/src/net/ipv4.js';
import { formatAddress6 } from '../../server/src/net/ipv6.js';
import { jsonFile, loadImported } from '../support/imports.js';

const API = 'https://netbox.example.com/api';
type Obj = Record<string, unknown>;

function device(id: number, name: string, role: string, more: Obj = {}): Obj {
    return {
        id,
        url: `${API}/dcim/devices/${id}/`,
        display_url: `https://netbox.example.com/dcim/devices/${id}/`,
        display: name,
        name,
        device_type: {
            id: 1,
            url: `${API}/dcim/device-types/1/`,
            display: 'FRR router',
            manufacturer: {
                id: 1,
                url: `${API}/dcim/manufacturers/1/`,
                display: 'Generic',
                name: 'Generic',
                slug: 'generic',
                description: ''
            },
            model: 'FRR router',
            slug: 'frr-router',
            description: ''
        },
        role: {
            id,
            url: `${API}/dcim/device-roles/${id}/`,
            display: role,
            name: role,
            slug: role.toLowerCase().replace(/ /g, '-'),
            description: '',
            _depth: 0
        },
        tenant: null,
        platform: null,
        site: { id: 1, url: `${API}/dcim/sites/1/`, display: 'DC1', name: 'DC1', slug: 'dc1', description: '' },
        status: { value: 'active', label: 'Active' },
        primary_ip: null,
        primary_ip4: null,
        primary_ip6: null,
        oob_ip: null,
        ...more
    };
}

function nestedDevice(d: Obj): Obj {
    return { id: d.id, url: d.url, display: d.name, name: d.name, description: '' };
}

function iface(id: number, d: Obj, name: string, more: Obj = {}): Obj {
    return {
        id,
        url: `${API}/dcim/interfaces/${id}/`,
        display: name,
        device: nestedDevice(d),
        name,
        label: '',
        type: { value: '10gbase-x-sfpp', label: 'SFP+ (10GE)' },
        enabled: true,
        parent: null,
        lag: null,
        mtu: null,
        mgmt_only: false,
        description: '',
        mode: null,
        vrf: null,
        mark_connected: false,
        cable: null,
        cable_end: '',
        link_peers: [],
        link_peers_type: null,
        connected_endpoints: null,
        connected_endpoints_type: null,
        connected_endpoints_reachable: null,
        count_ipaddresses: 0,
        _occupied: false,
        ...more
    };
}

function nestedIface(i: Obj): Obj {
    return {
        id: i.id,
        url: i.url,
        display: i.name,
        device: i.device,
        name: i.name,
        description: '',
        cable: null,
        _occupied: true
    };
}

function term(i: Obj): Obj {
    return { object_type: 'dcim.interface', object_id: i.id, object: nestedIface(i) };
}

function cable(id: number, a: Obj[], b: Obj[], status = 'connected'): Obj {
    return {
        id,
        url: `${API}/dcim/cables/${id}/`,
        display: `#${id}`,
        type: 'smf',
        a_terminations: a,
        b_terminations: b,
        status: { value: status, label: status[0].toUpperCase() + status.slice(1) },
        tenant: null,
        label: '',
        color: '',
        length: null,
        length_unit: null,
        description: ''
    };
}

function ip(id: number, address: string, on?: Obj, more: Obj = {}): Obj {
    const family = address.includes(':') ? 6 : 4;
    return {
        id,
        url: `${API}/ipam/ip-addresses/${id}/`,
        display: address,
        family: { value: family, label: `IPv${family}` },
        address,
        vrf: null,
        tenant: null,
        status: { value: 'active', label: 'Active' },
        role: null,
        assigned_object_type: on ? 'dcim.interface' : null,
        assigned_object_id: on ? on.id : null,
        assigned_object: on ? nestedIface(on) : null,
        nat_inside: null,
        nat_outside: [],
        dns_name: '',
        description: '',
        ...more
    };
}

/** An address as a device's primary_ip4/6 gives it: its brief fields, its DNS name and NAT. */
function nestedIp(record: Obj): Obj {
    const fields = [
        'id',
        'url',
        'display',
        'family',
        'address',
        'description',
        'dns_name',
        'nat_inside',
        'nat_outside'
    ];
    return Object.fromEntries(fields.map(f => [f, record[f]]));
}

function prefix(id: number, text: string, description: string): Obj {
    const family = text.includes(':') ? 6 : 4;
    return {
        id,
        url: `${API}/ipam/prefixes/${id}/`,
        display: text,
        family: { value: family, label: `IPv${family}` },
        prefix: text,
        vrf: null,
        scope_type: 'dcim.site',
        scope_id: 1,
        scope: { id: 1, url: `${API}/dcim/sites/1/`, display: 'DC1', name: 'DC1', slug: 'dc1', description: '' },
        tenant: null,
        vlan: null,
        status: { value: 'active', label: 'Active' },
        role: null,
        is_pool: false,
        mark_utilized: false,
        description,
        children: 0,
        _depth: 0
    };
}

/**
 * r1 -- r2 (IPv4 and IPv6), r1 -- r3 (r3's end has no address), r2 -- r3 (no addresses), r1 -- r3
 * through a patch panel, r1 bond0 -- r2 bond0 (two member cables), a planned cable, r3 to a
 * circuit; Staff LAN on r1 (dual stack), an unnamed segment on r3; loopbacks on r1 and r2; a
 * management interface on r3; a PDU with a power cable.
 */
function dc() {
    const r1 = device(1, 'r1', 'Core Router');
    const r2 = device(2, 'r2', 'Edge Router');
    const r3 = device(3, 'r3', 'Edge Router');
    const pp1 = device(4, 'pp1', 'Patch Panel');
    const pdu1 = device(5, 'pdu1', 'PDU');
    const r1eth1 = iface(11, r1, 'eth1');
    const r1eth2 = iface(12, r1, 'eth2');
    const r1bond = iface(13, r1, 'bond0', { type: { value: 'lag', label: 'Link Aggregation Group (LAG)' } });
    const r1eth8 = iface(14, r1, 'eth8', { lag: nestedIface(r1bond) });
    const r1eth9 = iface(15, r1, 'eth9', { lag: nestedIface(r1bond) });
    const r1eth10 = iface(16, r1, 'eth10', { type: { value: 'virtual', label: 'Virtual' } });
    const r1lo = iface(17, r1, 'lo', { type: { value: 'virtual', label: 'Virtual' } });
    const r1eth7 = iface(18, r1, 'eth7');
    const r2eth1 = iface(21, r2, 'eth1');
    const r2eth3 = iface(22, r2, 'eth3');
    const r2bond = iface(23, r2, 'bond0', { type: { value: 'lag', label: 'Link Aggregation Group (LAG)' } });
    const r2eth8 = iface(24, r2, 'eth8', { lag: nestedIface(r2bond) });
    const r2eth9 = iface(25, r2, 'eth9', { lag: nestedIface(r2bond) });
    const r2lo = iface(26, r2, 'Loopback0', { type: { value: 'virtual', label: 'Virtual' } });
    const r2eth7 = iface(27, r2, 'eth7');
    const r3eth1 = iface(31, r3, 'eth1');
    const r3eth3 = iface(32, r3, 'eth3');
    const r3eth4 = iface(33, r3, 'eth4');
    const r3eth5 = iface(34, r3, 'eth5');
    const r3lan = iface(35, r3, 'Ethernet1/10');
    const r3mgmt = iface(36, r3, 'mgmt0', {
        mgmt_only: true,
        type: { value: '1000base-t', label: '1000BASE-T (1GE)' }
    });
    const r1eth5 = iface(19, r1, 'eth5', {
        connected_endpoints: [nestedIface(r3eth5)],
        connected_endpoints_type: 'dcim.interface',
        connected_endpoints_reachable: true
    });
    r3eth5.connected_endpoints = [nestedIface(r1eth5)];
    r3eth5.connected_endpoints_type = 'dcim.interface';
    r3eth5.connected_endpoints_reachable = true;
    const port = (type: string, id: number, name: string) => ({
        object_type: type,
        object_id: id,
        object: {
            id,
            url: `${API}/dcim/${type.split('.')[1]}s/${id}/`,
            display: name,
            device: nestedDevice(pp1),
            name,
            description: '',
            cable: null,
            _occupied: true
        }
    });
    const circuit = {
        object_type: 'circuits.circuittermination',
        object_id: 71,
        object: {
            id: 71,
            url: `${API}/circuits/circuit-terminations/71/`,
            display: 'CID-1: Termination Z',
            circuit: { id: 7, url: `${API}/circuits/circuits/7/`, display: 'CID-1', cid: 'CID-1', description: '' },
            term_side: 'Z',
            description: '',
            cable: null,
            _occupied: true
        }
    };
    const power = {
        object_type: 'dcim.powerport',
        object_id: 81,
        object: {
            id: 81,
            url: `${API}/dcim/power-ports/81/`,
            display: 'PSU1',
            device: nestedDevice(r1),
            name: 'PSU1',
            description: '',
            cable: null,
            _occupied: true
        }
    };
    const outlet = {
        ...power,
        object_type: 'dcim.poweroutlet',
        object_id: 82,
        object: { ...power.object, id: 82, device: nestedDevice(pdu1), name: '1' }
    };
    const r1primary = ip(108, '10.255.0.1/32', r1lo);
    const r3primary = ip(120, '192.168.0.3/24', r3mgmt);
    r1.primary_ip4 = nestedIp(r1primary);
    r3.primary_ip4 = nestedIp(r3primary);
    return {
        devices: [r1, r2, r3, pp1, pdu1],
        interfaces: [
            r1eth1,
            r1eth2,
            r1bond,
            r1eth8,
            r1eth9,
            r1eth10,
            r1lo,
            r1eth7,
            r1eth5,
            r2eth1,
            r2eth3,
            r2bond,
            r2eth8,
            r2eth9,
            r2lo,
            r2eth7,
            r3eth1,
            r3eth3,
            r3eth4,
            r3eth5,
            r3lan,
            r3mgmt
        ],
        cables: [
            cable(1, [term(r1eth1)], [term(r2eth1)]),
            cable(2, [term(r1eth2)], [term(r3eth1)]),
            cable(3, [term(r2eth3)], [term(r3eth3)]),
            cable(4, [term(r3eth4)], [circuit]),
            cable(5, [term(r1eth5)], [port('dcim.frontport', 41, '1')]),
            cable(6, [port('dcim.rearport', 42, '1')], [term(r3eth5)]),
            cable(7, [term(r1eth8)], [term(r2eth8)]),
            cable(8, [term(r1eth9)], [term(r2eth9)]),
            cable(9, [term(r1eth7)], [term(r2eth7)], 'planned'),
            cable(10, [power], [outlet])
        ],
        ip_addresses: [
            ip(101, '10.0.0.0/31', r1eth1),
            ip(102, '10.0.0.1/31', r2eth1),
            ip(103, '2001:db8:ff::/127', r1eth1),
            ip(104, '2001:db8:ff::1/127', r2eth1),
            ip(105, '10.0.0.2/31', r1eth2),
            ip(106, '10.1.10.1/24', r1eth10),
            ip(107, '2001:db8:10::1/64', r1eth10),
            r1primary,
            ip(109, '2001:db8:fffe::1/128', r1lo),
            ip(110, '10.255.0.2/32', r2lo),
            ip(111, '10.0.0.4/31', r1bond),
            ip(112, '10.0.0.5/31', r2bond),
            ip(113, '10.1.20.254/24', r3lan),
            r3primary,
            ip(130, '10.9.9.9/32'),
            ip(131, '10.8.8.8/24', undefined, {
                assigned_object_type: 'virtualization.vminterface',
                assigned_object_id: 5
            })
        ],
        prefixes: [
            prefix(201, '10.1.10.0/24', 'Staff LAN'),
            prefix(202, '10.0.0.0/16', 'Links'),
            prefix(203, '10.1.0.0/16', '')
        ]
    };
}

const EXPECTED_TWIN = {
    pools: { links: '10.254.0.0/16', loopbacks: '10.255.255.0/24' },
    devices: {
        r1: { role: 'core-router', loopback: ['10.255.0.1', '2001:db8:fffe::1'] },
        r2: { role: 'edge-router', loopback: '10.255.0.2' },
        r3: { role: 'edge-router' }
    },
    links: [
        { endpoints: ['r1:eth1', 'r2:eth1'], subnet: '10.0.0.0/31', subnet6: '2001:db8:ff::/127' },
        { endpoints: ['r1:eth2', 'r3:eth1'] },
        { endpoints: ['r2:eth3', 'r3:eth3'] },
        { endpoints: ['r1:eth5', 'r3:eth5'] },
        { endpoints: ['r1:bond0', 'r2:bond0'], subnet: '10.0.0.4/31' }
    ],
    segments: {
        'Staff-LAN': { prefix: ['10.1.10.0/24', '2001:db8:10::/64'], attach: 'r1:eth10' },
        'r3-Ethernet1-10': { prefix: '10.1.20.0/24', attach: 'r3:Ethernet1-10', gateway: '10.1.20.254' }
    }
};

const EXPECTED_WARNINGS = [
    {
        where: 'dcim.cables id 4',
        message:
            "The cable joins r3 eth4 to circuit CID-1, and NetBox traces no path through it to another device's interface: r3 eth4 is left out (declare what it reaches under externals: by hand)."
    },
    {
        where: 'dcim.cables id 9',
        message: 'The cable is planned, not connected: r1 eth7 and r2 eth7 are left out.'
    },
    {
        where: 'dcim.cables id 2',
        message: "r3:eth1 has no IPv4 address (r1:eth2 has 10.0.0.2/31): the link's subnet is left to the pools."
    },
    {
        where: 'dcim.cables id 3',
        message: "Neither r2 eth3 nor r3 eth3 has an address in NetBox: the link's subnet is left to the pools."
    },
    {
        where: 'dcim.cables id 5, the path NetBox traces from it to r3 eth5 and dcim.cables id 6, the path NetBox traces from it to r1 eth5',
        message: "Neither r1 eth5 nor r3 eth5 has an address in NetBox: the link's subnet is left to the pools."
    }
];

function warningsOf(result: { warnings: { where: string; message: string }[] }) {
    return result.warnings.filter(w => w.where.startsWith('dcim.'));
}

async function failure(promise: Promise<unknown>): Promise<{ where: string; message: string }> {
    try {
        await promise;
    } catch (error) {
        if (error instanceof ImportError) return { where: error.where, message: error.message };
        throw error;
    }
    throw new Error('imported without an error');
}

describe('import from a saved NetBox export', () => {
    it('makes cables links, addresses their subnets, prefixes segments, loopback addresses loopbacks, roles roles', async () => {
        const result = await importNetbox(jsonFile('netbox-export.json', dc()), {});
        expect(result.twin).toEqual({ network: 'netbox-export', ...EXPECTED_TWIN });
        expect(warningsOf(result)).toEqual(EXPECTED_WARNINGS);
        expect(result.warnings.filter(w => !w.where.startsWith('dcim.')).map(w => w.message)).toEqual([
            "2 device(s) have no cable to another device's interface, no address that makes a segment and no loopback address: left out: pp1, pdu1.",
            '1 management-only interface(s) are not part of the routed network: left out: r3 mgmt0.',
            '2 IP address(es) are on no interface of a device in the import (unassigned, on a virtual machine or an FHRP group, or on an interface the lists do not have): not imported: 10.9.9.9/32 (ipam.ip-addresses id 130), 10.8.8.8/24 (ipam.ip-addresses id 131).',
            "1 interface name(s) are not Linux interface names (1 to 15 bytes, no '/', ':', whitespace or quotes) and were renamed: r3 \"Ethernet1/10\" → Ethernet1-10."
        ]);
        expect(result.sources.get('links.3')).toBe(
            'dcim.cables id 5, the path NetBox traces from it to r3 eth5 and dcim.cables id 6, the path NetBox traces from it to r1 eth5'
        );
        expect(result.sources.get('links.4')).toBe('dcim.cables id 7 and dcim.cables id 8');
        expect(result.sources.get('segments.Staff-LAN')).toBe(
            'ipam.ip-addresses id 106 in ipam.prefixes id 201 and ipam.ip-addresses id 107'
        );
        expect(result.sources.get('devices.r2')).toBe('dcim.devices id 2 (r2)');
        const twin = loadImported(result);
        const r1 = twin.devices.get('r1')!;
        expect(formatAddress(r1.interfaces.get('eth1')!.address!)).toBe('10.0.0.0');
        expect(formatAddress6(r1.interfaces.get('eth1')!.address6!)).toBe('2001:db8:ff::');
        expect(formatAddress(twin.devices.get('r2')!.interfaces.get('bond0')!.address!)).toBe('10.0.0.5');
        expect(twin.devices.get('r3')!.loopback).toBeDefined();
    });

    it('takes a host address as a segment in the longest NetBox prefix holding it, and a host primary IP as the loopback', async () => {
        const r1 = device(1, 'r1', 'Router');
        const lan = iface(11, r1, 'eth3');
        const stub = iface(12, r1, 'eth4');
        const primary = ip(3, '2001:db8:fffe::9/128', stub);
        r1.primary_ip6 = nestedIp(primary);
        const result = await importNetbox(
            jsonFile('host.json', {
                devices: [r1],
                interfaces: [lan, stub],
                cables: [],
                ip_addresses: [ip(1, '10.7.0.1/32', lan), ip(2, '2001:db8:7::1/128', lan), primary],
                prefixes: [
                    prefix(1, '10.7.0.0/16', ''),
                    prefix(2, '10.7.0.0/24', 'Lab'),
                    prefix(3, '2001:db8:7::/64', '')
                ]
            }),
            {}
        );
        expect(result.twin.segments).toEqual({
            Lab: { prefix: ['10.7.0.0/24', '2001:db8:7::/64'], attach: 'r1:eth3' }
        });
        expect(result.twin.devices).toEqual({ r1: { role: 'router', loopback: '2001:db8:fffe::9' } });
        expect(result.warnings).toEqual([]);
        loadImported(result);
    });

    it('reads saved API pages too, refuses one that is a first page only, and names what is malformed', async () => {
        const lists = dc();
        const page = (results: unknown[], next: string | null = null) => ({
            count: results.length,
            next,
            previous: null,
            results
        });
        const paged = Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, page(v)]));
        expect((await importNetbox(jsonFile('netbox-export.json', paged), {})).twin).toEqual({
            network: 'netbox-export',
            ...EXPECTED_TWIN
        });
        const partial = { ...paged, cables: page(lists.cables.slice(0, 2), `${API}/dcim/cables/?limit=2&offset=2`) };
        expect((await failure(importNetbox(jsonFile('partial.json', partial), {}))).message).toContain(
            'cables: this is one page of 2 results, the next at https://netbox.example.com/api/dcim/cables/?limit=2&offset=2'
        );
        const { prefixes: _prefixes, ...noPrefixes } = lists;
        expect((await failure(importNetbox(jsonFile('no-prefixes.json', noPrefixes), {}))).message).toContain(
            "no 'prefixes': a saved NetBox export is one JSON object with the lists devices, interfaces, cables, ip_addresses, prefixes"
        );
        const badAddress = { ...lists, ip_addresses: [ip(5, '10.0.0.256/31', undefined)] };
        expect(await failure(importNetbox(jsonFile('bad.json', badAddress), {}))).toEqual({
            where: 'ipam.ip-addresses id 5',
            message:
                'ipam.ip-addresses id 5: \'address\' must be an address with its prefix length (10.0.0.1/31, 2001:db8::1/64), not the text "10.0.0.256/31".'
        });
        const noId = { ...lists, cables: [{ ...lists.cables[0], id: undefined }] };
        expect((await failure(importNetbox(jsonFile('noid.json', noId), {}))).message).toContain(
            "noid.json: cables[0]: has no 'id'."
        );
        expect((await failure(importNetbox(jsonFile('text.json', '{"devices": ['), {}))).message).toMatch(
            /text\.json:1:14: not JSON: the text ends before the JSON value does\.$/
        );
    });
});

/** A NetBox API on 127.0.0.1: the five lists in pages of `pageSize` ({count, next, previous, results}), each request's token checked. */
async function netboxServer(
    lists: Record<string, unknown[]>,
    options: { pageSize: number; authorization: string; nextOrigin?: string }
) {
    const endpoints: Record<string, string> = {
        '/api/dcim/devices/': 'devices',
        '/api/dcim/interfaces/': 'interfaces',
        '/api/dcim/cables/': 'cables',
        '/api/ipam/ip-addresses/': 'ip_addresses',
        '/api/ipam/prefixes/': 'prefixes'
    };
    const requests: string[] = [];
    const server = http.createServer((request, response) => {
        requests.push(request.url!);
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const url = new URL(request.url!, origin);
        const send = (status: number, body: unknown) => {
            response.writeHead(status, { 'Content-Type': 'application/json' });
            response.end(JSON.stringify(body));
        };
        if (request.headers.authorization !== options.authorization) return send(403, { detail: 'Invalid token' });
        const name = endpoints[url.pathname];
        if (!name) return send(404, { detail: 'Not found.' });
        const all = lists[name];
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 50), options.pageSize);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const page = (at: number) => {
            const next = new URL(url.href.replace(origin, options.nextOrigin ?? origin));
            next.searchParams.set('limit', String(limit));
            next.searchParams.set('offset', String(at));
            return next.href;
        };
        send(200, {
            count: all.length,
            next: offset + limit < all.length ? page(offset + limit) : null,
            previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
            results: all.slice(offset, offset + limit)
        });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, requests, close: () => new Promise<void>(resolve => server.close(() => resolve())) };
}

describe('import live from a NetBox', () => {
    let api: Awaited<ReturnType<typeof netboxServer>>;
    beforeAll(async () => {
        api = await netboxServer(dc(), { pageSize: 2, authorization: 'Token 0123456789abcdef' });
    });
    afterAll(() => api.close());

    it('follows every next page with the token and imports what the saved export gives', async () => {
        const result = await importNetbox(`${api.url}/`, { token: '0123456789abcdef' });
        expect(result.twin).toEqual({ network: 'netbox', ...EXPECTED_TWIN });
        expect(warningsOf(result)).toEqual(EXPECTED_WARNINGS);
        loadImported(result);
        // 5 devices, 22 interfaces, 10 cables, 16 addresses, 3 prefixes in pages of 2.
        expect(api.requests.filter(r => r.startsWith('/api/dcim/interfaces/'))).toHaveLength(11);
        expect(api.requests).toContain('/api/dcim/interfaces/?limit=2&offset=20');
        expect(api.requests).toHaveLength(3 + 11 + 5 + 8 + 2);
    });

    it("passes the URL's query to the devices list only, and reads /api/ given at the end of the URL", async () => {
        api.requests.length = 0;
        const result = await importNetbox(`${api.url}/api/?site=dc1&role=edge-router`, { token: '0123456789abcdef' });
        expect(api.requests[0]).toBe('/api/dcim/devices/?site=dc1&role=edge-router&limit=1000');
        expect(api.requests.filter(r => r.includes('site='))).toHaveLength(1 + 2);
        expect(result.twin.devices.r1).toBeDefined();
    });

    it('is an error naming the URL when NetBox refuses the token, or has no such API', async () => {
        expect(await failure(importNetbox(api.url, { token: 'wrong' }))).toEqual({
            where: `${api.url}/api/dcim/devices/?limit=1000`,
            message: `${api.url}/api/dcim/devices/?limit=1000: NetBox answered HTTP 403 Forbidden: Invalid token. Check the token in NETBOX_TOKEN (it needs read access to DCIM and IPAM).`
        });
        expect((await failure(importNetbox(api.url, {}))).message).toContain('Give an API token in NETBOX_TOKEN.');
        expect((await failure(importNetbox(`${api.url}/netbox`, { token: '0123456789abcdef' }))).message).toContain(
            "HTTP 404 Not Found: Not found.. Is this the NetBox's URL"
        );
        expect((await failure(importNetbox('http://127.0.0.1:1/', {}))).message).toContain('cannot reach NetBox');
    });

    it('sends a v2 token as Bearer, and never follows a next page to another server', async () => {
        const v2 = await netboxServer(dc(), { pageSize: 1000, authorization: 'Bearer nbt_abc123.secret' });
        try {
            expect((await importNetbox(v2.url, { token: 'nbt_abc123.secret' })).twin.links).toHaveLength(5);
        } finally {
            await v2.close();
        }
        const elsewhere = await netboxServer(dc(), {
            pageSize: 2,
            authorization: 'Token t',
            nextOrigin: 'http://attacker.example'
        });
        try {
            expect((await failure(importNetbox(elsewhere.url, { token: 't' }))).message).toContain(
                "NetBox's next page is on another server than"
            );
            expect(elsewhere.requests).toHaveLength(1);
        } finally {
            await elsewhere.close();
        }
    });

    it('uses the fetch it is given', async () => {
        const seen: string[] = [];
        const fake: typeof fetch = async input => {
            seen.push(String(input));
            return new Response(JSON.stringify({ count: 0, next: null, previous: null, results: [] }), { status: 200 });
        };
        const result = await importNetbox('https://netbox.example.com', { fetch: fake, token: 't' });
        expect(seen).toHaveLength(5);
        expect(result.twin).toEqual({ network: 'netbox', devices: {}, links: [] });
    });
});
