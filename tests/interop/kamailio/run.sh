#!/usr/bin/env bash
# callinfo — differential interop, Kamailio side: the dialog-driven basic
# call of scripts/sca-dialog-demo played through Kamailio's sca module
# (Debian 12, kamailio 5.6) on 127.0.0.1.
#
#   tests/interop/kamailio/run.sh [--flow basic|basic-seized|all] [--kamailio PATH]
#                                 [--sipp PATH] [--keep]
#
# 1. installs kamailio (the sca, db_text and ctl modules are in it) and
#    sip-tester (apt-get) when missing;
# 2. for each flow (default: both), prepares a temporary db_text directory
#    with fresh copies of the package's sca_subscriptions and version tables
#    and starts Kamailio in the foreground (-DD -E) with kamailio.cfg beside
#    this script, on a free udp port of 127.0.0.1, with routes for alice (the
#    callee's SIPp) and bob (the shared line's phone);
# 3. starts the watcher (SUBSCRIBE call-info to sip:bob@127.0.0.1) and waits
#    for its first NOTIFY; basic-seized then seizes appearance 1 for bob's
#    phone (kamcmd sca.seize_appearance, as a line-seize would); then the
#    callee, then the caller: bob calls alice through Kamailio with
#    Call-Info: <sip:bob@127.0.0.1>;appearance-index=1;
# 4. prints the NOTIFYs the watcher received, in the table of
#    scripts/sca-dialog-demo (one line per NOTIFY), then one normalised
#    line per NOTIFY with its (appearance-index,appearance-state,
#    appearance-uri) triples, the summary line and Kamailio's sca log lines.
# Scenario files: sipp/ beside this script when it has the file, else the
# demo's (examples/sca-server/sipp/dialog/).
# Every step is bounded in time; only the processes started here are stopped
# (trap on EXIT). --keep leaves the work directory (logs) in place.
# Exit status 0 when every flow ran (the watcher, callee and caller
# succeeded), 1 otherwise, 2 on a usage error. The states seen are reported,
# not judged: the comparison with sca-server is in README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
ours=$root/examples/sca-server/sipp/dialog
mine=$here/sipp

kamailio=
sipp=
keep=0
flow=all
while [ $# -gt 0 ]; do
  case $1 in
    --kamailio) kamailio=${2:?--kamailio needs a path}; shift 2 ;;
    --sipp) sipp=${2:?--sipp needs a path}; shift 2 ;;
    --keep) keep=1; shift ;;
    --flow) flow=${2:?--flow needs a value}; shift 2 ;;
    -h|--help) sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "kamailio interop: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case $flow in
  all) flows=(basic basic-seized) ;;
  basic|basic-seized) flows=("$flow") ;;
  *) echo "kamailio interop: unknown flow '$flow'" >&2; exit 2 ;;
esac

if [ -z "$kamailio" ] || [ -z "$sipp" ]; then
  # shellcheck source=../../../scripts/lib/deps.sh
  . "$root/scripts/lib/deps.sh"
  # the sca, db_text and ctl modules are in the kamailio package itself
  ensure_packages kamailio sip-tester python3
fi
[ -n "$kamailio" ] || kamailio=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -n "$sipp" ] || sipp=$(command -v sipp || true)
kamcmd=$(command -v kamcmd || echo /usr/sbin/kamcmd)
[ -x "$kamailio" ] || { echo "kamailio interop: no kamailio at '$kamailio'" >&2; exit 2; }
[ -n "$sipp" ] && [ -x "$sipp" ] || { echo "kamailio interop: sipp not found (Debian package sip-tester)" >&2; exit 2; }
tables=/usr/share/kamailio/dbtext/kamailio
for t in sca_subscriptions version; do
  [ -f "$tables/$t" ] || { echo "kamailio interop: no db_text table $tables/$t" >&2; exit 2; }
done

# The scenario files: the Kamailio variant when there is one, else the
# sca-server demo's own.
scenario() {
  if [ -f "$mine/$1" ]; then echo "$mine/$1"; else echo "$ours/$1"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/callinfo-kamailio.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  if [ $keep -eq 1 ]; then echo "kamailio interop: logs kept in $work" >&2; else rm -rf "$work"; fi
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

forget() {
  local p kept=()
  for p in "${pids[@]}"; do
    [ "$p" = "$1" ] || kept+=("$p")
  done
  pids=("${kept[@]}")
}

stop() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}

