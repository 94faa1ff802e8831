"""What a programme manager's weekly digest says about each active programme they
manage, besides the successes (``attachments.successes_for_managers``): the week's
changes, counted from the programme's events, and the overdue open actions by partner,
worst first. Each function reads all the recipient's programmes in a fixed number of
queries; the reports app registers them with ``notifications.digest``."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Subquery
from django.utils import timezone

from actions.models import Action
from notifications.models import Event
from programmes.models import Membership, Programme
from programmes.querysets import member_programme_ids

# Event kind -> (one, many): "1 gap opened", "3 gaps opened". In the order shown.
CHANGES: dict[str, tuple[str, str]] = {
    "assessment.submitted": ("self-assessment submitted", "self-assessments submitted"),
    "gap.opened": ("gap opened", "gaps opened"),
    "gap.reopened": ("gap reopened", "gaps reopened"),
    "gap.closure_proposed": ("gap proposed for closure", "gaps proposed for closure"),
    "gap.closed": ("gap closed", "gaps closed"),
    "action.created": ("action created", "actions created"),
    "action.updated": ("action updated", "actions updated"),
    "action.blocked": ("action blocked", "actions blocked"),
    "action.done": ("action done", "actions done"),
    "contribution.requested": ("request for views sent", "requests for views sent"),
    "placement.requested": ("booking requested", "bookings requested"),
    "placement.approved": ("booking approved", "bookings approved"),
    "placement.confirmed": ("booking confirmed", "bookings confirmed"),
    "placement.declined": ("booking declined", "bookings declined"),
    "placement.promoted": ("booking moved off the waiting list",
                           "bookings moved off the waiting list"),
    "placement.cancelled": ("booking cancelled", "bookings cancelled"),
    "offer.proposed": ("training offer proposed", "training offers proposed"),
    "offer.withdrawn": ("training offer withdrawn", "training offers withdrawn"),
    "need.met": ("learning need met", "learning needs met"),
}


def managed_programmes(recipient):
    """The active programmes ``recipient`` manages, by name (at most a handful)."""
    return Programme.objects.filter(
        pk__in=member_programme_ids(recipient, role=Membership.Role.MANAGER)
    ).exclude(status=Programme.Status.CLOSED).order_by("name")[:settings.DIGEST_MAX_REPORTS]


def window(week: datetime.date) -> tuple[datetime.datetime, datetime.date]:
    """From the Monday before the digest's week (its start, in the service's time zone)
    to now: the week the digest looks back on, as for the successes."""
    start = week - datetime.timedelta(days=7)
    return (timezone.make_aware(datetime.datetime.combine(start, datetime.time.min)), start)


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def change_lines(counts: dict[str, int]) -> list[str]:
    """``{"gap.opened": 3, ...}`` in words, in the order of ``CHANGES``."""
    lines = [f"{n} {CHANGES[kind][0 if n == 1 else 1]}"
             for kind in CHANGES if (n := counts.get(kind, 0))]
    other = sum(n for kind, n in counts.items() if kind not in CHANGES)
    if other:
        lines.append(f"{other} other change{'' if other == 1 else 's'}")
    return lines


def week_changes_for_managers(*, recipient, week) -> list[tuple[str, list[str]]]:
    """For each managed programme, the week's changes counted by kind (two queries)."""
    programmes = list(managed_programmes(recipient))
    if not programmes:
        return []
    since, start = window(week)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (Event.objects.filter(programme_id__in=[p.pk for p in programmes],
                                 created_at__gte=since, created_at__lte=timezone.now())
            .values_list("programme_id", "kind").annotate(n=Count("id")).order_by())
    for programme_id, kind, n in rows:
        counts[programme_id][kind] = n
    today = max(week, timezone.localdate())
    out = []
    for programme in programmes:
        lines = change_lines(counts[programme.pk]) or [
            f"Nothing changed from {_day(start)} to {_day(today)}."]
        out.append((f"This week in {programme.name}", lines))
    return out


def overdue_by_partner_for_managers(*, recipient, week) -> list[tuple[str, list[str]]]:
    """For each managed programme, its overdue open actions by partner, worst first
    (most overdue actions, then the oldest due date), with the oldest named (two
    queries)."""
    programmes = list(managed_programmes(recipient))
    if not programmes:
        return []
    today = timezone.localdate()
    overdue = Action.objects.overdue(today)
    oldest = (overdue.filter(programme_id=OuterRef("programme_id"),
                             owner_partner_id=OuterRef("owner_partner_id"))
              .order_by("due_date", "pk").values("title")[:1])
    rows = (overdue.filter(programme_id__in=[p.pk for p in programmes])
            .values("programme_id", "owner_partner_id", "owner_partner__name")
            .annotate(n=Count("id"), oldest_due=Min("due_date"), oldest_title=Subquery(oldest))
            .order_by("programme_id", "-n", "oldest_due", "owner_partner__name"))
    by_programme: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        partner = row["owner_partner__name"] or "No partner named"
        n = row["n"]
        late = (today - row["oldest_due"]).days
        oldest_words = (f"\u201c{row['oldest_title']}\u201d, " if row["oldest_title"] else "")
        by_programme[row["programme_id"]].append(
            f"{partner}: {n} overdue action{'' if n == 1 else 's'}; the oldest, "
            f"{oldest_words}was due on {_day(row['oldest_due'])} "
            f"({late} day{'' if late == 1 else 's'} ago).")
    return [(f"Overdue actions in {programme.name}, by partner",
             by_programme[programme.pk] or ["No action is overdue. Well done!"])
            for programme in programmes]


def managed_programme_names(*, recipient, week) -> list[str]:
    return [programme.name for programme in managed_programmes(recipient)]


def managers_of_active_programmes(*, week, among=None) -> set[int]:
    """Everyone who manages an active programme: they get a digest every week."""
    if among is not None and not among:
        return set()
    managers = Membership.objects.active().filter(
        role=Membership.Role.MANAGER, user__is_active=True,
    ).exclude(programme__status=Programme.Status.CLOSED)
    if among is not None:
        managers = managers.filter(user_id__in=among)
    return set(managers.values_list("user_id", flat=True).distinct())
