/**
 * A `holds` that can be trusted: each false pass found by trying the tool as a new user would,
 * reproduced on a small hand-checked twin. Each test failed before the fix it names.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileNetwork } from '../../server/src/compile/compile.js';
import type { DeviceConfig } from '../../server/src/config/model.js';
import { parseNftables } from '../../server/src/config/nftables/parse.js';
import { renderNftables, renderPolicyRouting } from '../../server/src/config/nftables/render.js';
import { emptyDevice } from '../../server/src/config/model.js';
import { formatAddress } from '../../server/src/net/ipv4.js';
import { verifyProgram } from '../../server/src/verify/program.js';
import type { RequirementVerdict } from '../../server/src/verify/verify.js';
import { requireTool, sbin } from '../support/system.js';
import { checkWorkspace, netintentServices } from '../support/workspace.js';
import { temporaryFolder } from '../support/temporary.js';

/**
 *   users (10.1.1.0/24, printer1 .9) on edge1 -- core1 -- edge2 (staff 10.1.2.0/24)
 *                                                 |  \
 *                                                fw1  guest-wifi (10.1.3.0/24) on core1 itself
 *                                                 |
 *                                               edge3 (servers 10.1.4.0/24)
 *   internet on core1:eth9, a single uplink.
 */
const CAMPUS = `network: small-campus
pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }
devices:
  edge1: { role: access }
  core1: { role: core }
  edge2: { role: access }
  fw1:   { role: firewall }
  edge3: { role: access }
links:
  - endpoints: [edge1:eth1, core1:eth1]
  - endpoints: [core1:eth2, edge2:eth1]
  - endpoints: [core1:eth3, fw1:eth1]
  - endpoints: [fw1:eth2, edge3:eth1]
segments:
  users:      { prefix: 10.1.1.0/24, attach: edge1:eth10 }
  staff:      { prefix: 10.1.2.0/24, attach: edge2:eth10 }
  guest-wifi: { prefix: 10.1.3.0/24, attach: core1:eth10 }
  servers:    { prefix: 10.1.4.0/24, attach: edge3:eth10 }
hosts:
  printer1: { segment: users, address: 10.1.1.9 }
externals:
  internet: { prefixes: [0.0.0.0/0], attach: core1:eth9, address: 203.0.113.2/30, peer: 203.0.113.1 }
`;

interface Verified {
    verdicts: Map<string, RequirementVerdict[]>;
    devices: Map<string, DeviceConfig>;
}

/** Compiles and verifies `intents` on `twin`; `edit` changes the compiled configurations first. */
async function verify(
    intents: string,
    edit?: (devices: Map<string, DeviceConfig>) => void,
    twin = CAMPUS
): Promise<Verified> {
    const checked = await checkWorkspace({ 'net.twin.yaml': twin, 'main.intent': `twin "net.twin.yaml"\n${intents}` });
    expect(checked.lines.filter(l => l.includes(' error '))).toEqual([]);
    const program = netintentServices().intent.IntentPrograms.forTwin(
        path.join(checked.folder, 'net.twin.yaml')
    ).program;
    const { devices } = compileNetwork(program);
    edit?.(devices);
    const result = verifyProgram(program, devices);
    const verdicts = new Map<string, RequirementVerdict[]>();
    for (const [requirement, verdict] of result.verdicts)
        verdicts.set(requirement.intent, [...(verdicts.get(requirement.intent) ?? []), verdict]);
    return { verdicts, devices };
}

const summary = (v: RequirementVerdict) =>
    v.verdict === 'violated'
        ? `violated: ${v.counterexample!.reason} [${v.counterexample!.failures.join(', ')}]`
        : v.verdict === 'unknown'
          ? `unknown: ${v.unknown}`
          : 'holds';

/** The device's nftables.nft as text, edited, and read back as the verifier reads a hand-edited file. */
function handEdited(config: DeviceConfig, edit: (text: string) => string): void {
    const read = emptyDevice(config.hostname, config.role);
    read.interfaces = config.interfaces;
    const script = renderPolicyRouting(config);
    parseNftables(
        read,
        edit(renderNftables(config)),
        `${config.hostname}/nftables.nft`,
        script ? { text: script, file: 'policy-routing.sh' } : undefined
    );
    config.filter = read.filter;
    config.ipRules = read.ipRules;
    config.ipRules6 = read.ipRules6;
    config.unmodelled = read.unmodelled;
}

