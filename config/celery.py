"""The Celery application: settings under the CELERY namespace, tasks found in each app.

Three things here keep scheduled work running in production:

* ``TrackerTask``, the base of every task, derives each task's soft time limit from its
  hard one, so no task can carry a soft limit above its hard limit (Celery refuses to
  queue such a task, and beat would only log ``SchedulingError``);
* ``FlushOutboxOnConnect`` hands the outbox over each time a worker (re)connects to the
  broker, not only when it starts, so work that waited through an outage goes out as
  soon as the broker is back;
* beat reads the schedule from the database (django-celery-beat); for tests only,
  ``CELERY_BEAT_TEST_INTERVAL`` makes it fire every entry every few seconds
  (``config/beat.py``).
"""

import logging
import math
import os

from celery import Celery, Task, bootsteps
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SOFT_LIMIT_SHARE = 0.9  # a task is asked to stop at 90% of its hard time limit


def soft_time_limit_for(time_limit: float) -> int:
    """The soft time limit that goes with a hard one: 90% of it, always below it."""
    return max(0, min(math.floor(time_limit * SOFT_LIMIT_SHARE), math.ceil(time_limit) - 1))


class TrackerTask(Task):
    """Every task declares (or inherits) only a hard time limit; the soft one follows."""

    @classmethod
    def on_bound(cls, app):
        hard = cls.time_limit
        if not hard:
            raise ImproperlyConfigured(
                f"task {cls.name} has no time limit: set CELERY_TASK_TIME_LIMIT or its own"
            )
        if cls.soft_time_limit is None:
            cls.soft_time_limit = soft_time_limit_for(hard)
        elif cls.soft_time_limit > hard:
            raise ImproperlyConfigured(
                f"task {cls.name}: soft time limit {cls.soft_time_limit} s is above its "
                f"time limit {hard} s, so Celery would refuse to queue it; declare only "
                "time_limit and let the soft limit follow"
            )


app = Celery("tracker", task_cls=TrackerTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    """The filesystem broker needs its folders before the first publish."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)


class FlushOutboxOnConnect(bootsteps.StartStopStep):
    """Hand over what waited in the outbox whenever the worker's broker connection is up.

    A consumer step starts again after every reconnection, so this runs at start-up and
    again as soon as the broker comes back from an outage.
    """

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, c):
        from notifications.outbox import flush

        try:
            handed = flush()
        except Exception:  # noqa: BLE001 - logged; beat's flush tries again
            logging.getLogger("tracker.outbox").exception("outbox flush on connect failed")
            return
        logging.getLogger("tracker.outbox").info("broker connected: %s handed over", handed)


app.steps["consumer"].add(FlushOutboxOnConnect)
