#!/usr/bin/env bash
# Parity harness (issue 12), run in the test/vm guest: Debian's Perl ldirectord vs ours, config by config.
#   test/vm/run -w OUT -- test/parity/run.sh OUT CONFIG...
# For each CONFIG: test/parity/prepare.mjs makes a runnable copy; its real addresses are bound in
# the network namespace "preals" (veth pv0/pv1; nothing leaves the guest, which has no NIC) and
# served by test/parity/server.mjs; then for each state (up, down, change) and each daemon (perl,
# ng): fresh table, start, settle, record `ipvsadm -S -n` and the log, stop.
# OUT/<config name>/<state>.<impl>.{table,log}; test/parity/compare.mjs reads OUT afterwards (on the host).
# Resumable: a state × daemon whose table and log are already in OUT is not run again, so partial runs
# accumulate. LDIRD_PARITY_BUDGET=S: start no further daemon run once S seconds have passed (a batch
# ends inside its guest time limit; test/parity/sweep.sh boots again for the rest).
set -uo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "run.sh: only inside the test/vm guest" >&2; exit 2; }
out=$1
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
PERL_LD=${PARITY_PERL_LD:-/usr/sbin/ldirectord}
NG_LD=(node "$repo/bin/ldirectord")
BUDGET=${LDIRD_PARITY_BUDGET:-0}
# 600 s: Perl checks serially, and corpus file 006 (205 reals) needs ~290 s a pass in a quiet guest.
SETTLE_MAX=${LDIRD_PARITY_SETTLE_MAX:-600}
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

# Settling. Perl ldirectord (fork=no) checks every real serially, then sleeps checkinterval
# (upstream ld_main); each sleep is one clock_nanosleep, seen in /proc/PID/syscall with the process's
# voluntary context-switch count fixed for its length. A new (syscall 230, count) pair is therefore a
# new sleep, and between two of them lies at least one complete pass. Perl has settled when PASSES
# new sleeps have been seen since the call and the last complete pass changed neither the table nor
# the log. Bounded by SETTLE_MAX seconds (a note in the run's log when hit).
ctxsw() { sed -n 's/^voluntary_ctxt_switches:\s*//p' "/proc/$1/status" 2>/dev/null; }
# Lines a daemon logs at every check (compare.mjs PER_CHECK: an unexecutable checkcommand) are not a
# change: counted, they would keep a daemon from ever settling.
snapshot() { ipvsadm -S -n 2>/dev/null; grep -v 'Exiting with exit_status 127: exec(' "$1/ldirectord.log" 2>/dev/null | wc -c; }
settle_perl() { # CFGDIR PASSES
  local pid='' t0=$SECONDS sc ctx seen='' eps=0 prev='' cur quiet='' quiet_since=$SECONDS
  while ((SECONDS - t0 < SETTLE_MAX)); do
    [[ -z $pid ]] && pid=$(cat /var/run/ldirectord.*.pid 2>/dev/null | head -1)
    if [[ -n $pid && ! -d /proc/$pid ]]; then
      log "perl (pid $pid) exited after $eps passes"
      return 1
    fi
    if [[ -n $pid ]]; then
      ctx=$(ctxsw "$pid")
      sc=$(cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)
      # The same count after the syscall read: it did not wake in between.
      if [[ $sc == 230 || $sc == 35 ]] && [[ $(ctxsw "$pid") == "$ctx" ]]; then
        if [[ -z $seen ]]; then
          # The first sleep seen: after a start it ends the start-up passes (one complete pass at
          # least); after a state flip it may end a pass that began before the flip, not counted.
          seen=$ctx
          [[ ${first:-} == 1 ]] && { eps=1; prev=$(snapshot "$1"); }
        elif [[ $ctx != "$seen" ]]; then
          seen=$ctx
          eps=$((eps + 1))
          cur=$(snapshot "$1")
          ((eps >= $2)) && [[ $cur == "$prev" ]] && return 0
          prev=$cur
        fi
      fi
    fi
    # No sleep seen at all (should not happen): settle on 90 s without a change, and say so.
    if ((eps == 0 && SECONDS - t0 >= 90)); then
      cur=$(snapshot "$1")
      [[ $cur != "${quiet:-}" ]] && { quiet=$cur quiet_since=$SECONDS; }
      ((SECONDS - quiet_since >= 90)) && { log "perl: no pass seen; settled on 90 s without a change"; return 0; }
    fi
    sleep 0.2
  done
  log "perl did not settle in $SETTLE_MAX s ($eps passes seen)"
}
# Ours: its control socket tells when each real's last check started (test/parity/ng-checked.py);
# a round is complete once every checked real has a verdict from a check started after the round
# began. Settled after PASSES rounds when the last round changed neither the table nor the log.
# (Waiting for a quiet log alone is wrong here: under TCG ours can take 20 s from its first log line
# to its first check.) Bounded by SETTLE_MAX seconds.
settle_ng() { # CFGDIR PASSES
  local t0=$SECONDS rounds=0 prev='' cur began first_start sock quiet_since=0 last=''
  began=$(date +%s%3N)
  while ((SECONDS - t0 < SETTLE_MAX)); do
    sock=$(ls /run/ldirectord.*.sock 2>/dev/null | head -1)
    first_start=$([[ -n $sock ]] && /usr/bin/python3 "$repo/test/parity/ng-checked.py" "$sock")
    if [[ $first_start =~ ^[0-9]+$ ]] && ((first_start > began)); then
      rounds=$((rounds + 1))
      began=$(date +%s%3N)
      cur=$(snapshot "$1")
      ((rounds >= $2)) && [[ $cur == "$prev" ]] && return 0
      prev=$cur
    fi
    # After a complete round, PASSES × (checkinterval + checktimeout) + 5 s without any change also
    # settles (under TCG a round can take far longer than its checks' own timing).
    if ((rounds >= 1)); then
      cur=$(snapshot "$1")
      if [[ $cur != "$last" ]]; then last=$cur quiet_since=$SECONDS; fi
      ((SECONDS - quiet_since >= $2 * 7 + 5)) && return 0
    fi
    sleep 1
  done
  log "ng did not settle in $SETTLE_MAX s ($rounds rounds seen)"
}

