#!/usr/bin/env bash
# Runs `clearhouse loadtest` on PostgreSQL, each run on a new database
# (LOADTEST_DB, default clearhouse_loadtest, dropped and created again): first at
# LOADTEST_BASE claims, then at LOADTEST_CLAIMS, and prints the rate of the
# second as a share of the first's (the cost is linear in claims when it is
# near 1). An empty LOADTEST_BASE, or one not below LOADTEST_CLAIMS, runs
# only LOADTEST_CLAIMS. Each run's output is kept in bin/loadtest-N.out.
set -euo pipefail

BIN=${BIN:-./bin/clearhouse}
PG=${LOADTEST_PG:-postgres://postgres@127.0.0.1:5432}
CLAIMS=${LOADTEST_CLAIMS:-100000}
BASE=${LOADTEST_BASE:-10000}
PROCESSES=${LOADTEST_PROCESSES:-2}
CLINICS=${LOADTEST_CLINICS:-1}
WORKERS=${LOADTEST_WORKERS:-4}
DB=${LOADTEST_DB:-clearhouse_loadtest}

runs=("$CLAIMS")
if [ -n "$BASE" ] && [ "$BASE" -lt "$CLAIMS" ]; then
  runs=("$BASE" "$CLAIMS")
fi
declare -A rate
for n in "${runs[@]}"; do
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  rm -rf bin/loadtest-run
  echo "== $n claims, $CLINICS clinics, $PROCESSES processes of $WORKERS workers; load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
  "$BIN" loadtest --claims "$n" --clinics "$CLINICS" --processes "$PROCESSES" --workers "$WORKERS" \
    --dir bin/loadtest-run --stage-timeout 60m --database "$PG/$DB" | tee "bin/loadtest-$n.out"
  rate[$n]=$(awk '/^loadtest: [0-9]+ claims end to end in /{printf "%.1f", $2/$8}' "bin/loadtest-$n.out")
done
if [ "${#runs[@]}" = 2 ]; then
  awk -v big="$CLAIMS" -v small="$BASE" -v rb="${rate[$CLAIMS]}" -v rs="${rate[$BASE]}" \
    'BEGIN { printf "loadtest: %d claims at %.1f claims/s, %d at %.1f claims/s: ratio %.2f (goal at least 0.8)\n", big, rb, small, rs, rb/rs }'
fi
