#!/usr/bin/env bash
# Real SSH edge hosts for tests, each in its own network namespace on this machine.
#
#   scripts/netns-hosts.sh up DIR NAME=ADDR [NAME=ADDR...]   create the hosts (again, if up)
#   scripts/netns-hosts.sh down DIR                          remove everything `up` made
#   scripts/netns-hosts.sh rekey DIR NAME                    new host key, sshd restarted
#   scripts/netns-hosts.sh link DIR NAME up|down             the host's cable in or out
#
# Each host NAME gets a namespace `gs-NAME` (loopback up, no default route), a veth pair whose
# root end is enslaved to a bridge (GS_BRIDGE, default gsbr0, address GS_BRIDGE_ADDR, default
# 10.77.0.1/24) and whose namespace end is `eth0` with ADDR, and Debian's OpenSSH server
# listening on ADDR:22 with a fresh ed25519 host key. Files under DIR (absolute paths, no
# spaces): id_ed25519[.pub] (the controller's key), authorized_keys, and per host NAME/
# sshd_config, ssh_host_ed25519_key[.pub], sshd.pid, sshd.log, address, and NAME/root (the
# host's root directory; namespaces share the file system, so tests read it directly).
#
# Safety: only addresses in 10.77.0.0/16 on the bridge's /24 are accepted; every interface
# this script creates carries the alias below, and nothing without it is ever changed or
# deleted. A bridge is shared by concurrent users (one lock serialises them) and deleted by the
# last `down` that leaves it without ports. Addresses are claimed under /run so two
# directories never put the same address on the bridge. `up` and `down` are idempotent.
set -euo pipefail

mark=gsctl-netns-hosts
state=/run/gsctl-netns-hosts
bridge=${GS_BRIDGE:-gsbr0}
bridge_addr=${GS_BRIDGE_ADDR:-10.77.0.1/24}
sshd=/usr/sbin/sshd

die() { echo "netns-hosts: error: $*" >&2; exit 1; }
usage() { sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

# Fails unless the interface exists and carries our alias.
ours() { [ "$(cat "/sys/class/net/$1/ifalias" 2>/dev/null || true)" = "$mark" ]; }
exists() { [ -e "/sys/class/net/$1" ]; }

lock() {
  mkdir -p "$state/claims"
  exec 9>"$state/lock"
  flock -w 60 9 || die "another netns-hosts run holds $state/lock for over 60 s"
}

# DIR made absolute (created if needed); sshd_config cannot quote paths with spaces.
absolute_dir() {
  mkdir -p "$1"
  local dir
  dir=$(cd "$1" && pwd -P)
  case "$dir" in *[[:space:]]*) die "DIR '$dir' contains white space (sshd_config paths cannot)" ;; esac
  echo "$dir"
}

check_tools() {
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
  command -v ip >/dev/null || die "'ip' (iproute2) is not installed"
  [ -x "$sshd" ] || die "$sshd is missing (apt-get install openssh-server)"
  command -v ssh-keygen >/dev/null || die "ssh-keygen is missing (apt-get install openssh-client)"
  command -v flock >/dev/null || die "flock is missing (util-linux)"
}

# Splits the bridge address into its /24 prefix ("10.77.0") and its own last octet.
parse_bridge() {
  [[ "$bridge_addr" =~ ^10\.77\.([0-9]{1,3})\.([0-9]{1,3})/24$ ]] ||
    die "GS_BRIDGE_ADDR '$bridge_addr' must be 10.77.N.M/24"
  ((BASH_REMATCH[1] <= 255 && BASH_REMATCH[2] >= 1 && BASH_REMATCH[2] <= 254)) ||
    die "GS_BRIDGE_ADDR '$bridge_addr' is not a host address"
  subnet="10.77.${BASH_REMATCH[1]}"
  bridge_ip="${bridge_addr%/24}"
  [[ "$bridge" =~ ^[a-zA-Z0-9_-]{1,15}$ ]] || die "GS_BRIDGE '$bridge' is not a valid interface name"
}

