"""The REST API for programmes, assessments and gaps, as partners' scripts use it."""

import pytest
from django.contrib.auth import get_user_model

from programmes import services
from programmes.models import Assessment, Gap, Response

from .. import factories as f

pytestmark = pytest.mark.django_db


def draft(world, partner=None, ratings=None, *, complete=False):
    """A draft rating ``{item: rating}``; ``complete`` rates every other item not applicable."""
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=partner or world.partner_a)
    for item, rating in (ratings or {}).items():
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    if complete:
        f.answer_the_rest(assessment)
    return assessment


def test_anonymous_requests_are_refused(client, world):
    assert client.get("/api/v1/programmes/").status_code in (401, 403)


def test_partner_lead_submits_own_assessment_through_the_api(api, world):
    # given a lead's draft answered through the API
    client = api.as_user(world.lead_a)
    created = client.post("/api/v1/assessments/", {
        "cycle": world.cycle.pk, "partner": world.partner_a.pk,
        "participants": "Team managers", "includes_people_supported": True,
    }, format="json")
    assert created.status_code == 201, created.content
    assessment_id = created.json()["id"]
    ratings = ["not_met", "not_met", "not_met", "partly_met", "met"]
    for item, rating in zip(world.items, ratings, strict=True):
        answer = client.post("/api/v1/responses/", {
            "assessment": assessment_id, "checklist_item": item.pk, "rating": rating,
        }, format="json")
        assert answer.status_code == 201, answer.content

    # when they submit it
    submitted = client.post(f"/api/v1/assessments/{assessment_id}/submit/")

    # then four gaps are open and listed with the right severities
    assert submitted.status_code == 200, submitted.content
    body = submitted.json()
    assert body["assessment"]["status"] == "submitted"
    assert len(body["gaps_opened"]) == 4
    gaps = client.get("/api/v1/gaps/", {"programme": world.programme.pk, "status": "open"}).json()
    assert gaps["count"] == 4
    assert sorted(g["severity"] for g in gaps["results"]) == ["high", "high", "high", "medium"]
    high = client.get("/api/v1/gaps/", {"severity": "high", "principle": world.principles[1].pk})
    assert high.json()["count"] == 1


def test_partner_lead_cannot_answer_another_partners_assessment(api, world):
    # given partner B's draft
    assessment = draft(world, partner=world.partner_b)
    client = api.as_user(world.lead_a)

    # when partner A's lead tries to answer, change or submit it
    answer = client.post("/api/v1/responses/", {
        "assessment": assessment.pk, "checklist_item": world.items[0].pk, "rating": "met",
    }, format="json")
    change = client.patch(f"/api/v1/assessments/{assessment.pk}/", {"participants": "x"},
                          format="json")
    submit = client.post(f"/api/v1/assessments/{assessment.pk}/submit/")
    other_cycle = f.CycleFactory(programme=world.programme, name="Review")
    start = client.post("/api/v1/assessments/", {
        "cycle": other_cycle.pk, "partner": world.partner_b.pk}, format="json")

    # then each is refused with 403 and nothing is written
    assert [answer.status_code, change.status_code, submit.status_code] == [403, 403, 403]
    assert start.status_code == 403
    assert not Response.objects.filter(assessment=assessment).exists()
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.participants == ""


@pytest.mark.parametrize("role_user", ["provider_user", "reviewer"])
def test_providers_and_reviewers_cannot_answer_assessments(api, world, role_user):
    assessment = draft(world)
    client = api.as_user(getattr(world, role_user))
    answer = client.post("/api/v1/responses/", {
        "assessment": assessment.pk, "checklist_item": world.items[0].pk, "rating": "met",
    }, format="json")
    assert answer.status_code == 403
    assert client.get(f"/api/v1/assessments/{assessment.pk}/").status_code == 200


