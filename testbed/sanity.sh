#!/usr/bin/env bash
# ansible-test sanity on the built collection, the way Ansible's own collections are checked:
# validate-modules, compile, import and pylint, on the controller's Python, each test in the
# virtualenv ansible-test makes for it. ansible-test runs from a venv of its own
# (.cache/sanity-venv, the ansible-core of requirements-dev.txt) on a copy of the collection
# installed under .cache/sanity/ansible_collections/flaskops/production.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "$0")/lib.sh"

core=$(grep -E '^ansible-core==' "$REPO_ROOT/requirements-dev.txt")
venv=$REPO_ROOT/.cache/sanity-venv
if [[ $("$venv/bin/python" -m pip freeze 2>/dev/null | grep -E '^ansible-core==') != "$core" ]]; then
  echo "installing $core into $venv"
  python3 -m venv --clear "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$core"
fi

# ansible-test bootstraps pip in the virtualenvs it makes with a script it downloads from a
# host of its own, out of reach here: this stand-in takes pip from the interpreter's ensurepip
# and then the requested version from the package index, as pip installs anything else.
requirements=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py
pip_version=$(grep -oP "pip='\K[0-9.]+" "$requirements" | head -n 1)
[[ -n $pip_version ]] || die "cannot tell which pip ansible-test bootstraps (read $requirements)"
bootstrap=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [[ ! -s $bootstrap ]]; then
  mkdir -p "$(dirname "$bootstrap")"
  cp "$TESTBED_DIR/get_pip.py" "$bootstrap"
fi

work=$REPO_ROOT/.cache/sanity
rm -rf "$work"
mkdir -p "$work"
"$venv/bin/ansible-galaxy" collection build --force --output-path "$work" "$REPO_ROOT" >/dev/null
"$venv/bin/ansible-galaxy" collection install --force --no-deps -p "$work" "$work"/flaskops-production-*.tar.gz >/dev/null
cd "$work/ansible_collections/flaskops/production"
# A repository of its own: ansible-test lists a collection's files with git, and inside this
# checkout .cache/ is ignored.
git init -q .
python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$venv/bin/ansible-test" sanity --local --requirements --python "$python" \
  --test validate-modules --test compile --test import --test pylint
