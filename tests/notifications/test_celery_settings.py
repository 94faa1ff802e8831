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


def test_every_task_has_a_soft_time_limit_below_its_hard_one():
    app.loader.import_default_modules()
    assert app.conf.task_soft_time_limit is None, "a global soft limit would top some tasks"
    for name, task in app.tasks.items():
        assert task.time_limit, f"{name} has no time limit"
        assert 0 < task.soft_time_limit < task.time_limit, (
            name, task.soft_time_limit, task.time_limit)


def test_a_task_declaring_a_soft_limit_above_its_hard_one_is_refused_when_bound():
    import pytest
    from celery import Celery
    from django.core.exceptions import ImproperlyConfigured

    from config.celery import TrackerTask

    scratch = Celery("scratch", task_cls=TrackerTask, set_as_current=False)
    scratch.conf.task_time_limit = 1800

    @scratch.task(name="scratch.too_soft", time_limit=300, soft_time_limit=1700)
    def too_soft():
        return None

    with pytest.raises(ImproperlyConfigured, match="soft time limit 1700 s is above"):
        scratch.finalize(auto=True)
        too_soft.apply_async  # noqa: B018 - binding happens on first use


def test_soft_limits_follow_hard_ones():
    from config.celery import soft_time_limit_for

    assert [soft_time_limit_for(s) for s in (5, 120, 300, 1800)] == [4, 108, 270, 1620]


def test_a_worker_waits_for_a_lost_broker_for_ever():
    assert app.conf.broker_connection_retry is True
    assert app.conf.broker_connection_max_retries is None
