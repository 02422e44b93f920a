#!/usr/bin/env python3
"""sca-libre (the presence server on libre's SIP stack) under SIPp on 127.0.0.1.

    sca_libre_test.py --server PATH --sipp PATH [--dialect default|opensips|broadworks]

Starts sca-libre on a free udp port of 127.0.0.1 and checks what the SIP
peers received:
  publish  a call-info watcher (tests/system/sipp/watcher.xml) and a
           third-party publisher (publisher.xml beside it): the watcher's
           NOTIFYs show idle; 1=alerting; 1=active; terminated
  seize    the same watcher and a phone that seizes appearance 1 of another
           line, refreshes the seize and lets it go (seizer.xml here): the
           watcher sees idle; 1=seized; idle; terminated, the phone a NOTIFY naming
           appearance-index=1 after the seize and after the refresh, then its
           terminated one
  expiry   subscriptions never refreshed end when their timers fire: a
           seize (Expires: 1), which a watcher sees as the line idle again,
           then the watcher's own (Expires: 2): terminated;reason=timeout
  stack    what the stack answers before the server is asked (plain SIP,
           tests/support/sip_agent.py): a SUBSCRIBE whose To tag names no
           dialog gets 481, an unknown Event 489, a malformed Expires 400
Exit status 0 when every check holds; 1 otherwise, with the server's log and
SIPp's errors; 2 on a usage error. Only the processes started here are
stopped; every wait is bounded.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", ".."))
sys.path.insert(0, os.path.join(root, "tests", "support"))
from sip_agent import WAIT, Agent, Fail, check, free_udp_port  # noqa: E402

SCA_SIPP = os.path.join(root, "tests", "system", "sipp")


def summarize(ss, ci):
    """The appearances of one NOTIFY as '1=alerting' words (idle ones left
    out, an all-idle line is 'idle'), or 'terminated'."""
    if ss.startswith("terminated"):
        return "terminated"
    words, index = [], None
    for name, value in re.findall(r"appearance-(index|state)=([^;,\s]+)", ci):
        if name == "index":
            index = value
        elif index != "*" and value != "idle":
            words.append(f"{index}={value}")
    return " ".join(words) or "idle"


def seize_summary(ss, ci):
    """A seizer's NOTIFY: 'seize 1' (the index its Call-Info names) or 'terminated'."""
    if ss.startswith("terminated"):
        return "terminated"
    m = re.search(r"appearance-index=([0-9]+)", ci)
    return f"seize {m.group(1)}" if m else f"no appearance-index in {ci!r}"


def notifies(log_path):
    """(Subscription-State, Call-Info) of each NOTIFY a SIPp scenario logged."""
    if not os.path.exists(log_path):
        return []
    out = []
    for line in open(log_path, errors="replace"):
        if line.startswith("NOTIFY|"):
            _, ss, ci = (line.rstrip("\n").split("|", 2) + ["", ""])[:3]
            out.append((ss.strip(), ci.strip()))
    return out


