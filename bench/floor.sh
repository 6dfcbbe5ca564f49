#!/usr/bin/env bash
# The floor for provisioning: on a bare bench host, the apt and pip installs the play
# makes, done by hand in one go. Prints "apt SECONDS" and "pip SECONDS".
# Usage: floor.sh GUNICORN_VERSION REQUIREMENTS_FILE APT_PACKAGE...
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
gunicorn_version=${1:?}; requirements=${2:?}; shift 2

t0=$(date +%s.%N)
apt-get update -q >/dev/null
apt-get install -y -q "$@" >/dev/null
t1=$(date +%s.%N)
python3 -m venv /root/floor-venv
/root/floor-venv/bin/pip install -q -r "$requirements" "gunicorn==$gunicorn_version"
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "apt %.2f\npip %.2f\n", b - a, c - b }'
