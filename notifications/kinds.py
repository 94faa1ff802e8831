"""Every kind of notification the service sends, in the groups the settings page shows.

Each person chooses, per kind, how its e-mail comes: straight away, in the weekly digest,
or not at all (the in-app notification is always made). A kind not listed here is told
straight away. ``KINDS`` is the one catalogue: the settings page and the API offer
exactly these, and a test checks that every kind the service tells is one of them.
"""

IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
CHOICES = [(IMMEDIATE, "Straight away"), (DIGEST, "In the weekly digest"), (OFF, "Do not e-mail")]

# group heading -> [(kind, what it is, in words)]
GROUPS: dict[str, list[tuple[str, str]]] = {
    "Your actions": [
        ("action_assigned", "An action is given to you"),
        ("action_due_in_7_days", "An action of yours is due in 7 days"),
        ("action_due_tomorrow", "An action of yours is due tomorrow"),
        ("action_overdue", "An action of yours is overdue"),
    ],
    "Work across the programme": [
        ("action_blocked", "An action is blocked (managers)"),
        ("action_escalated_to_leads", "An action of your partner is overdue (partner leads)"),
        ("action_escalated_to_managers", "An action is long overdue (managers)"),
        ("contribution_requested", "Your views are asked for"),
    ],
    "Assessments and gaps": [
        ("assessment_due", "A self-assessment is due"),
        ("assessment_submitted", "A partner submitted a self-assessment (managers)"),
        ("gaps_opened", "A submission opened gaps for your partner"),
        ("gaps_closed", "A submission closed gaps for your partner"),
        ("gap_opened", "A gap is opened by hand"),
        ("gap_closed", "A gap is closed"),
        ("gap_reopened", "A gap is reopened"),
        ("gap_closure_proposed", "A gap is proposed for closure with work still open"),
    ],
    "Training and bookings": [
        ("placement_requested", "Places are asked for on a booking"),
        ("placement_approved", "A booking is approved"),
        ("placement_confirmed", "A booking is confirmed"),
        ("placement_declined", "A booking is declined"),
        ("placement_promoted", "A booking moves off the waiting list"),
        ("placement_cancelled", "A booking is cancelled"),
        ("offer_withdrawn", "An offer you booked is withdrawn"),
        ("offer_proposed", "An offer is proposed for your learning need"),
        ("learning_need_met", "A learning need is met"),
    ],
    "Your webhooks": [
        ("webhook_disabled", "A webhook of yours is turned off after failing"),
    ],
}

KINDS: dict[str, str] = {kind: label for items in GROUPS.values() for kind, label in items}
GROUP_OF: dict[str, str] = {kind: group for group, items in GROUPS.items() for kind, _ in items}
