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
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from sip_agent import WAIT, Agent, Fail, check, free_udp_port  # noqa: E402


def subscribe(agent, port, line, extra):
    """An out-of-dialog SUBSCRIBE to `line` through sca-server; its final code."""
    uri = line.replace("@127.0.0.1", f"@127.0.0.1:{port}")
    return agent.final_response(agent.request("SUBSCRIBE", uri, port, line, extra))[0]


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
        port = free_udp_port()
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
            check(subscribe(watcher, port, line, ["Event: call-info", "Expires: 600"]) == 200, "call-info SUBSCRIBE")
            watcher.wait_notify(r"appearance-state=idle")

            # The seizer's phone is gone: its NOTIFY gets 481.
            seizer = Agent("phone", notify_code=481)
            check(subscribe(seizer, port, line, ["Event: line-seize", "Expires: 600",
                                                f"Call-Info: <{line}>;appearance-index=1"]) == 200, "line-seize SUBSCRIBE")
            watcher.wait_notify(r"appearance-index=1;appearance-state=seized")
            seizer.pump(1.0)  # receives (and answers 481 to) its NOTIFY
            watcher.wait_notify(r"^<sip:bob@127\.0\.0\.1>;appearance-index=\*;appearance-state=idle$")
            # the server logs the removal after it has sent the NOTIFYs it caused
            wait_log(log_path, "removed after its NOTIFY failed")
            print("NOTIFY answered 481: the seize ended at once, appearance 1 idle again, the watcher told")

            second = Agent("carol")
            check(subscribe(second, port, line, ["Event: call-info", "Expires: 600"]) == 200, "second SUBSCRIBE")
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
