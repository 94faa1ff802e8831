"""The same refusal reads the same sentence on the page and in the API.

``REFUSALS`` walks the refusals people meet: each domain error of ``core/errors.py``
and each role sentence the services raise (``*_REFUSED``). Each is driven through the
API (its status, and the sentence in the body) and through the page form that offers
the change (the same sentence on the page, in the error summary, next to the field or
as the 403 page), and nothing changes either way. The sentence is the service's own:
a page that said it differently would fail here.
"""

import datetime
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts import services as accounts
from actions import services as action_services
from core import errors
from learning import access as learning_access
from learning import services as learning_services
from learning.models import OFFER_DATES_OUT_OF_ORDER
from notifications import services as notifications
from programmes import services as programme_services
from programmes.models import Gap

from .. import factories as f
from ..test_one_door import everything

pytestmark = pytest.mark.django_db


@dataclass
class Refusal:
    error: type  # the domain error, or PermissionDenied, or ValidationError
    who: str  # the role in ``world`` that meets it
    setup: Callable  # site -> the objects the calls use (a dict)
    sentence: Callable  # site, objects -> what the person reads
    api: Callable  # client, site, objects -> the API's answer
    page: Callable  # client, site, objects -> the page's answer (redirects followed)
    api_status: int = 0  # when not the error's own status code


def _nothing(site):
    return {}


def _draft(site, partner="partner_b", cycle=None, complete=False, **cycle_fields):
    """A draft of partner B in the world's cycle (or a new one), one item answered."""
    w = site.world
    if cycle_fields:
        cycle = f.CycleFactory(programme=w.programme, name="Spring review", **cycle_fields)
    draft = f.AssessmentFactory(cycle=cycle or w.cycle, partner=getattr(w, partner))
    f.ResponseFactory(assessment=draft, checklist_item=w.items[0], rating="met")
    if complete:
        f.answer_the_rest(draft)
    return {"draft": draft}


def _submit_api(client, site, o):
    return client.post(f"/api/v1/assessments/{o['draft'].pk}/submit/")


def _submit_page(client, site, o):
    return client.post(reverse("web:assessment-submit", args=[o["draft"].pk]), follow=True)


def _incomplete_sentence(site, o):
    codes = sorted(site.world.items[i].code for i in range(1, 5))
    return (f"Answer every question before submitting: 4 are not answered yet "
            f"({', '.join(codes)}). \u201cNot applicable\u201d is an answer.")


def _split_views(site):
    """A complete draft of partner B whose first item's views split (met and not met)."""
    from programmes import contributions

    o = _draft(site, complete=True)
    item = site.world.items[0]
    for name, rating in (("voice_met", "met"), ("voice_not_met", "not_met")):
        voice = f.UserFactory(username=name)
        contributions.contributor_add(actor=site.world.lead_b, assessment=o["draft"],
                                      user=voice, perspective="staff", tell=False)
        contributions.contribution_save(actor=voice, assessment=o["draft"],
                                        checklist_item=item, rating=rating)
    return o


def _closed_cycle(site):
    o = _draft(site, complete=True)
    cycle = o["draft"].cycle
    cycle.closed_at = timezone.now()
    cycle.save()
    return o


def _closed_sentence(site, o):
    cycle = o["draft"].cycle
    return (f"The cycle \u201c{cycle.name}\u201d was closed on "
            f"{timezone.localtime(cycle.closed_at):%-d %B %Y}: its assessments can no longer "
            "be started, changed or submitted.")


def _booked_session(site):
    """Two places asked for on the site's offer's one session."""
    placement = learning_services.placement_book(actor=site.world.lead_a,
                                                 learning_need=site.need,
                                                 training_offer=site.offer, places=2)
    return {"session": site.offer.sessions.get(), "placement": placement}


def _requested(site):
    return {"placement": learning_services.placement_book(
        actor=site.world.lead_a, learning_need=site.need, training_offer=site.offer, places=1)}


def _approved(site):
    placement = _requested(site)["placement"]
    return {"placement": learning_services.placement_approve(actor=site.world.manager,
                                                             placement=placement)}


def _confirmed(site):
    placement = _approved(site)["placement"]
    return {"placement": learning_services.placement_confirm(actor=site.world.provider_user,
                                                             placement=placement)}


def _session_fields(**changes):
    return {"start_date": "2027-01-10", "start_time": "09:30", "end_date": "",
            "end_time": "16:30", "location": "", "capacity": 20, **changes}


def _stale_need(site):
    learning_services.need_update(actor=site.world.manager, need=site.need, topic="Renamed")
    return {}


