"""The webhooks' payloads in the OpenAPI description: one schema and one entry per event.

A drf-spectacular postprocessing hook. OpenAPI 3.1 has a top-level ``webhooks``; the
service's description is OpenAPI 3.0 (``OAS_VERSION``), where Redoc and other tools read
the same entries under ``x-webhooks``. The hook writes whichever the version has.
"""

from .delivery import USER_AGENT
from .kinds import EVENTS, TEST_EVENT

_str = {"type": "string"}
_int = {"type": "integer"}
_link = {"type": "string", "description": "The page of the item in the service."}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


_GAP = {
    "id": _int, "programme": _int, "partner": _int, "partner_name": _str,
    "checklist_item": {"type": "string", "description": "The checklist item's code."},
    "principle": {"type": "integer", "description": "The principle's number."},
    "severity": {"type": "string", "enum": ["low", "medium", "high"]},
    "status": _str, "link": _link,
}
_ACTION = {
    "id": _int, "programme": _int, "title": _str, "status": _str, "priority": _str,
    "owner": _nullable(_int), "owner_partner": _nullable(_int), "gap": _nullable(_int),
    "due_date": _nullable({"type": "string", "format": "date"}), "link": _link,
}
DATA: dict[str, dict] = {
    "gap.opened": _GAP,
    "gap.closed": _GAP,
    "assessment.submitted": {
        "id": _int, "programme": _int, "partner": _int, "partner_name": _str, "cycle": _int,
        "cycle_name": _str, "submitted_at": {"type": "string", "format": "date-time"},
        "gaps_opened": _int, "gaps_closed": _int, "closures_proposed": _int, "link": _link,
    },
    "action.created": _ACTION,
    "action.updated": {**_ACTION, "changed": {
        "type": "array", "items": _str, "description": "The fields that changed."}},
    "action.done": _ACTION,
    "placement.confirmed": {
        "id": _int, "learning_need": _int, "training_offer": _int, "offer_title": _str,
        "places": _int, "session": _nullable(_int), "status": _str, "link": _link,
    },
    "need.met": {
        "id": _int, "programme": _int, "partner": _int, "topic": _str, "staff_group": _str,
        "status": _str, "link": _link,
    },
    TEST_EVENT: {"webhook": _int, "message": _str},
}

HEADERS = {
    "X-Tracker-Event": ("The event's kind, as in the body's ``event``.", _str),
    "X-Tracker-Delivery": ("The delivery's id, as in the body's ``id``: the same on "
                           "every retry, so a receiver can ignore one it has seen.", _str),
    "X-Tracker-Signature": ("``sha256=`` and the hex HMAC-SHA256 of the exact body bytes, "
                            "keyed with the webhook's secret. Compare it in constant time.",
                            {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"}),
    "User-Agent": ("The service's name and version.", {"type": "string",
                                                        "example": USER_AGENT}),
}


def _name(kind: str) -> str:
    return "Webhook" + "".join(part.capitalize() for part in kind.replace(".", "_").split("_"))


def payload_schema(kind: str) -> dict:
    return {
        "type": "object",
        "required": ["id", "event", "created_at", "programme", "data"],
        "properties": {
            "id": {"type": "integer", "description": "The delivery's id."},
            "event": {"type": "string", "enum": [kind]},
            "created_at": {"type": "string", "format": "date-time"},
            "programme": {"type": "object", "required": ["id", "name"],
                          "properties": {"id": _int, "name": _str}},
            "data": {"type": "object", "properties": DATA[kind],
                     "required": [k for k in DATA[kind] if k != "changed"]},
        },
    }


def document_webhooks(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    entries = {}
    for kind in [*EVENTS, TEST_EVENT]:
        schemas[_name(kind)] = payload_schema(kind)
        label = EVENTS.get(kind, "A test event, sent from the webhook's page or its API")
        entries[kind] = {"post": {
            "summary": label,
            "description": (
                f"POSTed as JSON to the webhook's address when {label[0].lower()}"
                f"{label[1:]}. Answer with any 2xx within 10 seconds; anything else (a "
                "redirect included, which is not followed) is retried after 60 s, "
                "doubling up to an hour, 8 tries in all. 20 failed tries in a row turn "
                "the webhook off and tell its owner."),
            "operationId": f"webhook_{kind.replace('.', '_')}",
            "tags": ["webhooks"],
            "parameters": [
                {"name": name, "in": "header", "required": True, "description": text,
                 "schema": schema}
                for name, (text, schema) in HEADERS.items()
            ],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{_name(kind)}"}}}},
            "responses": {"200": {"description": "Received (any 2xx will do)."}},
        }}
    key = "webhooks" if str(result.get("openapi", "")).startswith("3.1") else "x-webhooks"
    result[key] = entries
    return result
