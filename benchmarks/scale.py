"""Benchmark (not a test) of the work users do most, on a generated data set.

Needs PostgreSQL holding a data set made beforehand::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_scale_bench \\
        .venv/bin/python manage.py generate_dataset --scale national
    DATABASE_URL=... .venv/bin/python -m benchmarks.scale [--repeat 5]

or ``make bench``. Each line of the table is one piece of work, timed by
``time.perf_counter`` (the fastest of ``--repeat`` runs after a warm-up), beside a
floor measured in the same run: what a PostgreSQL expert would write for the same
figures, rows or writes (``benchmarks/floors.py``), with the statements each ran. Where
the two give figures or rows, the script checks they are equal and stops if not.

The works (``--only`` takes their names, comma-separated): progress (regional
programme), system (every programme), partner (one partner's progress), actions (the
actions list), gaps (the gap register page and the gap list), dashboard, submission,
action (create and change), booking, export (CSV of 100,000 actions against COPY),
snapshot (regional and whole system), reminders, and http (wrk against gunicorn,
``benchmarks/http.py``; ``--no-http`` skips it). docs/benchmarks.md describes each.

Works that write run in a transaction rolled back afterwards; the reminder run removes
the notifications it made (the data set has none), so the set is left as it was found.
The run uses DEBUG=false and an in-memory Celery broker, and writes snapshots and
notifications into the database, so its name must contain "bench".
"""

import argparse
import contextlib
import json
import os
import re
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from benchmarks.docs import DOCS, replace_block
from benchmarks.floors import SUMMED

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_scale_bench"
MARK_START = "<!-- bench-scale:start (written by benchmarks/scale.py) -->"
MARK_END = "<!-- bench-scale:end -->"


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


