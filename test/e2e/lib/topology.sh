# LVS test networks inside the rig's guest: client and real servers in network namespaces, the director in the root one.
# shellcheck shell=bash
#
# Source it in a script run by test/vm/run (it refuses to touch a host that is not the guest):
#
#   . test/e2e/lib/topology.sh
#   topo_dr_up 2                       # the seed's LVS-DR network with real1, real2
#   topo_http_start real1 1            # serves "This is fake WWW server 1"
#   topo_http_start real2 2
#   ipvsadm -A -t "$TOPO_VIP:80" -s rr
#   ipvsadm -a -t "$TOPO_VIP:80" -r "$(topo_rip real1):80" -g -w 1
#   topo_requests 20                   # "1: This is fake WWW server 2" ... like the tutorial
#   topo_down
#
# LVS-DR (topo_dr_up), as in seed/lvs-ubuntu.txt: one segment 10.15.16.0/24 on the bridge
# lvsbr0; the director (root namespace) has 10.15.16.2 and the VIP 10.15.16.113 on lvsbr0; each
# real has its RIP on eth0 and the VIP on lo with arp_ignore=1/arp_announce=2, so only the
# director answers ARP for the VIP and the reals reply to the client directly.
#   client 10.15.16.10, real1 10.15.16.39, real2 10.15.16.43, real3 10.15.16.47
# The same segment also carries IPv6 (for virtual6): prefix fd00:10:15:16::/64, director ::2,
# VIP6 ::113 (on the director's lvsbr0 and the reals' lo; IPv6 answers neighbour solicitations
# only for addresses on the receiving interface, so no sysctl is needed), client ::10, reals
# ::39, ::43, ::47 (topo_rip6). All addresses skip DAD so they are usable at once.
#
# LVS-NAT (topo_nat_up): the client side 10.0.0.0/24 on lvsbr-ext (director 10.0.0.1, VIP
# 10.0.0.100), the real side 192.168.10.0/24 on lvsbr-int (director 192.168.10.1, the reals'
# default gateway); ip_forward on. client 10.0.0.10, real1 192.168.10.11, real2 .12, real3 .13.
# IPv4 only.
#
# Functions (each documented where defined):
#   topo_dr_up [N] | topo_nat_up [N] | topo_down          build / tear down (N reals, 1-9, default 2)
#   topo_dr_pair_up [N]                                   LVS-DR with two director namespaces n1, n2
#   topo_rip REAL, topo_rip6 REAL                         a real's address
#   topo_http_start REAL N [busybox|node] [PORT]          start REAL's server; returns once it answers
#   topo_http_stop REAL, topo_http_page REAL N [TEXT]     kill it; rewrite its page (live)
#   topo_link_down REAL, topo_link_up REAL                unplug / replug REAL's cable
#   topo_requests N [URL], topo_servers N [URL]           N client requests (seed-style lines / "2 1 2 …")
#   topo_get [-n NS] [-w SECS] URL                        one request from the director or NS
# Variables set by *_up: TOPO_MODE (dr|nat), TOPO_VIP, TOPO_DIP (director; empty for a pair), TOPO_CIP (client),
# TOPO_REALS ("real1 real2"), for DR TOPO_VIP6, TOPO_DIP6, TOPO_CIP6, and for a pair TOPO_DIRECTORS ("n1 n2").
#
# Functions return non-zero with a message on stderr when something fails, so `set -e` callers
# stop at the first broken step; a failing request or teardown step is not such a failure.
# Servers' pages, logs and pids live under $TOPO_DIR (default /run/e2e, a tmpfs in the guest).

TOPO_DIR=${TOPO_DIR:-/run/e2e}
TOPO_MODE=''
TOPO_VIP=''
TOPO_DIP=''
TOPO_CIP=''
TOPO_REALS=''
TOPO_VIP6=''
TOPO_DIP6=''
TOPO_CIP6=''
TOPO_DIRECTORS=''

_topo_err() { echo "topology: $*" >&2; return 1; }

# Only inside the rig's guest: these functions rewire the network and run servers as root.
_topo_guard() {
  [[ ${VM_GUEST:-} == 1 ]] || _topo_err "refusing to run outside the test/vm guest (VM_GUEST is not 1)"
}

