"""The delete pages (confirm, then the service's delete), and the pages that change a
placement's places and an allocation's amount and note.

Who sees which link and who may post is asserted for every role by
``test_page_api_parity.py``; these tests check what the pages say: what is kept, the
service's sentence when it refuses, and what changed.
"""

from decimal import Decimal

import pytest
from django.test import Client

from learning import services as learning_services
from learning.models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer
from programmes import services as programme_services
from programmes.models import Assessment, AssessmentCycle, Response

from .. import factories as f

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _body(answer):
    return answer.content.decode()


def _book(w, places=1, **need):
    need = f.LearningNeedFactory(programme=w.programme, partner=w.partner_a, **need)
    offer = f.TrainingOfferFactory(provider=w.provider, capacity=5)
    return learning_services.placement_book(actor=w.manager, learning_need=need,
                                            training_offer=offer, places=places)


def _allocate(w, amount="100.00"):
    stream = f.FundingStreamFactory(programme=w.programme, funder=w.partner_b,
                                    amount=Decimal("500.00"))
    need = f.LearningNeedFactory(programme=w.programme, partner=w.partner_a)
    return learning_services.allocation_create(actor=w.manager, stream=stream,
                                               learning_need=need, amount=Decimal(amount))


# Confirm, then delete ----------------------------------------------------------------


def test_a_lead_deletes_a_learning_need_after_confirming_and_its_places_go_back(world):
    # given a need of partner A with 2 places requested on an offer
    placement = _book(world, places=2, topic="Falls prevention")
    need, offer = placement.learning_need, placement.training_offer
    client = _client(world.lead_a)

    # when partner A's lead opens the need, then the page links to its delete page
    assert f"/learning-needs/{need.pk}/delete/" in _body(client.get(f"/learning-needs/{need.pk}/"))
    # and the delete page asks first and says what happens to its places and money
    page = client.get(f"/learning-needs/{need.pk}/delete/")
    assert page.status_code == 200
    assert "Are you sure you want to delete the learning need “Falls prevention”?" in _body(page)
    assert "go back to their offers" in _body(page)
    assert LearningNeed.objects.filter(pk=need.pk).exists()  # asking changes nothing

    # when the lead confirms
    answer = client.post(f"/learning-needs/{need.pk}/delete/", follow=True)

    # then the need is gone, its places are back on the offer, and the needs list says so
    assert answer.redirect_chain[-1][0] == f"/programmes/{world.programme.pk}/learning-needs/"
    assert "Learning need “Falls prevention” deleted." in _body(answer)
    assert not LearningNeed.objects.filter(pk=need.pk).exists()
    offer.refresh_from_db()
    assert offer.places_booked == 0


def test_a_need_with_confirmed_places_is_kept_and_the_page_says_why(world):
    # given a need whose places the provider has confirmed
    placement = _book(world)
    learning_services.placement_approve(actor=world.manager, placement=placement)
    learning_services.placement_confirm(actor=world.provider_user, placement=placement)
    need = placement.learning_need

    # when the manager confirms deleting it
    answer = _client(world.manager).post(f"/learning-needs/{need.pk}/delete/")

    # then the confirmation page shows the service's sentence and the need stays
    assert answer.status_code == 400
    assert "There is a problem" in _body(answer)
    assert "Places for this need are approved or confirmed: cancel them first" in _body(answer)
    assert LearningNeed.objects.filter(pk=need.pk).exists()


