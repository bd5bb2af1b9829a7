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
go build -o bin/stackctl ./cmd/stackctl
exec bin/stackctl up "$@"
