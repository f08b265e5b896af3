# shellcheck shell=bash
# Local single-node OpenSearch 2.19.6 (an embedded node built from Maven Central
# artifacts, see infra/opensearch/README.md). Sourced, not executed.
#
#   opensearch_install   java 17 + maven present, module built (idempotent)
#   opensearch_start     start in the background unless running, wait until ready
#   opensearch_ready     0 if the server answers (quiet)
#   opensearch_stop      SIGTERM the pid in the pid file (SIGKILL after a timeout)
#
# Caller sets STACK_DIR (state dir; default $REPO_ROOT/.stack) and REPO_ROOT (default: the
# repo this file is in); OPENSEARCH_PORT defaults to 49200.
# Optional: OPENSEARCH_TRANSPORT_PORT (default port+100), OPENSEARCH_JAVA_OPTS (default
# "-Xms512m -Xmx512m -XX:TieredStopAtLevel=1": C1 only starts faster and uses less memory on
# 2 busy cores), OPENSEARCH_MVN_ARGS (extra maven arguments, e.g. "-o" or "-s mirror.xml"),
# OPENSEARCH_START_TIMEOUT (90 s), OPENSEARCH_STOP_TIMEOUT (20 s).
#
# Files: $STACK_DIR/opensearch.pid, $STACK_DIR/opensearch/{opensearch.log,home,data,...}.

_os_say() { echo "[opensearch] $*"; }
_os_err() { echo "[opensearch] ERROR: $*" >&2; }

