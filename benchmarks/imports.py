"""Benchmark (not a test) of spreadsheet imports: rows per second, and queries per file.

For each size N it makes a fresh programme (one partner, a manager and an owner, and
two open gaps), then imports through the API with the manager's login, timing each
whole request:

* N actions from a CSV file, each naming its owner, partner, due date, status,
  priority and a gap's item code (every lookup an import makes);
* the same rows from an XLSX file written as the service's own exports are;
* N learning needs from a CSV file (partner, principle, workers, date);

each as a dry run and then for real, and prints rows per second and the number of
queries (which must not grow with N). The figures go into docs/benchmarks.md.

    .venv/bin/python -m benchmarks.imports [--sizes 1000,5000] [--no-docs]

Without ``DATABASE_URL`` it works on a new SQLite file in a temporary folder; given a
database, it must be one whose name contains "bench" (its tables are created by
``migrate`` and the imported rows are left there).
"""

import argparse
import datetime
import io
import operator
import os
import platform
import sys
import tempfile
import time

MARK_START = "<!-- bench-imports:start (written by benchmarks/imports.py) -->"
MARK_END = "<!-- bench-imports:end -->"


def setup_django() -> None:
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

    call_command("migrate", verbosity=0)


def actions_rows(n: int, *, owner: str, partner: str, code: str) -> list[list]:
    return [[f"Action {i}", f"Why {i}", owner, partner, datetime.date(2027, 3, 31),
             "In progress", "High", code] for i in range(n)]


ACTION_HEADERS = ["Title", "Description", "Owner username", "Owner partner", "Due date",
                  "Status", "Priority", "Item code"]
NEED_HEADERS = ["Staff group", "Topic", "Workers", "Needed by", "Partner", "Principle"]


def as_csv(headers: list[str], rows: list[list]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, datetime.date) else v
                         for v in row])
    return out.getvalue().encode()


def as_xlsx(headers: list[str], rows: list[list]) -> bytes:
    from exchange.tabular import Column, xlsx_file

    columns = [Column(h, operator.itemgetter(i)) for i, h in enumerate(headers)]
    return xlsx_file(columns, rows, title="Import").read()


def seed(n: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from programmes.models import (
        ChecklistItem,
        Framework,
        Gap,
        Membership,
        Partner,
        Principle,
        Programme,
    )

    stamp = f"{n}-{time.time_ns()}"
    framework, _ = Framework.objects.get_or_create(
        slug="bench-imports", defaults={"title": "Bench", "version": "1"})
    principles = []
    for number in (1, 2):
        principle, _ = Principle.objects.get_or_create(
            framework=framework, number=number, defaults={"title": f"Principle {number}"})
        principles.append(principle)
    item, _ = ChecklistItem.objects.get_or_create(
        principle=principles[0], code="1.1", defaults={"text": "Question", "order": 1})
    programme = Programme.objects.create(name=f"Bench imports {stamp}", framework=framework)
    partner = Partner.objects.create(name=f"Bench partner {stamp}", sector="other")
    programme.partners.add(partner)
    User = get_user_model()
    manager = User.objects.create(username=f"manager-{stamp}")
    owner = User.objects.create(username=f"owner-{stamp}")
    Membership.objects.create(programme=programme, user=manager, role="manager")
    Membership.objects.create(programme=programme, user=owner, role="partner_lead",
                              partner=partner)
    Gap.objects.create(programme=programme, partner=partner, checklist_item=item,
                       principle=principles[0], severity="high", opened_at=timezone.now())
    return programme, partner, manager, owner, item


def measure(sizes: list[int]) -> list[dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    results = []
    for n in sizes:
        programme, partner, manager, owner, item = seed(n)
        client = APIClient()
        client.force_authenticate(manager)
        rows = actions_rows(n, owner=owner.username, partner=partner.name, code=item.code)
        needs = [["Care workers", f"Topic {i}", i % 9 + 1, datetime.date(2027, 3, 31),
                  partner.name, i % 2 + 1] for i in range(n)]
        files = [
            ("actions", "csv", as_csv(ACTION_HEADERS, rows)),
            ("actions", "xlsx", as_xlsx(ACTION_HEADERS, rows)),
            ("learning-needs", "csv", as_csv(NEED_HEADERS, needs)),
        ]
        for collection, fmt, content in files:
            for dry_run in (True, False):
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = client.post(f"/api/v1/{collection}/import/", {
                        "programme": programme.pk, "dry_run": "true" if dry_run else "false",
                        "file": SimpleUploadedFile(f"bench.{fmt}", content)},
                        format="multipart")
                    took = time.perf_counter() - start
                expected = 200 if dry_run else 201
                assert response.status_code == expected, response.content[:500]
                assert response.json()["rows"] == n
                result = {"rows": n, "collection": collection, "format": fmt,
                          "run": "dry run" if dry_run else "import", "seconds": took,
                          "rows_per_s": n / took, "queries": len(queries),
                          "kib": len(content) / 1024}
                results.append(result)
                print(f"{n:>6} {collection:>15} {fmt:>5} {result['run']:>8} {took:>8.2f} "
                      f"{n / took:>8.0f} {len(queries):>7} {result['kib']:>8.0f}", flush=True)
    return results


def machine() -> dict[str, str]:
    from django import get_version
    from django.db import connection

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            database = f"SQLite {cursor.fetchone()[0]} (a temporary file)"
    try:
        load = f"{os.getloadavg()[0]:.1f}"
    except OSError:
        load = "unknown"
    return {"CPU": cpu, "Cores": str(os.cpu_count()), "Load average at the start": load,
            "Database": database, "Python": platform.python_version(),
            "Django": get_version()}


def write_docs(results: list[dict], info: dict[str, str]) -> None:
    from benchmarks.docs import replace_block

    lines = [
        MARK_START, "",
        f"Latest run, {datetime.date.today():%Y-%m-%d}; each figure is one whole request "  # noqa: DTZ011
        "through the API (reading the file, checking every row, writing them).", "",
        *[f"- {k}: {v}" for k, v in info.items()], "",
        "| rows | file | run | seconds | rows/s | queries | file size (KiB) |",
        "|---:|---|---|---:|---:|---:|---:|",
        *[f"| {r['rows']:,} | {r['collection']} {r['format']} | {r['run']} | "
          f"{r['seconds']:.2f} | {r['rows_per_s']:,.0f} | {r['queries']} | {r['kib']:,.0f} |"
          for r in results],
        "", MARK_END,
    ]
    replace_block(MARK_START, MARK_END, "\n".join(lines), heading="Spreadsheet imports")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--no-docs", action="store_true",
                        help="print the table only; leave docs/benchmarks.md as it is")
    args = parser.parse_args(argv)
    setup_django()
    info = machine()
    print(f"{'rows':>6} {'file':>15} {'fmt':>5} {'run':>8} {'seconds':>8} {'rows/s':>8} "
          f"{'queries':>7} {'KiB':>8}")
    results = measure([int(x) for x in args.sizes.split(",")])
    if not args.no_docs:
        write_docs(results, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
