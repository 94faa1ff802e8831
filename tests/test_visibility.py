"""Rows reachable by two paths are seen once: a partner in two programmes, a provider's
offer seen as published, as the provider's own and as a manager's, people who belong to
both programmes. Every collection answers 2xx or 4xx for them, never a 500."""

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.api.urls import router as actions_router
from actions.models import Action, ActionNote
from learning.api.urls import router as learning_router
from learning.models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer
from programmes import access
from programmes.api.urls import router as programmes_router
from programmes.models import (
    Assessment,
    AssessmentCycle,
    Champion,
    Contribution,
    Evidence,
    Gap,
    Membership,
    Partner,
    Programme,
    ProgressSnapshot,
    Response,
)

from . import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role
SCOPED = [
    Programme, Membership, AssessmentCycle, Assessment, Response, Gap, ProgressSnapshot,
    Action, ActionNote, LearningNeed, Placement, FundingStream, FundingAllocation,
    Contribution, Champion, Evidence,
]
ENDPOINTS = [
    prefix
    for router in (programmes_router, actions_router, learning_router)
    for prefix, _viewset, _basename in router.registry
]


@dataclass
class Shared:
    """Two programmes sharing Alpha Council and Gamma College, with the same people in
    both, and one of every scoped row in each programme."""

    world: object
    other: Programme
    rows: dict  # model -> [row in world.programme, row in other]
    offer: TrainingOffer
    draft_offer: TrainingOffer
    loose_partner: Partner  # in the directory, in no programme yet


def _programme_rows(programme, *, partner, provider, lead, item, offer, manager):
    cycle = f.CycleFactory(programme=programme, name=f"Cycle of {programme.name}")
    assessment = f.AssessmentFactory(cycle=cycle, partner=partner)
    response = f.ResponseFactory(assessment=assessment, checklist_item=item, rating="not_met")
    contribution = Contribution.objects.create(
        assessment=assessment, checklist_item=item, contributor=lead, perspective="staff",
        rating="met")
    evidence = Evidence.objects.create(response=response, title="Handbook",
                                       url="https://example.org/handbook")
    champion = Champion.objects.create(programme=programme, partner=partner,
                                       principle=item.principle, name="Robin Shaw")
    gap = Gap.objects.create(
        programme=programme, partner=partner, checklist_item=item, principle=item.principle,
        severity="high", opened_at=timezone.now(),
    )
    action = f.ActionFactory(programme=programme, gap=gap, owner=lead, owner_partner=partner)
    note = ActionNote.objects.create(action=action, author=manager, text="Started")
    need = f.LearningNeedFactory(programme=programme, partner=partner, gap=gap)
    placement = f.PlacementFactory(learning_need=need, training_offer=offer, places=1)
    stream = f.FundingStreamFactory(programme=programme, funder=partner)
    allocation = f.FundingAllocationFactory(stream=stream, learning_need=need)
    snapshot = ProgressSnapshot.objects.create(
        programme=programme, partner=partner, date=datetime.date(2026, 6, 1),
        scope=f"{partner.pk}:overall", figures={"items": 1},
    )
    return {
        Programme: programme,
        Membership: Membership.objects.get(programme=programme, user=lead),
        AssessmentCycle: cycle, Assessment: assessment, Response: response, Gap: gap,
        ProgressSnapshot: snapshot, Action: action, ActionNote: note, LearningNeed: need,
        Placement: placement, FundingStream: stream, FundingAllocation: allocation,
        Contribution: contribution, Champion: champion, Evidence: evidence,
    }


@pytest.fixture
def shared(world) -> Shared:
    other = f.ProgrammeFactory(
        name="Second programme", framework=world.framework,
        partners=[world.partner_a, world.provider],
    )
    for user, role, partner in [
        (world.manager, Role.MANAGER, None),
        (world.lead_a, Role.PARTNER_LEAD, world.partner_a),
        (world.provider_user, Role.LEARNING_PROVIDER, world.provider),
        (world.reviewer, Role.REVIEWER, None),
    ]:
        f.MembershipFactory(programme=other, user=user, role=role, partner=partner)
    offer = f.TrainingOfferFactory(provider=world.provider, title="Shared course")
    draft_offer = f.TrainingOfferFactory(provider=world.provider, title="Draft", status="draft")
    common = dict(partner=world.partner_a, provider=world.provider, lead=world.lead_a,
                  item=world.items[0], offer=offer, manager=world.manager)
    first = _programme_rows(world.programme, **common)
    second = _programme_rows(other, **common)
    rows = {model: [first[model], second[model]] for model in SCOPED}
    loose = f.PartnerFactory(name="Delta Care")
    return Shared(world, other, rows, offer, draft_offer, loose)


