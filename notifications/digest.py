"""Files attached to the weekly digest, given by the apps above through a hook.

Delivery knows nothing of programmes: an app registers a function that, for a
recipient and the digest's week, returns ``(filename, content, mimetype)`` tuples
(the reports app attaches each managed programme's highlight report).
"""

import datetime
from collections.abc import Callable

Attachment = tuple[str, bytes, str]
AttachmentProvider = Callable[..., list[Attachment]]

_providers: list[AttachmentProvider] = []


def register_attachments(provider: AttachmentProvider) -> AttachmentProvider:
    """Register ``provider(recipient=..., week=...)``; registering twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def attachments_for(*, recipient, week: datetime.date) -> list[Attachment]:
    return [item for provider in _providers for item in provider(recipient=recipient, week=week)]
