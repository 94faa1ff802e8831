"""Pages about the service itself, open to everyone: the accessibility statement and the
glossary of the words the service uses."""

import datetime

from django.conf import settings
from django.shortcuts import render

from ..glossary import TERMS

STATEMENT_PREPARED = datetime.date(2026, 12, 3)


def accessibility(request):
    """How accessible the service is, what does not work yet and how to tell us."""
    return render(request, "web/accessibility.html", {
        "contact_email": settings.DEFAULT_FROM_EMAIL,
        "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "max_hours": int(settings.SESSION_MAX_AGE.total_seconds() // 3600),
        "prepared": STATEMENT_PREPARED,
    })


def glossary(request):
    """The words the service uses, each with its own anchor."""
    return render(request, "web/glossary.html", {"terms": TERMS})
