"""Each kind of event reaches exactly its recipients, once (DESIGN.md, "Events, escalation
and webhooks").

One table of steps, taken in order by the people of one programme through the services
the API and the pages call. After each step its events are delivered (twice, as a
repeated or a second worker would), and the notifications written are compared with what
the step's row expects: the notice kind and exactly who hears it. Nobody is told of their
own change. A consumer that dies half way leaves everything for the next run.
"""

import datetime
from decimal import Decimal

import pytest

from actions import services as actions
from learning import services as learning
from notifications import events
from notifications.kinds import KINDS
from notifications.models import Event, Notification
from programmes import contributions
from programmes import services as programmes
from programmes.models import Membership

from .. import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role


@pytest.fixture
def people(world):
    """The world, with a second manager and a second lead of Alpha Council, so that the
    person acting is seen to be left out while the others in their role are told."""
    for username, role, partner in [("manager2", Role.MANAGER, None),
                                    ("lead_a2", Role.PARTNER_LEAD, world.partner_a)]:
        user = f.UserFactory(username=username)
        f.MembershipFactory(programme=world.programme, user=user, role=role, partner=partner)
        setattr(world, username, user)
    return world


def told_since(pk: int) -> dict[str, set[str]]:
    told: dict[str, set[str]] = {}
    for kind, username in Notification.objects.filter(pk__gt=pk).values_list(
            "kind", "recipient__username"):
        told.setdefault(kind, set()).add(username)
    return told


def last_pk() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


MANAGERS = {"manager", "manager2"}
LEADS_A = {"lead_a", "lead_a2"}


def run_steps(w):
    """Yield (name, event kinds published, {notice kind: usernames}) after taking each step."""
    s: dict = {}

    s["action"] = actions.action_create(actor=w.manager, programme=w.programme,
                                        title="Agree a shared induction", owner=w.lead_a,
                                        due_date=datetime.date(2027, 1, 15))
    yield "manager gives an action", {"action.created"}, {"action_assigned": {"lead_a"}}

    actions.action_update(actor=w.lead_a, action=s["action"], status="blocked")
    yield "lead blocks it", {"action.updated"}, {"action_blocked": MANAGERS}

    actions.action_update(actor=w.manager, action=s["action"], owner=w.lead_a2)
    yield "manager hands it on", {"action.updated"}, {"action_assigned": {"lead_a2"}}

    actions.action_update(actor=w.lead_a2, action=s["action"], status="done")
    yield "lead finishes it", {"action.done"}, {}

    actions.action_create(actor=w.lead_a, programme=w.programme, title="Mine", owner=w.lead_a)
    yield "lead takes an action", {"action.created"}, {}

    draft = f.AssessmentFactory(cycle=w.cycle, partner=w.partner_a)
    f.ResponseFactory(assessment=draft, checklist_item=w.items[0], rating="not_met")
    f.ResponseFactory(assessment=draft, checklist_item=w.items[1], rating="partly_met")
    f.answer_the_rest(draft)
    result = programmes.assessment_submit(actor=w.lead_a, assessment=draft)
    s["gap"] = result.opened[0]
    yield ("lead submits with two gaps",
           {"assessment.submitted", "gap.opened"},
           {"assessment_submitted": MANAGERS, "gaps_opened": {"lead_a2"}})

    f.ActionFactory(programme=w.programme, gap=s["gap"], owner=w.lead_a2, title="Open work")
    again = f.AssessmentFactory(cycle=f.CycleFactory(programme=w.programme, name="Spring"),
                                partner=w.partner_a)
    f.ResponseFactory(assessment=again, checklist_item=w.items[0], rating="met")
    f.ResponseFactory(assessment=again, checklist_item=w.items[1], rating="met")
    f.answer_the_rest(again)
    programmes.assessment_submit(actor=w.lead_a, assessment=again)
    yield ("lead rates both met, one with work open",
           {"assessment.submitted", "gap.closed", "gap.closure_proposed"},
           {"assessment_submitted": MANAGERS, "gaps_closed": {"lead_a2"},
            "gap_closure_proposed": MANAGERS | {"lead_a2"}})

    s["hand_gap"] = programmes.gap_create(
        actor=w.manager, programme=w.programme, partner=w.partner_b,
        checklist_item=w.items[2], severity="high", description="Seen at the board")
    yield "manager opens a gap by hand", {"gap.opened"}, {"gap_opened": {"manager2", "lead_b"}}

    programmes.gap_close(actor=w.manager2, gap=s["hand_gap"], note="Agreed at the board")
    yield "manager closes it", {"gap.closed"}, {"gap_closed": {"manager", "lead_b"}}

    programmes.gap_reopen(actor=w.manager, gap=s["hand_gap"], note="Not done after all")
    yield "manager reopens it", {"gap.reopened"}, {"gap_reopened": {"manager2", "lead_b"}}

    offer = learning.offer_create(
        actor=w.provider_user, provider=w.provider, title="Dementia awareness",
        format="workshop", capacity=10, start_date=datetime.date(2027, 1, 10),
        status="published", cost_per_place=Decimal("50.00"))
    need = f.LearningNeedFactory(programme=w.programme, partner=w.partner_a,
                                 principle=w.principles[0], workers_count=12)
    learning.offer_propose(actor=w.provider_user, offer=offer, learning_need=need)
    yield "provider proposes its offer", {"offer.proposed"}, {"offer_proposed": LEADS_A}

    placement = learning.placement_book(actor=w.lead_a, learning_need=need,
                                        session=offer.sessions.get(), places=3)
    yield ("lead asks for places", {"placement.requested"},
           {"placement_requested": MANAGERS | {"lead_a2", "provider"}})

    learning.placement_approve(actor=w.manager, placement=placement)
    yield ("manager approves", {"placement.approved"},
           {"placement_approved": LEADS_A | {"provider"}})

    learning.placement_confirm(actor=w.provider_user, placement=placement)
    yield "provider confirms", {"placement.confirmed"}, {"placement_confirmed": LEADS_A}

    second = learning.placement_book(actor=w.lead_a2, learning_need=need,
                                     session=offer.sessions.get(), places=1)
    learning.placement_approve(actor=w.lead_a, placement=second)
    learning.placement_decline(actor=w.provider_user, placement=second, reason="Full day")
    yield ("a second booking is asked, approved and declined",
           {"placement.requested", "placement.approved", "placement.declined"},
           {"placement_requested": MANAGERS | {"lead_a", "provider"},
            "placement_approved": {"provider", "lead_a2"},
            "placement_declined": LEADS_A})

    learning.placement_cancel(actor=w.lead_a, placement=placement, reason="Rota changed")
    yield "lead cancels the first", {"placement.cancelled"}, {"placement_cancelled": {"provider"}}

    third = learning.placement_book(actor=w.lead_a, learning_need=need,
                                    session=offer.sessions.get(), places=2)
    learning.placement_approve(actor=w.manager, placement=third)
    learning.offer_withdraw(actor=w.provider_user, offer=offer, reason="The trainer left.")
    yield ("provider withdraws the offer with a booking on it",
           {"placement.requested", "placement.approved", "offer.withdrawn"},
           {"placement_requested": MANAGERS | {"lead_a2", "provider"},
            "placement_approved": LEADS_A | {"provider"},
            "offer_withdrawn": LEADS_A})

    learning.need_update(actor=w.manager, need=need, status="met",
                         met_reason="Trained by the council's own team")
    yield ("manager marks the need met", {"need.met"},
           {"learning_need_met": {"manager2"} | LEADS_A})

    draft_b = f.AssessmentFactory(cycle=w.cycle, partner=w.partner_b)
    contributions.contributor_add(actor=w.lead_b, assessment=draft_b, user=w.reviewer,
                                  perspective="person_supported")
    yield "lead asks for views", {"contribution.requested"}, {"contribution_requested":
                                                              {"reviewer"}}


