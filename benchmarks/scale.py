"""Benchmark (not a test) of the work users do most, on a generated data set.

Needs PostgreSQL holding a data set made beforehand::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_scale_bench \\
        .venv/bin/python manage.py generate_dataset --scale national
    DATABASE_URL=... .venv/bin/python -m benchmarks.scale [--repeat 5]

or ``make bench``. Each line of the table is one piece of work, timed by
``time.perf_counter`` (the fastest of ``--repeat`` runs after a warm-up), beside a
floor measured in the same run: the cheapest way PostgreSQL gives the same figures or
rows. Where the two give figures, the script checks they are equal and stops if not.

* progress of a regional programme: ``programme_progress`` against one hand-written SQL
  statement (per-source aggregates, grouped by principle);
* progress of the whole system: ``programme_progress`` for every programme against the
  same statement grouped by programme and principle;
* the actions list: ``GET /api/v1/actions/?owner=<manager>&overdue=true`` through the
  real viewset (first page of 50, rendered to JSON) against ``values()`` of the same 50
  rows and columns plus the count, encoded to JSON;
* the gap register: the web page ``/programmes/<id>/gaps/`` (open gaps, first page of
  50) against ``values()`` of the same rows plus the count;
* the dashboard: the web page ``/programmes/<id>/`` against the progress floor;
* the nightly snapshot of the regional programme (the programme and each partner):
  ``snapshot_take`` against the floor statement grouped by partner and principle with
  GROUPING SETS (figures only, no insert);
* the reminder run: ``notify_many(due_action_reminders(today))`` against the
  ``INSERT ... SELECT`` floor of ``benchmarks/reminders.py``; one run each (it writes).

The run uses DEBUG=false and an in-memory Celery broker, and writes snapshots and
notifications into the database, so its name must contain "bench".
"""

import argparse
import datetime
import json
import os
import re
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from benchmarks.docs import DOCS, replace_block

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_scale_bench"
MARK_START = "<!-- bench-scale:start (written by benchmarks/scale.py) -->"
MARK_END = "<!-- bench-scale:end -->"
PROGRESS_TARGET_RATIO = 2.0
PROGRESS_TARGET_MS = 100.0
LIST_TARGET_RATIO = 3.0


def _setup_django() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DEV_TOOLS", "true")  # generate_dataset
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost,testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from config.celery import app

    app.conf.broker_url = "memory://localhost/"
    app.conf.broker_transport_options = {}


# The floor: the progress figures in one statement -----------------------------------

FLOOR_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (c.programme_id, a.partner_id) a.id, c.programme_id, a.partner_id
    FROM programmes_assessment a
    JOIN programmes_assessmentcycle c ON c.id = a.cycle_id
    WHERE a.status = 'submitted' {where_cycle}
    ORDER BY c.programme_id, a.partner_id, c.period_end DESC, a.submitted_at DESC, a.id DESC
), parts AS (
    SELECT l.programme_id AS programme, l.partner_id AS partner, i.principle_id AS principle,
           count(*) AS assessed,
           count(*) FILTER (WHERE r.rating = 'met') AS met,
           count(*) FILTER (WHERE r.rating = 'partly_met') AS partly_met,
           count(*) FILTER (WHERE r.rating = 'not_met') AS not_met,
           count(*) FILTER (WHERE r.rating = 'not_applicable') AS not_applicable,
           0 AS gaps_open, 0 AS gaps_closed, 0 AS actions, 0 AS actions_done,
           0 AS actions_overdue, 0 AS learning_needs, 0 AS learning_needs_met,
           0::numeric AS funding
    FROM programmes_response r
    JOIN latest l ON l.id = r.assessment_id
    JOIN programmes_checklistitem i ON i.id = r.checklist_item_id AND i.is_active
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT g.programme_id, g.partner_id, g.principle_id, 0, 0, 0, 0, 0,
           count(*) FILTER (WHERE g.status = 'open'), count(*) FILTER (WHERE g.status = 'closed'),
           0, 0, 0, 0, 0, 0
    FROM programmes_gap g WHERE true {where_gap}
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT a.programme_id, coalesce(g.partner_id, a.owner_partner_id), g.principle_id,
           0, 0, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE a.status = 'done'),
           count(*) FILTER (WHERE a.status NOT IN ('done', 'cancelled') AND a.due_date < %(today)s),
           0, 0, 0
    FROM actions_action a {action_gap_join}
    WHERE true {where_action}
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT n.programme_id, n.partner_id, n.principle_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE n.status = 'met'), 0
    FROM learning_learningneed n WHERE true {where_need}
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT s.programme_id, coalesce(n.partner_id, g.partner_id, a.owner_partner_id),
           coalesce(n.principle_id, g.principle_id), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           sum(f.amount)
    FROM learning_fundingallocation f
    JOIN learning_fundingstream s ON s.id = f.stream_id
    LEFT JOIN learning_learningneed n ON n.id = f.learning_need_id
    LEFT JOIN actions_action a ON a.id = f.action_id
    LEFT JOIN programmes_gap g ON g.id = a.gap_id
    WHERE f.status IN ('planned', 'committed') {where_stream}
    GROUP BY 1, 2, 3
)
SELECT programme, {partner_column} principle,
       sum(assessed), sum(met), sum(partly_met), sum(not_met), sum(not_applicable),
       sum(gaps_open), sum(gaps_closed), sum(actions), sum(actions_done), sum(actions_overdue),
       sum(learning_needs), sum(learning_needs_met), sum(funding)