# Defaults when the caller has not set them: the repo this file is in, and its .stack/.
_OS_REPO_DEFAULT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_os_stack() {
  local dir="${STACK_DIR:-${REPO_ROOT:-$_OS_REPO_DEFAULT}/.stack}"
  [[ $dir == /* ]] || dir="$PWD/$dir"
  echo "$dir"
}
_os_module() { echo "${REPO_ROOT:-$_OS_REPO_DEFAULT}/infra/opensearch"; }
_os_state() { echo "$(_os_stack)/opensearch"; }
_os_pidfile() { echo "$(_os_stack)/opensearch.pid"; }
_os_url() { echo "http://127.0.0.1:${OPENSEARCH_PORT:-49200}"; }
_os_ms() { echo $(($(date +%s%N) / 1000000)); }
_os_elapsed() { # seconds since a _os_ms timestamp, one decimal
  local ms=$(($(_os_ms) - $1))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# A JDK 17 home (javac is needed to build), or nothing.
_os_java_home() {
  local j
  for j in ${OPENSEARCH_JAVA_HOME:-} /usr/lib/jvm/java-17-openjdk-*; do
    if [[ -x $j/bin/java && -x $j/bin/javac ]]; then
      echo "$j"
      return 0
    fi
  done
  return 1
}

_os_apt_install() {
  local log
  log="$(_os_state)/install.log"
  if [[ $(id -u) -ne 0 ]]; then
    _os_err "missing $* — install with: apt-get install -y $*"
    return 1
  fi
  _os_say "apt-get install -y $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$log" 2>&1; then
    # package lists missing or stale on a fresh machine
    apt-get update -q >>"$log" 2>&1 || true
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$log" 2>&1; then
      _os_err "apt-get install -y $* failed (see $log)"
      tail -n 5 "$log" >&2
      return 1
    fi
  fi
}

# True when the build output is missing, older than pom.xml/src, or points at jars
# that are no longer in the local Maven repository.
_os_build_needed() {
  local dir stamp jar jars
  dir="$(_os_module)"
  stamp="$dir/target/.build-ok"
  [[ -f $stamp && -f $dir/target/classpath.txt ]] || return 0
  [[ -z $(find "$dir/pom.xml" "$dir/src" -newer "$stamp" -print -quit) ]] || return 0
  IFS=: read -ra jars <"$dir/target/classpath.txt"
  for jar in "${jars[@]}"; do
    [[ -f $jar ]] || return 0
  done
  return 1
}

opensearch_install() {
  local dir log java_home t0 mvn_args
  dir="$(_os_module)"
  mkdir -p "$(_os_state)" || return 1
  log="$(_os_state)/build.log"

  local pkgs=()
  _os_java_home >/dev/null || pkgs+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  if ((${#pkgs[@]})); then
    _os_apt_install "${pkgs[@]}" || return 1
  fi
  if ! java_home="$(_os_java_home)"; then
    _os_err "no JDK 17 found under /usr/lib/jvm (set OPENSEARCH_JAVA_HOME)"
    return 1
  fi

  if ! _os_build_needed; then
    _os_say "build is up to date ($dir/target)"
    return 0
  fi
  _os_say "building infra/opensearch with maven (the first build downloads ~80 MB into ~/.m2) ..."
  t0=$(_os_ms)
  rm -f "$dir/target/.build-ok"
  read -ra mvn_args <<<"${OPENSEARCH_MVN_ARGS:-}"
  if ! (cd "$dir" && JAVA_HOME="$java_home" mvn -B -ntp -Dstyle.color=never "${mvn_args[@]}" compile) >"$log" 2>&1; then
    if grep -qE 'Could not (resolve|transfer)|Unknown host|UnknownHost|Connection (refused|timed out)|Non-resolvable' "$log"; then
      _os_err "maven could not resolve org.opensearch:opensearch:2.19.6 (or its plugins/maven plugins) — is Maven Central reachable? (see $log)"
    else
      _os_err "maven build of $dir failed (see $log)"
    fi
    grep -E '^\[ERROR\]' "$log" | head -n 8 >&2 || tail -n 20 "$log" >&2
    return 1
  fi
  touch "$dir/target/.build-ok"
  _os_say "built in $(_os_elapsed "$t0") s"
}

# pid is alive, not a zombie, and is our LocalNode (guards against a recycled pid).
_os_is_node() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'nl\.signalen\.localsearch\.LocalNode'
}

_os_running_pid() {
  local pidfile pid
  pidfile="$(_os_pidfile)"
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  if _os_is_node "$pid"; then
    echo "$pid"
    return 0
  fi
  return 1
}

# The current run's log (since the last "===" marker) without stack frames.
_os_log_tail() {
  local log
  log="$(_os_state)/opensearch.log"
  echo "[opensearch] last lines of $log (stack frames left out):" >&2
  awk '/^=== /{n=0} {buf[n++]=$0} END{for(i=0;i<n;i++) print buf[i]}' "$log" 2>/dev/null |
    grep -vE '^[[:space:]]+(at |\.\.\. [0-9]+ more)' | tail -n 30 | cut -c1-400 >&2 || true
}

opensearch_ready() {
  curl -sf -m 3 -o /dev/null "$(_os_url)/" 2>/dev/null
}

opensearch_start() {
  local dir state pidfile log port pid t0 timeout deadline remaining
  dir="$(_os_module)"
  state="$(_os_state)"
  pidfile="$(_os_pidfile)"
  log="$state/opensearch.log"
  port="${OPENSEARCH_PORT:-49200}"
  timeout="${OPENSEARCH_START_TIMEOUT:-90}"
  t0=$(_os_ms)
  deadline=$((SECONDS + timeout))

  if pid=$(_os_running_pid); then
    _os_say "already running (pid $pid)"
  else
    rm -f "$pidfile"
    if opensearch_ready; then
      _os_err "something else already answers on $(_os_url) (not the pid in $pidfile); choose another OPENSEARCH_PORT"
      return 1
    fi
    if _os_build_needed; then
      opensearch_install || return 1
    fi
    local java_home opts cp
    java_home="$(_os_java_home)" || { _os_err "no JDK 17 found; run opensearch_install"; return 1; }
    read -ra opts <<<"${OPENSEARCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:TieredStopAtLevel=1}"
    cp="$dir/target/classes:$(<"$dir/target/classpath.txt")"
    mkdir -p "$state/tmp" || return 1
    echo "=== $(date -Is) starting on port $port" >>"$log"
    nohup "$java_home/bin/java" "${opts[@]}" \
      -Xss1m -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow \
      -XX:ErrorFile="$state/hs_err_pid%p.log" -Djava.io.tmpdir="$state/tmp" \
      -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Dlog4j2.disable.jmx=true \
      -cp "$cp" nl.signalen.localsearch.LocalNode \
      --state-dir "$state" --http-port "$port" \
      --transport-port "${OPENSEARCH_TRANSPORT_PORT:-$((port + 100))}" \
      </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    _os_say "started pid $pid on port $port, log $log"
  fi

  until opensearch_ready; do
    if ! _os_is_node "$pid"; then
      _os_err "node (pid $pid) exited during start-up"
      rm -f "$pidfile"
      _os_log_tail
      return 1
    fi
    if ((SECONDS >= deadline)); then
      _os_err "no answer on $(_os_url)/ after ${timeout} s (pid $pid still running; opensearch_stop stops it)"
      _os_log_tail
      return 1
    fi
    sleep 0.5
  done
  remaining=$((deadline - SECONDS))
  ((remaining > 0)) || remaining=1
  if ! curl -sf -m $((remaining + 5)) -o /dev/null \
    "$(_os_url)/_cluster/health?wait_for_status=yellow&timeout=${remaining}s"; then
    _os_err "cluster health did not reach yellow within ${timeout} s"
    _os_log_tail
    return 1
  fi
  _os_say "ready on $(_os_url) (pid $pid, $(_os_elapsed "$t0") s)"
}

opensearch_stop() {
  local pidfile pid waited limit
  pidfile="$(_os_pidfile)"
  if [[ ! -f $pidfile ]]; then
    _os_say "not running (no pid file)"
    return 0
  fi
  if ! pid=$(_os_running_pid); then
    _os_say "not running (stale pid file removed)"
    rm -f "$pidfile"
    return 0
  fi
  _os_say "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  limit=$((${OPENSEARCH_STOP_TIMEOUT:-20} * 10))
  waited=0
  while _os_is_node "$pid" && ((waited < limit)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if _os_is_node "$pid"; then
    _os_err "pid $pid did not stop within ${OPENSEARCH_STOP_TIMEOUT:-20} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    waited=0
    while _os_is_node "$pid" && ((waited < 50)); do
      sleep 0.1
      waited=$((waited + 1))
    done
  fi
  rm -f "$pidfile"
  _os_say "stopped"
}
