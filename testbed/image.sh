#!/usr/bin/env bash
# Build localhost/flask-testbed:CODENAME: a bare Debian server booting systemd, of the
# release in DEBIAN (13 trixie by default, or 12 bookworm).
# With --stack, the prepared image on top of it, STACK_IMAGE (lib.sh): the same host with
# the stack's Debian packages (STACK_PACKAGES) installed, for the scenarios whose promises
# do not include installing them. Usage: [DEBIAN=12] image.sh [--rebuild] [--stack]
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

rebuild=0 stack=0
for arg; do
  case $arg in --rebuild) rebuild=1 ;; --stack) stack=1 ;; *) die "usage: $0 [--rebuild] [--stack]" ;; esac
done

# The prepared image: the bare one, then apt-get install of STACK_PACKAGES as a role's
# apt run would do it (recommends included), with no service started during the build
# (they start at the host's boot) and the apt lists emptied again as in the bare image.
# Its tag holds the digest of the package list and of the bare image (lib.sh), so a new
# list or a rebuilt bare image makes a new one; older prepared images of the release go.
build_stack() {
  local name=flask-testbed-stack-build-$$ old log
  podman image exists "$STACK_IMAGE" && return 0
  echo "preparing $STACK_IMAGE: ${STACK_PACKAGES[*]} ..."
  # shellcheck disable=SC2016  # expanded inside the build container
  log=$(mktemp)
  podman run --name "$name" --runtime runc "$IMAGE" sh -euc '
    printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
    export DEBIAN_FRONTEND=noninteractive
    apt-get -q update >/dev/null
    apt-get -q -y install "$@" >/dev/null
    apt-get clean
    rm -rf /usr/sbin/policy-rc.d /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /tmp/*
    mkdir -p /var/lib/apt/lists/partial
    touch -d @0 /var/lib/apt/lists' sh "${STACK_PACKAGES[@]}" >/dev/null 2>"$log" ||
    { podman rm -f "$name" >/dev/null 2>&1; tail -n 30 "$log"; rm -f "$log"; die "preparing $STACK_IMAGE failed"; }
  rm -f "$log"
  podman commit -q --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' "$name" "$STACK_IMAGE" >/dev/null
  podman rm -f "$name" >/dev/null
  for old in $(podman image ls --format '{{.Repository}}:{{.Tag}}' "localhost/flask-testbed" | grep -F ":$CODENAME-stack-"); do
    [[ $old == "$STACK_IMAGE" ]] || podman image rm "$old" >/dev/null 2>&1 || true  # unless in use
  done
  podman image ls "$STACK_IMAGE"
}

if ((!rebuild)) && podman image exists "$IMAGE"; then
  if ((stack)); then
    stack_image_name
    # One build at a time on the machine: two scenarios starting together wait for one image.
    exec {lock}>"/tmp/flask-testbed-$CODENAME-stack.lock"
    flock "$lock"
    build_stack
  fi
  exit 0
fi

# shellcheck disable=SC2119  # no arguments: read the host's own apt sources
read -r MIRROR SECURITY < <(debian_mirrors)
root=$(mktemp -d "${TMPDIR:-/var/tmp}/flask-testbed-rootfs.XXXXXX")
cleanup() {  # unmount leftovers first so rm never walks into the host's /proc or /sys
  findmnt -rn -o TARGET | grep "^$root/" | sort -r | xargs -r umount -l || true
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

echo "debootstrap $CODENAME (Debian $DEBIAN) from $MIRROR ..."
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,openssh-server,python3,ca-certificates,iproute2,procps,sudo \
  "$CODENAME" "$root" "$MIRROR" >"$root.log" 2>&1 || { tail -n 30 "$root.log"; die "debootstrap failed"; }
rm -f "$root.log"

rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $CODENAME $CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $CODENAME-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

# Units that wait for hardware or do housekeeping a container must not do.
for unit in getty.target console-getty.service \
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
  systemd-udev-trigger.service systemd-udev-settle.service systemd-modules-load.service \
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount \
  apt-daily.timer apt-daily-upgrade.timer fstrim.timer e2scrub_all.timer e2scrub_reap.service \
  systemd-firstboot.service systemd-remount-fs.service; do
  ln -sfn /dev/null "$root/etc/systemd/system/$unit"
done

# sshd: root by key only; host keys are made on first boot so every host gets its own.
cat >"$root/etc/ssh/sshd_config.d/testbed.conf" <<'CONF'
PermitRootLogin prohibit-password
PasswordAuthentication no
CONF
rm -f "$root"/etc/ssh/ssh_host_*
mkdir -p "$root/etc/systemd/system/ssh.service.d"
cat >"$root/etc/systemd/system/ssh.service.d/hostkeys.conf" <<'CONF'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
CONF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sfn /lib/systemd/system/ssh.service "$root/etc/systemd/system/multi-user.target.wants/ssh.service"
ln -sfn /lib/systemd/system/ssh.service "$root/etc/systemd/system/sshd.service"

# Fresh identity per instance; podman provides hostname, hosts and resolv.conf.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"

chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log \
  "$root"/var/log/apt/* "$root"/var/cache/debconf/*-old "$root"/tmp/* "$root"/root/.cache
mkdir -p "$root/var/lib/apt/lists/partial"
# Ansible's apt cache_valid_time looks at this mtime: make the empty cache look ancient.
touch -d @0 "$root/var/lib/apt/lists"

old=$(podman image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -c . |
  podman import -q --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' - "$IMAGE" >/dev/null
[[ -z $old ]] || podman image rm "$old" >/dev/null 2>&1 || true  # drop the replaced image unless in use
podman image ls "$IMAGE"
if ((stack)); then stack_image_name; build_stack; fi
