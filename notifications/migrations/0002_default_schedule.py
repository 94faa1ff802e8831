"""The default schedule of background work, stored where operators can change it.

Beat reads its schedule from the database (django-celery-beat), so the times below
are only the starting point: an operator changes them in the admin
(Periodic tasks) without a deploy. This migration only adds entries that are missing.
"""

from django.db import migrations

from notifications.schedule import add_entries, remove_entries

# name, task, crontab (minute, hour, day_of_week) or None, every N minutes or None
SCHEDULE = [
    ("Action reminders", "actions.tasks.send_action_reminders", ("0", "7", "*"), None),
    ("Assessment reminders", "programmes.tasks.send_assessment_reminders", ("0", "7", "*"), None),
    ("Nightly progress snapshots", "programmes.tasks.take_progress_snapshots", ("30", "1", "*"), None),
    ("Weekly e-mail digests", "notifications.tasks.queue_weekly_digests", ("30", "7", "1"), None),
    ("Send waiting e-mails", "notifications.tasks.send_pending_emails", None, 1),
    ("Hand queued work to the broker", "notifications.tasks.outbox_flush", None, 1),
    ("Prune the outbox", "notifications.tasks.prune_outbox", ("0", "3", "*"), None),
]


def add_schedule(apps, schema_editor):
    add_entries(apps, SCHEDULE)


def remove_schedule(apps, schema_editor):
    remove_entries(apps, SCHEDULE)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
