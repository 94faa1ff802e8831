"""Tests only: beat with the stored schedule, each entry firing every few seconds.

Chosen by ``CELERY_BEAT_TEST_INTERVAL`` (config/settings.py). Which tasks run, with
which arguments and options, still comes from django-celery-beat's tables, as in
production; only the timing is replaced, so a test sees the real schedule at work
within seconds.
"""

from celery.schedules import schedule
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry


class EveryFewSecondsEntry(ModelEntry):
    def __init__(self, model, app=None):
        super().__init__(model, app=app)
        self.schedule = schedule(settings.CELERY_BEAT_TEST_INTERVAL, app=self.app)


class EveryFewSecondsScheduler(DatabaseScheduler):
    Entry = EveryFewSecondsEntry

    def enabled_models_qs(self):
        # Every enabled entry: the parent leaves out crontab entries not due this hour.
        return self.Model.objects.enabled()
