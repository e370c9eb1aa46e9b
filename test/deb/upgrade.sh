#!/usr/bin/env bash
# make test-deb (runs inside the test/vm guest): Debian's ldirectord runs the seed's LVS-DR director
# under continuous client load; the ldirectord-ng .deb is installed over it and must drop no request,
# leave the IPVS table as it was and keep the service name, pid file and log format; then a Perl
# daemon holding the pid file makes `ldirectord start` refuse, the OCF agent drives our binary
# (ocf-tester), and dpkg -r / dpkg -P leave the configuration as Debian policy says.
# Phase B: a Perl daemon that Debian's package itself manages (its init script, CONFIG_FILE set in
# /etc/default/ldirectord) is replaced by plain `dpkg -i` and, after dpkg -r and a reinstall of
# Debian's package, by plain `apt-get install ./…deb`: no manual step, zero failed requests. Debian's
# package disappears (all its files are ours, Replaces without Conflicts), so its prerm, whose stop
# would purge the table, never runs; our postinst takes the daemon over.
# Usage: test/deb/upgrade.sh DEBDIR [DEBIAN_LDIRECTORD_DEB]
#   DEBDIR holds ldirectord-ng_*.deb; phase B needs Debian's ldirectord_*.deb (make test-deb fetches it).
set -uo pipefail

debdir=${1:-build/deb}
upstream_deb=${2:-}
deb=$(ls "$debdir"/ldirectord-ng_*.deb 2>/dev/null | head -n 1)
[[ ${VM_GUEST:-} == 1 ]] || { echo "test-deb: run me through test/vm/run (I install packages)" >&2; exit 2; }
[[ -n $deb ]] || { echo "test-deb: no ldirectord-ng_*.deb in $debdir (make deb)" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../e2e/lib/topology.sh"

export DEBIAN_FRONTEND=noninteractive LC_ALL=C
# Everything the run leaves (client logs, IPVS snapshots, the daemon log) lands in DEBDIR/test-run.
work=$(readlink -f "$debdir")/test-run
rm -rf "$work" && mkdir -p "$work"
CFG=/etc/ha.d/ldirectord.cf
PIDFILE=/var/run/ldirectord.ldirectord.cf.pid
LOG=/var/log/ldirectord.log
OCF=/usr/lib/ocf/resource.d/heartbeat/ldirectord
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # check "sentence" command...
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; return 1; fi
}
finish() {
  touch "$work/stop-client"
  cp -a "$LOG" "$work/" 2>/dev/null
  topo_down >/dev/null 2>&1
  echo "test-deb: $passed passed, $failed failed"
  echo "$passed passed, $failed failed"
  ((failed == 0))
  exit $?
}
ipvs_table() { ipvsadm -Sn | sort; }
daemon_pid() { head -n 1 "$PIDFILE" 2>/dev/null; }
is_node_daemon() { local p; p=$(daemon_pid); [[ -n $p ]] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q node; }
is_perl_daemon() { local p; p=$(daemon_pid); [[ -n $p ]] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q perl; }
# Daemons only (reparented to PID 1): a Perl daemon's short-lived system() children do not count.
ldird_processes() { pgrep -P 1 -f 'ldirectord.*ldirectord.cf start' | wc -l; }
# Waits up to $1 s for "$2..." to succeed.
wait_for() { local t=$1 i; shift; for ((i = 0; i < t * 2; i++)); do "$@" && return 0; sleep 0.5; done; return 1; }
no_daemon() { ! pgrep -f '[l]directord.*start' >/dev/null; }
# One request: HTTP errors fail (-f) and the body must be a real server's page, or it counts as failed.
client_once() {
  local body
  body=$(ip netns exec client curl -sf --max-time 5 "http://$TOPO_VIP/" 2>/dev/null) || return 1
  [[ $body == *"This is fake WWW server "[12]* ]] || return 99
}
both_reals_up() { [[ $(ipvsadm -Ln | grep -c 'Route *1 ') == 2 ]]; }

# --- The director as a SysV machine where maintainer scripts may act (as on a real director) ---
rm -f /usr/sbin/policy-rc.d
rm -f /sbin/runlevel && printf '#!/bin/sh\necho N 2\n' >/sbin/runlevel && chmod 755 /sbin/runlevel
dpkg-query -W -f='${Status} ${Version}\n' ldirectord | grep -q 'install ok installed' ||
  { echo "test-deb: Debian's ldirectord is not installed (make setup)" >&2; exit 2; }
