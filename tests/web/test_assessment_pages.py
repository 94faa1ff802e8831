"""The pages of trustworthy assessments: the check page, cycle windows, carry forward,
rating guidance and a manager's decision on a proposed gap closure."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from programmes import services
from programmes.models import Assessment, Gap

from .. import factories as f
from ..programmes.test_trustworthy_assessments import figures, rate, sfc  # noqa: F401

pytestmark = pytest.mark.django_db


def test_web_refuses_45_of_46_with_links_to_the_missing_answer(sfc, as_user):  # noqa: F811
    # given this year's draft with 45 of 46 answered
    draft = f.AssessmentFactory(cycle=sfc.cycle, partner=sfc.partner)
    missing = sfc.items[20]
    rate(draft, {item: "not_met" for item in sfc.items if item != missing})
    before = figures(sfc.programme, sfc.partner)
    client = as_user(sfc.lead)
    check = reverse("web:assessment-submit", args=[draft.pk])
    link = (reverse("web:assessment-section", args=[draft.pk, missing.principle.number])
            + f"#item-{missing.pk}")

    # when the lead opens the check page
    page = client.get(check).content.decode()

    # then it lists the missing question with a link to answer it, every answer with a
    # "Change" link, and no submit button
    assert "Questions still to answer" in page and f'href="{link}"' in page
    assert len(re.findall(r">Change<span", page)) == 45
    assert "Submit the assessment" not in page

    # and a submission posted all the same is refused with the one code
    answer = client.post(check)
    html = answer.content.decode()
    assert answer.status_code == 409
    assert 'data-code="incomplete"' in html and f"Answer {missing.code}" in html
    assert f'href="{link}"' in html
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert figures(sfc.programme, sfc.partner) == before

    # and the question's page has the anchor the link points to
    section = client.get(link.split("#")[0]).content.decode()
    assert f'id="item-{missing.pk}"' in section


def test_cycles_page_shows_the_open_cycle_and_offers_start_only_there(world, as_user):
    # given the baseline (open, its period over) and a cycle that opens next month
    opens = timezone.localdate() + datetime.timedelta(days=31)
    spring = f.CycleFactory(programme=world.programme, name="Spring", period_start=opens,
                            period_end=opens + datetime.timedelta(days=60))
    client = as_user(world.lead_a)

    # when partner A's lead reads the cycles page
    html = client.get(reverse("web:cycles", args=[world.programme.pk])).content.decode()

    # then Baseline is open now, Spring is not open yet, and only Baseline offers Start
    assert "Open now: <strong>Baseline</strong>" in html
    assert "Not open yet" in html
    start_baseline = reverse("web:assessment-start",
                             args=[world.programme.pk, world.cycle.pk, world.partner_a.pk])
    start_spring = reverse("web:assessment-start",
                           args=[world.programme.pk, spring.pk, world.partner_a.pk])
    assert start_baseline in html and start_spring not in html
    # and a start posted for Spring is refused
    client.post(start_spring)
    assert not Assessment.objects.filter(cycle=spring).exists()


def test_manager_closes_a_cycle_from_a_confirmation_page(world, as_user):
    draft = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    close = reverse("web:cycle-close", args=[world.programme.pk, world.cycle.pk])
    cycles = reverse("web:cycles", args=[world.programme.pk])

    # a partner lead may not; the manager sees the link, then the confirmation page
    assert as_user(world.lead_a).get(close).status_code == 403
    manager = as_user(world.manager)
    assert close in manager.get(cycles).content.decode()
    confirm = manager.get(close).content.decode()
    assert "Close Baseline?" in confirm and "Alpha Council" in confirm  # the draft left
    world.cycle.refresh_from_db()
    assert world.cycle.closed_at is None

    # when the manager confirms
    answer = manager.post(close)

    # then the cycle is closed and the lead can no longer change the draft
    assert answer.status_code == 302
    world.cycle.refresh_from_db()
    assert world.cycle.closed_at is not None
    section = reverse("web:assessment-section", args=[draft.pk, 1])
    as_user(world.lead_a).post(section, {f"item-{world.items[0].pk}-rating": "met"})
    assert not draft.responses.exists()
    assert "was closed on" in as_user(world.lead_a).get(
        reverse("web:assessment", args=[draft.pk])).content.decode()


def test_carry_forward_button_previous_ratings_and_guidance(world, as_user):
    # given partner A's submitted baseline and a new draft in the review cycle
    baseline = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    rate(baseline, {world.items[0]: "partly_met"})
    f.answer_the_rest(baseline, rating="met")
    services.assessment_submit(actor=world.lead_a, assessment=baseline)
    review = f.CycleFactory(programme=world.programme, name="Review")
    draft = f.AssessmentFactory(cycle=review, partner=world.partner_a)
    client = as_user(world.lead_a)
    page = reverse("web:assessment", args=[draft.pk])

    # when the lead presses "Start from your answers of Baseline"
    html = client.get(page).content.decode()
    assert "Start from your answers of Baseline" in html
    answer = client.post(reverse("web:assessment-carry-forward", args=[draft.pk]))

    # then every item is filled, and each question shows last time's rating and the mark
    assert answer.status_code == 302
    assert draft.responses.filter(carried_forward=True).count() == len(world.items)
    section = client.get(reverse("web:assessment-section", args=[draft.pk, 1])).content.decode()
    assert "Last time (Baseline): Partly met" in section
    assert "Carried forward" in section
    assert "What the ratings mean" in section and "Not applicable" in section
    assert "Start from your answers" not in client.get(page).content.decode()

    # and the check page offers submit; submitting works
    check = reverse("web:assessment-submit", args=[draft.pk])
    assert "Submit the assessment" in client.get(check).content.decode()
    assert client.post(check).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.late  # the review's period is over
    cycles = client.get(reverse("web:cycle", args=[world.programme.pk, review.pk]))
    assert ">Late</strong>" in cycles.content.decode()


@pytest.fixture
def proposed(world):
    """A gap opened by the baseline, with an open action, whose closure the review proposed."""
    baseline = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    rate(baseline, {world.items[0]: "not_met"})
    f.answer_the_rest(baseline, rating="met")
    services.assessment_submit(actor=world.lead_a, assessment=baseline)
    gap = Gap.objects.get(checklist_item=world.items[0])
    action = f.ActionFactory(programme=world.programme, gap=gap, owner=world.lead_a,
                             title="Shared induction")
    review = f.AssessmentFactory(cycle=f.CycleFactory(programme=world.programme,
                                                      name="Review"), partner=world.partner_a)
    f.answer_the_rest(review, rating="met")
    services.assessment_submit(actor=world.lead_a, assessment=review)
    gap.refresh_from_db()
    assert gap.status == "closure_proposed"
    return gap, action


def test_manager_decides_a_proposed_closure_on_the_gap_page(world, as_user, proposed):
    gap, action = proposed
    page = reverse("web:gap", args=[gap.pk])
    decide = reverse("web:gap-decide", args=[gap.pk])

    # the lead sees the proposal but not the choice, and may not decide
    lead_html = as_user(world.lead_a).get(page).content.decode()
    assert "Closure proposed" in lead_html and "1 open action" in lead_html
    assert decide not in lead_html
    assert as_user(world.lead_a).post(decide, {"decision": "close"}).status_code == 403

    # the manager sees the choice; no choice is a 400 with the error summary
    manager = as_user(world.manager)
    assert decide in manager.get(page).content.decode()
    empty = manager.post(decide, {})
    assert empty.status_code == 400 and "There is a problem" in empty.content.decode()

    # closing and cancelling the action
    answer = manager.post(decide, {"decision": "close", f"action-{action.pk}": "cancelled"})
    assert answer.status_code == 302
    gap.refresh_from_db()
    action.refresh_from_db()
    assert gap.status == "closed" and action.status == "cancelled"


def test_manager_keeps_a_proposed_gap_open(world, as_user, proposed):
    gap, action = proposed
    answer = as_user(world.manager).post(reverse("web:gap-decide", args=[gap.pk]),
                                         {"decision": "keep_open", "reason": "Not yet"})
    assert answer.status_code == 302
    gap.refresh_from_db()
    action.refresh_from_db()
    assert gap.status == "open" and gap.status_note == "Not yet"
    assert action.status == "not_started"
