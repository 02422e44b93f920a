#!/usr/bin/env python3
"""sca-server's digest authentication and line Authorizer (suite 'system').

    auth_test.py --server PATH --case NAME [--sipp PATH]

Starts sca-server on a free udp port of 127.0.0.1 with --credentials
(tests/system/auth/credentials, realm sca-test: alice may use line bob,
dave too, carol is a known user of no line) and plays one case:

  sipp-md5           SIPp ([authentication], -au/-ap) SUBSCRIBEs: 401, then
                     200 and the initial NOTIFY (server offers MD5 only:
                     SIPp 3.6 answers nothing else)
  sipp-wrong-password  the same with a wrong password: 401, then 403
  sha256             the challenge: two WWW-Authenticate, SHA-256 first,
                     qop="auth"; SHA-256 credentials accepted, MD5 too
  not-on-line        carol (authenticated) SUBSCRIBEs call-info, seizes and
                     PUBLISHes line bob: 403 each; alice's seize: 200
  takeover           dave PUBLISHes with the SIP-If-Match of alice's
                     publication: 403; alice's refresh: 200
  stale-and-replay   an expired nonce: 401 with stale=true; a nonce-count
                     used twice: 401
  proxy              dialog-driven mode: a BYE without credentials gets 407
                     with Proxy-Authenticate; an INVITE as line bob by carol
                     gets 403; a CANCEL is not challenged

Every case fails against an sca-server without authentication. Stops only
what it started; every wait is bounded.
"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "support"))
from sip_agent import WAIT, Agent, Fail, check, free_udp_port, header  # noqa: E402

REALM = "sca-test"
PASSWORDS = {"alice": "alice-secret", "carol": "carol-secret", "dave": "dave-secret"}
LINE = "sip:bob@127.0.0.1"


def challenges(headers, name="www-authenticate"):
    """Each challenge of the response as (algorithm, {param: value})."""
    out = []
    for n, v in headers:
        if n != name:
            continue
        check(v.startswith("Digest "), f"{name} is not Digest: {v}")
        params = dict((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
                      for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', v))
        out.append((params.get("algorithm", "MD5"), params))
    return out


def credentials(user, method, uri, challenge, nc=1, password=None, name="Authorization"):
    algorithm, p = challenge
    h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm]
    H = lambda s: h(s.encode()).hexdigest()  # noqa: E731
    ha1 = H(f"{user}:{p['realm']}:{password or PASSWORDS[user]}")
    cnonce = uuid.uuid4().hex[:16]
    ncs = f"{nc:08x}"
    response = H(f"{ha1}:{p['nonce']}:{ncs}:{cnonce}:auth:{H(method + ':' + uri)}")
    return (f'{name}: Digest username="{user}", realm="{p["realm"]}", nonce="{p["nonce"]}", uri="{uri}", '
            f'response="{response}", algorithm={algorithm}, qop=auth, nc={ncs}, cnonce="{cnonce}"')


class Session:
    """One sca-server; requests with or without credentials."""

    def __init__(self, server, tmp, extra_args):
        self.port = free_udp_port()
        self.log_path = os.path.join(tmp, "sca-server.log")
        self.log = open(self.log_path, "w+")
        cmd = [server, "--port", str(self.port), "--credentials", os.path.join(here, "credentials"),
               "--realm", REALM, "--line-user", "bob=alice", "--line-user", "bob=dave"] + extra_args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + WAIT
        while "listening on" not in open(self.log_path).read():
            check(time.monotonic() < deadline and self.proc.poll() is None, "sca-server did not start")
            time.sleep(0.02)

    def uri(self, line=LINE):
        return line.replace("@127.0.0.1", f"@127.0.0.1:{self.port}")

    def send(self, agent, method, extra, line=LINE, uri=None):
        """(code, headers) of the final response to one request."""
        return agent.final_response(agent.request(method, uri or self.uri(line), self.port, line, extra))

    def authenticated(self, agent, method, extra, user, algorithm="SHA-256", line=LINE, password=None):
        """The request, challenged, then sent again with `user`'s credentials."""
        code, h = self.send(agent, method, extra, line)
        check(code == 401, f"{method} without credentials: {code}, expected 401")
        ch = next((c for c in challenges(h) if c[0] == algorithm), None)
        check(ch is not None, f"no {algorithm} challenge in {h}")
        uri = self.uri(line)
        return self.send(agent, method, extra + [credentials(user, method, uri, ch, password=password)], line)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


SUBSCRIBE_CALL_INFO = ["Event: call-info", "Expires: 600"]
SEIZE = ["Event: line-seize", "Expires: 30", "Call-Info: <sip:bob@127.0.0.1>;appearance-index=1"]
PUBLISH_ALERTING = ["Event: call-info", "Expires: 60",
                    "Call-Info: <sip:bob@127.0.0.1>;appearance-index=1;appearance-state=alerting"]


