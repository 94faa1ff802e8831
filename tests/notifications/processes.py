"""Helpers for tests that run Celery workers, beat and Redis as processes of their own.

Workers and beat use the test database (``test_database_url``: the worker processes
are told its name, which pytest-django gives as ``test_<name>``), a Redis URL and
Django's file e-mail backend writing to a folder the test reads. Tests using them are
``django_db(transaction=True)``: the processes see only committed rows.
"""

import email
import email.policy
import importlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis
from django.apps import apps
from django.db import connection
from django.db.models import Q
from kombu import pools as kombu_pools

from config.celery import app
from notifications.models import EmailDelivery, Event, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
SENT = EmailDelivery.Status.SENT


def wait_until(condition, *, timeout, what, interval=0.1):
    """Poll ``condition`` until it is true; fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def test_database_url() -> str:
    """The URL of the test database (not the one in DATABASE_URL) for worker processes."""
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    user = quote(s["USER"] or "", safe="")
    host = s["HOST"] or "127.0.0.1"
    port = s["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(s['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test


def purge_queue(url: str):
    """Drop tasks left in a test Redis database by an earlier, interrupted run."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.delete("celery", "unacked", "unacked_index")
    finally:
        client.close()


def ensure_default_schedule():
    """The stored schedule, as the data migration writes it (a transactional test that
    ran before may have emptied every table)."""
    migration = importlib.import_module("notifications.migrations.0002_default_schedule")
    migration.add_schedule(apps, None)
    # Later entries come from each app's own migrations, each with a list ENTRIES.
    from django.db.migrations.loader import MigrationLoader

    from notifications.schedule import add_entries

    loader = MigrationLoader(None, ignore_no_migrations=True)
    for migration in loader.disk_migrations.values():
        module = importlib.import_module(migration.__module__)
        if isinstance(getattr(module, "ENTRIES", None), list):
            add_entries(apps, module.ENTRIES)


MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # how Django's file e-mail backend ends each one


def sent_mails(folder: Path) -> list:
    """The e-mails a worker wrote with Django's file backend (``EMAIL_URL=filemail://``)."""
    mails = []
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            for chunk in path.read_bytes().split(MAIL_SEPARATOR):
                if chunk.strip():
                    mails.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return mails


def links_mailed(mails, pattern: str) -> Counter:
    """How many e-mails were sent about each object (by the link in the text part)."""
    counts = Counter()
    for mail in mails:
        body = mail.get_body(preferencelist=("plain",)).get_content()
        found = re.findall(pattern, body)
        assert found, f"an e-mail without a link matching {pattern}: {body!r}"
        counts[int(found[0])] += 1
    return counts


def action_ids_mailed(mails) -> Counter:
    return links_mailed(mails, r"/actions/(\d+)/")


def all_work_done():
    """No event or e-mail waiting, nothing left in the outbox to hand over, nothing running.

    (A task handed over just before Redis lost its memory never starts; its row stays
    dispatched and unstarted, and the work it stood for is done by a later one.)
    """
    unfinished = Q(dispatched_at__isnull=True) | Q(started_at__isnull=False,
                                                    finished_at__isnull=True)
    return (
        not EmailDelivery.objects.exclude(status=SENT).exists()
        and not OutboxMessage.objects.filter(unfinished).exists()
        and not Event.objects.filter(delivered_at__isnull=True).exists()
    )


class CeleryProcess:
    """``celery -A config worker`` (or ``beat``) in its own process, output kept in a file."""

    def __init__(self, kind: str, name: str, folder: Path, env: dict):
        self.kind = kind
        self.name = f"{name}-{uuid.uuid4().hex[:8]}"
        self.log_path = folder / f"{self.name}.log"
        self._log = open(self.log_path, "wb")  # closed in kill()
        if kind == "worker":
            args = [
                "worker", "--pool=solo", "--concurrency=1", "-l", "info",
                "-n", f"{self.name}@%h",
                # No start-up handshakes with other workers that may share this Redis.
                "--without-mingle", "--without-gossip", "--without-heartbeat",
            ]
        else:
            args = ["beat", "-l", "info", "--max-interval", "1",
                    "-s", str(folder / f"{self.name}-schedule")]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30):
        if self.kind == "worker":
            ready = re.compile(rf"{re.escape(self.name)}@\S+ ready\.")
        else:
            ready = re.compile(r"beat: Starting\.\.\.")

        def is_ready():
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}")
            return ready.search(self.output())

        wait_until(is_ready, timeout=timeout, what=f"{self.kind} {self.name} to be ready")

    def received(self, task_id: str) -> bool:
        return f"[{task_id}] received" in self.output()

    def succeeded(self, task_id: str) -> bool:
        return re.search(rf"\[{re.escape(task_id)}\] succeeded", self.output()) is not None

    def tasks_succeeded(self) -> set[str]:
        """The names of the tasks this worker ran to the end."""
        return set(re.findall(r"Task ([\w.]+)\[[\w-]+\] succeeded", self.output()))

    def kill(self):
        """SIGKILL: no warm shutdown, nothing acknowledged or handed back."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()


@contextmanager
def celery_processes(folder: Path, *, redis_url: str, mail_dir: Path, **extra_env):
    """Start workers with ``start(name)`` and beat with ``start(name, kind="beat")``.

    Every process started is SIGKILLed when the block ends, whatever happens; their
    output is printed when the block fails.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=test_database_url(),
        REDIS_URL=redis_url,
        EMAIL_URL=f"filemail:///{mail_dir}",  # four slashes: an absolute path
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        # Skip Django's system checks at worker start-up: they are not what these tests
        # are about, and the checks' order varies from run to run (at the time of writing
        # one order hits an import cycle in core/api/rest.py, failing 1 start in 3).
        CELERY_SKIP_CHECKS="1",
        **{k: str(v) for k, v in extra_env.items()},
    )
    started: list[CeleryProcess] = []

    def start(name: str, kind: str = "worker") -> CeleryProcess:
        process = CeleryProcess(kind, name, folder, env)
        started.append(process)
        return process

    failed = False
    try:
        yield start
    except BaseException:
        failed = True
        raise
    finally:
        for process in started:
            process.kill()
        if failed:
            for process in started:
                print(f"\n----- output of {process.kind} {process.name} (pid {process.pid}) -----")
                print(process.output()[-20000:])


def free_port() -> int:
    """A TCP port nobody listens on now (the system picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayRedis:
    """A redis-server of the test's own on a free port, without persistence."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        log = open(self.folder / f"redis-{self.port}.log", "ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server on {self.port} exited")
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_until(answers, timeout=10, interval=0.05, what=f"redis-server on {self.port}")
        client.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _drop_broker_connections():
    """Forget pooled broker connections so the next publish uses ``broker_url`` anew."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None and amqp._producer_pool is not None:
        amqp._producer_pool.force_close_all()
        amqp._producer_pool = None
    # kombu keeps its pools in a registry keyed by broker URL: a pool closed above would
    # be handed out again, closed, the next time that broker is used.
    kombu_pools.reset()


@contextmanager
def celery_broker(url: str):
    """Point this process's Celery app (the web side: the outbox) at another broker."""
    previous = app.conf.broker_url
    _drop_broker_connections()
    app.conf.broker_url = url
    try:
        yield
    finally:
        _drop_broker_connections()
        app.conf.broker_url = previous