def test_a_provider_deletes_a_draft_offer_but_a_booked_one_has_no_delete_link(world):
    # given a draft offer nobody booked and a published one with a placement
    draft = f.TrainingOfferFactory(provider=world.provider, title="Draft course", status="draft")
    booked = _book(world).training_offer
    client = _client(world.provider_user)

    # when the provider opens their offers, then only the draft offers a delete link
    mine = _body(client.get("/offers/mine/"))
    assert f"/offers/{draft.pk}/delete/" in mine
    assert f"/offers/{booked.pk}/delete/" not in mine

    # and a delete of the booked one, posted anyway, shows the service's sentence
    refused = client.post(f"/offers/{booked.pk}/delete/")
    assert refused.status_code == 400
    assert "This offer has placements: withdraw it instead of deleting it." in _body(refused)
    assert TrainingOffer.objects.filter(pk=booked.pk).exists()

    # when the provider confirms deleting the draft, then it is gone
    answer = client.post(f"/offers/{draft.pk}/delete/")
    assert answer.status_code == 302 and answer["Location"] == "/offers/mine/"
    assert not TrainingOffer.objects.filter(pk=draft.pk).exists()


def test_a_stream_money_was_allocated_from_is_kept(world):
    # given a stream with an allocation and an empty one
    used = _allocate(world).stream
    empty = f.FundingStreamFactory(programme=world.programme, funder=world.partner_b,
                                   name="Spare fund")
    client = _client(world.manager)
    funding = _body(client.get(f"/programmes/{world.programme.pk}/funding/"))

    # then only the empty one is offered for deletion
    assert f"/funding-streams/{empty.pk}/delete/" in funding
    assert f"/funding-streams/{used.pk}/delete/" not in funding

    # when the manager confirms deleting the used one anyway, then it stays, with the reason
    refused = client.post(f"/funding-streams/{used.pk}/delete/")
    assert refused.status_code == 400
    assert "Money from this stream has been allocated" in _body(refused)
    assert FundingStream.objects.filter(pk=used.pk).exists()

    # and the empty one is deleted
    assert client.post(f"/funding-streams/{empty.pk}/delete/").status_code == 302
    assert not FundingStream.objects.filter(pk=empty.pk).exists()


def test_a_planned_allocation_is_removed_and_committed_money_is_kept(world):
    # given a planned allocation of £100.00
    allocation = _allocate(world)
    stream = allocation.stream
    client = _client(world.manager)

    # when the manager opens its delete page, then the amount is shown as money
    page = client.get(f"/funding-allocations/{allocation.pk}/delete/")
    assert "Are you sure you want to remove the allocation of £100.00?" in _body(page)

    # when they confirm, then the allocation is gone and its money is back on the stream
    assert client.post(f"/funding-allocations/{allocation.pk}/delete/").status_code == 302
    assert not FundingAllocation.objects.filter(pk=allocation.pk).exists()
    stream.refresh_from_db()
    assert stream.allocated == Decimal("0.00")

    # given a committed allocation, then it has no remove link and a post is refused
    committed = _allocate(world)
    learning_services.allocation_update(actor=world.manager, allocation=committed,
                                        status="committed")
    funding = _body(client.get(f"/programmes/{world.programme.pk}/funding/"))
    assert f"/funding-allocations/{committed.pk}/delete/" not in funding
    refused = client.post(f"/funding-allocations/{committed.pk}/delete/")
    assert refused.status_code == 400
    assert "This money is committed: cancel the allocation instead" in _body(refused)
    assert FundingAllocation.objects.filter(pk=committed.pk).exists()


def test_a_requested_placement_is_removed_and_a_confirmed_one_is_not_offered(world):
    # given a requested placement of 2 places
    placement = _book(world, places=2)
    need_page = f"/learning-needs/{placement.learning_need_id}/"
    client = _client(world.lead_a)
    assert f"/placements/{placement.pk}/delete/" in _body(client.get(need_page))

    # when the lead confirms removing it, then it is gone and the places are free again
    answer = client.post(f"/placements/{placement.pk}/delete/", follow=True)
    assert answer.redirect_chain[-1][0] == need_page
    assert "2 places on" in _body(answer)
    assert not Placement.objects.filter(pk=placement.pk).exists()
    assert TrainingOffer.objects.get(pk=placement.training_offer_id).places_booked == 0

    # given a confirmed placement, then the need page offers no remove link for it
    confirmed = _book(world)
    learning_services.placement_approve(actor=world.manager, placement=confirmed)
    learning_services.placement_confirm(actor=world.provider_user, placement=confirmed)
    page = _body(client.get(f"/learning-needs/{confirmed.learning_need_id}/"))
    assert f"/placements/{confirmed.pk}/delete/" not in page
    refused = client.post(f"/placements/{confirmed.pk}/delete/")
    assert refused.status_code == 400
    assert "cancel the placement instead of deleting it" in _body(refused)