def test_outsider_gets_404_on_the_programmes_objects(api, world):
    # given objects of a programme the outsider does not belong to
    assessment = draft(world, ratings={world.items[0]: "not_met"}, complete=True)
    services.assessment_submit(actor=world.manager, assessment=assessment)
    gap = Gap.objects.get()
    client = api.as_user(world.outsider)

    # then each of them is a 404, reads and writes alike, and lists are empty
    urls = [
        f"/api/v1/programmes/{world.programme.pk}/",
        f"/api/v1/cycles/{world.cycle.pk}/",
        f"/api/v1/assessments/{assessment.pk}/",
        f"/api/v1/responses/{assessment.responses.first().pk}/",
        f"/api/v1/gaps/{gap.pk}/",
        f"/api/v1/partners/{world.partner_a.pk}/",
        f"/api/v1/memberships/{world.programme.memberships.first().pk}/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.patch(url, {}, format="json").status_code == 404, url
    for collection in ["programmes", "cycles", "assessments", "responses", "gaps", "memberships"]:
        assert client.get(f"/api/v1/{collection}/").json()["count"] == 0, collection
    closed = client.post(f"/api/v1/gaps/{gap.pk}/close/", {"reason": "x"}, format="json")
    assert closed.status_code == 404


def test_malformed_body_gets_a_message_per_field_and_changes_nothing(api, world):
    client = api.as_user(world.manager)
    before = Assessment.objects.count()

    answer = client.post("/api/v1/assessments/", {
        "cycle": "not-a-number", "partner": 999999, "includes_people_supported": "perhaps",
    }, format="json")

    assert answer.status_code == 400
    body = answer.json()
    assert set(body) >= {"cycle", "partner", "includes_people_supported"}
    assert all(isinstance(body[k], list) and body[k] for k in body)
    assert Assessment.objects.count() == before

    missing = client.post("/api/v1/cycles/", {"name": "Spring"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"programme", "period_start", "period_end"}


def test_changing_a_submitted_assessment_is_a_conflict(api, world):
    # given a submitted assessment
    assessment = draft(world, ratings={world.items[0]: "met"}, complete=True)
    services.assessment_submit(actor=world.manager, assessment=assessment)
    response = assessment.responses.get(checklist_item=world.items[0])
    client = api.as_user(world.lead_a)

    # when its lead tries to change it or its answers
    attempts = [
        client.patch(f"/api/v1/assessments/{assessment.pk}/", {"participants": "late"},
                     format="json"),
        client.patch(f"/api/v1/responses/{response.pk}/", {"rating": "not_met"}, format="json"),
        client.post("/api/v1/responses/", {
            "assessment": assessment.pk, "checklist_item": f.ChecklistItemFactory(
                principle=world.principles[0], order=9).pk, "rating": "met"},
            format="json"),
        client.delete(f"/api/v1/responses/{response.pk}/"),
        client.post(f"/api/v1/assessments/{assessment.pk}/submit/"),
    ]

    # then each is a 409 and the stored answers are unchanged
    assert [a.status_code for a in attempts] == [409] * 5
    assert attempts[0].json()["code"] == "invalid_state"
    response.refresh_from_db()
    assert response.rating == "met"
    assert assessment.responses.count() == len(world.items)


def test_an_answer_to_an_item_of_another_framework_is_refused(api, world):
    assessment = draft(world)
    foreign = f.ChecklistItemFactory()
    answer = api.as_user(world.manager).post("/api/v1/responses/", {
        "assessment": assessment.pk, "checklist_item": foreign.pk, "rating": "met"}, format="json")
    assert answer.status_code == 400
    assert "checklist_item" in answer.json()


def test_submitting_an_empty_assessment_is_refused(api, world):
    assessment = draft(world)
    answer = api.as_user(world.manager).post(f"/api/v1/assessments/{assessment.pk}/submit/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "incomplete"
    assert answer.json()["unanswered"] == [item.code for item in world.items]
    assessment.refresh_from_db()
    assert assessment.status == "draft"


def test_one_assessment_per_partner_per_cycle(api, world):
    draft(world)
    answer = api.as_user(world.manager).post("/api/v1/assessments/", {
        "cycle": world.cycle.pk, "partner": world.partner_a.pk}, format="json")
    assert answer.status_code == 400
    assert Assessment.objects.count() == 1


def test_manager_closes_and_reopens_a_gap_with_a_reason(api, world):
    assessment = draft(world, ratings={world.items[0]: "not_met"}, complete=True)
    services.assessment_submit(actor=world.manager, assessment=assessment)
    gap = Gap.objects.get()
    manager = api.as_user(world.manager)

    no_reason = manager.post(f"/api/v1/gaps/{gap.pk}/close/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()

    closed = manager.post(f"/api/v1/gaps/{gap.pk}/close/", {"reason": "Met by system induction"},
                          format="json")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_reason"] == "closed_by_manager"
    again = manager.post(f"/api/v1/gaps/{gap.pk}/close/", {"reason": "twice"}, format="json")
    assert again.status_code == 409

    reopened = manager.post(f"/api/v1/gaps/{gap.pk}/reopen/", {"reason": "Induction postponed"},
                            format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_partner_lead_changes_own_gaps_only_and_cannot_close_them(api, world):
    a = draft(world, ratings={world.items[0]: "not_met"}, complete=True)
    b = draft(world, partner=world.partner_b, ratings={world.items[0]: "not_met"}, complete=True)
    services.assessment_submit(actor=world.manager, assessment=a)
    services.assessment_submit(actor=world.manager, assessment=b)
    gap_a = Gap.objects.get(partner=world.partner_a)
    gap_b = Gap.objects.get(partner=world.partner_b)
    client = api.as_user(world.lead_a)

    own = client.patch(f"/api/v1/gaps/{gap_a.pk}/", {"description": "Mostly in home care teams"},
                       format="json")
    other = client.patch(f"/api/v1/gaps/{gap_b.pk}/", {"description": "x"}, format="json")
    close = client.post(f"/api/v1/gaps/{gap_a.pk}/close/", {"reason": "done"}, format="json")

    assert own.status_code == 200 and own.json()["version"] == 2
    assert other.status_code == 403
    assert close.status_code == 403
    assert client.get(f"/api/v1/gaps/{gap_b.pk}/").status_code == 200  # sees all gaps


def test_a_stale_gap_version_is_refused(api, world):
    assessment = draft(world, ratings={world.items[0]: "not_met"}, complete=True)
    services.assessment_submit(actor=world.manager, assessment=assessment)
    gap = Gap.objects.get()
    client = api.as_user(world.manager)
    first = client.patch(f"/api/v1/gaps/{gap.pk}/", {"description": "one", "version": 1},
                         format="json")
    stale = client.patch(f"/api/v1/gaps/{gap.pk}/", {"description": "two", "version": 1},
                         format="json")
    assert first.status_code == 200
    assert stale.status_code == 409
    gap.refresh_from_db()
    assert gap.description == "one"


def test_manager_sets_up_programme_members_and_cycles(api, world):
    client = api.as_user(world.manager)
    partner = client.post("/api/v1/partners/", {"name": "Delta Housing", "sector": "housing"},
                          format="json")
    assert partner.status_code == 201
    partner_id = partner.json()["id"]
    programme = client.patch(f"/api/v1/programmes/{world.programme.pk}/", {
        "partners": [world.partner_a.pk, world.partner_b.pk, world.provider.pk, partner_id]},
        format="json")
    assert programme.status_code == 200, programme.content
    user = get_user_model().objects.create(username="newlead")
    member = client.post("/api/v1/memberships/", {
        "programme": world.programme.pk, "user": user.pk, "role": "partner_lead",
        "partner": partner_id}, format="json")
    assert member.status_code == 201, member.content
    cycle = client.post("/api/v1/cycles/", {
        "programme": world.programme.pk, "name": "Spring review",
        "period_start": "2026-04-01", "period_end": "2026-03-01"}, format="json")
    assert cycle.status_code == 400 and "period_end" in cycle.json()

    # a partner lead may see the set-up but not change it
    lead = api.as_user(world.lead_a)
    assert lead.get(f"/api/v1/programmes/{world.programme.pk}/").status_code == 200
    assert lead.patch(f"/api/v1/programmes/{world.programme.pk}/", {"name": "x"},
                      format="json").status_code == 403
    assert lead.post("/api/v1/cycles/", {
        "programme": world.programme.pk, "name": "Mine", "period_start": "2026-04-01",
        "period_end": "2026-05-01"}, format="json").status_code == 403


def test_a_lead_role_without_partner_is_refused(api, world):
    user = get_user_model().objects.create(username="nopartner")
    answer = api.as_user(world.manager).post("/api/v1/memberships/", {
        "programme": world.programme.pk, "user": user.pk, "role": "partner_lead"}, format="json")
    assert answer.status_code == 400
    assert "partner" in answer.json()


def test_schema_and_docs_are_served(client, world):
    client.force_login(world.reviewer)  # to signed-in users only (tests/test_api_docs.py)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/assessments/{id}/submit/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_healthz_reports_database_and_broker(client, db):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["database"] == "ok"
    assert "broker" in body
