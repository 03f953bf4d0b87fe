/**
 * Twin symbols as link targets. The grammar declares TwinDevice, TwinSegment, … as interfaces
 * that no parser rule produces; these are their instances, made from the loaded twin, each
 * keeping the YAML file and range it came from (for go-to-definition and hover).
 */
import { URI, type AstNode, type AstNodeDescription } from 'langium';
import { toZeroBased, type SourceLocation } from '../common/diagnostic.js';
import { formatAddress, formatPrefix } from '../net/ipv4.js';
import { formatAddress6, formatPrefix6 } from '../net/ipv6.js';
import { interfaceName, type Twin } from '../twin/model.js';
import { TwinDevice, TwinExternal, TwinHost, TwinInterface, TwinSegment } from './generated/ast.js';

export type TwinSymbolType =
    | typeof TwinDevice.$type
    | typeof TwinInterface.$type
    | typeof TwinSegment.$type
    | typeof TwinHost.$type
    | typeof TwinExternal.$type;

export interface TwinSymbolNode extends AstNode {
    readonly $type: TwinSymbolType;
    readonly name: string;
    /** Where the twin declares it. */
    readonly location: SourceLocation;
    /** For interfaces: the device it belongs to. */
    readonly device?: string;
    /** One line about it, for completion and hover ("10.1.10.0/24 on leaf1:eth10"). */
    readonly detail: string;
}

/** What people call each kind, for messages. */
export const TWIN_KIND_NAMES: Record<TwinSymbolType, string> = {
    TwinDevice: 'device',
    TwinInterface: 'interface',
    TwinSegment: 'segment',
    TwinHost: 'host',
    TwinExternal: 'external'
};

export function isTwinSymbol(node: unknown): node is TwinSymbolNode {
    return typeof node === 'object' && node !== null && (node as AstNode).$type in TWIN_KIND_NAMES;
}

/** The symbols of one twin, by kind, made once per loaded twin. */
export class TwinSymbols {
    private readonly byType = new Map<string, AstNodeDescription[]>();
    private readonly interfacesByDevice = new Map<string, AstNodeDescription[]>();

    constructor(twin: Twin) {
        const add = (type: TwinSymbolType, name: string, location: SourceLocation, detail: string, device?: string) => {
            const node: TwinSymbolNode = { $type: type, name, location, device, detail };
            const description = describe(node);
            const list = device === undefined ? this.byType : this.interfacesByDevice;
            const key = device ?? type;
            list.set(key, [...(list.get(key) ?? []), description]);
        };
        // Each family's address that is there ("10.0.0.1/31, 2001:db8:ff00::/127"), or "no address".
        const address = (a?: number, length?: number, a6?: bigint, length6?: number) => {
            const parts = [
                ...(a === undefined ? [] : [`${formatAddress(a)}${length === undefined ? '' : `/${length}`}`]),
                ...(a6 === undefined ? [] : [`${formatAddress6(a6)}${length6 === undefined ? '' : `/${length6}`}`])
            ];
            return parts.length === 0 ? 'no address' : parts.join(', ');
        };
        for (const device of twin.devices.values()) {
            add(
                TwinDevice.$type,
                device.name,
                device.location,
                `${device.role}, loopback ${address(device.loopback, undefined, device.loopback6)}, ${device.interfaces.size} interfaces`
            );
            for (const iface of device.interfaces.values())
                add(
                    TwinInterface.$type,
                    iface.name,
                    iface.location,
                    `${iface.use} interface, ${address(iface.address, iface.prefixLength, iface.address6, iface.prefixLength6)}`,
                    device.name
                );
        }
        for (const segment of twin.segments.values()) {
            add(
                TwinSegment.$type,
                segment.name,
                segment.location,
                `${[...(segment.prefix ? [formatPrefix(segment.prefix)] : []), ...(segment.prefix6 ? [formatPrefix6(segment.prefix6)] : [])].join(', ')}${segment.attach ? ` on ${interfaceName(segment.attach)}` : ''}`
            );
        }
        for (const host of twin.hosts.values())
            add(
                TwinHost.$type,
                host.name,
                host.location,
                `${address(host.address, undefined, host.address6)} in segment ${host.segment}`
            );
        for (const external of twin.externals.values()) {
            add(
                TwinExternal.$type,
                external.name,
                external.location,
                `${[...external.prefixes.map(formatPrefix), ...external.prefixes6.map(formatPrefix6)].join(', ')}${external.attach ? ` via ${interfaceName(external.attach)}` : ''}`
            );
        }
    }

    of(type: TwinSymbolType): AstNodeDescription[] {
        return this.byType.get(type) ?? [];
    }

    interfacesOf(device: string): AstNodeDescription[] {
        return this.interfacesByDevice.get(device) ?? [];
    }
}

function describe(node: TwinSymbolNode): AstNodeDescription {
    return {
        node,
        type: node.$type,
        name: node.name,
        documentUri: URI.file(node.location.file),
        path: '',
        nameSegment: {
            offset: 0,
            length: 0,
            end: 0,
            range: toZeroBased(node.location.range)
        }
    };
}
