"""End to end: a real submission opens a gap, and the webhook gets ``gap.opened`` signed.

This needs ``programmes.services.assessment_submit`` to publish ``gap.opened`` (the
events work that publishes from the services); until it does, this test fails, saying
so, rather than passing on an event the test made up.
"""

import pytest

from notifications import events
from notifications.models import Event
from programmes import services
from programmes.models import Gap
from webhooks.tasks import send_due_deliveries

from .. import factories as f
from .conftest import make_webhook

pytestmark = pytest.mark.django_db


def test_a_submission_that_opens_a_gap_reaches_the_receiver(world, receiver, development):
    # given a webhook of partner A's lead for gap.opened, and A's complete draft
    hook = make_webhook(world, receiver.url, events=["gap.opened", "assessment.submitted"])
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    f.ResponseFactory(assessment=assessment, checklist_item=world.items[0], rating="not_met")
    f.answer_the_rest(assessment)
    # when the lead submits it, events are delivered and the send task runs
    services.assessment_submit(actor=world.lead_a, assessment=assessment)
    gap = Gap.objects.get()
    assert Event.objects.filter(kind="gap.opened").exists(), (
        "assessment_submit published no gap.opened event")
    events.deliver()
    send_due_deliveries()
    # then the receiver got gap.opened for that gap, with a valid signature
    opened = [r for r in receiver.received if r.headers["X-Tracker-Event"] == "gap.opened"]
    assert len(opened) == 1
    assert opened[0].signed_with(hook.secret)
    payload = opened[0].json
    assert payload["programme"] == {"id": world.programme.pk, "name": world.programme.name}
    assert payload["data"]["id"] == gap.pk
    assert payload["data"]["partner"] == world.partner_a.pk