# topo_rip REAL: the real server's address (RIP) in the current topology.
topo_rip() {
  local n=${1#real}
  [[ $n =~ ^[1-9]$ ]] || { _topo_err "topo_rip: bad real name '$1'"; return 1; }
  case $TOPO_MODE in
    dr) case $n in 1) echo 10.15.16.39 ;; 2) echo 10.15.16.43 ;; 3) echo 10.15.16.47 ;; *) echo "10.15.16.$((50 + n))" ;; esac ;;
    nat) echo "192.168.10.$((10 + n))" ;;
    *) _topo_err "no topology is up (call topo_dr_up or topo_nat_up)" ;;
  esac
}

# topo_rip6 REAL: the real server's IPv6 address (DR topology only).
topo_rip6() {
  local ip4
  [[ $TOPO_MODE == dr ]] || { _topo_err "topo_rip6: IPv6 exists only in the DR topology"; return 1; }
  ip4=$(topo_rip "$1") || return 1
  echo "fd00:10:15:16::${ip4##*.}"
}

# Each `ip` exec costs ~0.1-0.3 s under TCG, so the wiring goes through a few `ip -batch` runs:
# one in the director's namespace, one per namespace. `ip -batch` stops at the first error.

# _topo_root_batch BRIDGE NS...: the bridge (up) and, per NS, the namespace and a veth pair
# whose eth0 end is in NS and whose v-NS end is on BRIDGE. Prints batch lines.
_topo_root_batch() {
  local br=$1 ns
  shift
  echo "link add $br type bridge forward_delay 0 stp_state 0"
  echo "link set $br up"
  for ns in "$@"; do
    echo "netns add $ns"
    echo "link add v-$ns type veth peer name eth0 netns $ns"
    echo "link set v-$ns master $br up"
  done
}

# _topo_ns_setup NS ADDR/PREFIX [BATCH LINE...]: lo and eth0 up with ADDR, plus extra lines.
_topo_ns_setup() {
  local ns=$1 addr=$2
  shift 2
  { echo "link set lo up"; echo "addr add $addr dev eth0"; echo "link set eth0 up"; printf '%s\n' "$@"; } \
    | ip -n "$ns" -batch - || { _topo_err "cannot set up namespace $ns"; return 1; }
}

_topo_reals() { local i; for ((i = 1; i <= $1; i++)); do printf 'real%d ' "$i"; done; }

# topo_dr_up [NREALS]: the seed's LVS-DR network with NREALS (1-9, default 2) real servers.
topo_dr_up() {
  _topo_guard || return 1
  local n=${1:-2} ns reals
  [[ $n =~ ^[1-9]$ ]] || { _topo_err "topo_dr_up: NREALS must be 1-9, got '$n'"; return 1; }
  [[ -z $TOPO_MODE ]] || { _topo_err "a $TOPO_MODE topology is already up (topo_down first)"; return 1; }
  TOPO_MODE=dr TOPO_VIP=10.15.16.113 TOPO_DIP=10.15.16.2 TOPO_CIP=10.15.16.10 TOPO_REALS=''
  TOPO_VIP6=fd00:10:15:16::113 TOPO_DIP6=fd00:10:15:16::2 TOPO_CIP6=fd00:10:15:16::10
  reals=$(_topo_reals "$n")
  mkdir -p "$TOPO_DIR"
  {
    # shellcheck disable=SC2086
    _topo_root_batch lvsbr0 client $reals
    echo "addr add $TOPO_DIP/24 dev lvsbr0"
    # The seed puts the VIP on the director's NIC as a /32 alias (eth0:113).
    echo "addr add $TOPO_VIP/32 dev lvsbr0"
    echo "addr add $TOPO_DIP6/64 dev lvsbr0 nodad"
    echo "addr add $TOPO_VIP6/128 dev lvsbr0 nodad"
  } | ip -batch - || { _topo_err "cannot build the DR network"; return 1; }
  _topo_ns_setup client "$TOPO_CIP/24" "addr add $TOPO_CIP6/64 dev eth0 nodad" || return 1
  for ns in $reals; do
    # The real accepts packets for the VIP (on lo) but must never answer ARP for it (seed's S91lvs).
    _topo_ns_setup "$ns" "$(topo_rip "$ns")/24" "addr add $TOPO_VIP/32 dev lo" \
      "addr add $(topo_rip6 "$ns")/64 dev eth0 nodad" "addr add $TOPO_VIP6/128 dev lo nodad" || return 1
    _topo_arp_quiet "$ns" || return 1
    TOPO_REALS+="${TOPO_REALS:+ }$ns"
  done
  export TOPO_MODE TOPO_VIP TOPO_DIP TOPO_CIP TOPO_REALS TOPO_VIP6 TOPO_DIP6 TOPO_CIP6
}

