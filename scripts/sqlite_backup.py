"""Back up and restore the embedded SQLite database (``make backup``, ``make restore``).

    python scripts/sqlite_backup.py backup [--database PATH] [--dest DIR]
    python scripts/sqlite_backup.py restore FILE [--database PATH]

The database is the one ``DATABASE_URL`` names (by default ``var/db.sqlite3``), or
``--database``. Both directions use SQLite's online backup API, so the web server and the
worker keep running: a backup is a consistent copy even while they write, and a restore
replaces the pages of the live database under SQLite's own lock, after which every open
connection reads the restored data.

``backup`` writes ``db-<UTC time>.sqlite3`` into ``--dest`` (by default the ``backups``
folder beside the database, so ``var/backups/``). ``restore`` refuses a file that is not
a sound SQLite database of this service, and first keeps a copy of the database it
replaces (``db-<UTC time>-before-restore.sqlite3`` in the same folder).

Exit status: 0 done, 1 refused (the message says why), 2 wrong usage.
PostgreSQL is backed up with pg_dump instead (README, "Backups").
"""

import argparse
import datetime
import os
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_HEADER = b"SQLite format 3\x00"
# Tables only this service has: a database without them is someone else's.
SERVICE_APPS = {"programmes", "actions", "learning", "notifications"}


class Refused(Exception):
    """The operation would be unsafe; the message says why, in plain words."""


def configured_database() -> Path:
    """The SQLite file the service uses, from its settings (DATABASE_URL)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        raise Refused(
            "DATABASE_URL names a PostgreSQL database; back it up with pg_dump and restore "
            "it with pg_restore (README, \"Backups\"). This script is for the SQLite file."
        )
    return Path(database["NAME"])


def _stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")


def _free_name(folder: Path, stem: str) -> Path:
    path, n = folder / f"{stem}.sqlite3", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.sqlite3"
    return path


def check_service_database(path: Path) -> None:
    """Refuse unless ``path`` is a sound SQLite database made by this service."""
    if not path.is_file():
        raise Refused(f"There is no file at {path}.")
    with path.open("rb") as f:
        if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise Refused(f"{path} is not an SQLite database.")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (verdict,) = connection.execute("PRAGMA integrity_check(1)").fetchone()
            tables = {name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            apps = set()
            if "django_migrations" in tables:
                apps = {app for (app,) in connection.execute(
                    "SELECT DISTINCT app FROM django_migrations")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise Refused(f"{path} is damaged and cannot be read ({exc}).") from None
    if verdict != "ok":
        raise Refused(f"{path} is damaged: SQLite's integrity check says {verdict!r}.")
    missing = SERVICE_APPS - apps
    if missing:
        raise Refused(
            f"{path} is an SQLite database, but not one of this service: it has no "
            f"tables of {', '.join(sorted(missing))}."
        )


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into ``target`` (created or overwritten)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup(database: Path, dest: Path | None = None) -> Path:
    check_service_database(database)
    dest = dest or database.parent / "backups"
    dest.mkdir(parents=True, exist_ok=True)
    target = _free_name(dest, f"db-{_stamp()}")
    partial = target.with_suffix(".partial")
    _copy(database, partial)
    check_service_database(partial)
    partial.replace(target)  # a file with the final name is always complete
    return target


def restore(file: Path, database: Path) -> Path | None:
    """Replace the database's contents with ``file``'s; returns the copy kept first."""
    check_service_database(file)
    if file.resolve() == database.resolve():
        raise Refused(f"{file} is the database itself; name a backup to restore.")
    kept = None
    if database.exists():
        kept = _free_name(database.parent / "backups", f"db-{_stamp()}-before-restore")
        kept.parent.mkdir(parents=True, exist_ok=True)
        _copy(database, kept)
    _copy(file, database)
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", type=Path, help="the SQLite file (default: settings)")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a copy into the backups folder")
    make.add_argument("--dest", type=Path, help="folder (default: backups/ beside the database)")
    back = commands.add_parser("restore", help="put a backup's contents back")
    back.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        database = args.database or configured_database()
        if args.command == "backup":
            print(f"Backed up {database} to {backup(database, args.dest)}")
        else:
            kept = restore(args.file, database)
            print(f"Restored {database} from {args.file}.")
            if kept:
                print(f"The database as it was before is kept in {kept}.")
            print("If the backup is older than the code, run `make migrate` next.")
    except Refused as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
