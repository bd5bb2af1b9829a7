#!/usr/bin/env bash
# Runs the whole stack natively on a fresh Debian/Ubuntu machine with Go:
# installs PostgreSQL and curl when missing (scripts/install-deps.sh), builds
# bin/stackctl, then `bin/stackctl up` (creates .env with fresh secrets when
# missing, migrates, seeds the demo user, serves http://localhost:8000).
# Extra arguments go to `stackctl up` (e.g. --detach, --no-seed).
set -euo pipefail
cd "$(dirname "$0")/.."

NO_BROWSER=1 scripts/install-deps.sh
mkdir -p bin
# A cold build compiles Caddy and its dependencies: minutes of no output.
if [ ! -x bin/stackctl ]; then
  echo "run.sh: building bin/stackctl (the first build takes a few minutes; later ones seconds)..." >&2
else
  echo "run.sh: rebuilding bin/stackctl..." >&2
fi
go build -o bin/stackctl ./cmd/stackctl
echo "run.sh: built bin/stackctl; add $(pwd)/bin to PATH to run \`stackctl\` as the README writes it" >&2
exec bin/stackctl up "$@"
