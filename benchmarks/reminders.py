"""Benchmark (not a test) of the daily action-reminder run on PostgreSQL.

For each size N it seeds N open actions with owners, due across a month around a
fixed run date, then measures

* the reminder run, ``notify_many(due_action_reminders(day))``: wall time, peak
  Python memory (tracemalloc) and the growth of the process's max RSS;
* the floor: one hand-written ``INSERT ... SELECT`` that creates the same
  notification rows (kind and occurrence from CASE expressions), plus the matching
  ``INSERT ... SELECT`` of their e-mail deliveries;

checks that both give the same rows, prints a table (ratio to the floor, target 3x;
memory growth between sizes) and writes it to docs/benchmarks.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench \\
        .venv/bin/python -m benchmarks.reminders [--sizes 10000,50000,100000]

or ``make bench-reminders``. Each measured run happens in a fresh child process
(this module with ``--measure``), so its max RSS is not hidden by the parent's
seeding. The run uses DEBUG=false (with DEBUG on, Django keeps the SQL of every
query, which costs time and memory production does not pay) and an in-memory
Celery broker (the run publishes one "send e-mails" task per batch; nothing
should land in a real queue). The database is emptied (TRUNCATE ... CASCADE), so
the script refuses a database whose name does not contain "bench" unless
``--force`` is given.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DOCS = BASE_DIR / "docs" / "benchmarks.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench"
DEFAULT_SIZES = "10000,50000,100000"
RUN_DATE = datetime.date(2026, 3, 16)  # a Monday; fixed so every run seeds the same shape
DAYS_AROUND = 15  # due dates from RUN_DATE - 15 to RUN_DATE + 15: a month
TARGET_RATIO = 3.0
FLAT_LIMIT = 1.5  # "flat": peak memory at the largest N at most 1.5x that at the smallest
SEED = 2026
SEED_BATCH = 5000
MARK_START = "<!-- bench-reminders:start (written by benchmarks/reminders.py) -->"
MARK_END = "<!-- bench-reminders:end -->"

TITLES = [
    "Agree a shared induction for health and care staff",
    "Map the partners' training budgets",
    "Set up joint supervision in the discharge team",
    "Publish the rotation scheme for care coordinators",
    "Review \u201ctrusted assessor\u201d arrangements with providers",
    "Draft the workforce data sharing agreement",
]
OPEN_STATUSES = ["not_started", "in_progress", "blocked"]


# Start-up ------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Production shape: DEBUG off (no query log). Production mode needs these two.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))

    import django

    django.setup()

    from django.conf import settings

    from config.celery import app

    # The run publishes a task after each batch; keep it in this process.
    app.conf.broker_url = "memory://localhost/"
    app.conf.broker_transport_options = {}
    if settings.DEBUG:
        print("warning: DEBUG is on; Django logs every query, which skews time and memory",
              file=sys.stderr)


def _require_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(
            f"This benchmark needs PostgreSQL; DATABASE_URL points to {connection.vendor}.\n"
            f"Try DATABASE_URL={DEFAULT_DATABASE_URL}"
        )


def _create_database_if_missing() -> None:
    import psycopg
    from django.conf import settings
    from psycopg import sql

    db = settings.DATABASES["default"]
    params = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() is None:
            print(f"creating database {db['NAME']}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


# Data ----------------------------------------------------------------------


def _tables() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from actions.models import Action
    from notifications.models import (
        EmailDelivery,
        Notification,
        NotificationPreference,
        OutboxMessage,
    )
    from programmes.models import Framework, Membership, Partner, Programme

    models = {
        "membership": Membership,
        "action": Action,
        "notification": Notification,
        "delivery": EmailDelivery,
        "preference": NotificationPreference,
        "outbox": OutboxMessage,
        "programme": Programme,
        "partner": Partner,
        "framework": Framework,
        "user": get_user_model(),
    }
    return {key: model._meta.db_table for key, model in models.items()}


def _execute(statement: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _truncate_notifications() -> None:
    t = _tables()
    _execute(
        f"TRUNCATE {t['delivery']}, {t['notification']}, {t['outbox']} RESTART IDENTITY CASCADE"
    )


def seed(n: int, owners: int, day: datetime.date) -> dict[str, int]:
    """N open actions with owners, due from ``day`` - 15 to ``day`` + 15."""
    from django.contrib.auth import get_user_model

    from actions.models import Action
    from notifications.models import NotificationPreference
    from programmes.models import Framework, Membership, Partner, Programme

    t = _tables()
    _execute(
        "TRUNCATE {action}, {notification}, {delivery}, {outbox}, {preference}, {programme}, "
        "{partner}, {framework}, {user} RESTART IDENTITY CASCADE".format(**t)
    )
    rng = random.Random(SEED)
    framework = Framework.objects.create(slug="bench", title="Benchmark framework", version="1")
    programme = Programme.objects.create(name="Benchmark programme", framework=framework)
    partner = Partner.objects.create(name="Benchmark partner", sector="nhs_trust")
    programme.partners.add(partner)
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"owner{i:04d}", email=f"owner{i:04d}@example.nhs.uk", password="!")
        for i in range(owners)
    )
    # Some preferences, so every e-mail status is exercised: 10% off, 10% weekly digest.
    NotificationPreference.objects.bulk_create(
        NotificationPreference(
            user=user,
            email_enabled=i % 10 != 0,
            email_frequency="weekly_digest" if i % 10 == 1 else "immediate",
        )
        for i, user in enumerate(users)
        if i % 10 in (0, 1)
    )
    # Owners are members of the programme (reminders go to members only).
    Membership.objects.bulk_create(
        Membership(programme=programme, user=user, role=Membership.Role.REVIEWER)
        for user in users
    )
    user_ids = [user.pk for user in users]
    windows = {"later": 0, "in_2_to_7_days": 0, "today_or_tomorrow": 0, "overdue": 0}
    done = 0
    while done < n:
        batch = []
        for i in range(done, min(done + SEED_BATCH, n)):
            offset = rng.randint(-DAYS_AROUND, DAYS_AROUND)
            key = (
                "later" if offset > 7
                else "in_2_to_7_days" if offset >= 2
                else "today_or_tomorrow" if offset >= 0
                else "overdue"
            )
            windows[key] += 1
            batch.append(
                Action(
                    programme=programme,
                    owner_partner=partner,
                    owner_id=rng.choice(user_ids),
                    title=f"{rng.choice(TITLES)} ({i + 1})",
                    due_date=day + datetime.timedelta(days=offset),
                    status=rng.choice(OPEN_STATUSES),
                )
            )
        Action.objects.bulk_create(batch)
        done += len(batch)
    _execute(f"VACUUM ANALYZE {t['action']}")
    _execute(f"VACUUM ANALYZE {t['user']}")
    _execute(f"VACUUM ANALYZE {t['preference']}")
    _execute(f"VACUUM ANALYZE {t['membership']}")
    return windows


# The floor -----------------------------------------------------------------

# The same rows actions/reminders.py and notifications/services.py make, in SQL.
# Python's f"{due:%A} {due.day} {due:%B %Y}" is to_char(due, 'FMDay FMDD FMMonth YYYY').
FLOOR_NOTIFICATIONS = """
WITH due AS (
    SELECT id, owner_id, due_date, title, due_date - %(day)s::date AS days_left,
           to_char(due_date, 'FMDay FMDD FMMonth YYYY') AS due_when,
           (SELECT p.name FROM programmes_programme p WHERE p.id = {action}.programme_id)
               AS programme_name
    FROM {action}
    WHERE status NOT IN ('done', 'cancelled')
      AND owner_id IS NOT NULL
      AND due_date IS NOT NULL
      AND due_date <= %(day)s::date + 7
      AND EXISTS (
          SELECT 1 FROM {membership} m JOIN {user} u ON u.id = m.user_id
          WHERE m.user_id = {action}.owner_id AND m.programme_id = {action}.programme_id
            AND u.is_active
      )
)
INSERT INTO {notification}
    (recipient_id, kind, subject_type, subject_id, due_date, occurrence, message, link,
     programme_name, created_at)
