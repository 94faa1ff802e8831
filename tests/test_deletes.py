"""What can be deleted, by whom, and what happens to what hangs off it.

docs/decisions.md, "What can be deleted", is the table; these tests hold the service
to it through the API: every deletable resource deleted by each role allowed to,
nothing a user needs afterwards (a submitted assessment, its answers, progress notes,
a gap's work) lost, and an offer's places and a stream's money always equal to what
their placements and allocations hold, after any sequence of writes and deletes.
"""

from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.db.models.deletion import ProtectedError, RestrictedError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import services as action_services
from actions.models import Action, ActionNote
from core.errors import DomainError
from learning import services as learning_services
from learning.models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer
from programmes import services as programme_services
from programmes.models import Assessment, AssessmentCycle, Gap, Programme, Response

from . import factories as f
from .test_roles_matrix import MODELS, Objects

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(world):
    return Objects(world)


def places_held(offer) -> int:
    return Placement.objects.filter(
        training_offer=offer, status__in=Placement.HOLDING
    ).aggregate(total=Sum("places"))["total"] or 0


def money_held(stream) -> Decimal:
    total = FundingAllocation.objects.filter(
        stream=stream, status__in=FundingAllocation.HOLDING
    ).aggregate(total=Sum("amount"))["total"]
    return Decimal(total or 0)


def assert_places_and_money_add_up():
    """Every offer's places_booked and every stream's allocated equal what is held."""
    for offer in TrainingOffer.objects.all():
        assert offer.places_booked == places_held(offer), offer
    for stream in FundingStream.objects.all():
        assert stream.allocated == money_held(stream), stream


def submitted_assessment(world, *, partner=None, cycle=None):
    """A submitted assessment with two answers (one not met, so it opens a gap)."""
    cycle = cycle or f.CycleFactory(programme=world.programme, name="Submitted cycle")
    assessment = f.AssessmentFactory(cycle=cycle, partner=partner or world.partner_a)
    f.ResponseFactory(assessment=assessment, checklist_item=world.items[0], rating="not_met")
    f.ResponseFactory(assessment=assessment, checklist_item=world.items[1], rating="met")
    f.answer_the_rest(assessment)
    programme_services.assessment_submit(actor=world.manager, assessment=assessment)
    assessment.refresh_from_db()
    return assessment


# Every deletable resource, by each role allowed to delete it -------------------------

# resource: the roles (world attributes) that may delete a fresh object of side "a"
# (for offers: Gamma College's, the provider's own).
DELETERS = {
    "programmes": ["staff"],
    "partners": ["staff"],
    "memberships": ["manager", "staff"],
    "cycles": ["manager", "staff"],
    "assessments": ["manager", "lead_a", "staff"],
    "responses": ["manager", "lead_a", "staff"],
    "gaps": ["manager", "staff"],
    "actions": ["manager", "staff"],
    "learning-needs": ["manager", "lead_a", "staff"],
    "training-offers": ["provider_user", "staff"],
    "placements": ["manager", "lead_a", "staff"],
    "funding-streams": ["manager", "staff"],
    "funding-allocations": ["manager", "staff"],
}
OTHERS = ["manager", "lead_a", "lead_b", "provider_user", "reviewer", "staff"]


@pytest.mark.parametrize(("resource", "role"), [
    pytest.param(resource, role, id=f"{resource}-{role}")
    for resource, roles in DELETERS.items() for role in roles
])
def test_each_allowed_role_deletes_and_places_and_money_add_up(api, world, objects, resource,
                                                               role):
    # given a fresh object, and some booked places and allocated money around it
    target = objects.fresh(resource, "a")
    objects.get("placements", "a")
    objects.get("funding-allocations", "a")
    # when
    answer = api.as_user(getattr(world, role)).delete(f"/api/v1/{resource}/{target.pk}/")
    # then
    assert answer.status_code == 204, answer.content
    assert not MODELS[resource].objects.filter(pk=target.pk).exists()
    assert_places_and_money_add_up()


@pytest.mark.parametrize(("resource", "role"), [
    pytest.param(resource, role, id=f"{resource}-{role}")
    for resource, roles in DELETERS.items() for role in OTHERS if role not in roles
])
def test_other_roles_are_refused_and_nothing_is_deleted(api, world, objects, resource, role):
    target = objects.fresh(resource, "a")
    answer = api.as_user(getattr(world, role)).delete(f"/api/v1/{resource}/{target.pk}/")
    assert answer.status_code in (403, 404), answer.content
    assert MODELS[resource].objects.filter(pk=target.pk).exists()


