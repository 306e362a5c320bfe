#!/usr/bin/env bash
# Delivery throughput of `veriff-mock fire` against the receiver, next to wrk loading the same
# receiver with the same signed body, in the same run. Prints figures and ratios.
#
#   bench/fire-vs-wrk.sh [COUNT]        (default 200000 deliveries; wrk runs for as long as fire did)
#
# Needs wrk (Debian package `wrk`; installed when missing and apt-get is available). When `oha` is
# on PATH (`cargo install oha`), it loads the same receiver too and its ratio is printed as well.
#
# On a small machine the load tool and the receiver share the CPU, so each one's CPU time per
# request is printed too: fire does more per delivery than a load tool (it generates, signs and
# persists every attempt), and that cost shows up in the ratio. With two cores or more, the receiver
# is pinned to CPU 0 and each load tool to the others (taskset), so every tool meets a receiver
# with the same CPU to itself; PIN=0 runs everything unpinned.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-200000}
CONC=64
for tool in wrk bc; do command -v $tool >/dev/null || { apt-get update -qq && apt-get install -y -qq $tool >/dev/null; }; done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
cargo build --release -q -p veriff-mock
BIN=${CARGO_TARGET_DIR:-target}/release/veriff-mock
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

SERVER=() LOAD=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  SERVER=(taskset -c 0) LOAD=(taskset -c "1-$(($(nproc) - 1))")
  echo "receiver pinned to CPU 0, load tools to CPUs 1-$(($(nproc) - 1))"
fi
"${SERVER[@]}" "$BIN" receive --port 0 >"$work/receiver.log" 2>&1 &
RECV_PID=$!
recv_ticks() { awk '{print $14 + $15}' "/proc/$RECV_PID/stat"; }
TCK=$(getconf CLK_TCK)
for _ in $(seq 50); do grep -q '^url: ' "$work/receiver.log" && break; sleep 0.1; done
URL=$(sed -n 's/^url: //p' "$work/receiver.log")

# The same kind of body fire sends: one signed decision.
"$BIN" generate --kind decision --seed 1 | tr -d '\n' >"$work/body.json"
SIG=$("$BIN" sign "$work/body.json")
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$work/body.json", "rb"); wrk.body = f:read("*a"); f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-AUTH-CLIENT"] = "00000000-0000-4000-8000-000000000000"
wrk.headers["X-HMAC-SIGNATURE"] = "$SIG"
LUA

rss_kb() { awk '/Maximum resident/ {print $6}' "$1"; }

echo "== fire: $COUNT decisions, concurrency $CONC, signing each and persisting every attempt"
start=$(date +%s.%N)
T0=$(recv_ticks)
/usr/bin/time -v "${LOAD[@]}" "$BIN" fire --to "$URL" --kind decision --count "$COUNT" --concurrency $CONC --seed 2 \
  --retry-schedule none --no-tui --output ndjson --store "$work/d.db" >/dev/null 2>"$work/fire.time"
end=$(date +%s.%N)
FIRE_S=$(echo "$end - $start" | bc -l)
RECV_US=$(echo "($(recv_ticks) - $T0) * 1000000 / $TCK / $COUNT" | bc -l)
FIRE_RPS=$(echo "$COUNT / $FIRE_S" | bc -l)
ATTEMPTS=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from attempts where http_status=200').fetchone()[0])" "$work/d.db")
cpu_us() { # CPU microseconds per request from a `/usr/bin/time -v` report
  awk -v n="$2" '/User time/ {u=$4} /System time/ {s=$4} END {printf "%.1f", (u+s)*1e6/n}' "$1"; }
printf 'fire:  %.0f deliveries/s (%d acknowledged attempts stored in %.1f s), max RSS %s KiB, %s µs CPU per delivery\n' \
  "$FIRE_RPS" "$ATTEMPTS" "$FIRE_S" "$(rss_kb "$work/fire.time")" "$(cpu_us "$work/fire.time" "$COUNT")"
printf 'receiver: %.1f µs CPU per request under fire (on %s cores in all)\n' "$RECV_US" "$(nproc)"

DUR=$(printf '%.0f' "$FIRE_S"); [ "$DUR" -lt 5 ] && DUR=5
echo "== wrk: same receiver, same body, -t1 -c$CONC for ${DUR}s"
T0=$(recv_ticks)
"${LOAD[@]}" wrk -t1 -c$CONC -d"${DUR}s" -s "$work/post.lua" "$URL" | tee "$work/wrk.out"
WRK_REQS=$(awk '/requests in/ {print $1}' "$work/wrk.out")
WRK_RPS=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
printf 'receiver: %.1f µs CPU per request under wrk\n' "$(echo "($(recv_ticks) - $T0) * 1000000 / $TCK / $WRK_REQS" | bc -l)"
NON2XX=$(awk '/Non-2xx/ {print $4}' "$work/wrk.out"); NON2XX=${NON2XX:-0}
printf 'wrk:   %.0f requests/s (non-2xx: %s)\n' "$WRK_RPS" "$NON2XX"
printf 'ratio fire/wrk: %.2f\n' "$(echo "$FIRE_RPS / $WRK_RPS" | bc -l)"

if command -v oha >/dev/null; then
  echo "== oha: same receiver, same body, -c$CONC for $COUNT requests"
  T0=$(recv_ticks)
  /usr/bin/time -v "${LOAD[@]}" oha --no-tui -c $CONC -n "$COUNT" -m POST -H 'Content-Type: application/json' \
    -H 'X-AUTH-CLIENT: 00000000-0000-4000-8000-000000000000' -H "X-HMAC-SIGNATURE: $SIG" \
    -D "$work/body.json" "$URL" >"$work/oha.out" 2>"$work/oha.time"
  OHA_RPS=$(awk '/Requests\/sec/ {print $2}' "$work/oha.out")
  printf 'oha:   %.0f requests/s (%s), %s µs CPU per request\n' "$OHA_RPS" \
    "$(grep -A1 'Status code' "$work/oha.out" | tail -1 | tr -s ' ')" "$(cpu_us "$work/oha.time" "$COUNT")"
  printf 'receiver: %.1f µs CPU per request under oha\n' "$(echo "($(recv_ticks) - $T0) * 1000000 / $TCK / $COUNT" | bc -l)"
  printf 'ratio fire/oha: %.2f\n' "$(echo "$FIRE_RPS / $OHA_RPS" | bc -l)"
fi

echo "== fire against its embedded receiver (same process), $COUNT decisions"
start=$(date +%s.%N)
"$BIN" fire --kind decision --count "$COUNT" --concurrency $CONC --seed 3 --retry-schedule none --no-tui \
  --output ndjson --store "$work/e.db" >/dev/null 2>/dev/null
end=$(date +%s.%N)
printf 'fire (embedded receiver): %.0f deliveries/s\n' "$(echo "$COUNT / ($end - $start)" | bc -l)"

if [ "${MEMORY:-0}" = 1 ]; then
  echo "== memory: max RSS at 100k vs 1M deliveries"
  for n in 100000 1000000; do
    /usr/bin/time -v "$BIN" fire --to "$URL" --kind decision --count $n --concurrency $CONC --seed 4 \
      --retry-schedule none --no-tui --output ndjson --store "$work/m$n.db" >/dev/null 2>"$work/m$n.time"
    printf '%8d deliveries: max RSS %s KiB\n' $n "$(rss_kb "$work/m$n.time")"
  done
fi
