#!/usr/bin/env bash
# The seed's scenario (seed/lvs-ubuntu.txt) with our ldirectord on a real kernel: LDVS-DR, health, reload, stop.
#
# Runs inside the rig's guest: test/vm/run -t 900 -- test/e2e/seed.sh [demo]   (make test-e2e / make demo).
# "demo" runs the tutorial's part only (table, 20 requests, a failure and its recovery) and narrates;
# the default runs every assertion of issue 5 and exits non-zero at the first that does not hold.
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib/topology.sh
. "$here/lib/topology.sh"

MODE=${1:-full}
if [[ $MODE == demo ]]; then
  cat <<'INTRO'
ldirectord-ng demo: the tutorial in seed/lvs-ubuntu.txt, replayed in a QEMU guest running Debian's
kernel (real IPVS). A director with the virtual IP 10.15.16.113 balances two web servers (LVS-DR,
"gate"); ldirectord-ng fetches index.html from each every 2 s, expects the word "fake" in it, and
programs IPVS accordingly. A client namespace sends the requests.
INTRO
fi
CFG=/etc/ha.d/ldirectord.cf
LOG=/var/log/ldirectord.log
INTERVAL=2 TIMEOUT=10          # the seed's checkinterval and checktimeout
MARGIN=${E2E_MARGIN:-6}        # emulated guest: code runs 15-50x slower than on the host
# The daemon under test: the checkout on the pinned Node the package ships (LDNG_NODE, set by the
# Makefile from .ci/node-runtime), or any command line in LDNG_LD (test/stock runs the installed
# /usr/sbin/ldirectord of a stock Debian root through chroot).
if [[ -n ${LDNG_LD:-} ]]; then read -ra LD <<<"$LDNG_LD"; else LD=("${LDNG_NODE:-node}" "$repo/bin/ldirectord"); fi

t0=$(date +%s.%N)
now() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }
step() { echo; echo "== $* (t=$(now) s)"; }
fail() {
  {
    echo "seed: FAIL: $*"
    echo "--- ipvsadm -Ln"; ipvsadm -Ln || true
    echo "--- $LOG (last 40 lines)"; tail -40 "$LOG" 2>/dev/null || true
  } >&2
  exit 1
}
ok() { echo "ok: $*"; }

# seed_config SCHEDULER QUIESCENT [EXTRA_REAL_LINES]: the seed's ldirectord.cf, unchanged but for
# the scheduler, quiescent and extra reals. Saved like an editor: a new file renamed over the old.
seed_config() {
  mkdir -p /etc/ha.d
  cat >"$CFG.tmp" <<CONF
checktimeout=$TIMEOUT
checkinterval=$INTERVAL
autoreload=yes
logfile="$LOG"
quiescent=$2
virtual=$TOPO_VIP:80
	real=$(topo_rip real1):80 gate
	real=$(topo_rip real2):80 gate
${3:-}	service=http
	request="index.html"
	receive="fake"
	scheduler=$1
	protocol=tcp
	checktype=negotiate
CONF
  mv -f "$CFG.tmp" "$CFG"
}

# accepts NS: TCP connections accepted in namespace NS so far (PassiveOpens of its /proc/net/snmp).
accepts() { ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp; }

# weight_of RIP: the real's weight in `ipvsadm -Ln` ("" when absent).
weight_of() { ipvsadm -Ln | awk -v r="$1:80" '$1 == "->" && $2 == r {print $4}'; }

# wait_weight RIP WANT LIMIT_S [SINCE]: polls until RIP has weight WANT ("" = absent); prints the
# seconds from SINCE (an epoch, default now) to the start of the poll that saw it (the guest is
# emulated and loaded: one poll can take seconds).
wait_weight() {
  local s=${4:-$(date +%s.%N)} w t
  while :; do
    t=$(date +%s.%N)
    w=$(weight_of "$1")
    local el=$(awk -v a="$s" -v b="$t" 'BEGIN {printf "%.1f", b - a}')
    if awk -v e="$el" -v l="$3" 'BEGIN {exit !(e > l)}'; then
      fail "$1 has weight '${w}' after $el s, want '${2:-absent}' within $3 s"
    fi
    [[ $w == "$2" ]] && { echo "$el"; return 0; }
    sleep 0.2
  done
}

