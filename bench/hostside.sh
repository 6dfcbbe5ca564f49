#!/usr/bin/env bash
# Runs on the bench host (bench.py pipes it over SSH): extra listeners that exist only
# for the bench, set up from what the play deployed, never from hard-coded paths.
# Usage: hostside.sh setup APP | start devserver|gunicorn|waitress APP | stop devserver|gunicorn|waitress
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# The deployed gunicorn service tells where the venv, code, config and environment are.
read_unit() {
  local unit="gunicorn-$1.service" argv
  argv=$(systemctl show -p ExecStart --value "$unit" | sed -n 's/.*argv\[\]=\([^;]*\) ;.*/\1/p')
  read -r GUNICORN _ CONFIG MODULE <<<"$argv"     # .../bin/gunicorn --config FILE module:app
  VENV=$(dirname "$(dirname "$GUNICORN")")
  CHDIR=$(systemctl show -p WorkingDirectory --value "$unit")
  USER_=$(systemctl show -p User --value "$unit")
  ENVFILE=$(systemctl show -p EnvironmentFiles --value "$unit" | cut -d' ' -f1)
  [[ -x $GUNICORN && -n $CONFIG && -n $MODULE && -d $CHDIR && -n $USER_ ]] || {
    echo "bench: cannot read $unit (ExecStart '$argv')" >&2; exit 1; }
}

# The deployed waitress service: the launcher, its JSON config and the venv.
read_waitress_unit() {
  local unit="waitress-$1.service" argv
  argv=$(systemctl show -p ExecStart --value "$unit" | sed -n 's/.*argv\[\]=\([^;]*\) ;.*/\1/p')
  read -r PYTHON LAUNCHER _ CONFIG <<<"$argv"     # VENV/bin/python LAUNCHER --config FILE
  CHDIR=$(systemctl show -p WorkingDirectory --value "$unit")
  USER_=$(systemctl show -p User --value "$unit")
  ENVFILE=$(systemctl show -p EnvironmentFiles --value "$unit" | cut -d' ' -f1)
  [[ -x $PYTHON && -f $LAUNCHER && -f $CONFIG && -d $CHDIR && -n $USER_ ]] || {
    echo "bench: cannot read $unit (ExecStart '$argv')" >&2; exit 1; }
}

wait_ok() {  # URL: until it answers 200, at most 30 s
  local i
  for i in $(seq 60); do
    [[ $(curl -sk -o /dev/null -w '%{http_code}' "$1") == 200 ]] && return 0
    sleep 0.5
  done
  echo "bench: $1 does not answer 200" >&2; exit 1
}

# (d) nginx answering by itself over TLS: the same TLS settings (http{} of nginx.conf),
# certificate and headers as the site, on a loopback port of its own. Not on a host
# whose proxy is Apache.
setup() {
  local site="/etc/nginx/conf.d/$1.conf"
  apt-get install -y -q wrk curl >/dev/null
  if [[ ! -f $site ]]; then
    wait_ok https://localhost:443/
    return
  fi
  {
    echo "# bench only: the ceiling the proxy allows"
    echo "server {"
    echo "    listen 127.0.0.1:8443 ssl;"
    echo "    server_name localhost;"
    grep -E '^\s*(ssl_certificate|ssl_certificate_key|add_header) ' "$site"
    echo "    location = / { return 200 \"Hello, World!\"; }"
    echo "}"
  } >/etc/nginx/conf.d/zz-bench-static.conf
  nginx -t -q
  systemctl reload nginx
  wait_ok https://localhost:8443/
  wait_ok https://localhost:443/
}

start() {
  if [[ $1 == waitress ]]; then read_waitress_unit "$2"; else read_unit "$2"; fi
  local run=(systemd-run --quiet --collect -p "User=$USER_" -p "WorkingDirectory=$CHDIR")
  [[ -n $ENVFILE ]] && run+=(-p "EnvironmentFile=$ENVFILE")
  case $1 in
    # (a) the guide's anti-pattern: app.run() on the development server, debug off.
    devserver)
      "${run[@]}" --unit bench-devserver "$VENV/bin/python" -c \
        "import importlib; m = importlib.import_module('${MODULE%%:*}'); m.${MODULE#*:}.run(host='127.0.0.1', port=5000)"
      wait_ok http://127.0.0.1:5000/ ;;
    # (b) gunicorn alone: the deployed config, its bind replaced by loopback TCP (load
    # tools cannot speak to a unix socket); the unit's sandbox would forbid TCP.
    gunicorn)
      "${run[@]}" --unit bench-gunicorn "$GUNICORN" --config "$CONFIG" --bind 127.0.0.1:8001 "$MODULE"
      wait_ok http://127.0.0.1:8001/ ;;
    # (e) waitress alone: the deployed launcher's entry point and settings (threads,
    # limits, proxy trust) on loopback TCP instead of the socket unit's listener.
    waitress)
      "${run[@]}" --unit bench-waitress "$PYTHON" -c "
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('launcher', '$LAUNCHER')
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
config = json.load(open('$CONFIG'))
sys.path.insert(0, '.')
from waitress.server import create_server
create_server(launcher.load_app(config['module']), listen='127.0.0.1:8002', **config['adjustments']).run()"
      wait_ok http://127.0.0.1:8002/ ;;
    *) echo "bench: unknown listener $1" >&2; exit 2 ;;
  esac
}

stop() { systemctl stop "bench-$1.service" 2>/dev/null || true; }

case ${1:-} in
  setup) setup "${2:?app name}" ;;
  start) start "${2:?listener}" "${3:?app name}" ;;
  stop) stop "${2:?listener}" ;;
  *) sed -n '4p' "$0" >&2; exit 2 ;;
esac
