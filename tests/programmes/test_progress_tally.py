"""The progress tally the database keeps (programmes/tally.py) agrees with the figures
counted from the source rows after any sequence of writes, and the check command finds
and repairs a tally that does not."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.models import Action
from learning.models import FundingAllocation, LearningNeed
from programmes import tally
from programmes.management.commands.check_progress_tally import differences
from programmes.models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Gap,
    OpenActionTally,
    ProgressTally,
    Response,
)
from programmes.progress import programme_progress

from .. import factories as f

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
DAY = datetime.timedelta(days=1)
RATINGS = ("met", "partly_met", "not_met", "not_applicable")
ACTION_STATUSES = ("not_started", "in_progress", "blocked", "done", "cancelled")
NEED_STATUSES = ("identified", "in_training", "met")
ALLOCATION_STATUSES = ("planned", "committed", "claimed", "paid", "cancelled")
DUES = (None, TODAY - DAY, TODAY, TODAY + DAY)


class World:
    """Two programmes on one framework (two principles, four items), three partners."""

    def __init__(self):
        framework = f.FrameworkFactory()
        self.principles = [f.PrincipleFactory(framework=framework, number=n) for n in (1, 2)]
        self.items = [f.ChecklistItemFactory(principle=self.principles[n % 2], order=n)
                      for n in range(4)]
        self.programmes = [f.ProgrammeFactory(framework=framework) for _ in range(2)]
        self.partners = [f.PartnerFactory() for _ in range(3)]
        for programme in self.programmes:
            programme.partners.add(*self.partners)
        self.cycles = [
            f.CycleFactory(programme=programme, period_start=datetime.date(2026, 1, 1),
                           period_end=datetime.date(2026, month, 28))
            for programme in self.programmes for month in (3, 5)
        ]
        self.streams = [f.FundingStreamFactory(programme=p, funder=self.partners[0])
                        for p in self.programmes]

    def programme(self, n):
        return self.programmes[n % 2]


def _done(status):
    return timezone.now() if status == "done" else None


def _gap_status(n):
    status = ("open", "closure_proposed", "closed")[n % 3]
    closed = status == "closed"
    return {"status": status, "closed_at": timezone.now() if closed else None,
            "closed_reason": "closed_by_manager" if closed else ""}


def _pick(draw_index, rows):
    return rows[draw_index % len(rows)] if rows else None


# One write each: (kind, numbers the write reads its choices from) ----------------------

KINDS = (
    "action", "action_change", "actions_update", "action_delete", "gap", "gap_change",
    "need", "need_change", "allocation", "allocation_change", "allocation_delete",
    "assessment", "assessment_draft_submitted", "cycle_moved", "item_switched",
)
writes = st.lists(
    st.tuples(st.sampled_from(KINDS), st.lists(st.integers(0, 11), min_size=6, max_size=6)),
    min_size=1, max_size=18,
)


def apply(world: World, kind: str, n: list[int]) -> None:
    programme = world.programme(n[0])
    partner = world.partners[n[1] % 3]
    item = world.items[n[2] % 4]
    gaps = list(Gap.objects.filter(programme=programme).order_by("pk"))
    actions = list(Action.objects.filter(programme=programme).order_by("pk"))
    needs = list(LearningNeed.objects.filter(programme=programme).order_by("pk"))
    allocations = list(FundingAllocation.objects.filter(stream__programme=programme)
                       .order_by("pk"))
    if kind == "action":
        gap = _pick(n[3], [None, *gaps])
        status = ACTION_STATUSES[n[4] % 5]
        f.ActionFactory(programme=programme, gap=gap, status=status, completed_at=_done(status),
                        due_date=DUES[n[5] % 4],
                        owner_partner=partner if n[3] % 2 else None)
    elif kind == "action_change" and actions:
        action = _pick(n[3], actions)
        action.status = ACTION_STATUSES[n[4] % 5]
        action.completed_at = _done(action.status)
        action.due_date = DUES[n[5] % 4]
        action.gap = _pick(n[2], [None, *gaps])
        action.owner_partner = partner if n[1] % 2 else None
        action.save()
    elif kind == "actions_update":
        status = ACTION_STATUSES[n[4] % 5]
        Action.objects.filter(programme=programme, pk__in=[a.pk for a in actions[::2]]).update(
            status=status, completed_at=_done(status))
    elif kind == "action_delete" and actions:
        action = _pick(n[3], actions)
        if not action.funding_allocations.exists():
            action.delete()
    elif kind == "gap":
        Gap.objects.create(
            programme=programme, partner=partner, checklist_item=item,
            principle_id=item.principle_id, severity="high", opened_at=timezone.now(),
            **_gap_status(n[4]))
    elif kind == "gap_change" and gaps:
        Gap.objects.filter(pk=_pick(n[3], gaps).pk).update(**_gap_status(n[4]))
    elif kind == "need":
        f.LearningNeedFactory(programme=programme, partner=partner,
                              principle=_pick(n[3], [None, *world.principles]),
                              status=NEED_STATUSES[n[4] % 3])
    elif kind == "need_change" and needs:
        need = _pick(n[3], needs)
        need.status = NEED_STATUSES[n[4] % 3]
        need.partner = partner
        need.principle = _pick(n[5], [None, *world.principles])
        need.save()
    elif kind == "allocation" and (needs or actions):
        to_need = bool(needs) and (n[3] % 2 == 0 or not actions)
        f.FundingAllocationFactory(
            stream=world.streams[world.programmes.index(programme)],
            amount=Decimal(f"{n[4] * 10 + 1}.{n[5]:02d}"),
            status=ALLOCATION_STATUSES[n[5] % 5],
            learning_need=_pick(n[2], needs) if to_need else None,
            action=None if to_need else _pick(n[2], actions))
    elif kind == "allocation_change" and allocations:
        FundingAllocation.objects.filter(pk=_pick(n[3], allocations).pk).update(
            status=ALLOCATION_STATUSES[n[4] % 5], amount=Decimal(f"{n[5] + 1}.25"))
    elif kind == "allocation_delete" and allocations:
        _pick(n[3], allocations).delete()
    elif kind in ("assessment", "assessment_draft_submitted"):
        cycle = world.cycles[world.programmes.index(programme) * 2 + n[3] % 2]
        draft = kind == "assessment_draft_submitted"
        assessment = Assessment.objects.create(
            cycle=cycle, partner=partner, status="draft" if draft else "submitted",
            submitted_at=None if draft else timezone.now() + datetime.timedelta(seconds=n[4]))
        for k, each in enumerate(world.items[: 2 + n[5] % 3]):
            f.ResponseFactory(assessment=assessment, checklist_item=each,
                              rating=RATINGS[(n[4] + k) % 4])
        if draft:
            assessment.status = "submitted"
            assessment.submitted_at = timezone.now()
            assessment.save()
    elif kind == "cycle_moved":
        cycle = world.cycles[world.programmes.index(programme) * 2 + n[3] % 2]
        AssessmentCycle.objects.filter(pk=cycle.pk).update(
            period_end=datetime.date(2026, 1 + n[4] % 12, 20))
    elif kind == "item_switched":
        ChecklistItem.objects.filter(pk=item.pk).update(is_active=n[4] % 2 == 0)


def tally_rows() -> set:
    """The tally's rows that count anything."""
    counts = [field.name for field in ProgressTally._meta.fields
              if field.name not in ("id", "programme_id", "partner_key", "principle_key")]
    kept = {row for row in ProgressTally.objects.values_list(
        "programme_id", "partner_key", "principle_key", *counts) if any(row[3:])}
    due = {row for row in OpenActionTally.objects.values_list(
        "programme_id", "partner_key", "principle_key", "due_date", "open") if row[4]}
    return kept | {("due", *row) for row in due}


