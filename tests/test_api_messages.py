"""The API says what to send instead, in plain English: its own words for the mistakes
DRF and the token library find, never theirs."""

import pytest
from rest_framework.test import APIClient

from actions.models import Action

DRF_WORDING = ("This field is required.", "Date has wrong format", "A valid integer",
               "Invalid pk", "Incorrect type", "is not a valid choice",
               "Authentication credentials", "Invalid token", "You do not have permission",
               "Not found.", "matches the given query", "Unsupported media type",
               "JSON parse error", "Malformed request")


def _no_drf_wording(body) -> None:
    text = str(body)
    assert not [w for w in DRF_WORDING if w in text], text


def test_a_new_action_with_every_field_wrong_is_refused_in_plain_words(api, world):
    # when a manager sends an action with no title, a date in the wrong order, an owner
    # who does not exist and a programme id that is not a number
    answer = api.as_user(world.manager).post("/api/v1/actions/", {
        "programme": "the first one", "due_date": "31/03/2027", "owner": 999999,
    }, format="json")

    # then each field says what to send instead, and nothing is written
    assert answer.status_code == 400
    body = answer.json()
    assert body["title"] == ["This is required: give a value."]
    assert body["due_date"] == ["Give a real date, as year-month-day, like 2027-03-31."]
    assert body["owner"] == ["There is no record with id 999999 that you can use here."]
    assert body["programme"] == ["Give the record's id as a number."]
    _no_drf_wording(body)
    assert not Action.objects.exists()


def test_numbers_lengths_and_choices_keep_their_limits_in_the_message(api, world):
    answer = api.as_user(world.manager).post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "x" * 1000, "status": "finished",
    }, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["title"][0].startswith("Keep this to ")
    assert body["title"][0].endswith(" characters or fewer.")
    assert body["status"] == ['"finished" is not one of the values this field takes.']
    _no_drf_wording(body)


@pytest.mark.parametrize(("send", "status", "detail"), [
    (lambda c: c.get("/api/v1/actions/"), 401, "Sign in first: send your API token"),
    (lambda c: c.get("/api/v1/actions/", HTTP_AUTHORIZATION="Token nonsense"), 401,
     "This token is not valid"),
])
def test_a_request_without_a_good_token_is_told_how_to_get_one(world, send, status, detail):
    answer = send(APIClient())
    assert answer.status_code == status
    assert answer.json()["detail"].startswith(detail)
    assert "/api/v1/auth/token/" in answer.json()["detail"]
    _no_drf_wording(answer.json())


def test_wrong_addresses_methods_and_bodies_are_explained(api, world):
    client = api.as_user(world.manager)
    missing = client.get("/api/v1/actions/999999/")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("There is nothing here, or nothing you can see")

    method = client.put("/api/v1/programmes/", {}, format="json")
    assert method.status_code == 405
    assert method.json()["detail"].startswith("PUT is not allowed at this address.")

    media = client.post("/api/v1/actions/", "title=x", content_type="text/plain")
    assert media.status_code == 415
    assert media.json()["detail"].startswith("This address does not take a text/plain body.")

    broken = client.post("/api/v1/actions/", '{"title": ', content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["detail"] == ("The body is not valid JSON. Check its quotes, "
                                       "commas and brackets.")
    for answer in (missing, method, media, broken):
        _no_drf_wording(answer.json())
    assert not Action.objects.exists()


def test_the_services_own_refusals_keep_their_words(api, world):
    # a partner lead may not add an action for another partner: the service's sentence
    answer = api.as_user(world.lead_a).post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "Run the induction",
        "owner_partner": world.partner_b.pk}, format="json")
    assert answer.status_code in (400, 403)
    assert "You are not allowed to do this." not in str(answer.json())
    _no_drf_wording(answer.json())
