"""In-app notifications, preferences, the calendar feed and the outbox."""

import datetime

import pytest
from icalendar import Calendar

from notifications import outbox
from notifications.models import Notification, OutboxMessage

from .. import factories as f

pytestmark = pytest.mark.django_db


def note(user, n, **kw):
    return Notification.objects.create(
        recipient=user, kind="action_due_tomorrow", subject_type="action", subject_id=n,
        occurrence=datetime.date(2026, 11, 23), message=f"Message {n}", link=f"/actions/{n}/", **kw)


def test_people_see_their_own_notifications_and_mark_them_read(api, world):
    mine = [note(world.lead_a, n) for n in range(3)]
    note(world.lead_b, 9)
    client = api.as_user(world.lead_a)

    listing = client.get("/api/v1/notifications/").json()
    assert listing["count"] == 3
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 3}
    theirs = Notification.objects.get(subject_id=9)
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404

    read = client.post(f"/api/v1/notifications/{mine[0].pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    assert client.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 2

    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    assert Notification.objects.get(subject_id=9).read_at is None


def test_preferences_can_be_read_and_changed(api, world):
    client = api.as_user(world.lead_a)
    assert client.get("/api/v1/notifications/preferences/").json() == {
        "email_enabled": True, "email_frequency": "immediate", "kinds": {}}
    changed = client.patch("/api/v1/notifications/preferences/",
                           {"email_frequency": "weekly_digest"}, format="json")
    assert changed.status_code == 200 and changed.json()["email_frequency"] == "weekly_digest"
    bad = client.patch("/api/v1/notifications/preferences/", {"email_frequency": "hourly"},
                       format="json")
    assert bad.status_code == 400 and "email_frequency" in bad.json()


def test_assigning_an_action_notifies_the_new_owner_but_not_oneself(api, world):
    client = api.as_user(world.manager)
    action = client.post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "Plan the joint induction",
        "owner": world.lead_a.pk}, format="json").json()
    client.patch(f"/api/v1/actions/{action['id']}/", {"title": "Plan the joint induction day"},
                 format="json")
    api.as_user(world.lead_a).post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "Mine", "owner": world.lead_a.pk},
        format="json")
    f.deliver_events()

    assigned = Notification.objects.filter(kind="action_assigned")
    assert list(assigned.values_list("recipient__username", "subject_id")) == [
        ("lead_a", action["id"])]
    assert assigned.get().email.status == "pending"


def test_calendar_feed_lists_my_open_actions_at_a_secret_address(api, client, world):
    f.ActionFactory(programme=world.programme, owner=world.lead_a, title="Map stakeholders",
                    due_date=datetime.date(2026, 12, 4))
    f.ActionFactory(programme=world.programme, owner=world.lead_a, title="Finished",
                    status="cancelled")
    f.ActionFactory(programme=world.programme, owner=world.lead_b, title="Not mine")
    url = api.as_user(world.lead_a).get("/api/v1/calendar-feed/").json()["url"]
    path = url.split("127.0.0.1:8000", 1)[1]

    feed = client.get(path)

    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["Due: Map stakeholders"]
    assert events[0].decoded("dtstart") == datetime.date(2026, 12, 4)

    new_url = api.as_user(world.lead_a).post("/api/v1/calendar-feed/").json()["url"]
    assert new_url != url
    assert client.get(path).status_code == 404


def test_a_request_succeeds_when_the_broker_is_down_and_the_work_waits(
    api, world, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr("config.celery.app.send_task", down)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.as_user(world.manager).post("/api/v1/actions/", {
            "programme": world.programme.pk, "title": "Arrange shadowing",
            "owner": world.lead_a.pk}, format="json")
    assert created.status_code == 201
    waiting = OutboxMessage.objects.get()
    assert waiting.dispatched_at is None and waiting.attempts == 1
    assert "broker unreachable" in waiting.last_error

    published = []
    monkeypatch.setattr("config.celery.app.send_task",
                        lambda name, args=None, **kw: published.append((name, args)))
    assert outbox.flush() == 1
    assert outbox.flush() == 0
    # the task that delivers the request's event (an assignment) to its consumers
    assert published == [("notifications.tasks.deliver_events", [])]
    waiting.refresh_from_db()
    assert waiting.dispatched_at is not None
