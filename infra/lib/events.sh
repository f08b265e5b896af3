# The local driver of the queue-triggered and scheduled functions
# (infra/local-events, docs/async.md): creates the template's queues in
# moto, hands their messages in batches to the functions under cargo lambda
# watch (Lambda Invoke API on $API_PORT) and fires the schedules. Started
# beside the watch server by `infra/stack api`, with the functions'
# environment (queue URLs included). Each scheduled invocation runs in a
# task of its own: the outbox relay's (~65 s, it follows the outbox) blocks
# neither the queues nor the other schedules, and the next minute's firing
# starts as the running one ends.

# The queue URLs the functions get: moto's account, queues named by their
# logical id in template.yaml (infra/local-events creates them).
LOCAL_ACCOUNT_ID=123456789012
local_queue_url() { echo "http://127.0.0.1:$MOTO_PORT/$LOCAL_ACCOUNT_ID/$1"; }

events_ready() {
  live_pid events >/dev/null && grep -q '^driving ' "$STACK_DIR/events.log" 2>/dev/null
}

events_start() {
  if live_pid events >/dev/null; then
    say events "already driving queues and schedules (log: $STACK_DIR/events.log)"
    return 0
  fi
  local bin="$CARGO_TARGET_DIR/debug/local-events"
  # Always (a no-op when fresh): a stale driver would fire schedules the old way.
  (cd "$REPO_ROOT" && cargo build --quiet -p local-events) || fail events "cargo build -p local-events failed"
  say events "driving the template's queues and schedules through http://127.0.0.1:$API_PORT"
  (cd "$REPO_ROOT" && set -a && source "$STACK_DIR/functions.env" && set +a \
    && exec setsid "$bin" --template template.yaml --invoke-url "http://127.0.0.1:$API_PORT" \
      >"$STACK_DIR/events.log" 2>&1 </dev/null) &
  echo $! > "$STACK_DIR/events.pid"
  wait_for 60 events_ready || { tail -n 20 "$STACK_DIR/events.log" >&2; fail events "the driver did not start (log: $STACK_DIR/events.log)"; }
}

events_stop() { stop_pid events 10; }
