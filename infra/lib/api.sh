# The API functions, served by `cargo lambda watch` under the paths that
# API Gateway gives them ([workspace.metadata.lambda.watch.router] in Cargo.toml).
# Beside them, the driver of the queue-triggered and scheduled functions.

source "$REPO_ROOT/infra/lib/events.sh"

api_ready() { curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/signals/"; }

api_start() {
  if live_pid api >/dev/null; then
    say api "already serving on http://127.0.0.1:$API_PORT"
  else
    require_free_port api "$API_PORT"
    # Build first, so the first request does not wait for a compile.
    say api "building the functions"
    (cd "$REPO_ROOT" && cargo build --workspace --bins --quiet) || fail api "cargo build failed"
    stack_env_file > "$STACK_DIR/functions.env"
    say api "cargo lambda watch on http://127.0.0.1:$API_PORT"
    (cd "$REPO_ROOT" && exec setsid cargo lambda watch -A 127.0.0.1 -P "$API_PORT" --env-file "$STACK_DIR/functions.env" \
      >"$STACK_DIR/api.log" 2>&1 </dev/null) &
    echo $! > "$STACK_DIR/api.pid"
  fi
  wait_for 180 api_ready || { tail -n 30 "$STACK_DIR/api.log" >&2; fail api "GET /signals/ does not answer (log: $STACK_DIR/api.log)"; }
  events_start
}

api_stop() {
  events_stop
  stop_pid api 10
}
