"""The pages and the API answer the same person the same way (DESIGN.md, "Who may do what").

Both call the access functions of the apps (``programmes.access``, ``actions.access``,
``learning.access``), so for each change and each role the page allows it exactly
when the API does, and shows the button exactly when it is allowed.
"""

import pytest
from django.urls import reverse

from .. import factories as f

pytestmark = pytest.mark.django_db

ROLES = ["manager", "lead_a", "lead_b", "provider_user", "reviewer", "outsider", "staff"]


def _page_ok(response):
    assert response.status_code in (302, 403, 404), response.content.decode()[:500]
    return response.status_code == 302


def _api_ok(response):
    """Allowed, or refused: 403, 404, or a 400 naming an object the user may not see
    (the API answers an unseen related id as if it did not exist)."""
    unseen = response.status_code == 400 and b"does not exist" in response.content
    assert response.status_code in (200, 201, 403, 404) or unseen, response.content
    return response.status_code in (200, 201)


def change_action_status(site, page, api):
    return (_page_ok(page.post(reverse("web:action-status", args=[site.action.pk]),
                               {"status": "in_progress"})),
            _api_ok(api.patch(f"/api/v1/actions/{site.action.pk}/", {"status": "blocked"},
                              format="json")))


def add_progress_note(site, page, api):
    return (_page_ok(page.post(reverse("web:action-note", args=[site.action.pk]),
                               {"text": "Met the team"})),
            _api_ok(api.post("/api/v1/action-notes/", {"action": site.action.pk,
                                                       "text": "Met them again"},
                             format="json")))


def add_action_for_partner_a(site, page, api):
    w = site.world
    fields = {"title": "Plan a team day", "owner": w.lead_a.pk, "owner_partner": w.partner_a.pk,
              "due_date": "2027-03-01", "priority": "medium"}
    return (_page_ok(page.post(reverse("web:action-new", args=[site.gap.pk]), fields)),
            _api_ok(api.post("/api/v1/actions/", {**fields, "programme": w.programme.pk,
                                                  "gap": site.gap.pk}, format="json")))


def record_learning_need(site, page, api):
    w = site.world
    fields = {"staff_group": "Care workers", "topic": "Dementia care", "workers_count": 4}
    return (_page_ok(page.post(reverse("web:learning-need-new", args=[site.gap.pk]), fields)),
            _api_ok(api.post("/api/v1/learning-needs/", {
                **fields, "programme": w.programme.pk, "partner": w.partner_a.pk,
                "gap": site.gap.pk}, format="json")))


def answer_assessment_of_partner_a(site, page, api):
    w = site.world
    draft = f.AssessmentFactory(cycle=f.CycleFactory(programme=w.programme, name="Review"),
                                partner=w.partner_a)
    return (_page_ok(page.post(reverse("web:assessment-section", args=[draft.pk, 1]),
                               {f"item-{w.items[0].pk}-rating": "met"})),
            _api_ok(api.post("/api/v1/responses/", {
                "assessment": draft.pk, "checklist_item": w.items[2].pk, "rating": "met"},
                format="json")))


def book_places(site, page, api):
    return (_page_ok(page.post(reverse("web:placement-new", args=[site.need.pk, site.offer.pk]),
                               {"places": 1})),
            _api_ok(api.post("/api/v1/placements/", {
                "learning_need": site.need.pk, "training_offer": site.offer.pk, "places": 1},
                format="json")))


def allocate_funding(site, page, api):
    return (_page_ok(page.post(reverse("web:allocation-new", args=[site.need.pk]),
                               {"stream": site.stream.pk, "amount": "100.00"})),
            _api_ok(api.post("/api/v1/funding-allocations/", {
                "stream": site.stream.pk, "learning_need": site.need.pk, "amount": "100.00"},
                format="json")))


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


@pytest.mark.parametrize("change", list(ALLOWED), ids=lambda c: c.__name__)
@pytest.mark.parametrize("role", ROLES)
def test_page_and_api_allow_the_same_changes(site, as_user, api, change, role):
    user = getattr(site.world, role)
    page_allowed, api_allowed = change(site, as_user(user), api.as_user(user))
    assert page_allowed == api_allowed
    assert page_allowed == (role in ALLOWED[change])


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
