#!/usr/bin/env python3
"""Two sca-servers (Sofia-SIP) sharing one redis-server, checked over SIP.

    sca_servers_test.py --server PATH --redis-server PATH [--rounds N]

Starts redis-server on 127.0.0.1 on a free port in a temporary directory and
two sca-servers with --redis and --node 1 / 2 on free udp ports; plays the
user agents itself (plain SIP over udp on 127.0.0.1) and checks:
  - a watcher subscribed through server A gets, from A, the NOTIFY of a
    PUBLISH sent to server B;
  - seize races: two phones send line-seize SUBSCRIBEs for the same
    appearance, one to each server, at the same moment: one 200, one 480;
  - an entity-tag modified through B is stale (412) at A;
  - B killed (SIGKILL) holding a seize: A's expiry releases it and A's
    watcher gets the NOTIFY (the seize lasts 1 s: this waits on real time).
Stops only what it started; every wait is bounded.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import Fail, Redis, check, free_port  # noqa: E402

WAIT = 5.0


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(data):
    text = data.decode(errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers = []
    for l in lines[1:]:
        name, _, value = l.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers, body


def header(headers, name):
    return next((v for n, v in headers if n == name), None)


class Agent:
    """A user agent on its own udp port; answers every NOTIFY with 200."""

    def __init__(self, user):
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.notifies = []  # (source port, headers)
        self.notify_sources = set()
        self.responses = []
        self.cseq = 0

    def request(self, method, uri, server_port, to, extra):
        self.cseq += 1
        branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
        msg = (f"{method} {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\n"
               f"From: <sip:{self.user}@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
               f"To: <{to}>\r\n"
               f"Call-ID: {uuid.uuid4().hex}@127.0.0.1\r\n"
               f"CSeq: {self.cseq} {method}\r\n"
               f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>\r\n"
               + "".join(f"{h}\r\n" for h in extra) +
               "Content-Length: 0\r\n\r\n")
        self.sock.sendto(msg.encode(), ("127.0.0.1", server_port))
        return branch

    def pump(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data, src = self.sock.recvfrom(65536)
        except socket.timeout:
            return False
        first, headers, _ = parse(data)
        if first.startswith("NOTIFY "):
            ok = ["SIP/2.0 200 OK"] + [f"{n}: {v}" for n, v in headers
                                       if n in ("via", "from", "to", "call-id", "cseq")]
            self.sock.sendto(("\r\n".join(ok) + "\r\nContent-Length: 0\r\n\r\n").encode(), src)
            self.notifies.append((src[1], headers))
            self.notify_sources.add(src[1])
        elif first.startswith("SIP/2.0 "):
            self.responses.append((int(first.split()[1]), headers))
        return True

    def final_response(self, branch):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for i, (code, h) in enumerate(self.responses):
                if code >= 200 and branch in (header(h, "via") or ""):
                    del self.responses[i]
                    return code, h
            self.pump(deadline - time.monotonic())
        raise Fail(f"{self.user}: no final response")

    def wait_notify(self, from_port, pattern):
        deadline = time.monotonic() + WAIT
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            for i, (src, h) in enumerate(self.notifies):
                ci = " ".join(v for n, v in h if n == "call-info")
                if src == from_port and rx.search(ci):
                    del self.notifies[i]
                    return ci
            self.pump(deadline - time.monotonic())
        raise Fail(f"{self.user}: no NOTIFY from port {from_port} matching {pattern}; saw {self.notifies}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--redis-server", required=True)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="callinfo-sca-redis-") as tmp:
        redis = Redis(args.redis_server, tmp)
        servers = []
        logs = []
        try:
            redis.start()
            ports = []
            for node in (1, 2):
                port = free_udp_port()
                log = open(os.path.join(tmp, f"sca-server-{node}.log"), "w+")
                logs.append(log)
                servers.append(subprocess.Popen(
                    [args.server, "--port", str(port), "--redis", f"127.0.0.1:{redis.port}", "--node", str(node)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log))
                ports.append(port)
            a, b = ports
            deadline = time.monotonic() + WAIT
            for log in logs:  # wait until both listen (they log it)
                while "listening on" not in open(log.name).read():
                    check(time.monotonic() < deadline, "sca-server did not start")
                    check(all(s.poll() is None for s in servers), "sca-server exited")
                    time.sleep(0.02)
            line = "sip:bob@127.0.0.1"

            watcher = Agent("alice")
            code, _ = watcher.final_response(watcher.request(
                "SUBSCRIBE", f"sip:bob@127.0.0.1:{a}", a, line, ["Event: call-info", "Expires: 600"]))
            check(code == 200, f"SUBSCRIBE through A: {code}")
            watcher.wait_notify(a, r"")  # the initial NOTIFY

            publisher = Agent("pbx")
            code, h = publisher.final_response(publisher.request(
                "PUBLISH", f"sip:bob@127.0.0.1:{b}", b, line,
                ["Event: call-info", "Expires: 60", f"Call-Info: <{line}>;appearance-index=1;appearance-state=alerting"]))
            check(code == 200, f"PUBLISH through B: {code}")
            etag = header(h, "sip-etag")
            watcher.wait_notify(a, r"appearance-index=1.*appearance-state=alerting")
            print("cross-server NOTIFY: PUBLISH through B reached the watcher from A")

            code, h = publisher.final_response(publisher.request(
                "PUBLISH", f"sip:bob@127.0.0.1:{b}", b, line,
                ["Event: call-info", "Expires: 60", f"SIP-If-Match: {etag}",
                 f"Call-Info: <{line}>;appearance-index=1;appearance-state=active"]))
            check(code == 200, f"modify through B: {code}")
            code, _ = publisher.final_response(publisher.request(
                "PUBLISH", f"sip:bob@127.0.0.1:{a}", a, line,
                ["Event: call-info", "Expires: 60", f"SIP-If-Match: {etag}"]))
            check(code == 412, f"stale entity-tag through A: {code}, not 412")
            watcher.wait_notify(a, r"appearance-index=1.*appearance-state=active")
            print("entity-tag: modified through B, stale (412) through A")
            check(watcher.notify_sources == {a}, f"the watcher got NOTIFYs from {watcher.notify_sources}, not only A")

            x, y = Agent("phone-x"), Agent("phone-y")
            for i in range(args.rounds):
                race_line = f"sip:race{i}@127.0.0.1"
                extra = ["Event: line-seize", "Expires: 15", f"Call-Info: <{race_line}>;appearance-index=1"]
                bx = x.request("SUBSCRIBE", f"sip:race{i}@127.0.0.1:{a}", a, race_line, extra)
                by = y.request("SUBSCRIBE", f"sip:race{i}@127.0.0.1:{b}", b, race_line, extra)
                codes = sorted([x.final_response(bx)[0], y.final_response(by)[0]])
                check(codes == [200, 480], f"seize round {i}: {codes}")
            print(f"seize race over SIP: {args.rounds} rounds, one 200 and one 480 each")

            # B dies holding a seize; A's expiry releases it and NOTIFYs A's watcher.
            z = Agent("phone-z")
            code, _ = z.final_response(z.request(
                "SUBSCRIBE", f"sip:bob@127.0.0.1:{b}", b, line,
                ["Event: line-seize", "Expires: 1", f"Call-Info: <{line}>;appearance-index=2"]))
            check(code == 200, f"seize through B: {code}")
            watcher.wait_notify(a, r"appearance-index=2\b.*appearance-state=seized")
            servers[1].kill()
            servers[1].wait()
            watcher.wait_notify(a, r"^(?!.*appearance-index=2\b).*appearance-index=1\b")
            print("server B killed holding a seize: A expired it and NOTIFYed its watcher")
            return 0
        except Fail as e:
            print(f"FAILED: {e}")
            for log in logs:
                log.seek(0)
                sys.stdout.write(log.read()[-3000:])
            return 1
        finally:
            for s in servers:
                if s.poll() is None:
                    s.terminate()
                    try:
                        s.wait(WAIT)
                    except subprocess.TimeoutExpired:
                        s.kill()
                        s.wait()
            for log in logs:
                log.close()
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
