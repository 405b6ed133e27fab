#!/usr/bin/env bash
# Applies the committed migrations for DATABASE_URL's database (prisma/migrations for file:,
# prisma/migrations-postgres for postgresql://) to that database, which should be a scratch one,
# and prints the datamodel introspected from the result: what the migrations build, to be diffed
# against the schema. (With driver adapters `migrate diff --from-migrations` needs a shadow
# database that fails, P3006, so introspection stands in for it.)
#   scripts/schema-from-migrations.sh <DATABASE_URL>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DATABASE_URL="${1:?usage: schema-from-migrations.sh <DATABASE_URL of a scratch database>}"
cd "$root"
[[ "$DATABASE_URL" == file:* ]] || bash scripts/postgres-schema.sh >/dev/null
bash scripts/prisma.sh migrate deploy >/dev/null
# db pull prints notices before the datamodel; keep the datamodel.
bash scripts/prisma.sh db pull --print 2>/dev/null | sed -n "/^generator /,\$p"