# topo_dr_pair_up [NREALS]: the seed's LVS-DR network with a director PAIR instead of the root
# namespace: namespaces n1 (10.15.16.2) and n2 (10.15.16.3) on the same bridge, the VIP on
# neither (a cluster manager moves it, see test/ha). Directors get arp_ignore=1/arp_announce=2 like
# the reals: IPaddr2's lvs_support parks a stopped VIP on lo, and a standby must not answer ARP for it.
topo_dr_pair_up() {
  _topo_guard || return 1
  local n=${1:-2} ns reals
  [[ $n =~ ^[1-9]$ ]] || { _topo_err "topo_dr_pair_up: NREALS must be 1-9, got '$n'"; return 1; }
  [[ -z $TOPO_MODE ]] || { _topo_err "a $TOPO_MODE topology is already up (topo_down first)"; return 1; }
  TOPO_MODE=dr TOPO_VIP=10.15.16.113 TOPO_DIP='' TOPO_CIP=10.15.16.10 TOPO_REALS=''
  TOPO_DIRECTORS='n1 n2'
  reals=$(_topo_reals "$n")
  mkdir -p "$TOPO_DIR"
  {
    # shellcheck disable=SC2086
    _topo_root_batch lvsbr0 client n1 n2 $reals
  } | ip -batch - || { _topo_err "cannot build the DR pair network"; return 1; }
  _topo_ns_setup client "$TOPO_CIP/24" || return 1
  for ns in n1 n2; do
    _topo_ns_setup "$ns" "$(topo_dip "$ns")/24" || return 1
    _topo_arp_quiet "$ns" || return 1
  done
  for ns in $reals; do
    _topo_ns_setup "$ns" "$(topo_rip "$ns")/24" "addr add $TOPO_VIP/32 dev lo" || return 1
    _topo_arp_quiet "$ns" || return 1
    TOPO_REALS+="${TOPO_REALS:+ }$ns"
  done
  export TOPO_MODE TOPO_VIP TOPO_DIP TOPO_CIP TOPO_REALS TOPO_DIRECTORS
}

# topo_dip DIRECTOR: a director namespace's own address (topo_dr_pair_up: n1, n2).
topo_dip() {
  case $1 in n[1-9]) echo "10.15.16.$((1 + ${1#n}))" ;; *) _topo_err "topo_dip: bad director name '$1'" ;; esac
}

# _topo_arp_quiet NS: answer ARP only for addresses on the asking interface (not for a VIP on lo).
_topo_arp_quiet() {
  ip netns exec "$1" busybox sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 >/dev/null
}

# topo_nat_up [NREALS]: an LVS-NAT network, the director routing between client and reals.
topo_nat_up() {
  _topo_guard || return 1
  local n=${1:-2} ns reals
  [[ $n =~ ^[1-9]$ ]] || { _topo_err "topo_nat_up: NREALS must be 1-9, got '$n'"; return 1; }
  [[ -z $TOPO_MODE ]] || { _topo_err "a $TOPO_MODE topology is already up (topo_down first)"; return 1; }
  TOPO_MODE=nat TOPO_VIP=10.0.0.100 TOPO_DIP=192.168.10.1 TOPO_CIP=10.0.0.10 TOPO_REALS=''
  reals=$(_topo_reals "$n")
  mkdir -p "$TOPO_DIR"
  {
    _topo_root_batch lvsbr-ext client
    # shellcheck disable=SC2086
    _topo_root_batch lvsbr-int $reals
    echo "addr add 10.0.0.1/24 dev lvsbr-ext"
    echo "addr add $TOPO_VIP/24 dev lvsbr-ext"
    echo "addr add $TOPO_DIP/24 dev lvsbr-int"
  } | ip -batch - || { _topo_err "cannot build the NAT network"; return 1; }
  sysctl -qw net.ipv4.ip_forward=1 || return 1
  _topo_ns_setup client "$TOPO_CIP/24" || return 1
  for ns in $reals; do
    # Replies must go back through the director so IPVS can rewrite their source to the VIP.
    _topo_ns_setup "$ns" "$(topo_rip "$ns")/24" "route add default via $TOPO_DIP" || return 1
    TOPO_REALS+="${TOPO_REALS:+ }$ns"
  done
  export TOPO_MODE TOPO_VIP TOPO_DIP TOPO_CIP TOPO_REALS
}