SELECT
    owner_id,
    CASE WHEN days_left >= 2 THEN 'action_due_in_7_days'
         WHEN days_left >= 0 THEN 'action_due_tomorrow'
         ELSE 'action_overdue' END,
    'action',
    id,
    due_date,
    CASE WHEN days_left >= 2 THEN due_date - 7
         WHEN days_left >= 0 THEN due_date - 1
         ELSE due_date + 1 + 7 * ((%(day)s::date - (due_date + 1)) / 7) END,
    CASE WHEN days_left < 0 THEN
             'Overdue: \u201c' || title || '\u201d was due on ' || due_when || ', '
             || -days_left || CASE WHEN days_left = -1 THEN ' day' ELSE ' days' END || ' ago.'
         WHEN days_left = 0 THEN
             'Due today: \u201c' || title || '\u201d is due today, ' || due_when || '.'
         WHEN days_left = 1 THEN
             'Due tomorrow: \u201c' || title || '\u201d is due on ' || due_when || '.'
         ELSE
             'Due soon: \u201c' || title || '\u201d is due in ' || days_left || ' days, on '
             || due_when || '.'
    END,
    '/actions/' || id || '/',
    programme_name,
    now()
FROM due
ON CONFLICT DO NOTHING
"""

FLOOR_DELIVERIES = """
INSERT INTO {delivery} (notification_id, recipient_id, status, attempts, last_error, created_at)
SELECT n.id, n.recipient_id,
       CASE WHEN p.email_enabled IS FALSE THEN 'skipped'
            WHEN p.email_frequency = 'weekly_digest' THEN 'digest'
            ELSE 'pending' END,
       0, '', now()
