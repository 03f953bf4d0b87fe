#!/bin/sh
# Policy rules of sp3-r1, written by netintent: nftables.nft marks the packets to
# steer; each mark selects a routing table that FRR keeps (frr.conf: ip route ... table N).
# Safe to run again: each rule is removed before it is added.
ip rule del fwmark 0x100 table 1000 2>/dev/null || true
ip rule add fwmark 0x100 table 1000 priority 1000
