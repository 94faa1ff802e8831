"""Whether a person may still be told about a subject, asked again just before an e-mail goes.

A reminder is chosen for people who belong to the subject's programme on the day it is
made, but its e-mail may wait (for a retry, or for the weekly digest) while the person
leaves. Delivery knows nothing of programmes: the apps above register, per subject type,
a check that takes ``(recipient_id, subject_id)`` pairs and returns the ones still
allowed (``register_check``). ``withdraw`` asks those checks about the e-mails being sent
and marks the others skipped, so nothing about a programme reaches someone who left it,
nor anything at all someone whose account was ended (made inactive).
"""

from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model

from . import digest
from .models import EmailDelivery

Pair = tuple[int, int]
Check = Callable[[set[Pair]], set[Pair]]

LEFT = "Not sent: the recipient no longer belongs to the programme this is about."
ENDED = "Not sent: the recipient's account has ended."
NOTHING_LEFT = "Not sent: nothing in the digest is about a programme the recipient belongs to."

_checks: dict[str, Check] = {}


def register_check(subject_type: str, check: Check) -> Check:
    """Register ``check(pairs) -> allowed pairs`` for a subject type; again replaces it."""
    _checks[subject_type] = check
    return check


def _active(user_ids: set[int]) -> set[int]:
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    return set(users.values_list("pk", flat=True))


def allowed(items: Iterable[tuple[int, str, int]], *, active: set[int] | None = None
            ) -> set[tuple[int, str, int]]:
    """Of ``(recipient_id, subject_type, subject_id)`` items, those that may still be sent.

    A subject type without a check is always allowed; an inactive recipient never is
    (``active``: the ids of the active recipients, when already known).
    """
    items = set(items)
    if active is None:
        active = _active({recipient for recipient, _, _ in items})
    by_type: dict[str, set[Pair]] = {}
    for recipient, subject_type, subject_id in items:
        if recipient in active:
            by_type.setdefault(subject_type, set()).add((recipient, subject_id))
    result = set()
    for subject_type, pairs in by_type.items():
        check = _checks.get(subject_type)
        kept = pairs if check is None else check(pairs)
        result.update((recipient, subject_type, subject_id) for recipient, subject_id in kept)
    return result


def _skip(ids: set[int], reason: str) -> set[int]:
    if ids:
        EmailDelivery.objects.filter(pk__in=ids).update(
            status=EmailDelivery.Status.SKIPPED, last_error=reason
        )
    return ids


def withdraw(deliveries: list[EmailDelivery]) -> set[int]:
    """Mark skipped the e-mails of ``deliveries`` (claimed for sending, with their
    notifications and recipients loaded) that may no longer go; returns their ids.

    For a weekly digest, its waiting items that may no longer go are skipped first, and
    the digest itself when none is left, unless its recipient has a standing digest
    (a manager of an active programme: ``digest.standing_recipients``).
    """
    if not deliveries:
        return set()
    single = {
        d.pk: (d.recipient_id, d.notification.subject_type, d.notification.subject_id)
        for d in deliveries if d.notification_id is not None
    }
    digests = {d.pk: d.recipient_id for d in deliveries if d.digest_week is not None}
    waiting = {
        pk: (recipient, subject_type, subject_id)
        for pk, recipient, subject_type, subject_id in EmailDelivery.objects.filter(
            recipient_id__in=set(digests.values()), status=EmailDelivery.Status.DIGEST
        ).values_list("pk", "recipient_id", "notification__subject_type",
                      "notification__subject_id")
    } if digests else {}
    active = {d.recipient_id for d in deliveries if d.recipient.is_active}  # loaded with them
    ok = allowed([*single.values(), *waiting.values()], active=active)

    def refused(items: dict, *, ended: bool) -> set[int]:
        return {pk for pk, item in items.items()
                if item not in ok and (item[0] not in active) == ended}

    withdrawn = _skip(refused(single, ended=True), ENDED)
    withdrawn |= _skip(refused(single, ended=False), LEFT)
    _skip(refused(waiting, ended=True), ENDED)
    _skip(refused(waiting, ended=False), LEFT)
    still_waiting = {item[0] for item in waiting.values() if item in ok}
    for week in {d.digest_week for d in deliveries if d.digest_week is not None}:
        still_waiting |= digest.standing_recipients(
            week=week,
            among={d.recipient_id for d in deliveries if d.digest_week == week} - still_waiting,
        )
    withdrawn |= _skip({pk for pk, r in digests.items() if r not in active}, ENDED)
    withdrawn |= _skip(
        {pk for pk, r in digests.items() if r in active and r not in still_waiting},
        NOTHING_LEFT,
    )
    return withdrawn