def _people(world):
    return {
        "manager": world.manager, "lead_a": world.lead_a, "lead_b": world.lead_b,
        "provider": world.provider_user, "reviewer": world.reviewer,
        "outsider": world.outsider, "staff": world.staff,
    }


def _assert_each_row_once(queryset):
    ids = list(queryset.values_list("pk", flat=True))
    assert len(ids) == len(set(ids)), f"rows repeated: {sorted(ids)}"
    assert queryset.count() == len(set(ids))
    return set(ids)


# The querysets -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "lead_a", "lead_b", "provider", "reviewer",
                                 "outsider", "staff"])
def test_partners_in_two_programmes_are_seen_once(shared, who):
    # given Alpha Council and Gamma College in both programmes, Beta Trust in one,
    # and Delta Care in none
    world = shared.world
    user = _people(world)[who]

    # when the user's partners are read
    seen = _assert_each_row_once(Partner.objects.visible_to(user))

    # then each is there once, and .get() finds each of them
    expected = {
        "outsider": {shared.loose_partner.pk},
    }.get(who, {world.partner_a.pk, world.partner_b.pk, world.provider.pk,
                shared.loose_partner.pk})
    assert seen == expected
    for pk in seen:
        assert Partner.objects.visible_to(user).get(pk=pk).pk == pk


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
@pytest.mark.parametrize("who", ["manager", "lead_a", "provider", "reviewer", "lead_b",
                                 "outsider"])
def test_rows_seen_with_the_memberships_read_are_the_rows_seen_without(shared, model, who):
    # given the lead of Beta Trust, whose membership of the second programme has ended
    world = shared.world
    ended = f.MembershipFactory(programme=shared.other, user=world.lead_b,
                                role=Role.PARTNER_LEAD, partner=world.partner_a)
    ended.ended_at = timezone.now()
    ended.save(update_fields=["ended_at"])
    user = get_user_model().objects.get(pk=_people(world)[who].pk)

    # when the rows are read before the request has read the user's memberships (a
    # subquery) and after (the programme ids themselves)
    before = set(model.objects.visible_to(user).values_list("pk", flat=True))
    access.memberships_of(user)
    with CaptureQueriesContext(connection) as queries:
        after = set(model.objects.visible_to(user).values_list("pk", flat=True))

    # then they are the same rows, read without asking for the memberships again
    assert after == before
    assert all("programmes_membership" not in q["sql"] or model is Membership
               for q in queries.captured_queries)


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
@pytest.mark.parametrize("who", ["manager", "lead_a", "provider", "reviewer", "lead_b"])
def test_rows_of_both_programmes_are_seen_once(shared, model, who):
    # given a row of ``model`` in each programme, both about the shared partner, and a
    # user in both programmes (Beta Trust's lead is in the first only)
    user = _people(shared.world)[who]
    programme_ids = set(Membership.objects.filter(user=user).values_list("programme_id", flat=True))
    expected = {row.pk for row in model.objects.all() if _programme_of(row) in programme_ids}

    # when the user's rows are read
    seen = _assert_each_row_once(model.objects.visible_to(user))

    # then every row of their programmes is there, each once, and .get() finds each
    assert seen == expected
    shared_rows = {row.pk for row in shared.rows[model]}
    assert len(seen & shared_rows) == (1 if who == "lead_b" else 2)
    for pk in seen:
        assert model.objects.visible_to(user).get(pk=pk).pk == pk


def _programme_of(row):
    from programmes.api.base import programme_id_of

    return programme_id_of(row)