# as scripts/sca-dialog-demo: "1=active" words, the idle rest left out
summarize() {
  local ss=$1 ci=$2
  case $ss in terminated*) echo terminated; return ;; esac
  local out
  out=$(printf '%s\n' "$ci" | grep -oE 'appearance-(index|state)=[^;,[:space:]]+' |
    awk -F= '/index/ { i = $2 } /state/ { if (i != "*" && $2 != "idle") printf "%s%s=%s", sep, i, $2; sep = " " }')
  echo "${out:-idle}"
}

# (appearance-index,appearance-state,appearance-uri) triples of one
# Call-Info value, in header order, space-separated; no uri is "-".
triples() {
  python3 -c '
import re, sys
v = sys.argv[1]
out = []
# entries are separated by commas outside <...> and "..."
entries, cur, q, a = [], "", False, False
for ch in v:
    if ch == "\"" and not a: q = not q
    elif ch == "<" and not q: a = True
    elif ch == ">" and not q: a = False
    if ch == "," and not q and not a:
        entries.append(cur); cur = ""
    else:
        cur += ch
if cur.strip(): entries.append(cur)
for e in entries:
    idx = re.search(r";\s*appearance-index=([^;\s]+)", e)
    st = re.search(r";\s*appearance-state=([^;\s]+)", e)
    uri = re.search(r";\s*appearance-uri=(\"[^\"]*\"|[^;\s]+)", e)
    out.append("(%s,%s,%s)" % (idx.group(1) if idx else "-", st.group(1) if st else "-",
                               uri.group(1).strip("\"") if uri else "-"))
print(" ".join(out) if out else "-")
' "$1"
}