def test_progress_notes_cannot_be_deleted_through_the_api(api, world, objects):
    action = objects.get("actions", "a")
    note = action_services.action_add_note(action=action, actor=world.manager, text="Met")
    answer = api.as_user(world.staff).delete(f"/api/v1/action-notes/{note.pk}/")
    assert answer.status_code == 405
    assert ActionNote.objects.filter(pk=note.pk).exists()


# Submitted assessments and their answers are never deleted ----------------------------


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_no_api_call_deletes_a_submitted_assessment_or_its_answers(api, world, role):
    # given a submitted assessment in a cycle, and a draft beside it in the same cycle
    assessment = submitted_assessment(world)
    cycle = assessment.cycle
    draft = f.AssessmentFactory(cycle=cycle, partner=world.partner_b)
    f.ResponseFactory(assessment=draft, checklist_item=world.items[0], rating="met")
    client = api.as_user(getattr(world, role))
    before = (Assessment.objects.count(), Response.objects.count())
    # when every delete that could reach it is tried
    answers = {
        "response": client.delete(f"/api/v1/responses/{assessment.responses.first().pk}/"),
        "assessment": client.delete(f"/api/v1/assessments/{assessment.pk}/"),
        "cycle": client.delete(f"/api/v1/cycles/{cycle.pk}/"),
        "programme": client.delete(f"/api/v1/programmes/{world.programme.pk}/"),
        "partner": client.delete(f"/api/v1/partners/{world.partner_a.pk}/"),
    }
    # then each is refused and nothing is gone
    expected = {"response": 409, "assessment": 409, "cycle": 409,
                "programme": 409 if role == "staff" else 403,
                "partner": 409 if role == "staff" else 403}
    assert {k: a.status_code for k, a in answers.items()} == expected
    assert (Assessment.objects.count(), Response.objects.count()) == before
    assert AssessmentCycle.objects.filter(pk=cycle.pk).exists()
    assert Programme.objects.filter(pk=world.programme.pk).exists()


def test_the_refusal_to_delete_a_cycle_says_to_close_it(api, world):
    assessment = submitted_assessment(world)
    answer = api.as_user(world.manager).delete(f"/api/v1/cycles/{assessment.cycle_id}/")
    assert answer.status_code == 409
    body = answer.json()
    assert "1 submitted assessment," in body["detail"]
    assert "close the cycle instead" in body["detail"]
    assert "submitted assessment" in api.as_user(world.manager).delete(
        f"/api/v1/assessments/{assessment.pk}/").json()["detail"]


def test_a_cycle_with_drafts_only_is_deleted_with_them_and_their_history_stays(api, world):
    cycle = f.CycleFactory(programme=world.programme, name="Set up by mistake")
    draft = f.AssessmentFactory(cycle=cycle, partner=world.partner_a)
    answer_row = f.ResponseFactory(assessment=draft, checklist_item=world.items[0])

    answer = api.as_user(world.manager).delete(f"/api/v1/cycles/{cycle.pk}/")

    assert answer.status_code == 204, answer.content
    assert not AssessmentCycle.objects.filter(pk=cycle.pk).exists()
    assert not Assessment.objects.filter(pk=draft.pk).exists()
    assert Assessment.history.filter(id=draft.pk, history_type="-").exists()
    assert Response.history.filter(id=answer_row.pk, history_type="-").exists()


def test_the_database_refuses_to_cascade_to_assessments_and_answers(world):
    assessment = submitted_assessment(world)
    answers = Response.objects.filter(assessment=assessment).count()
    with pytest.raises(ProtectedError):
        assessment.cycle.delete()
    with pytest.raises(ProtectedError):
        Assessment.objects.filter(pk=assessment.pk).delete()
    with pytest.raises(ProtectedError):
        Programme.objects.filter(pk=world.programme.pk).delete()
    assert Response.objects.filter(assessment=assessment).count() == answers == 5


def test_a_programme_without_submissions_is_deleted_by_staff(api, world, objects):
    programme = objects.fresh("programmes", "a")
    cycle = f.CycleFactory(programme=programme, name="Draft round")
    f.AssessmentFactory(cycle=cycle, partner=world.partner_a)
    f.ActionFactory(programme=programme, owner_partner=world.partner_a)

    answer = api.as_user(world.staff).delete(f"/api/v1/programmes/{programme.pk}/")

    assert answer.status_code == 204, answer.content
    assert not Programme.objects.filter(pk=programme.pk).exists()
    assert not Action.objects.filter(programme_id=programme.pk).exists()


