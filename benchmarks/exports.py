"""Benchmark (not a test) of the spreadsheet exports of the action list.

For each size N it seeds N actions in one programme, then times, through the API
with a manager's token:

* ``GET /api/v1/actions/?format=csv`` (streamed) and ``?format=xlsx``, whole body read;
* the floor: the same columns read with ``values_list`` and written by ``csv.writer``.

and prints rows per second, the ratio to the floor and the number of queries (which must
not grow with N).

    .venv/bin/python -m benchmarks.exports [--sizes 1000,10000]

Without ``DATABASE_URL`` it works on a new SQLite file in a temporary folder; given a
database, it must be one whose name contains "bench" (its tables are created by
``migrate`` and the seeded rows are left there).
"""

import argparse
import csv
import io
import os
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if url and "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("DATABASE_URL must name a database containing 'bench'.")
    if not url:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from actions.models import Action
    from programmes.models import Framework, Membership, Partner, Programme

    framework, _ = Framework.objects.get_or_create(
        slug="bench", defaults={"title": "Bench", "version": "1"})
    User = get_user_model()
    manager, _ = User.objects.get_or_create(username="bench-manager")
    client = APIClient()
    client.force_authenticate(manager)

    # One export first, untimed: the first request of a process imports the views.
    for fmt in ("csv", "xlsx"):
        client.get("/api/v1/actions/", {"search": "no such action", "format": fmt})

    print(f"{'rows':>8} {'format':>6} {'seconds':>8} {'rows/s':>9} {'floor s':>8} "
          f"{'ratio':>6} {'queries':>7}")
    for n in [int(x) for x in args.sizes.split(",")]:
        programme = Programme.objects.create(name=f"Bench {n} {time.time()}", framework=framework)
        partner = Partner.objects.create(name=f"Bench partner {programme.pk}", sector="other")
        programme.partners.add(partner)
        Membership.objects.create(programme=programme, user=manager, role="manager")
        Action.objects.bulk_create([
            Action(programme=programme, title=f"Action {i}", owner=manager, owner_partner=partner,
                   status="in_progress", due_date=None)
            for i in range(n)
        ], batch_size=2000)

        start = time.perf_counter()
        rows = Action.objects.filter(programme=programme).values_list(
            "pk", "programme_id", "gap_id", "title", "description", "owner_id", "owner__username",
            "owner_partner_id", "owner_partner__name", "due_date", "status", "priority", "version")
        out = io.StringIO()
        writer = csv.writer(out)
        for row in rows.iterator(chunk_size=1000):
            writer.writerow(row)
        floor = time.perf_counter() - start

        for fmt in ("csv", "xlsx"):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get("/api/v1/actions/",
                                      {"programme": programme.pk, "format": fmt})
                size = sum(len(chunk) for chunk in response.streaming_content)
                took = time.perf_counter() - start
            assert response.status_code == 200 and size
            print(f"{n:>8} {fmt:>6} {took:>8.2f} {n / took:>9.0f} {floor:>8.3f} "
                  f"{took / floor:>6.1f} {len(queries):>7}")


if __name__ == "__main__":
    main()
