#!/usr/bin/env bash
# Parity sweep on the host: boots the guest as often as needed to run test/parity/run.sh over CONFIGs.
#   test/parity/sweep.sh OUT CONFIG...
# Each boot runs a batch (every config not yet recorded, in order) within PARITY_GUEST_S seconds
# (default 1800: a turn stays short on a shared machine, yet fits the slowest daemon run, 006's Perl "change",
# two settles of up to 600 s each after the budget); run.sh stops starting daemon runs
# after PARITY_BUDGET_S (default 840) and what it recorded stays in OUT, so the next boot resumes.
# Stops when everything is recorded, after PARITY_BOOTS boots (default 8), or when a boot recorded
# nothing new. PARITY_LOCK=FILE: every boot waits for `flock FILE` (guests take turns).
# Starting over: remove OUT.
set -uo pipefail
mkdir -p "$1" && out=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
guest_s=${PARITY_GUEST_S:-1800}
budget_s=${PARITY_BUDGET_S:-840}
boots=${PARITY_BOOTS:-8}
# shellcheck source=test/parity/lib.sh
. "$here/lib.sh"
pending() { # the configs with a state × daemon not yet recorded
  local cfg
  for cfg in "$@"; do parity_pending "$out/$(parity_name "$cfg")" && echo "$cfg"; done
}
recorded() { find "$out" -name '*.table' | wc -l; }

lock=()
[[ -n ${PARITY_LOCK:-} ]] && lock=(flock "$PARITY_LOCK")
for ((b = 1; b <= boots; b++)); do
  mapfile -t todo < <(pending "$@")
  ((${#todo[@]})) || break
  before=$(recorded)
  echo "sweep: boot $b: ${#todo[@]} config(s) pending: ${todo[*]##*/}" >&2
  "${lock[@]}" nice -n 5 "$repo/test/vm/run" -t "$guest_s" -m 1536 -e LDIRD_PARITY_BUDGET="$budget_s" -w "$out" \
    -- "$repo/test/parity/run.sh" "$out" "${todo[@]}"
  echo "sweep: boot $b ended with status $?; $(($(recorded) - before)) daemon run(s) recorded" >&2
  (($(recorded) > before)) || { [[ -n $(pending "$@") ]] && echo "sweep: a boot recorded nothing, stopping" >&2; break; }
done
left=$(pending "$@")
[[ -z $left ]] || { echo "sweep: not recorded yet: $(echo $left | xargs -n1 basename | tr '\n' ' ')(run again to resume)" >&2; exit 1; }
