#!/usr/bin/env bash
# Build localhost/flask-testbed:CODENAME: a bare Debian server booting systemd, of the
# release in DEBIAN (13 trixie by default, or 12 bookworm). Usage: [DEBIAN=12] image.sh [--rebuild]
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

rebuild=0
case ${1:-} in --rebuild) rebuild=1 ;; "") ;; *) die "usage: $0 [--rebuild]" ;; esac
if ((!rebuild)) && podman image exists "$IMAGE"; then exit 0; fi

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
