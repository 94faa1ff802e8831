"""Working off a gap through the API: actions, needs, placements, funding, progress."""

import datetime

import pytest
from django.utils import timezone

from actions.models import Action
from programmes import services as programme_services
from programmes.models import Gap

from .. import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def gap(world):
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    f.ResponseFactory(assessment=assessment, checklist_item=world.items[2], rating="not_met")
    f.answer_the_rest(assessment)
    programme_services.assessment_submit(actor=world.manager, assessment=assessment)
    return Gap.objects.get()


def progress_row(client, world, number=2, **params):
    body = client.get(f"/api/v1/programmes/{world.programme.pk}/progress/", params).json()
    return next(p for p in body["principles"] if p["number"] == number), body["overall"]


def test_manager_links_a_gap_to_actions_needs_placements_and_funding(api, world, gap):
    client = api.as_user(world.manager)
    # two actions owned by people at two partners
    first = client.post("/api/v1/actions/", {
        "programme": world.programme.pk, "gap": gap.pk, "title": "Map the stakeholders",
        "owner": world.lead_a.pk, "due_date": "2027-01-31"}, format="json")
    second = client.post("/api/v1/actions/", {
        "programme": world.programme.pk, "gap": gap.pk, "title": "Run a joint workshop",
        "owner": world.lead_b.pk, "owner_partner": world.partner_b.pk, "due_date": "2027-02-28",
        "priority": "high"}, format="json")
    assert first.status_code == 201, first.content
    assert second.status_code == 201, second.content
    assert first.json()["owner_partner"] == world.partner_a.pk  # taken from the owner's membership
    assert first["ETag"] == '"1"'

    # a learning need with a placement on a provider's published offer
    need = client.post("/api/v1/learning-needs/", {
        "programme": world.programme.pk, "partner": world.partner_a.pk, "gap": gap.pk,
        "staff_group": "Social workers", "topic": "Strengths-based practice",
        "workers_count": 6, "needed_by": "2027-03-31"}, format="json")
    assert need.status_code == 201, need.content
    assert need.json()["principle"] == gap.principle_id
    offer = f.TrainingOfferFactory(provider=world.provider, title="Strengths-based practice",
                                   principles=[gap.principle], capacity=12)
    placement = client.post("/api/v1/placements/", {
        "learning_need": need.json()["id"], "training_offer": offer.pk, "places": 6}, format="json")
    assert placement.status_code == 201, placement.content
    offer.refresh_from_db()
    assert offer.places_booked == 6

    # and funding
    stream = client.post("/api/v1/funding-streams/", {
        "programme": world.programme.pk, "name": "Workforce development fund",
        "funder": world.partner_b.pk, "amount": "5000.00"}, format="json")
    assert stream.status_code == 201, stream.content
    allocation = client.post("/api/v1/funding-allocations/", {
        "stream": stream.json()["id"], "learning_need": need.json()["id"], "amount": "720.00"},
        format="json")
    assert allocation.status_code == 201, allocation.content

    # then the gap's page of links lists them all
    links = client.get(f"/api/v1/gaps/{gap.pk}/links/")
    assert links.status_code == 200, links.content
    body = links.json()
    assert body["gap"]["id"] == gap.pk
    assert sorted((a["title"], a["owner_partner"]) for a in body["actions"]) == [
        ("Map the stakeholders", world.partner_a.pk), ("Run a joint workshop", world.partner_b.pk)]
    assert [n["id"] for n in body["learning_needs"]] == [need.json()["id"]]
    assert [(p["training_offer"], p["places"]) for p in body["placements"]] == [(offer.pk, 6)]
    assert [a["amount"] for a in body["funding_allocations"]] == ["720.00"]
    assert client.get("/api/v1/actions/", {"gap": gap.pk}).json()["count"] == 2
    assert client.get("/api/v1/learning-needs/", {"gap": gap.pk}).json()["count"] == 1
    # and progress for its principle shows them
    row, overall = progress_row(client, world)
    assert (row["gaps_open"], row["actions"], row["actions_done"]) == (1, 2, 0)
    assert (row["learning_needs"], row["funding_allocated"]) == (1, "720.00")
    assert overall["funding_allocated"] == "720.00"

    # when an action is marked done, the next read moves actions_done
    done = client.patch(f"/api/v1/actions/{first.json()['id']}/", {"status": "done"}, format="json")
    assert done.status_code == 200 and done.json()["completed_at"]
    row, _ = progress_row(client, world)
    assert row["actions_done"] == 1


def test_gap_links_are_hidden_from_outsiders_and_read_in_fixed_queries(
        api, world, gap, django_assert_max_num_queries):
    # given a gap with one action, need, placement and allocation
    def add_work():
        action = f.ActionFactory(programme=world.programme, gap=gap, owner=world.lead_a)
        need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a, gap=gap)
        f.PlacementFactory(learning_need=need, training_offer=f.TrainingOfferFactory(
            provider=world.provider), places=1)
        return action

    add_work()
    url = f"/api/v1/gaps/{gap.pk}/links/"

    # then an outsider gets 404
    assert api.as_user(world.outsider).get(url).status_code == 404
    # and the manager's read costs the same with ten times the work
    client = api.as_user(world.manager)
    with django_assert_max_num_queries(12) as few:
        assert len(client.get(url).json()["actions"]) == 1
    for _ in range(9):
        add_work()
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).json()
    assert (len(body["actions"]), len(body["learning_needs"]), len(body["placements"])) == (
        10, 10, 10)


