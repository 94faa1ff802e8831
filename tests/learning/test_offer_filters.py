"""Training offers filtered by ``format``, the word DRF also reads to choose a renderer."""

import pytest

from .. import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(world):
    return {
        "workshop": f.TrainingOfferFactory(provider=world.provider, format="workshop"),
        "coaching": f.TrainingOfferFactory(provider=world.provider, format="coaching"),
    }


def test_format_filter_returns_only_offers_of_that_format(api, world, offers):
    # given a manager
    client = api.as_user(world.manager)

    # when they ask for coaching offers
    response = client.get("/api/v1/training-offers/", {"format": "coaching"})

    # then they get the coaching offer, as JSON
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert [o["id"] for o in response.json()["results"]] == [offers["coaching"].pk]


def test_an_unknown_format_is_a_400_naming_the_filter(api, world, offers):
    response = api.as_user(world.manager).get("/api/v1/training-offers/", {"format": "juggling"})

    assert response.status_code == 400
    assert "format" in response.json()


def test_format_json_still_chooses_the_renderer(api, world, offers):
    response = api.as_user(world.manager).get("/api/v1/training-offers/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["count"] == 2
