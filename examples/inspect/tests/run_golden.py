#!/usr/bin/env python3
"""Golden test of callinfo-inspect: run it, compare stdout and the exit status.

usage: run_golden.py CLI EXPECT STATUS [--stdin FILE] [-- CLI-ARGS...]

CLI      the callinfo-inspect executable
EXPECT   file holding the exact expected stdout (bytes)
STATUS   the expected exit status
--stdin  file fed to stdin (otherwise stdin is empty)

With CALLINFO_UPDATE_GOLDEN=1 in the environment, EXPECT is rewritten with
the actual output instead (the exit status is still checked).
"""

import difflib
import os
import subprocess
import sys


def main(argv):
    args = argv[1:]
    cli_args = []
    if "--" in args:
        cut = args.index("--")
        args, cli_args = args[:cut], args[cut + 1:]
    stdin_path = None
    if "--stdin" in args:
        at = args.index("--stdin")
        stdin_path = args[at + 1]
        del args[at:at + 2]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cli, expect_path, status = args[0], args[1], int(args[2])

    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        run = subprocess.run([cli] + cli_args, stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=60)
    finally:
        if stdin_path:
            stdin.close()

    failed = False
    if run.returncode != status:
        print(f"exit status {run.returncode}, expected {status}")
        failed = True
    if run.stderr:
        print("stderr:\n" + run.stderr.decode("utf-8", "backslashreplace"))

    if os.environ.get("CALLINFO_UPDATE_GOLDEN") == "1":
        with open(expect_path, "wb") as f:
            f.write(run.stdout)
        print(f"updated {expect_path}")
        return 1 if failed else 0

    with open(expect_path, "rb") as f:
        expected = f.read()
    if run.stdout != expected:
        failed = True
        print(f"stdout differs from {expect_path}:")
        decode = lambda b: b.decode("utf-8", "backslashreplace").splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(decode(expected), decode(run.stdout),
                                                   "expected", "actual"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
