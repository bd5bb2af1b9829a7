#!/usr/bin/env bash
# Measures the native stack: `stackctl up --detach` to healthy (binary
# prebuilt) and one `stackctl smoke-test` run, as medians of RUNS runs, in a
# throwaway project folder on non-default ports. The first `up` (which also
# runs initdb and the migrations) is reported on its own; the others are
# cold starts of a stopped stack (no process running, data kept).
# Usage: scripts/bench-stack.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

work=$(mktemp -d)
trap 'cd "$work/p" 2>/dev/null && "$work/stackctl" down --volumes --yes >/dev/null 2>&1; rm -rf "$work"' EXIT
go build -o "$work/stackctl" ./cmd/stackctl
mkdir -p "$work/p"
cp -r caddy "$work/p/caddy"
cp .env.example "$work/p/.env.example"
cd "$work/p"
for v in $(env | grep -oE '^(PGRST_[A-Z_]*|STACK_[A-Z_]*|POSTGREST_[A-Z_]*|DATABASE_URL|JWT_SECRET|POSTGRES_PASSWORD|AUTHENTICATOR_PASSWORD)='); do unset "${v%=}"; done
export STACK_PG_PORT=45432 POSTGREST_PORT=43000 POSTGREST_ADMIN_PORT=43001 STACK_HTTP_PORT=48000
sc="$work/stackctl"

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

t0=$(now); "$sc" up --detach >/dev/null; t1=$(now)
first=$(awk "BEGIN{print $t1 - $t0}")
"$sc" smoke-test --url "http://localhost:$STACK_HTTP_PORT" >/dev/null
"$sc" down >/dev/null

ups=(); smokes=()
for i in $(seq "$runs"); do
  t0=$(now); "$sc" up --detach --no-seed >/dev/null; t1=$(now)
  "$sc" smoke-test --url "http://localhost:$STACK_HTTP_PORT" >/dev/null; t2=$(now)
  "$sc" down >/dev/null
  ups+=("$(awk "BEGIN{print $t1 - $t0}")"); smokes+=("$(awk "BEGIN{print $t2 - $t1}")")
done
printf 'first up (initdb + migrate + seed): %.3f s\n' "$first"
printf 'cold up to healthy, median of %d:   %.3f s   (runs: %s)\n' "$runs" "$(printf '%s\n' "${ups[@]}" | median)" "${ups[*]}"
printf 'smoke-test, median of %d:            %.3f s   (runs: %s)\n' "$runs" "$(printf '%s\n' "${smokes[@]}" | median)" "${smokes[*]}"
