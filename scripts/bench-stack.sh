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

# Baselines measured in the same runs: PostgreSQL alone becoming ready
# (the supervisor's own timing in stack.log) for `up`, and one demo login
# through Caddy (one bcrypt check) for the smoke test.
secs() { case "$1" in *ms) awk "BEGIN{print ${1%ms}/1000}";; *µs) echo 0;; *s) echo "${1%s}";; esac; }
ups=(); smokes=(); pgs=(); logins=()
for i in $(seq "$runs"); do
  t0=$(now); "$sc" up --detach --no-seed >/dev/null; t1=$(now)
  "$sc" smoke-test --url "http://localhost:$STACK_HTTP_PORT" >/dev/null; t2=$(now)
  curl -s -o /dev/null -X POST -H 'Content-Profile: auth' -H 'Content-Type: application/json' \
    --data '{"user_": "demo", "pass": "demo"}' "http://localhost:$STACK_HTTP_PORT/rpc/login"; t3=$(now)
  pg=$(sed -n 's/.*PostgreSQL is ready on [^ ]* (\(.*\))$/\1/p' .stack/logs/stack.log)
  "$sc" down >/dev/null
  ups+=("$(awk "BEGIN{print $t1 - $t0}")"); smokes+=("$(awk "BEGIN{print $t2 - $t1}")")
  logins+=("$(awk "BEGIN{print $t3 - $t2}")"); pgs+=("$(secs "$pg")")
done
printf 'first up (initdb + migrate + seed): %.3f s\n' "$first"
printf 'cold up to healthy, median of %d:   %.3f s   (runs: %s)\n' "$runs" "$(printf '%s\n' "${ups[@]}" | median)" "${ups[*]}"
printf 'smoke-test, median of %d:            %.3f s   (runs: %s)\n' "$runs" "$(printf '%s\n' "${smokes[@]}" | median)" "${smokes[*]}"
mu=$(printf '%s\n' "${ups[@]}" | median); mp=$(printf '%s\n' "${pgs[@]}" | median)
ms=$(printf '%s\n' "${smokes[@]}" | median); ml=$(printf '%s\n' "${logins[@]}" | median)
printf 'baseline PostgreSQL ready, median:   %.3f s   -> up is %.1fx PostgreSQL alone\n' "$mp" "$(awk "BEGIN{print $mu / $mp}")"
printf 'baseline one login via curl, median: %.3f s   -> smoke-test is %.1fx one login\n' "$ml" "$(awk "BEGIN{print $ms / $ml}")"
