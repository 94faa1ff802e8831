"""Every task the beat schedule names is accepted for queueing under production settings.

Celery refuses to queue a task whose soft time limit is above its hard one
(``ValueError`` in ``apply_async``; beat only logs ``SchedulingError``), and nothing
else says so. This test starts a fresh process with production settings (``DEBUG``
off, a secret key, allowed hosts), migrates an empty database (so the schedule is the
one the data migration stores), loads it with beat's own scheduler and hands every
entry to beat's own ``apply_async``. Only the broker differs from production: kombu's
in-memory transport, which accepts publishes, so each message can be read back.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json

import django

django.setup()

from django.conf import settings
from django.core.management import call_command

call_command("migrate", verbosity=0)

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app

app.loader.import_default_modules()
scheduler = DatabaseScheduler(app=app)
# Every enabled entry, not only those due this hour (which is what beat loads now).
entries = {
    model.name: scheduler.Entry(model, app=app)
    for model in PeriodicTask.objects.filter(enabled=True)
}
refused = {}
for name, entry in sorted(entries.items()):
    try:
        scheduler.apply_async(entry, advance=False)
    except Exception as exc:
        refused[name] = f"{exc.__class__.__name__}: {exc}"

published = []
with app.connection_for_read() as connection:
    queue = connection.SimpleQueue(app.conf.task_default_queue)
    while True:
        try:
            message = queue.get(block=False)
        except queue.Empty:
            break
        published.append(message.headers["task"])
        message.ack()
    queue.close()

print(json.dumps({
    "debug": settings.DEBUG,
    "broker": app.conf.broker_url,
    "scheduled": sorted(entry.task for entry in entries.values()),
    "refused": refused,
    "published": sorted(published),
    "limits": {
        entry.task: [app.tasks[entry.task].soft_time_limit, app.tasks[entry.task].time_limit]
        for entry in entries.values()
    },
}))
"""


def test_every_scheduled_task_is_accepted_under_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="a-production-secret-that-is-long-and-random-enough-0123456789abcdef",
        ALLOWED_HOSTS="tracker.example.nhs.uk",
        DATABASE_URL=f"sqlite:///{tmp_path / 'schedule.sqlite3'}",
        REDIS_URL="memory://",  # production's Redis branch of the settings, in memory
        LOG_LEVEL="WARNING",
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["debug"] is False and report["broker"] == "memory://"
    scheduled = report["scheduled"]
    for task in (
        "actions.tasks.send_action_reminders",
        "actions.tasks.escalate_overdue_actions",
        "programmes.tasks.send_assessment_reminders",
        "programmes.tasks.take_progress_snapshots",
        "notifications.tasks.queue_weekly_digests",
        "notifications.tasks.send_pending_emails",
        "notifications.tasks.outbox_flush",
        "notifications.tasks.prune_outbox",
    ):
        assert task in scheduled, f"{task} is not in the stored schedule"
    assert report["refused"] == {}, report["refused"]
    assert report["published"] == scheduled, "not every scheduled task reached the broker"
    for task, (soft, hard) in report["limits"].items():
        assert 0 < soft < hard, f"{task}: soft {soft} s, hard {hard} s"
