"""Progress by principle (DESIGN.md), and the decisions in ``programmes/progress.py``.

Worked examples with known figures, through the function and the API, then a
property test: for random programmes the figures equal a recomputation in plain
Python, looping over the rows the test made.
"""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.models import Action
from learning.models import FundingAllocation, FundingStream, LearningNeed
from programmes.models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Framework,
    Gap,
    Partner,
    Principle,
    Programme,
    Response,
)
from programmes.progress import programme_progress, score

from .. import factories as f

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
DAY = datetime.timedelta(days=1)
COUNTS = (
    "items", "assessed", "met", "partly_met", "not_met", "not_applicable", "gaps_open",
    "gaps_closed", "actions", "actions_done", "actions_overdue", "learning_needs",
    "learning_needs_met",
)


# Helpers ------------------------------------------------------------------------


def submitted(cycle, partner, ratings, *, draft=False):
    """An assessment of ``partner`` in ``cycle`` answering ``{item: rating}``."""
    assessment = f.AssessmentFactory(
        cycle=cycle, partner=partner,
        status="draft" if draft else "submitted",
        submitted_at=None if draft else timezone.now(),
    )
    for item, rating in ratings.items():
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    return assessment


def gap(world, partner, item, status="open"):
    now = timezone.now()
    closed = status == "closed"
    return Gap.objects.create(
        programme=world.programme, partner=partner, checklist_item=item,
        principle_id=item.principle_id, severity="high", status=status, opened_at=now,
        closed_at=now if closed else None, closed_reason="closed_by_manager" if closed else "",
    )


def action(world, *, gap=None, status="not_started", due=None, owner_partner=None):
    return f.ActionFactory(
        programme=world.programme, gap=gap, status=status, due_date=due,
        owner_partner=owner_partner,
        completed_at=timezone.now() if status == "done" else None,
    )


def need(world, partner, principle=None, status="identified", gap=None):
    return f.LearningNeedFactory(programme=world.programme, partner=partner, gap=gap,
                                 principle=principle, status=status)


def row(figures, number):
    return next(p for p in figures["principles"] if p["number"] == number)


def only(figures, *names):
    return {name: figures[name] for name in names}


@pytest.fixture
def worked(world):
    """The worked example of this module (figures in the tests below).

    Items: principle 1 has items 0-1, principle 2 has items 2-4; three partners
    (A, B and the provider, which never assessed).
    """
    items = world.items
    later = f.CycleFactory(programme=world.programme, name="Review",
                           period_start=datetime.date(2026, 4, 1),
                           period_end=datetime.date(2026, 6, 30))
    # partner A: a baseline superseded by the review
    submitted(world.cycle, world.partner_a, {
        items[0]: "not_met", items[1]: "not_met", items[2]: "met", items[3]: "met",
        items[4]: "met"})
    submitted(later, world.partner_a, {
        items[0]: "met", items[1]: "partly_met", items[2]: "not_met",
        items[3]: "not_applicable", items[4]: "partly_met"})
    # partner B: a submitted baseline; its later draft does not count
    submitted(world.cycle, world.partner_b, {
        items[0]: "met", items[1]: "met", items[2]: "not_met"})
    submitted(later, world.partner_b, {item: "met" for item in items}, draft=True)

    gap_a0 = gap(world, world.partner_a, items[0])
    gap(world, world.partner_a, items[1], "closed")
    gap_a2 = gap(world, world.partner_a, items[2])
    gap_b2 = gap(world, world.partner_b, items[2], "closed")

    yesterday, tomorrow = TODAY - DAY, TODAY + DAY
    acts = {
        "a1": action(world, gap=gap_a0, status="done", due=yesterday),
        "a2": action(world, gap=gap_a2, due=yesterday),
        # a gap's partner wins over the owning partner
        "a3": action(world, gap=gap_b2, status="in_progress", due=yesterday,
                     owner_partner=world.partner_a),
        "a4": action(world, gap=gap_a2, status="cancelled", due=yesterday),
        "a5": action(world, status="blocked", due=TODAY, owner_partner=world.partner_a),
        "a6": action(world, due=yesterday),
        "a7": action(world, gap=gap_a0, status="in_progress", due=tomorrow),
        "a8": action(world, gap=gap_a0),
    }
    p1, p2 = world.principles
    needs = {
        "n1": need(world, world.partner_a, p1, "met", gap=gap_a0),
        "n2": need(world, world.partner_a, p2, "in_training", gap=gap_a2),
        "n3": need(world, world.partner_b, p2, "met"),
        "n4": need(world, world.partner_a),
    }
    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_a,
                                    amount=Decimal("5000.00"))

    def allocate(amount, status, *, to_need=None, to_action=None):
        f.FundingAllocationFactory(stream=stream, amount=Decimal(amount), status=status,
                                   learning_need=needs.get(to_need), action=acts.get(to_action))

    allocate("100.00", "planned", to_need="n1")
    allocate("250.50", "committed", to_need="n2")
    allocate("40.00", "cancelled", to_need="n3")
    allocate("60.00", "committed", to_need="n3")
    allocate("10.25", "committed", to_action="a1")
    allocate("5.00", "planned", to_action="a3")
    allocate("999.00", "cancelled", to_action="a2")
    allocate("7.00", "planned", to_action="a5")
    allocate("3.00", "committed", to_need="n4")
    return world