ensure_bridge() {
  if exists "$bridge"; then
    ours "$bridge" || die "bridge '$bridge' exists but was not created by this script; set GS_BRIDGE"
  else
    ip link add "$bridge" type bridge
    ip link set "$bridge" alias "$mark"
  fi
  # A fixed MAC: otherwise the bridge takes its lowest port's, which changes as other runs
  # add and remove hosts, and every host's cached MAC for the bridge address goes stale.
  ip link set "$bridge" address "02:67:73:$(printf '%s' "$bridge" | md5sum | sed 's/^\(..\)\(..\)\(..\).*/\1:\2:\3/')"
  ip -4 -o addr show dev "$bridge" | grep -q " $bridge_ip/24 " || ip addr add "$bridge_addr" dev "$bridge"
  ip link set "$bridge" up
}

# The root end of NAME's veth pair: short (15 bytes at most) and stable per namespace.
veth_name() { echo "gsv$(printf '%s' "gs-$1" | md5sum | cut -c1-10)"; }

# The pids of every process below pid (an sshd's sessions and what they run).
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$child"; descendants "$child"; done
}

# Stops the sshd recorded in DIR/NAME (only if that pid is still our sshd) and its sessions,
# by pid: a session on a dead link would otherwise outlive it.
stop_sshd() {
  local host=$1 pid victims child
  [ -f "$host/sshd.pid" ] || return 0
  pid=$(cat "$host/sshd.pid" 2>/dev/null || true)
  rm -f "$host/sshd.pid"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-f $host/sshd_config" || return 0
  victims="$pid $(descendants "$pid")"
  for child in $victims; do kill "$child" 2>/dev/null || true; done
  for child in $victims; do
    for _ in $(seq 100); do running "$child" || break; sleep 0.05; done
    running "$child" && kill -9 "$child" 2>/dev/null
  done
  return 0
}

# Whether pid runs (a zombie waiting for init to reap it does not).
running() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

start_sshd() {
  local host=$1 ns=$2
  rm -f "$host/sshd.pid"
  mkdir -p /run/sshd
  # setsid detaches it from our session; fd 9 (the lock) must not live on in it.
  ip netns exec "$ns" setsid "$sshd" -D -f "$host/sshd_config" -E "$host/sshd.log" \
    </dev/null >/dev/null 2>&1 9>&- &
  # sshd writes its pid file once its socket listens.
  for _ in $(seq 100); do
    [ -s "$host/sshd.pid" ] && return 0
    running $! || break
    sleep 0.05
  done
  die "sshd for $(basename "$host") did not start: $(tail -n 5 "$host/sshd.log" 2>/dev/null)"
}

