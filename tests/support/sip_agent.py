"""Test support: a SIP user agent in plain Python, over udp on 127.0.0.1.

Used by the tests that talk SIP to sca-server without SIPp
(tests/redis/sca_servers_test.py, tests/system/notify_end_test.py).
Every wait is bounded (WAIT seconds); a missed expectation raises Fail.
"""
import re
import socket
import time
import uuid

WAIT = 5.0


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(data):
    """(first line, [(lower-case name, value)], body) of one SIP message."""
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
    """A user agent on its own udp port; answers every NOTIFY with
    `notify_code` (200 by default, 481 for a phone that lost the dialog)."""

    def __init__(self, user, notify_code=200):
        self.user = user
        self.notify_code = notify_code
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.notifies = []  # (source port, headers)
        self.notify_sources = set()
        self.responses = []
        self.cseq = 0

    def request(self, method, uri, server_port, to, extra):
        """Sends an out-of-dialog request; returns its Via branch."""
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
        """Reads one message (or times out); answers a NOTIFY."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, src = self.sock.recvfrom(65536)
        except socket.timeout:
            return False
        first, headers, _ = parse(data)
        if first.startswith("NOTIFY "):
            reason = "OK" if self.notify_code == 200 else "Call/Transaction Does Not Exist"
            answer = [f"SIP/2.0 {self.notify_code} {reason}"] + [
                f"{n}: {v}" for n, v in headers if n in ("via", "from", "to", "call-id", "cseq")]
            self.sock.sendto(("\r\n".join(answer) + "\r\nContent-Length: 0\r\n\r\n").encode(), src)
            self.notifies.append((src[1], headers))
            self.notify_sources.add(src[1])
        elif first.startswith("SIP/2.0 "):
            self.responses.append((int(first.split()[1]), headers))
        return True

    def final_response(self, branch):
        """(code, headers) of the final response to the request sent with `branch`."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for i, (code, h) in enumerate(self.responses):
                if code >= 200 and branch in (header(h, "via") or ""):
                    del self.responses[i]
                    return code, h
            self.pump(deadline - time.monotonic())
        raise Fail(f"{self.user}: no final response")

    def wait_notify(self, pattern, from_port=None, what="call-info"):
        """Takes the first NOTIFY (from `from_port`, when given) whose `what`
        headers match `pattern`; returns their text."""
        deadline = time.monotonic() + WAIT
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            for i, (src, h) in enumerate(self.notifies):
                text = " ".join(v for n, v in h if n == what)
                if (from_port is None or src == from_port) and rx.search(text):
                    del self.notifies[i]
                    return text
            self.pump(deadline - time.monotonic())
        source = "" if from_port is None else f" from port {from_port}"
        raise Fail(f"{self.user}: no NOTIFY{source} with {what} matching {pattern!r}; saw {self.notifies}")
