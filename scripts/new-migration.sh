#!/usr/bin/env bash
# `npm run db:migration -- <name>`: writes prisma/migrations/<NNNN>_<name>/migration.sql with the SQL
# that takes a database from the committed migrations to prisma/schema.prisma.
# With driver adapters neither `migrate dev` (P1014 on a new database) nor `migrate diff
# --from-migrations` (its shadow database fails, P3006) works, so: apply the migrations to a
# scratch database, introspect it, and diff that datamodel against the schema.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: npm run db:migration -- <name>}"
[[ "$name" =~ ^[a-z0-9_]+$ ]] || { echo "the name must be lower-case letters, digits and underscores" >&2; exit 64; }
cd "$root"
last=$(find prisma/migrations -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tail -1)
next=$(printf '%04d' $(( 10#${last%%_*} + 1 )))
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export DATABASE_URL="file:$tmp/scratch.db"
bash scripts/prisma.sh migrate deploy >/dev/null
bash scripts/prisma.sh db pull --print 2>/dev/null | sed -n "/^generator /,\$p" >"$tmp/current.prisma"
sql=$(bash scripts/prisma.sh migrate diff --from-schema-datamodel "$tmp/current.prisma" \
  --to-schema-datamodel prisma/schema.prisma --script 2>/dev/null)
if ! grep -qvE '^\s*(--.*)?$' <<<"$sql"; then
  echo "The schema matches the committed migrations: nothing to write."
  exit 0
fi
mkdir -p "prisma/migrations/${next}_${name}"
printf '%s\n' "$sql" >"prisma/migrations/${next}_${name}/migration.sql"
echo "Wrote prisma/migrations/${next}_${name}/migration.sql; review it and commit it."