# log_since MARK: log lines written after line MARK (message part only).
log_since() { tail -n +"$(($1 + 1))" "$LOG" | sed -E 's/^\[[^]]*\] //'; }
log_mark() { wc -l <"$LOG"; }

# counts "1 1 2 2 1" -> "1x3 2x2"
counts() { tr ' ' '\n' | grep -v '^$' | sort | uniq -c | awk '{printf "%sx%s ", $2, $1}'; }

step "The seed's LVS-DR network: director (VIP 10.15.16.113), real1, real2, real3, client"
topo_dr_up 3
cleanup() {
  "${LD[@]}" stop >/dev/null 2>&1 || true
  topo_down
}
trap cleanup EXIT
topo_http_start real1 1
topo_http_start real2 2
topo_http_start real3 3
rip1=$(topo_rip real1) rip2=$(topo_rip real2) rip3=$(topo_rip real3)
ok "real servers answer: 1=$rip1 2=$rip2 3=$rip3"

step "ldirectord start with the seed's /etc/ha.d/ldirectord.cf (scheduler=rr)"
mkdir -p "$(dirname "$LOG")"
: >"$LOG"   # the guest's overlay: this run's lines only
seed_config rr yes
sed 's/^/    /' "$CFG"
"${LD[@]}" start || fail "ldirectord start exited $?"
"${LD[@]}" status || fail "status after start"
t=$(wait_weight "$rip1" 1 60); t2=$(wait_weight "$rip2" 1 60)
ok "both reals programmed at weight 1 (${t} s, ${t2} s after start returned)"
ipvsadm -Ln

step "20 requests from the client (rr alternates)"
got=$(topo_servers 20)
echo "servers: $got"
first=${got%% *}
[[ $first == 1 || $first == 2 ]] || fail "first request failed: $got"
other=$((3 - first)) want=''
for ((i = 0; i < 10; i++)); do want+="$first $other "; done
[[ "$got " == "$want" || $got == "${want% }" ]] || fail "rr: got '$got', want '$want'"
ok "20 requests alternate $first,$other,$first,$other…"

step "real1's server killed: quiesced (weight 0), everything to real2"
k=$(date +%s.%N)
topo_http_stop real1
t=$(wait_weight "$rip1" 0 $((INTERVAL + MARGIN)) "$k")
ok "real1 quiesced ${t} s after its server was killed (limit checkinterval + ${MARGIN} s)"
ipvsadm -Ln
"${LD[@]}" status || fail "status with real1 down"   # the daemon's own table: real1 down, and why
got=$(topo_servers 10); echo "servers: $got"
[[ $(counts <<<"$got") == "2x10 " ]] || fail "with real1 quiesced: got '$got'"
ok "all 10 requests reached real2"

step "real1's server back: restored to weight 1"
topo_http_start real1 1
t=$(wait_weight "$rip1" 1 $((INTERVAL + MARGIN)))
ok "real1 restored ${t} s after its server came back"
ipvsadm -Ln

if [[ $MODE == demo ]]; then
  step "What ldirectord wrote to $LOG"
  cat "$LOG"
  echo
  echo "demo: PASS"
  exit 0
fi

step "scheduler=wlc (autoreload): both reals serve"
seed_config wlc yes
for ((i = 0; i < 100; i++)); do ipvsadm -Ln | grep -q "$TOPO_VIP:80 wlc" && break; sleep 0.2; done
ipvsadm -Ln | grep -q "$TOPO_VIP:80 wlc" || fail "scheduler not changed to wlc by autoreload"
got=$(topo_servers 20); echo "servers: $got"
[[ $got == *1* && $got == *2* && $got != *E* ]] || fail "wlc: got '$got'"
ok "both serve with wlc: $(counts <<<"$got")"

step "real1's link down: weight 0 within checkinterval + checktimeout; all requests to real2"
k=$(date +%s.%N)
topo_link_down real1
t=$(wait_weight "$rip1" 0 $((INTERVAL + TIMEOUT + MARGIN)) "$k")
ok "real1 quiesced ${t} s after its link went down (limit $((INTERVAL + TIMEOUT)) + ${MARGIN} s)"
got=$(topo_servers 10); echo "servers: $got"
[[ $(counts <<<"$got") == "2x10 " ]] || fail "link down: got '$got'"
ok "all requests reached real2"
topo_link_up real1
t=$(wait_weight "$rip1" 1 $((INTERVAL + TIMEOUT + MARGIN)))
ok "real1 restored ${t} s after its link came back"

