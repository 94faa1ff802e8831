"""Assessments people can trust: complete before submit, cycle windows, carry forward,
and gaps that do not vanish under open work."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from notifications.models import Notification
from programmes import progress, services
from programmes.models import Assessment, ChecklistItem, Gap, Membership, Response

from .. import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def rate(assessment, ratings):
    for item, rating in ratings.items():
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)


def figures(programme, partner):
    answer = progress.programme_progress(programme=programme, partner_id=partner.pk)
    answer.pop("as_of")
    return answer


@pytest.fixture
def sfc(db):
    """The Skills for Care framework (46 items), a programme with a partner and its lead,
    an earlier cycle already submitted, and this year's cycle open."""
    call_command("load_framework", verbosity=0)
    items = list(ChecklistItem.objects.filter(principle__framework__slug="skills-for-care-2021")
                 .order_by("principle__number", "order"))
    partner = f.PartnerFactory(name="Northgate Council")
    programme = f.ProgrammeFactory(framework=items[0].principle.framework, partners=[partner])
    manager = f.UserFactory(username="sfc-manager")
    lead = f.UserFactory(username="sfc-lead")
    f.MembershipFactory(programme=programme, user=manager, role=Membership.Role.MANAGER)
    f.MembershipFactory(programme=programme, user=lead, role=Membership.Role.PARTNER_LEAD,
                        partner=partner)
    earlier = f.CycleFactory(programme=programme, name="2025")
    baseline = f.AssessmentFactory(cycle=earlier, partner=partner)
    rate(baseline, {item: ("met" if i % 3 else "partly_met") for i, item in enumerate(items)})
    services.assessment_submit(actor=lead, assessment=baseline)
    cycle = f.CycleFactory(programme=programme, name="2026",
                           period_start=TODAY - datetime.timedelta(days=30),
                           period_end=TODAY + datetime.timedelta(days=30))
    return type("SFC", (), dict(items=items, partner=partner, programme=programme,
                                manager=manager, lead=lead, cycle=cycle, baseline=baseline))


# Complete before submit --------------------------------------------------------------


def test_api_refuses_45_of_46_answered_and_earlier_figures_stay(sfc, api):
    # given this year's draft with 45 of the 46 items answered, all not met
    draft = f.AssessmentFactory(cycle=sfc.cycle, partner=sfc.partner)
    missing = sfc.items[12]
    rate(draft, {item: "not_met" for item in sfc.items if item != missing})
    before = figures(sfc.programme, sfc.partner)
    gaps_before = Gap.objects.count()

    # when the partner lead submits it
    answer = api.as_user(sfc.lead).post(f"/api/v1/assessments/{draft.pk}/submit/")

    # then it is refused with the one missing code, and nothing changed
    assert answer.status_code == 409, answer.content
    body = answer.json()
    assert body["code"] == "incomplete"
    assert body["unanswered"] == [missing.code]
    assert missing.code in body["detail"]
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.submitted_at is None
    assert Gap.objects.count() == gaps_before
    assert figures(sfc.programme, sfc.partner) == before
    assert before["overall"]["assessed"] == 46


