"""The demo asks a person who draws on care and a carer for their views on a draft."""

import pytest
from django.core.management import call_command

from programmes import contributions
from programmes.models import Contribution, Contributor

pytestmark = pytest.mark.django_db


def test_the_demo_has_voices_that_split_on_one_item(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "person           Pat Okafor, person who draws on care and support" in out
    asked = Contributor.objects.filter(user__username__in=["person", "carer"])
    assert sorted(asked.values_list("perspective", flat=True)) == ["carer", "person_supported"]
    assessment = asked.first().assessment
    assert assessment.status == "draft"
    assert not asked.first().user.memberships.exists()
    spreads = contributions.spreads(assessment.pk)
    assert sorted(s.agreement for s in spreads.values()) == ["agreed", "agreed", "split"]
    assert Contribution.objects.filter(assessment=assessment).count() == 7
