#!/usr/bin/env bash
# make test-stock (issue 15): the .deb on stock Debian 12 (bookworm) and 13 (trixie).
# On this machine: a copy of each cached debootstrap root (test/stock/mkroot) gets the package with
# `apt-get install ./ldirectord-ng_*.deb` from Debian's archive (no nodejs, no NodeSource), and
# the test asserts what was installed. Then in the QEMU guest (test/stock/guest.sh) each root's
# installed files run: `ldirectord -t` and the seed's scenario, through chroot, on the real kernel.
# Usage: test/stock/run.sh DEBDIR [SUITE...]     (default suites: bookworm trixie)
# Writes DEBDIR/stock/{install-SUITE.txt,guest.txt}.
set -euo pipefail
cd "$(dirname "$0")/../.."
debdir=${1:-build/deb}
shift || true
suites=("$@")
((${#suites[@]})) || suites=(bookworm trixie)
deb=$(ls "$debdir"/ldirectord-ng_*.deb 2>/dev/null | head -n 1)
[[ -n $deb ]] || { echo "test-stock: no ldirectord-ng_*.deb in $debdir (make deb)" >&2; exit 2; }
out=$(readlink -f "$debdir")/stock
mkdir -p "$out"
failed=0
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
ok() { echo "ok   - $*"; }

mounted=()
umount_all() { local m; for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done; mounted=(); }
trap umount_all EXIT

roots=()
for suite in "${suites[@]}"; do
  cache=$(test/stock/mkroot "$suite")
  root=$out/root-$suite
  rm -rf "$root"
  cp -a "$cache" "$root"
  roots+=("$root")
  echo "# $suite: $(cat "$root/etc/debian_version"), root copied from $cache"
  # A build root, not a running system: no service may start in it while apt runs here.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  for m in proc sys dev; do mount --bind "/$m" "$root/$m"; mounted+=("$root/$m"); done
  cp "$deb" "$root/tmp/"
  log=$out/install-$suite.txt
  {
    echo "\$ apt-get install -y ./$(basename "$deb")    # on stock Debian $(cat "$root/etc/debian_version") ($suite, debootstrap --variant=minbase)"
    chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get update -q 2>&1 | tail -n 1
    chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get install -y "/tmp/$(basename "$deb")" 2>&1
    echo "(exit $?)"
  } >"$log"
  umount_all
  rm -f "$root/usr/sbin/policy-rc.d" "$root/tmp/$(basename "$deb")"
  grep -q '^(exit 0)$' "$log" && ok "$suite: apt-get install ./$(basename "$deb") succeeds" || bad "$suite: apt-get install failed (see $log)"
  if chroot "$root" dpkg-query -W -f='${Status}' ldirectord-ng 2>/dev/null | grep -q 'install ok installed'; then
    ok "$suite: ldirectord-ng is installed"
  else bad "$suite: ldirectord-ng is not installed"; fi
  if chroot "$root" dpkg-query -W -f='${Status}' nodejs 2>/dev/null | grep -q installed || [[ -e $root/usr/bin/node || -e $root/usr/bin/nodejs ]]; then
    bad "$suite: nodejs got installed"
  else ok "$suite: no nodejs package and no /usr/bin/node"; fi
  v=$(chroot "$root" /usr/lib/ldirectord-ng/node/bin/node -p process.versions.node 2>&1) || true
  [[ $v == "$(.ci/node-runtime --version)" ]] && ok "$suite: the shipped runtime is Node $v" || bad "$suite: shipped runtime says '$v'"
  for p in ipvsadm iputils-ping logrotate; do
    chroot "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      bad "$suite: Recommends $p was not installed"
  done
  echo "# $suite: $(grep -E '^(Get|Setting up|Unpacking)' "$log" | wc -l) apt/dpkg lines; Setting up: $(sed -n 's/^Setting up \([^ ]*\).*/\1/p' "$log" | tr '\n' ' ')"
done

echo "# guest: ldirectord -t and the seed scenario with each root's installed files"
set +e
test/vm/run -t 1500 -m 1536 -- test/stock/guest.sh "${roots[@]}" 2>&1 | tee "$out/guest.txt"
rc=${PIPESTATUS[0]}
set -e
((rc == 0)) || bad "guest run exited $rc"
echo "test-stock: $failed failed"
((failed == 0))
