"""The filter drop-downs of the list pages: labels, the chosen value, escaping."""

import pytest
from django.urls import reverse

from .. import factories as f

pytestmark = pytest.mark.django_db


def test_gap_register_partner_drop_down_keeps_the_choice_and_escapes_names(site, as_user):
    w = site.world
    odd = f.PartnerFactory(name="Tom & Jerry <Care>")
    w.programme.partners.add(odd)
    page = as_user(w.manager)

    html = page.get(reverse("web:gaps", args=[w.programme.pk]),
                    {"partner": w.partner_b.pk}).content.decode()

    assert '<label class="nhsuk-label" for="id_partner">Partner</label>' in html
    assert '<option value="" >' not in html and '<option value="">Any partner</option>' in html
    assert f'<option value="{w.partner_b.pk}" selected>{w.partner_b.name}</option>' in html
    assert f'<option value="{w.partner_a.pk}">{w.partner_a.name}</option>' in html
    assert f'<option value="{odd.pk}">Tom &amp; Jerry &lt;Care&gt;</option>' in html
    assert '<option value="open" selected>Open</option>' in html  # the default status


def test_gap_register_ignores_a_partner_of_another_programme(site, as_user):
    w = site.world
    stranger = f.PartnerFactory(name="Elsewhere Trust")
    response = as_user(w.manager).get(reverse("web:gaps", args=[w.programme.pk]),
                                      {"partner": stranger.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Elsewhere Trust" not in html and "0 gaps" in html
