"""The payload of every webhook event is in the OpenAPI description."""

import pytest

from webhooks.kinds import EVENTS, TEST_EVENT

pytestmark = pytest.mark.django_db


def test_each_event_has_its_payload_schema_and_headers(client, world):
    client.force_login(world.manager)
    answer = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    schema = answer.json()
    entries = schema["x-webhooks"]
    assert set(entries) == {*EVENTS, TEST_EVENT}
    gap = entries["gap.opened"]["post"]
    assert {p["name"] for p in gap["parameters"]} >= {
        "X-Tracker-Event", "X-Tracker-Delivery", "X-Tracker-Signature"}
    ref = gap["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    payload = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert payload["properties"]["event"]["enum"] == ["gap.opened"]
    assert set(payload["properties"]["data"]["properties"]) == {
        "id", "programme", "partner", "partner_name", "checklist_item", "principle",
        "severity", "status", "link"}
    updated = schema["components"]["schemas"]["WebhookActionUpdated"]
    assert "changed" in updated["properties"]["data"]["properties"]
