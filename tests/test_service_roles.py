"""Role rules live in the services, whatever calls them.

A booking starts as a request, approved by the need's side and confirmed by the provider
(DESIGN.md, "Training operations"); a
partner lead keeps actions within their own partner (docs/decisions.md, "Actions").
Each rule is asserted on the service called directly, then through the API (status
and unchanged rows) and the page, which call the same service.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from actions import services as action_services
from actions.models import Action
from core.errors import DomainError, InvalidTransition
from learning import services as learning_services
from learning.models import Placement, TrainingOffer
from programmes import services as programme_services
from programmes.models import Membership

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def need(world):
    return f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)


@pytest.fixture
def offer(world):
    return f.TrainingOfferFactory(provider=world.provider, capacity=10)


@pytest.fixture
def placement(world, need, offer):
    return learning_services.placement_book(actor=world.lead_a, learning_need=need,
                                            training_offer=offer, places=3)


def booked(offer) -> int:
    offer.refresh_from_db()
    return offer.places_booked


# Placements: only the provider confirms ------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "lead_a", "staff"])
@pytest.mark.parametrize("status", ["approved", "confirmed"])
def test_a_booking_starts_as_a_request_whoever_makes_it(world, need, offer, role, status):
    with pytest.raises(DomainError, match="starts as a request") as refused:
        learning_services.placement_book(actor=getattr(world, role), learning_need=need,
                                         training_offer=offer, places=2, status=status)
    assert refused.value.field == "status"
    assert not Placement.objects.exists()
    assert booked(offer) == 0


@pytest.mark.parametrize("role", ["provider_user", "lead_b", "reviewer", "outsider"])
def test_the_service_refuses_a_booking_by_anyone_but_the_needs_side(world, need, offer, role):
    with pytest.raises(PermissionDenied):
        learning_services.placement_book(actor=getattr(world, role), learning_need=need,
                                         training_offer=offer, places=2)
    assert not Placement.objects.exists()


def test_staff_book_a_request_and_may_take_every_step(world, need, offer):
    placement = learning_services.placement_book(actor=world.staff, learning_need=need,
                                                 training_offer=offer, places=2,
                                                 status="requested")
    assert placement.status == "requested"
    learning_services.placement_approve(actor=world.staff, placement=placement)
    confirmed = learning_services.placement_confirm(actor=world.staff, placement=placement)
    assert confirmed.status == "confirmed"
    assert booked(offer) == 2


@pytest.mark.parametrize("role", ["manager", "lead_a"])
def test_the_service_refuses_a_confirmation_by_the_needs_side(world, placement, offer, role):
    with pytest.raises(PermissionDenied, match="provider"):
        learning_services.placement_confirm(actor=getattr(world, role), placement=placement)
    placement.refresh_from_db()
    assert placement.status == "requested"
    assert booked(offer) == 3


def test_the_provider_confirms_and_cancels_but_changes_nothing_else(world, placement, offer):
    provider = world.provider_user
    with pytest.raises(PermissionDenied, match="the booking partner changes the number"):
        learning_services.placement_update(actor=provider, placement=placement, places=5)
    # the provider confirms only what the need's side has approved
    with pytest.raises(InvalidTransition, match="wait for approval"):
        learning_services.placement_confirm(actor=provider, placement=placement)
    learning_services.placement_approve(actor=world.lead_a, placement=placement)
    confirmed = learning_services.placement_confirm(actor=provider, placement=placement)
    assert confirmed.status == "confirmed"
    assert booked(offer) == 3
    cancelled = learning_services.placement_cancel(actor=provider, placement=placement)
    assert cancelled.status == "cancelled"
    assert booked(offer) == 0


def test_another_provider_cannot_confirm(world, placement):
    other = f.PartnerFactory(name="Delta Academy", sector="learning_provider",
                             provides_learning=True)
    world.programme.partners.add(other)
    stranger = f.UserFactory(username="delta")
    f.MembershipFactory(programme=world.programme, user=stranger, partner=other,
                        role=Membership.Role.LEARNING_PROVIDER)
    with pytest.raises(PermissionDenied):
        learning_services.placement_confirm(actor=stranger, placement=placement)
    placement.refresh_from_db()
    assert placement.status == "requested"


def test_confirmed_places_are_not_changed_or_unconfirmed_by_the_needs_side(world, placement,
                                                                          offer):
    learning_services.placement_approve(actor=world.manager, placement=placement)
    learning_services.placement_confirm(actor=world.provider_user, placement=placement)
    with pytest.raises(InvalidTransition):
        learning_services.placement_update(actor=world.lead_a, placement=placement, places=6)
    with pytest.raises(InvalidTransition):
        learning_services.placement_update(actor=world.lead_a, placement=placement,
                                           status="requested")
    placement.refresh_from_db()
    assert (placement.status, placement.places, booked(offer)) == ("confirmed", 3, 3)


@pytest.mark.parametrize("role", ["manager", "lead_a", "staff"])
def test_api_refuses_a_create_as_confirmed(api, world, need, offer, role):
    answer = api.as_user(getattr(world, role)).post("/api/v1/placements/", {
        "learning_need": need.pk, "training_offer": offer.pk, "places": 2,
        "status": "confirmed"}, format="json")
    assert answer.status_code == 400, answer.content
    assert "starts as a request" in answer.json()["status"][0]
    assert not Placement.objects.exists()
    assert booked(offer) == 0


@pytest.mark.parametrize("role", ["manager", "lead_a"])
def test_api_refuses_a_patch_to_confirmed_by_the_needs_side(api, world, placement, offer, role):
    answer = api.as_user(getattr(world, role)).patch(f"/api/v1/placements/{placement.pk}/",
                                                     {"status": "confirmed"}, format="json")
    assert answer.status_code == 403, answer.content
    placement.refresh_from_db()
    assert placement.status == "requested"
    assert placement.history.count() == 1
    assert booked(offer) == 3


def test_api_lets_the_provider_confirm_approved_places(api, world, placement):
    early = api.as_user(world.provider_user).patch(f"/api/v1/placements/{placement.pk}/",
                                                   {"status": "confirmed"}, format="json")
    assert early.status_code == 409, early.content
    approved = api.as_user(world.lead_a).post(f"/api/v1/placements/{placement.pk}/approve/")
    assert approved.status_code == 200, approved.content
    answer = api.as_user(world.provider_user).patch(f"/api/v1/placements/{placement.pk}/",
                                                    {"status": "confirmed"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "confirmed"


def test_the_booking_page_only_ever_requests(world, need, offer, client):
    client.force_login(world.lead_a)
    page = client.post(reverse("web:placement-new", args=[need.pk, offer.pk]),
                       {"places": 2, "status": "confirmed"})
    assert page.status_code == 302
    assert list(Placement.objects.values_list("status", "places")) == [("requested", 2)]


def test_the_booking_page_refuses_those_who_may_not_book(world, need, offer, client):
    client.force_login(world.provider_user)
    page = client.post(reverse("web:placement-new", args=[need.pk, offer.pk]), {"places": 2})
    assert page.status_code == 403
    assert not Placement.objects.exists()


# Actions: a partner lead keeps work within their own partner --------------------------------


@pytest.fixture
def colleague(world):
    """Another person of partner A (Alpha Council) in the programme."""
    user = f.UserFactory(username="colleague_a")
    f.MembershipFactory(programme=world.programme, user=user, role=Membership.Role.PARTNER_LEAD,
                        partner=world.partner_a)
    return user


@pytest.fixture
def action(world):
    return f.ActionFactory(programme=world.programme, owner=world.lead_a,
                           owner_partner=world.partner_a, title="Agree a shared induction")


@pytest.mark.parametrize("change", [
    pytest.param({"owner": "lead_b"}, id="to-another-partners-lead"),
    pytest.param({"owner_partner": "partner_b"}, id="to-another-partner"),
    pytest.param({"owner": "manager"}, id="to-the-manager"),
    pytest.param({"owner": "lead_b", "owner_partner": "partner_b"}, id="both"),
])
def test_the_service_refuses_a_partner_lead_handing_an_action_away(world, action, change):
    fields = {name: getattr(world, value) for name, value in change.items()}
    with pytest.raises(PermissionDenied, match="their own organisation"):
        action_services.action_update(actor=world.lead_a, action=action, **fields)
    action.refresh_from_db()
    assert (action.owner_id, action.owner_partner_id, action.version) == (
        world.lead_a.pk, world.partner_a.pk, 1)


@pytest.mark.parametrize("fields", [
    pytest.param({"owner": "lead_b"}, id="owner-of-another-partner"),
    pytest.param({"owner_partner": "partner_b"}, id="another-partner"),
    pytest.param({"owner": "lead_a", "owner_partner": "partner_b"}, id="self-for-another"),
    pytest.param({"owner": "lead_b", "owner_partner": "partner_a"}, id="other-person-for-mine"),
])
def test_the_service_refuses_a_partner_lead_creating_work_for_others(world, fields):
    values = {name: getattr(world, value) for name, value in fields.items()}
    with pytest.raises(PermissionDenied):
        action_services.action_create(programme=world.programme, actor=world.lead_a,
                                      title="Not mine to give", **values)
    assert not Action.objects.exists()


def test_a_partner_lead_gives_work_to_their_own_partners_people(world, action, colleague):
    changed = action_services.action_update(actor=world.lead_a, action=action, owner=colleague)
    assert (changed.owner_id, changed.owner_partner_id) == (colleague.pk, world.partner_a.pk)
    created = action_services.action_create(programme=world.programme, actor=world.lead_a,
                                            title="Ours to do")
    assert created.owner_partner_id == world.partner_a.pk


def test_a_lead_still_works_on_an_action_they_own_for_another_partner(world):
    action = f.ActionFactory(programme=world.programme, owner=world.lead_a,
                             owner_partner=world.partner_b)
    changed = action_services.action_update(actor=world.lead_a, action=action,
                                            status="in_progress")
    assert changed.status == "in_progress"


def test_managers_hand_actions_to_anyone(world, action):
    changed = action_services.action_update(actor=world.manager, action=action,
                                            owner=world.lead_b, owner_partner=world.partner_b)
    assert (changed.owner_id, changed.owner_partner_id) == (world.lead_b.pk, world.partner_b.pk)


@pytest.mark.parametrize("role", ["lead_b", "reviewer", "provider_user"])
def test_the_service_refuses_a_change_by_those_who_may_not_change_it(world, action, role):
    with pytest.raises(PermissionDenied):
        action_services.action_update(actor=getattr(world, role), action=action, title="Mine")
    action.refresh_from_db()
    assert action.title == "Agree a shared induction"


@pytest.mark.parametrize("body", [
    pytest.param({"owner": "lead_b"}, id="owner"),
    pytest.param({"owner_partner": "partner_b"}, id="owner_partner"),
])
def test_api_refuses_a_partner_lead_handing_an_action_away(api, world, action, body):
    payload = {name: getattr(world, value).pk for name, value in body.items()}
    answer = api.as_user(world.lead_a).patch(f"/api/v1/actions/{action.pk}/", payload,
                                             format="json")
    assert answer.status_code == 403, answer.content
    action.refresh_from_db()
    assert (action.owner_id, action.owner_partner_id, action.version) == (
        world.lead_a.pk, world.partner_a.pk, 1)


def test_the_action_page_refuses_a_partner_lead_giving_work_to_another_partner(world, client):
    gap = programme_services.gap_create(
        actor=world.manager, programme=world.programme, partner=world.partner_a,
        checklist_item=world.items[0], severity="high")
    client.force_login(world.lead_a)
    page = client.post(reverse("web:action-new", args=[gap.pk]), {
        "title": "Theirs now", "owner": world.lead_b.pk, "owner_partner": world.partner_a.pk,
        "due_date": "2027-03-01", "priority": "medium"})
    assert page.status_code == 403
    assert not Action.objects.exists()


# Deletes check their own role ------------------------------------------------------------


def test_delete_services_refuse_roles_that_may_not_delete(world, action, placement, need):
    cycle = f.CycleFactory(programme=world.programme, name="Spare")
    offer = TrainingOffer.objects.get()
    refusals = [
        lambda: action_services.action_delete(actor=world.lead_a, action=action),
        lambda: learning_services.placement_delete(actor=world.provider_user,
                                                   placement=placement),
        lambda: learning_services.need_delete(actor=world.lead_b, need=need),
        lambda: learning_services.offer_delete(actor=world.manager, offer=offer),
        lambda: programme_services.cycle_delete(actor=world.lead_a, cycle=cycle),
        lambda: programme_services.programme_delete(actor=world.manager,
                                                    programme=world.programme),
        lambda: programme_services.partner_delete(actor=world.manager, partner=world.partner_a),
    ]
    for refuse in refusals:
        with pytest.raises(PermissionDenied):
            refuse()
    assert Action.objects.filter(pk=action.pk).exists()
    assert Placement.objects.filter(pk=placement.pk).exists()
    assert booked(offer) == 3
