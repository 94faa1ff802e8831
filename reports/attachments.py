"""The highlight report of each programme a person manages, for their weekly digest."""

from django.conf import settings

from programmes.models import Membership, Programme
from programmes.querysets import member_programme_ids

from . import documents


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