# The floors are in benchmarks/floors.py -----------------------------------------------


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
    """The application's figures without titles, and without the contributions (the
    co-production share and counts), which the floors do not compute."""
    drop = ("id", "number", "title", *VOICES)
    return {
        "principles": {p["id"]: {k: v for k, v in p.items() if k not in drop}
                       for p in progress["principles"]},
        "overall": {k: v for k, v in progress["overall"].items() if k not in VOICES},
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


WORKS = ("progress", "system", "partner", "actions", "gaps", "dashboard", "submission",
         "action", "booking", "export", "snapshot", "reminders", "http")


class Row:
    """One line of the table: the work, its time and its floor's, the statements each
    ran, and the target (ratio, milliseconds, statements, share of /healthz)."""

    def __init__(self, work, seconds, floor_seconds, *, queries=None, floor_queries=None,
                 ratio=None, max_ratio=None, max_ms=None, max_queries=None, min_share=None,
                 note=""):
        self.work, self.seconds, self.floor_seconds = work, seconds, floor_seconds
        self.queries, self.floor_queries = queries, floor_queries
        self.ratio = ratio if ratio is not None else (
            seconds / floor_seconds if seconds is not None and floor_seconds else None)
        self.max_ratio, self.max_ms, self.max_queries = max_ratio, max_ms, max_queries
        self.min_share, self.note = min_share, note

    def target(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"≤ {self.max_ratio:g}×")
        if self.max_ms is not None:
            parts.append(f"< {self.max_ms:g} ms")
        if self.max_queries is not None:
            parts.append(f"≤ {self.max_queries} statements")
        if self.min_share is not None:
            parts.append(f"≥ {self.min_share:.0%} of /healthz")
        return ", ".join(parts) or "—"

    def met(self) -> str:
        checks = []
        if self.max_ratio is not None:
            checks.append(self.ratio is not None and self.ratio <= self.max_ratio)
        if self.max_ms is not None:
            checks.append(self.seconds * 1000 < self.max_ms)
        if self.max_queries is not None:
            checks.append(self.queries is not None and self.queries <= self.max_queries)
        if self.min_share is not None:
            checks.append(self.ratio is not None and self.ratio >= self.min_share)
        if not checks:
            return "—"
        return "yes" if all(checks) else "**no**"


def timed(fn):
    """(seconds, statements, result) of one run of ``fn``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return seconds, len(queries), result


def best_timed(fn, repeat: int):
    """The fastest of ``repeat`` runs after a warm-up, with the statements of one run."""
    fn()
    best = None
    for _ in range(repeat):
        run_ = timed(fn)
        if best is None or run_[0] < best[0]:
            best = run_
    return best


def side_by_side(app, floor, repeat: int):
    """``best_timed`` of the work and of its floor, their runs taken in turn: a machine
    whose speed drifts (a shared virtual one) slows both alike, not one of them."""
    app()
    floor()
    best: list = [None, None]
    for _ in range(repeat):
        for i, fn in enumerate((app, floor)):
            run_ = timed(fn)
            if best[i] is None or run_[0] < best[i][0]:
                best[i] = run_
    return best[0], best[1]


def rolled_back_side_by_side(setup, work, floor, check, repeat: int):
    """The fastest of ``repeat`` runs (after a warm-up) of ``work(setup())`` and of
    ``floor(setup())``, taken in turn as ``side_by_side`` takes them, each in a
    transaction rolled back afterwards: for each, (seconds, statements,
    ``check(context)``)."""
    from django.db import transaction

    best: list = [None, None]
    for _ in range(repeat + 1):
        for i, fn in enumerate((work, floor)):
            with transaction.atomic():
                context = setup()
                seconds, n, _ = timed(lambda: fn(context))  # noqa: B023
                seen = check(context)
                transaction.set_rollback(True)
            if best[i] is None or seconds < best[i][0]:
                best[i] = (seconds, n, seen)
    return best[0], best[1]


def run(repeat: int, only: set[str]) -> tuple[list[Row], dict]:
    from django.contrib.auth import get_user_model
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone
    from rest_framework.test import APIRequestFactory, force_authenticate

    from actions.api.views import ActionViewSet
    from actions.models import CLOSED_STATUSES, Action
    from actions.reminders import due_action_reminders
    from benchmarks import floors
    from benchmarks import reminders as reminder_bench
    from notifications.models import Notification
    from notifications.services import notify_many
    from programmes.models import Gap, Membership, Partner, Programme, ProgressSnapshot
    from programmes.progress import programme_progress
    from programmes.snapshots import snapshot_take, snapshots_take_all

    today = timezone.localdate()
    programmes = list(Programme.objects.annotate(n=Count("partners")).order_by("-n", "pk"))
    if not programmes:
        sys.exit("No programmes: run `make dataset SCALE=national` first.")
    regional = programmes[0]
    items = items_per_principle(regional.framework_id)
    dataset = {
        "programmes": len(programmes),
        "partners": Partner.objects.count(),
        "actions": Action.objects.count(),
        "gaps": Gap.objects.count(),
        "regional partners": regional.n,
    }
    manager = get_user_model().objects.filter(
        memberships__programme=regional, memberships__role=Membership.Role.MANAGER
    ).order_by("pk").first()
    rows: list[Row] = []

    def add(row: Row):
        rows.append(row)
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "—"
        floor = f"{row.floor_seconds * 1000:.1f} ms" if row.floor_seconds else "—"
        took = f"{row.seconds * 1000:.1f} ms" if row.seconds is not None else "—"
        print(f"  {row.work}: {took}, floor {floor}, {ratio}, "
              f"{row.queries} statements (floor {row.floor_queries}) -> {row.met()}", flush=True)

    def wanted(name):
        return not only or name in only

    if wanted("progress"):
        (app_s, app_q, app), (floor_s, floor_q, floor) = side_by_side(
            lambda: programme_progress(programme=regional, today=today),
            lambda: floors.floor_figures(regional.pk, today), repeat)
        same("regional progress", app_shape(app), shape(floor, regional, regional.n, items))
        add(Row(f"Progress, regional programme ({regional.n} partners)", app_s, floor_s,
                queries=app_q, floor_queries=floor_q, max_ratio=1.5, max_ms=10))

    if wanted("system"):
        def system():
            return [programme_progress(programme=p, today=today) for p in programmes]

        app_s, app_q, app = best_timed(system, max(1, repeat // 2))
        floor_s, floor_q, floor = best_timed(lambda: floors.floor_figures(None, today),
                                             max(1, repeat // 2))
        for p, figures in zip(programmes, app, strict=True):
            same(f"progress of {p.pk}", app_shape(figures), shape(floor, p, p.n, items))
        add(Row(f"Progress, whole system ({len(programmes)} programmes)", app_s, floor_s,
                queries=app_q, floor_queries=floor_q, max_ratio=1.5))

    if wanted("partner"):
        partner_id = (Action.objects.filter(programme=regional, owner_partner__isnull=False)
                      .values("owner_partner_id").annotate(n=Count("pk"))
                      .order_by("-n", "owner_partner_id")
                      .values_list("owner_partner_id", flat=True).first())
        assert partner_id is not None, "no action of the regional programme has a partner"
        (app_s, app_q, app), (floor_s, floor_q, floor) = side_by_side(
            lambda: programme_progress(programme=regional, partner_id=partner_id, today=today),
            lambda: floors.partner_figures(regional.pk, partner_id, today), repeat)
        same("one partner's progress", app_shape(app),
             shape(floor, regional, 1, items, partner=partner_id))
        n_actions = app["overall"]["actions"]
        add(Row(f"Progress, one partner ({n_actions} actions)", app_s, floor_s,
                queries=app_q, floor_queries=floor_q, max_ratio=2, max_ms=10))

    owner = None
    if wanted("actions") or wanted("http"):
        owner_id = (
            Action.objects.overdue(today).filter(owner__memberships__role=Membership.Role.MANAGER)
            .values("owner_id").annotate(n=Count("pk")).order_by("-n", "owner_id")
            .values_list("owner_id", flat=True).first()
        )
        owner = get_user_model().objects.get(pk=owner_id)

    if wanted("actions"):
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

        (app_s, app_q, app), (floor_s, floor_q, floor) = side_by_side(
            actions_api, actions_floor, repeat)
        same("actions list", {"count": app["count"],
                              "ids": [r["id"] for r in app["results"]]}, floor)
        add(Row(f"Actions list (owner with {app['count']} overdue, page of 50)", app_s, floor_s,
                queries=app_q, floor_queries=floor_q, max_ratio=2))

    pages = contextlib.ExitStack()
    if wanted("gaps") or wanted("dashboard"):
        client, _ = pages.enter_context(signed_in(manager))

    def page(path):
        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response
        return get

    if wanted("gaps"):
        def gaps_floor():
            open_gaps = Gap.objects.filter(programme=regional, status="open")
            return open_gaps.count(), list(
                open_gaps.order_by("principle__number", "checklist_item__order", "partner__name")
                .values("id", "partner__name", "checklist_item__code", "checklist_item__text",
                        "principle__number", "severity", "status", "opened_at")[:50]
            )

        (app_s, app_q, response), (floor_s, floor_q, (count, first)) = side_by_side(
            page(f"/programmes/{regional.pk}/gaps/"), gaps_floor, repeat)
        html = response.content.decode()
        shown = [int(pk) for pk in re.findall(r'href="/gaps/(\d+)/"', html)]
        counted = int(re.search(r"<p>([\d,]+) gaps?</p>", html).group(1).replace(",", ""))
        same("gap register", (counted, shown), (count, [g["id"] for g in first]))
        add(Row(f"Gap register page ({count} open gaps, page of 50)", app_s, floor_s,
                queries=app_q, floor_queries=floor_q, max_ratio=3))
        # The gap list: the same page of rows as objects (what the page and the API read)
        # against their values().
        list_s, list_q, _ = best_timed(lambda: [
            (g.pk, g.partner.name, g.checklist_item.code, g.principle.number)
            for g in Gap.objects.filter(programme=regional, status="open")
            .select_related("partner", "checklist_item", "principle")
            .order_by("principle__number", "checklist_item__order", "partner__name")[:50]
        ] and Gap.objects.filter(programme=regional, status="open").count(), repeat)
        add(Row("Gap list (open gaps, page of 50, objects)", list_s, floor_s,
                queries=list_q, floor_queries=floor_q, max_ratio=2))

    if wanted("dashboard"):
        (app_s, app_q, _), (floor_s, floor_q, _) = side_by_side(
            page(f"/programmes/{regional.pk}/"),
            lambda: floors.floor_figures(regional.pk, today), repeat)
        add(Row("Dashboard page (regional programme)", app_s, floor_s, queries=app_q,
                floor_queries=floor_q, note="floor: the progress statement"))

    pages.close()

    if wanted("submission"):
        add(submission_row(regional, manager, today, repeat))
    if wanted("action"):
        add_rows = action_rows(regional, manager, today, repeat)
        for r in add_rows:
            add(r)
    if wanted("booking"):
        add(booking_row(regional, manager, repeat))
    if wanted("export"):
        add(export_row(today, max(1, repeat // 2)))

    if wanted("snapshot"):
        # Both runs write snapshots: each inside a transaction rolled back afterwards.
        with transaction.atomic():
            app_s, app_q, written = timed(lambda: snapshot_take(programme=regional, day=today))
            stored = {(s.partner_id, s.principle_id): s.figures
                      for s in ProgressSnapshot.objects.filter(programme=regional, date=today)}
            transaction.set_rollback(True)
        floor_s, floor_q, floor = best_timed(
            lambda: floors.floor_figures(regional.pk, today, by_partner=True), 1)
        for partner_id in [None, *regional.partners.values_list("pk", flat=True)[:25]]:
            expected = shape(floor, regional, regional.n, items, partner=partner_id)
            same(f"snapshot of partner {partner_id}", strip_voices(stored[(partner_id, None)]),
                 expected["overall"])
        add(Row(f"Nightly snapshot, regional programme ({written:,} rows)", app_s, floor_s,
                queries=app_q, floor_queries=floor_q, note="floor: figures only, no insert"))

        with transaction.atomic():
            seconds, n, written = timed(lambda: snapshots_take_all(day=today))
            stored = {(s.programme_id, s.partner_id): s.figures for s in
                      ProgressSnapshot.objects.filter(date=today, principle__isnull=True)}
            transaction.set_rollback(True)
        floor_s, floor_q, floor = timed(lambda: floors.floor_figures(None, today, by_partner=True))
        checked = 0
        for p in programmes:
            for partner_id in [None, *p.partners.values_list("pk", flat=True)[:5]]:
                if (p.pk, partner_id) not in stored:
                    continue
                expected = shape(floor, p, p.n, items, partner=partner_id)
                same(f"snapshot of {p.pk}/{partner_id}",
                     strip_voices(stored[(p.pk, partner_id)]), expected["overall"])
                checked += 1
        add(Row(f"Nightly snapshot, whole system ({written:,} rows)", seconds, floor_s,
                queries=n, floor_queries=floor_q, max_ratio=1.5,
                note=f"one run each; floor: figures only (GROUPING SETS), {checked} stored "
                     "figures checked; rolled back"))

    if wanted("reminders"):
        reminder_bench._truncate_notifications()
        floor = reminder_bench.measure_floor(today)
        reminder_bench._truncate_notifications()
        start = time.perf_counter()
        created = notify_many(due_action_reminders(today))
        app_s = time.perf_counter() - start
        same("reminders", Notification.objects.count(), floor["notifications"])
        reminder_bench._truncate_notifications()
        add(Row(f"Reminder run ({created:,} notifications)", app_s, floor["seconds"],
                max_ratio=3, note="one run each; the notifications are removed afterwards"))

    if wanted("http"):
        for r in http_rows(regional, manager, owner):
            add(r)
    return rows, dataset


@contextlib.contextmanager
def signed_in(user):
    """A test client signed in as ``user``, and its session cookie's value; the session,
    its sign-in record and the user's last sign-in time are put back as they were."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.test import Client

    from accounts.models import SignedInSession

    last_login = get_user_model().objects.filter(pk=user.pk).values_list(
        "last_login", flat=True).get()
    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    try:
        yield client, key
    finally:
        Session.objects.filter(session_key=key).delete()
        SignedInSession.objects.filter(session_key=key).delete()
        get_user_model().objects.filter(pk=user.pk).update(last_login=last_login)


def strip_voices(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k not in VOICES}


def submission_row(regional, manager, today, repeat) -> Row:
    """A draft of every active item (46) for a partner of the regional programme,
    submitted by ``assessment_submit`` and by the floor's one statement."""
    import datetime as dt

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from benchmarks import floors
    from notifications.models import Event
    from programmes import access, services
    from programmes.models import Assessment, AssessmentCycle, ChecklistItem, Gap, Response

    # The partner with most open gaps, so the submission keeps, closes and opens some.
    partner_id = (Gap.objects.filter(programme=regional, status="open").values("partner_id")
                  .annotate(n=Count("pk")).order_by("-n", "partner_id")
                  .values_list("partner_id", flat=True).first())
    item_ids = list(ChecklistItem.objects.filter(principle__framework_id=regional.framework_id,
                                                 is_active=True).order_by("pk")
                    .values_list("pk", flat=True))
    ratings = ("partly_met", "not_met", "met", "met", "not_applicable")

    def setup():
        cycle = AssessmentCycle.objects.create(
            programme=regional, name="Benchmark cycle", period_start=today - dt.timedelta(days=1),
            period_end=today + dt.timedelta(days=60))
        assessment = Assessment.objects.create(cycle=cycle, partner_id=partner_id)
        Response.objects.bulk_create([
            Response(assessment=assessment, checklist_item_id=pk, rating=ratings[i % 5])
            for i, pk in enumerate(item_ids)])
        access.memberships_of(manager)  # as the view that calls the service has
        return assessment

    def app(assessment):
        services.assessment_submit(actor=manager, assessment=assessment)

    def floor(assessment):
        with connection.cursor() as cursor:
            cursor.execute(floors.submission_statement(), {
                "assessment": assessment.pk, "programme": regional.pk, "partner": partner_id,
                "actor": manager.pk, "now": timezone.now(), "today": today,
                "kind": "assessment.submitted", "subject_type": "assessment"})

    def check(assessment):
        written = Gap.objects.filter(last_assessment=assessment).values("pk")
        return (
            Assessment.objects.filter(pk=assessment.pk).values_list("status", "late").get(),
            sorted(Gap.objects.filter(last_assessment=assessment).values_list(
                "checklist_item_id", "status", "severity", "closed_reason", "version")),
            Gap.history.filter(last_assessment_id=assessment.pk).count(),
            # by item, as the gaps are: an opened gap's id differs from run to run (a
            # rolled-back insert still takes its number)
            sorted((kind, json.dumps({k: v for k, v in data.items() if k not in ("id", "link")},
                                     sort_keys=True),
                    data["id"] == subject and data["link"] == f"/gaps/{subject}/")
                   for kind, subject, data
                   in Event.objects.filter(subject_type="gap", subject_id__in=written)
                   .values_list("kind", "subject_id", "data")),
        )

    (app_s, app_q, app_seen), (floor_s, floor_q, floor_seen) = rolled_back_side_by_side(
        setup, app, floor, check, repeat)
    same("submission", app_seen, floor_seen)
    return Row(f"Submission of {len(item_ids)} answers ({len(app_seen[1])} gaps written)",
               app_s, floor_s, queries=app_q, floor_queries=floor_q, max_ratio=5,
               max_queries=15,
               note="rolled back; the same gaps, history rows and gap events checked")


def action_rows(regional, manager, today, repeat) -> list[Row]:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from actions import services
    from actions.models import Action
    from benchmarks import floors
    from programmes import access

    partner = regional.partners.order_by("pk").first()
    partner_id = partner.pk
    due = today + dt.timedelta(days=30)
    out = []

    def setup():
        access.memberships_of(manager)
        return {}

    def app_create(ctx):
        ctx["action"] = services.action_create(
            actor=manager, programme=regional, title="Benchmark action", owner=manager,
            owner_partner=partner, due_date=due)

    def floor_create(ctx):
        with connection.cursor() as cursor:
            cursor.execute(floors.action_create_statement(), {
                "programme": regional.pk, "title": "Benchmark action", "owner": manager.pk,
                "partner": partner_id, "due": due, "actor": manager.pk, "now": timezone.now(),
                "kind": "action.created", "subject_type": "action"})

    def check_create(ctx):
        return list(Action.objects.filter(title="Benchmark action", programme=regional)
                    .values_list("owner_id", "owner_partner_id", "due_date", "status", "version"))

    (app_s, app_q, app_seen), (floor_s, floor_q, floor_seen) = rolled_back_side_by_side(
        setup, app_create, floor_create, check_create, repeat)
    same("action create", app_seen, floor_seen)
    out.append(Row("Action create", app_s, floor_s, queries=app_q, floor_queries=floor_q,
                   max_queries=10, note="rolled back"))

    target = (Action.objects.filter(programme=regional, status="not_started", gap__isnull=False)
              .order_by("pk").first())

    def setup_change():
        access.memberships_of(manager)
        return {"action": Action.objects.get(pk=target.pk)}

    def app_change(ctx):
        services.action_update(actor=manager, action=ctx["action"], status="in_progress",
                               priority="high", version=ctx["action"].version)

    def floor_change(ctx):
        with connection.cursor() as cursor:
            cursor.execute(floors.action_change_statement(), {
                "action": target.pk, "version": target.version, "status": "in_progress",
                "priority": "high", "actor": manager.pk, "now": timezone.now(),
                "programme": regional.pk, "kind": "action.changed", "subject_type": "action"})

    def check_change(ctx):
        return (Action.objects.filter(pk=target.pk).values_list("status", "priority", "version")
                .get(), Action.history.filter(id=target.pk).count())

    (app_s, app_q, app_seen), (floor_s, floor_q, floor_seen) = rolled_back_side_by_side(
        setup_change, app_change, floor_change, check_change, repeat)
    same("action change", app_seen, floor_seen)
    out.append(Row("Action change (status and priority)", app_s, floor_s, queries=app_q,
                   floor_queries=floor_q, max_queries=10, note="rolled back"))
    return out


def booking_row(regional, manager, repeat) -> Row:
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from benchmarks import floors
    from learning import services
    from learning.models import LearningNeed, Placement, TrainingOffer, TrainingSession
    from programmes import access

    session = (TrainingSession.objects.filter(offer__status="published",
                                              starts_at__gt=timezone.now(),
                                              capacity__gt=F("places_booked") + 1)
               .order_by("pk").first())
    need = (LearningNeed.objects.filter(programme=regional, status="identified")
            .order_by("pk").first())
    if session is None or need is None:
        return Row("Booking a place (no open session or need in the data set)", None, None)

    def setup():
        access.memberships_of(manager)
        return {}

    def app(ctx):
        services.placement_book(actor=manager, learning_need=need, places=1, session=session)

    def floor(ctx):
        with connection.cursor() as cursor:
            cursor.execute(floors.booking_statement(), {
                "session": session.pk, "need": need.pk, "places": 1, "actor": manager.pk,
                "now": timezone.now(), "programme": regional.pk, "kind": "placement.requested",
                "subject_type": "placement"})

    def check(ctx):
        return (list(Placement.objects.filter(learning_need=need, session=session)
                     .values_list("places", "status")),
                TrainingSession.objects.filter(pk=session.pk).values_list("places_booked")
                .get(), TrainingOffer.objects.filter(pk=session.offer_id)
                .values_list("places_booked").get(),
                LearningNeed.objects.filter(pk=need.pk).values_list("status").get())

    (app_s, app_q, app_seen), (floor_s, floor_q, floor_seen) = rolled_back_side_by_side(
        setup, app, floor, check, repeat)
    same("booking", app_seen, floor_seen)
    return Row("Booking a place on a session", app_s, floor_s, queries=app_q,
               floor_queries=floor_q, max_queries=8, note="rolled back")


def export_row(today, repeat) -> Row:
    import csv
    import io

    from django.conf import settings

    from actions import sheets
    from actions.models import Action
    from benchmarks import floors
    from exchange.api import file_response

    last_id = Action.objects.order_by("pk").values_list("pk", flat=True)[EXPORT_ROWS - 1]

    def app():
        rows = (Action.objects.filter(pk__lte=last_id).select_related(*sheets.ACTION_SELECT)
                .order_by("pk"))
        response = file_response("csv", sheets.ACTION_COLUMNS, rows, name="actions",
                                 count=rows.count)
        return b"".join(response.streaming_content)

    app_s, app_q, body = best_timed(app, repeat)
    floor_s, _, copied = best_timed(
        lambda: floors.copy_export(last_id, today, settings.TIME_ZONE), repeat)
    floor_q = 1  # the COPY, on psycopg's own cursor (not seen by Django)
    app_rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    floor_rows = list(csv.reader(io.StringIO(copied.decode("utf-8"))))[1:]
    same("export ids", [r[0] for r in app_rows], [r[0] for r in floor_rows])
    if len(app_rows) != EXPORT_ROWS:
        raise Mismatch(f"export: {len(app_rows)} rows, not {EXPORT_ROWS}")
    differ = [(a, b) for a, b in zip(app_rows, floor_rows, strict=True) if a != b]
    if differ:
        raise Mismatch(f"export: {len(differ)} rows differ from COPY's; the first:\n"
                       f"{differ[0][0]}\n{differ[0][1]}")
    return Row(f"CSV export of {len(app_rows):,} actions", app_s, floor_s, queries=app_q,
               floor_queries=floor_q, max_ratio=5,
               note="floor: COPY … TO STDOUT WITH CSV; the files' rows are identical, "
                    "cell for cell (the header and the byte-order mark aside)")


def http_rows(regional, manager, owner) -> list[Row]:
    """wrk against gunicorn: /healthz, the actions list (an API token) and the gap
    register page (a session cookie), each as a share of /healthz's requests per second.
    The token and the session are removed afterwards."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from accounts.models import ApiToken
    from accounts.services import token_issue
    from benchmarks import http

    last_login = get_user_model().objects.filter(pk=owner.pk).values_list(
        "last_login", flat=True).get()
    token, key = token_issue(actor=owner)
    try:
        with signed_in(manager) as (_, session_key):
            results = http.throughput({
                "healthz": ("/healthz", {}),
                "actions": (f"/api/v1/actions/?owner={owner.pk}&overdue=true",
                            {"Authorization": f"Token {key}"}),
                "gaps": (f"/programmes/{regional.pk}/gaps/",
                         {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}),
            })
    finally:
        ApiToken.objects.filter(pk=token.pk).delete()
        get_user_model().objects.filter(pk=owner.pk).update(last_login=last_login)
    base = results["healthz"]["rps"]
    out = []
    for name, label, share in (("healthz", "HTTP /healthz", None),
                               ("actions", "HTTP actions list (token)", 0.4),
                               ("gaps", "HTTP gap register page (session)", None)):
        r = results[name]
        if r["non_2xx"]:
            raise Mismatch(f"wrk {name}: {r['non_2xx']} non-2xx responses")
        out.append(Row(f"{label}: {r['rps']:,.0f} requests/s", None, None,
                       ratio=r["rps"] / base, min_share=share,
                       note=f"wrk {' '.join(http.WRK_ARGS)}, {r['requests']:,} requests, "
                            "all 2xx" + (f" ({r['socket_errors']})" if r["socket_errors"] else "")
                            + "; ratio: requests/s as a share of /healthz's"))
    return out


EXPORT_ROWS = 100_000
VOICES = ("coproduced_share", "contributions")


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
        # The planner setting the README recommends for a database held in memory or on
        # SSDs (PostgreSQL's default of 4 prices a random read as a spinning disk's).
        conn.execute(sql.SQL("ALTER DATABASE {} SET random_page_cost = 1.1").format(name))
    call_command("migrate", interactive=False, verbosity=0)
    call_command("generate_dataset", scale=scale)


# Reporting -------------------------------------------------------------------------


def table(rows: list[Row]) -> list[str]:
    lines = ["| work | time (ms) | floor (ms) | ratio | queries | target | met |",
             "|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        took = f"{r.seconds * 1000:,.1f}" if r.seconds is not None else "—"
        floor = f"{r.floor_seconds * 1000:,.1f}" if r.floor_seconds else "—"
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        queries = "—" if r.queries is None else str(r.queries)
        if r.floor_queries is not None:
            queries += f" (floor {r.floor_queries})"
        lines.append(f"| {r.work} | {took} | {floor} | {ratio} | {queries} | {r.target()} | "
                     f"{r.met()} |")
    return lines


def write_docs(rows, dataset, repeat):
    from benchmarks.reminders import machine

    info = machine()
    lines = [
        MARK_START, "",
        f"Latest run, {info.pop('Date')}; times are the fastest of {repeat} after a warm-up "
        "(the snapshots and the reminder run: one run; the export: the fastest of "
        f"{max(1, repeat // 2)}).", "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "- Data set: " + ", ".join(f"{v:,} {k}" for k, v in dataset.items()), "",
        *table(rows), "",
    ]
    notes = [f"- {r.work}: {r.note}" for r in rows if r.note]
    lines += [*notes, "", MARK_END] if notes else [MARK_END]
    replace_block(MARK_START, MARK_END, "\n".join(lines), heading="Scale: the work users do most")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--no-docs", action="store_true", help="Do not write docs/benchmarks.md.")
    parser.add_argument("--prepare", choices=["small", "regional", "national"],
                        help="Drop and recreate the database with this data set, then stop.")
    parser.add_argument("--only", default="",
                        help=f"Comma-separated works to run (of {', '.join(WORKS)}).")
    parser.add_argument("--no-http", action="store_true", help="Skip the wrk runs.")
    args = parser.parse_args(argv)
    only = {w.strip() for w in args.only.split(",") if w.strip()}
    if only - set(WORKS):
        parser.error(f"unknown works: {', '.join(sorted(only - set(WORKS)))}")
    if args.no_http:
        only = (only or set(WORKS)) - {"http"}
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
        rows, dataset = run(args.repeat, only)
    except Mismatch as exc:
        print(exc, file=sys.stderr)
        return 1
    print()
    print("\n".join(table(rows)))
    print("\n".join(["", *(f"- {r.work}: {r.note}" for r in rows if r.note)]))
    if not args.no_docs:
        write_docs(rows, dataset, args.repeat)
        print(f"\nwritten to {DOCS.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
