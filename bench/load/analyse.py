#!/usr/bin/env python3
"""callinfo load run: the figures of one server's run from the SIPp logs.

  analyse.py --name NAME --watchers LOG --caller LOG --callee LOG
             --active-trigger 200|ACK --sent N [--server-errors N]

Watcher log lines: N|<timestamp>|<Call-ID>|<line>|<CSeq>|<Subscription-State>|<Call-Info>
Caller / callee:  INV|ACK|BYE|180|200 then |<timestamp>|<Call-ID>|<line>
(<timestamp> is SIPp's "date<TAB>time<TAB>epoch.usec").

Latency of a NOTIFY = its arrival at the watcher minus the moment the phone
sent the message the server turned into that state: alerting <- the
callee's 180, active <- the callee's 200 (sca-server acts on the 2xx) or the
caller's ACK (Kamailio sca acts on the ACK), idle <- the caller's BYE; the
latest such message on the same line before the NOTIFY. Prints one JSON
object.
"""
import argparse
import bisect
import collections
import json
import re
import sys


def epoch(ts):
    return float(ts.split("\t")[-1])


def read(path, tags):
    out = []
    with open(path, encoding="latin-1") as f:
        for raw in f:
            parts = raw.rstrip("\n").split("|")
            if parts[0] in tags and len(parts) >= 4:
                out.append(parts)
    return out


STATE = re.compile(r"appearance-index=([^;,\s]+)\s*;\s*appearance-state=([^;,\s]+)")


def state_of(ss, ci):
    if ss.strip().startswith("terminated"):
        return "terminated"
    busy = [(i, s) for i, s in STATE.findall(ci) if i != "*" and s != "idle"]
    if not busy:
        return "idle"
    return " ".join("%s=%s" % b for b in busy)


def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--watchers", required=True)
    ap.add_argument("--caller", required=True)
    ap.add_argument("--callee", required=True)
    ap.add_argument("--active-trigger", choices=["200", "ACK"], required=True)
    ap.add_argument("--sent", type=int, required=True, help="NOTIFYs the server says it sent")
    ap.add_argument("--server-errors", type=int, default=0, help="error responses the server counted")
    ap.add_argument("--cpu-ms", type=int, default=None, help="the server's CPU time during the run")
    a = ap.parse_args()

    triggers = collections.defaultdict(list)  # (line, kind) -> [t]
    invites = []
    for p in read(a.caller, {"INV", "ACK", "BYE"}) + read(a.callee, {"180", "200", "BYE"}):
        t = epoch(p[1])
        if p[0] == "INV":
            invites.append(t)
        triggers[(p[3], p[0])].append(t)
    for v in triggers.values():
        v.sort()
    kind_of = {"1=alerting": "180", "1=active": a.active_trigger, "idle": "BYE"}

    by_watcher = collections.defaultdict(list)
    seen_keys = collections.Counter()
    for p in read(a.watchers, {"N"}):
        t, call_id, line, cseq = epoch(p[1]), p[2], p[3], p[4]
        ss, ci = p[5], "|".join(p[6:])
        by_watcher[call_id].append((t, line, state_of(ss, ci)))
        seen_keys[(call_id, cseq)] += 1

    received = sum(len(v) for v in by_watcher.values())
    duplicates = sum(n - 1 for n in seen_keys.values() if n > 1)
    initial = terminated = 0
    repeated = 0
    latencies = []
    unmatched = collections.Counter()
    phase_times = []
    states = collections.Counter()
    for call_id, notes in by_watcher.items():
        notes.sort()
        prev = None
        for i, (t, line, s) in enumerate(notes):
            if i == 0:
                initial += 1
            elif s == "terminated":
                terminated += 1
            else:
                states[s] += 1
                phase_times.append(t)
                if s == prev:
                    repeated += 1
                kind = kind_of.get(s)
                ts = triggers.get((line, kind), []) if kind else []
                k = bisect.bisect_right(ts, t)
                if k == 0:
                    unmatched[s] += 1
                else:
                    latencies.append(t - ts[k - 1])
            prev = s

    phase = len(phase_times)
    lines = {n[0][1] for n in by_watcher.values() if n}
    start = min(invites) if invites else None
    end = max(phase_times) if phase_times else None
    span = (end - start) if start is not None and end is not None and end > start else None
    ms = lambda x: None if x is None else round(x * 1000.0, 2)
    out = {
        "name": a.name,
        "watchers": len(by_watcher),
        "calls": len(invites),
        "notify_received": received,
        "notify_sent": a.sent,
        "lost": a.sent - received + duplicates,
        "duplicates": duplicates,
        "server_errors": a.server_errors,
        "initial": initial,
        "terminated": terminated,
        "call_phase": phase,
        "per_call_per_watcher": round(phase / (len(invites) * len(by_watcher) / len(lines)), 3)
        if invites and by_watcher else None,
        "states": dict(states),
        "repeated_state": repeated,
        "unmatched": dict(unmatched),
        "span_s": round(span, 3) if span else None,
        "notify_per_s": round(phase / span, 1) if span else None,
        "calls_per_s": round(len(invites) / span, 1) if span else None,
        "latency_p50_ms": ms(percentile(latencies, 50)),
        "latency_p99_ms": ms(percentile(latencies, 99)),
        "latency_max_ms": ms(max(latencies) if latencies else None),
        "cpu_s": None if a.cpu_ms is None else round(a.cpu_ms / 1000.0, 2),
        "cpu_us_per_notify": None if a.cpu_ms is None or not received else round(a.cpu_ms * 1000.0 / received, 1),
    }
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
