#!/usr/bin/env bash
# `npm run db:migration -- <name>`: writes the SQL that takes a database from the committed
# migrations to prisma/schema.prisma, twice from the one schema: prisma/migrations/<NNNN>_<name>
# for SQLite and prisma/migrations-postgres/<NNNN>_<name> for PostgreSQL (from the schema derived by
# scripts/postgres-schema.sh). Offline: what the committed migrations build is introspected from a
# scratch SQLite database and a scratch PostgreSQL cluster (scripts/schema-from-migrations.sh,
# scripts/postgres.sh); test/db/migrations.test.ts fails when either folder drifts from the schema.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: npm run db:migration -- <name>}"
[[ "$name" =~ ^[a-z0-9_]+$ ]] || { echo "the name must be lower-case letters, digits and underscores" >&2; exit 64; }
cd "$root"
last=$(find prisma/migrations -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tail -1)
next=$(printf '%04d' $(( 10#${last%%_*} + 1 )))
tmp=$(mktemp -d); chmod 755 "$tmp"
trap 'bash scripts/postgres.sh stop "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="file:$tmp/scratch.db"
bash scripts/schema-from-migrations.sh "$DATABASE_URL" >"$tmp/current.prisma"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
bash scripts/postgres.sh start "$tmp/pg" "$port" --no-fsync
bash scripts/postgres.sh createdb "$port" scratch
bash scripts/schema-from-migrations.sh "$(bash scripts/postgres.sh url "$port" scratch)" >"$tmp/current-postgres.prisma"
postgres_schema=$(bash scripts/postgres-schema.sh)

diff_sql() {
  bash scripts/prisma.sh migrate diff --from-schema-datamodel "$1" --to-schema-datamodel "$2" --script 2>/dev/null
}
sqlite_sql=$(diff_sql "$tmp/current.prisma" prisma/schema.prisma)
postgres_sql=$(diff_sql "$tmp/current-postgres.prisma" "$postgres_schema")
has_statements() { grep -qvE '^\s*(--.*)?$' <<<"$1"; }
if ! has_statements "$sqlite_sql" && ! has_statements "$postgres_sql"; then
  echo "The schema matches the committed migrations: nothing to write."
  exit 0
fi
for pair in "migrations:$sqlite_sql" "migrations-postgres:$postgres_sql"; do
  dir="prisma/${pair%%:*}/${next}_${name}"
  mkdir -p "$dir"
  printf '%s\n' "${pair#*:}" >"$dir/migration.sql"
  echo "Wrote $dir/migration.sql"
done
echo "Review both and commit them together."
