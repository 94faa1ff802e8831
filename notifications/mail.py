"""How every e-mail of the service is worded and labelled.

A subject reads ``<Programme name>: <message>``, in plain text (no HTML escapes), with
its whitespace collapsed, at most ``SUBJECT_LIMIT`` characters and cut only after a
whole word, ending with "…" when cut. The programme's name is never cut: when it is so
long that little room is left, the message still keeps its first words (up to
``MESSAGE_MINIMUM`` characters). Every e-mail carries ``X-Tracker-Kind`` (what it is)
and, when it is about programmes, ``X-Tracker-Programme`` (their names).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

SUBJECT_LIMIT = 150
MESSAGE_MINIMUM = 40
ELLIPSIS = "\u2026"
KIND_HEADER = "X-Tracker-Kind"
PROGRAMME_HEADER = "X-Tracker-Programme"


def collapse(text: str) -> str:
    return " ".join((text or "").split())


def shorten(text: str, limit: int) -> str:
    """``text`` (whitespace collapsed) in at most ``limit`` characters, cut after a whole
    word and ending with "…" when cut; a first word longer than the limit is kept whole."""
    text = collapse(text)
    if len(text) <= limit:
        return text
    kept = ""
    for word in text.split(" "):
        candidate = f"{kept} {word}" if kept else word
        if len(candidate) + len(ELLIPSIS) > limit and kept:
            break
        kept = candidate
        if len(kept) + len(ELLIPSIS) > limit:
            break
    kept = kept.rstrip(",;:–—-")
    return kept + ELLIPSIS if kept != text else kept


def subject_line(programme_name: str, message: str) -> str:
    """``<Programme name>: <message>``, the message cut on a word to fit the limit."""
    programme_name = collapse(programme_name)
    if not programme_name:
        return shorten(message, SUBJECT_LIMIT)
    prefix = f"{programme_name}: "
    room = max(SUBJECT_LIMIT - len(prefix), MESSAGE_MINIMUM)
    return prefix + shorten(message, room)


def digest_subject(programme_names: list[str], updates: int) -> str:
    """"Weekly digest: North Riverside" / "...: A and B" / "...: A and 2 more", then the
    number of updates when there are any. Names are never cut."""
    names = [collapse(name) for name in programme_names if name]
    if not names:
        named = "Weekly digest"
    elif len(names) == 1:
        named = f"Weekly digest: {names[0]}"
    elif len(names) == 2:
        named = f"Weekly digest: {names[0]} and {names[1]}"
    else:
        named = f"Weekly digest: {names[0]} and {len(names) - 1} more"
    if updates:
        return f"{named}: {updates} update{'' if updates == 1 else 's'}"
    return named


def headers(kind: str, programme_names: str | list[str] = "") -> dict[str, str]:
    if isinstance(programme_names, list):
        programme_names = ", ".join(collapse(name) for name in programme_names if name)
    out = {KIND_HEADER: kind}
    if collapse(programme_names):
        out[PROGRAMME_HEADER] = collapse(programme_names)
    return out


def message(*, subject: str, body: str, to: list[str], kind: str,
            programme_names: str | list[str] = "", html: str = "") -> EmailMultiAlternatives:
    """An e-mail ready to send, with the service's headers."""
    email = EmailMultiAlternatives(
        subject=collapse(subject), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to,
        headers=headers(kind, programme_names),
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email
