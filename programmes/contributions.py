"""Several voices on one assessment (DESIGN.md, "Consensus, evidence and co-production").

A partner lead (or a manager) asks people to rate items of a draft assessment: staff,
managers, people who draw on care, carers, partner organisations. Each contributor rates
the items they are asked about, with a comment. Per item, the spread of their ratings
shows whether they agree (every rating within one step of the others on met > partly
met > not met) or split; the lead then records the agreed rating on the response, with
a ``consensus_note`` where they split, before the assessment can be submitted.

Asking by e-mail (a person with no account yet) goes through the people app's
invitations, which call :func:`contributor_add` once the person has an account.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import integrity
from core.errors import Conflict, DomainError, InvalidTransition
from core.links import page_link
from notifications import events
from notifications.events import Notice

from . import access
from .models import (
    Assessment,
    ChecklistItem,
    Contribution,
    Contributor,
    Perspective,
    Rating,
    Response,
)

ASK_REFUSED = ("Only the programme's managers and this partner's leads can ask people to "
               "contribute to its assessment.")
CONTRIBUTE_REFUSED = "You have not been asked to rate this item of this assessment."
CLOSED = ("This assessment has been submitted: its contributions can no longer be "
          "changed.")

# met > partly met > not met; not applicable stands outside the scale.
STEP = {Rating.MET: 2, Rating.PARTLY_MET: 1, Rating.NOT_MET: 0}
AGREED, SPLIT = "agreed", "split"


def agreement(ratings) -> str | None:
    """``agreed`` when every scaled rating is within one step of the others, ``split``
    when they are further apart, ``None`` with no scaled rating at all."""
    steps = [STEP[r] for r in ratings if r in STEP]
    if not steps:
        return None
    return AGREED if max(steps) - min(steps) <= 1 else SPLIT


@dataclass
class Spread:
    """The contributions to one item: how many gave each rating, and whether they agree."""

    counts: dict[str, int]
    agreement: str | None
    total: int

    @property
    def split(self) -> bool:
        return self.agreement == SPLIT


def spread_of(ratings) -> Spread:
    ratings = list(ratings)
    counted = Counter(ratings)
    return Spread(counts={r: counted.get(r, 0) for r in Rating.values},
                  agreement=agreement(ratings), total=len(ratings))


def spreads(assessment_id: int) -> dict[int, Spread]:
    """{checklist item id: its spread} for the assessment's contributed items, one query."""
    by_item: dict[int, list[str]] = defaultdict(list)
    rows = Contribution.objects.filter(assessment_id=assessment_id).values_list(
        "checklist_item_id", "rating")
    for item_id, rating in rows:
        by_item[item_id].append(rating)
    return {item_id: spread_of(ratings) for item_id, ratings in by_item.items()}


def spreads_for(pairs) -> dict[tuple[int, int], Spread]:
    """{(assessment id, item id): spread} for the given pairs, in one query (the responses
    of one page of the API). A pair nobody contributed to is left out."""
    pairs = set(pairs)
    if not pairs:
        return {}
    by_pair: dict[tuple[int, int], list[str]] = defaultdict(list)
    rows = Contribution.objects.filter(
        assessment_id__in={a for a, _ in pairs},
        checklist_item_id__in={i for _, i in pairs}).values_list(
        "assessment_id", "checklist_item_id", "rating")
    for assessment_id, item_id, rating in rows:
        if (assessment_id, item_id) in pairs:
            by_pair[(assessment_id, item_id)].append(rating)
    return {pair: spread_of(ratings) for pair, ratings in by_pair.items()}


def spread_of_response(response: Response, known: dict | None = None) -> Spread:
    """The spread of the contributions to a response's item (``known`` from
    :func:`spreads_for`, else one query)."""
    pair = (response.assessment_id, response.checklist_item_id)
    if known is None:
        known = spreads_for([pair])
    return known.get(pair) or spread_of([])


