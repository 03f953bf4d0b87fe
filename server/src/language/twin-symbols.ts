/**
 * Twin symbols as link targets. The grammar declares TwinDevice, TwinSegment, … as interfaces
 * that no parser rule produces; these are their instances, made from the loaded twin, each
 * keeping the YAML file and range it came from (for go-to-definition and hover).
 */
import { URI, type AstNode, type AstNodeDescription } from 'langium';
import { toZeroBased, type SourceLocation } from '../common/diagnostic.js';
import { formatAddress, formatPrefix } from '../net/ipv4.js';
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
        const address = (a?: number, length?: number) =>
            a === undefined ? 'no address' : `${formatAddress(a)}${length === undefined ? '' : `/${length}`}`;
        for (const device of twin.devices.values()) {
            add(
                TwinDevice.$type,
                device.name,
                device.location,
                `${device.role}, loopback ${address(device.loopback)}, ${device.interfaces.size} interfaces`
            );
            for (const iface of device.interfaces.values())
                add(
                    TwinInterface.$type,
                    iface.name,
                    iface.location,
                    `${iface.use} interface, ${address(iface.address, iface.prefixLength)}`,
                    device.name
                );
        }
        for (const segment of twin.segments.values()) {
            add(
                TwinSegment.$type,
                segment.name,
                segment.location,
                `${formatPrefix(segment.prefix)}${segment.attach ? ` on ${interfaceName(segment.attach)}` : ''}`
            );
        }
        for (const host of twin.hosts.values())
            add(TwinHost.$type, host.name, host.location, `${formatAddress(host.address)} in segment ${host.segment}`);
        for (const external of twin.externals.values()) {
            add(
                TwinExternal.$type,
                external.name,
                external.location,
                `${external.prefixes.map(formatPrefix).join(', ')}${external.attach ? ` via ${interfaceName(external.attach)}` : ''}`
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
