"""Which assessment reminders fall due on a day.

The partner leads of each partner with no submitted assessment in a cycle get
``assessment_due`` 14 days and 2 days before the cycle's ``period_end``; a missed
day is caught up with the latest of the two that has fallen due.
"""

import datetime
from collections.abc import Iterator

from django.urls import reverse

from notifications.services import Reminder

from .models import Assessment, AssessmentCycle, Membership

ASSESSMENT_DUE = "assessment_due"
REMINDER_DAYS_BEFORE = (14, 2)


def latest_reminder_day(period_end: datetime.date, today: datetime.date) -> datetime.date | None:
    days_left = (period_end - today).days
    if days_left < 0:
        return None
    fallen_due = [d for d in REMINDER_DAYS_BEFORE if days_left <= d]
    if not fallen_due:
        return None
    return period_end - datetime.timedelta(days=min(fallen_due))


def _cycles_in_reach(today: datetime.date):
    return AssessmentCycle.objects.filter(
        period_end__gte=today,
        period_end__lte=today + datetime.timedelta(days=max(REMINDER_DAYS_BEFORE)),
    )


def due_assessment_batches(today: datetime.date) -> list[int]:
    """The run cut into batches: the ids of the cycles with reminders due, one batch each."""
    return [
        pk
        for pk, period_end in _cycles_in_reach(today).order_by("pk").values_list("pk", "period_end")
        if latest_reminder_day(period_end, today) is not None
    ]


def due_assessment_reminders(
    today: datetime.date, *, cycle_id: int | None = None
) -> Iterator[Reminder]:
    """The reminders of the day, or of one batch (the cycle ``cycle_id``)."""
    cycles = _cycles_in_reach(today).select_related("programme")
    if cycle_id is not None:
        cycles = cycles.filter(pk=cycle_id)
    for cycle in cycles:
        occurrence = latest_reminder_day(cycle.period_end, today)
        if occurrence is None:
            continue
        submitted = Assessment.objects.filter(
            cycle=cycle, status=Assessment.Status.SUBMITTED
        ).values("partner_id")
        leads = (
            Membership.objects.active().filter(
                programme=cycle.programme, role=Membership.Role.PARTNER_LEAD,
                user__is_active=True,
            )
            .exclude(partner_id__in=submitted)
            .select_related("partner")
        )
        days_left = (cycle.period_end - today).days
        for lead in leads:
            yield Reminder(
                recipient_id=lead.user_id,
                kind=ASSESSMENT_DUE,
                subject_type="cycle",
                subject_id=cycle.pk,
                occurrence=occurrence,
                due_date=cycle.period_end,
                message=(
                    f"Self-assessment due: {lead.partner.name} has not yet submitted its "
                    f"assessment for \u201c{cycle.name}\u201d, which closes in {days_left} "
                    f"day{'s' if days_left != 1 else ''} ({cycle.period_end:%-d %B %Y})."
                ),
                link=reverse("web:cycle", args=[cycle.programme_id, cycle.pk]),
                programme_name=cycle.programme.name,
            )


def members_among(pairs: set[tuple[int, int]], programme_of: dict[int, int]
                  ) -> set[tuple[int, int]]:
    """Of (person, subject id) pairs, those whose person belongs to the subject's programme
    (``programme_of``: subject id to programme id; a subject not in it is gone)."""
    memberships = set(
        Membership.objects.active().filter(
            user_id__in={person for person, _ in pairs},
            programme_id__in=set(programme_of.values()),
        ).values_list("user_id", "programme_id")
    )
    return {
        (person, subject) for person, subject in pairs
        if subject in programme_of and (person, programme_of[subject]) in memberships
    }


def still_told_about_cycles(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of (person, cycle id) pairs, those whose person still belongs to the cycle's
    programme: the e-mails about the others are not sent (``notifications.audience``)."""
    programme_of = dict(
        AssessmentCycle.objects.filter(pk__in={cycle for _, cycle in pairs}).values_list(
            "pk", "programme_id")
    )
    return members_among(pairs, programme_of)
