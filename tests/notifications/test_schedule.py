"""The default schedule lives in the database, where an operator can change it."""

import pytest
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


def schedule(name: str) -> PeriodicTask:
    return PeriodicTask.objects.select_related("crontab", "interval").get(name=name)


def test_reminders_run_daily_at_seven_london_time():
    for name, task in [
        ("Action reminders", "actions.tasks.send_action_reminders"),
        ("Assessment reminders", "programmes.tasks.send_assessment_reminders"),
    ]:
        entry = schedule(name)
        assert entry.enabled and entry.task == task
        cron = entry.crontab
        assert (cron.minute, cron.hour, cron.day_of_week) == ("0", "7", "*")
        assert str(cron.timezone) == "Europe/London"


def test_overdue_actions_are_escalated_daily_after_the_reminders():
    entry = schedule("Escalate overdue actions")
    assert entry.enabled and entry.task == "actions.tasks.escalate_overdue_actions"
    cron = entry.crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("15", "7", "*")
    assert str(cron.timezone) == "Europe/London"


def test_snapshots_run_nightly_and_digests_weekly():
    snapshots = schedule("Nightly progress snapshots")
    assert snapshots.task == "programmes.tasks.take_progress_snapshots"
    assert int(snapshots.crontab.hour) < 6 and snapshots.crontab.day_of_week == "*"

    digests = schedule("Weekly e-mail digests")
    assert digests.task == "notifications.tasks.queue_weekly_digests"
    assert digests.crontab.day_of_week == "1"  # Mondays
    assert str(digests.crontab.timezone) == "Europe/London"


def test_waiting_emails_and_the_outbox_are_picked_up_every_minute():
    for name in ("Send waiting e-mails", "Hand queued work to the broker"):
        interval = schedule(name).interval
        assert (interval.every, interval.period) == (1, "minutes")


def test_every_scheduled_task_exists():
    from config.celery import app

    app.loader.import_default_modules()
    names = set(PeriodicTask.objects.exclude(task="celery.backend_cleanup")
                .values_list("task", flat=True))
    assert names and names <= set(app.tasks)
