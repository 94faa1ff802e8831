"""The daily reminder job: which reminders fall due, once each, by e-mail and in-app."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from actions.reminders import DUE_IN_7_DAYS, DUE_TOMORROW, OVERDUE, latest_reminder
from notifications import services
from notifications.models import EmailDelivery, Notification, NotificationPreference
from programmes.reminders import latest_reminder_day

from .. import factories as f

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 23)


def days(n):
    return DAY + datetime.timedelta(days=n)


@pytest.mark.parametrize(("due_in", "expected"), [
    (8, None),
    (7, (DUE_IN_7_DAYS, 0)),
    (3, (DUE_IN_7_DAYS, -4)),       # a missed day is caught up
    (1, (DUE_TOMORROW, 0)),
    (0, (DUE_TOMORROW, -1)),        # due today: the day-before reminder, caught up
    (-1, (OVERDUE, 0)),             # the day after the due date
    (-5, (OVERDUE, -4)),            # no stale "due tomorrow" once overdue
    (-8, (OVERDUE, 0)),             # then every 7 days
    (-20, (OVERDUE, -5)),
])
def test_latest_reminder_that_fell_due(due_in, expected):
    result = latest_reminder(days(due_in), DAY)
    if expected is None:
        assert result is None
    else:
        kind, offset = expected
        assert result == (kind, days(offset))


@pytest.mark.parametrize(("ends_in", "expected"), [
    (15, None), (14, 14), (10, 14), (2, 2), (0, 2), (-1, None),
])
def test_assessment_reminder_days(ends_in, expected):
    day = latest_reminder_day(days(ends_in), DAY)
    assert day == (None if expected is None else days(ends_in - expected))


@pytest.fixture
def due_work(world):
    """Actions in each window, one without owner, one done, and a cycle closing in 2 days."""
    owner = world.lead_a
    owner.email = "lead_a@example.org"
    owner.save()
    make = lambda due, **kw: f.ActionFactory(programme=world.programme, owner=owner,  # noqa: E731
                                             owner_partner=world.partner_a, due_date=due, **kw)
    actions = {
        "soon": make(days(7)),
        "tomorrow": make(days(1)),
        "overdue": make(days(-1)),
        "later": make(days(30)),
    }
    f.ActionFactory(programme=world.programme, owner=None, due_date=days(1))
    make(days(1), status="cancelled")
    cycle = f.CycleFactory(programme=world.programme, name="Review",
                           period_start=days(-30), period_end=days(2))
    f.AssessmentFactory(cycle=cycle, partner=world.partner_b, status="submitted")
    return actions, cycle


def test_send_reminders_twice_creates_each_notification_and_email_once(due_work, world, capsys):
    actions, cycle = due_work

    call_command("send_reminders", date=DAY.isoformat())
    call_command("send_reminders", date=DAY.isoformat())

    kinds = sorted(Notification.objects.values_list("kind", "subject_id"))
    assert kinds == sorted([
        (DUE_IN_7_DAYS, actions["soon"].pk),
        (DUE_TOMORROW, actions["tomorrow"].pk),
        (OVERDUE, actions["overdue"].pk),
        ("assessment_due", cycle.pk),  # partner A's lead; partner B has submitted
    ])
    assert Notification.objects.filter(kind="assessment_due").get().recipient == world.lead_a
    assert EmailDelivery.objects.filter(status="sent").count() == 4
    assert len(mail.outbox) == 4
    first = next(m for m in mail.outbox if "Overdue" in m.subject)
    assert first.to == ["lead_a@example.org"]
    url = f"{settings.SITE_URL}/actions/{actions['overdue'].pk}/"
    assert url in first.body  # plain text, linking to the action on the web
    html, mimetype = first.alternatives[0]
    assert mimetype == "text/html" and f'href="{url}"' in html
    assert "4 e-mail(s) sent" in capsys.readouterr().out


def test_a_week_later_the_overdue_reminder_comes_again(due_work):
    actions, _ = due_work
    call_command("send_reminders", date=DAY.isoformat())
    call_command("send_reminders", date=days(3).isoformat())   # same overdue week: nothing
    call_command("send_reminders", date=days(7).isoformat())   # next week: again

    overdue = Notification.objects.filter(kind=OVERDUE, subject_id=actions["overdue"].pk)
    assert sorted(overdue.values_list("occurrence", flat=True)) == [DAY, days(7)]


def test_email_off_or_weekly_digest_is_respected(due_work, world):
    NotificationPreference.objects.create(user=world.lead_a, email_frequency="weekly_digest")

    call_command("send_reminders", date=DAY.isoformat())

    assert Notification.objects.count() == 4
    assert len(mail.outbox) == 0
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"digest"}

    services.queue_weekly_digests(today=DAY)
    services.queue_weekly_digests(today=DAY)  # twice in a week: one digest
    services.send_pending_emails()

    # the lead's digest carries the four; the manager has their own weekly digest
    mine = [m for m in mail.outbox if m.to == [world.lead_a.email]]
    assert len(mine) == 1 and len(mail.outbox) == 2
    assert mine[0].subject == f"Weekly digest: {world.programme.name}: 4 updates"
    assert EmailDelivery.objects.filter(status="digested").count() == 4

    NotificationPreference.objects.filter(user=world.lead_a).update(email_enabled=False)
    call_command("send_reminders", date=days(7).isoformat())
    assert EmailDelivery.objects.filter(status="skipped").exists()
    assert len(mail.outbox) == 2


def test_a_failed_email_is_retried_later_and_never_sent_twice(due_work, monkeypatch):
    call_command("send_reminders", date=DAY.isoformat(), no_email=True)
    sends = []

    def broken(self, fail_silently=False):
        sends.append(self.subject)
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    assert services.send_pending_emails() == 0
    delivery = EmailDelivery.objects.first()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at is not None and "SMTP server down" in delivery.last_error

    monkeypatch.undo()
    assert services.send_pending_emails() == 0        # not yet time to retry
    EmailDelivery.objects.update(next_attempt_at=None)
    assert services.send_pending_emails() == 4
    assert services.send_pending_emails() == 0        # sent ones are never sent again
    assert len(mail.outbox) == 4
