#!/usr/bin/env bash
# Parity harness (issue 12), run in the test/vm guest: Debian's Perl ldirectord vs ours, config by config.
#   test/vm/run -w OUT -- test/parity/run.sh OUT CONFIG...
# For each CONFIG: test/parity/prepare.mjs makes a runnable copy; its real addresses are bound in
# the network namespace "preals" (veth pv0/pv1; nothing leaves the guest, which has no NIC) and
# served by test/parity/server.mjs; then for each state (up, down, change) and each daemon (perl,
# ng): fresh table, start, settle, record `ipvsadm -S -n` and the log, stop. OUT/<n>/<state>.<impl>.{table,log}.
# test/parity/compare.mjs reads OUT afterwards (on the host).
set -uo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "run.sh: only inside the test/vm guest" >&2; exit 2; }
out=$1
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
PERL_LD=${PARITY_PERL_LD:-/usr/sbin/ldirectord}
NG_LD=(node "$repo/bin/ldirectord")
SETTLE_MIN=${PARITY_SETTLE_MIN:-8}
work=/run/parity
mkdir -p "$work" "$out"
log() { echo "parity: $*" >&2; }

# The reals' namespace: one veth; each real address is a /32 (/128) on pv1 and a route via pv0.
ip netns add preals
ip link add pv0 type veth peer name pv1
ip link set pv1 netns preals
ip addr add 10.254.254.1/32 dev pv0
ip -6 addr add fd00:254::1/128 dev pv0 nodad
ip link set pv0 up
ip netns exec preals ip link set lo up
ip netns exec preals ip link set pv1 up
ip netns exec preals ip route add 10.254.254.1/32 dev pv1
ip netns exec preals ip route add default via 10.254.254.1 dev pv1 onlink
ip netns exec preals ip -6 route add fd00:254::1/128 dev pv1
ip netns exec preals ip -6 route add default via fd00:254::1 dev pv1 onlink
ip netns exec preals tc qdisc add dev pv1 ingress
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=parity \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

bind_reals() { # servers.json → addresses in preals, routes in the root namespace
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const seen = new Set();
    for (const x of s) { if (seen.has(x.addr)) continue; seen.add(x.addr); console.log(x.af === "inet6" ? "6 " + x.addr : "4 " + x.addr); }
  ' "$1" | while read -r fam a; do
    if [[ $fam == 6 ]]; then
      ip netns exec preals ip -6 addr add "$a/128" dev pv1 nodad
      ip -6 route add "$a/128" dev pv0 src fd00:254::1
    else
      ip netns exec preals ip addr add "$a/32" dev pv1
      ip route add "$a/32" dev pv0 src 10.254.254.1
    fi
  done
}
unbind_reals() {
  ip netns exec preals ip -4 addr flush dev pv1
  ip netns exec preals ip -6 addr flush dev pv1 scope global
  ip route flush dev pv0 2>/dev/null
  ip -6 route flush dev pv0 2>/dev/null
  ip netns exec preals ip route add 10.254.254.1/32 dev pv1
  ip netns exec preals ip route add default via 10.254.254.1 dev pv1 onlink
  ip netns exec preals ip -6 route add fd00:254::1/128 dev pv1 2>/dev/null
  ip netns exec preals ip -6 route add default via fd00:254::1 dev pv1 onlink 2>/dev/null
}

