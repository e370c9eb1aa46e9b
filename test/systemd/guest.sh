#!/usr/bin/env bash
# In the QEMU guest: the seed's LVS-DR topology, then ROOT booted with systemd in systemd-nspawn
# (same network namespace, so the container's daemon programs this kernel's IPVS and reaches the
# reals); prints inside.sh's result. Usage: guest.sh ROOT OUTDIR
set -uo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "systemd test: run me through test/vm/run" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$1 out=$2
. "$here/../e2e/lib/topology.sh"
topo_dr_up 2 || { echo "FAIL - topology"; exit 1; }
topo_http_start real1 1 && topo_http_start real2 2 || { echo "FAIL - web servers"; exit 1; }
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
rm -f "$out/result.txt"
timeout 1000 systemd-nspawn --quiet --register=no --keep-unit --boot -D "$root" \
  --capability=CAP_NET_ADMIN,CAP_NET_RAW \
  --bind-ro="$here:/ldng-test" --bind="$out:/ldng-out" >"$out/console.txt" 2>&1 </dev/null
rc=$?
topo_down >/dev/null 2>&1
if [[ ! -s $out/result.txt ]]; then
  echo "FAIL - the container produced no result (nspawn exit $rc); console:"; tail -n 40 "$out/console.txt"; exit 1
fi
cat "$out/result.txt"
grep -q '^systemd test: 0 failed' "$out/result.txt"
