#!/usr/bin/env bash
# Run every molecule scenario, a few at a time, each with its own test hosts.
# Usage: scenarios.sh [-j JOBS] [SCENARIO...]   (default: all, 2 at a time, longest first)
# Each scenario's output goes to .cache/molecule/NAME.log; a failed one is printed.
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=2
if [[ ${1:-} == -j ]]; then jobs=${2:?}; shift 2; fi
# Longest first, so the short ones fill the gaps at the end.
order=(cluster default releases acme)
if (($#)); then scenarios=("$@"); else
  scenarios=()
  for name in "${order[@]}"; do [[ -f molecule/$name/molecule.yml ]] && scenarios+=("$name"); done
  for dir in molecule/*/molecule.yml; do
    name=$(basename "$(dirname "$dir")")
    [[ " ${scenarios[*]} " == *" $name "* ]] || scenarios+=("$name")
  done
fi

logs=.cache/molecule
mkdir -p "$logs"
run() {
  local name=$1 start rc
  start=$SECONDS
  molecule test -s "$name" >"$logs/$name.log" 2>&1
  rc=$?
  printf '%-10s %s in %dm%02ds\n' "$name" "$( ((rc)) && echo FAILED || echo passed)" \
    $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
  return "$rc"
}

declare -A pids=()
failed=()
wait_one() {
  local pid name
  wait -n -p pid
  local rc=$?
  name=${pids[$pid]}
  unset "pids[$pid]"
  ((rc)) && failed+=("$name")
}
for name in "${scenarios[@]}"; do
  while ((${#pids[@]} >= jobs)); do wait_one; done
  run "$name" &
  pids[$!]=$name
done
while ((${#pids[@]})); do wait_one; done

for name in "${failed[@]}"; do
  echo "=============== $name: last lines of $logs/$name.log ==============="
  tail -n 150 "$logs/$name.log"
done
((${#failed[@]} == 0)) || { echo "failed scenarios: ${failed[*]}"; exit 1; }
echo "all scenarios passed: ${scenarios[*]}"
