#!/usr/bin/env bash
# The seed's LVS-DR scenario in the guest with plain ipvsadm: rr alternates 1/2, weight 0 drains a real.
#
# Run: test/vm/run -t 300 -- test/vm/demo-dr.sh   (or make vm-demo-dr). Exits non-zero on the
# first expectation that does not hold, saying which.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/e2e/lib/topology.sh
. "$here/../e2e/lib/topology.sh"

fail() { echo "demo-dr: FAIL: $*" >&2; exit 1; }
t0=$(date +%s.%N)
step() { echo; echo "== $* (t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f s", b - a}'))"; }
# expect_seq NAME GOT WANT
expect_seq() { [[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"; echo "ok: $1"; }

step "LVS-DR network (seed: VIP 10.15.16.113, reals .39 and .43)"
topo_dr_up 2
trap topo_down EXIT
ip -br addr show lvsbr0
for ns in client $TOPO_REALS; do echo "$ns: $(ip -n "$ns" -br addr | awk '{$2 = ""; print}' | tr '\n' ' ')"; done

step "HTTP servers"
topo_http_start real1 1
topo_http_start real2 2
rip1=$(topo_rip real1) rip2=$(topo_rip real2)
# Directly, from the director: each real answers on its own address.
topo_get "http://$rip1/" | grep -q 'This is fake WWW server 1' || fail "real1 does not serve its page"
topo_get "http://$rip2/" | grep -q 'This is fake WWW server 2' || fail "real2 does not serve its page"
echo "ok: both reals serve their page"

step "ipvsadm: the seed's lvs-setup.sh (rr, gate, weight 1)"
ipvsadm -C
ipvsadm -A -t "$TOPO_VIP:80" -s rr
ipvsadm -a -t "$TOPO_VIP:80" -r "$rip1:80" -g -w 1
ipvsadm -a -t "$TOPO_VIP:80" -r "$rip2:80" -g -w 1
ipvsadm -Ln

step "20 requests from the client"
topo_requests 20 | tee /run/e2e/rr.out
got=$(sed -E 's/^[0-9]+: This is fake WWW server ([0-9]+)$/\1/; t; s/.*/E/' /run/e2e/rr.out | tr '\n' ' ')
first=${got%% *}
[[ $first == 1 || $first == 2 ]] || fail "first request failed: $(head -1 /run/e2e/rr.out)"
other=$((3 - first))
want=''
for ((i = 0; i < 10; i++)); do want+="$first $other "; done
expect_seq "rr alternates between server 1 and 2" "$got" "$want"

step "DR: replies bypass the director (stats fold in every 2 s)"
sleep 2.5
ipvsadm -Ln --stats --exact
read -r conns inpkts outpkts < <(ipvsadm -Ln --stats --exact | awk -v s="$TOPO_VIP:80" '$1 == "TCP" && $2 == s {print $3, $4, $5}')
((conns == 20)) || fail "service shows $conns connections, want 20"
((inpkts > 0)) || fail "service shows no incoming packets"
((outpkts == 0)) || fail "service shows $outpkts outgoing packets; with DR replies must not pass the director"
echo "ok: 20 connections, $inpkts packets in, 0 out"

step "weight 0 on real1: everything goes to real2"
ipvsadm -e -t "$TOPO_VIP:80" -r "$rip1:80" -g -w 0
ipvsadm -Ln
want=''
for ((i = 0; i < 20; i++)); do want+="2 "; done
expect_seq "weight 0 drains real1" "$(topo_servers 20) " "$want"

step "weight 1 again, real1's cable unplugged and replugged"
ipvsadm -e -t "$TOPO_VIP:80" -r "$rip1:80" -g -w 1
topo_link_down real1
if topo_get -w 2 "http://$rip1/" >/dev/null; then fail "real1 still answers with its link down"; fi
echo "ok: real1 unreachable with its link down"
topo_link_up real1
ok=0
for ((i = 0; i < 50; i++)); do topo_get -w 2 "http://$rip1/" >/dev/null && { ok=1; break; }; sleep 0.1; done
((ok)) || fail "real1 unreachable after its link came back"
echo "ok: real1 reachable again"

step "real2's HTTP server killed and restarted"
topo_http_stop real2
if topo_get -w 2 "http://$rip2/" >/dev/null; then fail "real2 still answers after its server was stopped"; fi
echo "ok: real2 refuses connections"
topo_http_start real2 2
echo "ok: real2 serves again"
expect_seq "both serve again" "$(topo_servers 4 | tr ' ' '\n' | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" "1x2 2x2 "

step "IPv6 (virtual6): the same over [$TOPO_VIP6]:80"
ipvsadm -A -t "[$TOPO_VIP6]:80" -s rr
ipvsadm -a -t "[$TOPO_VIP6]:80" -r "[$(topo_rip6 real1)]:80" -g -w 1
ipvsadm -a -t "[$TOPO_VIP6]:80" -r "[$(topo_rip6 real2)]:80" -g -w 1
ipvsadm -Ln -t "[$TOPO_VIP6]:80"
got=$(topo_servers 10 "http://[$TOPO_VIP6]/")
echo "$got"
first=${got%% *}
[[ $first == 1 || $first == 2 ]] || fail "first IPv6 request failed: $got"
want="$first $((3 - first))"
expect_seq "rr alternates over IPv6" "$got" "$want $want $want $want $want"

step "done"
echo "demo-dr: PASS"
