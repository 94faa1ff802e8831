"""Closing a gap by hand with a reason, and reopening it with one, on the gap's pages:
the managers' decision (programmes.access.can_set_gap_status), through gap_close and
gap_reopen, shown on the gap page with its history."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from actions.models import Action
from programmes import services as programme_services
from programmes.models import Gap

from .. import factories as f

pytestmark = pytest.mark.django_db

REFUSED = ["lead_a", "lead_b", "reviewer", "provider_user"]


@pytest.fixture
def gap(world):
    return programme_services.gap_create(actor=world.manager, programme=world.programme,
                                         partner=world.partner_a,
                                         checklist_item=world.items[0], severity="high")


@pytest.fixture
def closed_gap(world, gap):
    return programme_services.gap_close(actor=world.manager, gap=gap,
                                        note="Covered by the system-wide induction")


def test_a_manager_closes_a_gap_with_a_reason(client, world, gap):
    client.force_login(world.manager)
    # given the gap page offers to close the gap
    assert reverse("web:gap-close", args=[gap.pk]) in client.get(
        reverse("web:gap", args=[gap.pk])).content.decode()

    # when the manager closes it with a reason
    page = client.post(reverse("web:gap-close", args=[gap.pk]),
                       {"reason": "Covered by the system-wide induction"})

    # then it is closed by a manager, the reason kept, and the page shows both and the history
    assert page.status_code == 302
    gap.refresh_from_db()
    assert (gap.status, gap.closed_reason, gap.status_note) == (
        "closed", "closed_by_manager", "Covered by the system-wide induction")
    assert gap.history.latest().history_user == world.manager
    html = client.get(reverse("web:gap", args=[gap.pk])).content.decode()
    assert "Covered by the system-wide induction" in html
    assert 'data-testid="history"' in html
    assert reverse("web:gap-reopen", args=[gap.pk]) in html


def test_closing_needs_a_reason(client, world, gap):
    client.force_login(world.manager)
    page = client.post(reverse("web:gap-close", args=[gap.pk]), {"reason": "  "})
    assert page.status_code == 400
    assert "Enter why you are closing the gap" in page.content.decode()
    gap.refresh_from_db()
    assert gap.status == "open"


def test_the_close_page_says_what_work_is_still_open(client, world, gap):
    f.ActionFactory(programme=world.programme, gap=gap, owner=world.lead_a)
    client.force_login(world.manager)
    html = client.get(reverse("web:gap-close", args=[gap.pk])).content.decode()
    assert "This gap still has 1 open action." in html


def test_a_manager_reopens_a_closed_gap_with_a_reason(client, world, closed_gap):
    client.force_login(world.manager)
    page = client.post(reverse("web:gap-reopen", args=[closed_gap.pk]),
                       {"reason": "Induction postponed"})
    assert page.status_code == 302
    closed_gap.refresh_from_db()
    assert (closed_gap.status, closed_gap.closed_reason, closed_gap.status_note) == (
        "open", "", "Induction postponed")
    html = client.get(reverse("web:gap", args=[closed_gap.pk])).content.decode()
    assert "Induction postponed" in html
    assert "Status: Closed → Open" in html


def test_reopening_while_another_gap_is_open_says_why(client, world, closed_gap):
    programme_services.gap_create(actor=world.manager, programme=world.programme,
                                  partner=world.partner_a, checklist_item=world.items[0],
                                  severity="medium")
    client.force_login(world.manager)
    page = client.post(reverse("web:gap-reopen", args=[closed_gap.pk]),
                       {"reason": "Induction postponed"})
    assert page.status_code == 400
    assert "already has an open gap for this item" in page.content.decode()
    closed_gap.refresh_from_db()
    assert closed_gap.status == "closed"


def test_a_gap_whose_closure_is_proposed_is_decided_on_the_gap_page(client, world, gap):
    Gap.objects.filter(pk=gap.pk).update(status=Gap.Status.CLOSURE_PROPOSED)
    client.force_login(world.manager)
    page = client.post(reverse("web:gap-close", args=[gap.pk]), {"reason": "Done"})
    assert page.status_code == 302
    gap.refresh_from_db()
    assert gap.status == "closure_proposed"


@pytest.mark.parametrize("who", REFUSED)
def test_others_see_no_close_button_and_are_refused(client, world, gap, who):
    client.force_login(getattr(world, who))
    html = client.get(reverse("web:gap", args=[gap.pk])).content.decode()
    assert reverse("web:gap-close", args=[gap.pk]) not in html
    url = reverse("web:gap-close", args=[gap.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Not theirs"}).status_code == 403
    gap.refresh_from_db()
    assert (gap.status, gap.version) == ("open", 1)


@pytest.mark.parametrize("who", REFUSED)
def test_others_see_no_reopen_button_and_are_refused(client, world, closed_gap, who):
    client.force_login(getattr(world, who))
    html = client.get(reverse("web:gap", args=[closed_gap.pk])).content.decode()
    assert reverse("web:gap-reopen", args=[closed_gap.pk]) not in html
    url = reverse("web:gap-reopen", args=[closed_gap.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Not theirs"}).status_code == 403
    closed_gap.refresh_from_db()
    assert closed_gap.status == "closed"


@pytest.mark.parametrize("who", [*REFUSED, "outsider"])
def test_the_gap_services_refuse_roles_they_do_not_allow(world, gap, closed_gap, who):
    user = getattr(world, who)
    other = programme_services.gap_create(actor=world.manager, programme=world.programme,
                                          partner=world.partner_b,
                                          checklist_item=world.items[1], severity="high")
    with pytest.raises(PermissionDenied):
        programme_services.gap_close(actor=user, gap=other, note="Not theirs")
    with pytest.raises(PermissionDenied):
        programme_services.gap_reopen(actor=user, gap=closed_gap, note="Not theirs")
    with pytest.raises(PermissionDenied):
        programme_services.gap_create(actor=user, programme=world.programme,
                                      partner=world.partner_b, checklist_item=world.items[2],
                                      severity="high")
    assert Gap.objects.filter(status="open").count() == 1


@pytest.mark.parametrize("who, allowed", [("manager", True), ("lead_a", True), ("lead_b", False),
                                          ("reviewer", False), ("provider_user", False)])
def test_gap_update_checks_its_own_rule(world, gap, who, allowed):
    user = getattr(world, who)
    if allowed:
        changed = programme_services.gap_update(actor=user, gap=gap, description="Shared")
        assert changed.description == "Shared"
    else:
        with pytest.raises(PermissionDenied):
            programme_services.gap_update(actor=user, gap=gap, description="Shared")
        gap.refresh_from_db()
        assert gap.description == ""


def test_the_api_still_refuses_a_reviewer_closing_a_gap(api, world, gap):
    response = api.as_user(world.reviewer).post(f"/api/v1/gaps/{gap.pk}/close/",
                                                {"reason": "Not theirs"}, format="json")
    assert response.status_code == 403
    gap.refresh_from_db()
    assert gap.status == "open"
    assert not Action.objects.exists()
