#!/usr/bin/env bash
# In the QEMU guest (test/stock/run.sh): for each stock Debian root that has the package installed,
# runs its /usr/sbin/ldirectord through chroot: `ldirectord -t` on the seed's config, then the seed's
# tutorial scenario (test/e2e/seed.sh demo: table, 20 requests alternating, a failure and its recovery).
# The guest's /etc/ha.d, /var/log and /run are bound into the root, so the seed script, ipvsadm and
# the daemon in the root see the same config, log, pid file and (one kernel) IPVS table.
set -euo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "stock: run me through test/vm/run" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
failed=0
mkdir -p /etc/ha.d /var/log
for root in "$@"; do
  name=$(basename "$root")
  echo "== $name: Debian $(cat "$root/etc/debian_version")"
  for m in proc sys dev run etc/ha.d var/log; do mkdir -p "$root/$m"; mount --bind "/$m" "$root/$m"; done
  cat >/etc/ha.d/ldirectord.cf <<'CF'
checktimeout=10
checkinterval=2
autoreload=yes
logfile="/var/log/ldirectord.log"
quiescent=yes
virtual=10.15.16.113:80
    real=10.15.16.39:80 gate
    real=10.15.16.43:80 gate
    service=http
    request="index.html"
    receive="fake"
    scheduler=rr
    protocol=tcp
    checktype=negotiate
CF
  echo "\$ ldirectord -t /etc/ha.d/ldirectord.cf    # in $name"
  if chroot "$root" /usr/sbin/ldirectord -t /etc/ha.d/ldirectord.cf; then echo "ok   - $name: ldirectord -t"
  else echo "FAIL - $name: ldirectord -t"; failed=$((failed + 1)); fi
  echo "\$ ldirectord -t on a broken line    # in $name"
  printf 'virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate\n    scheduler=9\n' >/etc/ha.d/broken.cf
  rc=0; chroot "$root" /usr/sbin/ldirectord -t /etc/ha.d/broken.cf || rc=$?
  if [[ $rc == 2 ]]; then echo "ok   - $name: a broken config exits 2"; else echo "FAIL - $name: broken config exit $rc"; failed=$((failed + 1)); fi
  rm -f /etc/ha.d/broken.cf
  # The daemon must be the root's: its node, its libc; the scenario fails if it cannot run there.
  if LDNG_LD="chroot $root /usr/sbin/ldirectord" "$here/../e2e/seed.sh" demo; then
    echo "ok   - $name: the seed scenario with the installed ldirectord"
  else
    echo "FAIL - $name: the seed scenario"; failed=$((failed + 1))
  fi
  for m in var/log etc/ha.d run dev sys proc; do umount -l "$root/$m"; done
done
echo "stock guest: $failed failed"
((failed == 0))
