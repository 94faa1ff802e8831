"""What the weekly digest of a manager carries for each programme they manage: the
highlight report (attached) and the successes of the week (a section of the body)."""

import datetime

from django.conf import settings
from django.utils import timezone

from programmes.models import Membership, Programme
from programmes.progress import programme_progress
from programmes.querysets import member_programme_ids

from . import documents
from .successes import successes


def highlight_reports_for_managers(*, recipient, week) -> list[tuple[str, bytes, str]]:
    """One PDF per active programme the recipient manages (at most a handful)."""
    programmes = Programme.objects.filter(
        pk__in=member_programme_ids(recipient, role=Membership.Role.MANAGER)
    ).exclude(status=Programme.Status.CLOSED).order_by("name")[:settings.DIGEST_MAX_REPORTS]
    files = []
    for programme in programmes:
        filename, content = documents.programme_highlight_pdf(programme=programme)
        files.append((filename, content, "application/pdf"))
    return files


def successes_for_managers(*, recipient, week) -> list[tuple[str, list[str]]]:
    """For each active programme the recipient manages, the successes from the Monday
    before the digest's week to today, and the co-produced share, in plain words."""
    programmes = Programme.objects.filter(
        pk__in=member_programme_ids(recipient, role=Membership.Role.MANAGER)
    ).exclude(status=Programme.Status.CLOSED).order_by("name")[:settings.DIGEST_MAX_REPORTS]
    start, end = week - datetime.timedelta(days=7), max(week, timezone.localdate())
    out = []
    for programme in programmes:
        found = successes(programme=programme, start=start, end=end)
        lines = []
        if found["total"]:
            lines.append(
                f"From {start.day} {start:%B} to {end.day} {end:%B}, partners closed "
                f"{_count(found['gaps_closed'], 'gap')}, finished "
                f"{_count(found['actions_done'], 'action')} and met "
                f"{_count(found['learning_needs_met'], 'learning need')}. Well done!")
            for partner in found["partners"]:
                for label, kind in (("Gap closed", "gaps_closed"), ("Action done", "actions_done"),
                                    ("Learning need met", "learning_needs_met")):
                    lines.extend(f"{partner['name']}: {label}: "
                                 f"{item['title']}" for item in partner[f"{kind}_items"])
        else:
            lines.append(f"Nothing was closed, done or met from {start.day} {start:%B} "
                         f"to {end.day} {end:%B}.")
        share = programme_progress(programme=programme)["overall"]["coproduced_share"]
        if share is not None:
            lines.append(f"{share}% of the latest submitted assessments had ratings from "
                         "people who draw on care and support or from carers.")
        out.append((f"Successes to celebrate: {programme.name}", lines))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