FROM {notification} n
LEFT JOIN {preference} p ON p.user_id = n.recipient_id
WHERE n.subject_type = 'action'
  AND NOT EXISTS (SELECT 1 FROM {delivery} e WHERE e.notification_id = n.id)
ON CONFLICT DO NOTHING
"""


def measure_floor(day: datetime.date) -> dict:
    """Each statement commits on its own (autocommit), as the run's batches do."""
    t = _tables()
    start = time.perf_counter()
    notifications = _execute(FLOOR_NOTIFICATIONS.format(**t), {"day": day})
    middle = time.perf_counter()
    deliveries = _execute(FLOOR_DELIVERIES.format(**t))
    end = time.perf_counter()
    return {
        "notifications_seconds": middle - start,
        "seconds": end - start,
        "notifications": notifications,
        "deliveries": deliveries,
    }


def fingerprint() -> dict:
    """Counts and checksums of what a run left: the keys, and the whole rows."""
    t = _tables()
    row = (
        "concat_ws('|', n.recipient_id, n.kind, n.subject_type, n.subject_id, n.occurrence, "
        "n.due_date, n.message, n.link, e.status, e.recipient_id)"
    )
    key = "concat_ws('|', n.recipient_id, n.kind, n.subject_id, n.occurrence)"
    order = "n.recipient_id, n.kind, n.subject_id, n.occurrence"
    from django.db import connection

    with connection.cursor() as cursor:
        # Table names come from the models' Meta, not from input.
        cursor.execute(
            f"SELECT count(*), count(e.id),"  # noqa: S608
            f" md5(coalesce(string_agg({key}, ',' ORDER BY {order}), '')),"
            f" md5(coalesce(string_agg({row}, ',' ORDER BY {order}), ''))"
            f" FROM {t['notification']} n"
            f" LEFT JOIN {t['delivery']} e ON e.notification_id = n.id"
        )
        notifications, deliveries, keys, rows = cursor.fetchone()
        cursor.execute(
            f"SELECT kind, count(*) FROM {t['notification']} GROUP BY kind ORDER BY kind"  # noqa: S608
        )
        kinds = dict(cursor.fetchall())
    return {
        "notifications": notifications,
        "deliveries": deliveries,
        "key_checksum": keys,
        "row_checksum": rows,
        "kinds": kinds,
    }


# The run, in a child process -----------------------------------------------


def _max_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _proc_status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_rss_peak() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) to the current RSS.

    getrusage's ru_maxrss cannot be reset, and in a child process it starts at the
    RSS of the parent it was forked from, so it would hide a run smaller than the
    parent; VmHWM after this reset is the run's own peak.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _proc_status_kib("VmHWM") is not None