describe('traffic no device sees', () => {
    it('a deny or a waypoint within one segment is violated: no device is on the path', async () => {
        const { verdicts } = await verify(
            [
                'intent steered { allow users -> printer1 via fw1 }',
                'intent blocked { deny users -> printer1 : tcp 22 }',
                'intent self { allow segment users -> segment users via edge2 }',
                'intent plain { allow users -> printer1 }'
            ].join('\n') + '\n'
        );
        expect(summary(verdicts.get('steered')![0])).toBe(
            'violated: the packets stay within segment users: no device is on their path, so none can steer them through fw1 []'
        );
        expect(summary(verdicts.get('blocked')![0])).toBe(
            'violated: the packets stay within segment users: no device is on their path, so none can enforce the deny []'
        );
        expect(summary(verdicts.get('self')![0])).toBe(
            'violated: the packets stay within segment users: no device is on their path, so none can steer them through edge2 []'
        );
        // Delivered on the segment: nothing in the way.
        expect(summary(verdicts.get('plain')![0])).toBe('holds');
        const counterexample = verdicts.get('blocked')![0].counterexample!;
        expect(counterexample.packet).toMatchObject({ src: '10.1.1.3', dst: '10.1.1.9', protocol: 'tcp', dstPort: 22 });
        expect(counterexample.path).toEqual([]);
    });

    it('a group that partly overlaps: the part that stays on one segment is judged so, the rest is enforced', async () => {
        const { verdicts } = await verify(
            'group people = segment users, segment staff\nintent d { deny people -> segment staff : tcp 22 }\nintent e { deny segment users -> segment staff : tcp 22 }\n'
        );
        expect(summary(verdicts.get('d')![0])).toBe(
            'violated: the packets stay within segment staff: no device is on their path, so none can enforce the deny []'
        );
        expect(summary(verdicts.get('e')![0])).toBe('holds');
    });
});

