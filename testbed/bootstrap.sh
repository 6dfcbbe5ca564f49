#!/usr/bin/env bash
# Install what the test bed needs on the controller: Debian packages and the project venv.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

PKGS=(podman runc conmon netavark aardvark-dns containernetworking-plugins iptables uidmap
      debootstrap curl openssh-client python3 python3-venv)
missing=()
for p in "${PKGS[@]}"; do
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv=$REPO_ROOT/.venv req=$REPO_ROOT/requirements-dev.txt
stamp=$venv/.requirements-dev.stamp
if [[ ! -e $stamp || $req -nt $stamp || ! -x $venv/bin/python ]]; then
  echo "installing $venv from $(basename "$req")"
  [[ -x $venv/bin/python ]] || python3 -m venv --clear "$venv"  # --clear: a half-made venv
  "$venv/bin/python" -m pip install -q -r "$req"
  touch "$stamp"
fi