def measure_run_here(day: datetime.date, mode: str) -> dict:
    """One reminder run in this process: ``timed`` (plain), ``traced`` or ``profile``."""
    from django.db import connection

    from actions.reminders import due_action_reminders
    from notifications.services import notify_many

    connection.ensure_connection()
    gc.collect()
    maxrss_before = _max_rss_kib()
    hwm = _reset_rss_peak()
    rss_before = _proc_status_kib("VmRSS") if hwm else None
    profiler = None
    if mode == "traced":
        tracemalloc.start()
    elif mode == "profile":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    created = notify_many(due_action_reminders(day))
    seconds = time.perf_counter() - start
    result = {"mode": mode, "seconds": seconds, "created": created}
    if mode == "traced":
        result["peak_traced_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
    result["getrusage_maxrss_delta_kib"] = _max_rss_kib() - maxrss_before
    if hwm:
        result["max_rss_delta_kib"] = _proc_status_kib("VmHWM") - rss_before
        result["rss_source"] = "VmHWM - VmRSS"
    else:
        result["max_rss_delta_kib"] = result["getrusage_maxrss_delta_kib"]
        result["rss_source"] = "getrusage ru_maxrss"
    return result


def measure_run(day: datetime.date, mode: str) -> dict:
    """The run in a fresh interpreter, so its max RSS is its own."""
    output = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "benchmarks.reminders", "--measure", mode,
         "--day", day.isoformat()],
        cwd=BASE_DIR,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# Reporting -----------------------------------------------------------------


def machine() -> dict[str, str]:
    from django import get_version
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        if match:
            ram = f"{int(match.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "RAM": ram,
        "PostgreSQL": f"{pg_version} (shared_buffers {shared_buffers}, "
        f"synchronous_commit {sync}, same host)",
        "Python": platform.python_version(),
        "Django": get_version(),
        "Date": datetime.date.today().isoformat(),  # noqa: DTZ011 - the machine's date
    }


def _mib(n_bytes: float) -> str:
    return f"{n_bytes / 1024 / 1024:.1f}"


def table(results: list[dict]) -> list[str]:
    lines = [
        "| N open actions | rows | run (s) | floor (s) | floor, notifications only (s) "
        "| ratio | peak traced (MiB) | max RSS growth (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['rows']:,} | {r['run_seconds']:.2f} | {r['floor_seconds']:.3f} "
            f"| {r['floor_notifications_seconds']:.3f} | {r['ratio']:.1f}\u00d7 "
            f"| {_mib(r['peak_traced_bytes'])} | {r['max_rss_delta_kib'] / 1024:.1f} |"
        )
    return lines


