# Parity harness helpers shared by run.sh (guest) and sweep.sh (host); sourced, not run.
# parity_name CONFIG: the config's directory name under OUT: its file name without .cf, or, for the
# fixtures' generic "config.cf", the name of the directory holding it.
parity_name() {
  local n
  n=$(basename "$1" .cf)
  [[ $n == config ]] && n=$(basename "$(dirname "$1")")
  echo "$n"
}
# parity_recorded DIR STATE IMPL: that daemon run's table and log are in DIR.
parity_recorded() { [[ -f $1/$2.$3.table && -f $1/$2.$3.log ]]; }
# parity_pending DIR: some state × daemon is still to run (a config prepare.mjs skipped is complete).
parity_pending() {
  local s i
  [[ -f $1/prepare.out ]] && ! grep -q '^ok' "$1/prepare.out" && return 1
  for s in up down change; do for i in perl ng; do parity_recorded "$1" "$s" "$i" || return 0; done; done
  return 1
}
