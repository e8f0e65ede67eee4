#!/usr/bin/env bash
# Load test of the example app: GET /open against GET /api/protected (an access token in the
# Authorization header), with wrk on loopback, alternating A B A B.
#
#   bash benches/load.sh
#
# Builds examples/axum_app in release mode, starts it on a free loopback port, logs in, runs
# ROUNDS rounds of DURATION per endpoint, prints the requests per second of each, the
# protected / open ratio, the server's CPU time per request of each (from /proc) and the
# server's memory (VmRSS sampled under load, peak VmHWM), and
# stops everything it started. Settings (environment): ROUNDS (4), DURATION (10s),
# THREADS (2), CONNECTIONS (64), PIN (1: the server on CPU 0 and wrk on CPU 1 with taskset,
# when there are two CPUs or more; 0: both free), APP (a prebuilt axum_app binary to run
# instead of building one, e.g. to compare two versions), STORE (the revocation store: `memory`, the default;
# `redis`, a RedisStore checking Redis on every request; `redis-local`, a RedisStore with
# a local view, trusted for REDIS_LOCAL_CACHE_MS, 50 by default). The Redis modes start
# their own redis-server (AOF on, fsync always) on a free loopback port. Installs wrk from
# the distribution's packages if missing.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-4}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
STORE="${STORE:-memory}"
REDIS_LOCAL_CACHE_MS="${REDIS_LOCAL_CACHE_MS:-50}"
case "$STORE" in
  memory | redis | redis-local) ;;
  *) printf 'STORE must be memory, redis or redis-local, not %s\n' "$STORE" >&2; exit 2 ;;
esac
PIN="${PIN:-1}"
APP="${APP:-}"

# Pinned: the server gets one CPU and wrk the other, so that the server's throughput is
# bounded by its own CPU time per request, not by how the scheduler shares two CPUs.
server_cpu=()
client_cpu=()
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c 1)
fi

log() { printf '==> %s\n' "$*" >&2; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

work="$(mktemp -d)"
server_pid=""
sampler_pid=""
redis_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null 2>&1 || { log "curl is needed"; exit 1; }

if [ -n "$APP" ]; then
  app="$APP"
else
  log "building the example app (release)"
  cargo build --release --example axum_app --quiet
  target_dir="$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
  app="$target_dir/release/examples/axum_app"
fi
[ -x "$app" ] || { log "not found: $app"; exit 1; }

store_env=()
if [ "$STORE" != memory ]; then
  command -v redis-server >/dev/null 2>&1 || { log "redis-server is needed for STORE=$STORE"; exit 1; }
  # A free loopback port: bound, read and released (the window before redis binds it is
  # short; redis-server fails loudly if it was taken).
  redis_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  mkdir "$work/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
    --appendfsync always --save "" --daemonize no --logfile "$work/redis/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    kill -0 "$redis_pid" 2>/dev/null || { cat "$work/redis/redis.log" >&2; exit 1; }
    sleep 0.05
  done
  store_env+=("REDIS_URL=redis://127.0.0.1:$redis_port/")
  [ "$STORE" = redis-local ] && store_env+=("REDIS_LOCAL_CACHE_MS=$REDIS_LOCAL_CACHE_MS")
  log "redis-server pid $redis_pid on 127.0.0.1:$redis_port"
fi
log "revocation store: $STORE${store_env[*]:+ (${store_env[*]})}"

# Port 0: the kernel picks a free port, and the app prints the address it got.
secret="$(head -c 48 /dev/urandom | base64 | tr -d '\n=+/')"
env BIND=127.0.0.1:0 JWT_SECRET_KEY="$secret" "${store_env[@]}" "${server_cpu[@]}" "$app" \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
addr=""
for _ in $(seq 1 100); do
  addr="$(sed -n 's/^listening on //p' "$work/server.out")"
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { log "the server did not start"; exit 1; }
case "$addr" in
  127.*) ;;
  *) log "not a loopback address: $addr"; exit 1 ;;
esac
base="http://$addr"
log "server pid $server_pid on $base"

