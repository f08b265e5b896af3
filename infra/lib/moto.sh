# moto server: S3, SQS and SES(v2) on one port.

moto_ready() { curl -sf -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"; }

moto_start() {
  if live_pid moto >/dev/null; then
    say moto "already running on 127.0.0.1:$MOTO_PORT"
  else
    require_free_port moto "$MOTO_PORT"
    say moto "starting on 127.0.0.1:$MOTO_PORT"
    # infra/moto/server.py: moto_server with its data.json fixed for multipart uploads.
    setsid "$VENV/bin/python" "$REPO_ROOT/infra/moto/server.py" -H 127.0.0.1 -p "$MOTO_PORT" >"$STACK_DIR/moto.log" 2>&1 </dev/null &
    echo $! > "$STACK_DIR/moto.pid"
  fi
  wait_for 30 moto_ready || { tail -n 20 "$STACK_DIR/moto.log" >&2; fail moto "not answering on 127.0.0.1:$MOTO_PORT (log: $STACK_DIR/moto.log)"; }
  moto_resources
}

# The buckets the functions use and the verified sender address they mail
# from. moto keeps state in memory, so this runs at every start (idempotent).
moto_resources() {
  AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_REGION="$AWS_LOCAL_REGION" AWS_DEFAULT_REGION="$AWS_LOCAL_REGION" \
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
  "$VENV/bin/python" - "$MAIL_FROM_LOCAL" $LOCAL_BUCKETS <<'PY' || fail moto "creating the local buckets and sender failed"
import sys, boto3
sender, buckets = sys.argv[1], sys.argv[2:]
s3 = boto3.client("s3")
existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
for bucket in buckets:
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
boto3.client("sesv2").create_email_identity(EmailIdentity=sender) if sender not in {
    i["IdentityName"] for i in boto3.client("sesv2").list_email_identities().get("EmailIdentities", [])
} else None
PY
}

moto_stop() { stop_pid moto 10; }
