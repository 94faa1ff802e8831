"""Run mypy and hold it to a ratchet: no new errors, and the baseline only shrinks.

The baseline (``mypy-baseline.txt``) lists the errors the code had when type checking
began, one ``path: message  [code]`` per line (no line numbers, so edits elsewhere in a
file do not disturb it). The check fails when mypy reports an error the baseline does
not list, and also when the baseline lists one that is gone: then run
``make mypy-baseline`` so the ratchet tightens and the fix cannot be undone unseen.

    python scripts/mypy_ratchet.py            # check (make lint)
    python scripts/mypy_ratchet.py --update   # rewrite the baseline (may only shrink)
"""

import argparse
import re
import subprocess  # noqa: S404 - runs mypy, a fixed command
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
ERROR = re.compile(r"^(?P<path>[^:]+):\d+(?::\d+)?: error: (?P<rest>.*)$")


def current_errors() -> Counter[str]:
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"mypy could not run (exit {result.returncode})")
    found: Counter[str] = Counter()
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            found[f"{match['path']}: {match['rest']}"] += 1
    return found


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    lines = [line for line in BASELINE.read_text().splitlines() if line.strip()]
    return Counter(lines)


def write_baseline(errors: Counter[str]) -> None:
    lines = sorted(errors.elements())
    BASELINE.write_text("".join(f"{line}\n" for line in lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline")
    args = parser.parse_args()

    found = current_errors()
    baseline = read_baseline()
    new = found - baseline
    gone = baseline - found

    if args.update:
        if new and baseline:
            print("mypy: new errors cannot go into the baseline; fix them:")
            for line in sorted(new.elements()):
                print(f"  {line}")
            return 1
        write_baseline(found)
        print(f"mypy baseline: {sum(found.values())} errors ({sum(gone.values())} fewer)")
        return 0

    if new:
        print(f"mypy: {sum(new.values())} new errors (not in {BASELINE.name}):")
        for line in sorted(new.elements()):
            print(f"  {line}")
    if gone:
        print(f"mypy: {sum(gone.values())} errors of {BASELINE.name} are fixed; "
              "run `make mypy-baseline` to shrink it:")
        for line in sorted(gone.elements()):
            print(f"  {line}")
    if new or gone:
        return 1
    print(f"mypy: no new errors ({sum(found.values())} left in {BASELINE.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