echo "# Debian's ldirectord $(dpkg-query -W -f='${Version}' ldirectord); installing $(basename "$deb")"
update-rc.d ldirectord defaults >/dev/null 2>&1
cp /usr/sbin/ldirectord "$work/ldirectord.pl"
# man-db's trigger rebuilds its index for minutes under TCG; it has nothing to do with the test.
rm -f /var/lib/man-db/auto-update

# --- The seed's LVS-DR network, its two web servers and its /etc/ha.d/ldirectord.cf ---
# A setup failure is a failed test, never "0 passed, 0 failed".
topo_dr_up 2 || { bad "the seed's LVS-DR topology comes up"; finish; }
topo_http_start real1 1 && topo_http_start real2 2 || { bad "the real servers' web servers start"; finish; }
cat >"$CFG" <<'CF'
checktimeout=3
checkinterval=5
autoreload=yes
logfile="/var/log/ldirectord.log"
quiescent=yes
virtual=10.15.16.113:80
#    fallback=127.0.0.1:80
    real=10.15.16.39:80 gate
    real=10.15.16.43:80 gate
    service=http
    request="index.html"
    receive="fake"
    scheduler=wlc
    protocol=tcp
    checktype=negotiate
CF
cp "$CFG" "$work/ldirectord.cf.orig"
rm -f "$LOG"

client() { # one request after another until $work/stop-client exists; one line "time n rc" per request
  local i=0 rc
  while [[ ! -e $work/stop-client ]]; do
    i=$((i + 1))
    client_once && rc=0 || rc=$?
    echo "$(date +%s.%N) $i $rc"
  done
}
# IPVS as the client sees it, twice a second, to explain any failed request.
watch_ipvs() { while [[ ! -e $work/stop-client ]]; do echo "@ $(date +%s.%N)"; ipvsadm -Ln; sleep 0.5; done; }
# dpkg's fsyncs buy nothing on the guest's tmpfs and cost minutes under emulation.
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/ldng-test-unsafe-io
# LDNG_UPGRADE_PHASE=B runs only phase B (the init-managed daemon), for a quicker look.
if [[ ${LDNG_UPGRADE_PHASE:-all} != B ]]; then
# Debian's ldirectord is started the way a heartbeat/Pacemaker director runs it: by the OCF agent.
export OCF_ROOT=/usr/lib/ocf OCF_RESKEY_configfile=$CFG
"$OCF" start >"$work/ocf-start-perl.log" 2>&1
check "Debian's ldirectord starts through ocf:heartbeat:ldirectord" is_perl_daemon || finish
check "Debian's ldirectord brings both real servers up (weight 1)" wait_for 90 both_reals_up || finish
check "the client gets a real server's page through the VIP before the upgrade" client_once
ipvs_table >"$work/ipvs.before"
cat "$work/ipvs.before"
perl_pid=$(daemon_pid)
log_lines_before=$(wc -l <"$LOG")

# --- Continuous client load from the client namespace ---
rm -f "$work/stop-client"
client >"$work/client.log" &
client_pid=$!
watch_ipvs >"$work/ipvs-watch.log" 2>&1 &
sleep 5

# --- The upgrade, as the operator runs it ---
echo "# apt-get install ./$(basename "$deb")"
t0=$(date +%s)
apt-get install -y --no-install-recommends "$(readlink -f "$deb")" >"$work/apt.log" 2>&1
apt_rc=$?
t1=$(date +%s)
sed 's/^/    apt: /' "$work/apt.log" | grep -v -e '^    apt: $' -e 'Reading' -e 'Building' | tail -n 30
check "apt-get install ./ldirectord-ng.deb over the running ldirectord succeeds ($((t1 - t0)) s)" test "$apt_rc" = 0
check "ldirectord-ng is installed and Debian's ldirectord is gone" \
  bash -c "dpkg-query -W -f='\${Status}' ldirectord-ng | grep -q 'install ok installed' && ! dpkg-query -W -f='\${Status}' ldirectord 2>/dev/null | grep -q 'install ok installed'"
