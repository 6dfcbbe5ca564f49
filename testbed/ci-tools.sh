#!/usr/bin/env bash
# Install what molecule/pipelines needs to test the CI pipelines: gitlab-ci-local
# (npm, runs .gitlab-ci.yml with its shell executor; it needs rsync) and the
# pipeline linters check-jsonschema and zizmor (PyPI, in .cache/ci-tools).
# Does nothing when all are in place.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

# The newest release that runs on Node.js 20: 4.74.0 and later call Set.union (Node 22).
GITLAB_CI_LOCAL_VERSION=4.73.0
GCL_DIR=$REPO_ROOT/.cache/gitlab-ci-local
TOOLS_VENV=$REPO_ROOT/.cache/ci-tools
TOOLS_REQ=$TESTBED_DIR/ci-tools.txt

apt_need rsync:rsync "npm:nodejs npm"
need_node 20 gitlab-ci-local

package=$GCL_DIR/node_modules/gitlab-ci-local
installed=$(node -p "require('$package/package.json').version" 2>/dev/null || true)
if [[ $installed != "$GITLAB_CI_LOCAL_VERSION" ]]; then
  echo "installing gitlab-ci-local $GITLAB_CI_LOCAL_VERSION into $GCL_DIR"
  mkdir -p "$GCL_DIR"
  npm install --prefix "$GCL_DIR" --no-audit --no-fund --omit=dev --loglevel=error \
    "gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" >/dev/null
fi

stamp=$TOOLS_VENV/.ci-tools.stamp
if [[ ! -e $stamp || $TOOLS_REQ -nt $stamp || ! -x $TOOLS_VENV/bin/python ]]; then
  echo "installing $TOOLS_VENV from $(basename "$TOOLS_REQ")"
  python3 -m venv --clear "$TOOLS_VENV"
  "$TOOLS_VENV/bin/python" -m pip install -q -r "$TOOLS_REQ"
  touch "$stamp"
fi
