/** Each check of an intent file: its message, code and the range it points at. */
import { describe, expect, it } from 'vitest';
import { checkWorkspace, smallWorkspace, SMALL_TWIN } from '../support/workspace.js';

/** Diagnostics of main.intent (line 1 is the twin line, the body starts at line 2). */
async function diagnosticsOf(body: string, extra: Record<string, string> = {}) {
    const checked = await checkWorkspace(smallWorkspace(body, extra));
    return checked.lines;
}

describe('names', () => {
    it('an unknown segment: an error at the name with the nearest segment', async () => {
        expect(await diagnosticsOf('intent i { allow segment webb -> db }\n')).toEqual([
            "main.intent:2:26 error unknown-name: Unknown segment 'webb'. Did you mean 'web'?"
        ]);
    });

    it('an unknown bare name offers the nearest group, segment, host or external', async () => {
        expect(await diagnosticsOf('intent i { allow intenet -> db }\n')).toEqual([
            "main.intent:2:18 error unknown-name: Unknown group, segment, host or external 'intenet'. Did you mean 'internet'?"
        ]);
    });

    it('via and avoid of unknown devices', async () => {
        expect(await diagnosticsOf('intent i {\n  allow web -> db via r4 avoid rr2\n}\n')).toEqual([
            "main.intent:3:23 error unknown-name: Unknown device 'r4'. Did you mean 'r1'?",
            "main.intent:3:32 error unknown-name: Unknown device 'rr2'. Did you mean 'r2'?"
        ]);
    });

    it('via any of: each device named must be known', async () => {
        expect(await diagnosticsOf('intent i {\n  allow web -> db via any of r1, rr2\n}\n')).toEqual([
            "main.intent:3:34 error unknown-name: Unknown device 'rr2'. Did you mean 'r2'?"
        ]);
        expect(await diagnosticsOf('intent i { allow web -> db via any of r2, r3 }\n')).toEqual([]);
    });

    it('an interface of an unknown device gives one error, at the device', async () => {
        expect(await diagnosticsOf('scenario s { fail link r9:eth1 -- r2:eth1 }\n')).toEqual([
            "main.intent:2:24 error unknown-name: Unknown device 'r9'. Did you mean 'r1'?"
        ]);
    });

    it('an unknown interface of a known device', async () => {
        expect(await diagnosticsOf('scenario s { fail interface r1:eth2 }\n')).toEqual([
            "main.intent:2:32 error unknown-name: Unknown interface of device r1 'eth2'. Did you mean 'eth1'?"
        ]);
    });

    it('an unknown service and scenario', async () => {
        expect(
            await diagnosticsOf(
                'service https = tcp 443\nscenario cut { fail device r2 }\nintent i { allow web -> db : htps during cutt }\n'
            )
        ).toEqual([
            "main.intent:4:30 error unknown-name: Unknown service 'htps'. Did you mean 'https'?",
            "main.intent:4:42 error unknown-name: Unknown scenario 'cutt'. Did you mean 'cut'?"
        ]);
    });

    it('duplicate names in one file and across files bound to the same twin', async () => {
        expect(
            await diagnosticsOf('group g = segment web\ngroup g = segment db\nintent i { allow g -> db }\n', {
                'second.intent': 'twin "small.twin.yaml"\nintent i { allow web -> db : tcp 1 }\n'
            })
        ).toEqual([
            "main.intent:3:7 error duplicate-name: Duplicate group 'g': already declared at line 2. Rename one of them.",
            "second.intent:2:8 error duplicate-name: Duplicate intent 'i': already declared at main.intent:4. Rename one of them."
        ]);
    });

    it('the same name in files bound to different twins is fine', async () => {
        expect(
            await diagnosticsOf('group g = segment web\n', {
                'b/small.twin.yaml': SMALL_TWIN,
                'b/other.intent': 'twin "small.twin.yaml"\ngroup g = segment db\n'
            })
        ).toEqual([]);
    });
});