check "the Perl daemon (pid $perl_pid) is gone" bash -c "! kill -0 $perl_pid 2>/dev/null"
check "ldirectord-ng now holds $PIDFILE" wait_for 60 is_node_daemon
check "exactly one ldirectord daemon runs for $CFG" test "$(ldird_processes)" = 1
sleep 15 # two check intervals of the new daemon
touch "$work/stop-client"
wait "$client_pid"
ipvs_table >"$work/ipvs.after"
total=$(wc -l <"$work/client.log")
fails=$(awk '$3 != 0' "$work/client.log" | wc -l)
during=$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b + 1' "$work/client.log" | wc -l)
echo "# client: $total requests, $fails failed ($during of them sent while apt-get ran)"
echo "A (OCF-started Perl daemon, apt-get install ./deb): $total requests, $fails failed, $during during the install" >>"$work/request-counts.txt"
awk '$3 != 0' "$work/client.log" | head -n 5
check "no client request failed during the upgrade ($fails of $total)" test "$fails" = 0
check "the client kept sending requests during the upgrade ($during while apt-get ran)" test "$during" -gt 0
check "the IPVS table is unchanged" diff -u "$work/ipvs.before" "$work/ipvs.after"
check "the service answers under its name (/etc/init.d/ldirectord status)" /etc/init.d/ldirectord status
check "service ldirectord status agrees" service ldirectord status
check "$CFG is left as it was" cmp -s "$CFG" "$work/ldirectord.cf.orig"
new_lines=$(tail -n +"$((log_lines_before + 1))" "$LOG")
echo "$new_lines" | head -n 8 | sed 's/^/    log: /'
fmt='^\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] [0-9]{4}\|ldirectord\.cf\|[0-9]+\] '
check "ldirectord-ng appended lines to $LOG" test -n "$new_lines"
check "every log line has ldirectord's format [time|CFGNAME|pid] message" bash -c "! grep -Evq '$fmt' '$LOG'"
check "the new lines are written by ldirectord-ng, not by the Perl daemon (pid $perl_pid)" \
  bash -c "grep -q 'Invoking ldirectord invoked as: /usr/sbin/ldirectord' <<<\"\$1\" && ! grep -q '|$perl_pid\]' <<<\"\$1\"" _ "$new_lines"

# --- A Perl daemon holding the pid file: starting ours is refused, the takeover helper hands over ---
ng_pid=$(daemon_pid)
kill -KILL "$ng_pid"; rm -f "$PIDFILE"
(cd / && perl "$work/ldirectord.pl" "$CFG" start) >/dev/null 2>&1
check "a Perl ldirectord holds the pid file again" wait_for 30 is_perl_daemon
out=$(/usr/sbin/ldirectord "$CFG" start 2>&1) && rc=0 || rc=$?
echo "    refusal (exit $rc): $out"
check "starting ldirectord-ng while the Perl daemon holds the pid file is refused (exit $rc)" test "$rc" != 0
check "the refusal says which process holds the pid file" grep -q "$(daemon_pid)" <<<"$out"
check "no second daemon was started" test "$(ldird_processes)" = 1
rm -f "$work/stop-client"
client >"$work/client2.log" &
client_pid=$!
watch_ipvs >"$work/ipvs-watch2.log" 2>&1 &
sleep 3
/usr/lib/ldirectord-ng/takeover
check "/usr/lib/ldirectord-ng/takeover hands the Perl daemon over" wait_for 60 is_node_daemon
sleep 8
touch "$work/stop-client"; wait "$client_pid"
fails2=$(awk '$3 != 0' "$work/client2.log" | wc -l)
check "no request failed during the manual takeover ($fails2 of $(wc -l <"$work/client2.log"))" test "$fails2" = 0
check "the IPVS table is still unchanged" bash -c "diff -u '$work/ipvs.before' <(ipvsadm -Sn | sort)"