# The score -----------------------------------------------------------------------


@pytest.mark.parametrize(("met", "partly", "not_met", "expected"), [
    (0, 0, 0, None),        # nothing applicable
    (1, 0, 0, 100.0),
    (0, 0, 3, 0.0),
    (1, 0, 2, 33.3),
    (2, 0, 1, 66.7),
    (3, 1, 0, 87.5),
    (0, 1, 2, 16.7),
    (0, 1, 39, 1.3),        # 1.25: half rounds up, not to even
    (1, 1, 38, 3.8),        # 3.75
    (0, 3, 37, 3.8),        # 3.75
])
def test_score_counts_partly_met_as_half_and_rounds_half_up(met, partly, not_met, expected):
    # given counts of answers; when scored; then one decimal, half up
    assert score(met, partly, not_met) == expected


# Worked example through the function ---------------------------------------------


def test_ratings_count_only_each_partners_latest_submitted_assessment(worked):
    # given partner A's review superseding its baseline, and B's draft after its baseline
    # when progress is computed for the whole programme
    figures = programme_progress(programme=worked.programme, today=TODAY)

    # then A's review and B's baseline are counted; items are items x 3 partners
    keys = ("items", "assessed", "met", "partly_met", "not_met", "not_applicable", "score")
    assert only(row(figures, 1), *keys) == {
        "items": 6, "assessed": 4, "met": 3, "partly_met": 1, "not_met": 0,
        "not_applicable": 0, "score": 87.5}
    # not applicable is assessed but left out of the score: (0 + 1/2) / 3
    assert only(row(figures, 2), *keys) == {
        "items": 9, "assessed": 4, "met": 0, "partly_met": 1, "not_met": 2,
        "not_applicable": 1, "score": 16.7}
    assert only(figures["overall"], *keys) == {
        "items": 15, "assessed": 8, "met": 3, "partly_met": 2, "not_met": 2,
        "not_applicable": 1, "score": 57.1}


def test_gaps_actions_needs_and_funding_by_principle(worked):
    # given the worked example's gaps, actions, needs and allocations
    # when progress is computed for the whole programme on TODAY
    figures = programme_progress(programme=worked.programme, today=TODAY)

    # then actions count by their gap's principle; overdue = open and due before today
    keys = ("gaps_open", "gaps_closed", "actions", "actions_done", "actions_overdue",
            "learning_needs", "learning_needs_met", "funding_allocated")
    assert only(row(figures, 1), *keys) == {
        "gaps_open": 1, "gaps_closed": 1, "actions": 3, "actions_done": 1,
        "actions_overdue": 0, "learning_needs": 1, "learning_needs_met": 1,
        "funding_allocated": "110.25"}
    assert only(row(figures, 2), *keys) == {
        "gaps_open": 1, "gaps_closed": 1, "actions": 3, "actions_done": 0,
        "actions_overdue": 2, "learning_needs": 2, "learning_needs_met": 1,
        "funding_allocated": "315.50"}
    # and overall adds the work linked to no principle (a5, a6, n4 and their funding)
    assert only(figures["overall"], *keys) == {
        "gaps_open": 2, "gaps_closed": 2, "actions": 8, "actions_done": 1,
        "actions_overdue": 3, "learning_needs": 4, "learning_needs_met": 2,
        "funding_allocated": "435.75"}
    assert figures["programme"] == worked.programme.pk
    assert figures["partner"] is None
    assert [p["number"] for p in figures["principles"]] == [1, 2]