def test_a_programme_whose_needs_hold_places_is_refused_and_keeps_them(api, world, objects):
    programme = objects.fresh("programmes", "a")
    need = f.LearningNeedFactory(programme=programme, partner=world.partner_a)
    offer = objects.get("training-offers", "a")
    learning_services.placement_book(actor=world.manager, learning_need=need,
                                     training_offer=offer, places=3)

    answer = api.as_user(world.staff).delete(f"/api/v1/programmes/{programme.pk}/")

    assert answer.status_code == 409, answer.content
    assert "placements" in answer.json()["detail"]
    assert Programme.objects.filter(pk=programme.pk).exists()
    offer.refresh_from_db()
    assert offer.places_booked == 3
    assert_places_and_money_add_up()


def test_a_partner_with_records_is_refused_not_a_server_error(api, world, objects):
    objects.get("actions", "a")
    answer = api.as_user(world.staff).delete(f"/api/v1/partners/{world.partner_a.pk}/")
    assert answer.status_code == 409, answer.content
    assert "actions" in answer.json()["detail"]


# Learning needs, placements and allocations give places and money back -------------------


def test_deleting_a_need_gives_its_places_and_money_back(api, world, objects):
    # given the reported case: 4 places booked for a need, and money planned for it
    need = objects.fresh("learning-needs", "a")
    offer = objects.get("training-offers", "a")
    stream = objects.get("funding-streams", "a")
    learning_services.placement_book(actor=world.manager, learning_need=need,
                                     training_offer=offer, places=4)
    cancelled = learning_services.placement_book(actor=world.manager, learning_need=need,
                                                 training_offer=offer, places=2)
    learning_services.placement_cancel(actor=world.manager, placement=cancelled)
    learning_services.allocation_create(actor=world.manager, stream=stream, learning_need=need,
                                        amount=Decimal("300.00"))
    offer.refresh_from_db()
    stream.refresh_from_db()
    assert (offer.places_booked, stream.allocated) == (4, Decimal("300.00"))
    # when
    answer = api.as_user(world.lead_a).delete(f"/api/v1/learning-needs/{need.pk}/")
    # then
    assert answer.status_code == 204, answer.content
    offer.refresh_from_db()
    stream.refresh_from_db()
    assert (offer.places_booked, stream.allocated) == (0, Decimal("0.00"))
    assert not Placement.objects.filter(learning_need_id=need.pk).exists()
    assert Placement.history.filter(learning_need_id=need.pk, history_type="-").count() == 2
    assert_places_and_money_add_up()


def test_a_need_with_confirmed_places_or_committed_money_is_kept(api, world, objects):
    need = objects.fresh("learning-needs", "a")
    offer = objects.get("training-offers", "a")
    placement = learning_services.placement_book(actor=world.manager, learning_need=need,
                                                 training_offer=offer, places=2)
    learning_services.placement_approve(actor=world.manager, placement=placement)
    learning_services.placement_confirm(actor=world.provider_user, placement=placement)
    client = api.as_user(world.manager)

    answer = client.delete(f"/api/v1/learning-needs/{need.pk}/")
    assert answer.status_code == 409, answer.content
    assert "cancel them first" in answer.json()["detail"]

    learning_services.placement_cancel(actor=world.manager, placement=placement)
    learning_services.allocation_create(actor=world.manager,
                                        stream=objects.get("funding-streams", "a"),
                                        learning_need=need, amount=Decimal("50.00"),
                                        status="committed")
    answer = client.delete(f"/api/v1/learning-needs/{need.pk}/")
    assert answer.status_code == 409, answer.content
    assert "committed" in answer.json()["detail"]
    assert LearningNeed.objects.filter(pk=need.pk).exists()
    assert_places_and_money_add_up()


def test_the_database_refuses_to_drop_a_needs_placements(world, objects):
    placement = objects.get("placements", "a")
    with pytest.raises(ProtectedError):
        placement.learning_need.delete()
    assert Placement.objects.filter(pk=placement.pk).exists()