# --- Reinstalling ldirectord-ng over itself (the upgrade path) hands over too; Debian's own
# reinstall restarts its daemon, whose stop purges the table ---
old_pid=$(daemon_pid)
rm -f "$work/stop-client"
client >"$work/client3.log" &
client_pid=$!
sleep 3
dpkg -i "$deb" >"$work/reinstall.log" 2>&1 && rc=0 || rc=$?
sed 's/^/    dpkg: /' "$work/reinstall.log" | grep -i -e takeover -e error
check "dpkg -i of ldirectord-ng over itself succeeds" test "$rc" = 0
check "the reinstall replaced the daemon (pid $old_pid)" wait_for 60 bash -c "p=\$(head -n 1 $PIDFILE 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old_pid ] && kill -0 \$p"
sleep 8
touch "$work/stop-client"; wait "$client_pid"
fails3=$(awk '$3 != 0' "$work/client3.log" | wc -l)
check "no request failed during the reinstall ($fails3 of $(wc -l <"$work/client3.log"))" test "$fails3" = 0
check "the IPVS table is unchanged after the reinstall" bash -c "diff -u '$work/ipvs.before' <(ipvsadm -Sn | sort)"

# --- Pacemaker's ocf:heartbeat:ldirectord drives ldirectord-ng unchanged ---
/etc/init.d/ldirectord stop >/dev/null 2>&1
wait_for 30 bash -c "[ ! -e $PIDFILE ]"
ocf-tester -n ldirectord -o configfile="$CFG" "$OCF" >"$work/ocf-tester.log" 2>&1 && rc=0 || rc=$?
sed 's/^/    ocf-tester: /' "$work/ocf-tester.log" | tail -n 15
check "ocf-tester passes on ocf:heartbeat:ldirectord with ldirectord-ng" test "$rc" = 0
"$OCF" start >/dev/null 2>&1; "$OCF" monitor >/dev/null 2>&1 && rc=0 || rc=$?
check "the OCF agent's monitor reports our daemon running (exit $rc)" test "$rc" = 0
check "the OCF agent's daemon programs the virtual service" wait_for 90 both_reals_up

# --- dpkg -r keeps the configuration, dpkg -P removes it (Debian policy) ---
dpkg -r ldirectord-ng >"$work/remove.log" 2>&1 && rc=0 || rc=$?
check "dpkg -r ldirectord-ng succeeds" test "$rc" = 0
check "dpkg -r stops the daemon" wait_for 30 no_daemon
check "dpkg -r's clean stop removes the virtual service (cleanstop=yes)" wait_for 30 bash -c '! ipvsadm -Ln | grep -q 10.15.16.113' 
check "dpkg -r leaves the package in config-files state" bash -c "dpkg-query -W -f='\${Status}' ldirectord-ng | grep -q 'config-files'"
check "dpkg -r keeps $CFG unchanged" cmp -s "$CFG" "$work/ldirectord.cf.orig"
check "dpkg -r keeps /etc/default/ldirectord" test -f /etc/default/ldirectord
check "dpkg -r removes /usr/sbin/ldirectord" test ! -e /usr/sbin/ldirectord
dpkg -P ldirectord-ng >"$work/purge.log" 2>&1 && rc=0 || rc=$?
check "dpkg -P ldirectord-ng succeeds" test "$rc" = 0
check "dpkg -P removes the conffiles" bash -c "[ ! -e $CFG ] && [ ! -e /etc/default/ldirectord ] && [ ! -e /etc/init.d/ldirectord ] && [ ! -e /etc/logrotate.d/ldirectord ]"
check "dpkg -P removes the rc links" bash -c "! ls /etc/rc?.d/*ldirectord >/dev/null 2>&1"
check "dpkg -P removes the log file (policy 10.8)" test ! -e "$LOG"
check "dpkg -P forgets the package" bash -c "! dpkg-query -W ldirectord-ng >/dev/null 2>&1"

fi # phase A

# --- Phase B: Debian's ldirectord managed by its own init script, replaced with no manual step ---
if [[ -z $upstream_deb || ! -f $upstream_deb ]]; then
  bad "phase B needs Debian's ldirectord .deb (make test-deb fetches it)"
  finish
