"""Submitting an assessment opens, keeps and closes gaps."""

import threading

import pytest
from django.db import connection

from core.errors import InvalidTransition
from programmes import services
from programmes.models import Assessment, Gap

from .. import factories as f


def answer(assessment, ratings):
    """Rate ``{item: rating}`` and every other item not applicable (so it can be submitted)."""
    for item, rating in ratings.items():
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    f.answer_the_rest(assessment)


def test_submission_opens_a_gap_per_unmet_item_with_its_severity(world):
    # given three items not met, one partly met and one met
    items = world.items
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    answer(assessment, {items[0]: "not_met", items[1]: "not_met", items[2]: "not_met",
                        items[3]: "partly_met", items[4]: "met"})

    # when the partner submits
    result = services.assessment_submit(actor=world.lead_a, assessment=assessment)

    # then exactly four gaps are open, with the right severities
    gaps = Gap.objects.filter(programme=world.programme, partner=world.partner_a)
    assert len(result.opened) == 4
    assert gaps.filter(status="open").count() == 4
    severities = {g.checklist_item_id: g.severity for g in gaps}
    assert severities == {items[0].pk: "high", items[1].pk: "high", items[2].pk: "high",
                          items[3].pk: "medium"}
    assert all(g.principle_id == g.checklist_item.principle_id for g in gaps)
    assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.submitted_at is not None
    assert assessment.submitted_by == world.lead_a


def test_next_cycle_keeps_unmet_gaps_and_closes_met_ones(world):
    # given gaps opened in the baseline cycle
    items = world.items
    first = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    answer(first, {items[0]: "not_met", items[1]: "partly_met", items[2]: "not_met"})
    services.assessment_submit(actor=world.manager, assessment=first)
    opened = {g.checklist_item_id: g for g in Gap.objects.all()}

    # when the next cycle rates one met, one still partly met (now not met), one N/A
    review = f.CycleFactory(programme=world.programme, name="Review")
    second = f.AssessmentFactory(cycle=review, partner=world.partner_a)
    answer(second, {items[0]: "met", items[1]: "not_met", items[2]: "not_applicable"})
    result = services.assessment_submit(actor=world.manager, assessment=second)

    # then the met gap is closed as reassessed_met, the other is kept with the new severity
    closed = Gap.objects.get(pk=opened[items[0].pk].pk)
    assert closed.status == "closed" and closed.closed_reason == "reassessed_met"
    assert closed.closed_at is not None
    kept = Gap.objects.get(pk=opened[items[1].pk].pk)
    assert kept.status == "open" and kept.severity == "high"
    assert kept.opened_by_assessment == first and kept.last_assessment == second
    na = Gap.objects.get(pk=opened[items[2].pk].pk)
    assert na.closed_reason == "reassessed_not_applicable"
    assert [g.pk for g in result.kept] == [kept.pk]
    assert Gap.objects.count() == 3  # nothing new was opened


def test_a_submitted_assessment_cannot_change(world):
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    answer(assessment, {world.items[0]: "met"})
    services.assessment_submit(actor=world.manager, assessment=assessment)
    response = assessment.responses.get(checklist_item=world.items[0])

    with pytest.raises(InvalidTransition):
        services.assessment_submit(actor=world.manager, assessment=assessment)
    with pytest.raises(InvalidTransition):
        services.response_update(actor=world.manager, response=response, rating="not_met")
    with pytest.raises(InvalidTransition):
        services.response_create(actor=world.manager, assessment=assessment,
                                 checklist_item=world.items[1], rating="met")
    response.refresh_from_db()
    assert response.rating == "met"


def test_a_gap_closed_by_hand_can_be_reopened_unless_another_is_open(world):
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    answer(assessment, {world.items[0]: "not_met"})
    services.assessment_submit(actor=world.manager, assessment=assessment)
    gap = Gap.objects.get()

    gap = services.gap_close(actor=world.manager, gap=gap,
                             note="Covered by the system-wide induction")
    assert (gap.status, gap.closed_reason) == ("closed", "closed_by_manager")

    gap = services.gap_reopen(actor=world.manager, gap=gap, note="Induction postponed")
    assert gap.status == "open" and gap.closed_reason == "" and gap.closed_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_leave_two_open_gaps_for_one_item():
    # given one partner with two drafts in two cycles, both rating the same items not met
    framework = f.FrameworkFactory()
    principle = f.PrincipleFactory(framework=framework, number=1)
    items = [f.ChecklistItemFactory(principle=principle, order=i) for i in range(1, 6)]
    partner = f.PartnerFactory()
    programme = f.ProgrammeFactory(framework=framework, partners=[partner])
    user = f.UserFactory(is_staff=True)
    drafts = []
    for n in range(6):
        cycle = f.CycleFactory(programme=programme, name=f"Cycle {n}")
        assessment = f.AssessmentFactory(cycle=cycle, partner=partner)
        answer(assessment, {item: "not_met" for item in items})
        drafts.append(assessment)

    # when all are submitted at the same moment from separate connections
    barrier = threading.Barrier(len(drafts))
    errors = []

    def submit(assessment):
        try:
            barrier.wait()
            services.assessment_submit(actor=user, assessment=assessment)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(a,)) for a in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then every submission went through and each item has exactly one open gap
    assert errors == []
    assert Assessment.objects.filter(status="submitted").count() == len(drafts)
    for item in items:
        assert Gap.objects.filter(partner=partner, checklist_item=item, status="open").count() == 1