def needing_consensus(assessment: Assessment) -> list[ChecklistItem]:
    """Items whose contributions split and whose answer has no ``consensus_note`` yet."""
    split_ids = [item_id for item_id, s in spreads(assessment.pk).items() if s.split]
    if not split_ids:
        return []
    noted = set(Response.objects.filter(assessment=assessment, checklist_item_id__in=split_ids)
                .exclude(consensus_note="").values_list("checklist_item_id", flat=True))
    return list(ChecklistItem.objects.filter(pk__in=set(split_ids) - noted)
                .select_related("principle").order_by("principle__number", "order"))


# Who may contribute ---------------------------------------------------------------------


def invites_of(user, assessment_id: int):
    """The user's current invitations to contribute to the assessment."""
    return Contributor.objects.filter(assessment_id=assessment_id, user_id=user.pk,
                                      removed_at__isnull=True)


def asked_items(contributor: Contributor):
    """The active items the contributor is asked about (all of the framework's by default)."""
    chosen = contributor.checklist_items.all()
    items = ChecklistItem.objects.filter(is_active=True)
    if chosen.exists():
        return items.filter(pk__in=chosen.values("pk")).select_related("principle").order_by(
            "principle__number", "order")
    framework_id = contributor.assessment.cycle.programme.framework_id
    return items.filter(principle__framework_id=framework_id).select_related(
        "principle").order_by("principle__number", "order")


def perspective_for(user, assessment: Assessment, item: ChecklistItem,
                    perspective: str | None) -> str:
    """The perspective a contribution is given from, or PermissionDenied.

    An invited contributor speaks from the perspective they were asked for, on the items
    they were asked about. Those who may answer the assessment (its partner's leads and
    the managers) may also contribute, choosing their perspective (``staff`` unless said).
    """
    invite = next((c for c in invites_of(user, assessment.pk).prefetch_related(
        "checklist_items") if _asks_about(c, item)), None)
    if invite is not None:
        if perspective and perspective != invite.perspective:
            raise DomainError(f"You were asked to contribute as "
                              f"{invite.get_perspective_display().lower()}.",
                              field="perspective")
        return invite.perspective
    programme_id = assessment.cycle.programme_id
    access.require(access.can_answer_assessment(user, programme_id, assessment.partner_id),
                   CONTRIBUTE_REFUSED)
    perspective = perspective or Perspective.STAFF
    if perspective not in Perspective.values:
        raise DomainError("Choose whose point of view this is: member of staff, manager, "
                          "person who draws on care, carer, partner organisation or other.",
                          field="perspective")
    return perspective


def _asks_about(contributor: Contributor, item: ChecklistItem) -> bool:
    chosen = {i.pk for i in contributor.checklist_items.all()}
    return not chosen or item.pk in chosen


def can_contribute(user, assessment: Assessment) -> bool:
    """Whether the user may rate anything of this assessment (invited, or may answer it)."""
    if not user.is_authenticated:
        return False
    return invites_of(user, assessment.pk).exists() or access.can_answer_assessment(
        user, assessment.cycle.programme_id, assessment.partner_id)


def _lock_open(assessment_id: int) -> Assessment:
    assessment = (Assessment.objects.select_for_update(of=("self",))
                  .select_related("cycle__programme", "partner").get(pk=assessment_id))
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(CLOSED)
    if assessment.cycle.closed_at is not None:
        from .services import _require_cycle_not_closed

        _require_cycle_not_closed(assessment.cycle_id)
    return assessment


def _check_item(assessment: Assessment, item: ChecklistItem) -> None:
    if item.principle.framework_id != assessment.cycle.programme.framework_id:
        raise DomainError("This checklist item is not in the programme's framework.",
                          field="checklist_item")
    if not item.is_active:
        raise DomainError("This checklist item has been retired.", field="checklist_item")


# Asking people ----------------------------------------------------------------------------


def _check_items(assessment: Assessment, items) -> list[ChecklistItem]:
    items = list(items or [])
    for item in items:
        _check_item(assessment, item)
    return items