# topo_down: stops the servers and removes namespaces, veths and bridges (IPVS is left alone).
topo_down() {
  local ns br
  # Every namespace this library may have made, even when an *_up failed half-way.
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^(client|real[1-9]|n[1-9])$/ {print $1}'); do
    topo_http_stop "$ns" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  for br in lvsbr0 lvsbr-ext lvsbr-int; do ip link del "$br" 2>/dev/null || true; done
  if [[ $TOPO_MODE == nat ]]; then sysctl -qw net.ipv4.ip_forward=0 || true; fi
  TOPO_MODE='' TOPO_VIP='' TOPO_DIP='' TOPO_CIP='' TOPO_REALS='' TOPO_VIP6='' TOPO_DIP6='' TOPO_CIP6=''
  TOPO_DIRECTORS=''
  return 0
}

# topo_http_page REAL N [TEXT]: (re)writes REAL's index.html, the seed's page for server N
# (TEXT replaces the "This is fake WWW server N" line, e.g. to make a receive= check fail).
topo_http_page() {
  local ns=$1 n=$2 text=${3:-"This is fake WWW server $2"} d=$TOPO_DIR/$1/htdocs
  mkdir -p "$d" || return 1
  # Written aside and renamed so a request never sees a half-written page.
  cat >"$d/.index.html" <<EOF || return 1
<html>
<head>
<meta http-equiv="Pragma" content="no-cache">
<meta http-equiv="expires" content="0">
</head>
<title>Fake WWW server $n</title>
<body>
$text
</body>
</html>
EOF
  mv -f "$d/.index.html" "$d/index.html"
}

# topo_http_start REAL N [busybox|node] [PORT]: an HTTP server in REAL's namespace on all of its
# addresses, IPv4 and IPv6 (RIP and, for DR, the VIP), serving the seed's page for server N. Returns once it
# answers. busybox httpd (default) starts in a few ms under TCG; node takes ~1-2 s.
topo_http_start() {
  _topo_guard || return 1
  local ns=$1 n=$2 kind=${3:-busybox} port=${4:-80} d=$TOPO_DIR/$1 i pid rip
  ip netns list | grep -qw "^$ns" || { _topo_err "no namespace $ns"; return 1; }
  [[ -f $d/htdocs/index.html ]] || topo_http_page "$ns" "$n" || return 1
  topo_http_stop "$ns" 2>/dev/null
  case $kind in
    busybox)
      ip netns exec "$ns" busybox httpd -f -p "$port" -h "$d/htdocs" >"$d/httpd.log" 2>&1 &
      ;;
    node)
      # Reads the file on every request so topo_http_page takes effect at once, as with busybox, and
      # synchronously: busybox nc half-closes after its request, and Node drops a half-closed socket
      # whose answer is still pending. Content-Length, not chunked: test/ha's client counts bytes.
      ip netns exec "$ns" node -e '
        const fs = require("fs"), path = process.argv[1] + "/index.html";
        const server = require("http").createServer((req, res) => {
          let body;
          try { body = fs.readFileSync(path); } catch { res.writeHead(404); res.end(); return; }
          res.writeHead(200, { "content-type": "text/html", "content-length": body.length });
          res.end(body);
        });
        // Keep-alive clients (test/ha) must survive a failover pause of many seconds: no idle close.
        server.keepAliveTimeout = 0;
        server.listen(+process.argv[2]);' "$d/htdocs" "$port" >"$d/httpd.log" 2>&1 &
      ;;
    *) _topo_err "topo_http_start: server kind must be busybox or node, got '$kind'"; return 1 ;;
  esac
  pid=$!
  echo "$pid" >"$d/httpd.pid"
  rip=$(topo_rip "$ns") || return 1
  for ((i = 0; i < 300; i++)); do
    topo_get -n "$ns" -w 2 "http://$rip:$port/" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { _topo_err "HTTP server in $ns exited: $(cat "$d/httpd.log")"; return 1; }
    sleep 0.1
  done
  _topo_err "HTTP server in $ns did not answer within 30 s"
}

# topo_http_stop REAL: kills REAL's HTTP server (like the seed's failover test killing it).
topo_http_stop() {
  local f=$TOPO_DIR/$1/httpd.pid pid
  [[ -f $f ]] || return 0
  pid=$(<"$f")
  rm -f "$f"
  kill "$pid" 2>/dev/null || return 0
  # Wait so the port is free and no late answer confuses the next request.
  local i
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  return 0
}

