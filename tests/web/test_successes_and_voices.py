"""The dashboard's co-produced share, voices by perspective and successes to celebrate."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.programmes.test_coproduction import _rated_and_submitted
from tests.reports.test_successes import closed_gap, done_action, met_need

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_the_coproduced_share_and_whose_voices(as_user, world):
    _rated_and_submitted(world, world.partner_a, world.lead_a,
                         ["staff", "person_supported", "carer"], ["met", "partly_met", "not_met"])
    html = as_user(world.lead_b).get(reverse("web:dashboard", args=[world.programme.pk])
                                     ).content.decode()
    assert "Co-produced" in html
    assert "100.0%" in html
    assert "Person who draws on care and support" in html
    assert "1 rating" in html


def test_the_dashboard_celebrates_the_last_30_days(as_user, world):
    now = timezone.now()
    closed_gap(world, world.partner_a, world.items[0], now)
    done_action(world, "Ran the carers' listening event", now, partner=world.partner_b)
    met_need(world, world.partner_b, "Moving and handling", now - datetime.timedelta(days=10))
    done_action(world, "Something from long ago", now - datetime.timedelta(days=45))
    client = as_user(world.manager)
    url = reverse("web:dashboard", args=[world.programme.pk])
    html = client.get(url).content.decode()
    assert "Successes to celebrate" in html
    assert "Well done: in the last 30 days, partners closed" in html
    assert "Action done: Ran the carers&#x27; listening event" in html
    assert "Learning need met: Moving and handling" in html
    assert "Something from long ago" not in html

    week = client.get(url, {"period": "7"}).content.decode()
    assert "Moving and handling" not in week
    assert "Ran the carers&#x27; listening event" in week

    old = (now - datetime.timedelta(days=50)).date()
    gone = client.get(url, {"period": "dates", "start": old.isoformat(),
                            "end": (old + datetime.timedelta(days=1)).isoformat()})
    assert "Nothing closed, done or met from" in gone.content.decode()


def test_a_bad_period_says_what_to_fix(as_user, world):
    html = as_user(world.manager).get(
        reverse("web:dashboard", args=[world.programme.pk]),
        {"period": "dates", "start": "2026-11-30", "end": "2026-11-01"}).content.decode()
    assert "There is a problem with the period" in html
    assert "The first day must be on or before the last day" in html
    assert "in the last 30 days" in html
