# A real two-node Pacemaker/corosync cluster inside the rig's guest: each node is a network, mount
# and UTS namespace (n1, n2 from topo_dr_pair_up) running its own corosync and pacemakerd.
# shellcheck shell=bash
#
#   . test/e2e/lib/topology.sh; . test/ha/cluster.sh
#   topo_dr_pair_up 2
#   ha_node_start n1; ha_node_start n2; ha_wait_online 240
#   ha_in n1 crm_mon -1                      # any command inside a node (its net+mount+UTS namespaces)
#   ha_active                                # the node holding the primitive "vip"
#   ha_node_poweroff n1                      # cable cut + every process killed, state wiped (a dead box)
#   ha_node_start n1                         # it boots again and rejoins
#
# Why namespaces and not two guests: under TCG one guest boots in ~5 s but two guests double the
# emulation cost on a 2-core host; corosync and pacemaker only need their own network stack
# (knet, libqb abstract sockets), their own /dev/shm (libqb ring buffers) and their own state
# directories, which a private mount namespace with fresh tmpfs mounts gives them. IPVS and its sync
# daemons are per network namespace too, so each node is a complete director. See test/ha/README.md.

HA_DIR=${HA_DIR:-/srv/ha}          # not under /run, /var/log or /dev/shm: every node mounts its own there
HA_TOKEN_MS=${HA_TOKEN_MS:-5000}   # corosync token timeout: 5 s, not the 3 s default: knet links flapped in a starved guest

_ha_err() { echo "cluster: $*" >&2; return 1; }

# _ha_corosync_conf: one corosync.conf for both nodes (knet, two_node). Every "{" ends its line:
# corosync rejects "totem { version: 2" on one line.
_ha_corosync_conf() {
  local ns id
  cat <<CONF
totem {
	version: 2
	cluster_name: lvs
	transport: knet
	token: $HA_TOKEN_MS
	crypto_cipher: none
	crypto_hash: none
}
nodelist {
CONF
  for ns in $TOPO_DIRECTORS; do
    id=${ns#n}
    printf '\tnode {\n\t\tring0_addr: %s\n\t\tname: %s\n\t\tnodeid: %s\n\t}\n' "$(topo_dip "$ns")" "$ns" "$id"
  done
  cat <<'CONF'
}
quorum {
	provider: corosync_votequorum
	two_node: 1
}
logging {
	to_logfile: yes
	logfile: /var/log/corosync.log
	to_syslog: no
	to_stderr: no
	timestamp: on
}
CONF
}

# The node's PID 1-like holder: private mounts, then corosync and pacemakerd in the foreground.
# Args: NODE CONF_FILE.
# shellcheck disable=SC2016
_HA_NODE='
set -e
node=$1 conf=$(cat "$2")
hostname "$node"
for m in /etc/corosync /var/lib/corosync /var/lib/pacemaker /var/log /run /dev/shm; do
  mount -t tmpfs -o mode=0755 "ha-$node" "$m"
done
chmod 1777 /dev/shm
mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox \
  /var/lib/pacemaker/cores /var/log/pacemaker /var/log/crmsh /run/crm /run/corosync /run/resource-agents
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker /var/log/crmsh /run/crm
printf "%s\n" "$conf" >/etc/corosync/corosync.conf
corosync -f &
for i in $(seq 300); do corosync-cfgtool -s >/dev/null 2>&1 && break; sleep 0.2; done
pacemakerd &
wait
'

# ha_node_start NODE: boots NODE's cluster stack (returns at once; see ha_wait_online).
ha_node_start() {
  local n=$1 d=$HA_DIR/$1
  mkdir -p "$d"
  _ha_corosync_conf >"$HA_DIR/corosync.conf"
  ip netns exec "$n" unshare -m -u --propagation private bash -c "$_HA_NODE" bash "$n" "$HA_DIR/corosync.conf" \
    >"$d/node.log" 2>&1 &
  echo $! >"$d/holder.pid"
  # Not a job of the caller's shell: ha_node_poweroff kills it, and bash would report "Killed".
  disown $!
}

# ha_in NODE CMD...: runs CMD in NODE's network, mount and UTS namespaces (crm_mon, crm, ipvsadm…).
ha_in() {
  local n=$1 pid
  shift
  pid=$(cat "$HA_DIR/$n/holder.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null ||
    { _ha_err "node $n is not running"; return 1; }
  nsenter --net="/var/run/netns/$n" --mount="/proc/$pid/ns/mnt" --uts="/proc/$pid/ns/uts" -- "$@"
}

# ha_wait_online LIMIT_S [NODE]: until crm_mon (seen from NODE, default the first up) shows every
# director online and a DC elected; prints the seconds it took.
ha_wait_online() {
  local limit=$1 n=${2:-} s t out want polls=0
  s=$(date +%s)
  want="Online: [ $TOPO_DIRECTORS ]"
  while :; do
    for t in ${n:-$TOPO_DIRECTORS}; do
      out=$(ha_in "$t" crm_mon -1 2>/dev/null) || continue
      if [[ $out == *"$want"* && $out == *"Current DC: n"* ]]; then echo $(($(date +%s) - s)); return 0; fi
    done
    (($(date +%s) - s < limit)) || { _ha_err "cluster not online within $limit s: ${out:-no answer}"; return 1; }
    # A slow start is worth seeing while it happens (a starved guest can keep corosync re-forming).
    if ((++polls % 30 == 0)); then
      echo "cluster: waiting $(($(date +%s) - s)) s: $(grep -E 'Online|OFFLINE|DC:' <<<"${out:-}" | tr -s ' \n' ' ')" >&2
    fi
    sleep 2
  done
}

# ha_active [NODE]: the node where the primitive "vip" runs (empty when it runs nowhere).
ha_active() {
  local t at
  for t in ${1:-$TOPO_DIRECTORS}; do
    at=$(ha_in "$t" crm_resource --locate --resource vip 2>/dev/null | sed -n 's/.* is running on: \(n[0-9]\).*/\1/p' | head -n 1) || true
    [[ -z $at ]] || { echo "$at"; return 0; }
  done
}

# ha_node_poweroff NODE: the node dies as a box would: its cable is cut (at the bridge), every
# process in it is killed, and what a reboot forgets (addresses, IPVS table, sync daemons) is wiped
# so a later ha_node_start is a fresh boot. Prints the epoch time of the cut.
ha_node_poweroff() {
  local n=$1 t pids
  t=$(date +%s.%N)
  ip link set "v-$n" down
  pids=$(ip netns pids "$n")
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  ip -n "$n" addr flush dev lo scope global 2>/dev/null || true
  ip -n "$n" addr flush dev eth0 2>/dev/null || true
  ip -n "$n" addr add "$(topo_dip "$n")/24" dev eth0
  ip netns exec "$n" ipvsadm -C
  ip netns exec "$n" ipvsadm --stop-daemon master 2>/dev/null || true
  ip netns exec "$n" ipvsadm --stop-daemon backup 2>/dev/null || true
  echo "$t"
}

# ha_node_reconnect NODE: plugs its cable back (after ha_node_poweroff); prints the epoch time.
ha_node_reconnect() {
  date +%s.%N
  ip link set "v-$1" up
}

# ha_down: kills every node's stack (for traps).
ha_down() {
  local n pids
  for n in $TOPO_DIRECTORS; do
    pids=$(ip netns pids "$n" 2>/dev/null) || continue
    # shellcheck disable=SC2086
    [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  done
}