def test_a_confirmed_placement_is_cancelled_not_deleted(api, world, objects):
    placement = objects.get("placements", "a")
    learning_services.placement_approve(actor=world.manager, placement=placement)
    learning_services.placement_confirm(actor=world.provider_user, placement=placement)
    answer = api.as_user(world.manager).delete(f"/api/v1/placements/{placement.pk}/")
    assert answer.status_code == 409, answer.content
    assert "cancel the placement instead" in answer.json()["detail"]
    assert Placement.objects.filter(pk=placement.pk, status="confirmed").exists()
    assert_places_and_money_add_up()


def test_committed_money_is_cancelled_not_deleted(api, world, objects):
    allocation = objects.get("funding-allocations", "a")
    learning_services.allocation_update(actor=world.manager,
                                        allocation=allocation, status="committed")
    answer = api.as_user(world.manager).delete(f"/api/v1/funding-allocations/{allocation.pk}/")
    assert answer.status_code == 409, answer.content
    assert FundingAllocation.objects.filter(pk=allocation.pk).exists()
    assert_places_and_money_add_up()


def test_a_stream_with_allocations_is_kept(api, world, objects):
    allocation = objects.get("funding-allocations", "a")
    learning_services.allocation_update(actor=world.manager,
                                        allocation=allocation, status="cancelled")
    answer = api.as_user(world.manager).delete(f"/api/v1/funding-streams/{allocation.stream_id}/")
    assert answer.status_code == 409, answer.content
    assert FundingStream.objects.filter(pk=allocation.stream_id).exists()


# Gaps keep their work; actions keep their notes ----------------------------------------


@pytest.mark.parametrize("work", ["action", "need"])
def test_a_gap_with_work_is_closed_not_deleted(api, world, objects, work):
    gap = objects.fresh("gaps", "a")
    if work == "action":
        linked = f.ActionFactory(programme=world.programme, gap=gap, owner_partner=gap.partner)
    else:
        linked = f.LearningNeedFactory(programme=world.programme, partner=gap.partner, gap=gap)

    answer = api.as_user(world.manager).delete(f"/api/v1/gaps/{gap.pk}/")

    assert answer.status_code == 409, answer.content
    assert "close the gap instead" in answer.json()["detail"]
    linked.refresh_from_db()
    assert linked.gap_id == gap.pk
    with pytest.raises(RestrictedError):
        Gap.objects.filter(pk=gap.pk).delete()


def test_deleting_an_action_keeps_its_progress_notes_in_the_history(api, world, objects):
    action = objects.fresh("actions", "a")
    notes = [
        action_services.action_add_note(action=action, actor=world.lead_a, text=text)
        for text in ("Met the team leads", "Draft plan shared")
    ]

    answer = api.as_user(world.manager).delete(f"/api/v1/actions/{action.pk}/")

    assert answer.status_code == 204, answer.content
    assert not ActionNote.objects.filter(action_id=action.pk).exists()
    kept = ActionNote.history.filter(action_id=action.pk)
    assert sorted(kept.filter(history_type="+").values_list("text", flat=True)) == sorted(
        n.text for n in notes)
    deleted = kept.filter(history_type="-")
    assert deleted.count() == 2
    assert {row.history_user_id for row in deleted} == {world.manager.pk}
    assert Action.history.filter(id=action.pk, history_type="-").exists()


def test_an_action_with_funding_is_cancelled_not_deleted(api, world, objects):
    action = objects.fresh("actions", "a")
    learning_services.allocation_create(actor=world.manager,
                                        stream=objects.get("funding-streams", "a"),
                                        action=action, amount=Decimal("80.00"))
    answer = api.as_user(world.manager).delete(f"/api/v1/actions/{action.pk}/")
    assert answer.status_code == 409, answer.content
    assert "cancel the action instead" in answer.json()["detail"]
    assert Action.objects.filter(pk=action.pk).exists()


# Places and money add up after any sequence of writes and deletes ----------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["book", "confirm", "cancel", "places", "delete_placement",
                         "allocate", "commit", "cancel_allocation", "delete_allocation",
                         "delete_need", "new_need"]),
        st.integers(min_value=0, max_value=50),
        st.integers(min_value=1, max_value=7),
    ),
    min_size=3, max_size=30,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=OPERATIONS)
