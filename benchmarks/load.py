"""Load test: 50 people of the three roles at once against gunicorn, for 60 seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_load_bench \\
        .venv/bin/python -m benchmarks.load [--port 8089] [--users 50] [--seconds 60]

or ``make load``. Steps:

1. drop and recreate the database (its name must contain "bench") with the regional data
   set (``--keep`` reuses what is there);
2. make an API token for each person the simulated users play, and note their ids
   (``var/load/people.json``);
3. start gunicorn on 127.0.0.1 (production settings: DEBUG off, the real throttles);
4. run locust headless (``benchmarks/locustfile.py``): ``--users`` users arriving over
   five seconds, for ``--seconds`` seconds;
5. stop gunicorn, print requests per second, p50, p95 and errors, and write them to
   docs/benchmarks.md. Exits 1 when any request failed.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.docs import replace_block

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "var" / "load"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_load_bench"
MARK_START = "<!-- bench-load:start (written by benchmarks/load.py) -->"
MARK_END = "<!-- bench-load:end -->"
PER_ROLE = 60


def server_env(port: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-test-only-not-a-secret-0123456789abcdef"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback, no proxy in front
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "60",
    }


def people() -> dict:
    """Tokens and ids of the people the simulated users play (regional programme)."""
    from django.db.models import Count

    from accounts.services import token_issue
    from actions.models import Action
    from programmes.models import Membership, Programme

    programme = Programme.objects.annotate(n=Count("partners")).order_by("-n", "pk").first()
    out = {"programme": programme.pk,
           "partners": list(programme.partners.values_list("pk", flat=True)[:200])}
    roles = {"lead": "partner_lead", "manager": "manager", "provider": "learning_provider"}
    for key, role in roles.items():
        out[key] = []
        members = Membership.objects.filter(programme=programme, role=role).select_related("user")
        for m in members.order_by("pk")[:PER_ROLE]:
            _, token = token_issue(actor=m.user)
            owned = Action.objects.filter(programme=programme).open()
            owned = owned.filter(owner=m.user) if role != "manager" else owned
            out[key].append({
                "user": m.user_id, "partner": m.partner_id, "token": token,
                "actions": list(owned.values_list("pk", flat=True)[:20]),
            })
    return out


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def summary(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
        failures = list(csv.DictReader(f))
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "p99": float(total["99%"]),
        "max": float(total["Max Response Time"]),
        "endpoints": [r for r in rows if r["Name"] != "Aggregated"],
        "failure_rows": failures,
    }


def write_docs(result: dict, args, workers: int) -> None:
    from benchmarks.reminders import machine

    info = machine()
    lines = [
        MARK_START, "",
        f"Latest run, {info.pop('Date')}: {args.users} users for {args.seconds} s against "
        f"gunicorn ({workers} sync workers) on 127.0.0.1, locust on the same machine, "
        "regional data set.", "",
        *[f"- {k}: {v}" for k, v in info.items()], "",
        "| requests | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['requests']:,} | {result['rps']:.1f} | {result['p50']:.0f} | "
        f"{result['p95']:.0f} | {result['p99']:.0f} | {result['max']:.0f} | "
        f"{result['failures']} |", "",
        "| request | count | p50 (ms) | p95 (ms) | errors |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {r['Type']} {r['Name']} | {int(r['Request Count']):,} | {float(r['50%']):.0f} | "
            f"{float(r['95%']):.0f} | {r['Failure Count']} |"
            for r in sorted(result["endpoints"], key=lambda r: -int(r["Request Count"]))
        ],
        "", MARK_END,
    ]
    replace_block(MARK_START, MARK_END, "\n".join(lines), heading="Load test")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--keep", action="store_true", help="Reuse the data set in the database.")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.update({k: v for k, v in server_env(args.port).items()
                       if k in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "LOG_LEVEL")})

    from benchmarks.scale import _setup_django, prepare

    _setup_django()
    from django.db import connections

    if not args.keep:
        prepare("regional")
    OUT.mkdir(parents=True, exist_ok=True)
    people_file = OUT / "people.json"
    people_file.write_text(json.dumps(people()), encoding="utf-8")
    connections.close_all()

    python = Path(sys.executable)
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [str(python), "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
         "--error-logfile", str(OUT / "gunicorn.log")],
        cwd=BASE_DIR, env=server_env(args.port),
    )
    try:
        if not wait_for(f"http://127.0.0.1:{args.port}/healthz", 30):
            print("gunicorn did not answer /healthz within 30 s; see var/load/gunicorn.log",
                  file=sys.stderr)
            return 1
        prefix = OUT / "locust"
        locust = python.parent / "locust"
        subprocess.run(  # noqa: S603
            [str(locust), "-f", str(BASE_DIR / "benchmarks" / "locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(max(1, args.users // 5)),
             "--run-time", f"{args.seconds}s", "--host", f"http://127.0.0.1:{args.port}",
             "--csv", str(prefix), "--only-summary", "--stop-timeout", "5"],
            cwd=BASE_DIR, env={**os.environ, "LOAD_PEOPLE": str(people_file)}, check=False,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    result = summary(prefix)
    print(f"\n{result['requests']:,} requests, {result['rps']:.1f}/s, p50 {result['p50']:.0f} ms, "
          f"p95 {result['p95']:.0f} ms, errors {result['failures']}")
    for failure in result["failure_rows"]:
        print(f"  {failure['Method']} {failure['Name']}: {failure['Occurrences']}× "
              f"{failure['Error']}")
    if not args.no_docs:
        write_docs(result, args, args.workers)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
