"""What the apps above add to the weekly digest, through two small hooks.

Delivery knows nothing of programmes: an app registers a function that, for a
recipient and the digest's week (its Monday), returns
- ``register_attachments``: ``(filename, content, mimetype)`` tuples (the reports app
  attaches each managed programme's highlight report);
- ``register_sections``: ``(heading, lines)`` pairs of plain text, shown in the body of
  the e-mail after the notifications (the reports app gives each managed programme's
  successes of the week);
- ``register_programmes``: the names of the programmes the digest covers for the
  recipient (named in its subject and ``X-Tracker-Programme`` header);
- ``register_recipients``: ``provider(week=..., among=None | set of user ids)`` giving
  the ids of people who get a digest every week even with no notifications waiting
  (the reports app: the managers of active programmes). ``among`` narrows the answer to
  those people, asked again just before the digest goes.
"""

import datetime
from collections.abc import Callable

Attachment = tuple[str, bytes, str]
AttachmentProvider = Callable[..., list[Attachment]]
Section = tuple[str, list[str]]
SectionProvider = Callable[..., list[Section]]

_providers: list[AttachmentProvider] = []
_section_providers: list[SectionProvider] = []


def register_attachments(provider: AttachmentProvider) -> AttachmentProvider:
    """Register ``provider(recipient=..., week=...)``; registering twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def attachments_for(*, recipient, week: datetime.date) -> list[Attachment]:
    return [item for provider in _providers for item in provider(recipient=recipient, week=week)]


def register_sections(provider: SectionProvider) -> SectionProvider:
    """Register ``provider(recipient=..., week=...)`` giving ``[(heading, [line, ...])]``;
    registering twice is harmless."""
    if provider not in _section_providers:
        _section_providers.append(provider)
    return provider


def sections_for(*, recipient, week: datetime.date) -> list[Section]:
    return [section for provider in _section_providers
            for section in provider(recipient=recipient, week=week)]


ProgrammesProvider = Callable[..., list[str]]
RecipientsProvider = Callable[..., set[int]]
_programme_providers: list[ProgrammesProvider] = []
_recipient_providers: list[RecipientsProvider] = []


def register_programmes(provider: ProgrammesProvider) -> ProgrammesProvider:
    """Register ``provider(recipient=..., week=...)`` giving programme names."""
    if provider not in _programme_providers:
        _programme_providers.append(provider)
    return provider


def programmes_for(*, recipient, week: datetime.date) -> list[str]:
    return [name for provider in _programme_providers
            for name in provider(recipient=recipient, week=week)]


def register_recipients(provider: RecipientsProvider) -> RecipientsProvider:
    """Register ``provider(week=..., among=...)`` giving user ids with a standing digest."""
    if provider not in _recipient_providers:
        _recipient_providers.append(provider)
    return provider


def standing_recipients(*, week: datetime.date, among: set[int] | None = None) -> set[int]:
    """The people who get this week's digest even with nothing waiting for it."""
    found: set[int] = set()
    for provider in _recipient_providers:
        found |= set(provider(week=week, among=among))
    return found
