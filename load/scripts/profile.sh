#!/usr/bin/env bash
# Profiles yim-server under a yim-load scenario with perf (software cpu-clock sampling, DWARF
# call stacks: works where hardware counters do not, as in most VMs) and prints where its time
# goes by category (see perf_categories.py).
#
#   bash load/scripts/profile.sh [SCENARIO] [RATE] [extra yim-load options...]
#   bash load/scripts/profile.sh live 100
#
# Needs perf (apt-get install linux-perf) and release builds of yim-server and yim-load:
#   cargo build --release -p yim-server -p yim-load
set -euo pipefail
cd "$(dirname "$0")/../.."
scenario=${1:-live}
rate=${2:-100}
shift $(( $# < 2 ? $# : 2 ))
work=$(mktemp -d)
trap 'kill "${server_pid:-}" "${load_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/server.toml" <<TOML
listen = "127.0.0.1:0"
[[apps]]
key = "load_app"
secret = "load_secret"
[limits]
password_hash_rounds = 16
TOML
RUST_LOG=warn target/release/yim-server serve --config "$work/server.toml" \
  --data-dir "$work/data" --listen 127.0.0.1:0 > "$work/server.out" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/server.out" && break; sleep 0.2; done
addr=$(sed -n 's/.*listening on //p' "$work/server.out")
echo "yim-server (pid $server_pid) on $addr"
target/release/yim-load run --scenario "$scenario" --rate "$rate" --seconds 60 --quiet \
  --server "$addr" "$@" > "$work/load.out" 2>&1 &
load_pid=$!
# Wait for the clients to log in and the load to settle (PROFILE_WAIT_SECS, default 30), then
# sample for 8 s.
sleep "${PROFILE_WAIT_SECS:-30}"
perf record -e cpu-clock -F 299 --call-graph dwarf,16384 -p "$server_pid" -o "$work/perf.data" -- sleep 8 2> /dev/null
perf script -i "$work/perf.data" -F comm,tid,ip,sym 2> /dev/null > "$work/perf.txt"
python3 load/scripts/perf_categories.py "$work/perf.txt"
kill "$load_pid" 2>/dev/null || true