def test_one_partner_counts_its_gaps_and_otherwise_its_owned_work(worked):
    # given the worked example
    # when progress is computed for partner A only
    figures = programme_progress(programme=worked.programme, partner_id=worked.partner_a.pk,
                                 today=TODAY)

    # then items are for one partner, ratings are A's review only
    assert only(row(figures, 1), "items", "assessed", "score") == {
        "items": 2, "assessed": 2, "score": 75.0}
    assert only(row(figures, 2), "items", "assessed", "score") == {
        "items": 3, "assessed": 3, "score": 25.0}
    # and a3 (on B's gap, owned by A) is B's; a5 (no gap, owned by A) is A's, overall only
    keys = ("gaps_open", "gaps_closed", "actions", "actions_done", "actions_overdue",
            "learning_needs", "learning_needs_met", "funding_allocated")
    assert only(row(figures, 1), *keys) == {
        "gaps_open": 1, "gaps_closed": 1, "actions": 3, "actions_done": 1,
        "actions_overdue": 0, "learning_needs": 1, "learning_needs_met": 1,
        "funding_allocated": "110.25"}
    assert only(row(figures, 2), *keys) == {
        "gaps_open": 1, "gaps_closed": 0, "actions": 2, "actions_done": 0,
        "actions_overdue": 1, "learning_needs": 1, "learning_needs_met": 0,
        "funding_allocated": "250.50"}
    assert only(figures["overall"], *keys) == {
        "gaps_open": 2, "gaps_closed": 1, "actions": 6, "actions_done": 1,
        "actions_overdue": 1, "learning_needs": 3, "learning_needs_met": 1,
        "funding_allocated": "370.75"}
    assert figures["partner"] == worked.partner_a.pk


def test_one_partner_that_never_assessed_has_no_score(worked):
    # given the provider, which answered nothing and owns nothing
    # when progress is computed for it
    figures = programme_progress(programme=worked.programme, partner_id=worked.provider.pk,
                                 today=TODAY)

    # then its items are listed, nothing is assessed and there is no score
    assert only(figures["overall"], "items", "assessed", "score", "actions",
                "funding_allocated") == {
        "items": 5, "assessed": 0, "score": None, "actions": 0, "funding_allocated": "0.00"}


def test_partner_b_sees_the_action_on_its_gap_and_its_funding(worked):
    # given the worked example
    # when progress is computed for partner B
    figures = programme_progress(programme=worked.programme, partner_id=worked.partner_b.pk,
                                 today=TODAY)

    # then B's baseline rates principle 1 fully met and principle 2 not met
    assert row(figures, 1)["score"] == 100.0
    assert row(figures, 2)["score"] == 0.0
    # and a3 with its 5.00, n3 with its committed 60.00 (not the cancelled 40.00) are B's
    assert only(row(figures, 2), "actions", "actions_overdue", "learning_needs_met",
                "gaps_closed", "funding_allocated") == {
        "actions": 1, "actions_overdue": 1, "learning_needs_met": 1, "gaps_closed": 1,
        "funding_allocated": "65.00"}