def test_not_applicable_is_an_answer(sfc, api):
    draft = f.AssessmentFactory(cycle=sfc.cycle, partner=sfc.partner)
    rate(draft, {item: "not_applicable" for item in sfc.items})
    answer = api.as_user(sfc.lead).post(f"/api/v1/assessments/{draft.pk}/submit/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["assessment"]["late"] is False


# Cycle windows -----------------------------------------------------------------------


def test_drafting_before_the_window_is_allowed_but_submitting_is_refused(world, api):
    # given a cycle that opens next month
    opens = timezone.localdate() + datetime.timedelta(days=31)
    spring = f.CycleFactory(programme=world.programme, name="Spring", period_start=opens,
                            period_end=opens + datetime.timedelta(days=90))
    client = api.as_user(world.lead_a)

    # when the lead starts a draft, answers every item and submits
    created = client.post("/api/v1/assessments/", {"cycle": spring.pk,
                                                   "partner": world.partner_a.pk}, format="json")
    assert created.status_code == 201, created.content
    for item in world.items:
        answer = client.post("/api/v1/responses/", {
            "assessment": created.json()["id"], "checklist_item": item.pk, "rating": "met"},
            format="json")
        assert answer.status_code == 201
    submitted = client.post(f"/api/v1/assessments/{created.json()['id']}/submit/")

    # then the submission is refused until the cycle opens
    assert submitted.status_code == 409
    assert submitted.json()["code"] == "cycle_not_open"
    assert f"{opens:%-d %B %Y}" in submitted.json()["detail"]
    assert Assessment.objects.get(pk=created.json()["id"]).status == "draft"


def test_after_the_managers_close_nothing_starts_changes_or_submits(world, api):
    # given a complete draft of partner A and an answer of partner B
    draft = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    f.answer_the_rest(draft, rating="met")
    other = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_b)
    answer_b = f.ResponseFactory(assessment=other, checklist_item=world.items[0], rating="met")

    # when a partner lead tries to close the cycle, then the manager closes it
    refused = api.as_user(world.lead_a).post(f"/api/v1/cycles/{world.cycle.pk}/close/")
    closed = api.as_user(world.manager).post(f"/api/v1/cycles/{world.cycle.pk}/close/")
    again = api.as_user(world.manager).post(f"/api/v1/cycles/{world.cycle.pk}/close/")

    # then only the manager's close counts
    assert refused.status_code == 403
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    assert closed.json()["is_open"] is False
    assert again.status_code == 409

    # and submitting, changing and starting are each refused with cycle_closed
    client = api.as_user(world.lead_a)
    attempts = [
        client.post(f"/api/v1/assessments/{draft.pk}/submit/"),
        api.as_user(world.lead_b).patch(f"/api/v1/responses/{answer_b.pk}/",
                                        {"rating": "not_met"}, format="json"),
        api.as_user(world.lead_b).post("/api/v1/responses/", {
            "assessment": other.pk, "checklist_item": world.items[1].pk, "rating": "met"},
            format="json"),
        api.as_user(world.manager).post("/api/v1/assessments/", {
            "cycle": world.cycle.pk, "partner": world.provider.pk}, format="json"),
    ]
    assert [a.status_code for a in attempts] == [409] * 4
    assert {a.json()["code"] for a in attempts} == {"cycle_closed"}
    draft.refresh_from_db()
    answer_b.refresh_from_db()
    assert draft.status == "draft" and answer_b.rating == "met"
    assert not Assessment.objects.filter(partner=world.provider).exists()


def test_a_submission_after_period_end_is_accepted_and_marked_late(world, api):
    # given the baseline cycle's period has ended (31 March) and a complete draft
    draft = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    f.answer_the_rest(draft, rating="met")

    # when it is submitted now
    answer = api.as_user(world.lead_a).post(f"/api/v1/assessments/{draft.pk}/submit/")

    # then it is accepted, late
    assert answer.status_code == 200
    assert answer.json()["assessment"]["late"] is True
    assert api.as_user(world.reviewer).get(f"/api/v1/assessments/{draft.pk}/").json()["late"]


def test_a_submission_inside_the_period_is_not_late(world):
    today = timezone.localdate()
    current = f.CycleFactory(programme=world.programme, name="Now",
                             period_start=today - datetime.timedelta(days=10),
                             period_end=today + datetime.timedelta(days=10))
    draft = f.AssessmentFactory(cycle=current, partner=world.partner_a)
    f.answer_the_rest(draft, rating="met")
    result = services.assessment_submit(actor=world.lead_a, assessment=draft)
    assert result.assessment.late is False


# Carry forward -----------------------------------------------------------------------


@pytest.fixture
def last_year(world):
    """Partner A's submitted baseline: every item rated, with evidence and notes."""
    ratings = ["met", "partly_met", "not_met", "not_applicable", "met"]
    baseline = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    for item, rating in zip(world.items, ratings, strict=True):
        f.ResponseFactory(assessment=baseline, checklist_item=item, rating=rating,
                          evidence=f"Evidence for {item.code}", notes=f"Notes on {item.code}")
    services.assessment_submit(actor=world.lead_a, assessment=baseline)
    review = f.CycleFactory(programme=world.programme, name="Review 2026")
    return baseline, review