def test_a_cycle_with_a_submitted_assessment_is_kept_with_the_reason(world):
    # given a cycle with a submitted assessment and an empty one
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    f.answer_the_rest(assessment, rating="met")
    programme_services.assessment_submit(actor=world.manager, assessment=assessment)
    empty = f.CycleFactory(programme=world.programme, name="Spare review")
    client = _client(world.manager)
    url = f"/programmes/{world.programme.pk}/cycles/{world.cycle.pk}/delete/"

    # when the manager confirms deleting the one with a submission
    refused = client.post(url)

    # then it stays, and the page says to close it instead
    assert refused.status_code == 400
    assert "This cycle has 1 submitted assessment" in _body(refused)
    assert "close the cycle instead" in _body(refused)
    assert AssessmentCycle.objects.filter(pk=world.cycle.pk).exists()

    # and the empty one is deleted
    answer = client.post(f"/programmes/{world.programme.pk}/cycles/{empty.pk}/delete/")
    assert answer.status_code == 302
    assert not AssessmentCycle.objects.filter(pk=empty.pk).exists()


def test_a_lead_deletes_a_draft_but_a_submitted_assessment_offers_no_delete(world):
    # given a draft of partner A's in another cycle and the submitted one of the baseline
    draft = f.AssessmentFactory(cycle=f.CycleFactory(programme=world.programme),
                                partner=world.partner_a)
    submitted = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    f.answer_the_rest(submitted, rating="met")
    programme_services.assessment_submit(actor=world.manager, assessment=submitted)
    client = _client(world.lead_a)

    # then the submitted one's page has no delete link, and a post is refused with the reason
    assert f"/assessments/{submitted.pk}/delete/" not in _body(
        client.get(f"/assessments/{submitted.pk}/"))
    refused = client.post(f"/assessments/{submitted.pk}/delete/")
    assert refused.status_code == 400
    assert programme_services.SUBMITTED_KEPT in _body(refused)
    assert Assessment.objects.filter(pk=submitted.pk).exists()

    # when the lead deletes the draft from its page
    assert f"/assessments/{draft.pk}/delete/" in _body(client.get(f"/assessments/{draft.pk}/"))
    answer = client.post(f"/assessments/{draft.pk}/delete/")

    # then it is gone
    assert answer.status_code == 302
    assert not Assessment.objects.filter(pk=draft.pk).exists()


def test_a_lead_clears_one_answer_of_a_draft_on_its_section_page(world):
    # given a draft with an answer to the first question of principle 1
    draft = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    response = f.ResponseFactory(assessment=draft, checklist_item=world.items[0], rating="met")
    client = _client(world.lead_a)
    section = f"/assessments/{draft.pk}/principles/1/"

    # when the lead opens the section, then the answered question offers "Clear this answer"
    page = _body(client.get(section))
    assert f"/responses/{response.pk}/delete/" in page
    assert "Clear this answer" in page
    confirm = client.get(f"/responses/{response.pk}/delete/")
    assert f"Are you sure you want to clear the answer to {world.items[0].code}?" in _body(
        confirm)

    # when they confirm, then the answer is gone and they are back on the section
    answer = client.post(f"/responses/{response.pk}/delete/")
    assert answer.status_code == 302 and answer["Location"] == section
    assert not Response.objects.filter(pk=response.pk).exists()


