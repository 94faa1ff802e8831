"""The demo programme that ``make run`` shows."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from programmes.models import Assessment, AssessmentCycle, Gap, Membership, Partner, Programme

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Programme, Partner, Membership, AssessmentCycle, Assessment, Gap,
                      get_user_model())
    }


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

    # when it runs again, nothing new is created
    before = counts()
    call_command("seed_demo")
    assert counts() == before