def test_carry_forward_fills_exactly_the_unanswered_items(world, api, last_year):
    # given a new draft with two items already answered
    baseline, review = last_year
    draft = f.AssessmentFactory(cycle=review, partner=world.partner_a)
    own = {world.items[0]: "not_met", world.items[2]: "met"}
    for item, rating in own.items():
        f.ResponseFactory(assessment=draft, checklist_item=item, rating=rating, evidence="new")

    # when the lead carries forward
    answer = api.as_user(world.lead_a).post(f"/api/v1/assessments/{draft.pk}/carry-forward/")

    # then the three unanswered items are filled from the baseline, the two others untouched
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert sorted(body["carried_forward"]) == sorted(i.code for i in world.items
                                                     if i not in own)
    assert body["source_assessment"] == baseline.pk and body["source_cycle"] == "Baseline"
    previous = {r.checklist_item_id: r for r in baseline.responses.all()}
    for response in draft.responses.all():
        item = response.checklist_item
        if item in own:
            assert (response.rating, response.evidence, response.carried_forward) == (
                own[item], "new", False)
        else:
            old = previous[item.pk]
            assert (response.rating, response.evidence, response.notes) == (
                old.rating, old.evidence, old.notes)
            assert response.carried_forward is True
    assert draft.responses.count() == len(world.items)
    # and running it again finds nothing left to fill
    twice = api.as_user(world.lead_a).post(f"/api/v1/assessments/{draft.pk}/carry-forward/")
    assert twice.status_code == 200 and twice.json()["carried_forward"] == []


def test_changing_a_carried_forward_answer_clears_the_mark(world, api, last_year):
    # given a draft filled from last year
    _, review = last_year
    draft = f.AssessmentFactory(cycle=review, partner=world.partner_a)
    services.assessment_carry_forward(actor=world.lead_a, assessment=draft)
    first, second = draft.responses.order_by("checklist_item__code")[:2]
    client = api.as_user(world.lead_a)

    # when the lead changes one answer and saves the other unchanged
    changed = client.patch(f"/api/v1/responses/{first.pk}/", {"rating": "not_met"},
                           format="json")
    same = client.patch(f"/api/v1/responses/{second.pk}/", {"rating": second.rating},
                        format="json")

    # then only the changed one stops being carried forward
    assert changed.status_code == 200 and changed.json()["carried_forward"] is False
    assert same.status_code == 200 and same.json()["carried_forward"] is True
    assert draft.responses.filter(carried_forward=True).count() == len(world.items) - 1


def test_carry_forward_needs_an_earlier_submission_and_an_answerer(world, api):
    draft = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    none = api.as_user(world.lead_a).post(f"/api/v1/assessments/{draft.pk}/carry-forward/")
    other = api.as_user(world.lead_b).post(f"/api/v1/assessments/{draft.pk}/carry-forward/")
    assert none.status_code == 409 and "no earlier submitted" in none.json()["detail"]
    assert other.status_code == 403
    assert not draft.responses.exists()


def test_previous_rating_on_every_response_in_a_fixed_number_of_queries(world, api, last_year):
    # given a draft with one item answered, and a second partner with no history
    baseline, review = last_year
    draft = f.AssessmentFactory(cycle=review, partner=world.partner_a)
    f.ResponseFactory(assessment=draft, checklist_item=world.items[1], rating="met")
    client = api.as_user(world.manager)

    def listed():
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/api/v1/responses/", {"assessment": draft.pk})
        assert answer.status_code == 200
        return answer.json()["results"], len(queries)

    # when the list is read with one answer, and again with five
    one, queries_one = listed()
    f.answer_the_rest(draft, rating="partly_met")
    five, queries_five = listed()

    # then each response shows the baseline's rating of its item, in the same queries
    assert [r["previous_rating"] for r in one] == ["partly_met"]
    by_item = {r.checklist_item_id: r.rating for r in baseline.responses.all()}
    assert {r["checklist_item"]: r["previous_rating"] for r in five} == by_item
    assert queries_five == queries_one
    # the baseline's own answers had no earlier submission
    old = client.get("/api/v1/responses/", {"assessment": baseline.pk}).json()["results"]
    assert {r["previous_rating"] for r in old} == {None}
    single = client.get(f"/api/v1/responses/{five[0]['id']}/").json()
    assert single["previous_rating"] == by_item[single["checklist_item"]]


# Gaps with open work ------------------------------------------------------------------