write_sshd_config() {
  local dir=$1 host=$2 addr=$3
  cat >"$host/sshd_config" <<EOF
# Written by scripts/netns-hosts.sh for tests: key-only root login on one address.
ListenAddress $addr
Port 22
HostKey $host/ssh_host_ed25519_key
PidFile $host/sshd.pid
PermitRootLogin prohibit-password
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
X11Forwarding no
PrintMotd no
MaxSessions 64
ClientAliveInterval 2
ClientAliveCountMax 3
MaxStartups 64:30:128
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# Removes one host: sshd, namespace (which takes the veth peer with it), veth, address claim.
remove_host() {
  local host=$1 ns veth addr
  stop_sshd "$host"
  if [ -f "$host/veth" ]; then
    veth=$(cat "$host/veth")
    if exists "$veth" && ours "$veth"; then ip link del "$veth" 2>/dev/null || true; fi
    rm -f "$host/veth"
  fi
  if [ -f "$host/netns" ]; then
    ns=$(cat "$host/netns")
    [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
    rm -f "$host/netns"
  fi
  if [ -f "$host/address" ]; then
    addr=$(cat "$host/address")
    [ "$(cut -d' ' -f1 "$state/claims/$addr" 2>/dev/null || true)" = "$host" ] && rm -f "$state/claims/$addr"
  fi
  return 0
}

up_host() {
  local dir=$1 name=$2 addr=$3
  local host="$dir/$name" ns="gs-$name" veth claim claim_ns
  veth=$(veth_name "$name")
  [[ "$name" =~ ^[a-z0-9][a-z0-9-]{0,28}$ ]] || die "host name '$name' must be [a-z0-9-], 29 characters at most"
  [[ "$addr" =~ ^10\.77\.[0-9]{1,3}\.([0-9]{1,3})$ ]] || die "address '$addr' is not in 10.77.0.0/16"
  [[ "$addr" == "$subnet".* ]] || die "address '$addr' is not in the bridge's subnet $subnet.0/24"
  ((BASH_REMATCH[1] >= 2 && BASH_REMATCH[1] <= 254)) || die "address '$addr' is not a host address"
  [ "$addr" != "$bridge_ip" ] || die "address '$addr' is the bridge's own"
  mkdir -p "$host/root"
  # Up twice: this directory's host is rebuilt (keeping its host key).
  [ -f "$host/netns" ] && remove_host "$host"
  [ -e "/run/netns/$ns" ] && die "namespace '$ns' exists and was not created for $dir"
  exists "$veth" && die "interface '$veth' exists and was not created for $dir"
  # A claim is live while its namespace exists (even if its directory was deleted).
  claim='' claim_ns=''
  if [ -f "$state/claims/$addr" ]; then read -r claim claim_ns <"$state/claims/$addr" || true; fi
  if [ -n "${claim:-}" ] && [ "$claim" != "$host" ] && [ -e "/run/netns/${claim_ns:-none}" ]; then
    die "address $addr is in use by $claim (namespace $claim_ns)"
  fi
  echo "$host $ns" >"$state/claims/$addr"
  echo "$addr" >"$host/address"

  ip netns add "$ns"
  echo "$ns" >"$host/netns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  echo "$veth" >"$host/veth"
  ip link set "$veth" alias "$mark"
  ip link set "$veth" master "$bridge"
  ip link set "$veth" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  # The bridge may remember this address at an earlier host's MAC (same address, new veth):
  # forget it, or connections stall until the entry goes stale.
  ip neigh flush to "$addr" dev "$bridge" 2>/dev/null || true

  [ -f "$host/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$host/ssh_host_ed25519_key"
  write_sshd_config "$dir" "$host" "$addr"
  start_sshd "$host" "$ns"
  echo "netns-hosts: $name up at $addr (namespace $ns, sshd pid $(cat "$host/sshd.pid"))"
}

cmd_up() {
  [ $# -ge 2 ] || usage
  check_tools
  parse_bridge
  local dir spec
  dir=$(absolute_dir "$1")
  shift
  for spec in "$@"; do [[ "$spec" == ?*=?* ]] || die "'$spec' is not NAME=ADDR"; done
  lock
  ensure_bridge
  echo "$bridge" >"$dir/bridge"
  [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C gsctl-test-controller -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  for spec in "$@"; do up_host "$dir" "${spec%%=*}" "${spec#*=}"; done
}

cmd_down() {
  [ $# -eq 1 ] || usage
  [ -d "$1" ] || return 0
  check_tools
  local dir host br
  dir=$(cd "$1" && pwd -P)
  lock
  for host in "$dir"/*/; do
    host=${host%/}
    [ -f "$host/netns" ] || [ -f "$host/veth" ] || [ -f "$host/sshd.pid" ] || continue
    remove_host "$host"
  done
  br=$(cat "$dir/bridge" 2>/dev/null || true)
  if [ -n "$br" ] && exists "$br" && ours "$br" && [ -z "$(ls -A "/sys/class/net/$br/brif" 2>/dev/null)" ]; then
    ip link del "$br" 2>/dev/null || true
  fi
  rm -f "$dir/bridge"
}

# The host directory of NAME, only if `up` made it.
host_of() {
  local dir
  dir=$(cd "$1" 2>/dev/null && pwd -P) || die "no directory '$1'"
  [ -f "$dir/$2/netns" ] || die "no host '$2' is up in $dir"
  echo "$dir/$2"
}

cmd_rekey() {
  [ $# -eq 2 ] || usage
  check_tools
  local host
  host=$(host_of "$1" "$2")
  lock
  stop_sshd "$host"
  rm -f "$host/ssh_host_ed25519_key" "$host/ssh_host_ed25519_key.pub"
  ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$host/ssh_host_ed25519_key"
  start_sshd "$host" "$(cat "$host/netns")"
}

cmd_link() {
  [ $# -eq 3 ] || usage
  [[ "$3" == up || "$3" == down ]] || usage
  check_tools
  local host veth
  host=$(host_of "$1" "$2")
  veth=$(cat "$host/veth")
  exists "$veth" && ours "$veth" || die "interface '$veth' of $2 is gone"
  ip link set "$veth" "$3"
}

[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  rekey) cmd_rekey "$@" ;;
  link) cmd_link "$@" ;;
  *) usage ;;
esac
