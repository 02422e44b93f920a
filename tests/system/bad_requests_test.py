#!/usr/bin/env python3
"""sca-server answers requests it cannot serve, with a reason, instead of
accepting them.

    bad_requests_test.py --server PATH

Starts sca-server on a free udp port of 127.0.0.1 and sends, over udp, one
request per case below; each must get its status and reason phrase, and no
NOTIFY may follow a refused SUBSCRIBE. A good SUBSCRIBE and PUBLISH before
and after show the server serving as before. Stops only what it started;
every wait is bounded.
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
from sip_agent import WAIT, Fail, check, free_udp_port, header  # noqa: E402

GOOD_LINE = "sip:bob@127.0.0.1"
SEIZE = f"Call-Info: <{GOOD_LINE}>;appearance-index=1"
ALERTING = f"Call-Info: <{GOOD_LINE}>;appearance-index=1;appearance-state=alerting"

# name, method, Request-URI (PORT: the server's), To URI, Contact (None: no
# Contact header), extra headers, expected status, expected reason phrase.
CASES = [
    ("SUBSCRIBE without Contact", "SUBSCRIBE", "sip:bob@127.0.0.1:PORT", GOOD_LINE, None,
     ["Event: call-info"], 400, "Missing Contact, NOTIFYs cannot be routed"),
    ("line-seize SUBSCRIBE without Contact", "SUBSCRIBE", "sip:bob@127.0.0.1:PORT", GOOD_LINE, None,
     ["Event: line-seize", SEIZE], 400, "Missing Contact, NOTIFYs cannot be routed"),
    ("SUBSCRIBE with a tel: Contact", "SUBSCRIBE", "sip:bob@127.0.0.1:PORT", GOOD_LINE, "<tel:+15551230000>",
     ["Event: call-info"], 400, "Contact Not a SIP URI, NOTIFYs cannot be routed"),
    ("SUBSCRIBE to a tel: line", "SUBSCRIBE", "tel:+15551234567", "tel:+15551234567", "CONTACT",
     ["Event: call-info"], 416, "Unsupported URI Scheme"),
    ("SUBSCRIBE with a tel: To", "SUBSCRIBE", "sip:bob@127.0.0.1:PORT", "tel:+15551234567", "CONTACT",
     ["Event: call-info"], 416, "Unsupported URI Scheme"),
    ("SUBSCRIBE to a line with a non-ASCII user", "SUBSCRIBE", "sip:b\u00f8b@127.0.0.1:PORT",
     "sip:b\u00f8b@127.0.0.1", "CONTACT", ["Event: call-info"], 400, "Bad Line URI"),
    ("PUBLISH to a tel: line", "PUBLISH", "tel:+15551234567", "tel:+15551234567", None,
     ["Event: call-info", ALERTING], 416, "Unsupported URI Scheme"),
    ("PUBLISH to a line with a non-ASCII user", "PUBLISH", "sip:b\u00f8b@127.0.0.1:PORT",
     "sip:b\u00f8b@127.0.0.1", None, ["Event: call-info", ALERTING], 400, "Bad Line URI"),
]


class Client:
    def __init__(self, server_port):
        self.server_port = server_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.notifies = []

    def contact(self):
        return f"<sip:tester@127.0.0.1:{self.port}>"

    def ask(self, method, uri, to, contact, extra):
        """Sends a request; returns (status, reason phrase, headers) of its final response."""
        branch = "z9hG4bK-" + uuid.uuid4().hex[:16]
        uri = uri.replace("PORT", str(self.server_port))
        contact = self.contact() if contact == "CONTACT" else contact
        msg = (f"{method} {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:tester@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
               f"To: <{to}>\r\n"
               f"Call-ID: {uuid.uuid4().hex}@127.0.0.1\r\n"
               f"CSeq: 1 {method}\r\n"
               + (f"Contact: {contact}\r\n" if contact else "")
               + "".join(f"{h}\r\n" for h in extra) +
               "Content-Length: 0\r\n\r\n")
        self.sock.sendto(msg.encode("utf-8"), ("127.0.0.1", self.server_port))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            got = self.read(deadline - time.monotonic())
            if got is None:
                continue
            first, headers = got
            if not first.startswith("SIP/2.0 ") or branch not in (header(headers, "via") or ""):
                continue
            _, code, reason = (first.split(" ", 2) + [""])[:3]
            if int(code) >= 200:
                return int(code), reason, headers
        raise Fail(f"{method} {uri}: no final response")

    def read(self, timeout):
        """One message (answering a NOTIFY 200), or None on timeout."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, src = self.sock.recvfrom(65536)
        except socket.timeout:
            return None
        head = data.decode("utf-8", errors="replace").partition("\r\n\r\n")[0].split("\r\n")
        headers = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        if head[0].startswith("NOTIFY "):
            answer = ["SIP/2.0 200 OK"] + [f"{n}: {v}" for n, v in headers
                                           if n in ("via", "from", "to", "call-id", "cseq")]
            self.sock.sendto(("\r\n".join(answer) + "\r\nContent-Length: 0\r\n\r\n").encode(), src)
            self.notifies.append(headers)
        return head[0], headers

    def settle(self, seconds):
        """Reads (and answers) whatever arrives within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.read(deadline - time.monotonic())


def good_requests(c, index):
    """A SUBSCRIBE (a fetch) and a PUBLISH of appearance `index` the server
    serves: 200 each, and the fetch's NOTIFY."""
    code, reason, _ = c.ask("SUBSCRIBE", "sip:bob@127.0.0.1:PORT", GOOD_LINE, "CONTACT",
                            ["Event: call-info", "Expires: 0"])
    check(code == 200, f"a good SUBSCRIBE (fetch) got {code} {reason}")
    code, reason, _ = c.ask("PUBLISH", "sip:bob@127.0.0.1:PORT", GOOD_LINE, None,
                            ["Event: call-info", "Expires: 60",
                             f"Call-Info: <{GOOD_LINE}>;appearance-index={index};appearance-state=alerting"])
    check(code == 200, f"a good PUBLISH got {code} {reason}")
    deadline = time.monotonic() + WAIT
    while not c.notifies:
        check(time.monotonic() < deadline, "no NOTIFY after a good SUBSCRIBE")
        c.read(deadline - time.monotonic())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="callinfo-bad-requests-") as tmp:
        port = free_udp_port()
        log_path = os.path.join(tmp, "sca-server.log")
        log = open(log_path, "w+")
        server = subprocess.Popen([args.server, "--port", str(port)], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        failed = []
        try:
            deadline = time.monotonic() + WAIT
            while "listening on" not in open(log_path).read():
                check(time.monotonic() < deadline and server.poll() is None, "sca-server did not start")
                time.sleep(0.02)
            c = Client(port)
            good_requests(c, 1)
            for name, method, uri, to, contact, extra, status, phrase in CASES:
                c.notifies.clear()
                code, reason, _ = c.ask(method, uri, to, contact, extra)
                ok = code == status and reason == phrase
                print(f"{'ok  ' if ok else 'FAIL'}  {name}: {code} {reason}"
                      + ("" if ok else f" (expected {status} {phrase})"))
                if not ok:
                    failed.append(name)
            # A refused SUBSCRIBE starts no subscription: no NOTIFY follows.
            c.settle(0.3)
            if c.notifies:
                failed.append("NOTIFY after a refused request")
                print(f"FAIL  a refused request was followed by {len(c.notifies)} NOTIFY(s)")
            good_requests(c, 2)
            server.send_signal(signal.SIGTERM)
            check(server.wait(timeout=WAIT) == 0, "sca-server did not exit 0")
            text = open(log_path).read()
            for why in ("bad request: SUBSCRIBE without Contact", "is not a sip: or sips: URI"):
                check(why in text, f"no '{why}' in the server's log")
            check(re.search(r"counters: requests \d+ responses 1xx=0 2xx=\d+ 3xx=0 4xx=8 ", text) is not None,
                  "the counters line does not show the 8 refusals")
            check(not failed, f"{len(failed)} of {len(CASES)} cases failed: {', '.join(failed)}")
            print(f"{len(CASES)} bad requests answered with their status and reason; good ones served before and after")
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