token="$(curl -sf -X POST "$base/api/login" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"password123"}' |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')"
[ -n "$token" ] || { log "login failed"; exit 1; }
curl -sf -H "Authorization: Bearer $token" "$base/api/protected" >/dev/null ||
  { log "the token is refused"; exit 1; }

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status"; }
hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status"; }
idle_rss="$(rss_kb)"
hwm_before_load="$(hwm_kb)"

# Samples VmRSS every 0.2 s while wrk runs; the largest sample is the RSS under load.
(
  max=0
  while kill -0 "$server_pid" 2>/dev/null; do
    v="$(rss_kb 2>/dev/null || echo 0)"
    [ "${v:-0}" -gt "$max" ] && max="$v" && echo "$max" >"$work/rss_max"
    sleep 0.2
  done
) &
sampler_pid=$!

# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
ticks_per_s="$(getconf CLK_TCK)"

# One wrk run: prints requests/s and the server's CPU µs per request; fails on socket
# errors or non-2xx answers.
run() {
  local name="$1"; shift
  local out="$work/wrk-$name.txt"
  local before after requests
  before="$(cpu_ticks)"
  "${client_cpu[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$out"
  if grep -q -e 'Non-2xx' -e 'Socket errors' "$out"; then
    cat "$out" >&2
    log "$name: errors under load"
    exit 1
  fi
  after="$(cpu_ticks)"
  requests="$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$out")"
  printf '%s %s\n' "$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\)/\1/p' "$out")" \
    "$(calc "($after - $before) * 1000000 / $ticks_per_s / $requests")"
}

pinning="not pinned"
[ ${#server_cpu[@]} -gt 0 ] && pinning="server on CPU 0, wrk on CPU 1"
log "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds of: GET /open, GET /api/protected (store: $STORE, $pinning)"
open_all=()
prot_all=()
open_cpu_all=()
prot_cpu_all=()
# cpu ratio: the server's CPU µs per /open request over that per /api/protected request,
# the throughput ratio of a server limited by its own CPU (steadier than req/s on a
# shared machine).
printf '%-6s %14s %18s %8s %10s %10s %9s\n' round "open req/s" "protected req/s" ratio \
  "open µs" "prot. µs" "cpu ratio"
for i in $(seq 1 "$ROUNDS"); do
  read -r o oc <<<"$(run "open-$i" "$base/open")"
  read -r p pc <<<"$(run "protected-$i" -H "Authorization: Bearer $token" "$base/api/protected")"
  open_all+=("$o")
  prot_all+=("$p")
  open_cpu_all+=("$oc")
  prot_cpu_all+=("$pc")
  printf '%-6s %14.0f %18.0f %8.3f %10.2f %10.2f %9.3f\n' "$i" "$o" "$p" "$(calc "$p / $o")" \
    "$oc" "$pc" "$(calc "$oc / $pc")"
done

sum() { local s=0; for v in "$@"; do s="$(calc "$s + $v")"; done; echo "$s"; }
open_sum="$(sum "${open_all[@]}")"
prot_sum="$(sum "${prot_all[@]}")"
open_cpu="$(calc "$(sum "${open_cpu_all[@]}") / $ROUNDS")"
prot_cpu="$(calc "$(sum "${prot_cpu_all[@]}") / $ROUNDS")"
printf '%-6s %14.0f %18.0f %8.3f %10.2f %10.2f %9.3f\n' mean "$(calc "$open_sum / $ROUNDS")" \
  "$(calc "$prot_sum / $ROUNDS")" "$(calc "$prot_sum / $open_sum")" "$open_cpu" "$prot_cpu" \
  "$(calc "$open_cpu / $prot_cpu")"
echo "latency (last round): open p50 $(sed -n 's/^ *50% *//p' "$work/wrk-open-$ROUNDS.txt")," \
  "protected p50 $(sed -n 's/^ *50% *//p' "$work/wrk-protected-$ROUNDS.txt")"

kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""
load_rss="$(cat "$work/rss_max" 2>/dev/null || echo 0)"
printf 'server memory: idle %.1f MB, under load %.1f MB (max VmRSS sampled), peak %.1f MB (VmHWM; %.1f MB before the load)\n' \
  "$(calc "$idle_rss / 1024")" "$(calc "$load_rss / 1024")" \
  "$(calc "$(hwm_kb) / 1024")" "$(calc "$hwm_before_load / 1024")"
