#!/usr/bin/env bash
# callinfo — load run: sca-server and Kamailio 5.6 sca on the same SIPp traffic.
#
#   bench/load/run.sh [--calls N] [--rate R] [--limit L] [--hold MS] [--only sca-server|kamailio]
#                     [--server PATH] [--trace] [--keep]
#
# On 127.0.0.1, for each server in turn (sca-server --dialect broadworks
# --quiet, or without --quiet with --trace: a log line per message; then
# Kamailio with kamailio.cfg here, no per-message log), in a temporary
# directory:
#   1. 1,000 call-info watchers (watcher.xml): 10 on each of 100 lines
#      sip:line000@127.0.0.1 ... sip:line099@127.0.0.1, injected from a CSV;
#   2. once every watcher has its first NOTIFY, N calls (default 1,000, 10
#      per line, in line order) from alice to the lines, R calls/s (default
#      100), at most L at once (default 50, fewer than the lines, so a line
#      has one call at a time): caller.xml through the server, callee.xml
#      answering for every line (180, 100 ms later 200 with Call-Info
#      appearance-index=1), the call held MS ms (default 200), then the
#      line's phone hangs up (BYE with the same Call-Info);
#   3. the watchers unsubscribe once no NOTIFY has come for 10 s;
#   4. the server is stopped (SIGTERM); what it says it sent is read from
#      its counters line (sca-server) or tm.stats total_local (Kamailio: the
#      NOTIFYs are its only locally generated requests);
#   5. analyse.py counts the NOTIFYs the watchers logged against that figure
#      (lost, duplicated), and measures NOTIFY/s and the latency (see there);
#      the server's CPU time (its process and children, /proc) is read
#      before the watchers start and after they end.
# Prints one table. Installs what is missing (sip-tester, kamailio, sofia,
# meson...) and builds sca-server (release) in build-load-bench/ unless
# --server is given. Each server's run is bounded (timeouts on every
# process; about 25 s each with the defaults). Stops only the processes it started. Not a CI
# test: exit status 0 when every run had no lost or duplicated NOTIFY and no
# error, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

calls=1000
rate=100
limit=50
hold=200
only=
server=
keep=0
quiet=--quiet
lines=100
per_line=10
while [ $# -gt 0 ]; do
  case $1 in
    --calls) calls=${2:?}; shift 2 ;;
    --rate) rate=${2:?}; shift 2 ;;
    --limit) limit=${2:?}; shift 2 ;;
    --hold) hold=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --server) server=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    --trace) quiet=; shift ;;
    -h|--help) sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "load: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case $only in ""|sca-server|kamailio) ;; *) echo "load: --only sca-server|kamailio" >&2; exit 2 ;; esac

# shellcheck source=../../scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
ensure_packages sip-tester kamailio python3
if [ -z "$server" ] && [ "$only" != kamailio ]; then
  ensure_packages libsofia-sip-ua-dev libhiredis-dev pkg-config meson ninja-build g++ libboost-dev
  (cd "$root" && configure_build build-load-bench -Dtests=false -Dcmake_package=disabled -Dbuildtype=release &&
    nice meson compile -C build-load-bench -j1 sca-server >/dev/null)
  server=$root/build-load-bench/examples/sca-server
fi
sipp=$(command -v sipp)
kamailio=$(command -v kamailio || echo /usr/sbin/kamailio)
kamcmd=$(command -v kamcmd || echo /usr/sbin/kamcmd)
tables=/usr/share/kamailio/dbtext/kamailio

