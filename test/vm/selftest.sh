#!/usr/bin/env bash
# Self-test of the QEMU rig (make test-vm): IPVS, node, environment, shares, output, exit codes, timeout.
#
# Runs on the host and boots the guest several times (~6 boots, about a minute under TCG).
# Usage: test/vm/selftest.sh [--fresh]   (--fresh also builds a throw-away cache from scratch with
# two concurrent setups, checking the flock; it downloads the kernel package again, ~70 MB).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
run=$here/run
cd "$repo" || exit 125

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== 1. IPVS, modules, node, environment, overlay and a writable share in one guest"
probe=$repo/.vmrig/overlay-probe.$$
node_host=$(node -e 'console.log(process.version)')
t=$(now)
NODE_OPTIONS=--max-old-space-size=200 LDIRD_SELFTEST=passed "$run" -w "$tmp/share" -e EXTRA=given \
  -e NODE_HOST="$node_host" -e CALLER_CWD="$repo" -e SHARE="$tmp/share" -e PROBE="$probe" -- \
  bash -c '
  set -u
  ok() { echo "ok: $*"; }
  bad() { echo "FAIL: $*" >&2; exit 1; }
  ipvsadm -A -t 10.0.0.100:80 -s rr || bad "ipvsadm -A failed"
  ipvsadm -Ln | grep -Eq "^TCP +10\.0\.0\.100:80 rr" || bad "ipvsadm -Ln does not show the service"
  ok "ipvsadm -A -t 10.0.0.100:80 -s rr, then -Ln shows it"
  [[ -r /proc/net/ip_vs ]] && grep -q "^TCP  0A000064:0050 rr" /proc/net/ip_vs || bad "/proc/net/ip_vs missing or without the service"
  ok "/proc/net/ip_vs lists it"
  mods=$(lsmod) || bad "lsmod failed"
  for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh \
           ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_ftp ip_vs_pe_sip nf_conntrack \
           veth bridge ipip ip6_tunnel; do
    grep -q "^$m " <<<"$mods" || bad "module $m not loaded"
  done
  ok "lsmod: every ip_vs scheduler and helper, nf_conntrack, veth, bridge, ipip, ip6_tunnel"
  modprobe sctp && grep -q "^sctp " /proc/modules || bad "modprobe sctp (on demand, from the cache) failed"
  ok "modprobe loads other modules on demand"
  v=$(node -e "console.log(process.version)") || bad "node does not run"
  [[ $v == "$NODE_HOST" ]] || bad "node $v in the guest, $NODE_HOST on the host"
  ok "node runs: $v"
  [[ $PWD == "$CALLER_CWD" ]] || bad "cwd $PWD, want $CALLER_CWD"
  [[ $PATH == /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]] || bad "PATH is $PATH"
  [[ $NODE_OPTIONS == --max-old-space-size=200 && $LDIRD_SELFTEST == passed && $EXTRA == given ]] \
    || bad "environment not passed through"
  [[ $(id -u) == 0 && $HOME == /root && $VM_GUEST == 1 ]] || bad "not root with HOME=/root and VM_GUEST=1"
  ok "cwd, PATH, NODE_OPTIONS, LDIRD_*, -e, root"
  [[ -z $(ls /sys/class/net | grep -Ev "^(lo|dummy0|tunl0|ip6tnl0|sit0)$") ]] || bad "unexpected network devices: $(ls /sys/class/net)"
  ok "no network device besides lo and the tunnel modules fallback devices"
  echo guest-wrote-this >"$SHARE/result.txt" || bad "cannot write to the -w share"
  touch "$PROBE" || bad "cannot write to the overlay root"
  ok "wrote to the share and to the overlay"
' </dev/null >"$tmp/1.out" 2>"$tmp/1.err"
rc=$?
cat "$tmp/1.out"
cat "$tmp/1.err" >&2
echo "   ($(since "$t") s)"
grep -q '^ok: wrote to the share' "$tmp/1.out" && ((rc == 0)) && pass "guest checks passed" || fail "guest checks (status $rc)"
[[ $(cat "$tmp/share/result.txt" 2>/dev/null) == guest-wrote-this ]] && pass "the share's file reached the host" \
  || fail "the file written to the -w share is not on the host"
[[ ! -e $probe ]] && pass "overlay writes stay in the guest" || { fail "an overlay write reached the host: $probe"; rm -f "$probe"; }

echo "== 2. exit status, stdout and stderr kept apart, a large output byte-exact"
t=$(now)
"$run" -- bash -c 'seq 1 300000; echo "to stderr" >&2; exit 42' >"$tmp/2.out" 2>"$tmp/2.err"
rc=$?
echo "   ($(since "$t") s)"
((rc == 42)) && pass "a command's status comes back (42)" || fail "status $rc, want 42; stderr: $(head -c 2000 "$tmp/2.err")"
[[ $(md5sum <"$tmp/2.out") == $(seq 1 300000 | md5sum) ]] && pass "300000 lines of stdout arrive byte-exact" \
  || fail "stdout differs from seq 1 300000 ($(wc -c <"$tmp/2.out") bytes)"