def test_overdue_filter_returns_open_actions_due_before_today_in_london(api, world):
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    late = f.ActionFactory(programme=world.programme, due_date=yesterday)
    f.ActionFactory(programme=world.programme, due_date=today)
    f.ActionFactory(programme=world.programme, due_date=yesterday, status="done",
                    completed_at=timezone.now())
    f.ActionFactory(programme=world.programme, due_date=yesterday, status="cancelled")
    f.ActionFactory(programme=world.programme, due_date=None)
    blocked = f.ActionFactory(programme=world.programme, due_date=yesterday, status="blocked")

    body = api.as_user(world.reviewer).get("/api/v1/actions/", {"overdue": "true"}).json()

    assert sorted(a["id"] for a in body["results"]) == sorted([late.pk, blocked.pk])
    assert all(a["overdue"] for a in body["results"])


def test_a_stale_write_is_refused_and_changes_nothing(api, world):
    action = f.ActionFactory(programme=world.programme, title="Original", owner=world.lead_a,
                             owner_partner=world.partner_a)
    client = api.as_user(world.lead_a)
    read = client.get(f"/api/v1/actions/{action.pk}/")
    etag = read["ETag"]

    first = client.patch(f"/api/v1/actions/{action.pk}/", {"title": "First"},
                         format="json", HTTP_IF_MATCH=etag)
    stale_etag = client.patch(f"/api/v1/actions/{action.pk}/", {"title": "Second"},
                              format="json", HTTP_IF_MATCH=etag)
    stale_version = client.patch(f"/api/v1/actions/{action.pk}/", {"title": "Third", "version": 1},
                                 format="json")

    assert first.status_code == 200 and first["ETag"] == '"2"'
    assert stale_etag.status_code == 412
    assert stale_version.status_code == 409
    action.refresh_from_db()
    assert (action.title, action.version) == ("First", 2)


def test_history_lists_every_change_with_its_author(api, world):
    client = api.as_user(world.manager)
    created = client.post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "Agree a shared vision",
        "owner": world.lead_a.pk}, format="json").json()
    client.patch(f"/api/v1/actions/{created['id']}/", {"status": "in_progress"}, format="json")
    api.as_user(world.lead_a).patch(f"/api/v1/actions/{created['id']}/",
                                    {"status": "done"}, format="json")

    history = api.as_user(world.manager).get(f"/api/v1/actions/{created['id']}/history/")

    assert history.status_code == 200
    entries = history.json()
    assert [e["type"] for e in entries] == ["created", "changed", "changed"]
    assert [e["username"] for e in entries] == ["manager", "manager", "lead_a"]
    status_changes = [c for e in entries[1:] for c in e["changes"] if c["field"] == "status"]
    assert [(c["old"], c["new"]) for c in status_changes] == [
        ("not_started", "in_progress"), ("in_progress", "done")]
    assert api.as_user(world.lead_a).get(
        f"/api/v1/actions/{created['id']}/history/").status_code == 403


def test_partner_lead_changes_own_actions_only(api, world):
    mine = f.ActionFactory(programme=world.programme, owner_partner=world.partner_a)
    theirs = f.ActionFactory(programme=world.programme, owner_partner=world.partner_b)
    client = api.as_user(world.lead_a)
    assert client.patch(f"/api/v1/actions/{mine.pk}/", {"status": "in_progress"},
                        format="json").status_code == 200
    assert client.patch(f"/api/v1/actions/{theirs.pk}/", {"status": "in_progress"},
                        format="json").status_code == 403
    handover = client.patch(f"/api/v1/actions/{mine.pk}/", {"owner_partner": world.partner_b.pk},
                            format="json")
    assert handover.status_code == 403
    assert Action.objects.get(pk=mine.pk).owner_partner == world.partner_a


def test_matching_offers_ranks_published_offers_with_reasons(api, world, gap):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a, gap=gap,
                                 principle=gap.principle, topic="Strengths-based practice",
                                 staff_group="Social workers", workers_count=5,
                                 needed_by=datetime.date(2027, 3, 31))
    best = f.TrainingOfferFactory(provider=world.provider, title="Strengths-based practice",
                                  staff_groups="Social workers", principles=[gap.principle],
                                  start_date=datetime.date(2027, 2, 1))
    partial = f.TrainingOfferFactory(provider=world.provider, title="Practice supervision",
                                     start_date=datetime.date(2027, 2, 1))
    f.TrainingOfferFactory(provider=world.provider, title="Strengths-based practice",
                           principles=[gap.principle], status="draft")
    # after the need's date: still listed, below the one in time
    late = f.TrainingOfferFactory(provider=world.provider, title="Strengths-based practice",
                                  principles=[gap.principle], start_date=datetime.date(2027, 6, 1))
    f.TrainingOfferFactory(provider=world.provider, title="Moving and handling")

    answer = api.as_user(world.lead_a).get(f"/api/v1/learning-needs/{need.pk}/matching-offers/")

    assert answer.status_code == 200
    ranked = answer.json()
    assert [m["offer"]["id"] for m in ranked] == [best.pk, late.pk, partial.pk]
    assert ranked[0]["rank"] == 1 and ranked[0]["score"] > ranked[1]["score"]
    assert ranked[0]["reasons"][:3] == [
        "Its title matches the topic “strengths-based practice”", "Meant for social workers",
        "It works on the need's principle"]
    assert "Its next session starts on 1 June 2027, after the need's date" in ranked[1]["reasons"]
