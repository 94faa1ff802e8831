"""Fixtures for the page tests: the shared small programme, with some work on it."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from learning.services import allocation_create
from notifications.models import Notification
from programmes.services import assessment_submit
from programmes.snapshots import snapshot_take

from .. import factories as f


@dataclass
class Site:
    world: object
    assessment: object
    gap: object
    action: object
    need: object
    offer: object
    stream: object
    notification: object


@pytest.fixture
def site(world) -> Site:
    """Partner A has submitted its assessment: item 1 not met, item 3 partly met, so two
    gaps; an action (owned by partner A's lead), a learning need with a matching offer,
    a funding stream with an allocation, a notification and a snapshot."""
    w = world
    assessment = f.AssessmentFactory(cycle=w.cycle, partner=w.partner_a)
    for item, rating in zip(w.items, ["not_met", "met", "partly_met", "met", "not_applicable"],
                            strict=True):
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    assessment_submit(actor=w.manager, assessment=assessment)
    gap = w.programme.gaps.get(checklist_item=w.items[0])
    action = f.ActionFactory(programme=w.programme, gap=gap, owner=w.lead_a,
                             owner_partner=w.partner_a, title="Agree a shared induction")
    need = f.LearningNeedFactory(programme=w.programme, partner=w.partner_a, gap=gap,
                                 principle=gap.principle, topic="Strengths-based practice",
                                 staff_group="Home care workers")
    offer = f.TrainingOfferFactory(provider=w.provider, title="Strengths-based practice day",
                                   topics="strengths-based, practice",
                                   principles=[gap.principle])
    stream = f.FundingStreamFactory(programme=w.programme, funder=w.partner_b,
                                    name="Workforce development fund")
    allocation_create(actor=w.manager, stream=stream, learning_need=need, amount=Decimal("250.00"))
    notification = Notification.objects.create(
        recipient=w.manager, kind="action_overdue", subject_type="action", subject_id=action.pk,
        occurrence=datetime.date(2026, 6, 1), message="“Agree a shared induction” is overdue.",
        link=f"/actions/{action.pk}/")
    snapshot_take(programme=w.programme, day=timezone.localdate())
    return Site(w, assessment, gap, action, need, offer, stream, notification)


@pytest.fixture
def as_user():
    """``as_user(user)``: a test client logged in as ``user`` (no JavaScript, plain HTML)."""

    def login(user):
        client = Client()
        client.force_login(user)
        return client

    return login


class Outline(HTMLParser):
    """The headings of a page, the forms and the elements that htmx drives."""

    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.forms: list[dict] = []
        self.hx: list[tuple[str, dict]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag == "form":
            self.forms.append(attrs)
        if any(name.startswith("hx-") for name in attrs):
            self.hx.append((tag, attrs))


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser
