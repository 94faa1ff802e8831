"""E-mails of a batch go over one connection to the mail server, not one a message,
and each is still sent once."""

import datetime

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from notifications import services
from notifications.models import EmailDelivery

from .. import factories as f

pytestmark = pytest.mark.django_db

BACKEND = f"{__name__}.CountingBackend"


class CountingBackend(EmailBackend):
    """The test outbox, counting the connections made and opened, and which connection
    sent each message."""

    made = 0
    opened = 0
    closed = 0
    senders: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountingBackend.made += 1

    def open(self):
        CountingBackend.opened += 1
        return True

    def close(self):
        CountingBackend.closed += 1

    def send_messages(self, messages):
        CountingBackend.senders += [id(self)] * len(messages)
        return super().send_messages(messages)


@pytest.fixture
def counting(settings):
    settings.EMAIL_BACKEND = BACKEND
    CountingBackend.made = CountingBackend.opened = CountingBackend.closed = 0
    CountingBackend.senders = []
    return CountingBackend


def told(users, world):
    action = f.ActionFactory(programme=world.programme, title="Rota")
    for user in users:
        services.notify(recipient_id=user.pk, kind="action_assigned", subject_type="action",
                        subject_id=action.pk, occurrence=datetime.date(2026, 11, 30),
                        message="A new action for you.", link=f"/actions/{action.pk}/",
                        programme_name=world.programme.name)


def people(world, n):
    users = [f.UserFactory(username=f"person{i}", email=f"person{i}@example.org")
             for i in range(n)]
    for user in users:
        f.MembershipFactory(programme=world.programme, user=user, role="reviewer")
    return users


def test_a_batch_of_many_emails_opens_one_connection(world, counting):
    told(people(world, 40), world)
    assert EmailDelivery.objects.filter(status="pending").count() == 40

    assert services.send_pending_emails() == 40

    assert len(mail.outbox) == 40
    assert counting.made == 1 and counting.opened == 1 and counting.closed == 1
    assert len(set(counting.senders)) == 1 and len(counting.senders) == 40
    # and a second run sends nothing again, and connects nowhere
    assert services.send_pending_emails() == 0
    assert len(mail.outbox) == 40 and counting.opened == 1


def test_each_batch_has_its_connection(world, counting):
    told(people(world, 25), world)
    while services.send_pending_emails(limit=10):
        pass
    assert len(mail.outbox) == 25
    assert counting.opened == 3 and counting.closed == 3  # batches of 10, 10 and 5


def test_after_a_failed_send_the_next_opens_a_new_connection(world, counting, monkeypatch):
    told(people(world, 6), world)
    real = mail.EmailMultiAlternatives.send
    calls = []

    def third_fails(self, fail_silently=False):
        calls.append(self.to)
        if len(calls) == 3:
            raise ConnectionResetError("the server hung up")
        return real(self, fail_silently)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", third_fails)
    assert services.send_pending_emails() == 5
    assert counting.opened == 2 and counting.closed == 2
    failed = EmailDelivery.objects.get(status="pending")
    assert failed.attempts == 1 and "hung up" in failed.last_error
    assert [m.to for m in mail.outbox] == calls[:2] + calls[3:]
