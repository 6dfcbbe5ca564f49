#!/usr/bin/env bash
# Local test hosts that look like real servers over SSH.
# Usage: [DEBIAN=13|12] host.sh up NAME --ssh-port PORT [--publish 127.0.0.1:HOSTPORT:CPORT ...]
#        host.sh down NAME [NAME...]
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

usage() { sed -n '3,4p' "$0" >&2; exit 2; }

ensure_key() {
  [[ -f $KEY ]] && return
  install -d -m 700 "$(dirname "$KEY")"
  echo '*' >"$(dirname "$KEY")/.gitignore"  # the directory ignores itself
  ssh-keygen -q -t ed25519 -N '' -C flask-testbed -f "$KEY"
}

# Run podman with its stderr in a file, not a pipe: the first `podman run` starts
# aardvark-dns (podman's DNS daemon), which inherits stderr and would hold a pipe
# open forever, hanging whoever reads it. Drop its harmless "no syslog" line.
quiet_podman() {
  local log rc=0
  log=$(mktemp)
  podman "$@" >/dev/null 2>"$log" || rc=$?
  grep -v '^failed to connect to syslog' "$log" >&2 || true
  rm -f "$log"
  return "$rc"
}

up() {
  local name=${1:-} port="" pub=() state i out
  [[ -n $name ]] || usage
  shift
  while (($#)); do
    case $1 in
      --ssh-port) port=${2:?}; shift 2 ;;
      --publish) pub+=(-p "${2:?}"); shift 2 ;;
      *) usage ;;
    esac
  done
  [[ -n $port ]] || usage

  "$TESTBED_DIR/image.sh"  # returns at once when the image exists
  ensure_key
  podman network exists "$NETWORK" || podman network create "$NETWORK" >/dev/null

  state=$(podman container inspect -f '{{.State.Running}}' "$name" 2>/dev/null || echo absent)
  # A host of the other release (e.g. `make demo DEBIAN=12` after a Debian 13 demo) is
  # replaced: same name, ports and URL, the release asked for.
  if [[ $state != absent && $(podman container inspect -f '{{.ImageName}}' "$name") != "$IMAGE" ]]; then
    echo "$name: replacing it with a Debian $DEBIAN host"
    podman rm -f "$name" >/dev/null
    state=absent
  fi
  case $state in
    true) ;;
    false) quiet_podman start "$name" ;;
    # As on a real server, root may read other users' /proc/PID/{fd,environ} (SYS_PTRACE)
    # load firewall rules (NET_ADMIN) inside this host's own network namespace, and let
    # systemd build the sandboxes it promises (SYS_ADMIN: without it systemd silently
    # skips ProtectSystem, ReadWritePaths and the other mount-namespace settings).
    absent) quiet_podman run -d --name "$name" --hostname "$name" --runtime runc --systemd=always \
              --cap-add SYS_PTRACE --cap-add NET_ADMIN --cap-add SYS_ADMIN --network "$NETWORK" -p "127.0.0.1:$port:22" "${pub[@]}" "$IMAGE" ;;
  esac

  podman exec -i "$name" sh -c 'umask 077; mkdir -p /root/.ssh; cat >/root/.ssh/authorized_keys' <"$KEY.pub"

  for i in $(seq 60); do  # is-system-running says "offline" until systemd's socket exists
    state=$(podman exec "$name" timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
    sleep 1
  done
  case $state in
    running) ;;
    degraded) echo "$name: systemd degraded; failed units:" >&2
              podman exec "$name" systemctl --failed --no-legend >&2 ;;
    *) die "$name: systemd state '$state'" ;;
  esac

  # The controller's local CAs (e.g. a TLS-intercepting proxy) change over time: copy
  # them at every boot, once systemd is up (early in boot /tmp may not exist yet).
  if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
    podman cp /usr/local/share/ca-certificates/. "$name:/usr/local/share/ca-certificates/"
    # Retried: on a loaded machine it has failed once without saying why.
    for i in 1 2 3; do
      out=$(podman exec "$name" update-ca-certificates 2>&1) && break
      ((i < 3)) || die "$name: update-ca-certificates: $out"
      sleep 2
    done
  fi

  for i in $(seq 30); do
    ssh "${SSH_OPTS[@]}" -p "$port" root@127.0.0.1 true 2>/dev/null && break
    ((i < 30)) || die "$name: no ssh on 127.0.0.1:$port"
    sleep 1
  done
  echo "$name up (Debian $DEBIAN): ssh ${SSH_OPTS[*]} -p $port root@127.0.0.1"
}

down() {
  (($#)) || usage
  podman rm -f --ignore "$@" >/dev/null
}

cmd=${1:-}; shift || true
case $cmd in
  up) up "$@" ;;
  down) down "$@" ;;
  *) usage ;;
esac