FROM parts
GROUP BY {grouping}
"""
SUMMED = ("assessed", "met", "partly_met", "not_met", "not_applicable", "gaps_open",
          "gaps_closed", "actions", "actions_done", "actions_overdue", "learning_needs",
          "learning_needs_met")


def floor_statement(programme_id: int | None, by_partner: bool) -> str:
    only = "" if programme_id is None else f" AND {{}} = {int(programme_id)}"
    return FLOOR_SQL.format(
        where_cycle=only.format("c.programme_id"),
        where_gap=only.format("g.programme_id"),
        where_action=only.format("a.programme_id"),
        action_gap_join=(
            "LEFT JOIN programmes_gap g ON g.id = a.gap_id" if programme_id is None
            # One programme: one index probe per action; the planner would otherwise
            # hash every gap of the system (LIMIT 1 keeps the subquery from being flattened).
            else "LEFT JOIN LATERAL (SELECT partner_id, principle_id FROM programmes_gap "
                 "WHERE id = a.gap_id LIMIT 1) g ON true"
        ),
        where_need=only.format("n.programme_id"),
        where_stream=only.format("s.programme_id"),
        partner_column=(
            "partner, GROUPING(partner) AS whole," if by_partner
            else "NULL AS partner, 1 AS whole,"
        ),
        grouping=(
            "GROUPING SETS ((programme, principle), (programme, partner, principle))"
            if by_partner else "programme, principle"
        ),
    )


def floor_figures(programme_id: int | None, today: datetime.date, by_partner=False) -> dict:
    """{(programme, partner or None, principle or None): counts} from one statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(floor_statement(programme_id, by_partner), {"today": today})
        rows = cursor.fetchall()
    out = {}
    for programme, partner, whole, principle, *values in rows:
        if not whole and partner is None:
            continue  # work of no partner: it counts in the programme's figures only
        counts = dict(zip(SUMMED, (int(v) for v in values[:-1]), strict=True))
        counts["funding"] = values[-1] or Decimal("0")
        out[(programme, None if whole else partner, principle)] = counts
    return out