def _all_pks(model):
    return set(model.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("who", ["manager", "lead_a", "lead_b", "provider", "reviewer",
                                 "outsider", "staff"])
def test_offers_seen_by_several_paths_are_seen_once(shared, who):
    # given a published offer and a draft of a provider in both programmes: the
    # provider's own people, and managers of both programmes, see the draft by two
    # paths each (and the published offer by three)
    user = _people(shared.world)[who]

    # when the user's offers are read
    seen = _assert_each_row_once(TrainingOffer.objects.visible_to(user))

    # then each offer is there once
    if who in ("manager", "provider", "staff"):
        assert seen == {shared.offer.pk, shared.draft_offer.pk}
    else:
        assert seen == {shared.offer.pk}
    for pk in seen:
        TrainingOffer.objects.visible_to(user).get(pk=pk)


def test_a_draft_of_a_provider_outside_the_managers_programmes_stays_hidden(shared):
    stranger = f.TrainingOfferFactory(status="draft")
    assert not TrainingOffer.objects.visible_to(shared.world.manager).filter(
        pk=stranger.pk).exists()
    assert not TrainingOffer.objects.visible_to(shared.world.lead_a).filter(
        pk=shared.draft_offer.pk).exists()


@pytest.mark.parametrize("model", [*SCOPED, Partner, TrainingOffer], ids=lambda m: m.__name__)
def test_visibility_is_one_query_that_joins_nothing_to_the_rows(shared, model):
    # given a user in two programmes
    user = shared.world.manager

    # when their rows are read
    with CaptureQueriesContext(connection) as context:
        list(model.objects.visible_to(user))

    # then it is one query, filtered by subqueries, with no join in the outer query
    # (ordering by a related name may join a row's own foreign key, never a list)
    assert len(context.captured_queries) == 1
    sql = context.captured_queries[0]["sql"].upper()
    assert " IN (SELECT" in sql
    outer = sql.split(" WHERE ")[0]
    for table in ("PROGRAMMES_MEMBERSHIP", "PROGRAMMES_PROGRAMME_PARTNERS"):
        assert f'JOIN "{table}"' not in outer, sql


# The API -----------------------------------------------------------------------------


def _detail_urls(shared):
    world = shared.world
    urls = {
        "partners": [world.partner_a, world.provider, shared.loose_partner],
        "training-offers": [shared.offer, shared.draft_offer],
        "training-sessions": [*shared.offer.sessions.all(), *shared.draft_offer.sessions.all()],
        "programmes": shared.rows[Programme],
        "memberships": shared.rows[Membership],
        "cycles": shared.rows[AssessmentCycle],
        "assessments": shared.rows[Assessment],
        "responses": shared.rows[Response],
        "contributions": shared.rows[Contribution],
        "champions": shared.rows[Champion],
        "evidence": shared.rows[Evidence],
        "gaps": shared.rows[Gap],
        "actions": shared.rows[Action],
        "action-notes": shared.rows[ActionNote],
        "learning-needs": shared.rows[LearningNeed],
        "placements": shared.rows[Placement],
        "funding-streams": shared.rows[FundingStream],
        "funding-allocations": shared.rows[FundingAllocation],
    }
    return {prefix: [f"/api/v1/{prefix}/{row.pk}/" for row in rows]
            for prefix, rows in urls.items()}


def test_every_collection_with_shared_rows_is_covered(shared):
    scoped = {p for p in ENDPOINTS if p not in ("frameworks", "principles", "checklist-items")}
    assert scoped == set(_detail_urls(shared))


@pytest.mark.parametrize("who", ["manager", "lead_a", "lead_b", "provider", "reviewer",
                                 "outsider"])
@pytest.mark.parametrize("prefix", ENDPOINTS)
def test_lists_details_and_edits_never_fail_on_shared_rows(api, shared, prefix, who):
    # given rows reachable by two paths
    client = api.as_user(_people(shared.world)[who])

    # when the user lists the collection
    listing = client.get(f"/api/v1/{prefix}/", {"page_size": 100})

    # then it answers, each row once, and the count is the number of distinct rows
    assert listing.status_code == 200, listing.content
    body = listing.json()
    ids = [row["id"] for row in body["results"]]
    assert len(ids) == len(set(ids))
    assert body["count"] == len(ids)

    # and each shared row's page answers 200 or 404, and a PATCH 2xx or 4xx
    for url in _detail_urls(shared).get(prefix, []):
        detail = client.get(url)
        assert detail.status_code in (200, 404), (url, detail.content)
        edit = client.patch(url, {}, format="json")
        assert edit.status_code < 500, (url, edit.content)
        assert edit.status_code in (200, 400, 403, 404, 405, 409), (url, edit.content)
        if detail.status_code == 404:
            assert edit.status_code in (404, 405)


def test_a_manager_of_both_programmes_reads_and_changes_the_shared_partner(api, shared):
    # given a manager of both programmes that share Alpha Council
    client = api.as_user(shared.world.manager)
    url = f"/api/v1/partners/{shared.world.partner_a.pk}/"

    # when they read and change it
    read = client.get(url)
    changed = client.patch(url, {"contact_email": "team@alpha.example.org"}, format="json")

    # then both work
    assert read.status_code == 200, read.content
    assert read.json()["name"] == "Alpha Council"
    assert changed.status_code == 200, changed.content
    shared.world.partner_a.refresh_from_db()
    assert shared.world.partner_a.contact_email == "team@alpha.example.org"


def test_a_partner_lead_may_read_but_not_change_the_shared_partner(api, shared):
    client = api.as_user(shared.world.lead_a)
    url = f"/api/v1/partners/{shared.world.partner_a.pk}/"
    assert client.get(url).status_code == 200
    assert client.patch(url, {"name": "Renamed"}, format="json").status_code == 403
    shared.world.partner_a.refresh_from_db()
    assert shared.world.partner_a.name == "Alpha Council"


def test_creates_that_name_the_shared_partner_work(api, shared):
    # given a manager of both programmes that share Alpha Council and Gamma College
    world = shared.world
    manager = api.as_user(world.manager)
    programme, partner = shared.other.pk, world.partner_a.pk
    newcomer = f.UserFactory(username="newcomer")
    item = world.items[1]

    # when they create rows that name the shared partner
    created = {
        "cycle": manager.post("/api/v1/cycles/", {
            "programme": programme, "name": "Autumn", "period_start": "2026-09-01",
            "period_end": "2026-11-30"}, format="json"),
        "membership": manager.post("/api/v1/memberships/", {
            "programme": programme, "user": newcomer.pk, "role": "partner_lead",
            "partner": partner}, format="json"),
        "gap": manager.post("/api/v1/gaps/", {
            "programme": programme, "partner": partner, "checklist_item": item.pk,
            "severity": "medium"}, format="json"),
        "action": manager.post("/api/v1/actions/", {
            "programme": programme, "title": "Joint induction", "owner": world.lead_a.pk,
            "owner_partner": partner, "due_date": "2026-12-01"}, format="json"),
        "need": manager.post("/api/v1/learning-needs/", {
            "programme": programme, "partner": partner, "staff_group": "Carers",
            "topic": "Moving and handling", "workers_count": 3}, format="json"),
        "stream": manager.post("/api/v1/funding-streams/", {
            "programme": programme, "name": "Joint fund", "funder": partner,
            "amount": "5000.00"}, format="json"),
    }
    cycle = created["cycle"].json().get("id")
    created["assessment"] = manager.post("/api/v1/assessments/", {
        "cycle": cycle, "partner": partner}, format="json")
    created["offer"] = api.as_user(world.provider_user).post("/api/v1/training-offers/", {
        "provider": world.provider.pk, "title": "Shared workshop", "format": "workshop",
        "capacity": 10}, format="json")
    need = created["need"].json().get("id")
    created["placement"] = api.as_user(world.lead_a).post("/api/v1/placements/", {
        "learning_need": need, "training_offer": shared.offer.pk, "places": 2}, format="json")
    created["allocation"] = api.as_user(world.manager).post("/api/v1/funding-allocations/", {
        "stream": created["stream"].json().get("id"), "learning_need": need,
        "amount": "250.00"}, format="json")

    # then every one is created
    failed = {name: (r.status_code, r.content) for name, r in created.items()
              if r.status_code != 201}
    assert not failed


@pytest.mark.parametrize("target", ["world", "other"])
def test_every_edit_of_a_programmes_partners_works_with_a_shared_partner(api, shared, target):
    # given a manager of both programmes, which share Alpha Council and Gamma College
    world = shared.world
    client = api.as_user(world.manager)
    programme = world.programme if target == "world" else shared.other
    url = f"/api/v1/programmes/{programme.pk}/"
    current = sorted(programme.partners.values_list("pk", flat=True))

    def partners_after(body, method="patch"):
        answer = getattr(client, method)(url, body, format="json")
        assert answer.status_code < 500, answer.content
        return answer

    # when the list is sent back unchanged, grown by a directory partner, and shrunk again
    same = partners_after({"partners": current})
    grown = partners_after({"partners": [*current, shared.loose_partner.pk]})
    shrunk = partners_after({"partners": current})
    whole = partners_after({
        "name": programme.name, "framework": world.framework.pk, "partners": current,
    }, method="put")

    # then each is saved
    for answer in (same, grown, shrunk, whole):
        assert answer.status_code == 200, answer.content
    assert sorted(grown.json()["partners"]) == sorted([*current, shared.loose_partner.pk])
    assert sorted(programme.partners.values_list("pk", flat=True)) == current


def test_removing_a_shared_partner_with_members_is_refused_and_without_is_saved(api, shared):
    # given Alpha Council in both programmes, with a partner lead in each
    world = shared.world
    client = api.as_user(world.manager)
    url = f"/api/v1/programmes/{shared.other.pk}/"

    # when the manager takes Alpha Council out of the second programme
    refused = client.patch(url, {"partners": [world.provider.pk]}, format="json")

    # then that is refused while its lead is a member, and works once the lead has left
    assert refused.status_code in (400, 409), refused.content
    Membership.objects.filter(programme=shared.other, partner=world.partner_a).delete()
    saved = client.patch(url, {"partners": [world.provider.pk, world.partner_b.pk]},
                         format="json")
    assert saved.status_code < 500, saved.content


def test_adding_a_partner_of_another_programme_the_manager_cannot_see_is_a_400(api, shared):
    # given a partner only in a programme the manager does not belong to
    stranger = f.PartnerFactory(name="Epsilon Hospice")
    f.ProgrammeFactory(name="Elsewhere", framework=shared.world.framework, partners=[stranger])
    client = api.as_user(shared.world.manager)

    # when they add it to their programme
    answer = client.patch(f"/api/v1/programmes/{shared.other.pk}/",
                          {"partners": [shared.world.partner_a.pk, stranger.pk]}, format="json")

    # then it reads as a partner that does not exist
    assert answer.status_code == 400
    assert "partners" in answer.json()


def test_the_start_assessment_page_for_a_shared_partner_answers(client, shared):
    # given the lead of a partner in two programmes on the web pages
    world = shared.world
    client.force_login(world.lead_a)
    cycle = f.CycleFactory(programme=shared.other, name="Spring")

    # when they start their partner's assessment on the page
    page = client.post(
        f"/programmes/{shared.other.pk}/cycles/{cycle.pk}/partners/{world.partner_a.pk}/start/")

    # then it is made, and they are taken to it
    assessment = Assessment.objects.get(cycle=cycle, partner=world.partner_a)
    assert page.status_code == 302
    assert page["Location"] == f"/assessments/{assessment.pk}/"


def test_a_partner_import_naming_a_shared_partner_adds_it(api, shared):
    # given a third programme managed by the manager, and a file naming Alpha Council
    world = shared.world
    third = f.ProgrammeFactory(name="Third", framework=world.framework)
    f.MembershipFactory(programme=third, user=world.manager, role=Role.MANAGER)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "partners.csv", b"Name,Sector\nAlpha Council,local_authority\n", content_type="text/csv")

    # when they import it
    answer = api.as_user(world.manager).post(
        "/api/v1/partners/import/", {"file": upload, "programme": third.pk}, format="multipart")

    # then the partner joins the third programme
    assert answer.status_code == 201, answer.content
    assert list(third.partners.values_list("pk", flat=True)) == [world.partner_a.pk]


