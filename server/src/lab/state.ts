/**
 * The lab's whole forwarding state beside the compiled one, device by device, as the kernel holds
 * it (not as FRR reports it: the two can part, see frr/render.ts): the main routing table, the
 * policy-routing tables and rules, and the nftables ruleset loaded. Under failures the FIB and the tables are the simulator's for those failures;
 * the rules and the rulesets never change. Any difference is one line naming the device and what
 * differs, so a steering table that lost its routes or a flushed chain shows up like a route.
 */
import type { CompiledNetwork } from '../compile/compile.js';
import { contentKey } from '../common/content-key.js';
import { emptyDevice, type DeviceConfig, type IpRule } from '../config/model.js';
import { parseNftables } from '../config/nftables/parse.js';
import { renderNftables, TABLE_NAME } from '../config/nftables/render.js';
import type { Bound } from '../net/interval-set.js';
import { formatPrefix6 } from '../net/ipv6.js';
import { NO_FAILURES, type Failures } from '../simulate/network.js';
import type { RoutingState } from '../simulate/routing.js';
import { hasIPv6, type Twin } from '../twin/model.js';
import { NetworkVerifier } from '../verify/verify.js';
import { fibDifferences, kernelTable, simulatedFib, simulatedTable } from './fib.js';
import type { LabDevice, LabState } from './lab.js';
import { inNamespace } from './system.js';

/** What was compared, counted, and every difference found. */
export interface StateComparison {
    differences: string[];
    /**
     * Differences of one class FRR is known for, kept apart (not differences of the lab from the
     * compiled state: the verifier leaves what they concern unproved): routes to IPv6 prefixes that
     * several routers announce, which FRR 8.4's ospf6d keeps stale after a link fails (see
     * KNOWN_FRR_DIFFERENCE). The compiler announces none such; a configuration read back may.
     */
    known: string[];
    /**
     * The other known class: routes of an IPv6 policy table that the kernel holds on their
     * blackhole under a failure where the simulator has a next hop (KNOWN_STEERING6_DIFFERENCE;
     * the verifier leaves IPv6 steering under failures unproved).
     */
    steering6: string[];
    fibEntries: number;
    tableRoutes: number;
    rules: number;
    chains: number;
}

/** The rules the kernel keeps whatever is configured (local, main, default). */
const KERNEL_RULES = new Set([0, 32766, 32767]);

/** Compares every device that is not failed; `failures` are in force in the lab. */
export function compareState(
    state: LabState,
    twin: Twin,
    compiled: CompiledNetwork,
    failures: Failures = NO_FAILURES
): StateComparison {
    const verifier = new NetworkVerifier(twin, compiled.devices);
    const { routing, routing6 } = verifier.context(failures);
    const result: StateComparison = {
        differences: [],
        known: [],
        steering6: [],
        fibEntries: 0,
        tableRoutes: 0,
        rules: 0,
        chains: 0
    };
    // The prefixes several routers announce into OSPFv3 (the known class of differences).
    const shared6 = new Set(verifier.context().routing6.ospfPrefixesOfSeveral().map(formatPrefix6));
    for (const entry of state.devices.filter(d => !failures.devices.has(d.device))) {
        const config = compiled.devices.get(entry.device)!;
        compareFib(entry, routing, compiled, result);
        if (hasIPv6(twin)) compareFib(entry, routing6, compiled, result, shared6);
        compareTables(entry, config, config.ipRules, routing, result, failures);
        compareRules(entry, config.ipRules, 4, result);
        if (hasIPv6(twin)) {
            compareTables(entry, config, config.ipRules6, routing6, result, failures);
            compareRules(entry, config.ipRules6, 6, result);
        }
        compareRuleset(entry, config, result);
    }
    result.differences.sort();
    result.known.sort();
    result.steering6.sort();
    return result;
}

/** Why the known differences are not the lab's: what `lab up` and `lab status` say of them. */
export const KNOWN_FRR_DIFFERENCE =
    "FRR 8.4's ospf6d keeps stale routes to IPv6 prefixes that several routers announce after a link failed (FRRouting/frr#13579 class; the verifier leaves IPv6 to and from such prefixes unproved)";

/** Why the IPv6 steering differences are not the lab's (see IPV6_STEERING_AFTER_FAILURES in verify.ts). */
export const KNOWN_STEERING6_DIFFERENCE =
    'FRR 8.4 can leave a recursive IPv6 static route of a policy table inactive after a link failed, its blackhole in force, though its next hop has a route again (the verifier leaves IPv6 steering under failures unproved)';