def shape(floor: dict, programme, partner_count: int, items: dict, partner=None) -> dict:
    """The floor's rows in the form ``programme_progress`` answers (minus titles)."""
    from programmes.progress import score

    principles = {}
    overall = defaultdict(int)
    funding_total = Decimal("0")
    for (prog, who, principle), counts in floor.items():
        if prog != programme.pk or who != partner:
            continue
        for name in SUMMED:
            overall[name] += counts[name]
        funding_total += counts["funding"]
        if principle is not None:
            principles[principle] = counts

    def figures(counts, items_count, money):
        out = {name: counts.get(name, 0) for name in SUMMED}
        out["items"] = items_count
        out["funding_allocated"] = f"{money:.2f}"
        out["score"] = score(out["met"], out["partly_met"], out["not_met"])
        return out

    per = partner_count if partner is None else 1
    return {
        "principles": {
            pk: figures(principles.get(pk, {}), n * per, principles.get(pk, {}).get("funding",
                                                                                   Decimal("0")))
            for pk, n in items.items()
        },
        "overall": figures(overall, sum(items.values()) * per, funding_total),
    }


def app_shape(progress: dict) -> dict:
    drop = ("id", "number", "title")
    return {
        "principles": {p["id"]: {k: v for k, v in p.items() if k not in drop}
                       for p in progress["principles"]},
        "overall": dict(progress["overall"]),
    }


def items_per_principle(framework_id: int) -> dict:
    from django.db.models import Count, Q

    from programmes.models import Principle

    return dict(
        Principle.objects.filter(framework_id=framework_id)
        .annotate(n=Count("items", filter=Q(items__is_active=True)))
        .values_list("pk", "n")
    )


# Timing ----------------------------------------------------------------------------


def best_of(fn, repeat: int):
    fn()  # warm-up: caches, connections, imports
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


class Mismatch(Exception):
    pass


def same(label: str, app, floor) -> None:
    if app != floor:
        raise Mismatch(f"{label}: the application and the floor disagree:\n{app}\n{floor}")


