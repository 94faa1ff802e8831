"""The demo's training: an offer in cohorts, bookings at each step, a need met by
completed training, all made through the booking services."""

import pytest
from django.core.management import call_command

from learning.models import LearningNeed, Placement, TrainingOffer

pytestmark = pytest.mark.django_db


def test_the_demo_books_cohorts_at_every_step_and_meets_a_need_by_training():
    # when the demo is seeded
    call_command("seed_demo", verbosity=0)

    # then one offer runs in two cohorts, and its places are their sums
    cohorts = TrainingOffer.objects.get(title="Strengths-based practice for integrated teams")
    sessions = list(cohorts.sessions.order_by("starts_at"))
    assert len(sessions) == 2
    assert cohorts.capacity == sum(s.capacity for s in sessions)
    assert cohorts.places_booked == sum(s.places_booked for s in sessions)

    # and bookings stand at each step, one waiting behind a full cohort
    statuses = set(Placement.objects.values_list("status", flat=True))
    assert {"requested", "waitlisted", "approved", "confirmed"} <= statuses
    waiting = Placement.objects.get(status="waitlisted")
    assert waiting.session.places_free < waiting.places
    assert waiting.session.places_waiting == waiting.places
    assert Placement.objects.filter(status="approved").exclude(approved_at=None).exists()
    assert Placement.objects.filter(status="confirmed").exclude(learners=[]).exists()

    # and a need is met because its workers completed their training, not by hand
    trained = Placement.objects.get(places_completed__isnull=False)
    need = LearningNeed.objects.get(pk=trained.learning_need_id)
    assert trained.places_attended == trained.places_completed == trained.places
    assert need.workers_trained == need.workers_count
    assert (need.status, need.met_reason) == ("met", "")
