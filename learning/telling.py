"""Who hears of a step in a booking, and what they read (DESIGN.md, "Training operations").

Each step tells the other side: a request reaches those who approve it and the
provider, an approval the provider's people and the need's partner, a confirmation, a
refusal or a freed place the people who booked. The person who took the step is never
told of it. Each step is an event (``EVENT_KINDS``), published in the step's transaction
and told by its consumers after commit; notifications are keyed by kind, subject and
day, so a step taken once is told once however often a job or a page repeats it.
"""

from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from core.links import page_link
from notifications import events
from notifications.events import Notice
from programmes import audience
from programmes.models import Membership

from .models import LearningNeed, Placement, TrainingOffer, TrainingSession

REQUESTED = "placement_requested"
APPROVED = "placement_approved"
CONFIRMED = "placement_confirmed"
DECLINED = "placement_declined"
CANCELLED = "placement_cancelled"
PROMOTED = "placement_promoted"
NEED_MET = "learning_need_met"
OFFER_WITHDRAWN = "offer_withdrawn"
OFFER_PROPOSED = "offer_proposed"

# The event of each kind of notice.
EVENT_KINDS = {
    REQUESTED: "placement.requested",
    APPROVED: "placement.approved",
    CONFIRMED: "placement.confirmed",
    DECLINED: "placement.declined",
    CANCELLED: "placement.cancelled",
    PROMOTED: "placement.promoted",
    NEED_MET: "need.met",
    OFFER_WITHDRAWN: "offer.withdrawn",
    OFFER_PROPOSED: "offer.proposed",
}


def need_link(need_id: int) -> str:
    return page_link("web:learning-need", need_id)


def offer_bookings_link(offer_id: int) -> str:
    """The provider's page of an offer's bookings."""
    return page_link("web:offer-bookings", offer_id)


def when(session: TrainingSession) -> str:
    """A session's date in words: "12 January 2027", or "at any time" with no date."""
    if session.starts_at is None:
        return "at any time"
    return f"on {timezone.localtime(session.starts_at):%-d %B %Y}"


def places(count: int) -> str:
    return f"{count} place" if count == 1 else f"{count} places"


def _active(**filters) -> set[int]:
    return set(Membership.objects.active().filter(**filters).values_list("user_id", flat=True))


def partner_leads(need: LearningNeed) -> set[int]:
    return set(audience.partner_leads(need.programme_id, need.partner_id))


def leads_of(keys) -> dict[tuple[int, int], set[int]]:
    """The partner leads of several (programme, partner) pairs, read at once."""
    keys = set(keys)
    found: dict[tuple[int, int], set[int]] = {key: set() for key in keys}
    if not keys:
        return found
    rows = Membership.objects.active().filter(
        role=Membership.Role.PARTNER_LEAD, programme_id__in={k[0] for k in keys},
        partner_id__in={k[1] for k in keys}).values_list("programme_id", "partner_id", "user_id")
    for programme_id, partner_id, user_id in rows:
        if (programme_id, partner_id) in found:
            found[programme_id, partner_id].add(user_id)
    return found


def approvers(need: LearningNeed) -> set[int]:
    """The need's partner leads and the programme's managers."""
    return partner_leads(need) | set(audience.managers(need.programme_id))


def bookers(placement: Placement) -> set[int]:
    """The person who asked for the places and the need's partner leads."""
    ids = partner_leads(placement.learning_need)
    if placement.requested_by_id:
        ids.add(placement.requested_by_id)
    return ids


def providers(offer: TrainingOffer, programme_id: int) -> set[int]:
    """The provider's people in the programme of the booking (in any programme if it has
    none there)."""
    found = _active(programme_id=programme_id, role=Membership.Role.LEARNING_PROVIDER,
                    partner_id=offer.provider_id)
    return found or _active(role=Membership.Role.LEARNING_PROVIDER, partner_id=offer.provider_id)


def request_recipients(need: LearningNeed, offer: TrainingOffer) -> set[int]:
    """Who hears of a request for places: ``approvers(need) | providers(offer, ...)``,
    read in one query (a second only when the provider has nobody in the programme)."""
    S = Membership.Role
    rows = list(Membership.objects.active().filter(
        Q(role=S.MANAGER) | Q(role=S.PARTNER_LEAD, partner_id=need.partner_id)
        | Q(role=S.LEARNING_PROVIDER, partner_id=offer.provider_id),
        programme_id=need.programme_id).values_list("user_id", "role"))
    found = {user_id for user_id, _ in rows}
    if not any(role == S.LEARNING_PROVIDER for _, role in rows):
        found |= _active(role=S.LEARNING_PROVIDER, partner_id=offer.provider_id)
    return found


def need_data(need: LearningNeed) -> dict:
    return {"id": need.pk, "programme": need.programme_id, "partner": need.partner_id,
            "topic": need.topic, "staff_group": need.staff_group, "status": need.status,
            "link": need_link(need.pk)}


def placement_data(placement: Placement) -> dict:
    return {"id": placement.pk, "learning_need": placement.learning_need_id,
            "training_offer": placement.training_offer_id,
            "offer_title": placement.training_offer.title, "places": placement.places,
            "session": placement.session_id, "status": placement.status,
            "link": need_link(placement.learning_need_id)}


def tell(recipients: Iterable[int], *, actor, kind: str, subject_type: str, subject_id: int,
         message: str, link: str, programme, data: dict | None = None,
         also: Iterable[Notice] = ()) -> None:
    """Publish the step's event, telling each recipient but the actor (and ``also``, in
    other words, others: each person once)."""
    first = sorted(set(recipients))
    others = [Notice(kind=n.kind, recipients=[r for r in n.recipients if r not in first],
                     message=n.message, link=n.link) for n in also]
    events.publish(EVENT_KINDS[kind], programme=programme, subject_type=subject_type,
                   subject_id=subject_id, actor=actor, data=data or {},
                   notices=[Notice(kind=kind, recipients=first, message=message, link=link),
                            *others])


def tell_need(need: LearningNeed, recipients: Iterable[int], *, actor, kind: str,
              message: str) -> None:
    tell(recipients, actor=actor, kind=kind, subject_type="learning_need", subject_id=need.pk,
         message=message, link=need_link(need.pk), programme=need.programme,
         data=need_data(need))


def tell_placement(placement: Placement, recipients: Iterable[int], *, actor, kind: str,
                   message: str, link: str | None = None, also: Iterable[Notice] = ()) -> None:
    tell(recipients, actor=actor, kind=kind, subject_type="placement",
         subject_id=placement.pk, message=message,
         link=link or need_link(placement.learning_need_id),
         programme=placement.learning_need.programme, data=placement_data(placement),
         also=also)


def describe(placement: Placement) -> str:
    """“the booking of 3 places on ‘Dementia awareness’ on 12 January 2027 for Riverside
    Home Care (dementia care)”: one booking, so the sentence reads the same for one place."""
    need = placement.learning_need
    return (f"the booking of {places(placement.places)} on “{placement.training_offer.title}” "
            f"{when(placement.session)} for {need.partner.name} ({need.topic})")


def describe_first(placement: Placement) -> str:
    """``describe`` at the start of a sentence."""
    text = describe(placement)
    return text[0].upper() + text[1:]
