"""The "Needs we could meet" page, and proposing an offer from it."""

import pytest
from django.urls import reverse

from learning.models import OfferProposal

pytestmark = pytest.mark.django_db


def test_the_page_lists_the_needs_and_proposes_an_offer(as_user, world, demand):
    client = as_user(world.provider_user)
    need, offer = demand["need"], demand["offer"]

    page = client.get(reverse("web:demand"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Needs we could meet" in html and "Alpha Council" in html
    assert "Meant for home care workers" in html and "Plumbing" not in html
    action = reverse("web:offer-propose", args=[need.pk, offer.pk])
    assert action in html

    done = client.post(action, {"message": "Places in March"}, follow=True)

    assert "proposed for Alpha Council’s need “Dementia awareness”" in done.content.decode()
    assert OfferProposal.objects.get().message == "Places in March"
    assert action not in done.content.decode()
    need_page = as_user(world.lead_a).get(reverse("web:learning-need", args=[need.pk]))
    assert "Places in March" in need_page.content.decode()


def test_the_page_says_so_when_nothing_matches(as_user, world):
    page = as_user(world.provider_user).get(reverse("web:demand"))

    assert "matches its published offers at the moment" in page.content.decode()


def test_the_page_is_for_providers(as_user, world):
    assert as_user(world.lead_a).get(reverse("web:demand")).status_code == 403
    assert reverse("web:demand") in as_user(world.provider_user).get(
        reverse("web:my-offers")).content.decode()
