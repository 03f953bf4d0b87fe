/**
 * What every twin importer produces (`netintent twin import`): the content of a twin file, in the
 * very shape docs/twin.md describes and schemas/twin.schema.json checks, with where each part came
 * from. The importers only read their source and build this; writing it (YAML with the sources as
 * comments, atomically) is one step for all of them.
 */

/** One address, or one per family. */
export type OneOrBoth = string | [string, string];

export interface DeviceDocument {
    role?: string;
    platform?: string;
    loopback?: OneOrBoth;
    asn?: number;
    'router-id'?: string;
}

export interface LinkDocument {
    endpoints: [string, string];
    subnet?: string;
    subnet6?: string;
    cost?: number;
    latency?: string;
    bandwidth?: string;
}

export interface SegmentDocument {
    prefix: OneOrBoth;
    attach: string;
    gateway?: OneOrBoth;
}

export interface HostDocument {
    segment: string;
    address: OneOrBoth;
}

export interface ExternalDocument {
    prefixes: string[];
    attach: string;
    address?: OneOrBoth;
    peer?: OneOrBoth;
}

/** A twin file's content (the keys in the order the file shows them). */
export interface TwinDocument {
    network: string;
    routing?: 'ospf' | 'bgp' | 'static';
    pools?: { links?: string; loopbacks?: string; links6?: string; loopbacks6?: string };
    devices: Record<string, DeviceDocument>;
    links: LinkDocument[];
    segments?: Record<string, SegmentDocument>;
    hosts?: Record<string, HostDocument>;
    externals?: Record<string, ExternalDocument>;
}

/** Something the importer read but could not place, or placed by a guess: said, never silently dropped. */
export interface ImportWarning {
    /** Where in the source: a file and line, a JSON path (`$.ietf-network:networks.network[0].link[3]`), a NetBox object. */
    where: string;
    message: string;
}

/** A source the importer cannot read at all: where and what is wrong, for the user to fix. */
export class ImportError extends Error {
    constructor(
        readonly where: string,
        message: string
    ) {
        super(`${where}: ${message}`);
    }
}

export interface TwinImport {
    twin: TwinDocument;
    /**
     * Where each part came from, by its path in `twin` (`devices.r1`, `links.3`, `segments.web`,
     * `externals.internet`): written as a comment above the part.
     */
    sources: Map<string, string>;
    warnings: ImportWarning[];
}