def test_the_latest_assessment_is_that_of_the_latest_cycle_not_the_last_made(world):
    # given partner A's answers in the baseline, then in a cycle added later for an
    # earlier period (a late catch-up of the year before)
    submitted(world.cycle, world.partner_a, {world.items[0]: "met"})
    catch_up = f.CycleFactory(programme=world.programme, name="Catch-up",
                              period_start=datetime.date(2025, 10, 1),
                              period_end=datetime.date(2025, 12, 31))
    submitted(catch_up, world.partner_a, {world.items[0]: "not_met", world.items[1]: "not_met"})

    # when progress is computed
    figures = programme_progress(programme=world.programme, partner_id=world.partner_a.pk,
                                 today=TODAY)

    # then the baseline, whose period ends last, is the one that counts
    assert only(row(figures, 1), "assessed", "met", "not_met", "score") == {
        "assessed": 1, "met": 1, "not_met": 0, "score": 100.0}


def test_inactive_items_are_neither_counted_nor_scored(world):
    # given an item retired from the framework, rated not met by partner A
    world.items[4].is_active = False
    world.items[4].save()
    submitted(world.cycle, world.partner_a, {world.items[3]: "met", world.items[4]: "not_met"})

    # when progress is computed
    figures = programme_progress(programme=world.programme, today=TODAY)

    # then principle 2 has two items per partner and only the active answer
    assert only(row(figures, 2), "items", "assessed", "met", "not_met", "score") == {
        "items": 6, "assessed": 1, "met": 1, "not_met": 0, "score": 100.0}


def test_overdue_uses_the_date_in_london(world):
    # given open actions due on 30 June and on 1 July 2026
    action(world, due=datetime.date(2026, 6, 30))
    action(world, due=datetime.date(2026, 7, 1))

    # when it is 23:30 UTC on 30 June, already 00:30 on 1 July in London (BST)
    instant = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=instant):
        figures = programme_progress(programme=world.programme)

    # then the action due on 30 June is overdue, the one due today is not
    assert figures["overall"]["actions_overdue"] == 1


def test_a_write_is_visible_in_the_next_read(world):
    # given a programme with one open action
    first = action(world, due=TODAY - DAY)
    assert programme_progress(programme=world.programme, today=TODAY)["overall"][
        "actions_overdue"] == 1

    # when the action is done
    first.status, first.completed_at = "done", timezone.now()
    first.save()

    # then the next read shows it
    overall = programme_progress(programme=world.programme, today=TODAY)["overall"]
    assert (overall["actions_done"], overall["actions_overdue"]) == (1, 0)


def test_other_programmes_do_not_leak_in(worked):
    # given another programme of the same partners with its own work and a later cycle
    other = f.ProgrammeFactory(framework=worked.framework,
                               partners=[worked.partner_a, worked.partner_b])
    cycle = f.CycleFactory(programme=other, period_start=datetime.date(2026, 7, 1),
                           period_end=datetime.date(2026, 9, 30))
    submitted(cycle, worked.partner_a, {item: "met" for item in worked.items})
    f.ActionFactory(programme=other, owner_partner=worked.partner_a, due_date=TODAY - DAY)
    other_need = f.LearningNeedFactory(programme=other, partner=worked.partner_a,
                                       principle=worked.principles[0], status="met")
    f.FundingAllocationFactory(stream=f.FundingStreamFactory(programme=other),
                               learning_need=other_need, status="committed")

    # when progress of the worked programme is computed
    figures = programme_progress(programme=worked.programme, today=TODAY)

    # then the figures are those of the worked example
    assert only(figures["overall"], "assessed", "met", "actions", "actions_overdue",
                "learning_needs", "funding_allocated", "score") == {
        "assessed": 8, "met": 3, "actions": 8, "actions_overdue": 3, "learning_needs": 4,
        "funding_allocated": "435.75", "score": 57.1}


# Through the API ------------------------------------------------------------------


def progress_url(world):
    return f"/api/v1/programmes/{world.programme.pk}/progress/"