work=$(mktemp -d "${TMPDIR:-/tmp}/callinfo-load.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ $keep -eq 1 ]; then echo "load: logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_ports() {
  python3 - <<'PY'
import socket
socks = []
for _ in range(4):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
PY
}
wait_for() {
  local cond=$1 tenths=$2 i
  for ((i = 0; i < tenths; i++)); do
    eval "$cond" && return 0
    sleep 0.1
  done
  return 1
}
# CPU time (ms, user + system) of a process and its children so far
# (Kamailio works in forked children).
cpu_ms() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
hz = os.sysconf("SC_CLK_TCK")
def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()
total = 0
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        f = stat(int(d))
    except OSError:
        continue
    if int(d) == root or int(f[1]) == root:  # f[1]: ppid
        total += int(f[11]) + int(f[12])       # utime, stime
print(total * 1000 // hz)
PY
}
forget() {
  local p kept=()
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  pids=("${kept[@]}")
}

# The CSVs: watchers (line;watcher), 10 a line; calls (line), in line order.
{
  echo SEQUENTIAL
  for ((l = 0; l < lines; l++)); do
    for ((w = 0; w < per_line; w++)); do printf 'line%03d;w%03d%02d\n' "$l" "$l" "$w"; done
  done
} >"$work/watchers.csv"
{
  echo SEQUENTIAL
  for ((c = 0; c < calls; c++)); do printf 'line%03d\n' $((c % lines)); done
} >"$work/calls.csv"
watchers=$((lines * per_line))

results=()
overall=0

# UDP datagrams dropped for a full receive buffer, host-wide (/proc/net/snmp).
udp_drops() { awk '/^Udp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp; }
# ... and on the server's socket (ss: skmem d<N>).
socket_drops() { ss -ulmn "sport = :$1" 2>/dev/null | grep -o 'd[0-9]*)' | tr -dc '0-9' || true; }

# run_one NAME: the watchers, the calls, the analysis against server $port.
run_one() {
  local name=$1 dir=$2 status=0
  timeout 150 "$sipp" -sf "$here/watcher.xml" -inf "$work/watchers.csv" -i 127.0.0.1 -p "$wport" \
    -m "$watchers" -r 200 -l "$watchers" -nostdin -buff_size 4194304 -trace_logs -log_file "$dir/watchers.log" \
    -trace_err -error_file "$dir/watchers.err" -timeout 140s "127.0.0.1:$port" >"$dir/watchers.out" 2>&1 &
  local wpid=$!
  pids+=("$wpid")
  local drops0
  drops0=$(udp_drops)
  if ! wait_for "[ \$(grep -c '^N|' '$dir/watchers.log' 2>/dev/null || echo 0) -ge $watchers ]" 300; then
    echo "load: $name: the watchers did not all get their first NOTIFY" >&2
    status=1
  fi
  timeout 100 "$sipp" -sf "$here/callee.xml" -i 127.0.0.1 -p "$cport" -m "$calls" -nostdin -buff_size 4194304 \
    -d "$hold" -trace_logs -log_file "$dir/callee.log" -trace_err -error_file "$dir/callee.err" -timeout 90s \
    >"$dir/callee.out" 2>&1 &
  local cpid=$!
  pids+=("$cpid")
  sleep 0.3
  local t0=$SECONDS
  timeout 90 "$sipp" -sf "$here/caller.xml" -inf "$work/calls.csv" -i 127.0.0.1 -p "$aport" -m "$calls" \
    -r "$rate" -l "$limit" -nostdin -buff_size 4194304 -trace_logs -log_file "$dir/caller.log" -trace_err \
    -error_file "$dir/caller.err" -timeout 80s "127.0.0.1:$port" >"$dir/caller.out" 2>&1 ||
    { echo "load: $name: the caller failed (some calls did not complete)" >&2; status=1; }
  echo "load: $name: $calls calls in $((SECONDS - t0)) s" >&2
  wait "$cpid" || { echo "load: $name: the callee failed" >&2; status=1; }
  forget "$cpid"
  wait "$wpid" || { echo "load: $name: the watchers failed" >&2; status=1; }
  forget "$wpid"
  echo "load: $name: udp receive-buffer drops: $(( $(udp_drops) - drops0 )) host-wide, $(socket_drops "$port") on the server's socket" >&2
  return $status
}

if [ "$only" != kamailio ]; then
  dir=$work/sca-server
  mkdir -p "$dir"
  read -r port wport aport cport < <(free_ports)
  args=(--port "$port" --dialect broadworks $quiet)
  for ((l = 0; l < lines; l++)); do
    args+=(--line "$(printf 'line%03d' "$l")" --route "$(printf 'line%03d' "$l")=127.0.0.1:$cport")
  done
  "$server" "${args[@]}" 2>"$dir/server.log" &
  spid=$!
  pids+=("$spid")
  wait_for "grep -q 'listening on' '$dir/server.log'" 50 || { echo "load: sca-server did not start" >&2; exit 1; }
  st=0
  cpu0=$(cpu_ms "$spid")
  run_one sca-server "$dir" || st=1
  cpu=$(( $(cpu_ms "$spid") - cpu0 ))
  kill -TERM "$spid"
  wait "$spid" || st=1
  forget "$spid"
  counters=$(grep -o 'counters: .*' "$dir/server.log" || true)
  sent=$(sed -n 's/.* notify-sent \([0-9]*\).*/\1/p' <<<"$counters")
  errors=$(python3 - "$counters" <<'PY'
import re, sys
c = sys.argv[1]
n = sum(int(v) for k, v in re.findall(r"(?:responses|relayed)?\s*([3456])xx=(\d+)", c))
n += int(re.search(r"notify-failed (\d+)", c).group(1)) + int(re.search(r"notify-not-sent (\d+)", c).group(1))
print(n)
PY
)
  echo "load: sca-server $counters" >&2
  results+=("$(python3 "$here/analyse.py" --name "sca-server${quiet:+ (quiet)}" --watchers "$dir/watchers.log" --caller "$dir/caller.log" \
    --callee "$dir/callee.log" --active-trigger 200 --sent "${sent:-0}" --server-errors "$errors" --cpu-ms "$cpu")")
  [ $st -eq 0 ] || overall=1
fi

if [ "$only" != sca-server ]; then
  dir=$work/kamailio
  mkdir -p "$dir/db"
  cp "$tables/sca_subscriptions" "$tables/version" "$dir/db/"
  chmod -R u+rw "$dir/db"
  read -r port wport aport cport < <(free_ports)
  "$kamailio" -DD -E -f "$here/kamailio.cfg" -l "udp:127.0.0.1:$port" -Y "$dir" -w "$dir" -m 1024 -M 16 \
    -A "DBURL=\"text://$dir/db\"" -A "CTLSOCK=\"unix:$dir/kamailio_ctl\"" \
    -A "LINES_DST=\"sip:127.0.0.1:$cport\"" >"$dir/kamailio.log" 2>&1 &
  kpid=$!
  pids+=("$kpid")
  kamctl() { timeout 5 "$kamcmd" -s "unix:$dir/kamailio_ctl" "$@" 2>&1 || true; }
  wait_for "[ -S '$dir/kamailio_ctl' ] && kamctl core.uptime | grep -q uptime" 100 ||
    { echo "load: Kamailio did not start" >&2; tail "$dir/kamailio.log" >&2; exit 1; }
  st=0
  cpu0=$(cpu_ms "$kpid")
  run_one kamailio "$dir" || st=1
  cpu=$(( $(cpu_ms "$kpid") - cpu0 ))
  kamctl tm.stats >"$dir/tm.stats"
  kamctl stats.get_statistics all >"$dir/stats"
  kill -TERM "$kpid"
  wait "$kpid" 2>/dev/null || true
  forget "$kpid"
  sent=$(sed -n 's/^[[:space:]]*total_local:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/tm.stats")
  errors=$(awk -F'[:= ]+' '/(4xx|5xx|6xx)/ { n += $NF } END { print n + 0 }' "$dir/tm.stats")
  echo "load: kamailio tm.stats: $(tr '\n' ' ' <"$dir/tm.stats")" >&2
  results+=("$(python3 "$here/analyse.py" --name "kamailio 5.6 sca" --watchers "$dir/watchers.log" \
    --caller "$dir/caller.log" --callee "$dir/callee.log" --active-trigger ACK --sent "${sent:-0}" \
    --server-errors "$errors" --cpu-ms "$cpu")")
  [ $st -eq 0 ] || overall=1
fi

python3 - "$calls" "$rate" "$limit" "$hold" "${results[@]}" <<'PY'
import json, sys
calls, rate, limit, hold = sys.argv[1:5]
rows = [json.loads(r) for r in sys.argv[5:]]
print()
print("Load: %d watchers over 100 lines, %s calls to the lines (%s/s offered, at most %s at once, held %s ms),"
      " udp 127.0.0.1" % (rows[0]["watchers"] if rows else 0, calls, rate, limit, hold))
cols = [("server", "name"), ("NOTIFY sent", "notify_sent"), ("received", "notify_received"), ("lost", "lost"),
        ("dup", "duplicates"), ("errors", "server_errors"), ("per call+watcher", "per_call_per_watcher"),
        ("call NOTIFY/s", "notify_per_s"), ("calls/s", "calls_per_s"), ("p50 ms", "latency_p50_ms"),
        ("p99 ms", "latency_p99_ms"), ("max ms", "latency_max_ms"), ("CPU s", "cpu_s"),
        ("CPU us/NOTIFY", "cpu_us_per_notify")]
w = [max(len(h), *(len(str(r.get(k))) for r in rows)) for h, k in cols]
print("  ".join(h.ljust(x) for (h, _), x in zip(cols, w)))
print("  ".join("-" * x for x in w))
for r in rows:
    print("  ".join(str(r.get(k)).ljust(x) for (_, k), x in zip(cols, w)))
print()
for r in rows:
    print("%s: states %s, repeated-state NOTIFYs %s, unmatched %s, initial %s, terminated %s"
          % (r["name"], r["states"], r["repeated_state"], r["unmatched"], r["initial"], r["terminated"]))
PY
for r in "${results[@]}"; do
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r["lost"]==0 and r["duplicates"]==0 and r["server_errors"]==0 else 1)' "$r" || overall=1
done
exit $overall