def test_staff_see_every_row_once(shared):
    staff = shared.world.staff
    for model in (*SCOPED, Partner, TrainingOffer):
        assert _assert_each_row_once(model.objects.visible_to(staff)) == _all_pks(model)


def test_anonymous_users_see_nothing(shared):
    from django.contrib.auth.models import AnonymousUser

    for model in (*SCOPED, Partner, TrainingOffer):
        assert not model.objects.visible_to(AnonymousUser()).exists()


def test_a_user_never_in_a_programme_sees_only_the_directory_partners_in_none(shared):
    loner = get_user_model().objects.create_user("loner", password="x-long-pass")
    assert _assert_each_row_once(Partner.objects.visible_to(loner)) == {shared.loose_partner.pk}
    assert _assert_each_row_once(TrainingOffer.objects.visible_to(loner)) == {shared.offer.pk}
    for model in SCOPED:
        assert not model.objects.visible_to(loner).exists()



def test_a_manager_of_one_programme_edits_a_partner_list_shared_with_another(api, shared):
    # given a manager of the second programme only; Alpha Council is also in the first
    world = shared.world
    solo = f.UserFactory(username="solo-manager")
    f.MembershipFactory(programme=shared.other, user=solo, role=Role.MANAGER)
    client = api.as_user(solo)
    url = f"/api/v1/programmes/{shared.other.pk}/"

    # when they send the list back, add a directory partner, and read the shared partner
    same = client.patch(url, {"partners": [world.partner_a.pk, world.provider.pk]},
                        format="json")
    grown = client.patch(url, {"partners": [world.partner_a.pk, world.provider.pk,
                                            shared.loose_partner.pk]}, format="json")
    partner = client.get(f"/api/v1/partners/{world.partner_a.pk}/")
    hidden = client.get(f"/api/v1/partners/{world.partner_b.pk}/")

    # then all work, and a partner of the first programme only stays out of sight
    assert same.status_code == 200, same.content
    assert grown.status_code == 200, grown.content
    assert partner.status_code == 200
    assert hidden.status_code == 404