def test_api_returns_the_figures_by_principle(api, worked):
    # given the worked example, read on the day it was dated for
    client = api.as_user(worked.manager)

    # when the manager reads progress
    with mock.patch("programmes.progress.timezone.localdate", return_value=TODAY):
        answer = client.get(progress_url(worked))

    # then each principle and overall carry the figures of the worked example
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["programme"] == worked.programme.pk
    assert body["partner"] is None
    assert body["as_of"]
    first = row(body, 1)
    assert first["id"] == worked.principles[0].pk
    assert first["title"] == worked.principles[0].title
    assert only(first, "items", "assessed", "met", "partly_met", "score", "actions",
                "actions_done", "funding_allocated") == {
        "items": 6, "assessed": 4, "met": 3, "partly_met": 1, "score": 87.5, "actions": 3,
        "actions_done": 1, "funding_allocated": "110.25"}
    assert only(row(body, 2), "not_applicable", "score", "actions_overdue",
                "learning_needs", "funding_allocated") == {
        "not_applicable": 1, "score": 16.7, "actions_overdue": 2, "learning_needs": 2,
        "funding_allocated": "315.50"}
    assert only(body["overall"], "items", "score", "actions", "actions_overdue",
                "learning_needs_met", "gaps_open", "gaps_closed", "funding_allocated") == {
        "items": 15, "score": 57.1, "actions": 8, "actions_overdue": 3,
        "learning_needs_met": 2, "gaps_open": 2, "gaps_closed": 2,
        "funding_allocated": "435.75"}


def test_api_overdue_is_relative_to_today(api, world):
    # given actions due yesterday, today and tomorrow (server's date), and one done late
    today = timezone.localdate()
    for due in (today - DAY, today, today + DAY):
        action(world, due=due)
    action(world, due=today - DAY, status="done")
    client = api.as_user(world.manager)

    # when the manager reads progress
    overall = client.get(progress_url(world)).json()["overall"]

    # then only the open action due yesterday is overdue
    assert (overall["actions"], overall["actions_done"], overall["actions_overdue"]) == (4, 1, 1)


def test_api_for_one_partner(api, worked):
    # given the worked example
    client = api.as_user(worked.lead_a)

    # when partner A's lead reads progress for partner A
    with mock.patch("programmes.progress.timezone.localdate", return_value=TODAY):
        answer = client.get(progress_url(worked), {"partner": worked.partner_a.pk})

    # then the figures are A's
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["partner"] == worked.partner_a.pk
    assert only(body["overall"], "items", "assessed", "actions", "actions_overdue",
                "learning_needs", "gaps_closed", "funding_allocated") == {
        "items": 5, "assessed": 5, "actions": 6, "actions_overdue": 1, "learning_needs": 3,
        "gaps_closed": 1, "funding_allocated": "370.75"}
    assert (row(body, 1)["score"], row(body, 2)["score"]) == (75.0, 25.0)


@pytest.mark.parametrize("value", ["outside", "abc", "0", "-1", "99999999999999999999999"])
def test_api_refuses_a_partner_that_is_not_in_the_programme(api, world, value):
    # given a partner of the directory that is not in the programme
    stranger = f.PartnerFactory(name="Not in the programme")
    partner = stranger.pk if value == "outside" else value
    client = api.as_user(world.manager)

    # when progress is asked for it
    answer = client.get(progress_url(world), {"partner": partner})

    # then it is bad input, said about the partner parameter
    assert answer.status_code == 400, answer.content
    assert "partner" in answer.json()


def test_api_hides_progress_from_outsiders(api, world):
    # given a user who belongs to no programme
    client = api.as_user(world.outsider)

    # when they ask for the programme's progress, then it does not exist for them
    assert client.get(progress_url(world)).status_code == 404
    assert client.get(progress_url(world), {"partner": world.partner_a.pk}).status_code == 404


def test_api_refuses_anonymous_readers(client, world):
    assert client.get(progress_url(world)).status_code in (401, 403)


# Property: the figures equal a plain-Python recomputation --------------------------

RATINGS = ("met", "partly_met", "not_met", "not_applicable")
ACTION_STATUSES = ("not_started", "in_progress", "blocked", "done", "cancelled")
NEED_STATUSES = ("identified", "planned", "in_training", "met")
ALLOCATION_STATUSES = ("planned", "committed", "cancelled")


