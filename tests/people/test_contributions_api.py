"""Several voices on one assessment, through the API: contributors and contributions."""

import pytest

from programmes.models import Response
from tests import factories as f

pytestmark = pytest.mark.django_db


def _draft(world):
    return f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)


def _ask(api, world, assessment, user, perspective, items=None):
    answer = api.as_user(world.lead_a).post("/api/v1/contributors/", {
        "assessment": assessment.pk, "user": user.pk, "perspective": perspective,
        "checklist_items": [i.pk for i in (items or [])]}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_three_voices_split_and_the_lead_agrees_a_rating_with_a_note(api, world):
    assessment = _draft(world)
    item = world.items[0]
    voices = [f.UserFactory(username=n) for n in ("sam", "pat", "kim")]
    for user, perspective in zip(voices, ("staff", "person_supported", "carer"), strict=True):
        asked = _ask(api, world, assessment, user, perspective, [item])
        assert asked["status"] == "asked" and asked["items"][0]["code"] == item.code
    for user, rating in zip(voices, ("met", "partly_met", "not_met"), strict=True):
        answer = api.as_user(user).post("/api/v1/contributions/", {
            "assessment": assessment.pk, "checklist_item": item.pk, "rating": rating,
            "comment": "From where I stand"}, format="json")
        assert answer.status_code == 201, answer.content
    assert answer.json()["perspective"] == "carer"

    f.answer_the_rest(assessment, "met")
    response = Response.objects.get(assessment=assessment, checklist_item=item)
    lead = api.as_user(world.lead_a)
    shown = lead.get(f"/api/v1/responses/{response.pk}/").json()
    assert shown["contributions"] == {"met": 1, "partly_met": 1, "not_met": 1,
                                      "not_applicable": 0}
    assert shown["agreement"] == "split"
    listed = lead.get("/api/v1/responses/", {"assessment": assessment.pk}).json()["results"]
    assert {r["id"]: r["agreement"] for r in listed}[response.pk] == "split"

    refused = lead.post(f"/api/v1/assessments/{assessment.pk}/submit/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "consensus_needed"
    assert refused.json()["items"] == [item.code]

    note = "We agreed partly met: the people we support see it best."
    changed = lead.patch(f"/api/v1/responses/{response.pk}/",
                         {"rating": "partly_met", "consensus_note": note}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["consensus_note"] == note
    submitted = lead.post(f"/api/v1/assessments/{assessment.pk}/submit/")
    assert submitted.status_code == 200, submitted.content

    history = api.as_user(world.manager).get(f"/api/v1/responses/{response.pk}/history/")
    assert history.status_code == 200
    kept = response.history.order_by("history_date").last()
    assert (kept.rating, kept.consensus_note) == ("partly_met", note)

    late = api.as_user(voices[0]).post("/api/v1/contributions/", {
        "assessment": assessment.pk, "checklist_item": item.pk, "rating": "not_met"},
        format="json")
    assert late.status_code == 409
    assert "submitted" in late.json()["detail"]


def test_a_contributor_sees_only_their_own_rows_and_rates_only_what_they_are_asked(
        api, world):
    assessment = _draft(world)
    person, other = f.UserFactory(username="person"), f.UserFactory(username="carer")
    mine = _ask(api, world, assessment, person, "person_supported", [world.items[0]])
    theirs = _ask(api, world, assessment, other, "carer", [world.items[0]])
    client = api.as_user(person)
    listed = client.get("/api/v1/contributors/").json()["results"]
    assert [c["id"] for c in listed] == [mine["id"]]
    assert client.get(f"/api/v1/contributors/{theirs['id']}/").status_code == 404

    first = client.post("/api/v1/contributions/", {
        "assessment": assessment.pk, "checklist_item": world.items[0].pk, "rating": "met"},
        format="json")
    assert first.status_code == 201
    again = client.post("/api/v1/contributions/", {
        "assessment": assessment.pk, "checklist_item": world.items[0].pk,
        "rating": "partly_met"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    api.as_user(other).post("/api/v1/contributions/", {
        "assessment": assessment.pk, "checklist_item": world.items[0].pk, "rating": "met"},
        format="json")
    client = api.as_user(person)
    assert [c["id"] for c in client.get("/api/v1/contributions/").json()["results"]] == [
        first.json()["id"]]
    assert len(api.as_user(world.lead_a).get("/api/v1/contributions/").json()["results"]) == 2

    client = api.as_user(person)
    not_asked = client.post("/api/v1/contributions/", {
        "assessment": assessment.pk, "checklist_item": world.items[1].pk, "rating": "met"},
        format="json")
    assert not_asked.status_code == 403
    assert client.get("/api/v1/responses/").json()["results"] == []

    outsider = api.as_user(world.outsider)
    assert outsider.get(f"/api/v1/contributors/{mine['id']}/").status_code == 404
    assert outsider.get(f"/api/v1/contributions/{first.json()['id']}/").status_code == 404
    lead_changes = api.as_user(world.lead_a).patch(
        f"/api/v1/contributions/{first.json()['id']}/", {"rating": "not_met"}, format="json")
    assert lead_changes.status_code == 403


def test_who_may_ask_and_what_a_bad_perspective_says(api, world):
    assessment = _draft(world)
    person = f.UserFactory(username="person")
    body = {"assessment": assessment.pk, "user": person.pk, "perspective": "carer"}
    assert api.as_user(world.reviewer).post(
        "/api/v1/contributors/", body, format="json").status_code == 403
    assert api.as_user(world.lead_b).post(
        "/api/v1/contributors/", body, format="json").status_code == 403
    bad = api.as_user(world.lead_a).post("/api/v1/contributors/",
                                         {**body, "perspective": "cat"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["perspective"] == [
        "Choose whose point of view this person gives: member of staff, manager, person "
        "who draws on care, carer, partner organisation or other."]


def test_asking_by_email_invites_and_the_lead_can_resend_or_withdraw(
        api, world, django_capture_on_commit_callbacks):
    assessment = _draft(world)
    lead = api.as_user(world.lead_a)
    with django_capture_on_commit_callbacks(execute=True):
        asked = lead.post("/api/v1/contributors/", {
            "assessment": assessment.pk, "email": "carer@example.org",
            "perspective": "carer"}, format="json")
    assert asked.status_code == 201, asked.content
    assert asked.json()["status"] == "invited"
    assert asked.json()["invitation_status"] == "pending"
    invitations = api.as_user(world.lead_a).get("/api/v1/invitations/").json()["results"]
    assert [(i["kind"], i["role"], i["contributor"]) for i in invitations] == [
        ("contribution", "", asked.json()["id"])]
    managers = api.as_user(world.manager).get("/api/v1/invitations/").json()["results"]
    assert [i["kind"] for i in managers] == ["contribution"]
    assert api.as_user(world.lead_b).get("/api/v1/invitations/").json()["results"] == []
    pk = invitations[0]["id"]
    lead = api.as_user(world.lead_a)
    assert lead.post(f"/api/v1/invitations/{pk}/resend/").status_code == 200
    revoked = lead.post(f"/api/v1/invitations/{pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"

    removed = lead.delete(f"/api/v1/contributors/{asked.json()['id']}/")
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
