"""Worker settings that survive a lost worker or broker (pinned so they don't drift)."""

from django.conf import settings

from config.celery import app
from notifications.services import RETRY_CAP_SECONDS


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_a_dead_broker_fails_a_publish_quickly():
    assert app.conf.broker_connection_timeout <= 2
    assert app.conf.task_publish_retry is False
    if settings.REDIS_URL:
        options = app.conf.broker_transport_options
        assert options["socket_timeout"] <= 2 and options["socket_connect_timeout"] <= 2


def test_no_delay_reaches_the_visibility_timeout():
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    assert RETRY_CAP_SECONDS < visibility / 4
    assert settings.CELERY_RETRY_BACKOFF_MAX < visibility / 4


def test_only_json_crosses_the_broker_and_the_schedule_lives_in_the_database():
    assert app.conf.accept_content == ["json"] and app.conf.task_serializer == "json"
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