SERIAL = iter(range(10**9))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=writes)
def test_the_tally_agrees_with_the_source_rows_after_any_writes(db, sequence):
    with transaction.atomic():
        world = World()
        # when a random sequence of writes runs (each in a savepoint: one a constraint
        # refuses changes nothing)
        for kind, numbers in sequence:
            try:
                with transaction.atomic():
                    apply(world, kind, numbers)
            except IntegrityError:
                pass

        # then each programme's figures, and each partner's, are those of the source rows
        for programme in world.programmes:
            assert differences(programme, TODAY) == []
        # and the tally is row for row what counting it again from nothing gives
        kept = tally_rows()
        tally.rebuild()
        assert tally_rows() == kept
        transaction.set_rollback(True)


def test_a_write_and_its_figures_commit_or_roll_back_together():
    world = World()
    programme = world.programmes[0]
    before = programme_progress(programme=programme, today=TODAY)["overall"]["actions"]
    with pytest.raises(RuntimeError), transaction.atomic():
        f.ActionFactory(programme=programme, due_date=TODAY - DAY)
        inside = programme_progress(programme=programme, today=TODAY)["overall"]
        assert (inside["actions"], inside["actions_overdue"]) == (before + 1, 1)
        raise RuntimeError("the request fails after the write")
    after = programme_progress(programme=programme, today=TODAY)["overall"]
    assert (after["actions"], after["actions_overdue"]) == (before, 0)


