"""The pages and the API answer the same person the same way (DESIGN.md, "Who may do what").

Both call the access functions of the apps (``programmes.access``, ``actions.access``,
``learning.access``), so for each change and each role the page allows it exactly
when the API does, and shows the button exactly when it is allowed.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from actions.models import Action, ActionNote
from learning.models import LearningNeed, Placement

from .. import factories as f

pytestmark = pytest.mark.django_db

ROLES = ["manager", "lead_a", "lead_b", "provider_user", "reviewer", "outsider", "staff"]


@dataclass
class Outcome:
    """What a page and the API answered to the same change, and whether each was made."""

    page: object
    page_made: bool
    api: object
    api_made: bool


def change_action_status(site, page, api):
    action = site.action
    answer = page.post(reverse("web:action-status", args=[action.pk]), {"status": "in_progress"})
    page_made = Action.objects.get(pk=action.pk).status == "in_progress"
    reply = api.patch(f"/api/v1/actions/{action.pk}/", {"status": "blocked"}, format="json")
    return Outcome(answer, page_made, reply, Action.objects.get(pk=action.pk).status == "blocked")


def add_progress_note(site, page, api):
    action = site.action
    answer = page.post(reverse("web:action-note", args=[action.pk]), {"text": "Met the team"})
    page_made = ActionNote.objects.filter(action=action, text="Met the team").exists()
    reply = api.post("/api/v1/action-notes/", {"action": action.pk, "text": "Met them again"},
                     format="json")
    api_made = ActionNote.objects.filter(action=action, text="Met them again").exists()
    return Outcome(answer, page_made, reply, api_made)


def add_action_for_partner_a(site, page, api):
    w = site.world
    fields = {"owner": w.lead_a.pk, "owner_partner": w.partner_a.pk,
              "due_date": "2027-03-01", "priority": "medium"}
    answer = page.post(reverse("web:action-new", args=[site.gap.pk]),
                       {**fields, "title": "Plan a team day"})
    page_made = Action.objects.filter(title="Plan a team day").exists()
    reply = api.post("/api/v1/actions/", {**fields, "title": "Plan a second team day",
                                          "programme": w.programme.pk, "gap": site.gap.pk},
                     format="json")
    return Outcome(answer, page_made, reply,
                   Action.objects.filter(title="Plan a second team day").exists())


def record_learning_need(site, page, api):
    w = site.world
    fields = {"staff_group": "Care workers", "workers_count": 4}
    answer = page.post(reverse("web:learning-need-new", args=[site.gap.pk]),
                       {**fields, "topic": "Dementia care"})
    page_made = LearningNeed.objects.filter(topic="Dementia care").exists()
    reply = api.post("/api/v1/learning-needs/", {
        **fields, "topic": "Dementia care at home", "programme": w.programme.pk,
        "partner": w.partner_a.pk, "gap": site.gap.pk}, format="json")
    return Outcome(answer, page_made, reply,
                   LearningNeed.objects.filter(topic="Dementia care at home").exists())


def answer_assessment_of_partner_a(site, page, api):
    w = site.world
    draft = f.AssessmentFactory(cycle=f.CycleFactory(programme=w.programme, name="Review"),
                                partner=w.partner_a)
    answer = page.post(reverse("web:assessment-section", args=[draft.pk, 1]),
                       {f"item-{w.items[0].pk}-rating": "met"})
    page_made = draft.responses.filter(checklist_item=w.items[0]).exists()
    reply = api.post("/api/v1/responses/", {
        "assessment": draft.pk, "checklist_item": w.items[2].pk, "rating": "met"},
        format="json")
    return Outcome(answer, page_made, reply,
                   draft.responses.filter(checklist_item=w.items[2]).exists())


def book_places(site, page, api):
    need, offer = site.need, site.offer
    answer = page.post(reverse("web:placement-new", args=[need.pk, offer.pk]), {"places": 1})
    page_made = Placement.objects.filter(learning_need=need).count() == 1
    reply = api.post("/api/v1/placements/", {
        "learning_need": need.pk, "training_offer": offer.pk, "places": 2}, format="json")
    return Outcome(answer, page_made, reply,
                   Placement.objects.filter(learning_need=need, places=2).exists())


def allocate_funding(site, page, api):
    stream, need = site.stream, site.need
    answer = page.post(reverse("web:allocation-new", args=[need.pk]),
                       {"stream": stream.pk, "amount": "100.00"})
    page_made = stream.allocations.filter(amount="100.00").exists()
    reply = api.post("/api/v1/funding-allocations/", {
        "stream": stream.pk, "learning_need": need.pk, "amount": "120.00"}, format="json")
    return Outcome(answer, page_made, reply, stream.allocations.filter(amount="120.00").exists())


# Who DESIGN.md lets do each change (staff may do everything).
ALLOWED = {
    change_action_status: {"manager", "lead_a", "staff"},
    add_progress_note: {"manager", "lead_a", "staff"},
    add_action_for_partner_a: {"manager", "lead_a", "staff"},
    record_learning_need: {"manager", "lead_a", "staff"},
    answer_assessment_of_partner_a: {"manager", "lead_a", "staff"},
    book_places: {"manager", "lead_a", "staff"},
    allocate_funding: {"manager", "staff"},
}


# What a refused change answers: an outsider is told the object does not exist (the
# API answers a write that names an unseen object with a 400 saying so); anyone who
# may see it is told they may not change it.
def _refusal(role: str) -> int:
    return 404 if role == "outsider" else 403


@pytest.mark.parametrize("change", list(ALLOWED), ids=lambda c: c.__name__)
@pytest.mark.parametrize("role", ROLES)
def test_page_and_api_allow_the_same_changes(site, as_user, api, change, role):
    # given a person in one of the roles
    user = getattr(site.world, role)

    # when they make the change through a page, then through the API
    outcome = change(site, as_user(user), api.as_user(user))

    # then both make it exactly when DESIGN.md allows, and both refuse it otherwise
    page, reply = outcome.page, outcome.api
    if role in ALLOWED[change]:
        assert page.status_code == 302, page.content.decode()[:500]
        assert reply.status_code in (200, 201), reply.content
        assert outcome.page_made and outcome.api_made
    else:
        assert page.status_code == _refusal(role), page.content.decode()[:500]
        assert not outcome.page_made
        unseen = (role == "outsider" and reply.status_code == 400
                  and b"There is no record with id" in reply.content)
        assert unseen or reply.status_code == _refusal(role), reply.content
        assert not outcome.api_made


@pytest.mark.parametrize("role", ROLES)
def test_buttons_are_shown_only_to_those_who_may_use_them(site, as_user, role):
    client = as_user(getattr(site.world, role))
    gap = client.get(reverse("web:gap", args=[site.gap.pk])).content.decode()
    action = client.get(reverse("web:action", args=[site.action.pk])).content.decode()
    need = client.get(reverse("web:learning-need", args=[site.need.pk])).content.decode()
    can_change = role in {"manager", "lead_a", "staff"}
    if role == "outsider":
        assert "Page not found" in gap
        return
    assert ("Add an action" in gap) == can_change
    assert ("Add a learning need" in gap) == can_change
    assert ("Save status" in action) == can_change
    assert ("Add the note" in action) == can_change
    assert ("Book places" in need) == can_change
    assert ("Allocate funding" in need) == (role in {"manager", "staff"})
