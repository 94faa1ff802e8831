"""``partners_progress`` (one grouped pass, used by the nightly snapshot) gives each
partner exactly what ``programme_progress(partner_id=...)`` gives."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from programmes.models import Programme
from programmes.progress import partners_progress, programme_progress

from .test_progress import worked  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def without_clock(figures):
    return {k: v for k, v in figures.items() if k != "as_of"}


def assert_same_for_every_partner(programme, today):
    grouped = partners_progress(programme=programme, today=today)
    assert set(grouped) == set(programme.partners.values_list("pk", flat=True))
    for partner_id, figures in grouped.items():
        one = programme_progress(programme=programme, partner_id=partner_id, today=today)
        assert without_clock(figures) == without_clock(one)


def test_grouped_figures_match_the_single_partner_ones(worked):  # noqa: F811
    for programme in Programme.objects.all():
        assert_same_for_every_partner(programme, timezone.localdate())


def test_grouped_figures_match_on_a_generated_data_set():
    call_command("generate_dataset", "--scale", "small", "--no-progress", stdout=StringIO())
    programmes = list(Programme.objects.all())
    assert programmes
    for programme in programmes:
        assert_same_for_every_partner(programme, timezone.localdate())
        assert any(f["overall"]["actions"] for f in
                   partners_progress(programme=programme).values())
