# PostgreSQL 15 + PostGIS 3 in a cluster of the stack's own, on its own port.

PG_BIN=""

postgres_install() {
  local major
  major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1 || true)"
  if [[ -z "$major" || ! -x "/usr/lib/postgresql/$major/bin/initdb" ]]; then
    apt_install postgresql postgresql-contrib
    major="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
  fi
  if ! ls "/usr/share/postgresql/$major/extension/postgis.control" >/dev/null 2>&1; then
    apt_install "postgresql-$major-postgis-3"
  fi
  PG_BIN="/usr/lib/postgresql/$major/bin"
  [[ -x "$PG_BIN/pg_ctl" ]] || fail postgres "no pg_ctl under $PG_BIN"
}

# Where the cluster lives: under $STACK_DIR when the postgres user can reach
# it there, else in a folder of its own (a checkout under /root is not
# reachable for it); the choice is recorded under $STACK_DIR.
postgres_dir() {
  local record="$STACK_DIR/postgres.location" dir
  if [[ -f "$record" ]]; then cat "$record"; return; fi
  dir="$STACK_DIR/postgres"
  mkdir -p "$dir"
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres:postgres "$dir"
    if ! as_postgres test -w "$dir"; then
      dir="/var/lib/signalen-stack/$(echo -n "$STACK_DIR" | sha256sum | cut -c1-12)/postgres"
      mkdir -p "$dir" && chown postgres:postgres "$dir"
    fi
  fi
  echo "$dir" > "$record"
  echo "$dir"
}

postgres_ready() {
  [[ -n "$PG_BIN" ]] || postgres_install >/dev/null
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres
}

postgres_start() {
  local dir
  dir="$(postgres_dir)"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    say postgres "initdb $dir/data"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { tail -n 20 "$dir/initdb.log" >&2; fail postgres "initdb failed (log: $dir/initdb.log)"; }
  fi
  if as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    say postgres "already running on 127.0.0.1:$PG_PORT"
  else
    require_free_port pg "$PG_PORT"
    say postgres "starting on 127.0.0.1:$PG_PORT"
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null \
      || { tail -n 20 "$dir/postgres.log" >&2; fail postgres "the server did not start (log: $dir/postgres.log)"; }
  fi
  head -n 1 "$dir/data/postmaster.pid" > "$STACK_DIR/postgres.pid"
  wait_for 30 postgres_ready || fail postgres "not accepting connections on 127.0.0.1:$PG_PORT"
  postgres_tls "$dir"
  if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" | grep -q 1; then
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DATABASE"
  fi
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DATABASE" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null \
    || fail postgres "CREATE EXTENSION postgis failed: is postgresql-*-postgis-3 installed?"
}

# TLS as production has it (docs/database-access.md): a CA of the stack's own
# signs the server's certificate (IP 127.0.0.1, localhost). The local URLs
# keep sslmode=prefer (TLS, unverified); a test that says sslmode=require
# trusts the CA through sslrootcert=$STACK_DIR/postgres-ca.crt
# (SIGNALEN_TEST_PG_CA). `ssl` is reloadable: a running server takes it up
# without a restart.
postgres_tls() {
  local dir="$1" tls="$1/tls" ca="$STACK_DIR/postgres-ca.crt"
  if [[ ! -f "$tls/server.crt" || ! -f "$tls/server.key" || ! -f "$ca" ]]; then
    command -v openssl >/dev/null || apt_install openssl
    rm -rf "$tls" && mkdir -p "$tls"
    (
      set -e
      umask 077
      cd "$tls"
      openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/CN=Signalen local stack CA" -keyout ca.key -out ca.crt
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
      printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > server.ext
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile server.ext -out server.crt
      rm -f ca.key ca.srl server.csr server.ext
    ) >"$dir/tls.log" 2>&1 || { tail -n 20 "$dir/tls.log" >&2; fail postgres "openssl could not make the server certificate (log: $dir/tls.log)"; }
    install -m 644 "$tls/ca.crt" "$ca"
    if [[ "$(id -u)" == 0 ]]; then chown -R postgres:postgres "$tls"; fi
  fi
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -c "ALTER SYSTEM SET ssl_cert_file = '$tls/server.crt'" \
    -c "ALTER SYSTEM SET ssl_key_file = '$tls/server.key'" \
    -c "ALTER SYSTEM SET ssl = on" \
    -c "SELECT pg_reload_conf()" >/dev/null \
    || fail postgres "could not switch TLS on"
  wait_for 10 postgres_tls_ready \
    || fail postgres "TLS is not on after the reload (log: $dir/postgres.log)"
}

postgres_tls_ready() {
  "$PG_BIN/psql" "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$STACK_DIR/postgres-ca.crt" \
    -tAc "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>/dev/null | grep -q '^t$'
}

postgres_stop() {
  local dir
  [[ -f "$STACK_DIR/postgres.location" ]] || { rm -f "$STACK_DIR/postgres.pid"; return 0; }
  dir="$(cat "$STACK_DIR/postgres.location")"
  [[ -n "$PG_BIN" ]] || postgres_install >/dev/null
  if as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    say postgres "stopped"
  fi
  rm -f "$STACK_DIR/postgres.pid"
}