describe('values', () => {
    it('ports are 0 to 65535 and ranges run upwards', async () => {
        expect(await diagnosticsOf('service a = tcp 70000\nservice b = udp 90-80\nservice c = icmp 8\n')).toEqual([
            'main.intent:2:17 error bad-port: Port 70000 is out of range; ports are 0 to 65535.',
            'main.intent:3:17 error bad-port: Port range 90-80 is backwards; write 80-90.',
            'main.intent:4:18 error bad-port: icmp has no ports; write ports only after tcp or udp.'
        ]);
    });

    it('an invalid prefix is an error; host bits set is a warning showing the normalised prefix', async () => {
        expect(
            await diagnosticsOf(
                'group a = prefix 10.300.0.0/16\ngroup b = prefix 10.1.1.5/24\ngroup c = prefix 10.0.0.0/33\n'
            )
        ).toEqual([
            "main.intent:2:18 error bad-prefix: '10.300.0.0/16' is not an IPv4 prefix; write four numbers 0-255 and a length 0-32, e.g. 10.0.0.0/8.",
            'main.intent:3:18 warning host-bits: 10.1.1.5/24 has host bits set; it means 10.1.1.0/24.',
            "main.intent:4:18 error bad-prefix: '10.0.0.0/33' is not an IPv4 prefix; write four numbers 0-255 and a length 0-32, e.g. 10.0.0.0/8."
        ]);
    });

    it('empty groups and services', async () => {
        expect(
            await diagnosticsOf('group nothing =\nservice none =\ngroup far = prefix 10.1.1.0/24, external internet\n')
        ).toEqual([
            "main.intent:2:7 error empty-group: Group 'nothing' is empty; add at least one member (a segment, host, external, prefix or group).",
            "main.intent:3:9 error empty-service: Service 'none' is empty; add a protocol and port, e.g. tcp 443."
        ]);
    });

    it('a group that stands for no address of the twin is a warning', async () => {
        const twin = SMALL_TWIN.replace('internet: { prefixes: [0.0.0.0/0]', 'internet: { prefixes: [10.1.1.0/24]');
        const checked = await checkWorkspace({
            'small.twin.yaml': twin,
            'main.intent': 'twin "small.twin.yaml"\ngroup inet = external internet\n'
        });
        expect(checked.lines).toEqual([
            "main.intent:2:7 warning empty-group: Group 'inet' stands for no addresses of the twin; intents that use it check nothing."
        ]);
    });

    it('a group that contains itself', async () => {
        expect(await diagnosticsOf('group a = b\ngroup b = a, segment web\n')).toEqual([
            "main.intent:2:7 error group-cycle: Group 'a' contains itself through its members; remove the cycle.",
            "main.intent:3:7 error group-cycle: Group 'b' contains itself through its members; remove the cycle."
        ]);
    });
});

describe('statements', () => {
    it('path constraints after a deny or isolate', async () => {
        expect(await diagnosticsOf('intent i {\n  deny web -> db via r2\n  isolate web, db hops <= 3\n}\n')).toEqual([
            "main.intent:3:18 error misplaced-clause: 'via' constrains the paths of allowed traffic; it has no meaning after 'deny'.",
            "main.intent:4:19 error misplaced-clause: 'hops' constrains the paths of allowed traffic; it has no meaning after 'isolate'."
        ]);
    });

    it('a scenario or avoid link that is not a link of the twin', async () => {
        expect(
            await diagnosticsOf(
                'scenario s { fail link r1:eth1 -- r3:eth1 }\nintent i { allow web -> db avoid link r2:eth2 -- r1:eth1 }\n'
            )
        ).toEqual([
            'main.intent:2:24 error unknown-link: r1:eth1 -- r3:eth1 is not a link of the twin. r1:eth1 is linked as r1:eth1 -- r2:eth1.',
            'main.intent:3:39 error unknown-link: r2:eth2 -- r1:eth1 is not a link of the twin. r2:eth2 is linked as r2:eth2 -- r3:eth1.'
        ]);
    });

    it('a link named in either order is the link', async () => {
        expect(await diagnosticsOf('scenario s { fail link r2:eth1 -- r1:eth1 }\n')).toEqual([]);
    });

    it('two default lines', async () => {
        expect(await diagnosticsOf('default deny\ndefault allow\n')).toEqual([
            "main.intent:3:1 error duplicate-default: The default is already set to 'deny' (line 2); keep one 'default' line."
        ]);
    });

    it('hops <= 0 and survive 0', async () => {
        expect(await diagnosticsOf('intent i { allow web -> db hops <= 0 survive 0 link failures }\n')).toEqual([
            'main.intent:2:28 error bad-hops: A path passes through at least one device; use hops <= 1 or more.',
            "main.intent:2:46 warning survive-zero: 'survive 0 link failures' asks nothing; remove it or give a count of 1 or more."
        ]);
    });
});

