/**
 * The extension's own protocol on top of LSP: what the client asks the server and what it is
 * told. Shared by both sides (the client bundles it).
 */
import type { Target } from '../compile/targets.js';

export const COMPILE_REQUEST = 'netintent/compile';
export const VERIFY_REQUEST = 'netintent/verify';
export const TOPOLOGY_REQUEST = 'netintent/topology';
export const VERDICTS_NOTIFICATION = 'netintent/verdicts';

export interface CompileParams {
    uri: string;
    /** Absolute, or relative to the folder of the file. */
    outDir: string;
    target: Target;
}

export interface CompileResult {
    network?: string;
    written: number;
    unchanged: number;
    refused: string[];
    outDir?: string;
    error?: string;
}

export interface TopologyParams {
    uri: string;
    position?: { line: number; character: number };
}

export interface Topology {
    network: string;
    devices: Array<{ name: string; role: string }>;
    links: Array<{ a: string; b: string; label: string }>;
    places: Array<{ name: string; device: string }>;
    /** The requirement under the cursor: its failing path (red) with the device where it failed, or the holding ones. */
    paths: Array<{ devices: string[]; failing: boolean }>;
    dropAt?: string;
    requirement?: string;
}
