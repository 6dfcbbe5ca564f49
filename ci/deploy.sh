#!/usr/bin/env bash
# Run a playbook of this project from a CI job (GitLab CI or GitHub Actions), against
# the inventory in DEPLOY_INVENTORY, the way .gitlab-ci.yml and .github/workflows do.
#
#   DEPLOY_INVENTORY        inventory path in the repository (required)
#   DEPLOY_PLAYBOOK         site.yml, playbooks/deploy.yml (default) or playbooks/rollback.yml
#   DEPLOY_LIMIT            optional --limit pattern
#   SSH_PRIVATE_KEY         the deploy key; loaded into an ssh-agent, never written to disk
#   SSH_KNOWN_HOSTS         the hosts' public keys (ssh-keyscan output, checked out of band);
#                           a host whose key is not there, or differs, fails the job
#   ANSIBLE_VAULT_PASSWORD  optional; read by ci/vault-password-client, never on a command line
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "deploy: $*" >&2; exit 2; }
[[ -n ${DEPLOY_INVENTORY:-} ]] || die "set DEPLOY_INVENTORY to the inventory to deploy (e.g. inventories/production)"
[[ -e $DEPLOY_INVENTORY ]] || die "DEPLOY_INVENTORY '$DEPLOY_INVENTORY' does not exist in $PWD"
[[ -n ${SSH_PRIVATE_KEY:-} ]] || die "set SSH_PRIVATE_KEY (a masked, protected CI variable or secret) to the deploy key"
[[ -n ${SSH_KNOWN_HOSTS:-} ]] || die "set SSH_KNOWN_HOSTS to the hosts' keys (ssh-keyscan, fingerprints checked out of band)"
playbook=${DEPLOY_PLAYBOOK:-playbooks/deploy.yml}
case $playbook in
  site.yml | playbooks/deploy.yml | playbooks/rollback.yml) ;;
  *) die "DEPLOY_PLAYBOOK must be site.yml, playbooks/deploy.yml or playbooks/rollback.yml, not '$playbook'" ;;
esac
command -v ssh-agent >/dev/null || die "the job needs an SSH client (Debian: apt-get install openssh-client)"

# The pinned Ansible from requirements-dev.txt, unless the runner provides one.
if ! command -v ansible-playbook >/dev/null; then
  venv=${DEPLOY_VENV:-.cache/deploy-venv}
  if [[ ! -x $venv/bin/ansible-playbook ]]; then
    python3 -m venv "$venv"
    mapfile -t pins < <(grep -E '^(ansible|ansible-core)==' requirements-dev.txt)
    "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
  fi
  PATH=$PWD/$venv/bin:$PATH
fi

work=$(mktemp -d)  # 0700, removed on exit with the agent
cleanup() {
  ssh-agent -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The key goes into an agent through a pipe; printf is a builtin, so it is on no
# command line, and CRs that some CI variable editors add are dropped.
eval "$(ssh-agent -s)" >/dev/null
printf '%s\n' "$SSH_PRIVATE_KEY" | tr -d '\r' | ssh-add -q - || die "SSH_PRIVATE_KEY is not a usable private key"

printf '%s\n' "$SSH_KNOWN_HOSTS" | tr -d '\r' >"$work/known_hosts"
# Options given first win in ssh, so these beat any inventory's ssh_common_args
# (such as StrictHostKeyChecking=no): a key that does not match stops the job.
export ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=yes \
-o UserKnownHostsFile=$work/known_hosts -o GlobalKnownHostsFile=/dev/null"
export ANSIBLE_HOST_KEY_CHECKING=True
export ANSIBLE_SSH_CONTROL_PATH_DIR=$work/cp
export ANSIBLE_CONFIG=$PWD/ansible.cfg  # a CI checkout may be world-writable; name the config
if [[ -n ${ANSIBLE_VAULT_PASSWORD:-} ]]; then
  export ANSIBLE_VAULT_PASSWORD_FILE=$PWD/ci/vault-password-client
fi

args=(-i "$DEPLOY_INVENTORY" "$playbook")
[[ -z ${DEPLOY_LIMIT:-} ]] || args+=(--limit "$DEPLOY_LIMIT")
echo "deploy: ansible-playbook ${args[*]} (host keys pinned: $(grep -cv '^\s*\(#\|$\)' "$work/known_hosts") lines)"
ansible-playbook "${args[@]}"
