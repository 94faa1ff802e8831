"""Entries of the default beat schedule, added by each app's own data migration.

Beat reads its schedule from the database (django-celery-beat): the times an app's
migration adds are only the starting point, changed by operators in the admin without a
deploy. ``add_entries`` only adds what is missing, so a changed time is never put back.
"""

TIME_ZONE = "Europe/London"

# (name, task, crontab (minute, hour, day_of_week) or None, every N minutes or None)
Entry = tuple[str, str, tuple[str, str, str] | None, int | None]


def add_entries(apps, entries: list[Entry]) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    for name, task, crontab, minutes in entries:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        if crontab:
            minute, hour, day_of_week = crontab
            schedule, _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_week=day_of_week, day_of_month="*",
                month_of_year="*", timezone=TIME_ZONE,
            )
            PeriodicTask.objects.create(name=name, task=task, crontab=schedule)
        else:
            schedule, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
            PeriodicTask.objects.create(name=name, task=task, interval=schedule)


def remove_entries(apps, entries: list[Entry]) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in entries]).delete()