def run_sipp(args, s, tmp, password):
    users = os.path.join(tmp, "users.csv")
    with open(users, "w") as f:
        f.write("SEQUENTIAL\nalice;\n")
    errors = os.path.join(tmp, "sipp-errors.log")
    cmd = ["timeout", "30", args.sipp, f"127.0.0.1:{s.port}", "-sf", os.path.join(here, "subscribe-md5.xml"),
           "-s", "bob", "-inf", users, "-au", "alice", "-ap", password,
           # SIPp's digest uri is sip:REMOTE by default; the server wants the Request-URI.
           "-auth_uri", f"bob@127.0.0.1:{s.port}",
           "-m", "1", "-i", "127.0.0.1", "-p", str(free_udp_port()), "-timeout", "15", "-timeout_error",
           "-trace_err", "-error_file", errors]
    status = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=tmp).returncode
    return status, open(errors).read() if os.path.exists(errors) else ""


def case_sipp_md5(args, s, tmp):
    status, errors = run_sipp(args, s, tmp, PASSWORDS["alice"])
    check(status == 0, f"SIPp exit status {status}: {errors}")
    log = open(s.log_path).read()
    check("answered 401" in log and "SUBSCRIBE by user 'alice'" in log, "the server did not challenge, then accept")


def case_sipp_wrong_password(args, s, tmp):
    status, errors = run_sipp(args, s, tmp, "not-the-password")
    check(status != 0, "SIPp passed with a wrong password")
    check("received 'SIP/2.0 403" in errors, f"no 403 to the wrong password: {errors}")


def case_sha256(args, s, tmp):
    alice = Agent("alice")
    code, h = s.send(alice, "SUBSCRIBE", SUBSCRIBE_CALL_INFO)
    check(code == 401, f"SUBSCRIBE without credentials: {code}, expected 401")
    ch = challenges(h)
    check([a for a, _ in ch] == ["SHA-256", "MD5"], f"challenges {ch}: expected SHA-256 then MD5")
    for a, p in ch:
        check(p.get("qop") == "auth" and p.get("realm") == REALM and len(p.get("nonce", "")) >= 32, f"challenge {p}")
        check("stale" not in p, f"a fresh challenge says stale: {p}")
    code, _ = s.send(alice, "SUBSCRIBE", SUBSCRIBE_CALL_INFO + [credentials("alice", "SUBSCRIBE", s.uri(), ch[0])])
    check(code == 200, f"SUBSCRIBE with SHA-256 credentials: {code}, expected 200")
    alice.wait_notify(r"appearance-state=idle")
    code, _ = s.authenticated(Agent("alice"), "SUBSCRIBE", SUBSCRIBE_CALL_INFO, "alice", "MD5")
    check(code == 200, f"SUBSCRIBE with MD5 credentials: {code}, expected 200")
    code, _ = s.authenticated(Agent("alice"), "SUBSCRIBE", SUBSCRIBE_CALL_INFO, "alice", "SHA-256", password="bad")
    check(code == 403, f"SUBSCRIBE with a wrong password: {code}, expected 403")
    # dave has an MD5 HA1 only.
    code, _ = s.authenticated(Agent("dave"), "SUBSCRIBE", SUBSCRIBE_CALL_INFO, "dave", "SHA-256")
    check(code == 403, f"SHA-256 for a user without a SHA-256 HA1: {code}, expected 403")


def case_not_on_line(args, s, tmp):
    carol = Agent("carol")
    for what, method, extra in [("call-info SUBSCRIBE", "SUBSCRIBE", SUBSCRIBE_CALL_INFO),
                                ("line-seize", "SUBSCRIBE", SEIZE), ("PUBLISH", "PUBLISH", PUBLISH_ALERTING),
                                ("dialog;shared SUBSCRIBE", "SUBSCRIBE", ["Event: dialog;shared", "Expires: 600"])]:
        code, _ = s.authenticated(carol, method, extra, "carol")
        check(code == 403, f"{what} by carol (not a user of bob): {code}, expected 403")
    code, _ = s.authenticated(Agent("alice"), "SUBSCRIBE", SEIZE, "alice")
    check(code == 200, f"line-seize by alice: {code}, expected 200")


def case_takeover(args, s, tmp):
    code, h = s.authenticated(Agent("alice"), "PUBLISH", PUBLISH_ALERTING, "alice")
    check(code == 200, f"PUBLISH by alice: {code}, expected 200")
    etag = header(h, "sip-etag")
    check(etag is not None, "no SIP-ETag in the 200 to the PUBLISH")
    refresh = ["Event: call-info", "Expires: 60", f"SIP-If-Match: {etag}"]
    code, _ = s.authenticated(Agent("dave"), "PUBLISH", refresh, "dave", "MD5")
    check(code == 403, f"dave's PUBLISH with alice's SIP-If-Match: {code}, expected 403")
    code, _ = s.authenticated(Agent("alice"), "PUBLISH", refresh, "alice")
    check(code == 200, f"alice's refresh of her publication: {code}, expected 200")


