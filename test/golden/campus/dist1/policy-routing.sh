#!/bin/sh
# Policy-routing tables of dist1, written by netintent: nftables.nft marks the
# packets to steer; each mark selects a table whose default route is the steered next hop.
set -e
ip rule del fwmark 0x100 table 1000 2>/dev/null || true
ip rule add fwmark 0x100 table 1000 priority 1000
ip route replace default via 10.0.0.14 table 1000
ip rule del fwmark 0x101 table 1001 2>/dev/null || true
ip rule add fwmark 0x101 table 1001 priority 1001
ip route replace default via 10.0.0.27 table 1001
