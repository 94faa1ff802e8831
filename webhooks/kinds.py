"""The events a webhook may subscribe to (DESIGN.md, "Events, escalation and webhooks")."""

EVENTS: dict[str, str] = {
    "assessment.submitted": "A self-assessment is submitted",
    "gap.opened": "A gap is opened",
    "gap.closed": "A gap is closed",
    "action.created": "An action is added",
    "action.updated": "An action is changed",
    "action.done": "An action is done",
    "placement.confirmed": "A booking is confirmed",
    "need.met": "A learning need is met",
}

TEST_EVENT = "webhook.test"