def test_overdue_follows_the_calendar_without_a_write():
    world = World()
    programme = world.programmes[0]
    f.ActionFactory(programme=programme, due_date=TODAY)
    assert programme_progress(programme=programme, today=TODAY)["overall"][
        "actions_overdue"] == 0
    assert programme_progress(programme=programme, today=TODAY + DAY)["overall"][
        "actions_overdue"] == 1


def test_a_later_cycle_replaces_the_answers_counted():
    world = World()
    programme = world.programmes[0]
    partner = world.partners[0]
    early, late = world.cycles[0], world.cycles[1]
    for cycle, rating in ((late, "met"), (early, "not_met")):
        assessment = f.AssessmentFactory(cycle=cycle, partner=partner, status="submitted",
                                         submitted_at=timezone.now())
        f.ResponseFactory(assessment=assessment, checklist_item=world.items[0], rating=rating)
    overall = programme_progress(programme=programme, partner_id=partner.pk,
                                 today=TODAY)["overall"]
    assert (overall["met"], overall["not_met"]) == (1, 0)  # the later cycle's answer

    # when the earlier cycle is moved after the other, its answers are the latest
    AssessmentCycle.objects.filter(pk=early.pk).update(period_end=datetime.date(2026, 12, 1))
    overall = programme_progress(programme=programme, partner_id=partner.pk,
                                 today=TODAY)["overall"]
    assert (overall["met"], overall["not_met"]) == (0, 1)
    assert Assessment.objects.count() == 2 and Response.objects.count() == 2


def test_the_check_command_finds_and_repairs_a_wrong_tally():
    world = World()
    programme = world.programmes[1]
    f.ActionFactory(programme=programme, status="done", completed_at=timezone.now())
    out = StringIO()
    call_command("check_progress_tally", stdout=out)
    assert "agrees with the source rows (2 programme(s))" in out.getvalue()

    # given a tally that lost a count (written around the triggers)
    ProgressTally.objects.filter(programme_id=programme.pk).update(actions=0)
    with pytest.raises(CommandError, match="differs from the source rows in 1 programme"):
        call_command("check_progress_tally", stdout=StringIO(), stderr=StringIO())

    # when it is repaired, it agrees again
    out = StringIO()
    call_command("check_progress_tally", "--repair", stdout=out, stderr=StringIO())
    assert f"Programme {programme.pk}: tally counted again." in out.getvalue()
    assert programme_progress(programme=programme)["overall"]["actions"] == 1
    call_command("check_progress_tally", stdout=StringIO())


def test_the_check_command_names_an_unknown_programme():
    with pytest.raises(CommandError, match="There is no programme with id 999999"):
        call_command("check_progress_tally", "--programme", "999999")