def test_places_and_money_equal_what_is_held_after_any_sequence(world, operations):
    """Random bookings, confirmations, cancellations, allocations and deletes, through the
    services as the API calls them: refused ones change nothing, and after every step each
    offer's places and each stream's money are exactly what their rows hold."""
    w = world
    offers = list(TrainingOffer.objects.filter(title__startswith="Seq"))
    if not offers:
        offers = [f.TrainingOfferFactory(provider=w.provider, title=f"Seq {n}", capacity=9)
                  for n in range(2)]
    streams = list(FundingStream.objects.filter(name__startswith="Seq"))
    if not streams:
        streams = [f.FundingStreamFactory(programme=w.programme, funder=w.partner_a,
                                          name=f"Seq {n}", amount=Decimal("500.00"))
                   for n in range(2)]

    def pick(queryset, n):
        rows = list(queryset.order_by("pk"))
        return rows[n % len(rows)] if rows else None

    for name, n, size in operations:
        need = pick(LearningNeed.objects.filter(programme=w.programme), n)
        placement = pick(Placement.objects.all(), n)
        allocation = pick(FundingAllocation.objects.all(), n)
        try:
            if name == "new_need" or need is None:
                f.LearningNeedFactory(programme=w.programme, partner=w.partner_a)
            elif name == "book":
                learning_services.placement_book(actor=w.lead_a, learning_need=need,
                                                 training_offer=offers[n % 2], places=size)
            elif name == "delete_need":  # most often a need that holds places or money
                holding = LearningNeed.objects.filter(
                    Q(placements__status__in=Placement.HOLDING)
                    | Q(funding_allocations__status=FundingAllocation.Status.PLANNED)
                ).distinct()
                need = pick(holding, n) if n % 4 else need
                learning_services.need_delete(actor=w.manager, need=need or pick(
                    LearningNeed.objects.all(), n))
            elif name == "allocate":
                learning_services.allocation_create(actor=w.manager,
                                                    stream=streams[n % 2], learning_need=need,
                                                    amount=Decimal(size * 25))
            elif placement is not None and name == "confirm":
                learning_services.placement_confirm(actor=w.provider_user, placement=placement)
            elif placement is not None and name == "cancel":
                learning_services.placement_cancel(actor=w.lead_a, placement=placement)
            elif placement is not None and name == "places":
                learning_services.placement_update(actor=w.manager, placement=placement,
                                                   places=size)
            elif placement is not None and name == "delete_placement":
                learning_services.placement_delete(actor=w.manager, placement=placement)
            elif allocation is not None and name == "commit":
                learning_services.allocation_update(actor=w.manager,
                                                    allocation=allocation, status="committed")
            elif allocation is not None and name == "cancel_allocation":
                learning_services.allocation_update(actor=w.manager,
                                                    allocation=allocation, status="cancelled")
            elif allocation is not None and name == "delete_allocation":
                learning_services.allocation_delete(actor=w.manager, allocation=allocation)
        except DomainError:
            pass  # refused (no room, confirmed, committed...): nothing may have changed
        assert_places_and_money_add_up()


# Concurrent deletes on PostgreSQL ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_needs_deleted_while_others_book_and_cancel_leave_the_offer_exact(world):
    """Thirty requests at once on one offer: bookings for two needs, deletes of one of
    them, and cancellations of its placements. Whatever order they run in, none is a
    server error and the offer's places equal what its placements hold."""
    from tests.learning.test_limits import clients_for, run_together

    offer = f.TrainingOfferFactory(provider=world.provider, capacity=40)
    doomed = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    kept = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    early = [learning_services.placement_book(actor=world.lead_a, learning_need=doomed,
                                              training_offer=offer, places=2)
             for _ in range(5)]
    count = 30
    clients = clients_for(world.lead_a, count)

    def work(i):
        client = clients[i]
        if i % 3 == 0:
            answer = client.delete(f"/api/v1/learning-needs/{doomed.pk}/")
        elif i % 3 == 1:
            answer = client.post("/api/v1/placements/", {
                "learning_need": (doomed if i % 2 else kept).pk, "training_offer": offer.pk,
                "places": 1}, format="json")
        else:
            answer = client.patch(f"/api/v1/placements/{early[i % 5].pk}/",
                                  {"status": "cancelled"}, format="json")
        return answer.status_code

    statuses = run_together(count, work)

    assert all(status < 500 for status in statuses), statuses
    assert 204 in statuses  # the need went
    assert not LearningNeed.objects.filter(pk=doomed.pk).exists()
    assert Placement.objects.filter(learning_need=kept).exists()
    assert_places_and_money_add_up()