@st.composite
def programme_specs(draw):
    """A random programme as plain data: indices into lists, no database rows."""
    # per principle, its items' is_active flags (mostly active)
    principles = draw(st.lists(
        st.lists(st.sampled_from([True, True, True, False]), max_size=3),
        min_size=1, max_size=3,
    ))
    items = [(p, active) for p, actives in enumerate(principles) for active in actives]
    partners = draw(st.integers(2, 4))
    cycles = draw(st.lists(st.integers(0, 1), min_size=1, max_size=2))  # period index
    assessments = []
    for c in range(len(cycles)):
        for partner in range(partners):
            kind = draw(st.sampled_from(["none", "draft", "submitted", "submitted"]))
            if kind == "none":
                continue
            ratings = draw(st.dictionaries(
                st.integers(0, len(items) - 1), st.sampled_from(RATINGS))) if items else {}
            minute = draw(st.integers(0, 50)) * 10 + len(assessments)  # distinct
            assessments.append({"cycle": c, "partner": partner, "status": kind,
                                "ratings": ratings, "minute": minute})
    gaps = []
    if items:
        for partner, item, status in draw(st.lists(st.tuples(
            st.integers(0, partners - 1), st.integers(0, len(items) - 1),
            st.sampled_from(["open", "closed"])), max_size=6)):
            if status == "open" and any(
                g["partner"] == partner and g["item"] == item and g["status"] == "open"
                for g in gaps
            ):
                status = "closed"  # one open gap per partner and item
            gaps.append({"partner": partner, "item": item, "status": status,
                         "principle": items[item][0]})
    maybe_gap = st.none() | st.integers(0, len(gaps) - 1) if gaps else st.none()
    actions = draw(st.lists(st.fixed_dictionaries({
        "gap": maybe_gap,
        "owner_partner": st.none() | st.integers(0, partners - 1),
        "status": st.sampled_from(ACTION_STATUSES),
        "due": st.none() | st.integers(-3, 3),
    }), max_size=8))
    needs = []
    for _ in range(draw(st.integers(0, 6))):
        linked = draw(maybe_gap)
        if linked is not None:  # a need on a gap takes the gap's partner and principle
            needs.append({"gap": linked, "partner": gaps[linked]["partner"],
                          "principle": gaps[linked]["principle"]})
        else:
            needs.append({"gap": None, "partner": draw(st.integers(0, partners - 1)),
                          "principle": draw(st.none() | st.integers(0, len(principles) - 1))})
        needs[-1]["status"] = draw(st.sampled_from(NEED_STATUSES))
    targets = [("need", i) for i in range(len(needs))]
    targets += [("action", i) for i in range(len(actions))]
    allocations = draw(st.lists(st.fixed_dictionaries({
        "target": st.sampled_from(targets),
        "status": st.sampled_from(ALLOCATION_STATUSES),
        "cents": st.integers(1, 10_000_000),
    }), max_size=8)) if targets else []
    scope = draw(st.none() | st.integers(0, partners - 1))
    return {
        "principles": principles, "items": items, "partners": partners, "cycles": cycles,
        "assessments": assessments, "gaps": gaps, "actions": actions, "needs": needs,
        "allocations": allocations, "scope": scope,
    }


