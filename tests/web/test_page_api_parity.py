"""Every change the API allows a role is also a page for that role, and no page offers
a change the API refuses (DESIGN.md, "Pages" and "Who may do what").

``WRITES`` is one table of the changes people make. Each entry says how to make the
change through the API (method, URL, body), through the pages (the page that offers it,
the URL its form posts to and the fields it posts), and how to tell it was made (a row
value). For each change and each role the test makes the change once through the API
and once, on a fresh copy of the same objects, through the page, and asserts:

- the API allows it exactly when the table below (``EXPECTED``, written from DESIGN.md's
  roles table and docs/decisions.md) says so, so a drift of the API fails;
- the page allows it exactly when the API does; when allowed, the page that offers it
  carries the form (or link) and posting it makes the same change;
- when refused, the page that would offer it carries no form or link to it, and a
  direct POST is refused (403, or 404 for what the person cannot see) with nothing
  changed.
"""

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from actions.models import Action, ActionNote
from learning import services as learning_services
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    OfferProposal,
    Placement,
    TrainingOffer,
)
from people import services as people_services
from people.models import Invitation
from programmes import services as programme_services
from programmes.models import Assessment, AssessmentCycle, Gap, Membership, Partner, Programme

from .. import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role

# The world's users, and ``provider_other``: the learning provider of another provider
# of the programme ("Delta Academy"), made by the test, who has no say on Gamma College's
# offers or on the places booked on them.
ROLES = ["manager", "lead_a", "lead_b", "provider_user", "provider_other", "reviewer",
         "outsider", "staff"]

# Who may make each change (staff may do everything). From DESIGN.md's "Who may do
# what": managers change the programme, its partners, cycles, memberships and funding;
# partner leads answer their partner's assessments and change its actions and learning
# needs and book places for its needs; providers change their own offers. From
# docs/decisions.md: only managers see and send invitations, only managers close or
# reopen gaps and delete actions, only the provider confirms placements (the need's
# side or the provider may cancel them).
MANAGERS = {"manager", "staff"}
PARTNER_A = {"manager", "lead_a", "staff"}
PROVIDER = {"provider_user", "staff"}

EXPECTED = {
    "programme-edit": MANAGERS,
    "partner-create": MANAGERS,
    "partner-add": MANAGERS,
    "partner-remove": MANAGERS,
    "cycle-create": MANAGERS,
    "cycle-edit": MANAGERS,
    "cycle-close": MANAGERS,
    "cycle-delete": MANAGERS,
    "invitation-create": MANAGERS,
    "invitation-resend": MANAGERS,
    "invitation-revoke": MANAGERS,
    "membership-end": MANAGERS,
    "membership-edit": MANAGERS,
    "partner-edit": MANAGERS,
    "assessment-start": PARTNER_A,
    "assessment-answer": PARTNER_A,
    "assessment-submit": PARTNER_A,
    "assessment-details": PARTNER_A,
    "assessment-delete": PARTNER_A,
    "response-delete": PARTNER_A,
    "gap-close": MANAGERS,
    "gap-reopen": MANAGERS,
    "gap-create": MANAGERS,
    "gap-edit": PARTNER_A,
    "action-create": PARTNER_A,
    "action-edit": PARTNER_A,
    "action-reassign": PARTNER_A,
    "action-status": PARTNER_A,
    "action-note": PARTNER_A,
    # "change ones owned by P or by them": partner B's lead owns this one of partner A's
    "action-status-of-their-own": PARTNER_A | {"lead_b"},
    "action-delete": MANAGERS,
    "need-create": PARTNER_A,
    "need-edit": PARTNER_A,
    "need-status": PARTNER_A,
    "need-delete": PARTNER_A,
    "offer-create": PROVIDER,
    "offer-edit": PROVIDER,
    "offer-publish": PROVIDER,
    "offer-withdraw": PROVIDER,
    "offer-delete": PROVIDER,
    # providers propose their own offers to needs of their programmes (docs/decisions.md)
    "offer-propose": PROVIDER,
    "placement-book": PARTNER_A,
    "placement-book-from-offer": PARTNER_A,
    # the need's partner lead or a manager approves a request; the provider confirms it
    "placement-approve": PARTNER_A,
    "placement-confirm": PROVIDER,
    # either side may decline a request; the provider also declines approved places
    "placement-decline": PARTNER_A | PROVIDER,
    "placement-attendance": PROVIDER,
    # a need is met when its workers are trained; only managers mark it met sooner
    "need-met": MANAGERS,
    "session-create": PROVIDER,
    "session-edit": PROVIDER,
    "session-delete": PROVIDER,
    "placement-cancel": PARTNER_A | PROVIDER,
    # the booking side changes how many places while requested; the provider does not
    "placement-places": PARTNER_A,
    "placement-delete": PARTNER_A,
    "stream-create": MANAGERS,
    "stream-edit": MANAGERS,
    "stream-delete": MANAGERS,
    "allocation-create": MANAGERS,
    "allocation-commit": MANAGERS,
    "allocation-cancel": MANAGERS,
    "allocation-claim": MANAGERS,
    "allocation-pay": MANAGERS,
    "allocation-edit": MANAGERS,
    "allocation-delete": MANAGERS,
}


# The objects a change works on -------------------------------------------------------

_numbers = itertools.count(1)


@dataclass
class Ctx:
    """One attempt's objects: made fresh for the API and again for the page."""

    w: Any
    tag: str
    objects: dict = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.tag.lower().replace(" ", "-")

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _gap(w, *, status="open"):
    """A gap of partner A on an item no other open gap of the test holds."""
    item = f.ChecklistItemFactory(principle=w.principles[0], order=100 + next(_numbers))
    gap = programme_services.gap_create(actor=w.manager, programme=w.programme,
                                        partner=w.partner_a, checklist_item=item,
                                        severity="high")
    if status == "closed":
        gap = programme_services.gap_close(actor=w.manager, gap=gap, note="Closed for the test")
    return gap


def _need(w, **fields):
    return f.LearningNeedFactory(programme=w.programme, partner=w.partner_a,
                                 topic=fields.pop("topic", "Dementia care"), **fields)


def _offer(w, status="published"):
    return f.TrainingOfferFactory(provider=w.provider, title=f"Dementia care {next(_numbers)}",
                                  topics="dementia care", status=status)


def _placement(w):
    return learning_services.placement_book(actor=w.manager, learning_need=_need(w),
                                            training_offer=_offer(w), places=1)


def _approved(w):
    return learning_services.placement_approve(actor=w.manager, placement=_placement(w))


