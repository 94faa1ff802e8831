"""Providers see demand: "Needs we could meet" (API and page), and proposing an offer to a
need (``learning.services.offer_propose``)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from learning.models import OfferProposal
from notifications.models import Notification

from .. import factories as f

pytestmark = pytest.mark.django_db


def _url(world):
    return f"/api/v1/training-offers/demand/?provider={world.provider.pk}"


def test_providers_see_the_open_needs_their_offers_could_meet(api, world, demand):
    answer = api.as_user(world.provider_user).get(_url(world))

    assert answer.status_code == 200
    rows = answer.json()
    assert [r["need"]["id"] for r in rows] == [demand["need"].pk]
    row = rows[0]
    assert row["rank"] == 1 and row["score"] == row["offers"][0]["score"]
    assert row["partner"] == {"id": world.partner_a.pk, "name": "Alpha Council"}
    assert row["programme"]["id"] == world.programme.pk
    assert row["need"]["workers_count"] == 12
    assert [o["offer"]["id"] for o in row["offers"]] == [demand["offer"].pk]
    assert row["offers"][0]["reasons"][:2] == [
        "Its title matches the topic “dementia awareness”", "Meant for home care workers"]


@pytest.mark.parametrize(("who", "status"), [
    ("manager", 200), ("staff", 200), ("lead_a", 403), ("reviewer", 403), ("outsider", 404)])
def test_who_sees_the_demand(api, world, demand, who, status):
    answer = api.as_user(getattr(world, who)).get(_url(world))

    assert answer.status_code == status
    if status == 403:
        assert answer.json()["detail"] == (
            "Only the provider's own people and the programme's managers can see the needs "
            "its offers could meet.")


def test_demand_needs_a_provider(api, world):
    answer = api.as_user(world.provider_user).get("/api/v1/training-offers/demand/")

    assert answer.status_code == 400
    assert "provider" in answer.json()


def test_demand_reads_the_same_queries_for_many_needs(api, world, demand):
    client = api.as_user(world.provider_user)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(_url(world)).json()) == 1
    for n in range(20):
        f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                              topic=f"Dementia awareness {n}", staff_group="Carers")
        f.TrainingOfferFactory(provider=world.provider, title=f"Dementia care {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(_url(world)).json()) == 21
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def _propose(api, user, need, offer, message="We run this in March."):
    return api.as_user(user).post(f"/api/v1/learning-needs/{need.pk}/proposals/",
                                  {"offer": offer.pk, "message": message}, format="json")


def test_a_provider_proposes_an_offer_and_the_partner_leads_are_told(api, world, demand):
    need, offer = demand["need"], demand["offer"]

    answer = _propose(api, world.provider_user, need, offer)

    assert answer.status_code == 201
    assert answer.json()["offer"] == offer.pk and answer.json()["provider_name"] == "Gamma College"
    proposal = OfferProposal.objects.get()
    assert (proposal.learning_need, proposal.proposed_by) == (need, world.provider_user)
    f.deliver_events()
    note = Notification.objects.get(kind="offer_proposed")
    assert note.recipient == world.lead_a
    assert (note.subject_type, note.subject_id) == ("learning_need", need.pk)
    assert note.message == ("Gamma College proposes “Dementia awareness and person-centred "
                            "care” for your learning need “Dementia awareness”.")
    assert note.link == reverse("web:learning-need", args=[need.pk])
    listed = api.as_user(world.lead_a).get(f"/api/v1/learning-needs/{need.pk}/proposals/")
    assert [p["message"] for p in listed.json()] == ["We run this in March."]


def test_an_offer_is_proposed_once_for_a_need(api, world, demand):
    _propose(api, world.provider_user, demand["need"], demand["offer"])

    again = _propose(api, world.provider_user, demand["need"], demand["offer"])

    assert again.status_code == 409
    assert again.json()["detail"] == "You have already proposed this offer for this need."
    assert OfferProposal.objects.count() == 1


def test_only_the_providers_people_propose(api, world, demand):
    answer = _propose(api, world.lead_a, demand["need"], demand["offer"])

    assert answer.status_code == 403
    assert answer.json()["detail"] == "Only the provider's own people can propose its offers."
    assert not OfferProposal.objects.exists() and not Notification.objects.exists()


def test_a_draft_offer_or_a_met_need_cannot_be_proposed(api, world, demand):
    draft = f.TrainingOfferFactory(provider=world.provider, status="draft")
    met = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                status="met")

    assert _propose(api, world.provider_user, demand["need"], draft).status_code == 409
    assert _propose(api, world.provider_user, met, demand["offer"]).status_code == 409
    assert not OfferProposal.objects.exists()


def test_a_need_of_another_programme_cannot_be_proposed_to(api, world, demand):
    other = f.LearningNeedFactory(topic="Dementia awareness")

    assert _propose(api, world.provider_user, other, demand["offer"]).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_proposals_of_one_offer_make_one(world):
    from .test_limits import clients_for, run_together

    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 topic="Dementia awareness")
    offer = f.TrainingOfferFactory(provider=world.provider, title="Dementia awareness")
    clients = clients_for(world.provider_user, 10)

    def propose(i):
        return clients[i].post(f"/api/v1/learning-needs/{need.pk}/proposals/",
                               {"offer": offer.pk}, format="json").status_code

    statuses = sorted(run_together(10, propose))

    assert statuses == [201] + [409] * 9
    assert OfferProposal.objects.count() == 1
    f.deliver_events()
    assert Notification.objects.filter(kind="offer_proposed").count() == 1