class Built:
    """The rows made from a spec, by index."""

    def __init__(self, spec, serial):
        now = timezone.now()
        self.framework = Framework.objects.create(slug=f"prop-{serial}", title="P", version="1")
        self.principles = Principle.objects.bulk_create([
            Principle(framework=self.framework, number=n + 1, title=f"Principle {n + 1}")
            for n in range(len(spec["principles"]))
        ])
        self.items = ChecklistItem.objects.bulk_create([
            ChecklistItem(principle=self.principles[p], code=f"{p + 1}.{k}", text="?",
                          order=k, is_active=active)
            for k, (p, active) in enumerate(spec["items"])
        ])
        self.partners = Partner.objects.bulk_create([
            Partner(name=f"Prop {serial} partner {i}", sector="local_authority")
            for i in range(spec["partners"])
        ])
        self.programme = Programme.objects.create(name=f"Prop {serial}", framework=self.framework)
        self.programme.partners.add(*self.partners)
        self.cycles = [
            AssessmentCycle.objects.create(
                programme=self.programme, name=f"Cycle {c}",
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 3, 31) + datetime.timedelta(days=91 * period))
            for c, period in enumerate(spec["cycles"])
        ]
        assessments = Assessment.objects.bulk_create([
            Assessment(cycle=self.cycles[a["cycle"]], partner=self.partners[a["partner"]],
                       status=a["status"],
                       submitted_at=(now + datetime.timedelta(minutes=a["minute"])
                                     if a["status"] == "submitted" else None))
            for a in spec["assessments"]
        ])
        Response.objects.bulk_create([
            Response(assessment=assessment, checklist_item=self.items[item], rating=rating)
            for assessment, a in zip(assessments, spec["assessments"], strict=True)
            for item, rating in a["ratings"].items()
        ])
        self.gaps = Gap.objects.bulk_create([
            Gap(programme=self.programme, partner=self.partners[g["partner"]],
                checklist_item=self.items[g["item"]], principle=self.principles[g["principle"]],
                severity="medium", status=g["status"], opened_at=now,
                closed_at=now if g["status"] == "closed" else None,
                closed_reason="closed_by_manager" if g["status"] == "closed" else "")
            for g in spec["gaps"]
        ])
        self.actions = Action.objects.bulk_create([
            Action(programme=self.programme, title=f"Action {i}",
                   gap=None if a["gap"] is None else self.gaps[a["gap"]],
                   owner_partner=(None if a["owner_partner"] is None
                                  else self.partners[a["owner_partner"]]),
                   status=a["status"], completed_at=now if a["status"] == "done" else None,
                   due_date=None if a["due"] is None else TODAY + a["due"] * DAY)
            for i, a in enumerate(spec["actions"])
        ])
        self.needs = LearningNeed.objects.bulk_create([
            LearningNeed(programme=self.programme, partner=self.partners[n["partner"]],
                         gap=None if n["gap"] is None else self.gaps[n["gap"]],
                         principle=(None if n["principle"] is None
                                    else self.principles[n["principle"]]),
                         staff_group="Carers", topic="Topic", workers_count=1,
                         status=n["status"])
            for n in spec["needs"]
        ])
        stream = FundingStream.objects.create(programme=self.programme, name="Fund",
                                              funder=self.partners[0],
                                              amount=Decimal("9999999999.99"))
        FundingAllocation.objects.bulk_create([
            FundingAllocation(
                stream=stream, amount=Decimal(a["cents"]) / 100, status=a["status"],
                learning_need=self.needs[a["target"][1]] if a["target"][0] == "need" else None,
                action=self.actions[a["target"][1]] if a["target"][0] == "action" else None)
            for a in spec["allocations"]
        ])
        self._noise(serial, now)

    def _noise(self, serial, now):
        """Another programme of the same partners and framework, with a later cycle."""
        other = Programme.objects.create(name=f"Noise {serial}", framework=self.framework)
        other.partners.add(*self.partners)
        cycle = AssessmentCycle.objects.create(programme=other, name="Later",
                                               period_start=datetime.date(2027, 1, 1),
                                               period_end=datetime.date(2027, 3, 31))
        for partner in self.partners:
            assessment = Assessment.objects.create(cycle=cycle, partner=partner,
                                                   status="submitted", submitted_at=now)
            Response.objects.bulk_create([
                Response(assessment=assessment, checklist_item=item, rating="met")
                for item in self.items
            ])
        noise_action = Action.objects.create(programme=other, title="Noise",
                                             owner_partner=self.partners[0],
                                             due_date=TODAY - DAY)
        noise_need = LearningNeed.objects.create(
            programme=other, partner=self.partners[0], staff_group="Carers", topic="Noise",
            workers_count=1, status="met",
            principle=self.principles[0])
        stream = FundingStream.objects.create(programme=other, name="Noise",
                                              funder=self.partners[0], amount=Decimal("1000"))
        FundingAllocation.objects.bulk_create([
            FundingAllocation(stream=stream, learning_need=noise_need, amount=Decimal("1.00")),
            FundingAllocation(stream=stream, action=noise_action, amount=Decimal("2.00")),
        ])