def _started_and_confirmed(w):
    """Confirmed places on a session that started earlier today and ends next week."""
    offer = _offer(w)
    now = timezone.now()
    offer.sessions.update(starts_at=now - datetime.timedelta(hours=2),
                          ends_at=now + datetime.timedelta(days=7))
    placement = learning_services.placement_book(actor=w.manager, learning_need=_need(w),
                                                 training_offer=offer, places=1)
    learning_services.placement_approve(actor=w.manager, placement=placement)
    return learning_services.placement_confirm(actor=w.provider_user, placement=placement)


def _two_sessions(w):
    return f.TrainingOfferFactory(provider=w.provider, title=f"Cohorts {next(_numbers)}",
                                  sessions=[{}, {}])


def _stream(w):
    return f.FundingStreamFactory(programme=w.programme, funder=w.partner_b,
                                  name=f"Fund {next(_numbers)}")


def _allocation(w):
    return learning_services.allocation_create(actor=w.manager, stream=_stream(w),
                                               learning_need=_need(w), amount=Decimal("10.00"))


def _committed_allocation(w):
    return learning_services.allocation_commit(actor=w.manager, allocation=_allocation(w))


def _claimed_allocation(w):
    return learning_services.allocation_claim(actor=w.manager,
                                              allocation=_committed_allocation(w),
                                              evidence="Invoice 12")


def _invitation(w):
    return people_services.invitation_create(actor=w.manager, programme=w.programme,
                                             email=f"guest{next(_numbers)}@example.org",
                                             role=Role.REVIEWER)


def _other_programme_partner(w):
    """An organisation of another programme the manager also runs: theirs to add here."""
    partner = f.PartnerFactory(name=f"Delta Housing {next(_numbers)}", sector="housing")
    other = f.ProgrammeFactory(framework=w.framework, partners=[partner])
    f.MembershipFactory(programme=other, user=w.manager, role=Role.MANAGER)
    return partner


def _spare_partner(w):
    partner = f.PartnerFactory(name=f"Epsilon Care {next(_numbers)}")
    w.programme.partners.add(partner)
    return partner


def _draft(w, *, complete=False):
    cycle = f.CycleFactory(programme=w.programme, name=f"Review {next(_numbers)}")
    assessment = f.AssessmentFactory(cycle=cycle, partner=w.partner_a)
    if complete:
        f.answer_the_rest(assessment, rating="met")
    return assessment


def _answered_draft(w):
    assessment = _draft(w)
    f.ResponseFactory(assessment=assessment, checklist_item=w.items[0], rating="met")
    return assessment


def _action(w):
    return f.ActionFactory(programme=w.programme, owner_partner=w.partner_a,
                           title=f"Agree an induction {next(_numbers)}")


def _programme_form(p, **change):
    return {"name": p.name, "description": p.description, "framework": p.framework_id,
            "start_date": p.start_date or "", "end_date": p.end_date or "", **change}


def _action_form(a, **change):
    return {"title": a.title, "description": a.description, "owner": a.owner_id or "",
            "owner_partner": a.owner_partner_id or "", "due_date": a.due_date or "",
            "priority": a.priority, **change}


def _need_form(n, **change):
    return {"staff_group": n.staff_group, "topic": n.topic, "workers_count": n.workers_count,
            "needed_by": n.needed_by or "", "status": n.status, "notes": n.notes,
            "version": n.version, **change}


def _offer_form(o, **change):
    return {"title": o.title, "description": o.description, "topics": o.topics,
            "staff_groups": o.staff_groups, "format": o.format,
            "start_date": o.start_date or "", "end_date": o.end_date or "",
            "capacity": o.capacity, "cost_per_place": o.cost_per_place,
            "location": o.location, **change}


# The table ---------------------------------------------------------------------------


@dataclass
class Write:
    """One change, through the API and through the pages."""

    name: str
    setup: Callable[[Ctx], None]  # fills ctx.objects
    api: Callable[[Ctx], tuple]  # (method, url, body)
    offer: Callable[[Ctx], str]  # the page that offers the change
    action: Callable[[Ctx], str]  # the URL its form posts to (or its link opens)
    form: Callable[[Ctx], dict]  # what the form posts
    made: Callable[[Ctx], bool]  # whether the change was made
    # The page links to a form page at ``action`` (True), or carries a form that posts
    # there itself (False: a button, or the form on the page, counts; a link does not).
    by_link: bool = True
    # Other pages that show the object: none of them may offer a refused change either.
    also: Callable[[Ctx], list] = lambda c: []
    # Roles refused this change who still get the form, because it makes the same kind of
    # change for their own organisation only: posting it must not make this change.
    own_only: frozenset = frozenset()


def _set(**objects):
    def setup(ctx):
        ctx.objects.update({name: make(ctx.w) for name, make in objects.items()})
    return setup


def _nothing(ctx):
    pass


def _start_setup(ctx):
    # At most one assessment per partner per cycle: each attempt starts from none.
    Assessment.objects.filter(cycle=ctx.w.cycle, partner=ctx.w.partner_a).delete()


def _pk(model, **lookup):
    return model.objects.filter(**lookup).exists()


