#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian/Ubuntu machine with Go:
# installs what the tests need when missing (scripts/install-deps.sh), then
# checks formatting and vet, then runs `go test ./...` against real
# PostgreSQL servers, real Caddy and real HTTP that the tests start.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
go mod download

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -timeout 40m "$@" ./...
