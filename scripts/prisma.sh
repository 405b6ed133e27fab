#!/usr/bin/env bash
# Runs the Prisma CLI fully offline. The JS schema engine and driver adapters (prisma.config.ts)
# need no native engine, but the CLI still tries to download one unless these variables name
# something; they are never loaded with engine 'js' and engineType 'client'.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/dev/null}"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-/dev/null}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
cd "$root"
exec node node_modules/prisma/build/index.js "$@"
