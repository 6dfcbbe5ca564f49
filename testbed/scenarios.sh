#!/usr/bin/env bash
# Run the molecule scenarios, a few at a time, each with its own test hosts, on the
# Debian releases of the matrix below.
# Usage: scenarios.sh [-j JOBS] [SCENARIO[:RELEASE]...]
#   default: the matrix, 2 at a time, longest first; RELEASE is 13 (default) or 12.
# Each run's output goes to .cache/molecule/NAME-debianRELEASE.log; a failed one is printed.
set -uo pipefail
shopt -s extglob
cd "$(dirname "$0")/.."

# Every scenario runs on Debian 13; default, which exercises the whole single-host stack,
# and releases, which deploys, rolls back and kills processes, also run on Debian 12.
# Longest first, so the short ones fill the gaps at the end.
MATRIX=(default:12 default:13 releases:13 releases:12 cluster:13 alternatives:13 realapps:13
        apps:13 adopt:13 pipelines:13 collection:13 security:13 acme:13)

jobs=2
if [[ ${1:-} == -j ]]; then jobs=${2:?}; shift 2; fi
if (($#)); then runs=("$@"); else
  runs=()
  for run in "${MATRIX[@]}"; do [[ -f molecule/${run%%:*}/molecule.yml ]] && runs+=("$run"); done
  for dir in molecule/*/molecule.yml; do  # a scenario the matrix forgot still runs, on 13
    name=$(basename "$(dirname "$dir")")
    [[ " ${runs[*]} " == *" $name:"* ]] || runs+=("$name:13")
  done
fi
for i in "${!runs[@]}"; do [[ ${runs[i]} == *:* ]] || runs[i]+=:13; done

logs=.cache/molecule
mkdir -p "$logs"
run() {
  local name=${1%%:*} release=${1#*:} start rc log lock
  log=$logs/$name-debian$release.log
  # The scenario's lock keeps another checkout's run of it (same hosts and ports) out; it
  # is taken before a slot, so that no slot is held while waiting for it.
  exec {lock}>"/tmp/scenario-$name.lock"
  flock "$lock"
  slot
  start=$SECONDS
  # The log ends its verify step with the slowest tests (where a scenario's time goes).
  DEBIAN=$release PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} --durations=15 --durations-min=5" \
    molecule test -s "$name" 2>&1 | stamp >"$log"
  rc=${PIPESTATUS[0]}
  printf '%-10s Debian %-3s %s in %dm%02ds (%s)\n' "$name" "$release" "$( ((rc)) && echo FAILED || echo passed)" \
    $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$(steps <"$log")"
  return "$rc"
}

# The machine runs at most FLASKOPS_SLOTS scenarios at once (default 2), whichever
# checkouts start them: a run takes a free slot lock and holds it until it ends, so
# several checkouts' runs queue instead of slowing each other past their timeouts.
slot() {
  local i fd
  while :; do
    for ((i = 0; i < ${FLASKOPS_SLOTS:-2}; i++)); do
      exec {fd}>"/tmp/flaskops-slot-$i.lock"
      flock -n "$fd" && return 0
      exec {fd}>&-
    done
    sleep 5
  done
}

# Molecule's step lines ("converge: Executing", "converge: Executed") get the seconds since
# the run began in front, so that steps can say where the time went.
stamp() {
  local line plain begin=$SECONDS
  while IFS= read -r line; do
    plain=${line//$'\e['*([0-9;])m/}
    [[ $plain == *" ➜ "*": Execut"* ]] && line="[t+$((SECONDS - begin))s] $line"
    printf '%s\n' "$line"
  done
}

# Each step's time from a stamped log: "create 41s, converge 190s, ...".
steps() {
  local line plain step t out=() ; local -A began=()
  while IFS= read -r line; do
    [[ $line == "[t+"* ]] || continue
    plain=${line//$'\e['*([0-9;])m/}
    t=${plain#\[t+}; t=${t%%s\]*}
    step=${plain#* ➜ }; step=${step%%:*}
    case $plain in
      *": Executing"*) [[ -n ${began[$step]:-} ]] || began[$step]=$t ;;
      *": Executed"*) [[ -n ${began[$step]:-} ]] && out+=("$step $((t - began[$step]))s") && unset "began[$step]" ;;
    esac
  done
  local joined
  printf -v joined '%s, ' "${out[@]}"
  echo "${joined%, }"
}

declare -A pids=()  # pid -> run
failed=()
wait_one() {
  local pid rc
  wait -n -p pid
  rc=$?
  ((rc)) && failed+=("${pids[$pid]}")
  unset "pids[$pid]"
}
busy() {  # is a run of this scenario (on any release) going? Its hosts and ports are taken.
  local run
  for run in "${pids[@]}"; do [[ ${run%%:*} == "${1%%:*}" ]] && return 0; done
  return 1
}
queue=("${runs[@]}")
while ((${#queue[@]})); do
  while ((${#pids[@]} >= jobs)); do wait_one; done
  next=-1
  for i in "${!queue[@]}"; do busy "${queue[i]}" || { next=$i; break; }; done
  if ((next < 0)); then wait_one; continue; fi
  item=${queue[next]}
  unset "queue[next]"
  queue=("${queue[@]}")
  run "$item" &
  pids[$!]=$item
done
while ((${#pids[@]})); do wait_one; done

for run in "${failed[@]}"; do
  log=$logs/${run%%:*}-debian${run#*:}.log
  echo "=============== ${run%%:*} on Debian ${run#*:}: last lines of $log ==============="
  tail -n 150 "$log"
done
# The tests of every run, counted from pytest's closing lines (a failed run counts as one failure at least).
passed=0 failures=0
for run in "${runs[@]}"; do
  log=$logs/${run%%:*}-debian${run#*:}.log
  line=$(grep -aoE '=+ [0-9]+ (passed|failed|errors?)[^=]* in [0-9.]+s' "$log" | tail -n 1)
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  f=$(( $(grep -oE '[0-9]+ (failed|error)' <<<"$line" | grep -oE '[0-9]+' | paste -sd+ - || echo 0) + 0 ))
  [[ " ${failed[*]} " == *" $run "* ]] && ((f == 0)) && f=1
  passed=$((passed + ${p:-0})) failures=$((failures + f))
done
took=$(printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)))
echo "all runs took $took, $jobs at a time"
((${#failed[@]} == 0)) || { echo "failed: ${failed[*]}"; echo "scenarios: $passed passed, $failures failed"; exit 1; }
echo "all passed: ${runs[*]}"
echo "scenarios: $passed passed, $failures failed"