fi
# phase_b NAME INSTALL-COMMAND...: Debian's ldirectord (re)installed and started by its init script
# with CONFIG_FILE set, the client hammering the VIP, then INSTALL-COMMAND installs ldirectord-ng.
phase_b() {
  local name=$1 rc fails total; shift
  echo "# phase B ($name): $(basename "$upstream_deb") managed by /etc/init.d/ldirectord, then: $*"
  dpkg -i "$upstream_deb" >"$work/b-$name-dpkg-i.log" 2>&1
  check "[$name] Debian's ldirectord installs again (after ldirectord-ng was removed)" \
    bash -c "dpkg-query -W -f='\${Status}' ldirectord | grep -q 'install ok installed'" || return
  cp "$work/ldirectord.cf.orig" "$CFG"
  grep -q "^CONFIG_FILE=$CFG" /etc/default/ldirectord || echo "CONFIG_FILE=$CFG" >>/etc/default/ldirectord
  cp /etc/default/ldirectord "$work/default.orig"
  service ldirectord start >"$work/b-$name-start.log" 2>&1
  check "[$name] Debian's init script starts the Perl daemon on $CFG" wait_for 30 is_perl_daemon || return
  check "[$name] the Perl daemon brings both real servers up" wait_for 90 both_reals_up || return
  ipvs_table >"$work/b-$name-ipvs.before"
  local perl_pid; perl_pid=$(daemon_pid)
  rm -f "$work/stop-client"
  client >"$work/b-$name-client.log" &
  local cpid=$!
  watch_ipvs >"$work/b-$name-ipvs-watch.log" 2>&1 &
  sleep 3
  local t0 t1; t0=$(date +%s)
  "$@" >"$work/b-$name-install.log" 2>&1 && rc=0 || rc=$?
  t1=$(date +%s)
  grep -v -e '^$' -e Reading -e Building "$work/b-$name-install.log" | tail -n 12 | sed 's/^/    /'
  check "[$name] $* over the init-managed daemon succeeds ($((t1 - t0)) s)" test "$rc" = 0
  check "[$name] Debian's ldirectord disappeared, ldirectord-ng is installed" \
    bash -c "dpkg-query -W -f='\${Status}' ldirectord-ng | grep -q 'install ok installed' && ! dpkg-query -W -f='\${Status}' ldirectord 2>/dev/null | grep -q 'install ok installed'"
  check "[$name] the Perl daemon (pid $perl_pid) is gone" wait_for 30 bash -c "! kill -0 $perl_pid 2>/dev/null"
  check "[$name] ldirectord-ng holds $PIDFILE" wait_for 60 is_node_daemon
  check "[$name] exactly one ldirectord daemon runs" test "$(ldird_processes)" = 1
  sleep 12 # more than two check intervals of the new daemon
  touch "$work/stop-client"; wait "$cpid"
  total=$(wc -l <"$work/b-$name-client.log")
  fails=$(awk '$3 != 0' "$work/b-$name-client.log" | wc -l)
  local during; during=$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b + 1' "$work/b-$name-client.log" | wc -l)
  echo "# phase B ($name) client: $total requests, $fails failed ($during sent while the install ran)"
  echo "$name: $total requests, $fails failed, $during during the install" >>"$work/request-counts.txt"
  check "[$name] no request failed ($fails of $total)" test "$fails" = 0
  check "[$name] requests were sent while the install ran ($during)" test "$during" -gt 0
  check "[$name] the IPVS table is unchanged" diff -u "$work/b-$name-ipvs.before" <(ipvs_table)
  check "[$name] $CFG and /etc/default/ldirectord are untouched" \
    bash -c "cmp -s '$CFG' '$work/ldirectord.cf.orig' && cmp -s /etc/default/ldirectord '$work/default.orig'"
  check "[$name] service ldirectord status reports ldirectord-ng" service ldirectord status
}
# Later: dpkg -r and a reinstall of Debian's ldirectord (the start of the next phase B) keep working.
remove_ng() {
  dpkg -r ldirectord-ng >"$work/b-remove.log" 2>&1
  check "dpkg -r ldirectord-ng after phase B succeeds and stops the daemon" wait_for 30 no_daemon
}
phase_b dpkg dpkg -i "$deb"
remove_ng
phase_b apt apt-get install -y --no-install-recommends "$(readlink -f "$deb")"
remove_ng
dpkg -P ldirectord-ng >/dev/null 2>&1
dpkg -i "$upstream_deb" >"$work/b-final.log" 2>&1
echo "CONFIG_FILE=$CFG" >>/etc/default/ldirectord
check "after dpkg -P ldirectord-ng, Debian's ldirectord installs and its init script starts it again" \
  bash -c "dpkg-query -W -f='\${Status}' ldirectord | grep -q 'install ok installed' && service ldirectord start >/dev/null 2>&1" &&
  check "... and it is the Perl daemon" wait_for 30 is_perl_daemon
finish
