"""Links to the service's pages for messages written in bulk (notices, e-mails)."""

import functools

from django.urls import reverse

_MARKER = "987654321"


@functools.cache
def _pattern(name: str) -> str:
    return reverse(name, args=[int(_MARKER)]).replace(_MARKER, "{}")


def page_link(name: str, pk: int) -> str:
    """The page of route ``name`` for object ``pk``, from the route itself (a moved page
    moves its links); each route is reversed once, as a run writes thousands of these."""
    return _pattern(name).format(pk)