class Run:
    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.procs = []
        self.server = None
        self.port = 0
        self.log_path = os.path.join(tmp, "sca-libre.log")

    def start_server(self):
        # Another process may take the port between its release and the
        # bind: a server that cannot bind is tried again on another.
        for _ in range(3):
            self.port = free_udp_port()
            log = open(self.log_path, "w")
            self.server = subprocess.Popen([self.args.server, "--port", str(self.port), "--dialect", self.args.dialect],
                                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            self.procs.append(self.server)
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline and self.server.poll() is None:
                if "listening on" in open(self.log_path).read():
                    return
                time.sleep(0.05)
            self.stop(self.server)
        raise Fail("sca-libre did not start")

    def sipp(self, name, scenario, timeout_s, line):
        """Starts one SIPp UAC against the server for sip:LINE@127.0.0.1;
        its log file and process."""
        log, err, out = (os.path.join(self.tmp, f"{name}.{x}") for x in ("log", "err", "out"))
        cmd = [self.args.sipp, "-sf", scenario, "-i", "127.0.0.1", "-p", str(free_udp_port()), "-s", line,
               "-m", "1", "-l", "1", "-nostdin", "-timeout_error", "-timeout", f"{timeout_s}s",
               "-trace_logs", "-log_file", log, "-trace_err", "-error_file", err, f"127.0.0.1:{self.port}"]
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(out, "w"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        return log, p

    def wait(self, p, what, timeout_s):
        try:
            status = p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop(p)
            raise Fail(f"{what} did not finish in {timeout_s} s")
        check(status == 0, f"{what} failed (SIPp exit status {status})")

    def wait_first_notify(self, log):
        deadline = time.monotonic() + 2 * WAIT
        while not notifies(log):
            check(time.monotonic() < deadline, "the watcher got no initial NOTIFY")
            time.sleep(0.05)

    @staticmethod
    def stop(p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in self.procs:
            self.stop(p)


def expect(what, seen, expected):
    print(f"{what}:\n  expected: {'; '.join(expected)}\n  seen:     {'; '.join(seen)}")
    check(seen == expected, f"{what}: the NOTIFYs differ from the flow")


def publish_flow(run):
    """The seed call flow: a watcher, then a publisher's alerting and active."""
    watcher_log, watcher = run.sipp("publish-watcher", os.path.join(SCA_SIPP, "watcher.xml"), 40, "bob")
    run.wait_first_notify(watcher_log)
    _, publisher = run.sipp("publisher", os.path.join(SCA_SIPP, "publisher.xml"), 20, "bob")
    run.wait(publisher, "the publisher", 30)
    run.wait(watcher, "the watcher", 60)
    seen = [summarize(ss, ci) for ss, ci in notifies(watcher_log)]
    expect("publish flow, the watcher", seen, ["idle", "1=alerting", "1=active", "terminated"])


def seize_flow(run):
    """A watcher, then a phone seizing appearance 1 and letting it go, on
    another line than the publish flow's (whose publication still holds
    bob's appearance 1)."""
    watcher_log, watcher = run.sipp("seize-watcher", os.path.join(SCA_SIPP, "watcher.xml"), 40, "carol")
    run.wait_first_notify(watcher_log)
    seizer_log, seizer = run.sipp("seizer", os.path.join(here, "seizer.xml"), 20, "carol")
    run.wait(seizer, "the seizer", 30)
    run.wait(watcher, "the watcher", 60)
    seen = [summarize(ss, ci) for ss, ci in notifies(watcher_log)]
    expect("seize flow, the watcher", seen, ["idle", "1=seized", "idle", "terminated"])
    seen = [seize_summary(ss, ci) for ss, ci in notifies(seizer_log)]
    expect("seize flow, the phone", seen, ["seize 1", "seize 1", "terminated"])


def subscribe_raw(agent, port, extra, to_tag=None):
    """A SUBSCRIBE for bob's line, with `to_tag` in its To (as if inside a
    dialog); the final response's code."""
    agent.cseq += 1
    branch = "z9hG4bK-" + uuid.uuid4().hex[:12]
    to = "<sip:bob@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    msg = (f"SUBSCRIBE sip:bob@127.0.0.1:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{agent.port};branch={branch};rport\r\n"
           f"Max-Forwards: 70\r\n"
           f"From: <sip:{agent.user}@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
           f"To: {to}\r\n"
           f"Call-ID: {uuid.uuid4().hex}@127.0.0.1\r\n"
           f"CSeq: {agent.cseq} SUBSCRIBE\r\n"
           f"Contact: <sip:{agent.user}@127.0.0.1:{agent.port}>\r\n"
           + "".join(f"{h}\r\n" for h in extra) + "Content-Length: 0\r\n\r\n")
    agent.sock.sendto(msg.encode(), ("127.0.0.1", port))
    return agent.final_response(branch)[0]


def expiry(run):
    """Subscriptions that are never refreshed end when their timers (libre
    tmrs armed from arm_timer) fire: a seize (Expires: 1) gives its
    appearance back, which the watcher sees; then the watcher's own
    (Expires: 2) ends with terminated;reason=timeout. (A seize's expiry
    sends the phone nothing: line_seize_timeout_notification is off by
    default, as in OpenSIPS.)"""
    line = "sip:dave@127.0.0.1"
    uri = f"sip:dave@127.0.0.1:{run.port}"
    watcher, phone = Agent("watcher"), Agent("phone")
    code = watcher.final_response(
        watcher.request("SUBSCRIBE", uri, run.port, line, ["Event: call-info", "Expires: 2"]))[0]
    check(code in (200, 202), f"call-info SUBSCRIBE: {code}")
    watcher.wait_notify(r"appearance-state=idle$")
    code = phone.final_response(phone.request("SUBSCRIBE", uri, run.port, line, [
        "Event: line-seize", "Expires: 1", f"Call-Info: <{line}>;appearance-index=1"]))[0]
    check(code == 200, f"line-seize SUBSCRIBE: {code}")
    watcher.wait_notify(r"appearance-index=1;appearance-state=seized")
    watcher.wait_notify(r"^<sip:dave@127\.0\.0\.1>;appearance-index=\*;appearance-state=idle$")
    watcher.wait_notify(r"^terminated;reason=timeout$", what="subscription-state")
    print("expiry: the seize (Expires: 1) ended and the watcher saw the line idle again;"
          " the watcher's subscription (Expires: 2) ended with terminated;reason=timeout")


def stack_answers(run):
    a = Agent("stranger")
    cases = [("a To tag no dialog has", ["Event: call-info", "Expires: 60"], "0123abcd", 481),
             ("an unknown Event", ["Event: presence", "Expires: 60"], None, 489),
             ("a malformed Expires", ["Event: call-info", "Expires: soon"], None, 400)]
    for what, extra, tag, code in cases:
        got = subscribe_raw(a, run.port, extra, tag)
        print(f"SUBSCRIBE with {what}: {got}")
        check(got == code, f"SUBSCRIBE with {what}: expected {code}, got {got}")
    check(not a.notifies, f"NOTIFYs after refused SUBSCRIBEs: {a.notifies}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--sipp", required=True)
    ap.add_argument("--dialect", default="default", choices=["default", "opensips", "broadworks"])
    args = ap.parse_args()
    for path in (args.server, args.sipp):
        if not os.access(path, os.X_OK):
            print(f"sca_libre_test: not executable: {path}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="callinfo-sca-libre-") as tmp:
        run = Run(args, tmp)
        try:
            run.start_server()
            print(f"sca-libre --dialect {args.dialect} on udp 127.0.0.1:{run.port}")
            publish_flow(run)
            seize_flow(run)
            expiry(run)
            stack_answers(run)
            check(run.server.poll() is None, "sca-libre exited")
        except Fail as e:
            print(f"FAIL: {e}", file=sys.stderr)
            for name in sorted(os.listdir(tmp)):
                if name.endswith((".err", ".log")) and os.path.getsize(os.path.join(tmp, name)):
                    print(f"--- {name}", file=sys.stderr)
                    print(open(os.path.join(tmp, name), errors="replace").read()[-4000:], file=sys.stderr)
            return 1
        finally:
            run.stop_all()
    print("sca_libre_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
