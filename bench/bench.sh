#!/usr/bin/env bash
# `make bench`: host measurements (recording stand-ins), guest measurements (real IPVS under QEMU), then the report.
#
# Environment: BENCH_SIZES (default 10,100,1000,10000,30000), BENCH_WHERE (host|guest|both, default both),
# BENCH_GUEST_SIZES (default: BENCH_SIZES up to 1,000; 10,000 under TCG alone would exceed the ~30 min
# budget), BENCH_GUEST_LDIRECTORD_MAX_N (default 10: under TCG Perl ldirectord needs minutes for N=100),
# BENCH_HOST_LDIRECTORD_MAX_N (default 10000: Perl ldirectord is already capped at 300 s there, and the
# stand-in run of ldirectord-ng is only there to be compared with it; N=30,000 is for the growth curve).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${BENCH_SIZES:-10,100,1000,10000,30000}
where=${BENCH_WHERE:-both}
guest_sizes=${BENCH_GUEST_SIZES:-$(tr ',' '\n' <<<"$sizes" | awk '$1 <= 1000' | paste -sd, -)}
out=bench/results
mkdir -p "$out"
# Farm and daemons each hold one socket per real (and as many again while checks are in flight).
ulimit -n "$(ulimit -Hn)"

if [[ $where == host || $where == both ]]; then
  # keepalived refuses to start without kernel IPVS, so on the host only the two ldirectords run, both
  # through the same recording ipvsadm stand-in (bench/fake-ipvsadm), up to the largest N Perl ldirectord
  # runs; ldirectord-ng-mem (its in-memory IPVS: the daemon's own figures, the host goals, the growth curve)
  # at every N.
  maxn=${BENCH_HOST_LDIRECTORD_MAX_N:-10000}
  node dist/bench/run.js --where host --sizes "$sizes" --peers ldirectord-ng-mem,ldirectord-ng,ldirectord \
    --max-n "ldirectord=$maxn,ldirectord-ng=$maxn" --out "$out/host.json"
fi
if [[ $where == guest || $where == both ]]; then
  test/vm/run -m 3072 -t 2400 -v -w "$PWD/$out" -- bench/guest.sh --sizes "$guest_sizes" \
    --peers ldirectord-ng,keepalived,ldirectord --max-n "ldirectord=${BENCH_GUEST_LDIRECTORD_MAX_N:-10}" \
    --out "$PWD/$out/guest.json"
fi
node dist/bench/report.js