# topo_link_down REAL / topo_link_up REAL: unplugs / replugs REAL's cable (the bridge side of
# its veth; REAL's eth0 then has no carrier), as in the seed's "disconnect the NIC of WWW1".
topo_link_down() { ip link set "v-$1" down; }
topo_link_up() { ip link set "v-$1" up; }

# The HTTP client: busybox nc (static, no TLS or resolver libraries to load) costs ~80 ms per
# request under TCG where curl costs ~350 ms; busybox wget is not used because Debian's build
# segfaults on -T. Runs as one busybox sh per batch, in namespace $1 ("" = the director).
# Args: NS N HOST PORT PATH TIMEOUT MODE (MODE: "lines" as in the seed, or "body" for one request).
_TOPO_CLIENT='
n=$1 host=$2 port=$3 path=$4 w=$5 mode=$6 i=1 rc=0
while [ "$i" -le "$n" ]; do
  out=$(printf "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$path" "$host" \
    | busybox nc -w "$w" "$host" "$port" 2>/dev/null)
  if [ "$mode" = body ]; then
    case $out in "HTTP/1."?" 200 "*) ;; *) rc=1 ;; esac
    [ -n "$out" ] && printf "%s\n" "$out" | busybox tr -d "\r" | busybox sed "1,/^\$/d"
    exit $rc
  fi
  case $out in
    *"This is fake WWW server "*)
      s=${out#*This is fake WWW server }
      echo "$i: This is fake WWW server ${s%%[!0-9]*}" ;;
    "") echo "$i: ERROR no answer" ;;
    *) echo "$i: UNEXPECTED $(printf "%s\n" "$out" | busybox head -n 1 | busybox tr -d "\r")" ;;
  esac
  i=$((i + 1))
done'

# _topo_client NS N URL TIMEOUT MODE
_topo_client() {
  local ns=$1 n=$2 url=$3 w=$4 mode=$5 host port path
  [[ $url =~ ^http://(\[([0-9A-Fa-f:.]+)\]|([^]/:[]+))(:([0-9]+))?(/.*)?$ ]] \
    || { _topo_err "unsupported URL '$url' (http://HOST[:PORT]/PATH, HOST may be [IPv6])"; return 1; }
  host=${BASH_REMATCH[2]:-${BASH_REMATCH[3]}} port=${BASH_REMATCH[5]:-80} path=${BASH_REMATCH[6]:-/}
  if [[ -n $ns ]]; then
    ip netns exec "$ns" busybox sh -c "$_TOPO_CLIENT" sh "$n" "$host" "$port" "$path" "$w" "$mode"
  else
    busybox sh -c "$_TOPO_CLIENT" sh "$n" "$host" "$port" "$path" "$w" "$mode"
  fi
}

# topo_get [-n NS] [-w TIMEOUT_S] URL: one GET (from the director unless -n NS), prints the body;
# status 0 only for HTTP 200. TIMEOUT_S (default 5) bounds the connect and each read.
topo_get() {
  local ns='' w=5 OPTIND=1 opt
  while getopts 'n:w:' opt; do
    case $opt in n) ns=$OPTARG ;; w) w=$OPTARG ;; *) return 2 ;; esac
  done
  shift $((OPTIND - 1))
  _topo_client "$ns" 1 "${1:?topo_get: URL missing}" "$w" body
}

# topo_requests N [URL]: N sequential requests from the client (default: the VIP), one line each,
# as in the seed: "i: This is fake WWW server K"; "i: ERROR no answer" when the connection fails
# or times out (5 s); "i: UNEXPECTED <status line>" for any other reply.
topo_requests() {
  _topo_guard || return 1
  [[ -n $TOPO_MODE ]] || { _topo_err "no topology is up"; return 1; }
  _topo_client client "${1:-20}" "${2:-http://$TOPO_VIP/}" 5 lines
}

# topo_servers N [URL]: like topo_requests but prints only the answering servers' numbers on one
# line ("2 1 2 1 …"; "E" for a request that got no or an unexpected answer), for assertions.
topo_servers() {
  topo_requests "$@" | sed -E 's/^[0-9]+: This is fake WWW server ([0-9]+)$/\1/; t; s/.*/E/' | tr '\n' ' ' | sed 's/ $//'
  echo
}
