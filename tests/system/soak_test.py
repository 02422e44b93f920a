#!/usr/bin/env python3
"""sca-server keeps its memory flat over many requests (soak).

    soak_test.py --server PATH [--lifecycles N] [--rounds R] [--warm-up W]
                 [--bound-kib K] [--transaction-timeout MS]

Starts sca-server on a free udp port of 127.0.0.1 with a short nta
transaction timeout (--transaction-timeout: nta frees an answered
transaction after it, not after 32 s), plays one user agent over udp and runs
rounds of request lifecycles, each round N of each kind:
  - SUBSCRIBE call-info, its refresh in the dialog, its unsubscribe
    (Expires: 0), every NOTIFY answered 200;
  - PUBLISH call-info (appearance 1 alerting), its modification
    (SIP-If-Match, active), its removal (SIP-If-Match, Expires: 0);
  - OPTIONS;
over 8 lines, each with a watcher subscribed for the whole run, so the
PUBLISHes send NOTIFYs too. After each round the agent stays idle for the
transaction timeout and a little more, then reads the server's VmRSS from
/proc/PID/status.

The first W rounds (--warm-up, default 1) are the warm-up: the allocator's
arenas, nta's hash tables and the lines reach their size. With nta's own
timers (--transaction-timeout 0) a whole round's transactions are alive at
its end, and the heap takes two rounds to settle: use --warm-up 2. The
test fails when the RSS after the last round exceeds the RSS after the
warm-up by more than --bound-kib (default 1024
KiB; a server that kept each answered transaction grew by some 10 KiB per
request, 70 MiB over the defaults' 7,200 requests after the warm-up), or
when nta still holds a transaction at shutdown (sca-server's "nta at
shutdown" line, after the watchers have unsubscribed and the agent has
been idle), or when a request does not get its answer.

Prints one line per round: requests sent so far, NOTIFYs answered, VmRSS.
Stops only the server it started; every wait is bounded.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from sip_agent import WAIT, Fail, check, free_udp_port, header, parse  # noqa: E402

LINES = 8


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Fail("no VmRSS in /proc/PID/status")


class Client:
    """One udp socket that sends requests one at a time and answers every
    NOTIFY it receives with 200."""

    def __init__(self, server_port):
        self.server_port = server_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sent = 0
        self.notifies = 0

    def send(self, method, uri, to, call_id, from_tag, cseq, extra):
        branch = "z9hG4bK-" + uuid.uuid4().hex[:16]
        msg = (f"{method} {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:soak@127.0.0.1>;tag={from_tag}\r\n"
               f"To: {to}\r\n"
               f"Call-ID: {call_id}\r\n"
               f"CSeq: {cseq} {method}\r\n"
               f"Contact: <sip:soak@127.0.0.1:{self.port}>\r\n"
               + "".join(f"{h}\r\n" for h in extra) +
               "Content-Length: 0\r\n\r\n")
        self.sock.sendto(msg.encode(), ("127.0.0.1", self.server_port))
        self.sent += 1
        return branch

    def pump(self, timeout):
        """Reads one message; answers a NOTIFY; returns a response as
        (code, headers) or None."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, src = self.sock.recvfrom(65536)
        except socket.timeout:
            return None
        first, headers, _ = parse(data)
        if first.startswith("NOTIFY "):
            answer = ["SIP/2.0 200 OK"] + [f"{n}: {v}" for n, v in headers
                                           if n in ("via", "from", "to", "call-id", "cseq")]
            self.sock.sendto(("\r\n".join(answer) + "\r\nContent-Length: 0\r\n\r\n").encode(), src)
            self.notifies += 1
            return None
        if first.startswith("SIP/2.0 "):
            return int(first.split()[1]), headers
        return None

    def ask(self, method, uri, to, call_id, from_tag, cseq, extra, expect=200):
        """Sends a request and waits for its final response; returns its headers."""
        branch = self.send(method, uri, to, call_id, from_tag, cseq, extra)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            r = self.pump(deadline - time.monotonic())
            if r is None or r[0] < 200 or branch not in (header(r[1], "via") or ""):
                continue
            check(r[0] == expect, f"{method} {uri}: {r[0]} (expected {expect})")
            return r[1]
        raise Fail(f"{method} {uri}: no final response")

    def idle(self, seconds):
        """Answers NOTIFYs (none is expected) for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())


def line(k):
    return f"sip:soak{k}@127.0.0.1"


def subscribe(c, port, k, expires):
    """An out-of-dialog SUBSCRIBE call-info; returns the dialog."""
    call_id = uuid.uuid4().hex + "@127.0.0.1"
    tag = uuid.uuid4().hex[:8]
    h = c.ask("SUBSCRIBE", f"sip:soak{k}@127.0.0.1:{port}", f"<{line(k)}>", call_id, tag, 1,
              ["Event: call-info", f"Expires: {expires}"])
    to = header(h, "to")
    target = re.search(r"<([^>]+)>", header(h, "contact") or "")
    check(target is not None and ";tag=" in to, "2xx without Contact or To tag")
    return {"uri": target.group(1), "to": to, "call_id": call_id, "tag": tag, "cseq": 1}


def in_dialog(c, d, expires):
    d["cseq"] += 1
    c.ask("SUBSCRIBE", d["uri"], d["to"], d["call_id"], d["tag"], d["cseq"],
          ["Event: call-info", f"Expires: {expires}"])


def publish_lifecycle(c, port, k):
    call_id = uuid.uuid4().hex + "@127.0.0.1"
    tag = uuid.uuid4().hex[:8]
    uri, to = f"sip:soak{k}@127.0.0.1:{port}", f"<{line(k)}>"
    h = c.ask("PUBLISH", uri, to, call_id, tag, 1,
              ["Event: call-info", "Expires: 600",
               f"Call-Info: <{line(k)}>;appearance-index=1;appearance-state=alerting"])
    etag = header(h, "sip-etag")
    check(etag is not None, "PUBLISH 200 without SIP-ETag")
    h = c.ask("PUBLISH", uri, to, call_id, tag, 2,
              ["Event: call-info", "Expires: 600", f"SIP-If-Match: {etag}",
               f"Call-Info: <{line(k)}>;appearance-index=1;appearance-state=active"])
    etag = header(h, "sip-etag")
    check(etag is not None, "modifying PUBLISH 200 without SIP-ETag")
    c.ask("PUBLISH", uri, to, call_id, tag, 3, ["Event: call-info", "Expires: 0", f"SIP-If-Match: {etag}"])


def round_of(c, port, n):
    for i in range(n):
        k = i % LINES
        d = subscribe(c, port, k, 600)
        in_dialog(c, d, 600)
        in_dialog(c, d, 0)
        publish_lifecycle(c, port, k)
        c.ask("OPTIONS", f"sip:soak{k}@127.0.0.1:{port}", f"<{line(k)}>", uuid.uuid4().hex, "o", 1, [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--lifecycles", type=int, default=400, help="lifecycles of each kind per round")
    ap.add_argument("--rounds", type=int, default=4, help="rounds, the warm-up included")
    ap.add_argument("--warm-up", type=int, default=1, help="rounds before the RSS of reference")
    ap.add_argument("--bound-kib", type=int, default=1024, help="allowed RSS growth after the warm-up")
    ap.add_argument("--transaction-timeout", type=int, default=1000, help="sca-server's, in ms")
    args = ap.parse_args()
    check(args.warm_up >= 1 and args.rounds > args.warm_up, "--rounds must exceed --warm-up (at least 1)")
    with tempfile.TemporaryDirectory(prefix="callinfo-soak-") as tmp:
        port = free_udp_port()
        log_path = os.path.join(tmp, "sca-server.log")
        log = open(log_path, "w+")
        command = [args.server, "--port", str(port), "--quiet"]
        if args.transaction_timeout > 0:  # 0: nta's default (32 s)
            command += ["--transaction-timeout", str(args.transaction_timeout)]
        server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + WAIT
            while "listening on" not in open(log_path).read():
                check(time.monotonic() < deadline and server.poll() is None, "sca-server did not start")
                time.sleep(0.02)
            c = Client(port)
            watchers = [subscribe(c, port, k, 3600) for k in range(LINES)]
            # Long enough for nta's timers to free what a round's transactions
            # left (without --transaction-timeout: T1x64, 32 s).
            idle = (args.transaction_timeout or 32000) / 1000 + 0.5
            start = time.monotonic()
            rss = []
            for r in range(args.rounds):
                round_of(c, port, args.lifecycles)
                c.idle(idle)
                rss.append(rss_kib(server.pid))
                print(f"round {r + 1}{' (warm-up)' if r < args.warm_up else ''}: {c.sent} requests, "
                      f"{c.notifies} NOTIFYs answered, VmRSS {rss[-1]} KiB", flush=True)
            elapsed = time.monotonic() - start
            reference = rss[args.warm_up - 1]
            growth = rss[-1] - reference
            measured = c.sent - c.sent * args.warm_up // args.rounds
            more = args.rounds - args.warm_up
            rounds = f"{more} more round{'s' if more != 1 else ''}"
            print(f"VmRSS after the warm-up {reference} KiB, after {rounds} {rss[-1]} KiB: "
                  f"{growth:+d} KiB ({growth * 1024 / max(measured, 1):+.1f} bytes per request; "
                  f"bound {args.bound_kib} KiB); {elapsed:.1f} s")
            for d in watchers:
                in_dialog(c, d, 0)
            c.idle(idle)
            server.send_signal(signal.SIGTERM)
            check(server.wait(timeout=WAIT) == 0, "sca-server did not exit 0")
            text = open(log_path).read()
            alive = re.search(r"nta at shutdown: (\d+) server transactions, (\d+) client transactions", text)
            check(alive is not None, "no 'nta at shutdown' line in the server's log")
            print(alive.group(0))
            check(alive.group(1) == "0", f"nta still holds {alive.group(1)} server transactions at shutdown")
            check(alive.group(2) == "0", f"nta still holds {alive.group(2)} client transactions at shutdown")
            check(growth <= args.bound_kib, f"VmRSS grew by {growth} KiB after the warm-up (bound {args.bound_kib})")
        except Fail as e:
            print(f"FAIL: {e}", file=sys.stderr)
            print(open(log_path).read()[-3000:], file=sys.stderr)
            return 1
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