/** `known`: prefixes whose differences are the known FRR class. */
function compareFib<A extends Bound>(
    entry: LabDevice,
    routing: RoutingState<A>,
    compiled: CompiledNetwork,
    result: StateComparison,
    known: ReadonlySet<string> = new Set()
): void {
    const simulated = simulatedFib(routing, entry.device, compiled.devices);
    const real = kernelTable(entry.namespace, 'main', routing.family.version);
    result.fibEntries += new Set([...simulated.keys(), ...real.keys()]).size;
    for (const difference of fibDifferences(entry.device, simulated, real))
        (known.has(difference.prefix) ? result.known : result.differences).push(difference.text);
}

/** Each policy-routing table one family's rules select: its routes in the kernel, as simulated. */
function compareTables<A extends Bound>(
    entry: LabDevice,
    config: DeviceConfig,
    rules: readonly IpRule[],
    routing: RoutingState<A>,
    result: StateComparison,
    failures: Failures
): void {
    const family = routing.family.version;
    const underFailures = failures.links.size + failures.devices.size + failures.interfaces.size > 0;
    for (const table of new Set(rules.map(r => r.table))) {
        const simulated = simulatedTable(routing, config, table);
        const real = kernelTable(entry.namespace, table, family);
        result.tableRoutes += new Set([...simulated.keys(), ...real.keys()]).size;
        const name = `${entry.device}${family === 6 ? ' IPv6' : ''} table ${table}`;
        for (const difference of fibDifferences(name, simulated, real)) {
            const leftOnBlackhole =
                family === 6 &&
                underFailures &&
                real.get(difference.prefix)?.[0] === 'blackhole' &&
                simulated.get(difference.prefix)?.[0] !== 'blackhole';
            (leftOnBlackhole ? result.steering6 : result.differences).push(difference.text);
        }
    }
}

/** One family's policy rules (`ip rule`, `ip -6 rule`): the kernel's beside the compiled ones. */
function compareRules(entry: LabDevice, rules: readonly IpRule[], family: 4 | 6, result: StateComparison): void {
    const listed = JSON.parse(inNamespace(entry.namespace, 'ip', [`-${family}`, '-j', 'rule', 'show'])) as Array<{
        priority: number;
        fwmark?: string;
        table?: string;
    }>;
    const real = listed
        .filter(r => !KERNEL_RULES.has(r.priority))
        .map(
            r => `priority ${r.priority} fwmark ${r.fwmark === undefined ? 'any' : Number(r.fwmark)} table ${r.table}`
        );
    const compiled = rules.map(r => `priority ${r.priority} fwmark ${r.fwmark} table ${r.table}`);
    result.rules += new Set([...real, ...compiled]).size;
    const ip = family === 6 ? 'ip -6' : 'ip';
    for (const rule of compiled.filter(r => !real.includes(r)))
        result.differences.push(`${entry.device} ${ip} rule ${rule}: compiled, kernel none`);
    for (const rule of real.filter(r => !compiled.includes(r)))
        result.differences.push(`${entry.device} ${ip} rule ${rule}: kernel has it, not compiled`);
}

/**
 * The ruleset nft lists, read back as a packet filter, beside nftables.nft read the same way
 * (what the comparison reads is the model the verifier checks, not the text's layout).
 */
function compareRuleset(entry: LabDevice, config: DeviceConfig, result: StateComparison): void {
    const listed = inNamespace(entry.namespace, 'nft', ['list', 'table', ...TABLE_NAME.split(' ')], {
        allowFailure: true
    });
    const real = rulesetChains(config, listed);
    const compiled = rulesetChains(config, renderNftables(config));
    result.chains += new Set([...real.keys(), ...compiled.keys()]).size;
    for (const name of new Set([...compiled.keys(), ...real.keys()])) {
        const a = compiled.get(name);
        const b = real.get(name);
        if (a !== b)
            result.differences.push(
                `${entry.device} nftables chain ${name}: ${!b ? 'not loaded' : !a ? 'loaded, not compiled' : 'loaded rules differ from the compiled ones'}`
            );
    }
}

const WITHOUT_LOCATIONS = new Set(['location']);

/** Chains by name, as text without where their rules were read (the same rule is on another line in a listing). */
export function rulesetChains(config: DeviceConfig, text: string): Map<string, string> {
    const read = emptyDevice(config.hostname, config.role);
    parseNftables(read, text, TABLE_NAME);
    return new Map(read.filter.chains.map(chain => [chain.name, contentKey(chain, WITHOUT_LOCATIONS)]));
}

/** "310 FIB entries, 4 policy-table routes, 4 ip rules, 23 nftables chains". */
export function describeComparison(comparison: StateComparison): string {
    return `${comparison.fibEntries} FIB entries, ${comparison.tableRoutes} policy-table routes, ${comparison.rules} ip rules, ${comparison.chains} nftables chains`;
}