step "the word 'fake' removed from real1's page: quiesced; put back: restored"
k=$(date +%s.%N)
topo_http_page real1 1 "This is WWW server 1"
t=$(wait_weight "$rip1" 0 $((INTERVAL + MARGIN)) "$k")
ok "real1 quiesced ${t} s after its page changed"
topo_http_page real1 1
t=$(wait_weight "$rip1" 1 $((INTERVAL + MARGIN)))
ok "real1 restored ${t} s after its page was fixed"

step "quiescent=no: a failed real is deleted instead"
seed_config wlc no
sleep 2
k=$(date +%s.%N)
topo_http_stop real1
t=$(wait_weight "$rip1" "" $((INTERVAL + MARGIN)) "$k")
ok "real1 deleted ${t} s after its server died"
topo_http_start real1 1
t=$(wait_weight "$rip1" 1 $((INTERVAL + MARGIN)))
ok "real1 added back ${t} s after its server came back"

step "a third real added by editing the file: picked up, zero failed requests, no op on the others"
mark=$(log_mark)
topo_servers 40 >/run/e2e/during-reload.out &
loop=$!
k=$(date +%s.%N)
seed_config wlc no "	real=$rip3:80 gate
"
t=$(wait_weight "$rip3" 1 $((INTERVAL + MARGIN + 5)) "$k")
wait "$loop"
got=$(cat /run/e2e/during-reload.out); echo "servers during the reload: $got"
[[ $got != *E* ]] || fail "failed requests during the reload: '$got'"
changes=$(log_since "$mark" | grep -E '^(Added|Restored|Quiescent|Deleted|Purged|Changed)' || true)
echo "$changes"
[[ $changes == "Added real server: $rip3:80 ($TOPO_VIP:80) (Weight set to 1)" ]] || fail "reload changed more than the new real: $changes"
ok "real3 added ${t} s after the save, 40 requests without a failure, nothing else touched"
ipvsadm -Ln

step "a broken file saved: nothing changes, the old config keeps running"
before=$(ipvsadm -Sn)
mark=$(log_mark)
printf 'virtual=%s:80\n\treal=%s:80 gate\n\tscheduler\n\tnonsense=1\n' "$TOPO_VIP" "$rip1" >"$CFG.tmp"
mv -f "$CFG.tmp" "$CFG"
sleep $((INTERVAL * 3))
[[ $(ipvsadm -Sn) == "$before" ]] || fail "the table changed after a broken save"
log_since "$mark"
log_since "$mark" | grep -q '^Reload of .* failed: keeping the running configuration' || fail "no 'keeping the running configuration' line"
# (`ldirectord status` itself exits 2 on a broken file, as upstream: every command parses it first.)
kill -0 "$(cat /var/run/ldirectord.ldirectord.pid)" || fail "daemon not running after a broken save"
ok "table unchanged, daemon running with the old config"

step "restart over its own table (cleanstop=no): the new daemon changes nothing that is healthy"
seed_config wlc no "	real=$rip3:80 gate
"
sed -i '1i cleanstop=no' "$CFG"
sleep 2
before=$(ipvsadm -Sn)
mark=$(log_mark)
topo_servers 60 >/run/e2e/during-restart.out &
loop=$!
"${LD[@]}" restart || fail "restart exited $?"
newpid=$(cat /var/run/ldirectord.ldirectord.pid)
wait "$loop"
# The client is done: from here on only the new daemon's checks connect to the reals. Two connections
# to each real mean its first check finished (and was applied) before the assertions below.
declare -A seen=()
for r in real1 real2 real3; do seen[$r]=$(accepts "$r"); done
k=$(date +%s)
for r in real1 real2 real3; do
  while (($(accepts "$r") < ${seen[$r]} + 2)); do
    (($(date +%s) - k <= 2 * INTERVAL + MARGIN + 10)) || fail "the new daemon (pid $newpid) did not check $r twice within $((2 * INTERVAL + MARGIN + 10)) s"
    sleep 0.2
  done
