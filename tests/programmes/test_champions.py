"""Champions: who may name, change and remove them, through the API and the services."""

import pytest

from programmes import services
from programmes.models import Champion

pytestmark = pytest.mark.django_db

URL = "/api/v1/champions/"


def body(world, partner=None, **extra):
    return {"programme": world.programme.pk, "partner": (partner or world.partner_a).pk,
            "principle": world.principles[0].pk, "name": "Ada Lovelace", **extra}


@pytest.mark.parametrize("who", ["manager", "lead_a"])
def test_a_manager_or_the_partners_lead_names_changes_and_removes_a_champion(api, world, who):
    client = api.as_user(getattr(world, who))
    created = client.post(URL, body(world, job_title="Care manager"), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = client.patch(f"{URL}{pk}/", {"job_title": "Registered manager"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["job_title"] == "Registered manager"
    removed = client.delete(f"{URL}{pk}/")
    assert removed.status_code == 204
    assert not Champion.objects.filter(pk=pk).exists()
    assert Champion.history.filter(id=pk, history_type="-").get().history_user == getattr(
        world, who)


@pytest.mark.parametrize("who", ["lead_b", "reviewer"])
def test_another_partners_lead_and_a_reviewer_are_refused(api, world, who):
    answer = api.as_user(getattr(world, who)).post(URL, body(world), format="json")
    assert answer.status_code == 403
    assert "partner's leads for their own partner" in answer.json()["detail"]
    assert not Champion.objects.exists()


def test_a_non_member_does_not_see_a_champion(api, world):
    champion = services.champion_create(actor=world.manager, programme=world.programme,
                                        partner=world.partner_a,
                                        principle=world.principles[0], name="Ada")
    answer = api.as_user(world.outsider).get(f"{URL}{champion.pk}/")
    assert answer.status_code == 404
    assert api.as_user(world.reviewer).get(f"{URL}{champion.pk}/").status_code == 200
    refused = api.as_user(world.reviewer).delete(f"{URL}{champion.pk}/")
    assert refused.status_code == 403


def test_the_same_champion_twice_is_a_conflict_in_plain_english(api, world):
    client = api.as_user(world.manager)
    assert client.post(URL, body(world), format="json").status_code == 201
    again = client.post(URL, body(world), format="json")
    assert again.status_code == 409
    assert again.json()["detail"] == ("This person is already a champion of this principle "
                                      "for this partner.")


def test_an_account_gives_the_name_and_must_be_a_member(api, world):
    world.lead_a.first_name, world.lead_a.last_name = "Grace", "Hopper"
    world.lead_a.save()
    client = api.as_user(world.manager)
    made = client.post(URL, body(world, name="", user=world.lead_a.pk), format="json")
    assert made.status_code == 201, made.content
    assert made.json()["name"] == "Grace Hopper"
    outsider = client.post(URL, body(world, name="", user=world.outsider.pk), format="json")
    assert outsider.status_code == 400


def test_the_export_has_the_rows(api, world):
    services.champion_create(actor=world.manager, programme=world.programme,
                             partner=world.partner_a, principle=world.principles[0],
                             name="Ada Lovelace")
    answer = api.as_user(world.reviewer).get(URL, {"format": "csv"})
    assert answer.status_code == 200
    text = (b"".join(answer.streaming_content) if answer.streaming else answer.content).decode()
    assert "Ada Lovelace" in text and "Alpha Council" in text
