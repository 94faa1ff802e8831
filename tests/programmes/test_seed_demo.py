"""The demo programme that ``make run`` shows: believable, and its story hangs together."""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Sum
from django.utils import timezone

from actions.models import Action
from learning.models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer
from notifications.models import Notification
from programmes.models import (
    Assessment,
    AssessmentCycle,
    Gap,
    Membership,
    Partner,
    Programme,
    ProgressSnapshot,
    Response,
)
from programmes.progress import programme_progress
from reports.selectors import highlight_report

pytestmark = pytest.mark.django_db

MODELS = (Programme, Partner, Membership, AssessmentCycle, Assessment, Response, Gap, Action,
          LearningNeed, TrainingOffer, Placement, FundingStream, FundingAllocation,
          ProgressSnapshot, Notification, get_user_model())


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def plain(figures):
    """Figures as they are stored in a snapshot (JSON)."""
    return json.loads(json.dumps(figures, cls=DjangoJSONEncoder))


def test_seed_demo_builds_a_believable_programme_and_is_safe_to_run_twice(capsys):
    # when the demo is seeded
    call_command("seed_demo")

    # then there is a programme with partners across sectors and a user per role
    programme = Programme.objects.get()
    sectors = set(programme.partners.values_list("sector", flat=True))
    assert programme.partners.count() >= 8
    expected = {"learning_provider", "people_supported_group", "nhs_trust", "local_authority"}
    assert expected <= sectors
    assert set(Membership.objects.values_list("role", flat=True)) == {
        "manager", "partner_lead", "learning_provider", "reviewer"}
    assert programme.cycles.count() == 2
    for cycle in programme.cycles.all():
        assert cycle.assessments.filter(status="submitted").exists()
    assert Gap.objects.filter(status="open").exists()
    assert Gap.objects.filter(status="closed", closed_reason="reassessed_met").exists()
    out = capsys.readouterr().out
    assert "Demo logins" in out and "manager" in out


def test_seed_demo_runs_again_cleanly_and_its_story_hangs_together():
    # given the demo seeded once, then again (it is built again from the start)
    call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("seed_demo", verbosity=0)

    # then it holds the same records, once
    assert counts() == first
    assert Programme.objects.count() == 1
    programme = Programme.objects.get()
    now = timezone.now()
    today = timezone.localdate()

    # assessments were submitted inside their cycles, never after now
    submitted = Assessment.objects.filter(status="submitted").select_related("cycle")
    assert submitted.count() >= 10
    for assessment in submitted:
        cycle = assessment.cycle
        assert cycle.period_start <= assessment.submitted_at.date() <= cycle.period_end
        assert assessment.submitted_at <= now and not assessment.late
        assert cycle.closed_at is None or assessment.submitted_at <= cycle.closed_at
    baseline = programme.cycles.get(name="Baseline self-assessment")
    assert baseline.closed_at is not None and baseline.closed_at <= now

    # gaps opened when their assessment was submitted, and closed after they opened
    for gap in Gap.objects.filter(programme=programme).select_related("opened_by_assessment"):
        assert gap.opened_at <= now
        if gap.opened_by_assessment is not None:
            assert gap.opened_at == gap.opened_by_assessment.submitted_at
        if gap.closed_at is not None:
            assert gap.opened_at <= gap.closed_at <= now

    # actions: made after their gap opened, due around today (some overdue), done ones
    # completed after they were made and never in the future
    actions = Action.objects.filter(programme=programme).select_related("gap")
    assert actions.count() >= 40
    for action in actions:
        assert action.gap.opened_at <= action.created_at <= now
        assert (action.completed_at is not None) == (action.status == "done")
        if action.completed_at is not None:
            assert action.created_at <= action.completed_at <= now
    open_actions = actions.exclude(status__in=["done", "cancelled"])
    assert open_actions.filter(due_date__lt=today).exists()  # overdue
    assert open_actions.filter(due_date__gte=today,
                               due_date__lte=today + datetime.timedelta(days=30)).exists()
    assert actions.filter(status="done").exists()

    # the latest snapshot is today's and equals the live figures
    latest = ProgressSnapshot.objects.filter(programme=programme, partner__isnull=True)
    assert latest.order_by("-date").first().date == today
    live = plain(programme_progress(programme=programme))
    today_rows = {s.principle_id: s.figures for s in latest.filter(date=today)}
    assert today_rows[None] == live["overall"]
    for principle in live["principles"]:
        stored = today_rows[principle["id"]]
        assert stored == {k: v for k, v in principle.items() if k not in ("number", "title",
                                                                            "id")}
    # the trend starts at the end of the baseline, and each snapshot counts what existed
    # on its day
    dates = sorted(set(latest.values_list("date", flat=True)))
    assert dates[0] == baseline.period_end and len(dates) >= 5
    for snap in latest.filter(principle__isnull=True, date__lt=today):
        end = timezone.make_aware(datetime.datetime.combine(
            snap.date + datetime.timedelta(days=1), datetime.time()))
        assert snap.figures["actions"] == actions.filter(created_at__lt=end).count()
        assert snap.figures["actions_done"] == actions.filter(completed_at__lt=end).count()
        assert snap.figures["learning_needs"] == LearningNeed.objects.filter(
            programme=programme, created_at__lt=end).count()
    assert latest.get(date=baseline.period_end, principle__isnull=True).figures["actions"] == 0

    # the dashboard's "since the last snapshot" figures agree with the records
    report = highlight_report(programme=programme)
    change = report["overall"]["change"]
    assert report["previous_snapshot"] == today - datetime.timedelta(days=7)
    assert change["gaps_open"] == report["gaps"]["opened"] - report["gaps"]["closed"]

    # placements, needs and funding agree: within capacity and amounts, some confirmed,
    # a met need trained on an offer that is over
    for offer in TrainingOffer.objects.all():
        held = offer.placements.filter(status__in=Placement.HOLDING).aggregate(
            n=Sum("places"))["n"] or 0
        assert offer.places_booked == held <= offer.capacity
    assert Placement.objects.filter(status="confirmed").exists()
    met = LearningNeed.objects.filter(programme=programme, status="met")
    assert met.exists()
    for need in met:
        confirmed = need.placements.filter(status="confirmed").select_related("training_offer")
        assert confirmed and all(p.training_offer.end_date < today for p in confirmed)
        assert need.updated_at >= max(p.created_at for p in confirmed)
    for placement in Placement.objects.select_related("learning_need"):
        assert placement.learning_need.created_at <= placement.created_at <= now
    for stream in FundingStream.objects.filter(programme=programme):
        allocated = stream.allocations.filter(
            status__in=FundingAllocation.HOLDING).aggregate(n=Sum("amount"))["n"] or 0
        assert stream.allocated == allocated <= stream.amount
    assert FundingAllocation.objects.filter(status="committed").exists()
    for model in (Action, Gap, Assessment, LearningNeed, Placement, FundingAllocation):
        assert not model.history.filter(history_date__gt=now).exists()
