"""What the apps above add to the weekly digest, through two small hooks.

Delivery knows nothing of programmes: an app registers a function that, for a
recipient and the digest's week (its Monday), returns
- ``register_attachments``: ``(filename, content, mimetype)`` tuples (the reports app
  attaches each managed programme's highlight report);
- ``register_sections``: ``(heading, lines)`` pairs of plain text, shown in the body of
  the e-mail after the notifications (the reports app gives each managed programme's
  successes of the week).
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