def test_each_event_kind_reaches_exactly_its_recipients_once(people):
    seen_kinds = set()
    for name, kinds, expected in run_steps(people):
        before = last_pk()
        published = set(Event.objects.filter(delivered_at__isnull=True)
                        .values_list("kind", flat=True))
        assert published == kinds, name

        f.deliver_events()
        assert told_since(before) == expected, name
        # delivered again (a repeated task, a second worker): nothing new
        Event.objects.filter(kind__in=kinds).update(delivered_at=None)
        f.deliver_events()
        assert told_since(before) == expected, name
        seen_kinds |= kinds

    assert len(seen_kinds) >= 17  # every kind the table covers was published


def test_a_consumer_that_dies_leaves_the_events_for_the_next_run(people, monkeypatch):
    w = people
    actions.action_create(actor=w.manager, programme=w.programme, title="One",
                          owner=w.lead_a)
    actions.action_create(actor=w.manager, programme=w.programme, title="Two",
                          owner=w.lead_a2)
    calls = []

    def dies(batch):
        calls.append(len(batch))
        raise RuntimeError("worker lost")

    monkeypatch.setitem(events._consumers, "zz-dies", dies)  # runs after notifications
    with pytest.raises(RuntimeError):
        events.deliver()

    # everything the notifications consumer wrote went with the failed transaction
    assert Notification.objects.count() == 0
    assert Event.objects.filter(delivered_at__isnull=True).count() == 2

    monkeypatch.delitem(events._consumers, "zz-dies")
    assert f.deliver_events() == 2
    assert f.deliver_events() == 0
    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("lead_a", "action_assigned"), ("lead_a2", "action_assigned")]
    assert calls == [2]


def test_every_kind_the_service_tells_can_be_chosen_in_the_settings(people):
    for _ in run_steps(people):
        f.deliver_events()
    told = set(Notification.objects.values_list("kind", flat=True))
    assert told and told <= set(KINDS), told - set(KINDS)