describe('the twin binding', () => {
    it('a file without a twin line', async () => {
        const checked = await checkWorkspace({ 'a.intent': 'intent i { allow segment web -> any }\n' });
        expect(checked.lines).toEqual([
            'a.intent:1:1 error no-twin: This file binds no twin. Start it with the network it is about: twin "network.twin.yaml".'
        ]);
        expect(checked.intents[0].verdict).toBe('error');
    });

    it('a twin that does not exist: one error at the path, no unknown names', async () => {
        const checked = await checkWorkspace({
            'a.intent': 'twin "nope.twin.yaml"\nintent i { allow segment web -> db via r1 }\n'
        });
        expect(checked.lines).toEqual([
            "a.intent:1:6 error twin-error: Cannot read the twin 'nope.twin.yaml': no such file. Check the path; it is relative to this file."
        ]);
    });

    it('a twin with errors: one error on the twin line with the count and the first; the rest in the YAML', async () => {
        const broken = SMALL_TWIN.replace('r3:eth10', 'r3:eth1').replace(
            'db:  { prefix: 10.1.2.0/24',
            'db:  { prefix: 10.1.2.0/24, gateway: 10.9.9.9'
        );
        const checked = await checkWorkspace({
            'small.twin.yaml': broken,
            'main.intent': 'twin "small.twin.yaml"\nintent i { allow web -> db }\n'
        });
        expect(checked.lines).toEqual([
            "main.intent:1:6 error twin-error: The twin 'small.twin.yaml' has 2 errors; the first, at small.twin.yaml:12:40: Gateway 10.9.9.9 is not a usable address of segment db (10.1.2.0/24).",
            'small.twin.yaml:12:40 error twin: Gateway 10.9.9.9 is not a usable address of segment db (10.1.2.0/24).',
            'small.twin.yaml:12:58 error interface-reuse: Interface r3:eth1 is already used by the link r2:eth2 -- r3:eth1 (line 9); an interface serves one link, segment or external. Use another interface.'
        ]);
        expect(checked.intents[0].verdict).toBe('error');
    });
});

describe('syntax errors recover', () => {
    it('one typo gives one clear error and the statements after it still count', async () => {
        const checked = await checkWorkspace(
            smallWorkspace(
                'intent a {\n  allw web -> db\n}\nintent b { allow web -> db : tcp 1 }\ngroup g = segment web\nintent c { allow g -> db : tcp 2 }\n'
            )
        );
        expect(checked.lines).toEqual([
            "main.intent:3:3 error syntax: Unexpected 'allw'; expected '}'. Did you mean 'allow'?"
        ]);
        expect(checked.intents.map(i => [i.name, i.verdict])).toEqual([
            ['a', 'error'],
            ['b', 'unknown'],
            ['c', 'unknown']
        ]);
    });

    it('a misspelt top-level keyword', async () => {
        const checked = await checkWorkspace(
            smallWorkspace('intnet a { allow web -> db }\nintent b { allow web -> db : tcp 1 }\n')
        );
        expect(checked.lines).toHaveLength(1);
        expect(checked.lines[0]).toMatch(
            /^main\.intent:2:1 error syntax: Unexpected 'intnet'.*Did you mean 'intent'\?$/
        );
        expect(checked.intents.map(i => i.name)).toContain('b');
    });

    it('a missing closing brace at the end of the file', async () => {
        const checked = await checkWorkspace(smallWorkspace('intent a { allow web -> db\n'));
        expect(checked.lines).toEqual(["main.intent:2:27 error syntax: Unexpected end of file; expected '}'."]);
    });
});