[[ $(cat "$tmp/2.err") == "to stderr" ]] && pass "stderr arrives separately" || fail "stderr is '$(head -c 300 "$tmp/2.err")'"

echo "== 3. a failing command, a missing command, stdin with -i"
"$run" -- false >/dev/null 2>&1
rc=$?
((rc == 1)) && pass "false gives 1" || fail "false gave $rc"
"$run" -- /nonexistent/command >/dev/null 2>"$tmp/3.err"
rc=$?
((rc == 127)) && pass "a missing command gives 127" || fail "a missing command gave $rc: $(cat "$tmp/3.err")"

printf 'read -r line; echo "got $line"; exit 9\nfrom-host\n' | "$run" -i -- bash >"$tmp/3i.out" 2>"$tmp/3i.err"
rc=$?
((rc == 9)) && [[ $(cat "$tmp/3i.out") == "got from-host" ]] && pass "-i forwards stdin" \
  || fail "-i gave $rc, '$(cat "$tmp/3i.out")': $(tail -3 "$tmp/3i.err")"

echo "== 4. timeout"
t=$(now)
"$run" -t 12 -- sleep 600 >/dev/null 2>"$tmp/4.err"
rc=$?
el=$(since "$t")
echo "   ($el s)"
((rc == 124)) && pass "-t 12 on sleep 600 gives 124" || fail "timeout gave $rc: $(cat "$tmp/4.err")"
awk -v e="$el" 'BEGIN {exit !(e < 30)}' && pass "and returns after ${el} s" || fail "timeout took ${el} s"
grep -q 'timed out' "$tmp/4.err" && pass "and says so" || fail "no timeout message: $(cat "$tmp/4.err")"

echo "== 5. rig failures give 125 with a message"
"$run" -m lots -- true 2>"$tmp/5a.err"
rc=$?
((rc == 125)) && grep -q -- '-m wants MiB' "$tmp/5a.err" && pass "a bad option gives 125" || fail "bad option gave $rc: $(cat "$tmp/5a.err")"
VM_APPEND=rdinit=/no-such-init "$run" -t 120 -- true 2>"$tmp/5b.err"
rc=$?
((rc == 125)) && grep -q 'without reporting an exit status' "$tmp/5b.err" && pass "a guest that cannot boot gives 125 and its console" \
  || fail "an unbootable guest gave $rc: $(tail -5 "$tmp/5b.err")"

echo "== 6. two runs at once"
t=$(now)
"$run" -v -- bash -c 'sleep 1; echo one' >"$tmp/6a.out" 2>"$tmp/6a.err" &
p1=$!
"$run" -v -- bash -c 'sleep 1; echo two; exit 7' >"$tmp/6b.out" 2>"$tmp/6b.err" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
echo "   ($(since "$t") s)"
((r1 == 0 && r2 == 7)) && [[ $(cat "$tmp/6a.out") == one && $(cat "$tmp/6b.out") == two ]] \
  && pass "concurrent runs keep their own output and status" \
  || fail "concurrent runs: $r1/$r2, '$(cat "$tmp/6a.out")' '$(cat "$tmp/6b.out")'"
# Other people's runs may share the cache: check only the two directories these runs used.
dirs=$(sed -n 's/^vm: run directory //p' "$tmp/6a.err" "$tmp/6b.err")
[[ $(wc -w <<<"$dirs") == 2 ]] || fail "-v did not name the run directories: $(cat "$tmp/6a.err" "$tmp/6b.err")"
left=0
for d in $dirs; do [[ -e $d ]] && left=$((left + 1)); done
((left == 0)) && pass "run directories are removed" || fail "$left run directories left in the cache"
grep -h '^vm: qemu start' "$tmp/6a.err" "$tmp/6b.err" | sed 's/^/   /'

if [[ ${1:-} == --fresh ]]; then
  echo "== 7. setup from scratch, twice at once (one downloads, the other waits on the lock)"
  fresh=$tmp/fresh
  t=$(now)
  VMRIG=$fresh "$here/setup" >"$tmp/7a.out" 2>"$tmp/7a.err" &
  p1=$!
  VMRIG=$fresh "$here/setup" >"$tmp/7b.out" 2>"$tmp/7b.err" &
  p2=$!
  wait $p1; r1=$?
  wait $p2; r2=$?
  echo "   ($(since "$t") s)"
  downloads=$(cat "$tmp/7a.err" "$tmp/7b.err" | grep -c 'downloading')
  ((r1 == 0 && r2 == 0 && downloads == 1)) && pass "both setups succeed, one download" \
    || fail "fresh setups: $r1/$r2, $downloads downloads: $(cat "$tmp/7a.err" "$tmp/7b.err")"
  t=$(now)
  VMRIG=$fresh "$run" -- true && pass "a run on the fresh cache works ($(since "$t") s)" || fail "a run on the fresh cache failed"
fi

echo
if ((failures)); then
  echo "selftest: $failures FAILED" >&2
  exit 1
fi
echo "selftest: all passed"