def run(repeat: int) -> tuple[list[dict], dict]:
    from django.contrib.auth import get_user_model
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone
    from rest_framework.test import APIRequestFactory, force_authenticate

    from actions.api.views import ActionViewSet
    from actions.models import CLOSED_STATUSES, Action
    from actions.reminders import due_action_reminders
    from benchmarks import reminders as reminder_bench
    from notifications.models import Notification
    from notifications.services import notify_many
    from programmes.models import Gap, Membership, Partner, Programme, ProgressSnapshot
    from programmes.progress import programme_progress
    from programmes.snapshots import snapshot_take

    today = timezone.localdate()
    programmes = list(Programme.objects.annotate(n=Count("partners")).order_by("-n", "pk"))
    if not programmes:
        sys.exit("No programmes: run `manage.py generate_dataset --scale national` first.")
    regional = programmes[0]
    items = items_per_principle(regional.framework_id)
    dataset = {
        "programmes": len(programmes),
        "partners": Partner.objects.count(),
        "actions": Action.objects.count(),
        "gaps": Gap.objects.count(),
        "regional partners": regional.n,
    }
    rows = []

    def row(work, seconds, floor_seconds, target, *, note=""):
        ratio = seconds / floor_seconds if floor_seconds else None
        rows.append({"work": work, "ms": seconds * 1000, "floor_ms": floor_seconds * 1000,
                     "ratio": ratio, "target": target, "note": note})
        print(f"  {work}: {seconds * 1000:.1f} ms, floor {floor_seconds * 1000:.1f} ms, "
              f"{ratio:.1f}x", flush=True)

    # Progress of one regional programme.
    app_s, app = best_of(lambda: programme_progress(programme=regional, today=today), repeat)
    floor_s, floor = best_of(lambda: floor_figures(regional.pk, today), repeat)
    same("regional progress", app_shape(app), shape(floor, regional, regional.n, items))
    row(f"Progress, regional programme ({regional.n} partners)", app_s, floor_s,
        f"≤ {PROGRESS_TARGET_RATIO:g}× and < {PROGRESS_TARGET_MS:g} ms")

    # Progress of the whole system: every programme.
    def system():
        return [programme_progress(programme=p, today=today) for p in programmes]

    app_s, app = best_of(system, max(1, repeat // 2))
    floor_s, floor = best_of(lambda: floor_figures(None, today), max(1, repeat // 2))
    for p, figures in zip(programmes, app, strict=True):
        same(f"progress of {p.pk}", app_shape(figures), shape(floor, p, p.n, items))
    row(f"Progress, whole system ({len(programmes)} programmes)", app_s, floor_s,
        f"≤ {PROGRESS_TARGET_RATIO:g}×")

    # The actions list: a manager's overdue actions, first page of 50.
    owner_id = (
        Action.objects.overdue(today).filter(owner__memberships__role=Membership.Role.MANAGER)
        .values("owner_id").annotate(n=Count("pk")).order_by("-n")
        .values_list("owner_id", flat=True).first()
    )
    owner = get_user_model().objects.get(pk=owner_id)
    view = ActionViewSet.as_view({"get": "list"})
    factory = APIRequestFactory()

    def actions_api():
        request = factory.get("/api/v1/actions/", {"owner": owner.pk, "overdue": "true"})
        force_authenticate(request, user=owner)
        response = view(request)
        response.render()
        assert response.status_code == 200, response.content[:200]
        return json.loads(response.content)

    def actions_floor():
        rows_ = Action.objects.filter(owner_id=owner.pk, due_date__lt=today).exclude(
            status__in=CLOSED_STATUSES)
        page = list(rows_.order_by("due_date", "id").values(
            "id", "programme_id", "gap_id", "gap__principle_id", "title", "description",
            "owner_id", "owner__username", "owner__first_name", "owner__last_name",
            "owner_partner_id", "owner_partner__name", "due_date", "status", "priority",
            "completed_at", "created_by_id", "created_at", "updated_at", "version",
        )[:50])
        body = json.dumps({"count": rows_.count(), "results": page}, cls=DjangoJSONEncoder)
        return {"count": json.loads(body)["count"], "ids": [r["id"] for r in page]}

    app_s, app = best_of(actions_api, repeat)
    floor_s, floor = best_of(actions_floor, repeat)
    same("actions list", {"count": app["count"], "ids": [r["id"] for r in app["results"]]}, floor)
    row(f"Actions list (owner with {app['count']} overdue, page of 50)", app_s, floor_s,
        f"≤ {LIST_TARGET_RATIO:g}×")

    # The gap register and the dashboard: web pages, as a manager of the programme.
    manager = get_user_model().objects.filter(
        memberships__programme=regional, memberships__role=Membership.Role.MANAGER).first()
    client = Client()
    client.force_login(manager)

    def page(path):
        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response
        return get

    def gaps_floor():
        open_gaps = Gap.objects.filter(programme=regional, status="open")
        return open_gaps.count(), list(
            open_gaps.order_by("principle__number", "checklist_item__order", "partner__name")
            .values("id", "partner__name", "checklist_item__code", "checklist_item__text",
                    "principle__number", "severity", "status", "opened_at")[:50]
        )

    app_s, response = best_of(page(f"/programmes/{regional.pk}/gaps/"), repeat)
    floor_s, (count, first) = best_of(gaps_floor, repeat)
    html = response.content.decode()
    shown = [int(pk) for pk in re.findall(r'href="/gaps/(\d+)/"', html)]
    counted = int(re.search(r"<p>([\d,]+) gaps?</p>", html).group(1).replace(",", ""))
    same("gap register", (counted, shown), (count, [g["id"] for g in first]))
    row(f"Gap register page ({count} open gaps, page of 50)", app_s, floor_s,
        f"≤ {LIST_TARGET_RATIO:g}×")

    app_s, _ = best_of(page(f"/programmes/{regional.pk}/"), repeat)
    floor_s, _ = best_of(lambda: floor_figures(regional.pk, today), repeat)
    row("Dashboard page (regional programme)", app_s, floor_s, "— (floor: progress SQL)")

    # The nightly snapshot of the regional programme.
    ProgressSnapshot.objects.filter(programme=regional, date=today).delete()
    start = time.perf_counter()
    written = snapshot_take(programme=regional, day=today)
    app_s = time.perf_counter() - start
    floor_s, floor = best_of(lambda: floor_figures(regional.pk, today, by_partner=True), 1)
    stored = {
        (s.partner_id, s.principle_id): s.figures
        for s in ProgressSnapshot.objects.filter(programme=regional, date=today)
    }
    for partner_id in [None, *regional.partners.values_list("pk", flat=True)[:25]]:
        expected = shape(floor, regional, regional.n, items, partner=partner_id)
        same(f"snapshot of partner {partner_id}", stored[(partner_id, None)], expected["overall"])
    row(f"Nightly snapshot, regional programme ({written} rows)", app_s, floor_s,
        "— (floor: figures only)",
        note=f"whole system ≈ {app_s * len(programmes):.0f} s (× {len(programmes)} programmes)")

    # The reminder run, once each (both write notifications).
    reminder_bench._truncate_notifications()
    floor = reminder_bench.measure_floor(today)
    reminder_bench._truncate_notifications()
    start = time.perf_counter()
    created = notify_many(due_action_reminders(today))
    app_s = time.perf_counter() - start
    same("reminders", Notification.objects.count(), floor["notifications"])
    reminder_bench._truncate_notifications()
    row(f"Reminder run ({created:,} notifications)", app_s, floor["seconds"], "≤ 3×")
    return rows, dataset


# Preparing the data set ----------------------------------------------------------------


def prepare(scale: str) -> None:
    """Drop and create the (bench) database, migrate it, and generate a data set in it."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from psycopg import sql

    db = settings.DATABASES["default"]
    if "bench" not in db["NAME"]:
        sys.exit("--prepare drops the database: its name must contain 'bench'.")
    connections.close_all()
    params = {"dbname": "postgres", "user": db.get("USER") or None,
              "password": db.get("PASSWORD") or None, "host": db.get("HOST") or None,
              "port": db.get("PORT") or None}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        name = sql.Identifier(db["NAME"])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    call_command("migrate", interactive=False, verbosity=0)
    call_command("generate_dataset", scale=scale)


# Reporting -------------------------------------------------------------------------


def table(rows: list[dict]) -> list[str]:
    lines = ["| work | time (ms) | floor (ms) | ratio | target | met |",
             "|---|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['work']} | {r['ms']:,.1f} | {r['floor_ms']:,.1f} | {r['ratio']:.1f}× | "
            f"{r['target']} | {verdict(r)} |"
        )
    return lines


def verdict(r: dict) -> str:
    target = r["target"]
    if target.startswith("—"):
        return "—"
    limit = float(target.split("≤ ")[1].split("×")[0])
    ok = r["ratio"] <= limit
    if "ms" in target:
        ok = ok and r["ms"] < PROGRESS_TARGET_MS
    return "yes" if ok else "**no**"


def write_docs(rows, dataset, repeat):
    from benchmarks.reminders import machine

    info = machine()
    lines = [
        MARK_START, "",
        f"Latest run, {info.pop('Date')}; times are the fastest of {repeat} after a warm-up "
        "(the snapshot and the reminder run: one run).", "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "- Data set: " + ", ".join(f"{v:,} {k}" for k, v in dataset.items()), "",
        *table(rows), "",
    ]
    notes = [f"- {r['work']}: {r['note']}" for r in rows if r["note"]]
    lines += [*notes, "", MARK_END] if notes else [MARK_END]
    replace_block(MARK_START, MARK_END, "\n".join(lines), heading="Scale: the work users do most")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-docs", action="store_true", help="Do not write docs/benchmarks.md.")
    parser.add_argument("--prepare", choices=["small", "regional", "national"],
                        help="Drop and recreate the database with this data set, then stop.")
    args = parser.parse_args(argv)
    _setup_django()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (DATABASE_URL).")
    if args.prepare:
        prepare(args.prepare)
        return 0
    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("The benchmark writes snapshots and notifications: use a database whose "
                 "name contains 'bench'.")
    from django.core.management import call_command

    # Production mode serves hashed static files: the pages need the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    try:
        rows, dataset = run(args.repeat)
    except Mismatch as exc:
        print(exc, file=sys.stderr)
        return 1
    print()
    print("\n".join(table(rows)))
    if not args.no_docs:
        write_docs(rows, dataset, args.repeat)
        print(f"\nwritten to {DOCS.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
