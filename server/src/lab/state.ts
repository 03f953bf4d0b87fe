/**
 * The lab's whole forwarding state beside the compiled one, device by device, as the kernel holds
 * it (not as FRR reports it: the two can part, see frr/render.ts): the main routing table, the
 * policy-routing tables and rules, and the nftables ruleset loaded. Under failures the FIB and the tables are the simulator's for those failures;
 * the rules and the rulesets never change. Any difference is one line naming the device and what
 * differs, so a steering table that lost its routes or a flushed chain shows up like a route.
 */
import type { CompiledNetwork } from '../compile/compile.js';
import { contentKey } from '../common/content-key.js';
import { emptyDevice, type DeviceConfig } from '../config/model.js';
import { parseNftables } from '../config/nftables/parse.js';
import { renderNftables, TABLE_NAME } from '../config/nftables/render.js';
import type { Bound } from '../net/interval-set.js';
import { NO_FAILURES, SimNetwork, type Failures } from '../simulate/network.js';
import { IPV6_ROUTING } from '../simulate/routing-family.js';
import { PrefixUniverse, RoutingState } from '../simulate/routing.js';
import { hasIPv6, type Twin } from '../twin/model.js';
import { NetworkVerifier } from '../verify/verify.js';
import { fibDifferences, kernelTable, simulatedFib, simulatedTable } from './fib.js';
import type { LabDevice, LabState } from './lab.js';
import { inNamespace } from './system.js';

/** What was compared, counted, and every difference found. */
export interface StateComparison {
    differences: string[];
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
    const routing = new NetworkVerifier(twin, compiled.devices).context(failures).routing;
    // IPv6's routes where the twin has IPv6 (the verifier simulates IPv4 only so far).
    const routing6 = hasIPv6(twin)
        ? new RoutingState(
              new SimNetwork(twin, compiled.devices),
              failures,
              new PrefixUniverse(compiled.devices.values(), IPV6_ROUTING),
              undefined,
              IPV6_ROUTING
          )
        : undefined;
    const result: StateComparison = { differences: [], fibEntries: 0, tableRoutes: 0, rules: 0, chains: 0 };
    for (const entry of state.devices.filter(d => !failures.devices.has(d.device))) {
        const config = compiled.devices.get(entry.device)!;
        compareFib(entry, routing, compiled, result);
        if (routing6) compareFib(entry, routing6, compiled, result);
        compareTables(entry, config, routing, result);
        compareRules(entry, config, result);
        compareRuleset(entry, config, result);
    }
    result.differences.sort();
    return result;
}

function compareFib<A extends Bound>(
    entry: LabDevice,
    routing: RoutingState<A>,
    compiled: CompiledNetwork,
    result: StateComparison
): void {
    const simulated = simulatedFib(routing, entry.device, compiled.devices);
    const real = kernelTable(entry.namespace, 'main', routing.family.version);
    result.fibEntries += new Set([...simulated.keys(), ...real.keys()]).size;
    result.differences.push(...fibDifferences(entry.device, simulated, real));
}

/** Each policy-routing table the rules select: its routes in the kernel, as simulated. */
function compareTables(entry: LabDevice, config: DeviceConfig, routing: RoutingState, result: StateComparison): void {
    for (const table of new Set(config.ipRules.map(r => r.table))) {
        const simulated = simulatedTable(routing, config, table);
        const real = kernelTable(entry.namespace, table);
        result.tableRoutes += new Set([...simulated.keys(), ...real.keys()]).size;
        result.differences.push(...fibDifferences(`${entry.device} table ${table}`, simulated, real));
    }
}

function compareRules(entry: LabDevice, config: DeviceConfig, result: StateComparison): void {
    const listed = JSON.parse(inNamespace(entry.namespace, 'ip', ['-j', 'rule', 'show'])) as Array<{
        priority: number;
        fwmark?: string;
        table?: string;
    }>;
    const real = listed
        .filter(r => !KERNEL_RULES.has(r.priority))
        .map(
            r => `priority ${r.priority} fwmark ${r.fwmark === undefined ? 'any' : Number(r.fwmark)} table ${r.table}`
        );
    const compiled = config.ipRules.map(r => `priority ${r.priority} fwmark ${r.fwmark} table ${r.table}`);
    result.rules += new Set([...real, ...compiled]).size;
    for (const rule of compiled.filter(r => !real.includes(r)))
        result.differences.push(`${entry.device} ip rule ${rule}: compiled, kernel none`);
    for (const rule of real.filter(r => !compiled.includes(r)))
        result.differences.push(`${entry.device} ip rule ${rule}: kernel has it, not compiled`);
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