def _proposed_gap(site):
    """Partner A's gap on item 1 with an open action, its closure proposed."""
    Gap.objects.filter(pk=site.gap.pk).update(status=Gap.Status.CLOSURE_PROPOSED)
    return {}


def _with_cycle(site):
    other = f.FrameworkFactory(slug="another-framework")
    return {"framework": other}


def _programme_fields(site, o):
    p = site.world.programme
    return {"name": p.name, "description": p.description, "framework": o["framework"].pk,
            "start_date": p.start_date or "", "end_date": p.end_date or ""}


def _offer_fields(**changes):
    return {"title": "Dementia care", "description": "", "topics": "", "staff_groups": "",
            "format": "workshop", "capacity": 10, "cost_per_place": "50.00", "location": "",
            "start_date": "2027-02-10", "end_date": "2027-02-01", **changes}


REFUSALS = {
    "an incomplete assessment submitted": Refusal(
        errors.Incomplete, "lead_b", _draft, _incomplete_sentence, _submit_api, _submit_page),
    "an assessment submitted with views split and no agreed note": Refusal(
        errors.ConsensusNeeded, "lead_b", _split_views,
        lambda s, o: (f"Opinions split on {s.world.items[0].code}: for each, record the "
                      "agreed rating with a note of how you reached it before submitting."),
        _submit_api, _submit_page),
    "an assessment submitted before its cycle opens": Refusal(
        errors.CycleNotOpen, "lead_b",
        lambda s: _draft(s, complete=True, period_start=datetime.date(2099, 1, 1),
                         period_end=datetime.date(2099, 3, 31)),
        lambda s, o: ("The cycle \u201cSpring review\u201d opens on 1 January 2099: you can "
                      "draft your answers now and submit them from that day."),
        _submit_api, _submit_page),
    "an assessment submitted in a closed cycle": Refusal(
        errors.CycleClosed, "lead_b", _closed_cycle, _closed_sentence, _submit_api,
        _submit_page),
    "a submitted assessment changed": Refusal(
        errors.InvalidTransition, "lead_a", _nothing,
        lambda s, o: programme_services.SUBMITTED_UNCHANGED,
        lambda c, s, o: c.patch(
            f"/api/v1/responses/{s.assessment.responses.get(checklist_item=s.world.items[1]).pk}/",
            {"rating": "not_met"}, format="json"),
        lambda c, s, o: c.post(
            reverse("web:assessment-section", args=[s.assessment.pk, 1]),
            {f"item-{s.world.items[1].pk}-rating": "not_met",
             f"item-{s.world.items[0].pk}-rating": "not_met"}, follow=True)),
    "a session's places lowered below those booked": Refusal(
        errors.LimitExceeded, "provider_user", _booked_session,
        lambda s, o: ("2 places are already booked on this session; its capacity cannot be "
                      "lower."),
        lambda c, s, o: c.patch(f"/api/v1/training-sessions/{o['session'].pk}/",
                                {"capacity": 1}, format="json"),
        lambda c, s, o: c.post(reverse("web:session-edit", args=[o["session"].pk]),
                               _session_fields(capacity=1), follow=True)),
    "a funding stream over-allocated": Refusal(
        errors.LimitExceeded, "manager", _nothing,
        lambda s, o: (f"Only £{s.stream.amount - Decimal('250.00'):,.2f} of this stream's "
                      f"£{s.stream.amount:,.2f} is unallocated; £20,000.00 was asked for."),
        lambda c, s, o: c.post("/api/v1/funding-allocations/", {
            "stream": s.stream.pk, "learning_need": s.need.pk, "amount": "20000.00"},
            format="json"),
        lambda c, s, o: c.post(reverse("web:allocation-new", args=[s.need.pk]),
                               {"stream": s.stream.pk, "amount": "20000.00"}, follow=True)),
    "a learning need changed from a stale copy": Refusal(
        errors.StaleVersion, "lead_a", _stale_need,
        lambda s, o: ("This learning need was changed by someone else (version 2, you sent "
                      "1). Reload it and try again."),
        lambda c, s, o: c.patch(f"/api/v1/learning-needs/{s.need.pk}/",
                                {"version": 1, "notes": "Mine"}, format="json"),
        lambda c, s, o: c.post(reverse("web:learning-need-edit", args=[s.need.pk]), {
            "staff_group": s.need.staff_group, "topic": "Renamed",
            "workers_count": s.need.workers_count, "notes": "Mine", "version": 1,
            "status": s.need.status}, follow=True)),
    "a framework changed under assessment cycles": Refusal(
        errors.Conflict, "manager", _with_cycle,
        lambda s, o: "The framework cannot change once the programme has assessment cycles.",
        lambda c, s, o: c.patch(f"/api/v1/programmes/{s.world.programme.pk}/",
                                {"framework": o["framework"].pk}, format="json"),
        lambda c, s, o: c.post(reverse("web:programme-edit", args=[s.world.programme.pk]),
                               _programme_fields(s, o), follow=True)),
    "a gap closed without saying what becomes of its open work": Refusal(
        errors.DomainError, "manager", _proposed_gap,
        lambda s, o: programme_services.OPEN_WORK_UNDECIDED,
        lambda c, s, o: c.post(f"/api/v1/gaps/{s.gap.pk}/close/", {}, format="json"),
        lambda c, s, o: c.post(reverse("web:gap-decide", args=[s.gap.pk]),
                               {"decision": "close"}, follow=True)),
    "an action owned by someone who may not own actions": Refusal(
        errors.DomainError, "manager", _nothing,
        lambda s, o: action_services.owner_refusal(s.world.reviewer, "reviewer"),
        lambda c, s, o: c.post("/api/v1/actions/", {
            "programme": s.world.programme.pk, "gap": s.gap.pk, "title": "Run it",
            "owner": s.world.reviewer.pk}, format="json"),
        lambda c, s, o: c.post(reverse("web:action-new", args=[s.gap.pk]), {
            "title": "Run it", "owner": s.world.reviewer.pk, "priority": "medium"},
            follow=True)),
    "an offer ending before it starts": Refusal(
        ValidationError, "provider_user", _nothing,
        lambda s, o: OFFER_DATES_OUT_OF_ORDER,
        lambda c, s, o: c.post("/api/v1/training-offers/", {
            **_offer_fields(), "provider": s.world.provider.pk, "principles": []},
            format="json"),
        lambda c, s, o: c.post(reverse("web:offer-new"), _offer_fields(), follow=True),
        api_status=400),
    # Role sentences: the 403 page reads the API's sentence.
    "NEED_REFUSED": Refusal(
        PermissionDenied, "lead_b", _nothing, lambda s, o: learning_access.NEED_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/learning-needs/{s.need.pk}/", {"notes": "x"},
                                format="json"),
        lambda c, s, o: c.post(reverse("web:learning-need-edit", args=[s.need.pk]),
                               {"notes": "x"}), api_status=403),
    "OFFER_REFUSED": Refusal(
        PermissionDenied, "manager", _nothing, lambda s, o: learning_access.OFFER_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/training-offers/{s.offer.pk}/", {"title": "x"},
                                format="json"),
        lambda c, s, o: c.post(reverse("web:offer-status", args=[s.offer.pk, "withdraw"])),
        api_status=403),
    "PLACEMENT_REFUSED": Refusal(
        PermissionDenied, "lead_b", lambda s: {"placement": learning_services.placement_book(
            actor=s.world.lead_a, learning_need=s.need, training_offer=s.offer, places=1)},
        lambda s, o: learning_access.PLACEMENT_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/placements/{o['placement'].pk}/",
                                {"status": "cancelled"}, format="json"),
        lambda c, s, o: c.post(reverse("web:placement-status",
                                       args=[o["placement"].pk, "cancel"])),
        api_status=403),
    "DEMAND_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing, lambda s, o: learning_access.DEMAND_REFUSED,
        lambda c, s, o: c.get(f"/api/v1/training-offers/demand/?provider={s.world.provider.pk}"),
        lambda c, s, o: c.get(f"{reverse('web:demand')}?provider={s.world.provider.pk}"),
        api_status=403),
    "PROPOSE_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing, lambda s, o: learning_services.PROPOSE_REFUSED,
        lambda c, s, o: c.post(f"/api/v1/learning-needs/{s.need.pk}/proposals/",
                               {"offer": s.offer.pk}, format="json"),
        lambda c, s, o: c.post(reverse("web:offer-propose", args=[s.need.pk, s.offer.pk])),
        api_status=403),
    "BOOK_REFUSED": Refusal(
        PermissionDenied, "reviewer", _nothing, lambda s, o: learning_services.BOOK_REFUSED,
        lambda c, s, o: c.post("/api/v1/placements/", {
            "learning_need": s.need.pk, "session": s.offer.sessions.get().pk, "places": 1},
            format="json"),
        lambda c, s, o: c.post(reverse("web:offer-book", args=[s.offer.pk]), {
            "learning_need": s.need.pk, "session": s.offer.sessions.get().pk,
            "places": 1}), api_status=403),
    "APPROVE_REFUSED": Refusal(
        PermissionDenied, "provider_user", _requested,
        lambda s, o: learning_services.APPROVE_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/placements/{o['placement'].pk}/",
                                {"status": "approved"}, format="json"),
        lambda c, s, o: c.post(reverse("web:placement-status",
                                       args=[o["placement"].pk, "approve"])),
        api_status=403),
    "CONFIRM_REFUSED": Refusal(
        PermissionDenied, "lead_a", _approved, lambda s, o: learning_services.CONFIRM_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/placements/{o['placement'].pk}/",
                                {"status": "confirmed"}, format="json"),
        lambda c, s, o: c.post(reverse("web:placement-status",
                                       args=[o["placement"].pk, "confirm"])),
        api_status=403),
    "ATTENDANCE_REFUSED": Refusal(
        PermissionDenied, "lead_a", _confirmed,
        lambda s, o: learning_services.ATTENDANCE_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/placements/{o['placement'].pk}/",
                                {"places_attended": 1, "places_completed": 1},
                                format="json"),
        lambda c, s, o: c.post(reverse("web:placement-attendance",
                                       args=[o["placement"].pk]),
                               {"places_attended": 1, "places_completed": 1}),
        api_status=403),
    "attendance before the session starts": Refusal(
        errors.InvalidTransition, "provider_user", _confirmed,
        lambda s, o: ("Attendance is recorded once the session has started; it starts on "
                      "10 January 2027."),
        lambda c, s, o: c.patch(f"/api/v1/placements/{o['placement'].pk}/",
                                {"places_attended": 1, "places_completed": 1},
                                format="json"),
        lambda c, s, o: c.post(reverse("web:placement-attendance",
                                       args=[o["placement"].pk]),
                               {"places_attended": 1, "places_completed": 1})),
    "MET_BY_HAND_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing,
        lambda s, o: learning_services.MET_BY_HAND_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/learning-needs/{s.need.pk}/",
                                {"status": "met", "met_reason": "Done"}, format="json"),
        lambda c, s, o: c.post(reverse("web:learning-need-met", args=[s.need.pk]),
                               {"met_reason": "Done", "version": s.need.version}),
        api_status=403),
    "STREAM_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing, lambda s, o: learning_access.STREAM_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/funding-streams/{s.stream.pk}/", {"name": "x"},
                                format="json"),
        lambda c, s, o: c.post(reverse("web:stream-edit", args=[s.stream.pk]),
                               {"name": "x", "funder": s.world.partner_b.pk,
                                "amount": "1.00"}), api_status=403),
    "ALLOCATION_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing, lambda s, o: learning_access.ALLOCATION_REFUSED,
        lambda c, s, o: c.patch(
            f"/api/v1/funding-allocations/{s.stream.allocations.get().pk}/",
            {"status": "committed"}, format="json"),
        lambda c, s, o: c.post(reverse("web:allocation-status",
                                       args=[s.stream.allocations.get().pk, "commit"])),
        api_status=403),
    "GAP_STATUS_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing,
        lambda s, o: programme_services.GAP_STATUS_REFUSED,
        lambda c, s, o: c.post(f"/api/v1/gaps/{s.gap.pk}/close/", {"reason": "Done"},
                               format="json"),
        lambda c, s, o: c.post(reverse("web:gap-close", args=[s.gap.pk]), {"reason": "Done"}),
        api_status=403),
    "GAP_STATUS_REFUSED, deciding a proposed closure": Refusal(
        PermissionDenied, "lead_a", _proposed_gap,
        lambda s, o: programme_services.GAP_STATUS_REFUSED,
        lambda c, s, o: c.post(f"/api/v1/gaps/{s.gap.pk}/close/", {"actions": "done"},
                               format="json"),
        lambda c, s, o: c.post(reverse("web:gap-decide", args=[s.gap.pk]),
                               {"decision": "close", f"action-{s.action.pk}": "done"}),
        api_status=403),
    "GAP_DECISION_REFUSED": Refusal(
        PermissionDenied, "lead_a", _proposed_gap,
        lambda s, o: programme_services.GAP_DECISION_REFUSED,
        lambda c, s, o: c.post(f"/api/v1/gaps/{s.gap.pk}/keep-open/", {}, format="json"),
        lambda c, s, o: c.post(reverse("web:gap-decide", args=[s.gap.pk]),
                               {"decision": "keep_open"}),
        api_status=403),
    "CREATE_REFUSED": Refusal(
        PermissionDenied, "reviewer", _nothing, lambda s, o: action_services.CREATE_REFUSED,
        lambda c, s, o: c.post("/api/v1/actions/", {
            "programme": s.world.programme.pk, "gap": s.gap.pk, "title": "Run it"},
            format="json"),
        lambda c, s, o: c.post(reverse("web:action-new", args=[s.gap.pk]),
                               {"title": "Run it", "priority": "medium"}),
        api_status=403),
    "HAND_OVER_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing, lambda s, o: action_services.HAND_OVER_REFUSED,
        lambda c, s, o: c.post("/api/v1/actions/", {
            "programme": s.world.programme.pk, "gap": s.gap.pk, "title": "Run it",
            "owner": s.world.lead_b.pk}, format="json"),
        lambda c, s, o: c.post(reverse("web:action-new", args=[s.gap.pk]), {
            "title": "Run it", "owner": s.world.lead_b.pk, "priority": "medium"}),
        api_status=403),
    "CHANGE_REFUSED": Refusal(
        PermissionDenied, "lead_b", _nothing, lambda s, o: action_services.CHANGE_REFUSED,
        lambda c, s, o: c.patch(f"/api/v1/actions/{s.action.pk}/", {"title": "Ours"},
                                format="json"),
        lambda c, s, o: c.post(reverse("web:action-edit", args=[s.action.pk]), {
            "title": "Ours", "priority": "medium"}),
        api_status=403),
    "BULK_REFUSED": Refusal(
        PermissionDenied, "lead_a", _nothing, lambda s, o: action_services.BULK_REFUSED,
        lambda c, s, o: c.post("/api/v1/actions/bulk/", {
            "ids": [s.action.pk], "status": "done"}, format="json"),
        lambda c, s, o: c.post(reverse("web:action-board-bulk", args=[s.world.programme.pk]),
                               {"ids": [s.action.pk], "status": "done"}),
        api_status=403),
}