@pytest.fixture
def open_gap(world):
    """Partner A's baseline rated item 1 not met: its gap is open."""
    baseline = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    rate(baseline, {world.items[0]: "not_met"})
    f.answer_the_rest(baseline, rating="met")
    services.assessment_submit(actor=world.lead_a, assessment=baseline)
    return Gap.objects.get(checklist_item=world.items[0], partner=world.partner_a)


def resubmit(world, rating, name="Review"):
    cycle = f.CycleFactory(programme=world.programme, name=name)
    review = f.AssessmentFactory(cycle=cycle, partner=world.partner_a)
    rate(review, {world.items[0]: rating})
    f.answer_the_rest(review, rating="met")
    return services.assessment_submit(actor=world.lead_a, assessment=review)


def test_met_with_an_open_action_proposes_closure_and_tells_owner_and_managers(world, open_gap):
    # given an open action owned by partner A's other lead, and a second manager
    second_manager = f.UserFactory(username="manager2")
    f.MembershipFactory(programme=world.programme, user=second_manager, role="manager")
    second_lead = f.UserFactory(username="lead_a2")
    f.MembershipFactory(programme=world.programme, user=second_lead, role="partner_lead",
                        partner=world.partner_a)
    action = f.ActionFactory(programme=world.programme, gap=open_gap, owner=second_lead,
                             status="in_progress")
    done = f.ActionFactory(programme=world.programme, gap=open_gap, owner=world.lead_b,
                           status="done", completed_at=timezone.now())
    Notification.objects.all().delete()

    # when the next assessment rates the item met
    result = resubmit(world, "met")

    # then the gap's closure is proposed, not made, and it still counts as open
    open_gap.refresh_from_db()
    assert open_gap.status == "closure_proposed" and open_gap.closed_at is None
    assert [g.pk for g in result.proposed] == [open_gap.pk] and result.closed == []
    figures = progress.programme_progress(programme=world.programme)
    assert figures["principles"][0]["gaps_open"] == 1
    # and the owner and each manager get one notification each (not the done action's
    # owner, nor the lead who submitted)
    f.deliver_events()
    sent = Notification.objects.filter(kind="gap_closure_proposed", subject_id=open_gap.pk)
    assert sorted(n.recipient.username for n in sent) == ["lead_a2", "manager", "manager2"]
    assert "1 open action" in sent[0].message
    action.refresh_from_db()
    done.refresh_from_db()
    assert action.status == "in_progress" and done.status == "done"


def test_placements_or_funding_alone_are_open_work(world, open_gap):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 gap=open_gap)
    f.PlacementFactory(learning_need=need, places=12, status="requested")
    result = resubmit(world, "met")
    assert [g.pk for g in result.proposed] == [open_gap.pk]
    f.deliver_events()
    assert "12 places booked" in Notification.objects.get(
        recipient=world.manager, kind="gap_closure_proposed").message


def test_manager_closes_a_proposed_gap_cancelling_its_action(world, open_gap, api):
    # given a proposed closure with one open action
    action = f.ActionFactory(programme=world.programme, gap=open_gap, owner=world.lead_a)
    resubmit(world, "met")
    client = api.as_user(world.manager)

    # when the manager closes it without saying what becomes of the action, then with cancelled
    unsaid = client.post(f"/api/v1/gaps/{open_gap.pk}/close/", {}, format="json")
    by_lead = api.as_user(world.lead_a).post(f"/api/v1/gaps/{open_gap.pk}/close/",
                                             {"actions": "cancelled"}, format="json")
    closed = api.as_user(world.manager).post(f"/api/v1/gaps/{open_gap.pk}/close/",
                                             {"actions": "cancelled"}, format="json")

    # then the first two are refused, the third closes the gap and cancels the action
    assert unsaid.status_code == 400 and "actions" in unsaid.json()
    assert by_lead.status_code == 403
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_reason"] == "reassessed_met"
    action.refresh_from_db()
    assert action.status == "cancelled"
    assert action.history.first().history_user == world.manager


