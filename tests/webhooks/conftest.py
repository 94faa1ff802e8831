import pytest
from django.test import override_settings

from webhooks.models import Webhook

from .receiver import Receiver

PRODUCTION = {"WEBHOOKS_ALLOW_HTTP": False, "WEBHOOKS_ALLOW_PRIVATE": False}
DEVELOPMENT = {"WEBHOOKS_ALLOW_HTTP": True, "WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def development():
    """A receiver on this machine is allowed (as in development)."""
    with override_settings(**DEVELOPMENT):
        yield


@pytest.fixture
def production():
    with override_settings(**PRODUCTION):
        yield


def make_webhook(world, url, *, owner=None, events=("gap.opened",), **fields) -> Webhook:
    return Webhook.objects.create(programme=world.programme, owner=owner or world.lead_a,
                                  url=url, events=list(events), secret="s" * 40, **fields)
