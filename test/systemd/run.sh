#!/usr/bin/env bash
# make test-systemd (issue 15): the package's ldirectord.service under a real systemd.
# Here: a copy of the cached stock Debian 12 root (test/stock/mkroot) gets systemd and the .deb
# (apt-get, Debian's archive), the seed's config and a one-shot test unit. In the QEMU guest
# (guest.sh) that root boots with systemd as its PID 1 in systemd-nspawn, sharing the guest's
# network namespace (the seed's LVS-DR topology and the real kernel's IPVS); inside.sh, run by
# systemd there, checks: start at boot, PIDFile/MainPID, reload, a SIGKILLed daemon restarted
# without touching the table, stop with cleanstop=yes (table purged) and cleanstop=no (kept).
# Usage: test/systemd/run.sh DEBDIR    Writes DEBDIR/systemd/{install.txt,result.txt}.
set -euo pipefail
cd "$(dirname "$0")/../.."
debdir=${1:-build/deb}
deb=$(ls "$debdir"/ldirectord-ng_*.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || { echo "test-systemd: no ldirectord-ng_*.deb in $debdir (make deb)" >&2; exit 2; }
out=$(readlink -f "$debdir")/systemd
root=$out/root
mkdir -p "$out"
cache=$(test/stock/mkroot bookworm)
rm -rf "$root" "$out/result.txt"
cp -a "$cache" "$root"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
mounted=()
trap 'for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done' EXIT
for m in proc sys dev; do mount --bind "/$m" "$root/$m"; mounted+=("$root/$m"); done
{
  chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get update -q 2>&1 | tail -n 1
  chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get install -y -q systemd systemd-sysv dbus curl "/tmp/$(basename "$deb")" 2>&1
  echo "(exit $?)"
} >"$out/install.txt"
for m in "${mounted[@]}"; do umount -l "$m"; done; mounted=()
rm -f "$root/usr/sbin/policy-rc.d" "$root/tmp/$(basename "$deb")"
grep -q '^(exit 0)$' "$out/install.txt" || { tail -n 20 "$out/install.txt"; echo "test-systemd: installing into the root failed" >&2; exit 1; }
# The seed's director config, the service's default file, and the test unit that drives systemctl.
cat >"$root/etc/ha.d/ldirectord.cf" <<'CF'
checktimeout=10
checkinterval=2
logfile="/var/log/ldirectord.log"
quiescent=yes
virtual=10.15.16.113:80
    real=10.15.16.39:80 gate
    real=10.15.16.43:80 gate
    service=http
    request="index.html"
    receive="fake"
    scheduler=wlc
    protocol=tcp
    checktype=negotiate
CF
echo 'CONFIG_FILE=/etc/ha.d/ldirectord.cf' >>"$root/etc/default/ldirectord"
cat >"$root/etc/systemd/system/ldng-test.service" <<'UNIT'
[Unit]
Description=ldirectord-ng systemd test
After=ldirectord.service
[Service]
Type=oneshot
ExecStart=/ldng-test/inside.sh
StandardOutput=journal+console
ExecStopPost=/bin/systemctl poweroff --no-block
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/ldng-test.service "$root/etc/systemd/system/multi-user.target.wants/ldng-test.service"
chroot "$root" systemctl is-enabled ldirectord.service >/dev/null || { echo "test-systemd: the package did not enable ldirectord.service" >&2; exit 1; }
set +e
test/vm/run -t 1200 -m 1536 -w "$out/share" -- test/systemd/guest.sh "$root" "$out/share"
rc=$?
set -e
cp "$out/share/result.txt" "$out/result.txt" 2>/dev/null
exit $rc