# set_state DIR NAME: writes the state, tells the server, black-holes the "blackhole" addresses.
set_state() {
  node -e '
    const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
    require("fs").writeFileSync(process.argv[3], JSON.stringify(p));
    for (const [k, m] of Object.entries(p)) if (m === "blackhole") console.log(k.split("|")[0]);
  ' "$1/plan.json" "$2" "$work/state.json" | sort -u >"$work/blackholes"
  ip netns exec preals tc filter del dev pv1 parent ffff: 2>/dev/null
  local a prio=1
  while read -r a; do
    if [[ $a == *:* ]]; then
      ip netns exec preals tc filter add dev pv1 parent ffff: protocol ipv6 prio $prio u32 match ip6 dst "$a/128" action drop
    else
      ip netns exec preals tc filter add dev pv1 parent ffff: protocol ip prio $prio u32 match ip dst "$a/32" action drop
    fi
    prio=$((prio + 1))
  done <"$work/blackholes"
  : >"$work/server.out"
  kill -HUP "$server_pid"
  for _ in $(seq 100); do grep -q ready "$work/server.out" && return 0; sleep 0.1; done
  log "server did not confirm state $2"
}

# settle CFGDIR: waits until the table and the log have not changed for SETTLE_MIN seconds (≤ 150 s).
settle() {
  local last='' same=0 cur t0=$SECONDS
  while ((SECONDS - t0 < 150)); do
    cur=$(ipvsadm -S -n 2>/dev/null; wc -c <"$1/ldirectord.log" 2>/dev/null)
    if [[ $cur == "$last" ]]; then same=$((same + 1)); else same=0; last=$cur; fi
    ((same >= SETTLE_MIN)) && return 0
    sleep 1
  done
  log "did not settle in 150 s"
}

start_ld() { # impl cfg
  if [[ $1 == perl ]]; then (cd / && perl "$PERL_LD" "$2" start) >/dev/null 2>&1; else (cd / && "${NG_LD[@]}" "$2" start) >/dev/null 2>&1; fi
}
stop_ld() { # impl cfg
  local pid
  pid=$(pgrep -f -- "$2" | tr '\n' ' ')
  if [[ $1 == perl ]]; then (cd / && perl "$PERL_LD" "$2" stop) >/dev/null 2>&1; else (cd / && "${NG_LD[@]}" "$2" stop) >/dev/null 2>&1; fi
  for _ in $(seq 150); do [[ -n $pid ]] && kill -0 $pid 2>/dev/null || break; sleep 0.2; done
  [[ -n $pid ]] && kill -9 $pid 2>/dev/null
  rm -f /var/run/ldirectord.*.pid
}

n=0
for cfg in "$@"; do
  n=$((n + 1))
  d="$out/$n"
  mkdir -p "$d"
  echo "$cfg" >"$d/source"
  if ! node "$repo/test/parity/prepare.mjs" "$cfg" "$d" >"$d/prepare.out" 2>&1; then
    log "$cfg: $(cat "$d/prepare.out")"
    continue
  fi
  log "$cfg: $(cat "$d/prepare.out")"
  bind_reals "$d/servers.json"
  echo '{}' >"$work/state.json"
  : >"$work/server.out"
  ip netns exec preals node "$repo/test/parity/server.mjs" "$d/servers.json" "$work/state.json" "$work/cert.pem" "$work/key.pem" \
    >"$work/server.out" 2>"$d/server.err" &
  server_pid=$!
  for _ in $(seq 300); do grep -q ready "$work/server.out" && break; sleep 0.1; done
  for state in up down change; do
    for impl in perl ng; do
      ipvsadm -C
      rm -f "$d/ldirectord.log"
      set_state "$d" "$([[ $state == change ]] && echo down || echo "$state")"
      start_ld "$impl" "$d/ldirectord.cf"
      settle "$d"
      if [[ $state == change ]]; then
        set_state "$d" change
        settle "$d"
      fi
      ipvsadm -S -n >"$d/$state.$impl.table"
      cp "$d/ldirectord.log" "$d/$state.$impl.log" 2>/dev/null || : >"$d/$state.$impl.log"
      stop_ld "$impl" "$d/ldirectord.cf"
      log "$cfg $state $impl: $(wc -l <"$d/$state.$impl.table") table lines, $(wc -l <"$d/$state.$impl.log") log lines"
    done
  done
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  unbind_reals
done
ipvsadm -C
exit 0
