import re

import pytest
from django.core import mail
from django.test import Client

LINK = re.compile(r"https?://[^/\s]+(/invitations/[^/\s]+/)")


def link_in(message) -> str:
    """The path of the invitation link in an e-mail."""
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """``sent(write)``: run ``write`` with its after-commit e-mails delivered; returns
    the e-mails it sent."""

    def run(write):
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = write()
        run.result = result
        return mail.outbox[before:]

    return run


@pytest.fixture
def browser():
    return Client()
