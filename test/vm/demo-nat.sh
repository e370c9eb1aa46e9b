#!/usr/bin/env bash
# An LVS-NAT scenario in the guest with plain ipvsadm: rr alternates 1/2, replies pass the director, weight 0 drains.
#
# Run: test/vm/run -t 300 -- test/vm/demo-nat.sh   (or make vm-demo-nat).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/e2e/lib/topology.sh
. "$here/../e2e/lib/topology.sh"

fail() { echo "demo-nat: FAIL: $*" >&2; exit 1; }
t0=$(date +%s.%N)
step() { echo; echo "== $* (t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f s", b - a}'))"; }
expect_seq() { [[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"; echo "ok: $1"; }

step "LVS-NAT network: client 10.0.0.0/24, reals 192.168.10.0/24 behind the director"
topo_nat_up 2
trap topo_down EXIT
ip -br -4 addr show lvsbr-ext
ip -br -4 addr show lvsbr-int

step "HTTP servers and ipvsadm (rr, masq, weight 1)"
topo_http_start real1 1
topo_http_start real2 2
rip1=$(topo_rip real1) rip2=$(topo_rip real2)
ipvsadm -C
ipvsadm -A -t "$TOPO_VIP:80" -s rr
ipvsadm -a -t "$TOPO_VIP:80" -r "$rip1:80" -m -w 1
ipvsadm -a -t "$TOPO_VIP:80" -r "$rip2:80" -m -w 1
ipvsadm -Ln

step "20 requests from the client"
got=$(topo_servers 20)
echo "$got"
first=${got%% *}
[[ $first == 1 || $first == 2 ]] || fail "first request failed: $got"
want="$first $((3 - first))"
want="$want $want $want $want $want $want $want $want $want $want"
expect_seq "rr alternates between server 1 and 2" "$got" "$want"

step "NAT: replies pass the director"
sleep 2.5
ipvsadm -Ln --stats --exact
read -r conns outpkts < <(ipvsadm -Ln --stats --exact | awk -v s="$TOPO_VIP:80" '$1 == "TCP" && $2 == s {print $3, $5}')
((conns == 20)) || fail "service shows $conns connections, want 20"
((outpkts > 0)) || fail "service shows no outgoing packets; with NAT replies pass the director"
echo "ok: 20 connections, $outpkts packets out"

step "weight 0 on real2: everything goes to real1"
ipvsadm -e -t "$TOPO_VIP:80" -r "$rip2:80" -m -w 0
expect_seq "weight 0 drains real2" "$(topo_servers 10)" "1 1 1 1 1 1 1 1 1 1"

step "done"
echo "demo-nat: PASS"