def recompute(spec, today):
    """DESIGN.md's figures and progress.py's decisions, by looping over the spec's rows."""
    scope = spec["scope"]
    in_scope = [scope] if scope is not None else list(range(spec["partners"]))
    counts = defaultdict(Counter)  # principle index, or None for unlinked work
    money = defaultdict(Decimal)

    for p, actives in enumerate(spec["principles"]):
        counts[p]["items"] = sum(actives) * len(in_scope)

    for partner in in_scope:
        mine = [a for a in spec["assessments"]
                if a["partner"] == partner and a["status"] == "submitted"]
        if not mine:
            continue
        latest = max(mine, key=lambda a: (spec["cycles"][a["cycle"]], a["minute"]))
        for item, rating in latest["ratings"].items():
            principle, active = spec["items"][item]
            if active:
                counts[principle]["assessed"] += 1
                counts[principle][rating] += 1

    for g in spec["gaps"]:
        if scope is None or g["partner"] == scope:
            counts[g["principle"]][f"gaps_{g['status']}"] += 1

    def action_home(a):
        """The (partner, principle) an action counts for."""
        if a["gap"] is not None:
            g = spec["gaps"][a["gap"]]
            return g["partner"], g["principle"]
        return a["owner_partner"], None

    for a in spec["actions"]:
        partner, principle = action_home(a)
        if scope is not None and partner != scope:
            continue
        counts[principle]["actions"] += 1
        counts[principle]["actions_done"] += a["status"] == "done"
        due = None if a["due"] is None else today + a["due"] * DAY
        overdue = a["status"] not in ("done", "cancelled") and due is not None and due < today
        counts[principle]["actions_overdue"] += overdue

    for n in spec["needs"]:
        if scope is None or n["partner"] == scope:
            counts[n["principle"]]["learning_needs"] += 1
            counts[n["principle"]]["learning_needs_met"] += n["status"] == "met"

    for a in spec["allocations"]:
        if a["status"] == "cancelled":
            continue
        kind, index = a["target"]
        if kind == "need":
            partner, principle = spec["needs"][index]["partner"], spec["needs"][index]["principle"]
        else:
            partner, principle = action_home(spec["actions"][index])
        if scope is None or partner == scope:
            money[principle] += Decimal(a["cents"]) / 100

    def figures(c, amount):
        out = {name: c[name] for name in COUNTS}
        applicable = c["met"] + c["partly_met"] + c["not_met"]
        # x = 100 * (met + partly/2) / applicable, to one decimal rounded half up, in
        # integers: floor(10x + 1/2) / 10, where 10x = 500 * (2 met + partly) / applicable
        out["score"] = (
            None if not applicable
            else (1000 * (2 * c["met"] + c["partly_met"]) + applicable) // (2 * applicable) / 10
        )
        out["funding_allocated"] = f"{amount:.2f}"
        return out

    overall, total = Counter(), Decimal("0")
    for key in counts:
        overall.update(counts[key])
    for key in money:
        total += money[key]
    return {
        "principles": [figures(counts[p], money[p]) for p in range(len(spec["principles"]))],
        "overall": figures(overall, total),
    }


SERIAL = iter(range(10**9))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=programme_specs())
def test_progress_equals_a_plain_python_recomputation(db, spec):
    # given a random programme, built inside a savepoint undone after the example
    with transaction.atomic():
        built = Built(spec, next(SERIAL))
        partner_id = None if spec["scope"] is None else built.partners[spec["scope"]].pk

        # when progress is computed by the database
        figures = programme_progress(programme=built.programme, partner_id=partner_id,
                                     today=TODAY)

        # then it equals the recomputation, principle by principle and overall
        expected = recompute(spec, TODAY)
        got_principles = [
            {name: p[name] for name in (*COUNTS, "score", "funding_allocated")}
            for p in figures["principles"]
        ]
        assert [p["id"] for p in figures["principles"]] == [p.pk for p in built.principles]
        assert got_principles == expected["principles"]
        got_overall = {name: figures["overall"][name]
                       for name in (*COUNTS, "score", "funding_allocated")}
        assert got_overall == expected["overall"]
        assert figures["partner"] == partner_id
        transaction.set_rollback(True)
