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
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "support"))
from cluster_test import Redis  # noqa: E402
from sip_agent import WAIT, Agent, Fail, check, free_udp_port, header  # noqa: E402

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
            watcher.wait_notify(r"", from_port=a)  # the initial NOTIFY

            publisher = Agent("pbx")
            code, h = publisher.final_response(publisher.request(
                "PUBLISH", f"sip:bob@127.0.0.1:{b}", b, line,
                ["Event: call-info", "Expires: 60", f"Call-Info: <{line}>;appearance-index=1;appearance-state=alerting"]))
            check(code == 200, f"PUBLISH through B: {code}")
            etag = header(h, "sip-etag")
            watcher.wait_notify(r"appearance-index=1.*appearance-state=alerting", from_port=a)
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
            watcher.wait_notify(r"appearance-index=1.*appearance-state=active", from_port=a)
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
            watcher.wait_notify(r"appearance-index=2\b.*appearance-state=seized", from_port=a)
            servers[1].kill()
            servers[1].wait()
            watcher.wait_notify(r"^(?!.*appearance-index=2\b).*appearance-index=1\b", from_port=a)
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
