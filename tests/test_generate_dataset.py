"""``manage.py generate_dataset --scale small``: the counts, and rows the services would make."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from actions.models import Action
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from programmes.models import Assessment, Gap, Membership, Partner, Programme, Response
from programmes.progress import programme_progress
from scale.dataset import SCALES

pytestmark = pytest.mark.django_db

SMALL = SCALES["small"]
GAP_RATINGS = {"partly_met": "medium", "not_met": "high"}


@pytest.fixture
def generated():
    out = StringIO()
    call_command("generate_dataset", "--scale", "small", "--no-progress", stdout=out)
    return out.getvalue()


def test_small_scale_has_the_promised_counts(generated):
    assert "small data set:" in generated
    assert Programme.objects.count() == SMALL.programmes
    assert Partner.objects.count() == SMALL.partners
    assert Assessment.objects.filter(status="submitted").count() == SMALL.assessments
    per_assessment = Counter(Response.objects.values_list("assessment_id", flat=True))
    assert set(per_assessment.values()) == {46}
    assert Action.objects.count() == SMALL.actions
    assert LearningNeed.objects.count() == SMALL.learning_needs
    assert TrainingOffer.objects.count() == SMALL.offers
    assert Placement.objects.count() == SMALL.placements
    assert FundingAllocation.objects.count() == SMALL.allocations
    # Every partner has a lead who can sign in, in the partner's programme.
    leads = Membership.objects.filter(role__in=["partner_lead", "learning_provider"])
    assert leads.count() == SMALL.partners
    assert not leads.exclude(partner__programmes=F("programme")).exists()


def test_gaps_are_what_the_two_submissions_would_leave(generated):
    ratings = {}
    for a in Assessment.objects.select_related("cycle"):
        for r in a.responses.all():
            ratings.setdefault((a.partner_id, r.checklist_item_id), {})[a.cycle.name] = r.rating
    gaps = {(g.partner_id, g.checklist_item_id): g for g in Gap.objects.all()}
    assert len(gaps) == Gap.objects.count()  # at most one gap per partner and item
    for key, by_cycle in ratings.items():
        before, after = by_cycle["Baseline"], by_cycle["Review"]
        gap = gaps.get(key)
        if before not in GAP_RATINGS and after not in GAP_RATINGS:
            assert gap is None
        elif after in GAP_RATINGS:
            assert gap.status == "open" and gap.severity == GAP_RATINGS[after]
            assert gap.principle_id == gap.checklist_item.principle_id
        else:
            assert gap.status == "closed"
            assert gap.closed_reason == {"met": "reassessed_met",
                                         "not_applicable": "reassessed_not_applicable"}[after]


def test_spreads_are_realistic_and_totals_consistent(generated):
    ratings = Counter(Response.objects.values_list("rating", flat=True))
    assert ratings["met"] > sum(ratings.values()) / 2  # most items met
    assert 0 < ratings["not_met"] < ratings["partly_met"] < ratings["met"]
    overdue = Action.objects.overdue(timezone.localdate()).count()
    assert overdue == pytest.approx(SMALL.actions * 0.10, abs=SMALL.actions * 0.05)
    assert not Action.objects.filter(status="done", completed_at__isnull=True).exists()
    assert not Action.objects.exclude(status="done").filter(completed_at__isnull=False).exists()
    for offer in TrainingOffer.objects.annotate(
        held=Sum("placements__places", filter=Q(placements__status__in=Placement.HOLDING))
    ):
        assert offer.places_booked == (offer.held or 0) <= offer.capacity
    # each offer runs one session, which its placements book and which holds its places
    assert TrainingSession.objects.count() == TrainingOffer.objects.count()
    for session in TrainingSession.objects.select_related("offer").annotate(
        held=Sum("placements__places", filter=Q(placements__status__in=Placement.HOLDING))
    ):
        assert session.places_booked == (session.held or 0) == session.offer.places_booked
        assert session.capacity == session.offer.capacity
    assert not Placement.objects.exclude(session__offer_id=F("training_offer_id")).exists()
    assert not LearningNeed.objects.filter(status="met", workers_trained__lt=F(
        "workers_count"), met_reason="").exists()
    for stream in FundingStream.objects.annotate(
        held=Sum("allocations__amount", filter=Q(allocations__status__in=["planned", "committed"]))
    ):
        assert stream.allocated == (stream.held or 0) <= stream.amount
    # Progress reads the generated rows like any others.
    programme = Programme.objects.annotate(n=Count("partners")).first()
    figures = programme_progress(programme=programme)["overall"]
    assert figures["items"] == 46 * programme.n
    assert figures["assessed"] == 46 * programme.n
    assert figures["gaps_open"] == Gap.objects.filter(programme=programme, status="open").count()


def test_a_second_run_adds_another_set_beside_the_first(generated):
    call_command("generate_dataset", "--scale", "small", "--no-progress", stdout=StringIO())
    assert Programme.objects.count() == 2 * SMALL.programmes
    assert Partner.objects.count() == 2 * SMALL.partners
    assert Action.objects.count() == 2 * SMALL.actions
