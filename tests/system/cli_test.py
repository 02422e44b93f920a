#!/usr/bin/env python3
"""sca-server's command line: --version, -h / --help, a wrong argument.

    cli_test.py --server PATH --version X.Y.Z

  - `--version` prints exactly "sca-server (callinfo) X.Y.Z" (the meson
    project's version) on stdout, nothing on stderr, exit status 0;
  - `-h` and `--help` print the usage on stdout (naming every option,
    --version included), nothing on stderr, exit status 0;
  - an unknown argument, an option without its value, a zero
    --transaction-timeout and a --line no NOTIFY could carry (an unescaped
    non-ASCII user) print the usage on stderr and exit 2.
No server keeps running: each run exits at once (bounded by a timeout).
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from sip_agent import free_udp_port  # noqa: E402

OPTIONS = ["--port", "--dialect", "--route", "--line", "--state", "--quiet", "--transaction-timeout", "--redis",
           "--node", "--credentials", "--realm", "--line-user", "--digest-algorithms", "--nonce-lifetime",
           "--version", "--help"]


def run(server, *args):
    """(exit status, stdout, stderr); a server still running after 10 s is
    killed and reported with status None."""
    try:
        r = subprocess.run([server, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None, "", "still running after 10 s"
    return r.returncode, r.stdout, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--version", required=True, help="the project's version")
    args = ap.parse_args()
    failures = []

    def expect(what, cond, detail=""):
        print(f"{'ok  ' if cond else 'FAIL'}  {what}" + ("" if cond else f": {detail}"))
        if not cond:
            failures.append(what)

    code, out, err = run(args.server, "--version")
    want = f"sca-server (callinfo) {args.version}\n"
    expect("--version prints the project's version", (code, out, err) == (0, want, ""),
           f"exit {code}, stdout {out!r}, stderr {err!r} (expected exit 0, stdout {want!r})")
    for flag in ("-h", "--help"):
        code, out, err = run(args.server, flag)
        missing = [o for o in OPTIONS if o not in out]
        expect(f"{flag} prints the usage",
               code == 0 and out.startswith("usage: sca-server") and not err and not missing,
               f"exit {code}, stderr {err!r}, options missing from the usage: {missing}")
    # A --line no NOTIFY could carry (an unescaped non-ASCII user) is refused
    # at start, on a free port in case it is not.
    port = str(free_udp_port())
    for bad in (["--bogus"], ["--port"], ["--transaction-timeout", "0"], ["--port", port, "--line", "b\u00f8b"]):
        code, out, err = run(args.server, *bad)
        expect(f"{' '.join(bad)} is refused with the usage", code == 2 and "usage: sca-server" in err and not out,
               f"exit {code}, stdout {out!r}, stderr {err!r}")
    # GNU forms (examples/common/cli.hpp): a missing value names the option,
    # and --name=VALUE is read as --name VALUE.
    code, out, err = run(args.server, "--port")
    expect("--port without its value names the option", code == 2 and "option '--port' needs a value" in err,
           f"exit {code}, stderr {err!r}")
    code, out, err = run(args.server, "--transaction-timeout=0")
    expect("--transaction-timeout=0 is read as --transaction-timeout 0",
           code == 2 and "bad --transaction-timeout '0'" in err, f"exit {code}, stderr {err!r}")
    # --version is acted on where it stands, as --help is.
    code, out, err = run(args.server, "--version", "--bogus")
    expect("--version before a wrong argument still prints the version", code == 0 and out == want,
           f"exit {code}, stdout {out!r}")
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