# Refusals the walk leaves out, and why.
NOT_MET_ON_A_PAGE_OR_THE_API = {
    "accounts.SIGNED_IN_REFUSED": "pages ask to sign in and the API answers 401 first",
    "notifications.SIGNED_IN_REFUSED": "likewise",
    "notifications.OWN_NOTIFICATIONS_REFUSED": "another's notification is not found (404) "
                                               "on both",
}
NOT_ON_A_PAGE = {
    errors.PreconditionFailed: "only the API sends If-Match; a page sends the version, "
                               "which is the stale copy walked above",
}


def test_the_walk_covers_every_domain_error_and_every_role_sentence():
    # Given the domain errors of core/errors.py and the learning role sentences
    domain_errors = {cls for _, cls in inspect.getmembers(errors, inspect.isclass)
                     if issubclass(cls, errors.DomainError)}
    walked = {r.error for r in REFUSALS.values()}
    # Then each is walked, or said why not
    assert domain_errors - walked - set(NOT_ON_A_PAGE) == set()
    sentences = {
        f"{module.__name__.split('.')[0]}.{name}"
        for module in (learning_access, action_services, programme_services, accounts,
                       notifications)
        for name in vars(module) if name.endswith("_REFUSED")
    }
    walked_sentences = {f"{app}.{name}" for name in REFUSALS for app in
                        ("learning", "actions", "programmes")}
    assert sentences - walked_sentences - set(NOT_MET_ON_A_PAGE_OR_THE_API) == set()


@pytest.mark.parametrize("name", list(REFUSALS))
def test_the_page_and_the_api_read_the_same_sentence(site, api, as_user, name):
    refusal = REFUSALS[name]
    user = getattr(site.world, refusal.who)
    # Given the situation, and the person signed in on both surfaces
    objects = refusal.setup(site)
    page_client = as_user(user)
    api_client = api.as_user(user)
    sentence = refusal.sentence(site, objects)
    before = everything()
    # When they make the change through the API
    reply = refusal.api(api_client, site, objects)
    # Then it is refused with the error's status and the sentence
    status = refusal.api_status or refusal.error.status_code
    assert reply.status_code == status, reply.content
    assert sentence in str(reply.json()), reply.json()
    # When they make it through the page, then the page reads the same sentence
    page = refusal.page(page_client, site, objects)
    assert page.status_code in (400, 403, 409), page.status_code
    assert escape(sentence) in page.content.decode()
    # And nothing changed either way
    assert everything() == before
