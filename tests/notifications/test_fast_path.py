"""The reminder run's PostgreSQL statement and its portable fallback make the same rows.

``notify_many`` inserts a batch with one PostgreSQL statement (arrays of columns,
``ON CONFLICT DO NOTHING RETURNING``, the e-mails in the same statement) and with
``bulk_create`` on other databases. Both must write the same notifications and
e-mails, respect the preferences, and create nothing twice when run again.
"""

import datetime

import pytest

from actions.reminders import due_action_reminders
from notifications import services
from notifications.models import EmailDelivery, Notification, NotificationPreference, OutboxMessage

from .. import factories as f

DAY = datetime.date(2026, 3, 16)


def days(n: int) -> datetime.date:
    return DAY + datetime.timedelta(days=n)


@pytest.fixture
def owners_and_actions(world):
    """Four owners (default, e-mail off, weekly digest, explicit immediate) and actions
    in every reminder window, one of them already reminded by an earlier run."""
    owners = [f.UserFactory(username=f"owner{i}", email=f"owner{i}@example.org") for i in range(4)]
    for owner in owners:  # an owner is a member of the action's programme
        f.MembershipFactory(programme=world.programme, user=owner, role="reviewer")
    NotificationPreference.objects.create(user=owners[1], email_enabled=False)
    NotificationPreference.objects.create(user=owners[2], email_frequency="weekly_digest")
    NotificationPreference.objects.create(user=owners[3], email_frequency="immediate")
    for i, due_in in enumerate([-15, -8, -1, 0, 1, 2, 5, 7, 8, 30]):
        for owner in owners:
            f.ActionFactory(programme=world.programme, owner=owner, due_date=days(due_in),
                            title=f"Action {i} for {owner.username}")
    return owners


def rows() -> list[tuple]:
    """Every notification with its e-mail, without ids and creation times."""
    return sorted(
        Notification.objects.values_list(
            "recipient_id", "kind", "subject_type", "subject_id", "occurrence", "due_date",
            "message", "link", "read_at", "email__recipient_id", "email__status",
            "email__attempts", "email__last_error", "email__digest_week",
        )
    )


def run_twice(extra) -> list[int]:
    created = []
    for _ in range(2):
        created.append(services.notify_many(due_action_reminders(DAY), batch_size=7))
        created.append(services.notify_many(extra, batch_size=7))
    return created


def extra_reminders(owners) -> list[services.Reminder]:
    """A reminder without due date, and the same key twice in one batch."""
    one = services.Reminder(recipient_id=owners[0].pk, kind="action_assigned",
                            subject_type="action", subject_id=1, occurrence=DAY,
                            message="You own \u201cAction\u201d.", link="/actions/1/")
    return [one, one]


def test_the_portable_path_is_once_only_and_follows_the_preferences(
    owners_and_actions, monkeypatch
):
    monkeypatch.setattr(services, "FAST_PATH", False)
    created = run_twice(extra_reminders(owners_and_actions))

    reminded = 8 * 4  # 8 of the 10 due dates are reminded, for each of 4 owners
    assert created == [reminded, 1, 0, 0]
    assert Notification.objects.count() == reminded + 1
    assert EmailDelivery.objects.count() == reminded + 1
    statuses = dict(EmailDelivery.objects.values_list("recipient__username", "status").distinct())
    assert statuses == {"owner0": "pending", "owner1": "skipped", "owner2": "digest",
                        "owner3": "pending"}


@pytest.mark.postgres
def test_fast_path_and_fallback_make_identical_rows_and_stay_once_only(
    owners_and_actions, monkeypatch
):
    assert services.use_fast_path()
    extra = extra_reminders(owners_and_actions)
    # An earlier run already made one of the overdue reminders (and its e-mail).
    services.notify_many(list(due_action_reminders(DAY))[:1])
    earlier = rows()

    fast_created = run_twice(extra)
    fast_rows = rows()

    Notification.objects.exclude(
        pk__in=Notification.objects.order_by("id").values("pk")[:1]
    ).delete()
    OutboxMessage.objects.all().delete()
    assert rows() == earlier
    monkeypatch.setattr(services, "FAST_PATH", False)
    assert not services.use_fast_path()
    portable_created = run_twice(extra)

    assert rows() == fast_rows
    assert fast_created == portable_created == [8 * 4 - 1, 1, 0, 0]
    assert len(fast_rows) == 8 * 4 + 1
    assert all(row[9] == row[0] for row in fast_rows)  # every notification has its e-mail
