"""``make backup`` and ``make restore`` (scripts/sqlite_backup.py) on a temporary SQLite
database made by the service's own migrations, while another connection keeps it open
as the running server would."""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "sqlite_backup.py"


def _env(database: Path | None = None, url: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
                        "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env["DATABASE_URL"] = url or f"sqlite:///{database}"
    return env


def run(*args, database: Path | None = None, url: str | None = None):
    return subprocess.run(  # noqa: S603 - our own script, with arguments of the test
        [sys.executable, str(SCRIPT), *map(str, args)], cwd=ROOT,
        env=_env(database, url), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database of this service, made once by ``manage.py migrate``."""
    path = tmp_path_factory.mktemp("migrated") / "db.sqlite3"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
        env=_env(path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def database(migrated, tmp_path) -> Path:
    """A fresh copy of the migrated database in its own var/ folder, with one group (the
    groups the migrations make are taken out, so the group marks this copy alone)."""
    path = tmp_path / "var" / "db.sqlite3"
    path.parent.mkdir()
    path.write_bytes(migrated.read_bytes())
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM auth_group_permissions")
        connection.execute("DELETE FROM auth_group")
        connection.execute("INSERT INTO auth_group (name) VALUES ('Backed up')")
    return path


def groups(connection) -> set[str]:
    return {name for (name,) in connection.execute("SELECT name FROM auth_group")}


def test_backup_writes_a_timestamped_copy_into_var_backups(database):
    # when the database is backed up (the default folder: backups/ beside it)
    result = run("backup", database=database)
    # then a complete, readable copy is there under a name with the time
    assert result.returncode == 0, result.stderr
    (copy,) = (database.parent / "backups").iterdir()
    assert re.fullmatch(r"db-\d{8}-\d{6}\.sqlite3", copy.name)
    assert str(copy) in result.stdout
    with sqlite3.connect(copy) as connection:
        assert groups(connection) == {"Backed up"}
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_restore_puts_the_backup_back_under_a_running_connection_and_keeps_the_old(database):
    # given a backup, then changes made after it
    run("backup", database=database)
    (copy,) = (database.parent / "backups").iterdir()
    server = sqlite3.connect(database)  # stays open, like the web server's connection
    server.execute("DELETE FROM auth_group")
    server.execute("INSERT INTO auth_group (name) VALUES ('Made later')")
    server.commit()
    # when the backup is restored, with nothing stopped
    result = run("restore", copy, database=database)
    # then the open connection reads the restored rows
    assert result.returncode == 0, result.stderr
    assert groups(server) == {"Backed up"}
    server.close()
    # and the database as it was just before is kept beside the backups
    (kept,) = (database.parent / "backups").glob("*-before-restore.sqlite3")
    with sqlite3.connect(kept) as connection:
        assert groups(connection) == {"Made later"}
    assert str(kept) in result.stdout


def _not_a_database(folder: Path) -> Path:
    path = folder / "notes.sqlite3"
    path.write_text("These are not the rows you are looking for.\n")
    return path


def _another_services_database(folder: Path) -> Path:
    path = folder / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE django_migrations (id integer, app text, name text)")
        connection.execute("INSERT INTO django_migrations VALUES (1, 'auth', '0001_initial')")
    return path


def _damaged_backup(folder: Path, database: Path) -> Path:
    path = folder / "damaged.sqlite3"
    data = bytearray(database.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page * 3: page * 3 + 200] = b"\xff" * 200  # a table's page overwritten
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(("make", "says"), [
    (lambda folder, db: _not_a_database(folder), "is not an SQLite database"),
    (lambda folder, db: _another_services_database(folder), "not one of this service"),
    (lambda folder, db: _damaged_backup(folder, db), "damaged"),
    (lambda folder, db: folder / "missing.sqlite3", "There is no file"),
], ids=["text file", "another service", "damaged", "missing"])
def test_restore_refuses_what_is_not_a_sound_backup_of_this_service(database, tmp_path, make,
                                                                    says):
    # given a file that is not a sound backup of this service
    bad = make(tmp_path, database)
    before = database.read_bytes()
    # when someone tries to restore it
    result = run("restore", bad, database=database)
    # then it is refused with the reason, and the database is exactly as it was
    assert result.returncode == 1
    assert result.stderr.startswith("Refused: ") and says in result.stderr, result.stderr
    assert database.read_bytes() == before
    assert not (database.parent / "backups").exists()


def test_on_postgresql_the_script_points_to_pg_dump(tmp_path):
    result = run("backup", url="postgres://postgres@127.0.0.1:5432/tracker_nowhere")
    assert result.returncode == 1
    assert "pg_dump" in result.stderr


def test_make_runs_the_same_script():
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/sqlite_backup.py backup\n" in makefile
    assert 'scripts/sqlite_backup.py restore "$(FILE)"\n' in makefile
