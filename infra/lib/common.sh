# Shared settings and helpers of the local stack. Sourced by infra/stack,
# infra/run and infra/test; expects `set -euo pipefail` from its caller.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT
# Everything the running stack writes (data, logs, pid files): git-ignored.
STACK_DIR="${SIGNALEN_STACK_DIR:-$REPO_ROOT/.stack}"
# What installs once per machine and survives fresh clones (Python tools,
# Rust build cache): outside the checkout.
CACHE_DIR="${SIGNALEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/signalen}"
export STACK_DIR CACHE_DIR
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/target}"

PG_PORT="${SIGNALEN_PG_PORT:-54329}"
MOTO_PORT="${SIGNALEN_MOTO_PORT:-45660}"
OPENSEARCH_PORT="${SIGNALEN_OPENSEARCH_PORT:-49200}"
API_PORT="${SIGNALEN_API_PORT:-8000}"
export PG_PORT MOTO_PORT OPENSEARCH_PORT API_PORT

PG_DATABASE=signalen
AWS_LOCAL_REGION=eu-west-1
MAIL_FROM_LOCAL="noreply@signalen.local"

say() { printf '[%s] %s\n' "$1" "${*:2}"; }
fail() { printf '[%s] ERROR: %s\n' "$1" "${*:2}" >&2; return 1; }

# The pid in a pid file when that process is alive.
live_pid() {
  local file="$STACK_DIR/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

# Whether something listens on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuses to start NAME on PORT when a process that is not ours holds it.
require_free_port() {
  local name="$1" port="$2"
  if port_busy "$port"; then
    fail "$name" "port $port on 127.0.0.1 is taken by another process; pick another with SIGNALEN_${name^^}_PORT=…"
  fi
}

# Stops the process of a pid file (TERM, then KILL after a grace period) and
# removes the file. Never looks processes up by name.
stop_pid() {
  local name="$1" grace="${2:-20}" pid i
  if ! pid="$(live_pid "$name")"; then
    rm -f "$STACK_DIR/$name.pid"
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name" "did not stop in ${grace}s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STACK_DIR/$name.pid"
  say "$name" "stopped"
}

# Polls COMMAND until it succeeds or TIMEOUT seconds pass.
wait_for() {
  local timeout="$1" i
  shift
  for ((i = 0; i < timeout * 4; i++)); do
    "$@" && return 0
    sleep 0.25
  done
  return 1
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || fail apt "apt-get is missing: install $* by hand"
  if [[ -z "$APT_UPDATED" ]]; then
    say apt "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  say apt "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Runs a command as the postgres user when we are root (initdb and the
# server refuse to run as root); as ourselves otherwise.
as_postgres() {
  # From /: the postgres user may not be allowed into the caller's directory.
  if [[ "$(id -u)" == 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The S3 buckets of the local stack (the template creates them in AWS).
ATTACHMENTS_BUCKET=signalen-attachments
EXPORTS_BUCKET=signalen-exports
MODELS_BUCKET=signalen-models
LOCAL_BUCKETS="$ATTACHMENTS_BUCKET $EXPORTS_BUCKET $MODELS_BUCKET"
