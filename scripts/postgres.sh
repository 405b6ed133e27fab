#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and local runs, from Debian's packages.
#   scripts/postgres.sh install                        install the server from Debian if missing
#   scripts/postgres.sh start <dataDir> <port> [--no-fsync]
#                                                      initdb if empty, start, wait until ready
#   scripts/postgres.sh stop <dataDir>                 fast shutdown (no-op when not running)
#   scripts/postgres.sh createdb <port> <name> [template]   (no-op when it exists)
#   scripts/postgres.sh url <port> <name>              prints postgresql://pf:pf@127.0.0.1:<port>/<name>
#   scripts/postgres.sh bin                            prints the server's bin directory
# Every command is idempotent. The cluster listens on 127.0.0.1 only (no Unix socket), with password
# (scram) authentication for the superuser pf/pf. --no-fsync trades durability for speed: tests only.
# PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system user
# (created by the package), which then owns the data directory.
set -euo pipefail

PG_USER=pf
PG_PASSWORD=pf

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { printf '[postgres] ERROR: %s\n' "$*" >&2; exit 1; }

# The newest installed server's bin directory (Debian 12 ships 15), or nothing.
find_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && printf '%s\n' "$d"
  return 0
}

ensure_installed() {
  if [ -z "$(find_bin)" ] || ! command -v psql >/dev/null; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed; run as root or: apt-get install postgresql"
    log "installing PostgreSQL from Debian"
    # Only the binaries are wanted: no system cluster on the fixed port 5432.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/programme-flow.conf
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  BIN=$(find_bin)
  [ -n "$BIN" ] || die "no server binaries under /usr/lib/postgresql/*/bin after installing"
}

# Runs a command as the user who owns the cluster.
as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Prints the port of the server running on <dataDir>, or fails when none runs.
running_port() {
  local dir=$1
  as_owner "$BIN/pg_ctl" status -D "$dir" >/dev/null 2>&1 || return 1
  sed -n '4p' "$dir/postmaster.pid"
}

psql_admin() {
  local port=$1; shift
  PGPASSWORD=$PG_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres "$@"
}

cmd_start() {
  local dir=${1:?usage: postgres.sh start <dataDir> <port> [--no-fsync]} port=${2:?usage: postgres.sh start <dataDir> <port> [--no-fsync]}
  local nofsync=${3:-}
  [[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number: $port"
  ensure_installed
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    [ -f "$dir/PG_VERSION" ] || chown postgres:postgres "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- test -w "$dir" 2>/dev/null \
      || die "the postgres user cannot reach $dir: make its parent directories traversable (chmod o+x)"
  fi

  local current
  if current=$(running_port "$dir"); then
    [ "$current" = "$port" ] || die "a server already runs on $dir at port $current, not $port"
    log "already running on $dir at port $port"
    return 0
  fi

  if [ ! -f "$dir/PG_VERSION" ]; then
    [ -z "$(ls -A "$dir")" ] || die "$dir is neither empty nor a PostgreSQL data directory"
    log "initdb $dir"
    local pw; pw=$(mktemp); printf '%s\n' "$PG_PASSWORD" >"$pw"; chmod 644 "$pw"
    as_owner "$BIN/initdb" -D "$dir" -U "$PG_USER" --pwfile="$pw" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null \
      || { rm -f "$pw"; die "initdb failed"; }
    rm -f "$pw"
    # Loopback TCP only: no socket in a shared directory, nothing reachable from elsewhere.
    cat >"$dir/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS        METHOD
host    all       all   127.0.0.1/32   scram-sha-256
EOF
    cat >>"$dir/postgresql.conf" <<'EOF'

# scripts/postgres.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 64MB
timezone = 'UTC'
log_timezone = 'UTC'
EOF
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir/pg_hba.conf" "$dir/postgresql.conf"; fi
  fi

  local opts="-p $port"
  [ "$nofsync" = "--no-fsync" ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  log "starting on 127.0.0.1:$port ($dir)"
  as_owner "$BIN/pg_ctl" start -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 >/dev/null \
    || { tail -20 "$dir/server.log" >&2 || true; die "the server did not start"; }
  local i
  for i in $(seq 1 100); do
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
    sleep 0.1
  done
  die "the server started but does not accept connections on port $port"
}

cmd_stop() {
  local dir=${1:?usage: postgres.sh stop <dataDir>}
  [ -f "$dir/PG_VERSION" ] || { log "$dir is not a data directory: nothing to stop"; return 0; }
  BIN=$(find_bin); [ -n "$BIN" ] || die "PostgreSQL is not installed"
  if running_port "$dir" >/dev/null; then
    as_owner "$BIN/pg_ctl" stop -D "$dir" -m fast -w -t 60 >/dev/null
    log "stopped $dir"
  fi
}

cmd_createdb() {
  local port=${1:?usage: postgres.sh createdb <port> <name> [template]} name=${2:?usage: postgres.sh createdb <port> <name> [template]}
  local template=${3:-}
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "database names are letters, digits and underscores: $name"
  [ -z "$template" ] || [[ "$template" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad template name: $template"
  if [ "$(psql_admin "$port" -tA -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" = 1 ]; then
    return 0
  fi
  psql_admin "$port" -c "CREATE DATABASE \"$name\"${template:+ TEMPLATE \"$template\"}"
}

cmd_url() {
  local port=${1:?usage: postgres.sh url <port> <name>} name=${2:?usage: postgres.sh url <port> <name>}
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$PG_USER" "$PG_PASSWORD" "$port" "$name"
}

case "${1:-}" in
  install) ensure_installed ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  createdb) shift; cmd_createdb "$@" ;;
  url) shift; cmd_url "$@" ;;
  bin) ensure_installed; printf '%s\n' "$BIN" ;;
  *) die "usage: postgres.sh install | start <dataDir> <port> [--no-fsync] | stop <dataDir> | createdb <port> <name> [template] | url <port> <name> | bin" ;;
esac