start_ld() { # impl cfg
  # SSL_CERT_FILE: Perl's https check verifies the certificate chain (LWP's verify_hostname => 0 turns
  # off only the name check), so the reals' certificate is made trusted, as an operator would install
  # their CA; ours does not verify (docs/compatibility.md P5).
  if [[ $1 == perl ]]; then (cd / && SSL_CERT_FILE=$work/cert.pem perl "$PERL_LD" "$2" start) >/dev/null 2>&1; else (cd / && "${NG_LD[@]}" "$2" start) >/dev/null 2>&1; fi
}
stop_ld() { # impl cfg
  local pid
  pid=$(pgrep -f -- "$2" | tr '\n' ' ')
  if [[ $1 == perl ]]; then (cd / && perl "$PERL_LD" "$2" stop) >/dev/null 2>&1; else (cd / && "${NG_LD[@]}" "$2" stop) >/dev/null 2>&1; fi
  for _ in $(seq 150); do [[ -n $pid ]] && kill -0 $pid 2>/dev/null || break; sleep 0.2; done
  [[ -n $pid ]] && kill -9 $pid 2>/dev/null
  rm -f /var/run/ldirectord.*.pid
}

# shellcheck source=test/parity/lib.sh
. "$repo/test/parity/lib.sh"
over_budget() { ((BUDGET > 0 && SECONDS >= BUDGET)); }
for cfg in "$@"; do
  over_budget && { log "budget of $BUDGET s spent: stopping before $cfg"; break; }
  d="$out/$(parity_name "$cfg")"
  parity_pending "$d" || { log "$cfg: already recorded"; continue; }
  mkdir -p "$d"
  echo "$cfg" >"$d/source"
  if ! node "$repo/test/parity/prepare.mjs" "$cfg" "$d" >"$d/prepare.out" 2>&1; then
    log "$cfg: $(cat "$d/prepare.out")"
    continue
  fi
  log "$cfg: $(cat "$d/prepare.out")"
  passes=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).passes' "$d/plan.json")
  # Host names the config uses (prepare.mjs gave them addresses): both daemons resolve them alike.
  if [[ -f $d/hosts ]]; then cat /etc/hosts "$d/hosts" >"$work/hosts" && mount --bind "$work/hosts" /etc/hosts; fi
  bind_reals "$d/servers.json"
  echo '{}' >"$work/state.json"
  : >"$work/server.out"
  ip netns exec preals node "$repo/test/parity/server.mjs" "$d/servers.json" "$work/state.json" "$work/cert.pem" "$work/key.pem" \
    >"$work/server.out" 2>"$d/server.err" &
  server_pid=$!
  for _ in $(seq 300); do grep -q ready "$work/server.out" && break; sleep 0.1; done
  for state in up down change; do
    for impl in perl ng; do
      parity_recorded "$d" "$state" "$impl" && continue
      over_budget && break 2
      t1=$SECONDS
      ipvsadm -C
      rm -f "$d/ldirectord.log"
      set_state "$d" "$([[ $state == change ]] && echo down || echo "$state")"
      start_ld "$impl" "$d/ldirectord.cf"
      first=1 "settle_$impl" "$d" "$passes"
      if [[ $state == change ]]; then
        set_state "$d" change
        first=0 "settle_$impl" "$d" "$passes"
      fi
      cp "$d/ldirectord.log" "$d/$state.$impl.log" 2>/dev/null || : >"$d/$state.$impl.log"
      ipvsadm -S -n >"$d/$state.$impl.table"
      stop_ld "$impl" "$d/ldirectord.cf"
      log "$cfg $state $impl: $(wc -l <"$d/$state.$impl.table") table lines, $(wc -l <"$d/$state.$impl.log") log lines, $((SECONDS - t1)) s"
    done
  done
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  unbind_reals
  [[ ! -f $d/hosts ]] || umount /etc/hosts
done
ipvsadm -C
exit 0
