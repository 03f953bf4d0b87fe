/**
 * The intent IR: every requirement resolved to the packets it is about and the constraints on
 * their paths. Later stages (compile, verify) read only this and the twin, never the syntax.
 */
import type { SourceLocation } from '../common/diagnostic.js';
import type { Packet, PacketSet } from '../net/packet-set.js';
import type { IntervalSet } from '../net/interval-set.js';
import type { InterfaceKey, Twin } from '../twin/model.js';

/** A resolved endpoint: what it was written as, and the addresses it stands for. */
/** What an endpoint stands for: its IPv4 addresses and its IPv6 addresses. */
export interface EndpointSet {
    label: string;
    addresses: IntervalSet;
    addresses6: IntervalSet<bigint>;
}

export type RequirementKind = 'allow' | 'deny' | 'isolate' | 'default';

export type Failure =
    | { kind: 'device'; device: string }
    | { kind: 'link'; a: InterfaceKey; b: InterfaceKey }
    | { kind: 'interface'; interface: InterfaceKey };

export interface ScenarioIR {
    name: string;
    failures: Failure[];
    location: SourceLocation;
}

export interface PathConstraints {
    /** Waypoints in the order the path must traverse them; each a set of devices, of which the path passes one (`via any of`). */
    via: string[][];
    avoidDevices: string[];
    avoidLinks: Array<{ a: InterfaceKey; b: InterfaceKey }>;
    survive?: { count: number; kind: 'link' | 'node' };
    latencyUs?: number;
    hops?: number;
}

/** Whether constraints ask anything of the path (waypoints, avoided devices or links, a bound on hops or latency). */
export function constrainsPath(c: PathConstraints): boolean {
    return (
        c.via.length > 0 ||
        c.avoidDevices.length > 0 ||
        c.avoidLinks.length > 0 ||
        c.hops !== undefined ||
        c.latencyUs !== undefined
    );
}

export interface Requirement {
    kind: RequirementKind;
    /** The intent it belongs to ('default' for the implicit default-deny requirement). */
    intent: string;
    location: SourceLocation;
    /** One endpoint pair per direction: an isolate has two or more. */
    flows: Array<{ source: EndpointSet; destination: EndpointSet }>;
    /** Every packet the statement is about. */
    packets: PacketSet;
    /** The packets it decides once more specific statements have taken theirs. */
    effective: PacketSet;
    /** Allows let replies back unless written `oneway`. */
    stateful: boolean;
    constraints: PathConstraints;
    scenarios: ScenarioIR[];
}

export interface IntentIR {
    name: string;
    description?: string;
    location: SourceLocation;
    requirements: Requirement[];
}

/** An allow and a deny that share packets with neither containing the other. */
export interface Conflict {
    allow: Requirement;
    deny: Requirement;
    witness: Packet;
}

/** Everything the intent files bound to one twin say. */
export interface IntentProgram {
    twin: Twin;
    defaultAction: 'allow' | 'deny';
    intents: IntentIR[];
    /** The implicit requirement of `default deny`, if a file says so. */
    defaultRequirement?: Requirement;
    conflicts: Conflict[];
    /** Requirements that more specific statements carve into more parts than netintent resolves (see overlap.ts). */
    tooCarved: Requirement[];
}
