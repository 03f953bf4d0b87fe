/** Small hand-drawn networks for compiler and verifier tests. */

/** A square r1 - r2 - r4 and r1 - r3 - r4, web on r1, db on r4, internet on r2. */
export const SQUARE = (routing: string, extra = '') => `network: square
routing: ${routing}
pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }
devices:
  r1: { role: access }
  r2: { role: core }
  r3: { role: core }
  r4: { role: access }
links:
  - endpoints: [r1:eth1, r2:eth1]
    latency: 5ms
  - endpoints: [r2:eth2, r4:eth1]
    latency: 5ms
  - endpoints: [r1:eth2, r3:eth1]
    cost: 20
    latency: 1ms
  - endpoints: [r3:eth2, r4:eth2]
    cost: 20
    latency: 1ms
segments:
  web: { prefix: 10.1.1.0/24, attach: r1:eth10 }
  db:  { prefix: 10.1.2.0/24, attach: r4:eth10 }
externals:
  internet: { prefixes: [0.0.0.0/0], attach: r2:eth9, address: 203.0.113.2/30, peer: 203.0.113.1 }
${extra}`;

/**
 * The square with IPv6 pools; its segments and uplink are IPv6-only (the requirements' packets all
 * IPv6), or with `dualStack` have both families.
 */
export const SQUARE6 = (routing = 'ospf', dualStack = false) =>
    SQUARE(routing)
        .replace(
            'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24 }',
            'pools: { links: 10.0.0.0/24, loopbacks: 10.255.0.0/24, links6: "2001:db8:ff00::/48", loopbacks6: "2001:db8:fffe::/64" }'
        )
        .replace(
            'prefix: 10.1.1.0/24',
            `prefix: ${dualStack ? '[10.1.1.0/24, "2001:db8:1::/64"]' : '"2001:db8:1::/64"'}`
        )
        .replace(
            'prefix: 10.1.2.0/24',
            `prefix: ${dualStack ? '[10.1.2.0/24, "2001:db8:2::/64"]' : '"2001:db8:2::/64"'}`
        )
        .replace(
            'prefixes: [0.0.0.0/0], attach: r2:eth9, address: 203.0.113.2/30, peer: 203.0.113.1',
            dualStack
                ? 'prefixes: [0.0.0.0/0, "::/0"], attach: r2:eth9, address: [203.0.113.2/30, "2001:db8:ee::2/64"], peer: [203.0.113.1, "2001:db8:ee::1"]'
                : 'prefixes: ["::/0"], attach: r2:eth9, address: "2001:db8:ee::2/64", peer: "2001:db8:ee::1"'
        );
