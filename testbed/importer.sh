#!/usr/bin/env bash
# Install galaxy-importer, the checks Galaxy runs on an uploaded collection, into a venv
# of its own (it pins its own ansible-lint and flake8): .cache/galaxy-importer.
# Usage: importer.sh [TARBALL]   installs, then checks TARBALL when given.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

IMPORTER_VERSION=0.4.44
venv=$REPO_ROOT/.cache/galaxy-importer
if [[ $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))' 2>/dev/null) != "$IMPORTER_VERSION" ]]; then
  echo "installing galaxy-importer $IMPORTER_VERSION into $venv"
  python3 -m venv --clear "$venv"
  "$venv/bin/python" -m pip install -q "galaxy-importer==$IMPORTER_VERSION"
fi
(($#)) || exit 0

# Galaxy's own settings: run ansible-test sanity? No (it needs a container engine the
# importer would drive itself); run ansible-lint on the content, as Galaxy does.
config=$REPO_ROOT/.cache/galaxy-importer.cfg
printf '[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_LINT = True\nCHECK_REQUIRED_TAGS = False\n' >"$config"
tarball=$(realpath "$1")
out=$(mktemp -d)
# The importer calls ansible-doc, ansible-lint and flake8 from its own venv.
(cd "$out" && PATH=$venv/bin:$PATH GALAXY_IMPORTER_CONFIG=$config \
  "$venv/bin/python" -m galaxy_importer.main "$tarball")