def verdicts(results: list[dict]) -> list[str]:
    lines = []
    missed = [r for r in results if r["ratio"] > TARGET_RATIO]
    if missed:
        worst = max(missed, key=lambda r: r["ratio"])
        lines.append(
            f"- 3\u00d7 target: **not met** at N = "
            f"{', '.join(format(r['n'], ',') for r in missed)} "
            f"(worst {worst['ratio']:.1f}\u00d7 at N = {worst['n']:,})."
        )
    else:
        lines.append(f"- 3\u00d7 target: **met** at every size (at most "
                     f"{max(r['ratio'] for r in results):.1f}\u00d7).")
    for before, after in zip(results, results[1:], strict=False):
        lines.append(
            f"- Memory from N = {before['n']:,} to {after['n']:,} "
            f"(N \u00d7{after['n'] / before['n']:.1f}): peak traced "
            f"\u00d7{after['peak_traced_bytes'] / max(before['peak_traced_bytes'], 1):.2f}, "
            f"max RSS growth {before['max_rss_delta_kib'] / 1024:.1f} \u2192 "
            f"{after['max_rss_delta_kib'] / 1024:.1f} MiB."
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = last["peak_traced_bytes"] / max(first["peak_traced_bytes"], 1)
        flat = growth <= FLAT_LIMIT
        lines.append(
            f"- Memory flat: **{'yes' if flat else 'no'}** (peak traced \u00d7{growth:.2f} "
            f"while N grows \u00d7{last['n'] / first['n']:.0f}; flat means at most "
            f"\u00d7{FLAT_LIMIT})."
        )
    mismatched = [r["n"] for r in results if not r["same_rows"]]
    lines.append(
        "- Same rows as the floor: "
        + ("**yes** at every size (count, key checksum and full-row checksum, "
           "e-mail statuses included)." if not mismatched
           else f"**no** at N = {', '.join(f'{n:,}' for n in mismatched)}.")
    )
    return lines


def write_docs(
    results: list[dict], about: dict[str, str], day: datetime.date, repeat: int
) -> None:
    block = [
        MARK_START,
        "",
        f"Latest run, {about['Date']}; run date {day.isoformat()}; run and floor times "
        f"are the fastest of {repeat}.",
        "",
        *(f"- {key}: {value}" for key, value in about.items() if key != "Date"),
        "",
        *table(results),
        "",
        *verdicts(results),
        "",
        MARK_END,
    ]
    generated = "\n".join(block)
    if DOCS.exists():
        text = DOCS.read_text()
    else:
        text = (
            "# Benchmarks\n\n"
            "Benchmarks are scripts, not tests: they measure, print a table and record it "
            "here. They need PostgreSQL.\n\n"
            "```sh\nmake bench-reminders\n```\n"
        )
    pattern = re.compile(re.escape(MARK_START) + r".*?" + re.escape(MARK_END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: generated, text)
    else:
        text = text.rstrip("\n") + "\n\n## Reminder run\n\n" + generated + "\n"
    DOCS.write_text(text)


# Main ----------------------------------------------------------------------


def _print_table(results: list[dict]) -> None:
    print()
    print("\n".join(table(results)))
    print()
    print("\n".join(verdicts(results)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"comma-separated numbers of open actions (default {DEFAULT_SIZES})")
    parser.add_argument("--owners", type=int, default=200, help="owners of the actions")
    parser.add_argument("--repeat", type=int, default=3,
                        help="time the run and the floor this many times, keep the fastest")
    parser.add_argument("--day", type=datetime.date.fromisoformat, default=RUN_DATE,
                        help=f"the run date (default {RUN_DATE})")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the run (cProfile) at the largest size")
    parser.add_argument("--no-docs", action="store_true",
                        help="do not write docs/benchmarks.md")
    parser.add_argument("--force", action="store_true",
                        help="allow a database whose name does not contain 'bench'")
    parser.add_argument("--measure", choices=["timed", "traced", "profile"],
                        help=argparse.SUPPRESS)  # internal: one run in a child process
    args = parser.parse_args(argv)

    _setup_django()
    _require_postgresql()
    if args.measure:
        print(json.dumps(measure_run_here(args.day, args.measure)))
        return 0

    from django.conf import settings
    from django.core.management import call_command

    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in name and not args.force:
        sys.exit(f"Refusing to empty database {name!r}: its name lacks 'bench' (use --force).")
    _create_database_if_missing()
    call_command("migrate", verbosity=0, interactive=False)

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results = []
    for n in sizes:
        print(f"N = {n:,}: seeding ...", flush=True)
        windows = seed(n, args.owners, args.day)
        print(f"  due windows: {windows}", flush=True)

        timed = []
        for _ in range(args.repeat):
            _truncate_notifications()
            timed.append(measure_run(args.day, "timed"))
        run = min(timed, key=lambda r: r["seconds"])
        run_rows = fingerprint()
        print(f"  run: {run['seconds']:.2f} s, {run['created']:,} created, "
              f"kinds {run_rows['kinds']}", flush=True)

        _truncate_notifications()
        traced = measure_run(args.day, "traced")
        print(f"  run under tracemalloc: {traced['seconds']:.2f} s, "
              f"peak {_mib(traced['peak_traced_bytes'])} MiB", flush=True)

        if args.profile and n == max(sizes):
            _truncate_notifications()
            measure_run(args.day, "profile")

        floors = []
        for _ in range(args.repeat):
            _truncate_notifications()
            floors.append(measure_floor(args.day))
        floor = min(floors, key=lambda r: r["seconds"])
        floor_rows = fingerprint()
        print(f"  floor: {floor['seconds']:.3f} s ({floor['notifications_seconds']:.3f} s "
              f"notifications, {floor['notifications']:,} rows, "
              f"{floor['deliveries']:,} deliveries)", flush=True)

        same = all(
            run_rows[k] == floor_rows[k]
            for k in ("notifications", "deliveries", "key_checksum", "row_checksum")
        ) and run["created"] == floor["notifications"] == run_rows["notifications"]
        if not same:
            print(f"  MISMATCH: run {run_rows} created={run['created']}\n"
                  f"            floor {floor_rows} created={floor['notifications']}",
                  file=sys.stderr)
        results.append({
            "n": n,
            "rows": run_rows["notifications"],
            "run_seconds": run["seconds"],
            "floor_seconds": floor["seconds"],
            "floor_notifications_seconds": floor["notifications_seconds"],
            "ratio": run["seconds"] / floor["seconds"],
            "peak_traced_bytes": traced["peak_traced_bytes"],
            "max_rss_delta_kib": run["max_rss_delta_kib"],
            "same_rows": same,
        })

    _print_table(results)
    if not args.no_docs:
        about = machine()
        write_docs(results, about, args.day, args.repeat)
        print(f"\nwritten to {DOCS.relative_to(BASE_DIR)}")
    return 0 if all(r["same_rows"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