WRITES = [
    Write("programme-edit", _nothing,
          api=lambda c: ("patch", f"/api/v1/programmes/{c.w.programme.pk}/",
                         {"description": c.tag}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/edit/",
          form=lambda c: _programme_form(Programme.objects.get(pk=c.w.programme.pk),
                                         description=c.tag),
          made=lambda c: Programme.objects.get(pk=c.w.programme.pk).description == c.tag,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/people/"]),
    Write("partner-create", _nothing,
          api=lambda c: ("post", "/api/v1/partners/", {"name": c.tag, "sector": "other"}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/partners/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/partners/new/",
          form=lambda c: {"name": c.tag, "sector": "other", "contact_email": ""},
          made=lambda c: _pk(Partner, name=c.tag)),
    Write("partner-add", _set(partner=_other_programme_partner),
          api=lambda c: ("patch", f"/api/v1/programmes/{c.w.programme.pk}/", {"partners": [
              *c.w.programme.partners.values_list("pk", flat=True), c.partner.pk]}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/partners/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/partners/add/",
          form=lambda c: {"partner": c.partner.pk},
          made=lambda c: c.w.programme.partners.filter(pk=c.partner.pk).exists()),
    Write("partner-remove", _set(partner=_spare_partner),
          api=lambda c: ("patch", f"/api/v1/programmes/{c.w.programme.pk}/", {"partners": list(
              c.w.programme.partners.exclude(pk=c.partner.pk).values_list("pk", flat=True))}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/partners/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/partners/{c.partner.pk}/remove/",
          form=lambda c: {},
          made=lambda c: not c.w.programme.partners.filter(pk=c.partner.pk).exists()),
    Write("cycle-create", _nothing,
          api=lambda c: ("post", "/api/v1/cycles/", {
              "programme": c.w.programme.pk, "name": c.tag,
              "period_start": "2027-04-01", "period_end": "2027-06-30"}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/cycles/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/cycles/new/",
          form=lambda c: {"name": c.tag, "period_start": "2027-04-01",
                          "period_end": "2027-06-30"},
          made=lambda c: _pk(AssessmentCycle, name=c.tag),
          also=lambda c: [f"/programmes/{c.w.programme.pk}/"]),
    Write("cycle-edit", _set(cycle=lambda w: f.CycleFactory(programme=w.programme)),
          api=lambda c: ("patch", f"/api/v1/cycles/{c.cycle.pk}/", {"name": c.tag}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/cycles/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/cycles/{c.cycle.pk}/edit/",
          form=lambda c: {"name": c.tag, "period_start": c.cycle.period_start,
                          "period_end": c.cycle.period_end},
          made=lambda c: AssessmentCycle.objects.get(pk=c.cycle.pk).name == c.tag,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/cycles/{c.cycle.pk}/"]),
    Write("cycle-close", _set(cycle=lambda w: f.CycleFactory(programme=w.programme)),
          api=lambda c: ("post", f"/api/v1/cycles/{c.cycle.pk}/close/", {}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/cycles/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/cycles/{c.cycle.pk}/close/",
          form=lambda c: {},
          made=lambda c: AssessmentCycle.objects.get(pk=c.cycle.pk).closed_at is not None,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/cycles/{c.cycle.pk}/"]),
    Write("invitation-create", _nothing,
          api=lambda c: ("post", "/api/v1/invitations/", {
              "programme": c.w.programme.pk, "email": f"{c.slug}@example.org",
              "role": Role.REVIEWER}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/people/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/people/invitations/",
          form=lambda c: {"email": f"{c.slug}@example.org", "role": Role.REVIEWER,
                          "partner": ""},
          made=lambda c: _pk(Invitation, email=f"{c.slug}@example.org"),
          also=lambda c: [f"/programmes/{c.w.programme.pk}/"]),
    Write("invitation-resend", _set(invitation=_invitation),
          api=lambda c: ("post", f"/api/v1/invitations/{c.invitation.pk}/resend/", {}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/people/invitations/",
          action=lambda c: (f"/programmes/{c.w.programme.pk}/people/invitations/"
                            f"{c.invitation.pk}/resend/"),
          form=lambda c: {},
          made=lambda c: (Invitation.objects.get(pk=c.invitation.pk).nonce_hash
                          != c.invitation.nonce_hash),
          by_link=False),
    Write("invitation-revoke", _set(invitation=_invitation),
          api=lambda c: ("post", f"/api/v1/invitations/{c.invitation.pk}/revoke/", {}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/people/invitations/",
          action=lambda c: (f"/programmes/{c.w.programme.pk}/people/invitations/"
                            f"{c.invitation.pk}/revoke/"),
          form=lambda c: {},
          made=lambda c: Invitation.objects.get(pk=c.invitation.pk).status == "revoked",
          by_link=False),
    Write("membership-end", _set(membership=lambda w: f.MembershipFactory(
              programme=w.programme, user=f.UserFactory(), role=Role.REVIEWER)),
          api=lambda c: ("post", f"/api/v1/memberships/{c.membership.pk}/end/", {}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/people/",
          action=lambda c: f"/memberships/{c.membership.pk}/end/",
          form=lambda c: {},
          made=lambda c: Membership.objects.get(pk=c.membership.pk).ended_at is not None,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/"]),
    Write("membership-edit", _set(membership=lambda w: f.MembershipFactory(
              programme=w.programme, user=f.UserFactory(), role=Role.REVIEWER)),
          api=lambda c: ("patch", f"/api/v1/memberships/{c.membership.pk}/", {
              "role": Role.PARTNER_LEAD, "partner": c.w.partner_a.pk}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/people/",
          action=lambda c: f"/memberships/{c.membership.pk}/edit/",
          form=lambda c: {"role": Role.PARTNER_LEAD, "partner": c.w.partner_a.pk},
          made=lambda c: Membership.objects.get(pk=c.membership.pk).role == Role.PARTNER_LEAD,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/"]),
    Write("partner-edit", _set(partner=_spare_partner),
          api=lambda c: ("patch", f"/api/v1/partners/{c.partner.pk}/", {"name": c.tag}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/partners/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/partners/{c.partner.pk}/edit/",
          form=lambda c: {"name": c.tag, "sector": c.partner.sector,
                          "contact_email": c.partner.contact_email},
          made=lambda c: Partner.objects.get(pk=c.partner.pk).name == c.tag,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/partners/{c.partner.pk}/"]),
    Write("cycle-delete", _set(cycle=lambda w: f.CycleFactory(programme=w.programme)),
          api=lambda c: ("delete", f"/api/v1/cycles/{c.cycle.pk}/", None),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/cycles/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/cycles/{c.cycle.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(AssessmentCycle, pk=c.cycle.pk),
          also=lambda c: [f"/programmes/{c.w.programme.pk}/cycles/{c.cycle.pk}/"]),
    Write("assessment-start", _start_setup,
          api=lambda c: ("post", "/api/v1/assessments/", {
              "cycle": c.w.cycle.pk, "partner": c.w.partner_a.pk}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/cycles/",
          action=lambda c: (f"/programmes/{c.w.programme.pk}/cycles/{c.w.cycle.pk}"
                            f"/partners/{c.w.partner_a.pk}/start/"),
          form=lambda c: {},
          made=lambda c: _pk(Assessment, cycle=c.w.cycle, partner=c.w.partner_a),
          by_link=False,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/",
                          f"/programmes/{c.w.programme.pk}/cycles/{c.w.cycle.pk}/"]),
    Write("assessment-answer", _set(assessment=_draft),
          api=lambda c: ("post", "/api/v1/responses/", {
              "assessment": c.assessment.pk, "checklist_item": c.w.items[0].pk,
              "rating": "met"}),
          offer=lambda c: f"/assessments/{c.assessment.pk}/principles/1/",
          action=lambda c: f"/assessments/{c.assessment.pk}/principles/1/",
          form=lambda c: {f"item-{c.w.items[0].pk}-rating": "met"},
          made=lambda c: c.assessment.responses.filter(checklist_item=c.w.items[0]).exists(),
          by_link=False,
          also=lambda c: [f"/assessments/{c.assessment.pk}/"]),
    Write("assessment-submit", _set(assessment=lambda w: _draft(w, complete=True)),
          api=lambda c: ("post", f"/api/v1/assessments/{c.assessment.pk}/submit/", {}),
          offer=lambda c: f"/assessments/{c.assessment.pk}/",
          action=lambda c: f"/assessments/{c.assessment.pk}/submit/",
          form=lambda c: {},
          made=lambda c: Assessment.objects.get(pk=c.assessment.pk).status == "submitted",
          also=lambda c: [f"/assessments/{c.assessment.pk}/principles/1/"]),
    Write("assessment-details", _set(assessment=_draft),
          api=lambda c: ("patch", f"/api/v1/assessments/{c.assessment.pk}/",
                         {"participants": c.tag, "includes_people_supported": True}),
          offer=lambda c: f"/assessments/{c.assessment.pk}/",
          action=lambda c: f"/assessments/{c.assessment.pk}/details/",
          form=lambda c: {"participants": c.tag, "includes_people_supported": "on"},
          made=lambda c: Assessment.objects.get(pk=c.assessment.pk).participants == c.tag,
          also=lambda c: [f"/assessments/{c.assessment.pk}/principles/1/"]),
    Write("assessment-delete", _set(assessment=_draft),
          api=lambda c: ("delete", f"/api/v1/assessments/{c.assessment.pk}/", None),
          offer=lambda c: f"/assessments/{c.assessment.pk}/",
          action=lambda c: f"/assessments/{c.assessment.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(Assessment, pk=c.assessment.pk),
          also=lambda c: [f"/assessments/{c.assessment.pk}/principles/1/"]),
    Write("response-delete", _set(assessment=_answered_draft),
          api=lambda c: ("delete", f"/api/v1/responses/{c.assessment.responses.get().pk}/",
                         None),
          offer=lambda c: f"/assessments/{c.assessment.pk}/principles/1/",
          action=lambda c: f"/responses/{c.assessment.responses.get().pk}/delete/",
          form=lambda c: {},
          made=lambda c: not c.assessment.responses.exists(),
          also=lambda c: [f"/assessments/{c.assessment.pk}/"]),
    Write("gap-close", _set(gap=_gap),
          api=lambda c: ("post", f"/api/v1/gaps/{c.gap.pk}/close/", {"reason": c.tag}),
          offer=lambda c: f"/gaps/{c.gap.pk}/",
          action=lambda c: f"/gaps/{c.gap.pk}/close/",
          form=lambda c: {"reason": c.tag},
          made=lambda c: Gap.objects.get(pk=c.gap.pk).status == "closed",
          also=lambda c: [f"/programmes/{c.w.programme.pk}/gaps/"]),
    Write("gap-reopen", _set(gap=lambda w: _gap(w, status="closed")),
          api=lambda c: ("post", f"/api/v1/gaps/{c.gap.pk}/reopen/", {"reason": c.tag}),
          offer=lambda c: f"/gaps/{c.gap.pk}/",
          action=lambda c: f"/gaps/{c.gap.pk}/reopen/",
          form=lambda c: {"reason": c.tag},
          made=lambda c: Gap.objects.get(pk=c.gap.pk).status == "open",
          also=lambda c: [f"/programmes/{c.w.programme.pk}/gaps/"]),
    Write("gap-create", _set(item=lambda w: f.ChecklistItemFactory(
              principle=w.principles[0], order=100 + next(_numbers))),
          api=lambda c: ("post", "/api/v1/gaps/", {
              "programme": c.w.programme.pk, "partner": c.w.partner_a.pk,
              "checklist_item": c.item.pk, "severity": "high", "description": c.tag}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/gaps/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/gaps/new/",
          form=lambda c: {"partner": c.w.partner_a.pk, "checklist_item": c.item.pk,
                          "severity": "high", "description": c.tag},
          made=lambda c: _pk(Gap, description=c.tag)),
    Write("gap-edit", _set(gap=_gap),
          api=lambda c: ("patch", f"/api/v1/gaps/{c.gap.pk}/",
                         {"severity": "medium", "description": c.tag}),
          offer=lambda c: f"/gaps/{c.gap.pk}/",
          action=lambda c: f"/gaps/{c.gap.pk}/edit/",
          form=lambda c: {"severity": "medium", "description": c.tag,
                          "version": c.gap.version},
          made=lambda c: Gap.objects.get(pk=c.gap.pk).description == c.tag,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/gaps/"]),
    Write("action-create", _set(gap=_gap),
          api=lambda c: ("post", "/api/v1/actions/", {
              "programme": c.w.programme.pk, "gap": c.gap.pk, "title": c.tag,
              "owner_partner": c.w.partner_a.pk, "due_date": "2027-03-01"}),
          offer=lambda c: f"/gaps/{c.gap.pk}/",
          action=lambda c: f"/gaps/{c.gap.pk}/actions/new/",
          form=lambda c: {"title": c.tag, "owner": c.w.lead_a.pk,
                          "owner_partner": c.w.partner_a.pk, "due_date": "2027-03-01",
                          "priority": "medium"},
          made=lambda c: _pk(Action, title=c.tag)),
    Write("action-edit", _set(action=_action),
          api=lambda c: ("patch", f"/api/v1/actions/{c.action.pk}/", {"title": c.tag}),
          offer=lambda c: f"/actions/{c.action.pk}/",
          action=lambda c: f"/actions/{c.action.pk}/edit/",
          form=lambda c: _action_form(c.action, title=c.tag),
          made=lambda c: Action.objects.get(pk=c.action.pk).title == c.tag,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/actions/", "/actions/mine/"]),
    Write("action-reassign", _set(action=_action),
          api=lambda c: ("patch", f"/api/v1/actions/{c.action.pk}/", {"owner": c.w.lead_a.pk}),
          offer=lambda c: f"/actions/{c.action.pk}/",
          action=lambda c: f"/actions/{c.action.pk}/reassign/",
          form=lambda c: {"owner": c.w.lead_a.pk, "owner_partner": c.w.partner_a.pk},
          made=lambda c: Action.objects.get(pk=c.action.pk).owner_id == c.w.lead_a.pk,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/actions/", "/actions/mine/"]),
    Write("action-status", _set(action=_action),
          api=lambda c: ("patch", f"/api/v1/actions/{c.action.pk}/", {"status": "in_progress"}),
          offer=lambda c: f"/actions/{c.action.pk}/",
          action=lambda c: f"/actions/{c.action.pk}/status/",
          form=lambda c: {"status": "in_progress"},
          made=lambda c: Action.objects.get(pk=c.action.pk).status == "in_progress",
          by_link=False,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/actions/", "/actions/mine/"]),
    Write("action-status-of-their-own", _set(action=lambda w: f.ActionFactory(
              programme=w.programme, owner=w.lead_b, owner_partner=w.partner_a,
              title=f"Lend a hand {next(_numbers)}")),
          api=lambda c: ("patch", f"/api/v1/actions/{c.action.pk}/", {"status": "blocked"}),
          offer=lambda c: f"/actions/{c.action.pk}/",
          action=lambda c: f"/actions/{c.action.pk}/status/",
          form=lambda c: {"status": "blocked"},
          made=lambda c: Action.objects.get(pk=c.action.pk).status == "blocked",
          by_link=False,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/actions/", "/actions/mine/"]),
    Write("action-note", _set(action=_action),
          api=lambda c: ("post", "/api/v1/action-notes/", {"action": c.action.pk,
                                                           "text": c.tag}),
          offer=lambda c: f"/actions/{c.action.pk}/",
          action=lambda c: f"/actions/{c.action.pk}/notes/",
          form=lambda c: {"text": c.tag},
          made=lambda c: _pk(ActionNote, action=c.action, text=c.tag),
          by_link=False),
    Write("action-delete", _set(action=_action),
          api=lambda c: ("delete", f"/api/v1/actions/{c.action.pk}/", None),
          offer=lambda c: f"/actions/{c.action.pk}/",
          action=lambda c: f"/actions/{c.action.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(Action, pk=c.action.pk),
          also=lambda c: [f"/programmes/{c.w.programme.pk}/actions/"]),
    Write("need-create", _set(gap=_gap),
          api=lambda c: ("post", "/api/v1/learning-needs/", {
              "programme": c.w.programme.pk, "partner": c.w.partner_a.pk, "gap": c.gap.pk,
              "staff_group": "Care workers", "topic": c.tag, "workers_count": 4}),
          offer=lambda c: f"/gaps/{c.gap.pk}/",
          action=lambda c: f"/gaps/{c.gap.pk}/learning-needs/new/",
          form=lambda c: {"staff_group": "Care workers", "topic": c.tag, "workers_count": 4,
                          "needed_by": "", "notes": ""},
          made=lambda c: _pk(LearningNeed, topic=c.tag)),
    Write("need-edit", _set(need=_need),
          api=lambda c: ("patch", f"/api/v1/learning-needs/{c.need.pk}/", {"topic": c.tag}),
          offer=lambda c: f"/learning-needs/{c.need.pk}/",
          action=lambda c: f"/learning-needs/{c.need.pk}/edit/",
          form=lambda c: _need_form(c.need, topic=c.tag),
          made=lambda c: LearningNeed.objects.get(pk=c.need.pk).topic == c.tag,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/learning-needs/"]),
    Write("need-status", _set(need=_need),
          api=lambda c: ("patch", f"/api/v1/learning-needs/{c.need.pk}/", {"status": "planned"}),
          offer=lambda c: f"/learning-needs/{c.need.pk}/",
          action=lambda c: f"/learning-needs/{c.need.pk}/edit/",
          form=lambda c: _need_form(c.need, status="planned"),
          made=lambda c: LearningNeed.objects.get(pk=c.need.pk).status == "planned",
          also=lambda c: [f"/programmes/{c.w.programme.pk}/learning-needs/"]),
    Write("need-delete", _set(need=_need),
          api=lambda c: ("delete", f"/api/v1/learning-needs/{c.need.pk}/", None),
          offer=lambda c: f"/learning-needs/{c.need.pk}/",
          action=lambda c: f"/learning-needs/{c.need.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(LearningNeed, pk=c.need.pk),
          also=lambda c: [f"/programmes/{c.w.programme.pk}/learning-needs/"]),
    Write("offer-create", _nothing,
          api=lambda c: ("post", "/api/v1/training-offers/", {
              "provider": c.w.provider.pk, "title": c.tag, "format": "workshop",
              "capacity": 10, "cost_per_place": "50.00", "status": "draft"}),
          offer=lambda c: "/offers/mine/",
          action=lambda c: "/offers/new/",
          form=lambda c: {"title": c.tag, "description": "", "topics": "", "staff_groups": "",
                          "format": "workshop", "start_date": "", "end_date": "",
                          "capacity": 10, "cost_per_place": "50.00", "location": ""},
          made=lambda c: _pk(TrainingOffer, title=c.tag, provider=c.w.provider),
          also=lambda c: ["/offers/"],
          own_only=frozenset({"provider_other"})),
    Write("offer-edit", _set(offer=_offer),
          api=lambda c: ("patch", f"/api/v1/training-offers/{c.offer.pk}/", {"title": c.tag}),
          offer=lambda c: "/offers/mine/",
          action=lambda c: f"/offers/{c.offer.pk}/edit/",
          form=lambda c: _offer_form(c.offer, title=c.tag),
          made=lambda c: TrainingOffer.objects.get(pk=c.offer.pk).title == c.tag,
          also=lambda c: ["/offers/"]),
    Write("offer-publish", _set(offer=lambda w: _offer(w, status="draft")),
          api=lambda c: ("patch", f"/api/v1/training-offers/{c.offer.pk}/",
                         {"status": "published"}),
          offer=lambda c: "/offers/mine/",
          action=lambda c: f"/offers/{c.offer.pk}/publish/",
          form=lambda c: {},
          made=lambda c: TrainingOffer.objects.get(pk=c.offer.pk).status == "published",
          by_link=False,
          also=lambda c: ["/offers/"]),
    Write("offer-withdraw", _set(offer=_offer),
          api=lambda c: ("patch", f"/api/v1/training-offers/{c.offer.pk}/",
                         {"status": "withdrawn"}),
          offer=lambda c: "/offers/mine/",
          action=lambda c: f"/offers/{c.offer.pk}/withdraw/",
          form=lambda c: {"reason": c.tag},
          made=lambda c: TrainingOffer.objects.get(pk=c.offer.pk).status == "withdrawn",
          also=lambda c: ["/offers/", f"/offers/{c.offer.pk}/",
                          f"/offers/{c.offer.pk}/bookings/"]),
    Write("offer-delete", _set(offer=lambda w: _offer(w, status="draft")),
          api=lambda c: ("delete", f"/api/v1/training-offers/{c.offer.pk}/", None),
          offer=lambda c: "/offers/mine/",
          action=lambda c: f"/offers/{c.offer.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(TrainingOffer, pk=c.offer.pk),
          also=lambda c: ["/offers/"]),
    Write("offer-propose", _set(need=_need, offer=_offer),
          api=lambda c: ("post", f"/api/v1/learning-needs/{c.need.pk}/proposals/",
                         {"offer": c.offer.pk, "message": c.tag}),
          offer=lambda c: f"/offers/demand/?provider={c.w.provider.pk}",
          action=lambda c: f"/offers/demand/{c.need.pk}/propose/{c.offer.pk}/",
          form=lambda c: {"message": c.tag},
          made=lambda c: _pk(OfferProposal, learning_need=c.need, offer=c.offer),
          by_link=False,
          also=lambda c: [f"/learning-needs/{c.need.pk}/"]),
    Write("placement-book", _set(need=_need, offer=_offer),
          api=lambda c: ("post", "/api/v1/placements/", {
              "learning_need": c.need.pk, "training_offer": c.offer.pk, "places": 1}),
          offer=lambda c: f"/learning-needs/{c.need.pk}/",
          action=lambda c: f"/learning-needs/{c.need.pk}/offers/{c.offer.pk}/book/",
          form=lambda c: {"places": 1},
          made=lambda c: _pk(Placement, learning_need=c.need)),
    Write("placement-book-from-offer", _set(need=_need, offer=_offer),
          api=lambda c: ("post", "/api/v1/placements/", {
              "learning_need": c.need.pk, "session": c.offer.sessions.get().pk,
              "places": 1, "learners": ["Sam Jones"]}),
          offer=lambda c: f"/offers/{c.offer.pk}/",
          action=lambda c: f"/offers/{c.offer.pk}/book/",
          form=lambda c: {"learning_need": c.need.pk, "session": c.offer.sessions.get().pk,
                          "places": 1, "learners": "Sam Jones"},
          made=lambda c: _pk(Placement, learning_need=c.need, learners=["Sam Jones"]),
          by_link=False,
          also=lambda c: ["/offers/"]),
    Write("placement-approve", _set(placement=_placement),
          api=lambda c: ("patch", f"/api/v1/placements/{c.placement.pk}/",
                         {"status": "approved"}),
          offer=lambda c: f"/learning-needs/{c.placement.learning_need_id}/",
          action=lambda c: f"/placements/{c.placement.pk}/approve/",
          form=lambda c: {},
          made=lambda c: Placement.objects.get(pk=c.placement.pk).status == "approved",
          by_link=False,
          also=lambda c: [f"/offers/{c.placement.training_offer_id}/"]),
    Write("placement-confirm", _set(placement=_approved),
          api=lambda c: ("patch", f"/api/v1/placements/{c.placement.pk}/",
                         {"status": "confirmed"}),
          offer=lambda c: f"/offers/{c.placement.training_offer_id}/bookings/",
          action=lambda c: f"/placements/{c.placement.pk}/confirm/",
          form=lambda c: {},
          made=lambda c: Placement.objects.get(pk=c.placement.pk).status == "confirmed",
          by_link=False,
          also=lambda c: ["/offers/mine/", "/offers/",
                          f"/learning-needs/{c.placement.learning_need_id}/"]),
    Write("placement-decline", _set(placement=_placement),
          api=lambda c: ("patch", f"/api/v1/placements/{c.placement.pk}/",
                         {"status": "declined"}),
          offer=lambda c: f"/learning-needs/{c.placement.learning_need_id}/",
          action=lambda c: f"/placements/{c.placement.pk}/decline/",
          form=lambda c: {"reason": c.tag},
          made=lambda c: Placement.objects.get(pk=c.placement.pk).status == "declined",
          by_link=False,
          also=lambda c: [f"/offers/{c.placement.training_offer_id}/"]),
    Write("placement-attendance", _set(placement=_started_and_confirmed),
          api=lambda c: ("patch", f"/api/v1/placements/{c.placement.pk}/",
                         {"places_attended": 1, "places_completed": 1}),
          offer=lambda c: f"/offers/{c.placement.training_offer_id}/bookings/",
          action=lambda c: f"/placements/{c.placement.pk}/attendance/",
          form=lambda c: {"places_attended": 1, "places_completed": 1, "learners": ""},
          made=lambda c: Placement.objects.get(pk=c.placement.pk).places_completed == 1,
          also=lambda c: [f"/learning-needs/{c.placement.learning_need_id}/"]),
    Write("need-met", _set(need=_need),
          api=lambda c: ("patch", f"/api/v1/learning-needs/{c.need.pk}/",
                         {"status": "met", "met_reason": c.tag}),
          offer=lambda c: f"/learning-needs/{c.need.pk}/",
          action=lambda c: f"/learning-needs/{c.need.pk}/met/",
          form=lambda c: {"met_reason": c.tag, "version": c.need.version},
          made=lambda c: LearningNeed.objects.get(pk=c.need.pk).status == "met",
          by_link=False,
          also=lambda c: [f"/programmes/{c.w.programme.pk}/learning-needs/"]),
    Write("session-create", _set(offer=_offer),
          api=lambda c: ("post", "/api/v1/training-sessions/", {
              "offer": c.offer.pk, "starts_at": "2027-02-01T09:30:00Z", "location": c.tag,
              "capacity": 6}),
          offer=lambda c: f"/offers/{c.offer.pk}/bookings/",
          action=lambda c: f"/offers/{c.offer.pk}/sessions/new/",
          form=lambda c: {"start_date": "2027-02-01", "start_time": "09:30",
                          "end_date": "", "end_time": "16:30", "location": c.tag,
                          "capacity": 6},
          made=lambda c: c.offer.sessions.filter(location=c.tag, capacity=6).exists(),
          also=lambda c: [f"/offers/{c.offer.pk}/", "/offers/mine/"]),
    Write("session-edit", _set(offer=_offer),
          api=lambda c: ("patch", f"/api/v1/training-sessions/{c.offer.sessions.get().pk}/",
                         {"location": c.tag}),
          offer=lambda c: f"/offers/{c.offer.pk}/bookings/",
          action=lambda c: f"/sessions/{c.offer.sessions.get().pk}/edit/",
          form=lambda c: {"start_date": "2027-01-10", "start_time": "09:30",
                          "end_date": "", "end_time": "16:30", "location": c.tag,
                          "capacity": 20},
          made=lambda c: c.offer.sessions.get().location == c.tag,
          also=lambda c: [f"/offers/{c.offer.pk}/"]),
    Write("session-delete", _set(offer=_two_sessions),
          api=lambda c: ("delete",
                         f"/api/v1/training-sessions/{c.offer.sessions.order_by('pk')[1].pk}/",
                         None),
          offer=lambda c: f"/offers/{c.offer.pk}/bookings/",
          action=lambda c: f"/sessions/{c.offer.sessions.order_by('pk')[1].pk}/delete/",
          form=lambda c: {},
          made=lambda c: c.offer.sessions.count() == 1,
          also=lambda c: [f"/offers/{c.offer.pk}/"]),
    Write("placement-cancel", _set(placement=_placement),
          api=lambda c: ("patch", f"/api/v1/placements/{c.placement.pk}/",
                         {"status": "cancelled"}),
          offer=lambda c: f"/learning-needs/{c.placement.learning_need_id}/",
          action=lambda c: f"/placements/{c.placement.pk}/cancel/",
          form=lambda c: {},
          made=lambda c: Placement.objects.get(pk=c.placement.pk).status == "cancelled",
          by_link=False,
          also=lambda c: ["/offers/"]),
    Write("placement-places", _set(placement=_placement),
          api=lambda c: ("patch", f"/api/v1/placements/{c.placement.pk}/", {"places": 2}),
          offer=lambda c: f"/learning-needs/{c.placement.learning_need_id}/",
          action=lambda c: f"/placements/{c.placement.pk}/places/",
          form=lambda c: {"places": 2},
          made=lambda c: Placement.objects.get(pk=c.placement.pk).places == 2,
          also=lambda c: ["/offers/"]),
    Write("placement-delete", _set(placement=_placement),
          api=lambda c: ("delete", f"/api/v1/placements/{c.placement.pk}/", None),
          offer=lambda c: f"/learning-needs/{c.placement.learning_need_id}/",
          action=lambda c: f"/placements/{c.placement.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(Placement, pk=c.placement.pk),
          also=lambda c: ["/offers/"]),
    Write("stream-create", _nothing,
          api=lambda c: ("post", "/api/v1/funding-streams/", {
              "programme": c.w.programme.pk, "name": c.tag, "funder": c.w.partner_b.pk,
              "amount": "5000.00"}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/funding/",
          action=lambda c: f"/programmes/{c.w.programme.pk}/funding/new/",
          form=lambda c: {"name": c.tag, "funder": c.w.partner_b.pk, "amount": "5000.00",
                          "description": ""},
          made=lambda c: _pk(FundingStream, name=c.tag)),
    Write("stream-edit", _set(stream=_stream),
          api=lambda c: ("patch", f"/api/v1/funding-streams/{c.stream.pk}/", {"name": c.tag}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/funding/",
          action=lambda c: f"/funding-streams/{c.stream.pk}/edit/",
          form=lambda c: {"name": c.tag, "funder": c.stream.funder_id,
                          "amount": c.stream.amount, "description": c.stream.description},
          made=lambda c: FundingStream.objects.get(pk=c.stream.pk).name == c.tag,
          also=lambda c: [f"/funding-streams/{c.stream.pk}/"]),
    Write("stream-delete", _set(stream=_stream),
          api=lambda c: ("delete", f"/api/v1/funding-streams/{c.stream.pk}/", None),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/funding/",
          action=lambda c: f"/funding-streams/{c.stream.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(FundingStream, pk=c.stream.pk)),
    Write("allocation-create", _set(need=_need, stream=_stream),
          api=lambda c: ("post", "/api/v1/funding-allocations/", {
              "stream": c.stream.pk, "learning_need": c.need.pk, "amount": "25.00"}),
          offer=lambda c: f"/learning-needs/{c.need.pk}/",
          action=lambda c: f"/learning-needs/{c.need.pk}/funding/new/",
          form=lambda c: {"stream": c.stream.pk, "amount": "25.00"},
          made=lambda c: _pk(FundingAllocation, learning_need=c.need, amount="25.00"),
          also=lambda c: [f"/programmes/{c.w.programme.pk}/funding/"]),
    Write("allocation-commit", _set(allocation=_allocation),
          api=lambda c: ("patch", f"/api/v1/funding-allocations/{c.allocation.pk}/",
                         {"status": "committed"}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/funding/",
          action=lambda c: f"/funding-allocations/{c.allocation.pk}/commit/",
          form=lambda c: {},
          made=lambda c: FundingAllocation.objects.get(pk=c.allocation.pk).status
          == "committed",
          by_link=False,
          also=lambda c: [f"/learning-needs/{c.allocation.learning_need_id}/",
                          f"/funding-streams/{c.allocation.stream_id}/"]),
    Write("allocation-cancel", _set(allocation=_allocation),
          api=lambda c: ("patch", f"/api/v1/funding-allocations/{c.allocation.pk}/",
                         {"status": "cancelled"}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/funding/",
          action=lambda c: f"/funding-allocations/{c.allocation.pk}/cancel/",
          form=lambda c: {},
          made=lambda c: FundingAllocation.objects.get(pk=c.allocation.pk).status
          == "cancelled",
          by_link=False,
          also=lambda c: [f"/learning-needs/{c.allocation.learning_need_id}/",
                          f"/funding-streams/{c.allocation.stream_id}/"]),
    Write("allocation-claim", _set(allocation=_committed_allocation),
          api=lambda c: ("post", f"/api/v1/funding-allocations/{c.allocation.pk}/claim/",
                         {"evidence": "Invoice 12 and the register"}),
          offer=lambda c: f"/funding-streams/{c.allocation.stream_id}/",
          action=lambda c: f"/funding-allocations/{c.allocation.pk}/claim/",
          form=lambda c: {"evidence": "Invoice 12 and the register", "claimed_on": ""},
          made=lambda c: FundingAllocation.objects.get(pk=c.allocation.pk).status == "claimed",
          also=lambda c: [f"/programmes/{c.w.programme.pk}/funding/"]),
    Write("allocation-pay", _set(allocation=_claimed_allocation),
          api=lambda c: ("post", f"/api/v1/funding-allocations/{c.allocation.pk}/pay/", {}),
          offer=lambda c: f"/funding-streams/{c.allocation.stream_id}/",
          action=lambda c: f"/funding-allocations/{c.allocation.pk}/pay/",
          form=lambda c: {"paid_on": ""},
          made=lambda c: FundingAllocation.objects.get(pk=c.allocation.pk).status == "paid",
          also=lambda c: [f"/programmes/{c.w.programme.pk}/funding/"]),
    Write("allocation-edit", _set(allocation=_allocation),
          api=lambda c: ("patch", f"/api/v1/funding-allocations/{c.allocation.pk}/",
                         {"amount": "12.00", "note": c.tag}),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/funding/",
          action=lambda c: f"/funding-allocations/{c.allocation.pk}/edit/",
          form=lambda c: {"amount": "12.00", "note": c.tag},
          made=lambda c: FundingAllocation.objects.get(pk=c.allocation.pk).note == c.tag,
          also=lambda c: [f"/learning-needs/{c.allocation.learning_need_id}/"]),
    Write("allocation-delete", _set(allocation=_allocation),
          api=lambda c: ("delete", f"/api/v1/funding-allocations/{c.allocation.pk}/", None),
          offer=lambda c: f"/programmes/{c.w.programme.pk}/funding/",
          action=lambda c: f"/funding-allocations/{c.allocation.pk}/delete/",
          form=lambda c: {},
          made=lambda c: not _pk(FundingAllocation, pk=c.allocation.pk),
          also=lambda c: [f"/learning-needs/{c.allocation.learning_need_id}/"]),
]


def test_the_table_lists_each_write_once_with_its_expected_roles():
    names = [write.name for write in WRITES]
    assert len(names) == len(set(names))
    assert set(names) == set(EXPECTED)
    assert all(roles <= set(ROLES) and "staff" in roles for roles in EXPECTED.values())


# Reading a page's forms and links ------------------------------------------------------


class _Targets(HTMLParser):
    """Where a page's forms post and its links lead (paths, without query strings)."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url = page_url
        self.posts: set[str] = set()
        self.links: set[str] = set()
        self.fields: dict[str, set[str]] = {}  # a form's target: the names it sends
        self._form: str | None = None

    def _path(self, url):
        return urlsplit(urljoin(self.page_url, url or self.page_url)).path

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = self._path(attrs.get("action"))
            self.posts.add(self._form)
            self.fields.setdefault(self._form, set())
        if tag in ("input", "select", "textarea") and self._form and attrs.get("name"):
            self.fields[self._form].add(attrs["name"])
        if tag == "a" and attrs.get("href"):
            self.links.add(self._path(attrs["href"]))
        if tag == "button" and attrs.get("formaction"):
            self.posts.add(self._path(attrs["formaction"]))
        if attrs.get("hx-post"):
            self.posts.add(self._path(attrs["hx-post"]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def form_fields(client, page_url, target) -> set[str]:
    """The names the form on ``page_url`` that posts to ``target`` sends."""
    answer = client.get(page_url)
    assert answer.status_code == 200, f"{page_url} answered {answer.status_code}"
    parser = _Targets(page_url)
    parser.feed(answer.content.decode())
    assert target in parser.fields, f"no form on {page_url} posts to {target}"
    names = set(parser.fields[target])
    # a date input's day, month and year boxes also take the date as one ISO value
    return names | {name.removesuffix("-day") for name in names if name.endswith("-day")
                    and {name[:-4] + "-month", name[:-4] + "-year"} <= names}


def offered(client, page_url, target, *, by_link) -> tuple[bool, str]:
    """Whether the page at ``page_url`` posts a form to ``target`` (or links to it)."""
    answer = client.get(page_url)
    if answer.status_code != 200:
        return False, f"{page_url} answered {answer.status_code}"
    parser = _Targets(page_url)
    parser.feed(answer.content.decode())
    targets = parser.posts | parser.links if by_link else parser.posts
    return target in targets, f"{page_url}: {sorted(targets)}"


# The test ----------------------------------------------------------------------------


def _provider_other(w):
    delta = f.PartnerFactory(name="Delta Academy", sector="learning_provider",
                             provides_learning=True)
    w.programme.partners.add(delta)
    user = f.UserFactory(username="delta_provider")
    f.MembershipFactory(programme=w.programme, user=user, role=Role.LEARNING_PROVIDER,
                        partner=delta)
    return user


def _prepare(write, world):
    ctx = Ctx(world, f"Parity {write.name} {next(_numbers)}")
    write.setup(ctx)
    assert not write.made(ctx), "the change must not be made before the test makes it"
    return ctx


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_a_page_makes_each_change_the_api_allows_and_offers_no_other(world, api, write, role):
    user = _provider_other(world) if role == "provider_other" else getattr(world, role)
    expected = role in EXPECTED[write.name]

    # given the objects the change works on, when the person makes it through the API
    ctx = _prepare(write, world)
    method, url, body = write.api(ctx)
    reply = getattr(api.as_user(user), method)(url, body, format="json")
    api_allowed = 200 <= reply.status_code < 300

    # then the API allows it exactly as DESIGN.md says, and made it exactly when allowed
    assert api_allowed == expected, (
        f"API {method.upper()} {url} as {role}: {reply.status_code} {reply.content[:300]!r}")
    assert write.made(ctx) == api_allowed
    if not api_allowed:
        assert reply.status_code in (400, 403, 404), reply.content

    # given fresh objects, when the person goes to the page that would offer the change
    ctx = _prepare(write, world)
    client = Client()
    client.force_login(user)
    shown, where = offered(client, write.offer(ctx), write.action(ctx), by_link=write.by_link)

    if role in write.own_only:  # the form is theirs, for their own organisation
        client.post(write.action(ctx), write.form(ctx))
        assert not write.made(ctx), f"{role} made {write.name} through the page"
        return

    # then the page offers it exactly when the API allows it
    assert shown == api_allowed, (
        f"{write.action(ctx)} {'not ' if api_allowed else ''}offered to {role} on {where}")

    # and no other page that shows the object offers a change the API refuses
    for page in write.also(ctx):
        if api_allowed:  # the table names pages that exist
            assert client.get(page).status_code == 200, page
            continue
        elsewhere, where = offered(client, page, write.action(ctx), by_link=write.by_link)
        assert not elsewhere, f"{write.action(ctx)} offered to {role} on {where}"

    # and posting the page's form makes the same change, or is refused with nothing changed
    if api_allowed:  # the test posts only fields the form has
        page = write.action(ctx) if write.by_link else write.offer(ctx)
        sent = set(write.form(ctx))
        if role not in MANAGERS:  # only managers choose the owning organisation
            sent.discard("owner_partner")
        assert sent <= form_fields(client, page, write.action(ctx)), sorted(sent)
    answer = client.post(write.action(ctx), write.form(ctx))
    if api_allowed:
        assert answer.status_code in (200, 302), answer.content.decode()[:800]
        assert write.made(ctx), (
            f"page POST {write.action(ctx)} as {role} answered {answer.status_code} "
            f"but made no change: {answer.content.decode()[:800]}")
    else:
        assert answer.status_code in (403, 404), (
            f"page POST {write.action(ctx)} as {role}: {answer.status_code}")
        assert not write.made(ctx)
        # a body that would not validate is refused the same way, not answered field by field
        empty = client.post(write.action(ctx), {})
        assert empty.status_code in (403, 404), (
            f"empty page POST {write.action(ctx)} as {role}: {empty.status_code}")
