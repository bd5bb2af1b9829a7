#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian/Ubuntu machine with Go:
# installs what the tests need when missing (scripts/install-deps.sh), then
# checks formatting and vet, then runs `go test ./...` against real
# PostgreSQL servers, real Caddy and real HTTP that the tests start, then the
# deploy module's offline Kubernetes tests.
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
# The engine's benchmarks run once each, so that a change that breaks one
# (they compare the engine with raw pgx running its own statements) fails
# here rather than when someone measures (docs/postgrest.md, "Performance").
go test -count=1 -timeout 10m -run '^$' -bench 'TaskRead|Embed|Stages' -benchtime 1x ./internal/postgrest/

# deploy/ is a Go module of its own (the Kubernetes libraries stay out of the
# main one): the offline tests of the kustomize base (docs/kubernetes.md).
# gofmt above already covers its files.
(cd deploy && go mod download && go vet ./... && go test -count=1 -timeout 10m "$@" ./...)
