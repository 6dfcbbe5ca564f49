#!/usr/bin/env bash
# Install the outside scanners that molecule/default/tests/test_scanners.py runs:
# testssl.sh (Debian) and the MDN HTTP Observatory (npm, offline), and gixy-ng, which
# molecule/security/tests/test_gixy.py runs on `nginx -T`. sslyze comes with the venv
# (requirements-dev.txt). Does nothing when all are in place.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

OBSERVATORY_VERSION=1.4.8
# A virtualenv of its own, so that its parser and pins never touch the tools' venv.
GIXY_VERSION=0.2.59
GIXY_DIR=$REPO_ROOT/.cache/gixy
OBSERVATORY_DIR=$REPO_ROOT/.cache/observatory
package=$OBSERVATORY_DIR/node_modules/@mdn/mdn-http-observatory

apt_need testssl:testssl.sh "npm:nodejs npm"
# The scanner needs Node.js 20 or newer (Debian 12's own is 18).
need_node 20 "the HTTP Observatory"

installed=$(node -p "require('$package/package.json').version" 2>/dev/null || true)
if [[ $installed != "$OBSERVATORY_VERSION" ]]; then
  echo "installing the HTTP Observatory $OBSERVATORY_VERSION into $OBSERVATORY_DIR"
  mkdir -p "$OBSERVATORY_DIR"
  # --ignore-scripts: its postinstall downloads the HSTS preload and TLD lists,
  # which this offline machine cannot reach (and the scan does not need).
  npm install --prefix "$OBSERVATORY_DIR" --ignore-scripts --no-audit --no-fund \
    --omit=dev --loglevel=error "@mdn/mdn-http-observatory@$OBSERVATORY_VERSION" >/dev/null
fi

# An empty preload list: the test site is on no list, so no test may pass by preload.
preload=$package/conf/hsts-preload.json
[[ $(cat "$preload" 2>/dev/null) == '{}' ]] || echo '{}' >"$preload"

if [[ $("$GIXY_DIR/bin/pip" show gixy-ng 2>/dev/null | sed -n 's/^Version: //p') != "$GIXY_VERSION" ]]; then
  echo "installing gixy-ng $GIXY_VERSION into $GIXY_DIR"
  python3 -m venv "$GIXY_DIR"
  "$GIXY_DIR/bin/pip" install --quiet --disable-pip-version-check "gixy-ng==$GIXY_VERSION"
fi
