#!/bin/bash
# Runs as a systemd unit inside the booted Debian 12 container (test/systemd/run.sh): drives the
# package's ldirectord.service with systemctl and checks what systemd and IPVS say.
exec >/ldng-out/result.txt 2>&1
failed=0
ok() { echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { local w=$1; shift; if "$@"; then ok "$w"; else bad "$w"; fi; }
wait_for() { local t=$1 i; shift; for ((i = 0; i < t * 2; i++)); do "$@" && return 0; sleep 0.5; done; return 1; }
PIDFILE=/run/ldirectord.ldirectord.cf.pid
main_pid() { systemctl show -p MainPID --value ldirectord.service; }
both_up() { [[ $(ipvsadm -Ln | grep -c 'Route *1 ') == 2 ]]; }
has_vip() { ipvsadm -Ln | grep -q '10.15.16.113:80'; }
active() { [[ $(systemctl is-active ldirectord.service) == active ]]; }

echo "# systemd $(systemctl --version | head -n 1 | cut -d' ' -f2) in Debian $(cat /etc/debian_version), ldirectord-ng $(dpkg-query -W -f='${Version}' ldirectord-ng)"
check "ldirectord.service started at boot (enabled by the package)" wait_for 120 active
check "both reals programmed at weight 1" wait_for 90 both_up
pid=$(main_pid)
check "systemd's MainPID ($pid) is the daemon in $PIDFILE" test "$pid" = "$(head -n 1 $PIDFILE)"
check "MainPID runs the shipped runtime" grep -q '/usr/lib/ldirectord-ng/node/bin/node' "/proc/$pid/cmdline"
echo "\$ systemctl status ldirectord"
SYSTEMD_COLORS=0 systemctl status --no-pager -n 5 ldirectord.service | sed 's/^/    /'
capeff=$(awk '/^CapEff/ {print $2}' "/proc/$pid/status")
check "the daemon runs with a reduced capability set (CapEff $capeff)" test "$capeff" != "000001ffffffffff"
check "NoNewPrivileges is set on the daemon" grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status"

# reload: a new scheduler reaches IPVS, same main process
sed -i 's/scheduler=wlc/scheduler=rr/' /etc/ha.d/ldirectord.cf
systemctl reload ldirectord.service
check "systemctl reload succeeds and changes IPVS (wlc -> rr)" wait_for 60 bash -c "ipvsadm -Ln | grep -q '10.15.16.113:80 rr'"
check "reload keeps the main process ($pid)" test "$(main_pid)" = "$pid"

# a killed daemon is restarted by systemd; the table stays as it is
ipvsadm -Sn | sort >/tmp/before
kill -KILL "$pid"
check "a SIGKILLed daemon is restarted by systemd (Restart=on-failure)" \
  wait_for 90 bash -c "p=\$(systemctl show -p MainPID --value ldirectord.service); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ] && [ \"\$(systemctl is-active ldirectord.service)\" = active ]"
check "systemd counted the restart (NRestarts=$(systemctl show -p NRestarts --value ldirectord.service))" test "$(systemctl show -p NRestarts --value ldirectord.service)" -ge 1
check "the new MainPID is the pid file's" wait_for 30 bash -c "[ \"\$(systemctl show -p MainPID --value ldirectord.service)\" = \"\$(head -n 1 $PIDFILE)\" ]"
sleep 6
check "the table is unchanged across the restart" diff -u /tmp/before <(ipvsadm -Sn | sort)

# stop with cleanstop=yes (the default) purges the virtual service
systemctl stop ldirectord.service
check "systemctl stop: inactive" wait_for 60 bash -c "[ \"\$(systemctl is-active ldirectord.service)\" != active ]"
check "stop with cleanstop=yes removed the virtual service" wait_for 30 bash -c '! ipvsadm -Ln | grep -q 10.15.16.113:80'
check "stop removed the pid file" test ! -e "$PIDFILE"

# start again, then stop with cleanstop=no: the table stays
sed -i '1i cleanstop=no' /etc/ha.d/ldirectord.cf
systemctl start ldirectord.service
check "systemctl start brings it back" wait_for 90 both_up
systemctl stop ldirectord.service
check "stop with cleanstop=no leaves the virtual service and its reals" both_up
# (minbase has no pgrep: the pattern's brackets keep grep from matching its own command line)
check "no ldirectord process is left" bash -c '! grep -lasq "[/]usr/sbin/ldirectord" /proc/[0-9]*/cmdline'
echo "\$ journalctl -u ldirectord (last lines)"
journalctl --no-pager -u ldirectord.service -n 12 | sed 's/^/    /'
echo "systemd test: $failed failed"