def test_manager_decides_each_action_of_a_proposed_gap(world, open_gap, api):
    first = f.ActionFactory(programme=world.programme, gap=open_gap)
    second = f.ActionFactory(programme=world.programme, gap=open_gap)
    resubmit(world, "met")
    client = api.as_user(world.manager)
    partial = client.post(f"/api/v1/gaps/{open_gap.pk}/close/",
                          {"actions": {str(first.pk): "done"}}, format="json")
    assert partial.status_code == 400
    closed = client.post(f"/api/v1/gaps/{open_gap.pk}/close/",
                         {"actions": {str(first.pk): "done", str(second.pk): "kept"}},
                         format="json")
    assert closed.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "done" and first.completed_at is not None
    assert second.status == "not_started"


def test_keep_open_then_not_met_again(world, open_gap, api):
    # given a proposed closure
    f.ActionFactory(programme=world.programme, gap=open_gap)
    resubmit(world, "met")

    # when the manager keeps it open
    kept = api.as_user(world.manager).post(f"/api/v1/gaps/{open_gap.pk}/keep-open/",
                                           {"reason": "Training not yet delivered"},
                                           format="json")
    twice = api.as_user(world.manager).post(f"/api/v1/gaps/{open_gap.pk}/keep-open/", {},
                                            format="json")

    # then it is open again, and the same gap is kept by a later not met rating
    assert kept.status_code == 200 and kept.json()["status"] == "open"
    assert twice.status_code == 409
    resubmit(world, "met", name="Autumn")
    assert Gap.objects.get(pk=open_gap.pk).status == "closure_proposed"
    result = resubmit(world, "not_met", name="Winter")
    assert [g.pk for g in result.kept] == [open_gap.pk]
    open_gap.refresh_from_db()
    assert open_gap.status == "open" and open_gap.severity == "high"
    assert Gap.objects.filter(checklist_item=world.items[0]).count() == 1


def test_no_open_work_closes_at_once(world, open_gap):
    f.ActionFactory(programme=world.programme, gap=open_gap, status="done",
                    completed_at=timezone.now())
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 gap=open_gap)
    f.PlacementFactory(learning_need=need, places=3, status="cancelled")
    result = resubmit(world, "met")
    open_gap.refresh_from_db()
    assert open_gap.status == "closed" and open_gap.closed_reason == "reassessed_met"
    assert [g.pk for g in result.closed] == [open_gap.pk]
    assert not Notification.objects.filter(kind="gap_closure_proposed").exists()


def test_one_open_gap_per_item_holds_with_a_proposed_closure(world, open_gap):
    from django.db import IntegrityError, transaction

    f.ActionFactory(programme=world.programme, gap=open_gap)
    resubmit(world, "met")
    with pytest.raises(IntegrityError), transaction.atomic():
        Gap.objects.create(programme=world.programme, partner=world.partner_a,
                           checklist_item=world.items[0], principle=world.principles[0],
                           severity="high", opened_at=timezone.now())
    assert Action.objects.filter(gap=open_gap).count() == 1
    assert Response.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_close_waits_for_a_change_under_way_and_refuses_the_next():
    import threading

    from django.db import transaction

    from core.errors import CycleClosed

    # given a draft whose answer a partner lead is changing right now (its row locked)
    framework = f.FrameworkFactory()
    item = f.ChecklistItemFactory(principle=f.PrincipleFactory(framework=framework, number=1))
    partner = f.PartnerFactory()
    programme = f.ProgrammeFactory(framework=framework, partners=[partner])
    manager = f.UserFactory(is_staff=True)
    cycle = f.CycleFactory(programme=programme)
    draft = f.AssessmentFactory(cycle=cycle, partner=partner)
    response = f.ResponseFactory(assessment=draft, checklist_item=item, rating="met")
    locked, closed = threading.Event(), []

    def close():
        try:
            locked.wait()
            closed.append(services.cycle_close(actor=manager, cycle=cycle).closed_at)
        finally:
            connection.close()

    closer = threading.Thread(target=close)
    closer.start()
    # when the manager closes the cycle while that change is under way
    with transaction.atomic():
        services.response_update(actor=manager, response=response, rating="not_met")
        locked.set()
        closer.join(timeout=1)
        assert closer.is_alive()  # the close waits for the change to commit
    closer.join(timeout=10)

    # then the change under way is kept, the close went through, and the next is refused
    assert closed and closed[0] is not None
    response.refresh_from_db()
    assert response.rating == "not_met"
    with pytest.raises(CycleClosed):
        services.response_update(actor=manager, response=response, rating="met")