done
kill -0 "$newpid" || fail "the new daemon (pid $newpid) is gone"
ok "the new daemon (pid $newpid) checked every real twice in $(($(date +%s) - k)) s"
got=$(cat /run/e2e/during-restart.out); echo "servers during the restart: $got"
[[ $got != *E* ]] || fail "failed requests during the restart: '$got'"
[[ $(ipvsadm -Sn) == "$before" ]] || fail "the table changed across the restart"
changes=$(log_since "$mark" | grep -E '^(Added|Restored|Quiescent|Deleted|Purged|Changed)' || true)
[[ -z $changes ]] || fail "restart touched IPVS: $changes"
ok "restarted without a single IPVS change and without a failed request"

step "ldirectord stop: cleans up as upstream (cleanstop=yes removes the virtual service)"
seed_config wlc no "	real=$rip3:80 gate
"
sleep 2
"${LD[@]}" stop || fail "stop exited $?"
st=0; "${LD[@]}" status >/dev/null 2>&1 || st=$?
[[ $st == 3 ]] || fail "status after stop exited $st, want 3"
[[ -z $(ipvsadm -Sn) ]] || fail "table not empty after stop: $(ipvsadm -Sn)"
ok "daemon gone, status exits 3, table empty"

step "the seed's VDM variant: https on 443, receive=Requirements, scheduler=sh, quiescent=no, weight 1000"
d=/run/e2e/tls
mkdir -p "$d"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 2 -subj /CN=vdm >/dev/null 2>&1
for n in 1 2; do
  mkdir -p "$d/real$n"
  echo "<html><body>VDM $n: Requirements</body></html>" >"$d/real$n/index.jsp"
  ip netns exec "real$n" node -e '
    const fs = require("fs"), dir = process.argv[1];
    require("https").createServer({ key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3]) }, (req, res) => {
      fs.readFile(dir + "/index.jsp", (err, body) => { if (err) { res.writeHead(404); res.end(); return; } res.writeHead(200); res.end(body); });
    }).listen(443, "0.0.0.0");' "$d/real$n" "$d/key.pem" "$d/cert.pem" >"$d/real$n.log" 2>&1 &
  echo $! >"$d/real$n.pid"
done
cat >"$CFG" <<CONF
checktimeout=$TIMEOUT
checkinterval=$INTERVAL
autoreload=yes
logfile="$LOG"
quiescent=yes
virtual=$TOPO_VIP:443
	real=$rip1:443 gate 1000
	real=$rip2:443 gate 1000
	service=https
	request="index.jsp"
	receive="Requirements"
	scheduler=sh
	protocol=tcp
	checktype=negotiate
	quiescent=no
CONF
"${LD[@]}" start || fail "start (VDM) exited $?"
w443() { ipvsadm -Ln | awk -v r="$1:443" '$1 == "->" && $2 == r {print $4}'; }
for ((i = 0; i < 300; i++)); do [[ $(w443 "$rip1") == 1000 && $(w443 "$rip2") == 1000 ]] && break; sleep 0.2; done
ipvsadm -Ln
[[ $(w443 "$rip1") == 1000 && $(w443 "$rip2") == 1000 ]] || fail "VDM: reals not at weight 1000"
ipvsadm -Ln | grep -q "$TOPO_VIP:443 sh" || fail "VDM: scheduler is not sh"
ok "both VDM reals at weight 1000 with sh"
echo "<html><body>VDM 1: maintenance</body></html>" >"$d/real1/index.jsp"
for ((i = 0; i < 100; i++)); do [[ -z $(w443 "$rip1") ]] && break; sleep 0.2; done
[[ -z $(w443 "$rip1") ]] || fail "VDM: real1 not deleted when 'Requirements' disappeared"
ok "VDM real1 deleted (quiescent=no) when its page lost 'Requirements'"
"${LD[@]}" stop || fail "stop (VDM) exited $?"
kill "$(cat "$d/real1.pid")" "$(cat "$d/real2.pid")" 2>/dev/null || true

step "log lines written"
cat "$LOG"
echo
echo "seed: PASS"
