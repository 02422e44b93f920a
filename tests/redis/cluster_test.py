#!/usr/bin/env python3
"""Several callinfo-redis-node servers sharing one redis-server.

    cluster_test.py TEST --node PATH --redis-server PATH

Starts redis-server on 127.0.0.1 on a free port, in a temporary directory
(AOF on), and the nodes against it; drives the nodes over stdin/stdout (see
tests/redis/node.cpp) and checks what they answer. Stops only what it
started. Every wait is bounded; exit status 0 on success.
"""
import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

WAIT = 10.0  # seconds any single answer may take


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from sip_agent import Fail, check  # noqa: E402  (one Fail for every test driver)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self, exe, workdir):
        self.exe, self.dir, self.port, self.proc = exe, workdir, free_port(), None

    def start(self):
        self.proc = subprocess.Popen(
            [self.exe, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "yes",
             "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            check(self.proc.poll() is None, "redis-server exited at start")
            time.sleep(0.02)
        raise Fail("redis-server did not answer PING")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # a clean shutdown: the AOF is complete
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Node:
    def __init__(self, exe, port, number):
        self.number = number
        self.proc = subprocess.Popen([exe, "127.0.0.1", str(port), str(number)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=sys.stderr)
        self.buf = b""
        self.async_lines = []
        self.log = []  # every line the node wrote, in order
        check(self.readline() == "ready", f"node {number} did not start")

    def readline(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail(f"node {self.number}: no answer within {timeout}s")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise Fail(f"node {self.number} exited")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.log.append(line.decode())
        return self.log[-1]

    def send(self, text):
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()

    def answer(self):
        """The effects of the command sent last, and its status."""
        lines = []
        while True:
            line = self.readline()
            if line.startswith("~ "):
                self.async_lines.append(line[2:])
            elif line.startswith("= "):
                return line[2:], lines
            else:
                lines.append(line)

    def cmd(self, text, want="ok"):
        self.send(text)
        status, lines = self.answer()
        check(status == want, f"node {self.number}: `{text}` gave status {status}, not {want}: {lines}")
        return lines

    def wait_async(self, pattern, timeout=WAIT):
        """The first change-driven effect matching `pattern` (a regex)."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            for i, line in enumerate(self.async_lines):
                if rx.search(line):
                    del self.async_lines[: i + 1]
                    return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail(f"node {self.number}: no `{pattern}` within {timeout}s; saw {self.async_lines}")
            line = self.readline(left)
            check(line.startswith("~ "), f"node {self.number}: unexpected output {line}")
            self.async_lines.append(line[2:])

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(WAIT)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def kill(self):
        self.proc.kill()  # SIGKILL: no goodbye
        self.proc.wait()


def response(lines, code=None):
    for line in lines:
        if line.startswith("response "):
            if code is not None:
                check(line.split()[1] == str(code), f"expected a {code}, got {line}")
            return dict(kv.split("=", 1) for kv in line.split()[3:])
    raise Fail(f"no response in {lines}")


def code_of(lines):
    return next(int(l.split()[1]) for l in lines if l.startswith("response "))


LINE = "sip:shared@example.com"


def cross_server_notify(nodes, redis):
    """A watcher on node 1; calls, seizes and its expiry through nodes 2 and 3 reach it."""
    n1, n2, n3 = nodes
    for n in nodes:
        n.cmd("time 1000")
    w = response(n1.cmd(f"sub {LINE} sip:alice@example.com call-info 600"), 200)["sub"]
    n2.cmd(f"dialog {LINE} 77 caller early 1")
    line = n1.wait_async(rf"^notify {w} call-info active .*apps=1:progressing:dialog$")
    n3_lines = n3.cmd(f"sub {LINE} sip:carol@example.com line-seize 30 2")
    response(n3_lines, 200)
    check(not any(l.startswith(f"notify {w} ") for l in n3_lines), "node 3 sent node 1's NOTIFY")
    n1.wait_async(rf"^notify {w} call-info active .*apps=1:progressing:dialog,2:seized:seize$")
    n2.cmd(f"dialog {LINE} 77 caller terminated 1")
    n1.wait_async(rf"^notify {w} call-info active .*apps=2:seized:seize$")
    check("update applied" in n3.cmd(f"update {LINE} 3 held"), "update refused")
    n1.wait_async(rf"^notify {w} call-info active .*apps=2:seized:seize,3:held:management$")
    check("update applied" in n2.cmd(f"update {LINE} 3 idle"), "update refused")
    n1.wait_async(rf"^notify {w} call-info active .*apps=2:seized:seize$")
    # A release on node 2 ends node 3's seize: node 3 sends the terminated NOTIFY.
    n2.cmd(f"release {LINE} 2")
    n3.wait_async(r"^notify \d+ line-seize terminated;noresource seized=\d+ line=")
    n1.wait_async(rf"^notify {w} call-info active .*apps=-$")
    # Node 1 answers a refresh without knowing the line: the index has it.
    r = n1.cmd(f"refresh {w} 600")
    response(r, 200)
    check(any(l.startswith(f"notify {w} call-info active") for l in r), f"no NOTIFY after refresh: {r}")
    # Node 3 expires node 1's watcher: node 1 sends the terminated NOTIFY.
    for n in nodes:
        n.cmd("time 601001")
    lines = n3.cmd("expire")
    check(lines[-1] == "expired 1" and not any(l.startswith("notify ") for l in lines), f"expire on node 3: {lines}")
    n1.wait_async(rf"^notify {w} call-info terminated;timeout ")


def seize_race(nodes, redis, rounds=200):
    """Two (then three) nodes seize the same appearance at the same moment: one wins."""
    a, b = nodes[:2]
    wins = {a.number: 0, b.number: 0}
    for i in range(rounds):
        line = f"sip:race{i}@example.com"
        a.send(f"sub {line} sip:a@example.com line-seize 60 1")
        b.send(f"sub {line} sip:b@example.com line-seize 60 1")
        sa, la = a.answer()
        sb, lb = b.answer()
        check(sa == "ok" and sb == "ok", f"round {i}: status {sa} {sb}")
        codes = sorted([code_of(la), code_of(lb)])
        check(codes == [200, 480], f"round {i}: responses {codes}")
        winner = a if code_of(la) == 200 else b
        wins[winner.number] += 1
        sub = response(la if winner is a else lb)["sub"]
        shown = a.cmd(f"show {line}")
        check(shown == [f"line={line} apps=1:seized:seize"], f"round {i}: {shown}")
    # Then all three nodes at once.
    for i in range(rounds // 4):
        line = f"sip:race3-{i}@example.com"
        for n in nodes:
            n.send(f"sub {line} sip:n{n.number}@example.com line-seize 60 1")
        answers = [n.answer() for n in nodes]
        check(all(st == "ok" for st, _ in answers), f"3-way round {i}: {answers}")
        codes = sorted(code_of(l) for _, l in answers)
        check(codes == [200, 480, 480], f"3-way round {i}: responses {codes}")
    conflicts = [int(re.search(r"conflicts=(\d+)", n.cmd("stats")[0]).group(1)) for n in nodes]
    print(f"{rounds} rounds of two and {rounds // 4} of three: wins of two {wins}, compare-and-set conflicts {conflicts}")


def publish_etag(nodes, redis):
    """PUBLISH on node 1, modify through node 2, the old tag is stale everywhere."""
    n1, n2, n3 = nodes
    ci = f"<{LINE}>;appearance-index=1;appearance-state=active"
    e1 = response(n1.cmd(f"pub {LINE} 120 - {ci}"), 200)["etag"]
    e2 = response(n2.cmd(f"pub {LINE} 120 {e1} <{LINE}>;appearance-index=1;appearance-state=held"), 200)["etag"]
    check(e1 != e2, "the modify kept the entity-tag")
    response(n3.cmd(f"pub {LINE} 120 {e1} {ci}"), 412)
    response(n1.cmd(f"pub {LINE} 120 {e1} -"), 412)
    response(n3.cmd(f"pub {LINE} 120 {e2} -"), 200)
    check(n1.cmd(f"show {LINE}") == [f"line={LINE} apps=1:held:publication"], "publication lost")


def node_killed(nodes, redis):
    """Node 1 dies holding a seize: the state stays, node 2 expires it, node 3's watcher hears."""
    n1, n2, n3 = nodes
    for n in nodes:
        n.cmd("time 5000")
    w = response(n3.cmd(f"sub {LINE} sip:alice@example.com call-info 3600"), 200)["sub"]
    response(n1.cmd(f"sub {LINE} sip:bob@example.com line-seize 10 1"), 200)
    n3.wait_async(rf"^notify {w} call-info active .*apps=1:seized:seize$")
    n1.kill()
    check(n2.cmd(f"show {LINE}") == [f"line={LINE} apps=1:seized:seize"], "seize lost with its node")
    response(n2.cmd(f"sub {LINE} sip:carol@example.com line-seize 30 1"), 480)
    check(n2.cmd("expire") == ["expired 0"], "expired before the deadline")
    check(n2.cmd("next") == ["next 15000"], "the seize's deadline is not the next one")
    n2.cmd("time 15001")
    n3.cmd("time 15001")
    lines = n2.cmd("expire")
    check(lines[-1] == "expired 1", f"expire: {lines}")
    check(any(re.match(rf"changed {re.escape(LINE)} 1 seized idle", l) for l in lines), f"no release: {lines}")
    n3.wait_async(rf"^notify {w} call-info active .*apps=-$")
    check(n3.cmd(f"show {LINE}") == [f"line={LINE} apps=-"], "appearance not idle")
    check(n3.cmd("expire") == ["expired 0"], "expired twice")


def redis_restart(nodes, redis):
    """Redis restarts (AOF): subscriptions, seizes and publications are all there."""
    n1, n2, n3 = nodes
    for n in nodes:
        n.cmd("time 1000")
    w = response(n1.cmd(f"sub {LINE} sip:alice@example.com call-info 600"), 200)["sub"]
    response(n2.cmd(f"sub {LINE} sip:bob@example.com line-seize 60 2"), 200)
    other = "sip:other@example.com"
    etag = response(n3.cmd(f"pub {other} 120 - <{other}>;appearance-index=1;appearance-state=active"), 200)["etag"]
    n1.wait_async(rf"^notify {w} call-info active .*apps=2:seized:seize$")
    # And many more: 30 watchers over 10 lines, a seize on each line.
    many = []
    for i in range(30):
        n = nodes[i % 3]
        many.append((n, response(n.cmd(f"sub sip:many{i % 10}@example.com sip:w{i}@example.com call-info 600"),
                                 200)["sub"]))
    for i in range(10):
        response(nodes[i % 3].cmd(f"sub sip:many{i}@example.com sip:s{i}@example.com line-seize 15 {i + 1}"), 200)
    redis.stop()
    redis.start()
    for n, sub in many:
        response(n.cmd(f"refresh {sub} 600"), 200)
    for i in range(10):
        shown = nodes[(i + 1) % 3].cmd(f"show sip:many{i}@example.com")
        check(shown == [f"line=sip:many{i}@example.com apps={i + 1}:seized:seize"], f"line many{i}: {shown}")
    # The first command after the restart may meet the closed connection;
    # the component reconnects and sends the (idempotent) load again.
    r = n1.cmd(f"refresh {w} 600")
    response(r, 200)
    check(any(re.match(rf"notify {w} call-info active .*apps=2:seized:seize$", l) for l in r), f"refresh: {r}")
    # Messages sent while the subscription connection was down are lost:
    # after reconnecting, node 1 NOTIFYs its watchers the line as stored.
    n1.wait_async(rf"^notify {w} call-info active .*apps=2:seized:seize$")
    response(n3.cmd(f"sub {LINE} sip:carol@example.com line-seize 60 2"), 480)
    response(n2.cmd(f"pub {other} 120 {etag} -"), 200)
    check(n3.cmd(f"show {other}") == [f"line={other} apps=1:active:publication"], "publication lost")
    # Change messages flow again once the nodes have subscribed anew.
    n3.cmd(f"dialog {LINE} 9 callee early 1")
    n1.wait_async(rf"^notify {w} call-info active .*apps=1:alerting:dialog,2:seized:seize$")


NOTIFY_RX = r"^(?:~ )?notify {} (\S+) active seized=\d+ (?:version=(\d+) )?line=\S+ apps=(\S+)$"


def notifies(node, sub):
    """(version or None, apps) of each active NOTIFY `node` sent to `sub`, in the order it sent them."""
    rx = re.compile(NOTIFY_RX.format(sub))
    return [(int(m.group(2)) if m.group(2) else None, m.group(3)) for m in map(rx.match, node.log) if m]


def wait_notifies(node, sub, count):
    deadline = time.monotonic() + WAIT
    while len(notifies(node, sub)) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Fail(f"node {node.number}: {count} NOTIFYs to {sub} not seen within {WAIT}s: {notifies(node, sub)}")
        line = node.readline(left)
        check(line.startswith("~ "), f"node {node.number}: unexpected output {line}")
        node.async_lines.append(line[2:])
    return notifies(node, sub)


def dialog_shared_versions(nodes, redis):
    """RFC 7463 watcher on node 1, call-info watcher on node 2, changes on node 3: each watcher hears its
    own node, the same states, and the dialog-info versions count 0, 1, 2, ... (RFC 4235 4.1)."""
    n1, n2, n3 = nodes
    for n in nodes:
        n.cmd("time 1000")
    d = response(n1.cmd(f"sub {LINE} sip:alice@example.com dialog;shared 600"), 200)["sub"]
    c = response(n2.cmd(f"sub {LINE} sip:bob@example.com call-info 600"), 200)["sub"]
    check(notifies(n1, d) == [(0, "-")] and notifies(n2, c) == [(None, "-")], "initial NOTIFYs")
    steps = [(n3, f"dialog {LINE} 77 caller early 1"), (n3, f"dialog {LINE} 77 caller confirmed 1"),
             (n3, f"pub {LINE} 120 - <{LINE}>;appearance-index=2;appearance-state=held"),
             (n3, f"update {LINE} 3 held"),
             (n1, f"update {LINE} 4 held"),  # a change on the watcher's own node, between others'
             (n3, f"dialog {LINE} 77 caller terminated 1"), (n3, f"release {LINE} 3")]
    for i, (node, command) in enumerate(steps, start=2):
        node.cmd(command)
        shown = n3.cmd(f"show {LINE}")[0].split("apps=")[1]
        ds, cs = wait_notifies(n1, d, i), wait_notifies(n2, c, i)
        check(ds[-1][1] == shown and cs[-1][1] == shown, f"`{command}`: watchers saw {ds[-1]} {cs[-1]}, Redis {shown}")
    check(len(notifies(n1, d)) == len(notifies(n2, c)) == len(steps) + 1, "a NOTIFY too many")
    check([a for _, a in notifies(n1, d)] == [a for _, a in notifies(n2, c)], "the watchers saw different states")
    check([v for v, _ in notifies(n1, d)] == list(range(len(steps) + 1)), f"dialog-info versions {notifies(n1, d)}")
    for n, sub in ((n1, d), (n2, c)):
        check(not any(f"notify {sub} " in l for other in nodes if other is not n for l in other.log),
              f"a NOTIFY to {sub} came from another node")
    # A refresh reaching node 2 takes the next version there; node 1 numbers on after it.
    last = notifies(n1, d)[-1][0]
    r = n2.cmd(f"refresh {d} 600 dialog;shared")
    response(r, 200)
    check(any(re.match(rf"notify {d} dialog;shared active seized=0 version={last + 1} ", l) for l in r), f"refresh: {r}")
    n3.cmd(f"dialog {LINE} 78 callee early 1")
    check(wait_notifies(n1, d, len(steps) + 2)[-1][0] == last + 2, f"after the refresh: {notifies(n1, d)}")
    wait_notifies(n2, c, len(steps) + 2)
    # Three nodes change the line at once: still one more per NOTIFY, and both end on the stored line.
    before_d, before_c = len(notifies(n1, d)), len(notifies(n2, c))
    burst = [(n3, f"dialog {LINE} 80 callee early 5"), (n2, f"update {LINE} 6 held"), (n1, f"update {LINE} 7 held")]
    for node, command in burst:
        node.send(command)
    for node, command in burst:
        status, lines = node.answer()
        check(status == "ok", f"`{command}`: {status} {lines}")
    ds, cs = wait_notifies(n1, d, before_d + 3), wait_notifies(n2, c, before_c + 3)
    shown = n3.cmd(f"show {LINE}")[0].split("apps=")[1]
    check(ds[-1][1] == shown and cs[-1][1] == shown, f"after the burst: {ds[-3:]} {cs[-3:]}, Redis {shown}")
    versions = [v for v, _ in notifies(n1, d)]
    versions[len(steps) + 1:len(steps) + 1] = [last + 1]  # the refresh's NOTIFY, sent by node 2
    check(versions == list(range(len(versions))), f"dialog-info versions {versions}")
    print(f"dialog;shared versions {versions[0]}..{versions[-1]}, no gap or repeat")


def ending(nodes, redis):
    """Ending subscriptions through the shared storage, with the same calls as in memory:
    a failed NOTIFY and end_subscription() find the line in the index; end_all_subscriptions()
    ends only the subscriptions whose dialogs the node holds."""
    n1, n2, n3 = nodes
    for n in nodes:
        n.cmd("time 1000")
    w1 = response(n1.cmd(f"sub {LINE} sip:alice@example.com call-info 600"), 200)["sub"]
    w2 = response(n2.cmd(f"sub {LINE} sip:bob@example.com call-info 600"), 200)["sub"]
    s3 = response(n3.cmd(f"sub {LINE} sip:carol@example.com line-seize 60 2"), 200)["sub"]
    n1.wait_async(rf"^notify {w1} call-info active .*apps=2:seized:seize$")
    n2.wait_async(rf"^notify {w2} call-info active .*apps=2:seized:seize$")
    # The seize's NOTIFY failed with 481 on node 3: removed, no NOTIFY to it,
    # the seize released, the watchers on nodes 1 and 2 told.
    r = n3.cmd(f"failed {s3} 481")
    check(r[-1] == "failed ended", f"failed: {r}")
    check(not any(l.startswith(f"notify {s3} ") for l in r), f"a NOTIFY to a failed subscription: {r}")
    n1.wait_async(rf"^notify {w1} call-info active .*apps=-$")
    n2.wait_async(rf"^notify {w2} call-info active .*apps=-$")
    check(n3.cmd(f"failed {s3} 481")[-1] == "failed unknown", "a removed subscription ended twice")
    check(n3.cmd(f"failed {w1} 500")[-1] == "failed kept", "500 ended a subscription")
    # Node 1 stops: only its own watcher ends; node 2's stays.
    r = n1.cmd("endall")
    check(r[-1] == "endall 1", f"endall: {r}")
    check(any(l.startswith(f"notify {w1} call-info terminated;deactivated") for l in r), f"endall: {r}")
    response(n2.cmd(f"refresh {w2} 600"), 200)
    # Node 3 ends node 2's watcher: node 2 sends the terminated NOTIFY.
    check(n3.cmd(f"end {w2} deactivated")[-1] == "end ended", "end_subscription through node 3")
    n2.wait_async(rf"^notify {w2} call-info terminated;deactivated ")
    check(n1.cmd(f"show {LINE}") == [f"line={LINE} apps=-"], "line not idle")


TESTS = {
    "cross-server-notify": cross_server_notify,
    "seize-race": seize_race,
    "publish-etag": publish_etag,
    "node-killed": node_killed,
    "redis-restart": redis_restart,
    "dialog-shared-versions": dialog_shared_versions,
    "ending": ending,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--node", required=True)
    ap.add_argument("--redis-server", required=True)
    ap.add_argument("--nodes", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="callinfo-redis-") as tmp:
        redis = Redis(args.redis_server, tmp)
        nodes = []
        try:
            redis.start()
            nodes = [Node(args.node, redis.port, i + 1) for i in range(args.nodes)]
            started = time.monotonic()
            TESTS[args.test](nodes, redis)
            print(f"{args.test}: ok ({time.monotonic() - started:.2f}s)")
            return 0
        except Fail as e:
            print(f"{args.test}: FAILED: {e}")
            return 1
        finally:
            for n in nodes:
                n.quit()
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
