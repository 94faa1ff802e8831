"""Nightly progress snapshots and the trend read from them."""

import datetime

import pytest

from programmes import services, snapshots
from programmes.models import ProgressSnapshot
from programmes.tasks import take_progress_snapshots

from .. import factories as f

pytestmark = pytest.mark.django_db


def submit(world, partner, ratings, cycle=None):
    assessment = f.AssessmentFactory(cycle=cycle or world.cycle, partner=partner)
    for item, rating in ratings.items():
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    f.answer_the_rest(assessment)
    services.assessment_submit(actor=world.manager, assessment=assessment)


def test_snapshot_per_programme_partner_and_principle_replaced_on_rerun(world):
    submit(world, world.partner_a, {world.items[0]: "met", world.items[1]: "not_met"})
    day = datetime.date(2026, 11, 22)

    first = take_progress_snapshots(day.isoformat())
    again = take_progress_snapshots(day.isoformat())

    # (programme + 3 partners) x (2 principles + overall)
    assert first == again == 12
    assert ProgressSnapshot.objects.count() == 12
    overall = ProgressSnapshot.objects.get(partner=None, principle=None)
    assert overall.score == 50.0 and overall.figures["gaps_open"] == 1
    partner_b = ProgressSnapshot.objects.get(partner=world.partner_b, principle=None)
    assert partner_b.score is None and partner_b.figures["assessed"] == 0


def test_progress_history_shows_the_trend(api, world):
    submit(world, world.partner_a, {world.items[0]: "not_met", world.items[1]: "not_met"})
    snapshots.snapshots_take_all(day=datetime.date(2026, 11, 1))
    review = f.CycleFactory(programme=world.programme, name="Review",
                            period_start=datetime.date(2026, 10, 1),
                            period_end=datetime.date(2026, 12, 31))
    submit(world, world.partner_a, {world.items[0]: "met", world.items[1]: "partly_met"}, review)
    snapshots.snapshots_take_all(day=datetime.date(2026, 11, 2))
    client = api.as_user(world.reviewer)
    url = f"/api/v1/programmes/{world.programme.pk}/progress/history/"

    history = client.get(url)

    assert history.status_code == 200
    days = history.json()
    assert [d["date"] for d in days] == ["2026-11-01", "2026-11-02"]
    assert [d["overall"]["score"] for d in days] == [0.0, 75.0]
    assert [p["number"] for p in days[0]["principles"]] == [1, 2]
    one_partner = client.get(url, {"partner": world.partner_b.pk, "since": "2026-11-02"}).json()
    assert [d["overall"]["assessed"] for d in one_partner] == [0]
    assert client.get(url, {"since": "yesterday"}).status_code == 400
    assert api.as_user(world.outsider).get(url).status_code == 404
