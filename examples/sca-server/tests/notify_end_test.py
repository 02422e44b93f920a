#!/usr/bin/env python3
"""sca-server ends subscriptions from the notifier's side (RFC 6665 §4.2.2).

    notify_end_test.py --server PATH

Starts sca-server on a free udp port of 127.0.0.1, plays the user agents
itself (plain SIP over udp) and checks:
  - a line-seize whose NOTIFY is answered 481 is removed at once: the seized
    appearance goes back to idle and the call-info watcher is told, the
    server logs the removal;
  - on SIGTERM (no --state) every subscription ends with a NOTIFY
    `terminated;reason=deactivated`, and the server exits 0.
Stops only what it started; every wait is bounded.
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

WAIT = 5.0


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def parse(data):
    head, _, _ = data.decode(errors="replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    return lines[0], [(n.strip().lower(), v.strip()) for n, _, v in (l.partition(":") for l in lines[1:])]


def header(headers, name):
    return next((v for n, v in headers if n == name), "")


class Agent:
    """A user agent on its own udp port; answers NOTIFYs with `notify_code`."""

    def __init__(self, user, notify_code=200):
        self.user, self.notify_code = user, notify_code
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.notifies, self.responses, self.cseq = [], [], 0

    def subscribe(self, server_port, line, extra):
        self.cseq += 1
        branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
        msg = (f"SUBSCRIBE {line[:-len('@127.0.0.1')]}@127.0.0.1:{server_port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:{self.user}@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
               f"To: <{line}>\r\nCall-ID: {uuid.uuid4().hex}@127.0.0.1\r\nCSeq: {self.cseq} SUBSCRIBE\r\n"
               f"Contact: <sip:{self.user}@127.0.0.1:{self.port}>\r\n"
               + "".join(f"{h}\r\n" for h in extra) + "Content-Length: 0\r\n\r\n")
        self.sock.sendto(msg.encode(), ("127.0.0.1", server_port))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for code, h in self.responses:
                if code >= 200 and branch in header(h, "via"):
                    return code
            self.pump(deadline - time.monotonic())
        raise Fail(f"{self.user}: no final response to its SUBSCRIBE")

    def pump(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, src = self.sock.recvfrom(65536)
        except socket.timeout:
            return
        first, headers = parse(data)
        if first.startswith("NOTIFY "):
            reason = "OK" if self.notify_code == 200 else "Call/Transaction Does Not Exist"
            answer = [f"SIP/2.0 {self.notify_code} {reason}"] + [
                f"{n}: {v}" for n, v in headers if n in ("via", "from", "to", "call-id", "cseq")]
            self.sock.sendto(("\r\n".join(answer) + "\r\nContent-Length: 0\r\n\r\n").encode(), src)
            self.notifies.append(headers)
        elif first.startswith("SIP/2.0 "):
            self.responses.append((int(first.split()[1]), headers))

    def wait_notify(self, pattern, what="call-info"):
        rx = re.compile(pattern)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for i, h in enumerate(self.notifies):
                if rx.search(" ".join(v for n, v in h if n == what)):
                    del self.notifies[i]
                    return
            self.pump(deadline - time.monotonic())
        raise Fail(f"{self.user}: no NOTIFY with {what} matching {pattern!r}; saw {self.notifies}")


def wait_log(path, text):
    deadline = time.monotonic() + WAIT
    while text not in open(path).read():
        check(time.monotonic() < deadline, f"no '{text}' in the server's log")
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="callinfo-notify-end-") as tmp:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log_path = os.path.join(tmp, "sca-server.log")
        log = open(log_path, "w+")
        server = subprocess.Popen([args.server, "--port", str(port)], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + WAIT
            while "listening on" not in open(log_path).read():
                check(time.monotonic() < deadline and server.poll() is None, "sca-server did not start")
                time.sleep(0.02)
            line = "sip:bob@127.0.0.1"
            watcher = Agent("alice")
            check(watcher.subscribe(port, line, ["Event: call-info", "Expires: 600"]) == 200, "call-info SUBSCRIBE")
            watcher.wait_notify(r"appearance-state=idle")

            # The seizer's phone is gone: its NOTIFY gets 481.
            seizer = Agent("phone", notify_code=481)
            check(seizer.subscribe(port, line, ["Event: line-seize", "Expires: 600",
                                                f"Call-Info: <{line}>;appearance-index=1"]) == 200, "line-seize SUBSCRIBE")
            watcher.wait_notify(r"appearance-index=1;appearance-state=seized")
            seizer.pump(1.0)  # receives (and answers 481 to) its NOTIFY
            watcher.wait_notify(r"^<sip:bob@127\.0\.0\.1>;appearance-index=\*;appearance-state=idle$")
            # the server logs the removal after it has sent the NOTIFYs it caused
            wait_log(log_path, "removed after its NOTIFY failed")
            print("NOTIFY answered 481: the seize ended at once, appearance 1 idle again, the watcher told")

            second = Agent("carol")
            check(second.subscribe(port, line, ["Event: call-info", "Expires: 600"]) == 200, "second SUBSCRIBE")
            second.wait_notify(r"appearance-state=idle")
            server.send_signal(signal.SIGTERM)
            for a in (watcher, second):
                a.wait_notify(r"^terminated;reason=deactivated$", what="subscription-state")
            check(server.wait(timeout=WAIT) == 0, "sca-server did not exit 0")
            wait_log(log_path, "ended 2 subscriptions (reason=deactivated)")
            print("SIGTERM: both watchers got terminated;reason=deactivated, the server exited 0")
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
