# shellcheck shell=bash disable=SC2034  # sourced; variables are used by the scripts
# Sourced by the testbed scripts: shared paths, names and ssh options.
TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$TESTBED_DIR")
export CONTAINERS_CONF="$TESTBED_DIR/containers.conf"
# The Debian release of the test hosts: 13 (trixie, the current stable) or 12 (bookworm).
DEBIAN=${DEBIAN:-13}
case $DEBIAN in
  13) CODENAME=trixie ;;
  12) CODENAME=bookworm ;;
  *) echo "testbed: DEBIAN=$DEBIAN is not supported; use 13 (trixie) or 12 (bookworm)" >&2; exit 2 ;;
esac
IMAGE=localhost/flask-testbed:$CODENAME
NETWORK=flask-testbed
KEY="$REPO_ROOT/.testbed/id_ed25519"
SSH_OPTS=(-i "$KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=5
          -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)

die() { echo "testbed: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "run as root (rootful podman, debootstrap)"

# Print "MAIN_URI SECURITY_URI" of the Debian mirrors named by the host's apt sources (or by FILE...).
debian_mirrors() {
  local files=("$@") f
  ((${#files[@]})) || for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] && files+=("$f")
  done
  ((${#files[@]})) || die "no apt sources found"
  awk '
    function take(uri, suite) {
      if (suite ~ /-security$|\/updates$/) { if (sec == "") sec = uri }
      else if (main == "") main = uri
    }
    function flush(   i, n, s) {
      if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no" && uri != "") {
        n = split(suites, s, " "); for (i = 1; i <= n; i++) take(uri, s[i])
      }
      types = uri = suites = enabled = ""
    }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($1 == "Types:") { $1 = ""; types = $0 " " }
      else if ($1 == "URIs:") uri = $2
      else if ($1 == "Suites:") { $1 = ""; suites = $0 }
      else if ($1 == "Enabled:") enabled = $2
      next
    }
    $1 == "deb" {                                 # one-line format: deb [opts] URI suite comps
      i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
      take($i, $(i + 1))
    }
    END {
      flush()
      sub(/\/+$/, "", main); sub(/\/+$/, "", sec)
      if (main == "") exit 1
      if (sec == "") { sec = main; sub(/\/debian$/, "/debian-security", sec) }
      print main, sec
    }' "${files[@]}" || die "no Debian mirror in apt sources"
}

# apt_need COMMAND:PACKAGE... installs each PACKAGE (space-separated for several) whose
# COMMAND is missing, in one apt-get run.
apt_need() {
  local pair missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null || read -ra missing -d '' <<<"${missing[*]} ${pair#*:}" || true
  done
  ((${#missing[@]})) || return 0
  echo "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# need_node MAJOR WHAT: fail unless node is version MAJOR or newer, naming WHAT needs it.
need_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= $1)) || die "$2 needs Node.js $1 or newer, not $(node --version)"
}
