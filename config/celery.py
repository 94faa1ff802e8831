"""The Celery application: settings under the CELERY namespace, tasks found in each app."""

import logging
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    """The filesystem broker needs its folders before the first publish."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)


@worker_ready.connect
def _flush_outbox_on_start(sender, **kwargs):
    """Hand over what requests queued while the broker was away."""
    from notifications.outbox import flush

    try:
        flush()
    except Exception:  # noqa: BLE001 - logged; beat's flush tries again
        logging.getLogger("tracker.outbox").exception("outbox flush at start-up failed")