@transaction.atomic
def contributor_add(*, actor, assessment: Assessment, user, perspective: str,
                    checklist_items=(), invited_by=None, tell: bool = True) -> Contributor:
    """Ask a person with an account to rate items of a draft (all items by default).

    ``actor`` is the lead or manager asking; the people app calls this with
    ``invited_by`` set (and the accepting person as ``actor``) when an e-mailed
    invitation is accepted, so that the original asker's right is what counts.
    """
    asker = invited_by or actor
    access.require(access.can_answer_assessment(asker, assessment.cycle.programme_id,
                                                assessment.partner_id), ASK_REFUSED)
    if perspective not in Perspective.values:
        raise DomainError("Choose whose point of view this person gives: member of staff, "
                          "manager, person who draws on care, carer, partner organisation "
                          "or other.", field="perspective")
    assessment = _lock_open(assessment.pk)
    items = _check_items(assessment, checklist_items)
    if not user.is_active:
        raise DomainError("This account is no longer active.", field="user")
    existing = Contributor.objects.select_for_update().filter(
        assessment=assessment, user=user).first()
    if existing is not None and existing.removed_at is None:
        raise Conflict("This person is already asked to contribute to this assessment.",
                       field="user")
    contributor = existing or Contributor(assessment=assessment, user=user)
    contributor.perspective = perspective
    contributor.email = user.email or ""
    contributor.invited_by = asker
    contributor.removed_at = None
    contributor.full_clean(exclude=["checklist_items"], validate_unique=False)
    with integrity.translated():
        contributor.save()
    contributor.checklist_items.set(items)
    if tell and user.pk != asker.pk:
        programme = assessment.cycle.programme
        events.publish(
            "contribution.requested", programme=programme, subject_type="assessment",
            subject_id=assessment.pk, actor=asker,
            data={"assessment": assessment.pk, "contributor": contributor.pk},
            notices=[Notice(
                kind="contribution_requested", recipients=[user.pk],
                link=page_link("web:contribute", contributor.pk),
                message=(f"{asker.get_full_name() or asker.username} asks for your views on "
                         f"{assessment.partner.name}'s self-assessment in "
                         f"{programme.name}."))])
    return contributor


@transaction.atomic
def contributor_remove(*, actor, contributor: Contributor) -> Contributor:
    """Stop asking a person; what they have already contributed stays."""
    assessment = contributor.assessment
    access.require(access.can_answer_assessment(actor, assessment.cycle.programme_id,
                                                assessment.partner_id), ASK_REFUSED)
    _lock_open(assessment.pk)
    contributor = Contributor.objects.select_for_update().get(pk=contributor.pk)
    if contributor.removed_at is not None:
        raise InvalidTransition("This person is no longer asked to contribute.")
    contributor.removed_at = timezone.now()
    contributor.save(update_fields=["removed_at"])
    return contributor


# Contributing ----------------------------------------------------------------------------


@transaction.atomic
def contribution_save(*, actor, assessment: Assessment, checklist_item: ChecklistItem,
                      rating: str, comment: str = "",
                      perspective: str | None = None) -> Contribution:
    """Record (or change) the actor's rating of one item of a draft, with a comment."""
    assessment = _lock_open(assessment.pk)
    _check_item(assessment, checklist_item)
    perspective = perspective_for(actor, assessment, checklist_item, perspective)
    if rating not in Rating.values:
        raise DomainError("Choose a rating: met, partly met, not met or not applicable.",
                          field="rating")
    contribution = Contribution.objects.select_for_update().filter(
        assessment=assessment, checklist_item=checklist_item, contributor=actor).first()
    if contribution is None:
        contribution = Contribution(assessment=assessment, checklist_item=checklist_item,
                                    contributor=actor)
    contribution.perspective = perspective
    contribution.rating = rating
    contribution.comment = (comment or "").strip()
    contribution.full_clean(validate_unique=False)
    with integrity.translated():  # the same person's second tab a moment ago
        contribution.save()
    return contribution


@transaction.atomic
def contribution_delete(*, actor, contribution: Contribution) -> None:
    """A contributor takes back their own rating while the assessment is a draft."""
    access.require(contribution.contributor_id == actor.pk,
                   "Only the person who gave a rating can take it back.")
    _lock_open(contribution.assessment_id)
    Contribution.objects.filter(pk=contribution.pk).delete()