def case_stale_and_replay(args, s, tmp):
    alice = Agent("alice")
    code, h = s.send(alice, "SUBSCRIBE", SUBSCRIBE_CALL_INFO)
    check(code == 401, f"SUBSCRIBE without credentials: {code}, expected 401")
    old = challenges(h)[0]
    time.sleep(2.2)  # --nonce-lifetime 1
    code, h = s.send(alice, "SUBSCRIBE", SUBSCRIBE_CALL_INFO + [credentials("alice", "SUBSCRIBE", s.uri(), old)])
    check(code == 401, f"credentials with an expired nonce: {code}, expected 401")
    fresh = challenges(h)
    check(all(p.get("stale") == "true" for _, p in fresh) and fresh, f"no stale=true in {fresh}")
    auth = credentials("alice", "SUBSCRIBE", s.uri(), fresh[0])
    code, _ = s.send(alice, "SUBSCRIBE", SUBSCRIBE_CALL_INFO + [auth])
    check(code == 200, f"credentials with the new nonce: {code}, expected 200")
    code, _ = s.send(Agent("alice"), "SUBSCRIBE", SUBSCRIBE_CALL_INFO + [auth])
    check(code == 401, f"the same nonce-count again (a replay): {code}, expected 401")
    code, _ = s.send(Agent("alice"), "SUBSCRIBE",
                     SUBSCRIBE_CALL_INFO + [credentials("alice", "SUBSCRIBE", s.uri(), fresh[0], nc=2)])
    check(code == 200, f"the next nonce-count: {code}, expected 200")


def case_proxy(args, s, tmp):
    # A BYE forged from a call's Call-ID and tags: challenged, not relayed.
    intruder = Agent("alice")
    bye = ["Route: <sip:127.0.0.1:%d;lr>" % s.port]
    code, h = s.send(intruder, "BYE", bye, line="sip:alice@127.0.0.1", uri="sip:alice@127.0.0.1:%d" % intruder.port)
    check(code == 407, f"BYE without credentials: {code}, expected 407")
    ch = challenges(h, "proxy-authenticate")
    check([a for a, _ in ch] == ["SHA-256", "MD5"], f"Proxy-Authenticate {ch}: expected SHA-256 then MD5")
    check(not challenges(h), "a 407 with WWW-Authenticate")
    # carol places a call as the shared line bob: authenticated, refused.
    as_bob = Agent("bob")
    uri = f"sip:alice@127.0.0.1:{s.port}"
    code, h = s.send(as_bob, "INVITE", [], line="sip:alice@127.0.0.1", uri=uri)
    check(code == 407, f"INVITE without credentials: {code}, expected 407")
    ch = challenges(h, "proxy-authenticate")[0]
    code, _ = s.send(as_bob, "INVITE", [credentials("carol", "INVITE", uri, ch, name="Proxy-Authorization")],
                     line="sip:alice@127.0.0.1", uri=uri)
    check(code == 403, f"INVITE as line bob by carol: {code}, expected 403")
    log = open(s.log_path).read()
    check("refused to user 'carol'" in log, "the server did not log the refused INVITE")
    # A CANCEL cannot be challenged (RFC 3261 §22.1): one matching no INVITE gets 481.
    code, _ = s.send(as_bob, "CANCEL", [], line="sip:alice@127.0.0.1", uri=uri)
    check(code == 481, f"CANCEL of no transaction: {code}, expected 481 (not challenged)")


CASES = {"sipp-md5": (case_sipp_md5, ["--digest-algorithms", "MD5"]),
         "sipp-wrong-password": (case_sipp_wrong_password, ["--digest-algorithms", "MD5"]),
         "sha256": (case_sha256, []),
         "not-on-line": (case_not_on_line, []),
         "takeover": (case_takeover, []),
         "stale-and-replay": (case_stale_and_replay, ["--nonce-lifetime", "1"]),
         "proxy": (case_proxy, ["--line", "bob", "--route", "alice=127.0.0.1:9"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--sipp", default="sipp")
    args = ap.parse_args()
    run, extra = CASES[args.case]
    with tempfile.TemporaryDirectory(prefix="callinfo-auth-") as tmp:
        s = Session(args.server, tmp, extra)
        try:
            run(args, s, tmp)
        except Fail as e:
            print(f"FAIL {args.case}: {e}")
            print("--- sca-server log ---")
            print(open(s.log_path).read()[-4000:])
            return 1
        finally:
            s.stop()
    print(f"ok {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