def test_someone_who_may_not_delete_gets_403_on_the_confirmation_page(world):
    # given a need of partner A, when partner B's lead asks for its delete page or posts
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    client = _client(world.lead_b)

    # then both are refused and the need stays
    assert client.get(f"/learning-needs/{need.pk}/delete/").status_code == 403
    assert client.post(f"/learning-needs/{need.pk}/delete/").status_code == 403
    assert LearningNeed.objects.filter(pk=need.pk).exists()
    # and someone outside the programme does not learn it exists
    assert _client(world.outsider).get(f"/learning-needs/{need.pk}/delete/").status_code == 404


# Changing places and allocations -----------------------------------------------------


def test_the_booking_side_changes_how_many_places_are_requested(world):
    # given 1 place requested on an offer with 5
    placement = _book(world)
    client = _client(world.lead_a)
    url = f"/placements/{placement.pk}/places/"
    assert url in _body(client.get(f"/learning-needs/{placement.learning_need_id}/"))

    # when the lead asks for more places than the session holds
    too_many = client.post(url, {"places": 9})

    # then the form says how many it holds, and nothing changed
    assert too_many.status_code == 400
    assert ("This session has 5 places in all, so 9 places can never be booked on it."
            in _body(too_many))
    assert Placement.objects.get(pk=placement.pk).places == 1

    # when they ask for 3
    answer = client.post(url, {"places": 3})

    # then the placement holds 3 and the offer counts them
    assert answer.status_code == 302
    assert Placement.objects.get(pk=placement.pk).places == 3
    assert TrainingOffer.objects.get(pk=placement.training_offer_id).places_booked == 3


def test_confirmed_places_are_offered_for_their_learners_but_not_their_number(world):
    # given places the provider has confirmed
    placement = _book(world)
    learning_services.placement_approve(actor=world.manager, placement=placement)
    learning_services.placement_confirm(actor=world.provider_user, placement=placement)
    client = _client(world.manager)

    # then the need page offers to change the learners only
    page = _body(client.get(f"/learning-needs/{placement.learning_need_id}/"))
    assert f"/placements/{placement.pk}/places/" in page
    assert "Change learners" in page and "Change places and learners" not in page

    # and a new number of places is refused with the service's sentence
    answer = client.post(f"/placements/{placement.pk}/places/", {"places": 2})
    assert answer.status_code == 400
    assert "cancel them and book again to change the number" in _body(answer)
    assert Placement.objects.get(pk=placement.pk).places == 1

    # while a cancelled placement is not offered at all
    learning_services.placement_cancel(actor=world.manager, placement=placement)
    assert client.get(f"/placements/{placement.pk}/places/").status_code == 403


def test_a_manager_changes_an_allocation_amount_and_note_within_the_stream(world):
    # given £100.00 planned from a stream of £500.00
    allocation = _allocate(world)
    client = _client(world.manager)
    url = f"/funding-allocations/{allocation.pk}/edit/"
    assert url in _body(client.get(f"/programmes/{world.programme.pk}/funding/"))
    form = client.get(url)
    assert form.status_code == 200 and 'value="100.00"' in _body(form)

    # when the manager asks for more than the stream has
    too_much = client.post(url, {"amount": "600.00", "note": ""})

    # then the form says what is free, and nothing changed
    assert too_much.status_code == 400
    assert "Only £400.00 of this stream&#x27;s £500.00 is unallocated" in _body(too_much)
    assert FundingAllocation.objects.get(pk=allocation.pk).amount == Decimal("100.00")

    # when they change it to £150.00 with a note
    answer = client.post(url, {"amount": "150.00", "note": "Two more cohorts"})

    # then the allocation and the stream's total follow
    assert answer.status_code == 302
    allocation.refresh_from_db()
    assert (allocation.amount, allocation.note) == (Decimal("150.00"), "Two more cohorts")
    assert FundingStream.objects.get(pk=allocation.stream_id).allocated == Decimal("150.00")
