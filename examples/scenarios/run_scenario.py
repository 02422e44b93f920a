#!/usr/bin/env python3
"""Scenario test: play a scenario with callinfo-play and diff its output.

usage: run_scenario.py PLAY SCENARIO EXPECTED [--status N] [--stderr] [--stdin] [-- PLAY-ARGS...]

PLAY      the callinfo-play executable
SCENARIO  the NAME.scn file
EXPECTED  the exact expected output (stdout; with --stderr, stdout then stderr)
--status  the expected exit status (default 0)
--stdin   feed SCENARIO to stdin and run PLAY with PLAY-ARGS alone (which
          name `-` to read it); otherwise stdin is empty and SCENARIO's name
          is the last argument

With CALLINFO_UPDATE_GOLDEN=1 in the environment, EXPECTED is rewritten with
the actual output instead (the exit status is still checked). Review the
change by hand: an expected file that records a bug is worse than none.
"""

import difflib
import os
import subprocess
import sys


def main(argv):
    args = argv[1:]
    play_args = []
    if "--" in args:
        cut = args.index("--")
        args, play_args = args[:cut], args[cut + 1:]
    status = 0
    if "--status" in args:
        at = args.index("--status")
        status = int(args[at + 1])
        del args[at:at + 2]
    with_stderr = "--stderr" in args
    if with_stderr:
        args.remove("--stderr")
    scenario_on_stdin = "--stdin" in args
    if scenario_on_stdin:
        args.remove("--stdin")
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    play, scenario, expected_path = args
    # Run from the scenario's directory so that error messages name the file
    # the same way wherever the build directory is.
    name = [] if scenario_on_stdin else [os.path.basename(scenario)]
    with open(scenario, "rb") if scenario_on_stdin else open(os.devnull, "rb") as stdin:
        run = subprocess.run([os.path.abspath(play)] + play_args + name,
                             cwd=os.path.dirname(os.path.abspath(scenario)), stdin=stdin,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    actual = run.stdout + (run.stderr if with_stderr else b"")

    failed = False
    if run.returncode != status:
        print(f"exit status {run.returncode}, expected {status}")
        failed = True
    if run.stderr and not with_stderr:
        print("stderr:\n" + run.stderr.decode("utf-8", "backslashreplace"))
        failed = True

    if os.environ.get("CALLINFO_UPDATE_GOLDEN") == "1":
        with open(expected_path, "wb") as f:
            f.write(actual)
        print(f"updated {expected_path}")
        return 1 if failed else 0

    with open(expected_path, "rb") as f:
        expected = f.read()
    if actual != expected:
        failed = True
        print(f"output differs from {expected_path}:")
        decode = lambda b: b.decode("utf-8", "backslashreplace").splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(decode(expected), decode(actual), "expected", "actual"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