# Runs one flow on a fresh Kamailio; returns 0 when its phones succeeded.
run_flow() {
  local name=$1 dir=$work/$1 status=0
  mkdir -p "$dir/db"
  cp "$tables/sca_subscriptions" "$tables/version" "$dir/db/"
  chmod -R u+rw "$dir/db"

  local port wport aport bport kam_pid started=0 attempt
  for attempt in 1 2 3; do
    read -r port wport aport bport < <(free_ports)
    "$kamailio" -DD -E -f "$here/kamailio.cfg" -l "udp:127.0.0.1:$port" \
      -Y "$dir" -w "$dir" -m 64 -M 8 \
      -A "DBURL=\"text://$dir/db\"" -A "CTLSOCK=\"unix:$dir/kamailio_ctl\"" \
      -A "ALICE_DST=\"sip:127.0.0.1:$aport\"" -A "BOB_DST=\"sip:127.0.0.1:$bport\"" \
      >"$dir/kamailio.log" 2>&1 &
    kam_pid=$!
    pids+=("$kam_pid")
    if wait_for "[ -S '$dir/kamailio_ctl' ] && timeout 2 '$kamcmd' -s 'unix:$dir/kamailio_ctl' core.uptime >/dev/null 2>&1" 100; then
      started=1
      break
    fi
    echo "kamailio interop: Kamailio did not start (attempt $attempt)" >&2
    tail -n 20 "$dir/kamailio.log" >&2
    stop "$kam_pid"
    # only a port taken meanwhile is worth another try
    grep -qiE 'bind|address already in use' "$dir/kamailio.log" || break
  done
  [ $started -eq 1 ] || return 1
  kamctl() { timeout 5 "$kamcmd" -s "unix:$dir/kamailio_ctl" "$@" 2>&1 || true; }

  local common=(-i 127.0.0.1 -m 1 -l 1 -nostdin -timeout_error -trace_logs -trace_err)
  timeout 60 "$sipp" -sf "$(scenario watcher.xml)" "${common[@]}" -s bob -p "$wport" -timeout 45s \
    -log_file "$dir/watcher.log" -error_file "$dir/watcher.err" "127.0.0.1:$port" >"$dir/watcher.out" 2>&1 &
  local watcher=$!
  pids+=("$watcher")
  if ! wait_for "grep -q '^NOTIFY|' '$dir/watcher.log' 2>/dev/null" 100; then
    echo "kamailio interop: the watcher got no initial NOTIFY ($name)" >&2
    status=1
  fi
  local subs= seize=
  if [ $status -eq 0 ]; then
    subs=$(kamctl sca.all_subscriptions)
    if [ "$name" = basic-seized ]; then
      # what a line-seize SUBSCRIBE from bob's phone would do, without its
      # own NOTIFYs: appearance 1 seized by the phone's Contact
      seize=$(kamctl sca.seize_appearance sip:bob@127.0.0.1 "sip:bob@127.0.0.1:$bport")
      sleep 0.3
    fi
    timeout 40 "$sipp" -sf "$(scenario callee.xml)" "${common[@]}" -p "$aport" -timeout 30s \
      -log_file "$dir/callee.log" -error_file "$dir/callee.err" >"$dir/callee.out" 2>&1 &
    local callee=$!
    pids+=("$callee")
    sleep 0.3
    timeout 40 "$sipp" -sf "$(scenario caller-basic.xml)" "${common[@]}" -s alice -p "$bport" -timeout 30s \
      -log_file "$dir/caller.log" -error_file "$dir/caller.err" "127.0.0.1:$port" >"$dir/caller.out" 2>&1 ||
      { echo "kamailio interop: the caller failed ($name)" >&2; status=1; }
    local callee_status=0
    wait "$callee" || callee_status=$?
    forget "$callee"
    [ $callee_status -eq 0 ] || { echo "kamailio interop: the callee failed ($name, exit $callee_status)" >&2; status=1; }
  fi
  local watcher_status=0
  wait "$watcher" || watcher_status=$?
  forget "$watcher"
  [ $watcher_status -eq 0 ] || { echo "kamailio interop: the watcher failed ($name, exit $watcher_status)" >&2; status=1; }
  local appearances
  appearances=$(kamctl sca.all_appearances)
  stop "$kam_pid"

  echo
  echo "Flow '$name': Call-Info states seen by the watcher (Kamailio $version sca, udp 127.0.0.1:$port):"
  printf '%-5s  %-28s  %-12s  %s\n' "step" "Subscription-State" "appearances" "Call-Info"
  printf '%-5s  %-28s  %-12s  %s\n' "-----" "----------------------------" "------------" "---------"
  local n=0 seen=() final= lines=() tag ss ci s l
  if [ -f "$dir/watcher.log" ]; then
    while IFS='|' read -r tag ss ci; do
      case $tag in NOTIFY|FINAL) ;; *) continue ;; esac
      n=$((n + 1))
      ss=$(printf '%s' "$ss" | sed 's/^[[:space:]]*//')
      ci=$(printf '%s' "$ci" | sed 's/^[[:space:]]*//')
      s=$(summarize "$ss" "$ci")
      if [ "$tag" = NOTIFY ]; then seen+=("$s"); else final=$s; fi
      printf '%-5s  %-28s  %-12s  %s\n' "$n" "$ss" "$s" "${ci:--}"
      lines+=("$(printf '%-6s %s' "$tag" "$(triples "$ci")")")
    done < <(grep -E '^(NOTIFY|FINAL)\|' "$dir/watcher.log")
  fi
  echo
  echo "(appearance-index,appearance-state,appearance-uri) per NOTIFY:"
  for l in "${lines[@]}"; do echo "  $l"; done
  local seen_text
  seen_text=$(IFS=';'; echo "${seen[*]:-}")
  echo
  echo "seen:     ${seen_text//;/; } (then ${final:-nothing})"
  echo
  echo "Kamailio log (sca and the script's call-info lines):"
  [ -n "$seize" ] && echo "  kamcmd sca.seize_appearance: $(printf '%s' "$seize" | tr '\n' ' ')"
  grep -E 'sca' "$dir/kamailio.log" | grep -vE 'sctp|sca_mod_init' | sed 's/^ *[0-9]*([0-9]*) //; s/^/  /' | tail -n 40
  if [ $status -ne 0 ]; then
    echo "--- sca.all_subscriptions after the first NOTIFY" >&2
    printf '%s\n' "$subs" >&2
    echo "--- sca.all_appearances after the call" >&2
    printf '%s\n' "$appearances" >&2
    local f
    for f in kamailio.log watcher.out watcher.err callee.out callee.err caller.out caller.err; do
      [ -s "$dir/$f" ] && { echo "--- $f" >&2; tail -n 40 "$dir/$f" >&2; }
    done
    return 1
  fi
  return 0
}

version=$("$kamailio" -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')
overall=0
for f in "${flows[@]}"; do
  run_flow "$f" || overall=1
done
[ $overall -eq 0 ] && echo "kamailio interop: flows ran" || echo "kamailio interop: FAIL" >&2
exit $overall