describe('traffic to a router itself', () => {
    it('a deny toward a device holds, also from the segment attached to that device (the input hook)', async () => {
        const { verdicts } = await verify(
            'intent ssh { deny segment guest-wifi -> device core1 : tcp 22 }\nintent far { deny segment users -> device core1 : tcp 22 }\n'
        );
        expect(summary(verdicts.get('ssh')![0])).toBe('holds');
        expect(summary(verdicts.get('far')![0])).toBe('holds');
    });

    it('is violated where the edge chain is jumped to from the forward hook only, as netintent wrote it before', async () => {
        const { verdicts } = await verify(
            'intent ssh { deny segment guest-wifi -> device core1 : tcp 22 }\n',
            devices => {
                handEdited(devices.get('core1')!, text =>
                    text.replace(/(chain input \{\n(?:.*\n)*?)\t\tiifname "eth10" jump from_eth10\n/, '$1')
                );
            }
        );
        expect(summary(verdicts.get('ssh')![0])).toMatch(
            /^violated: delivered to device core1 \(core1\); nothing stops it \[\]$/
        );
    });

    it("default deny protects the routers' own addresses: loopbacks and link ends", async () => {
        const intents = 'default deny\nintent web { allow segment users -> segment servers : tcp 443 }\n';
        expect(summary((await verify(intents)).verdicts.get('default')![0])).toBe('holds');
        // As netintent wrote it before: the default-deny drop covered segments and externals only.
        const { verdicts } = await verify(intents, devices => {
            const routers = [...devices.values()].flatMap(d =>
                d.interfaces.flatMap(i => (i.address ? [formatAddress(i.address.address)] : []))
            );
            handEdited(devices.get('edge1')!, text =>
                text.replace(
                    '\t\tdrop comment "default deny (main.intent:2)"\n',
                    `\t\tip daddr != { ${routers.join(', ')} } drop comment "old default deny"\n\t\taccept\n`
                )
            );
        });
        const violation = verdicts.get('default')![0].counterexample!;
        expect(violation.reason).toMatch(/^delivered to device \S+ \(edge1( → \S+)*\); nothing stops it$/);
        expect(violation.packet.dst).toMatch(/^10\.(0\.0|255\.0|1\.\d)\.\d+$/);
    });
});

describe('failures that matter are counted', () => {
    it('survive 1 link failure counts the uplink of an external: a single uplink does not survive', async () => {
        // users reach core1 over edge1 or over edge2: only the uplink is a single point of failure.
        const twin = CAMPUS.replace(
            '  - endpoints: [fw1:eth2, edge3:eth1]',
            '  - endpoints: [fw1:eth2, edge3:eth1]\n  - endpoints: [edge1:eth2, edge2:eth2]'
        );
        const { verdicts } = await verify(
            'intent out { allow segment users -> external internet : tcp 443 survive 1 link failure }\n',
            undefined,
            twin
        );
        expect(summary(verdicts.get('out')![0])).toMatch(/^violated: dropped at .*\[core1:eth9\]$/);
    });

    it('two uplinks on two routers survive one failure', async () => {
        const twin = CAMPUS.replace(
            '  internet: { prefixes: [0.0.0.0/0], attach: core1:eth9, address: 203.0.113.2/30, peer: 203.0.113.1 }',
            '  isp1: { prefixes: [0.0.0.0/0], attach: core1:eth9, address: 203.0.113.2/30, peer: 203.0.113.1 }\n  isp2: { prefixes: [0.0.0.0/0], attach: edge2:eth9, address: 198.51.100.2/30, peer: 198.51.100.1 }'
        ).replace(
            '  - endpoints: [fw1:eth2, edge3:eth1]',
            '  - endpoints: [fw1:eth2, edge3:eth1]\n  - endpoints: [edge1:eth2, edge2:eth2]'
        );
        const { verdicts } = await verify(
            'group inet = external isp1, external isp2\nintent out { allow segment users -> prefix 8.8.8.0/24 : tcp 443 survive 1 link failure }\n',
            undefined,
            twin
        );
        expect(summary(verdicts.get('out')![0])).toBe('holds');
    });
});

describe('what the compiled network enforces', () => {
    it('anti-spoofing: a deny holds against forged sources, and is violated without the guard', async () => {
        const intents =
            'intent dns { allow segment guest-wifi -> segment users : udp 53 }\nintent rest { deny segment staff -> segment users : udp 53 }\n';
        expect(summary((await verify(intents)).verdicts.get('rest')![0])).toBe('holds');
        // A guest claiming a staff address: the deny matches staff's sources, which the guest now has.
        const { verdicts } = await verify(intents, devices => {
            handEdited(devices.get('core1')!, text =>
                text.replace(/\t\tiifname "eth10" ip saddr != \S+ drop comment "anti-spoofing[^\n]*\n/, '')
            );
        });
        const violation = verdicts.get('rest')![0].counterexample!;
        expect(violation).toMatchObject({
            forged: true,
            origin: 'segment guest-wifi',
            packet: { src: '10.1.2.3', dst: '10.1.1.3', protocol: 'udp', dstPort: 53 }
        });
        expect(violation.reason).toBe(
            'sent from segment guest-wifi with a forged source, it is delivered to segment users (core1 → edge1); nothing stops it'
        );
    });

    it('anti-spoofing at an IPv6-only segment: a host there sends IPv4 with any source, and the edge drops all of it', async () => {
        // lab6 has no IPv4 prefix; a host on it may still send IPv4 packets, claiming a staff address.
        const twin = CAMPUS.replace(
            '  servers:    { prefix: 10.1.4.0/24, attach: edge3:eth10 }\n',
            '  servers:    { prefix: 10.1.4.0/24, attach: edge3:eth10 }\n  lab6:       { prefix: "2001:db8:6::/64", attach: edge2:eth11 }\n'
        );
        const intents =
            'intent dns { allow segment guest-wifi -> segment users : udp 53 }\nintent rest { deny segment staff -> segment users : udp 53 }\n';
        const guarded = await verify(intents, undefined, twin);
        expect(summary(guarded.verdicts.get('rest')![0])).toBe('holds');
        const guard = /\t\tiifname "eth11" ip saddr 0\.0\.0\.0\/0 drop comment "anti-spoofing: segment lab6[^\n]*\n/;
        expect(renderNftables(guarded.devices.get('edge2')!)).toMatch(guard);
        const { verdicts } = await verify(
            intents,
            devices => handEdited(devices.get('edge2')!, text => text.replace(guard, '')),
            twin
        );
        expect(summary(verdicts.get('rest')![0])).toMatch(/^violated: sent from segment lab6 with a forged source/);
        expect(verdicts.get('rest')![0].counterexample).toMatchObject({
            forged: true,
            origin: 'segment lab6',
            packet: { dst: '10.1.1.3', protocol: 'udp', dstPort: 53 }
        });
    });

    it('anti-spoofing under default deny: a staff host claiming a guest address does not reach what only guests may', async () => {
        const intents = 'default deny\nintent dns { allow segment guest-wifi -> segment servers : udp 53 }\n';
        // As netintent wrote edge chains before: the default-deny drop matched the edge's own sources, then accept.
        const oldChain = (text: string) =>
            text.replace(
                '\t\tdrop comment "default deny (main.intent:2)"\n',
                '\t\tip saddr 10.1.2.0/24 drop comment "old default deny"\n\t\taccept\n'
            );
        const guarded = await verify(intents, devices => handEdited(devices.get('edge2')!, oldChain));
        expect(summary(guarded.verdicts.get('default')![0])).toBe('holds');
        const { verdicts } = await verify(intents, devices => {
            handEdited(devices.get('edge2')!, text =>
                oldChain(text).replace(/\t\tiifname "eth10" ip saddr != \S+ drop comment "anti-spoofing[^\n]*\n/, '')
            );
        });
        const violation = verdicts.get('default')![0].counterexample!;
        expect(violation).toMatchObject({ forged: true, origin: 'segment staff' });
        expect(violation.reason).toMatch(/^sent from segment staff with a forged source, it is delivered to /);
    });

    it('a firewall named in via enforces the policy: with the ingress filter gone, what it must stop is still stopped there', async () => {
        const intents =
            'intent app { allow segment users -> segment servers : tcp 443 via fw1 }\nintent ssh { deny segment users -> segment servers : tcp 22 }\n';
        expect(summary((await verify(intents)).verdicts.get('ssh')![0])).toBe('holds');
        // users reach the servers only through fw1, which holds what it forwards to the policy.
        const bypassed = await verify(intents, devices => {
            devices.get('edge1')!.filter = { chains: [] };
        });
        expect(summary(bypassed.verdicts.get('ssh')![0])).toBe('holds');
        expect(summary(bypassed.verdicts.get('app')![0])).toBe('holds');
        const noFirewall = await verify(intents, devices => {
            devices.get('edge1')!.filter = { chains: [] };
            devices.get('fw1')!.filter = { chains: [] };
        });
        expect(summary(noFirewall.verdicts.get('ssh')![0])).toBe(
            'violated: delivered to segment servers (edge1 → core1 → fw1 → edge3); nothing stops it []'
        );
    });

    it('the firewall keeps state: replies it has no connection for are dropped there', async () => {
        // The replies come back by fw1 while the requests went another way: to fw1 they are new.
        const twin = CAMPUS.replace(
            '  - endpoints: [fw1:eth2, edge3:eth1]',
            '  - endpoints: [fw1:eth2, edge3:eth1]\n  - endpoints: [edge3:eth2, core1:eth4]\n    cost: 5'
        );
        const { verdicts } = await verify(
            'default deny\nintent app { allow segment users -> segment servers : tcp 443 }\n',
            devices => {
                // Requests take core1 → edge3 directly; replies from edge3 are sent through fw1.
                const edge3 = devices.get('edge3')!;
                for (const iface of edge3.interfaces) if (iface.ospf && iface.name === 'eth2') iface.ospf.cost = 100;
            },
            twin
        );
        expect(summary(verdicts.get('app')![0])).toMatch(
            /^violated: the replies are dropped at fw1 by nftables\.nft line \d+ \(default deny \(main\.intent:2\)\) \[\]$/
        );
    });
});

describe('what the verifier does not model is unknown, never holds', () => {
    it('a base-chain accept added by hand is modelled: it lets the denied traffic through', async () => {
        const { verdicts } = await verify('intent rest { deny segment users -> segment staff : tcp 22 }\n', devices => {
            handEdited(devices.get('edge1')!, text =>
                text.replace(
                    '\t\tct state established,related ct mark != 0x1 accept comment "replies of allowed connections"\n\t\tiifname "eth10" jump from_eth10\n\t}\n\n\tchain from_eth10',
                    '\t\tct state established,related ct mark != 0x1 accept comment "replies of allowed connections"\n\t\tmeta l4proto tcp accept comment "hand-added"\n\t\tiifname "eth10" jump from_eth10\n\t}\n\n\tchain from_eth10'
                )
            );
        });
        expect(summary(verdicts.get('rest')![0])).toBe(
            'violated: delivered to segment staff (edge1 → core1 → edge2); nothing stops it []'
        );
    });

    it('an nft line it does not read makes the verdicts of traffic through that device unknown, with the file and line', async () => {
        const { verdicts } = await verify(
            'intent rest { deny segment users -> segment servers : tcp 22 }\nintent other { allow segment staff -> external internet : tcp 443 }\n',
            devices => {
                handEdited(devices.get('edge1')!, text =>
                    text.replace('\tchain from_eth10 {\n', '\tchain from_eth10 {\n\t\tlimit rate 10/second accept\n')
                );
            }
        );
        expect(summary(verdicts.get('rest')![0])).toMatch(
            /^unknown: edge1: netintent does not model 'limit rate 10\/second accept' \(nftables\.nft line \d+\)$/
        );
        // Traffic that never reaches edge1 is still proved.
        expect(summary(verdicts.get('other')![0])).toBe('holds');
    });

    // nft refuses a rule with a statement after its verdict ("Statement after terminal statement
    // has no effect"), and a string left open: the whole file, so none of it is in force.
    it.each([
        'tcp dport 22 drop counter',
        'ip daddr 10.1.2.0/24 drop accept',
        'tcp dport 22 drop comment "x" counter',
        'iifname "eth10 accept'
    ])('a rule nft refuses makes the device unknown: %s', async line => {
        let edited = '';
        let diagnostics: string[] = [];
        const { verdicts } = await verify('intent rest { deny segment users -> segment staff : tcp 22 }\n', devices => {
            const edge1 = devices.get('edge1')!;
            handEdited(edge1, text => (edited = text.replace('\t\taccept\n\t}\n}', `\t\t${line}\n\t\taccept\n\t}\n}`)));
            diagnostics = edge1.unmodelled.map(u => u.text);
        });
        expect(diagnostics).toEqual([line]);
        expect(verdicts.get('rest')![0].verdict).toBe('unknown');
        if (requireTool('nft', 'nftables')) {
            const file = path.join(temporaryFolder('nft-'), 'nftables.nft');
            fs.writeFileSync(file, edited);
            expect(spawnSync(sbin('nft'), ['-c', '-f', file], { encoding: 'utf8' }).status).not.toBe(0);
        }
    });

    it('a line nft itself would refuse is an error and makes the device unknown, not a warning', async () => {
        let diagnostics: string[] = [];
        const { verdicts } = await verify('intent rest { deny segment users -> segment staff : tcp 22 }\n', devices => {
            const edge1 = devices.get('edge1')!;
            handEdited(edge1, text =>
                text.replace('\t\taccept\n\t}\n}', '\t\tip saddr 10.1.1.0/33 acept\n\t\taccept\n\t}\n}')
            );
            diagnostics = edge1.unmodelled.map(u => `${u.location.range.start.line}: ${u.text}`);
        });
        expect(diagnostics).toHaveLength(1);
        expect(diagnostics[0]).toMatch(/^\d+: ip saddr 10\.1\.1\.0\/33 acept$/);
        expect(verdicts.get('rest')![0].verdict).toBe('unknown');
    });
});
