#!/usr/bin/env python3
"""Golden test of callinfo-inspect: run it, compare stdout and the exit status.

usage: run_golden.py CLI EXPECT STATUS [--stdin FILE] [--stderr] [--json] [-- CLI-ARGS...]

CLI       the callinfo-inspect executable
EXPECT    file holding the exact expected stdout (bytes); with --stderr,
          stdout then stderr
STATUS    the expected exit status
--stdin   file fed to stdin (otherwise stdin is empty)
--stderr  stderr is part of the expected output (otherwise it is shown, not
          compared)
--json    every line of stdout must be a JSON object: nothing else (no
          plain-text diagnostic) may be mixed into the output

With CALLINFO_UPDATE_GOLDEN=1 in the environment, EXPECT is rewritten with
the actual output instead (the exit status is still checked).
"""

import difflib
import json
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
    with_stderr = "--stderr" in args
    if with_stderr:
        args.remove("--stderr")
    json_lines = "--json" in args
    if json_lines:
        args.remove("--json")
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

    actual = run.stdout + (run.stderr if with_stderr else b"")

    failed = False
    if run.returncode != status:
        print(f"exit status {run.returncode}, expected {status}")
        failed = True
    if run.stderr and not with_stderr:
        print("stderr:\n" + run.stderr.decode("utf-8", "backslashreplace"))
    if json_lines:
        for number, line in enumerate(run.stdout.split(b"\n")[:-1], 1):
            try:
                ok = isinstance(json.loads(line), dict)
            except ValueError:
                ok = False
            if not ok:
                print(f"stdout line {number} is not a JSON object: {line.decode('utf-8', 'backslashreplace')}")
                failed = True
        if run.stdout and not run.stdout.endswith(b"\n"):
            print("stdout does not end with a newline")
            failed = True

    if os.environ.get("CALLINFO_UPDATE_GOLDEN") == "1":
        with open(expect_path, "wb") as f:
            f.write(actual)
        print(f"updated {expect_path}")
        return 1 if failed else 0

    with open(expect_path, "rb") as f:
        expected = f.read()
    if actual != expected:
        failed = True
        print(f"stdout differs from {expect_path}:")
        decode = lambda b: b.decode("utf-8", "backslashreplace").splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(decode(expected), decode(actual),
                                                   "expected", "actual"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
