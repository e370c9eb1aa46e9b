#!/usr/bin/env bash
# Runs inside the QEMU guest (test/vm/run): loads IPVS, lifts the fd limit, runs the guest measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
modprobe ip_vs
modprobe ip_vs_wrr
ulimit -n 65536
exec node dist/bench/run.js --where guest "$@"
