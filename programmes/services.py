"""Writes of the programmes app: every rule that changes state lives here.

Functions are keyword-only and named ``<entity>_<verb>``; they validate with
``full_clean()`` before saving and raise the domain errors of ``errors.py``.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from simple_history.utils import get_change_reason_from_object

from core import integrity
from core.errors import (
    Conflict,
    ConsensusNeeded,
    CycleClosed,
    CycleNotOpen,
    DomainError,
    Incomplete,
    InvalidTransition,
)
from core.money import format_money
from core.versioning import lock_for_update

from . import access, contributions, evidence, publishing
from .models import (
    Assessment,
    AssessmentCycle,
    Champion,
    ChecklistItem,
    Framework,
    Gap,
    Membership,
    Partner,
    Principle,
    Programme,
    Rating,
    Response,
)

GAP_RATINGS = {Rating.NOT_MET: Gap.Severity.HIGH, Rating.PARTLY_MET: Gap.Severity.MEDIUM}


def _save(instance, fields: dict[str, Any] | None = None, *, exclude=None):
    """Apply ``fields``, validate the whole row, and save it."""
    for name, value in (fields or {}).items():
        setattr(instance, name, value)
    instance.full_clean(exclude=exclude, validate_unique=True)
    with integrity.translated():  # a write that raced past the validation above
        instance.save()
    return instance


# Frameworks ---------------------------------------------------------------


@dataclass
class FrameworkLoadResult:
    framework: Framework
    created: int = 0
    updated: int = 0
    retired: int = 0


@transaction.atomic
def framework_load(*, data: dict) -> FrameworkLoadResult:
    """Create or update a framework from its data file; idempotent.

    Items are matched by code. An item that the file no longer lists is marked
    inactive, never deleted, so answers given to it are kept.
    """
    framework, _ = Framework.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "title": data["title"],
            "publisher": data.get("publisher", ""),
            "version": str(data["version"]),
            "source": data.get("source", ""),
        },
    )
    result = FrameworkLoadResult(framework=framework)
    seen_codes = set()
    for p in data["principles"]:
        principle, _ = Principle.objects.update_or_create(
            framework=framework,
            number=p["number"],
            defaults={"title": p["title"], "summary": p.get("summary", "")},
        )
        for order, item in enumerate(p["items"], start=1):
            code = str(item["code"])
            seen_codes.add(code)
            existing = ChecklistItem.objects.filter(
                principle__framework=framework, code=code
            ).first()
            wanted = {
                "principle": principle, "text": item["text"], "order": order, "is_active": True,
            }
            if existing is None:
                ChecklistItem.objects.create(code=code, **wanted)
                result.created += 1
            elif any(getattr(existing, k) != v for k, v in wanted.items()):
                for k, v in wanted.items():
                    setattr(existing, k, v)
                existing.save()
                result.updated += 1
    result.retired = (
        ChecklistItem.objects.filter(principle__framework=framework, is_active=True)
        .exclude(code__in=seen_codes)
        .update(is_active=False)
    )
    return result


# Programmes, partners, memberships, cycles --------------------------------


MANAGERS_ONLY = "Only the programme's managers can change its {what}."


def _require_manager(actor, programme_id, what: str) -> None:
    access.require(access.can_manage_programme(actor, programme_id),
                   MANAGERS_ONLY.format(what=what))


@transaction.atomic
def programme_create(*, actor, partners=(), **fields) -> Programme:
    """Create a programme (programme creators and staff); a creator who is not staff
    becomes its first manager."""
    access.require(
        access.can_create_programme(actor),
        "Only programme creators can set up programmes: ask an administrator to add you "
        "to the \u201cProgramme creators\u201d group.",
    )
    programme = _save(Programme(**fields))
    programme.partners.set(partners)
    if not actor.is_staff:
        Membership.objects.create(programme=programme, user=actor, role=Membership.Role.MANAGER)
        access.forget_memberships(actor)
    return programme


@transaction.atomic
def programme_update(*, actor, programme: Programme, partners=None, **fields) -> Programme:
    access.require(access.can_manage_programme(actor, programme.pk),
                   "Only the programme's managers can change it.")
    if fields.get("framework") and fields["framework"] != programme.framework:
        if AssessmentCycle.objects.filter(programme=programme).exists():
            raise Conflict(
                "The framework cannot change once the programme has assessment cycles.",
                field="framework",
            )
    _save(programme, fields)
    if partners is not None:
        kept = {p.pk for p in partners}
        for partner in programme.partners.exclude(pk__in=kept).order_by("name"):
            held = _partner_work_in(programme, partner)
            if held:
                raise Conflict(
                    f"{partner.name} cannot leave the programme: it has "
                    + ", ".join(held) + " in it, which are kept for the record.",
                    field="partners",
                )
        programme.partners.set(partners)
    return programme


@transaction.atomic
def partner_create(*, actor, programme: Programme | None = None, **fields) -> Partner:
    """Add a partner to the directory (any programme manager); with ``programme``, also
    to that programme (its managers only)."""
    if programme is not None:
        _require_manager(actor, programme.pk, "partners")
    access.require(access.can_create_partner(actor),
                   "Only programme managers can add partners.")
    partner = _save(Partner(**fields))
    if programme is not None:
        programme.partners.add(partner)
    return partner


def partner_update(*, actor, partner: Partner, **fields) -> Partner:
    access.require(access.can_change_partner(actor, partner),
                   "Only the managers of a programme this partner is in can change it.")
    return _save(partner, fields)


@transaction.atomic
def programme_partner_add(*, actor, programme: Programme, partner: Partner) -> bool:
    """Add a partner to the programme; False when it was already in it."""
    _require_manager(actor, programme.pk, "partners")
    if programme.partners.filter(pk=partner.pk).exists():
        return False
    programme.partners.add(partner)
    return True


def _partner_work_in(programme: Programme, partner: Partner) -> list[str]:
    """What the partner has in the programme that would be left without its partner,
    read through the partner's relations (this app imports no app above it)."""
    held = []
    counts = [
        ("assessment", Assessment.objects.filter(cycle__programme=programme, partner=partner)),
        ("gap", Gap.objects.filter(programme=programme, partner=partner)),
        ("member", Membership.objects.active().filter(programme=programme, partner=partner)),
    ]
    for name, queryset in counts:
        n = queryset.count()
        if n:
            held.append(f"{n} {name}{'s' if n != 1 else ''}")
    for name, relation in (("action", "actions"), ("learning need", "learning_needs")):
        related = getattr(partner, relation, None)
        if related is not None:
            n = related.filter(programme=programme).count()
            if n:
                held.append(f"{n} {name}{'s' if n != 1 else ''}")
    return held


@transaction.atomic
def programme_partner_remove(*, actor, programme: Programme, partner: Partner) -> None:
    """Take a partner out of the programme (managers); refused (409) while it has
    assessments, gaps, actions, learning needs or members in the programme."""
    _require_manager(actor, programme.pk, "partners")
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if not programme.partners.filter(pk=partner.pk).exists():
        raise InvalidTransition(f"{partner.name} is not a partner of this programme.")
    held = _partner_work_in(programme, partner)
    if held:
        raise InvalidTransition(
            f"{partner.name} cannot leave the programme: it has "
            + ", ".join(held) + " in it, which are kept for the record."
        )
    programme.partners.remove(partner)


@transaction.atomic
def membership_create(*, actor, programme: Programme, **fields) -> Membership:
    _require_manager(actor, programme.pk, "members")
    return _save(Membership(programme=programme, **fields))


@transaction.atomic
def membership_update(*, actor, membership: Membership, **fields) -> Membership:
    _require_manager(actor, membership.programme_id, "members")
    if "programme" in fields:
        _require_manager(actor, fields["programme"].pk, "members")
    return _save(membership, fields)


# Champions -------------------------------------------------------------------------

CHAMPION_FIELDS = {"partner", "principle", "user", "name", "job_title", "email"}


def _champion_check(champion: Champion) -> None:
    """The partner is in the programme, the principle in its framework, and an account
    named belongs to an active member of the programme."""
    programme = champion.programme
    if not programme.partners.filter(pk=champion.partner_id).exists():
        raise DomainError(f"{champion.partner.name} is not a partner of this programme.",
                          field="partner")
    if champion.principle.framework_id != programme.framework_id:
        raise DomainError("This principle is not one of the programme's framework.",
                          field="principle")
    if champion.user_id is not None and not Membership.objects.active().filter(
            programme_id=programme.pk, user_id=champion.user_id).exists():
        raise DomainError("This person is not a member of the programme: name them "
                          "without an account, or invite them first.", field="user")
    if not champion.name.strip():
        raise DomainError("Enter the champion's name.", field="name")
    if Champion.objects.filter(programme_id=programme.pk, partner_id=champion.partner_id,
                               principle_id=champion.principle_id,
                               name=champion.name).exclude(pk=champion.pk).exists():
        raise Conflict(str(Champion._meta.constraints[0].violation_error_message),
                       field="name")


def _champion_save(champion: Champion) -> Champion:
    account = champion.user if champion.user_id is not None else None
    if account is not None:
        # A person with an account is named as the account names them, unless told.
        champion.name = champion.name.strip() or (account.get_full_name() or account.username)
        champion.email = champion.email or account.email
    champion.name = champion.name.strip()
    _champion_check(champion)
    champion.full_clean(validate_constraints=False)
    with integrity.translated():  # another request named the same person a moment ago
        champion.save()
    return champion


@transaction.atomic
def champion_create(*, actor, programme: Programme, partner: Partner, principle: Principle,
                    name: str = "", job_title: str = "", email: str = "",
                    user=None) -> Champion:
    """Name a champion of a principle for a partner (managers; a partner's leads for
    their own partner). With an account and no name, the account's full name."""
    access.require(access.can_change_champion(actor, programme.pk, partner.pk),
                   access.CHAMPION_REFUSED)
    champion = Champion(programme=programme, partner=partner, principle=principle,
                        user=user, name=name or "", job_title=job_title or "",
                        email=email or "", added_by=actor)
    return _champion_save(champion)


@transaction.atomic
def champion_update(*, actor, champion: Champion, **fields) -> Champion:
    """Change a champion's details, partner or principle; the programme stays. Moving
    them to another partner needs the right to name that partner's champions too."""
    access.require(access.can_change_champion(actor, champion.programme_id,
                                              champion.partner_id), access.CHAMPION_REFUSED)
    fields.pop("programme", None)
    unknown = set(fields) - CHAMPION_FIELDS
    if unknown:
        raise DomainError(f"A champion has no field {sorted(unknown)[0]}.")
    champion = Champion.objects.select_for_update().get(pk=champion.pk)
    partner = fields.get("partner")
    if partner is not None and partner.pk != champion.partner_id:
        access.require(access.can_change_champion(actor, champion.programme_id, partner.pk),
                       access.CHAMPION_REFUSED)
    for key in ("name", "job_title", "email"):
        if key in fields and fields[key] is None:
            fields[key] = ""
    for key, value in fields.items():
        setattr(champion, key, value)
    return _champion_save(champion)


@transaction.atomic
def champion_delete(*, actor, champion: Champion) -> None:
    """Remove a champion; the history keeps who they were, who removed them and when."""
    access.require(access.can_change_champion(actor, champion.programme_id,
                                              champion.partner_id), access.CHAMPION_REFUSED)
    champion = Champion.objects.select_for_update().get(pk=champion.pk)
    champion._history_user = actor  # type: ignore[attr-defined]  # names who removed them
    champion.delete()


@transaction.atomic
def cycle_create(*, actor, programme: Programme, **fields) -> AssessmentCycle:
    _require_manager(actor, programme.pk, "assessment cycles")
    fields.pop("closed_at", None)  # only cycle_close closes a cycle
    return _save(AssessmentCycle(programme=programme, **fields))


@transaction.atomic
def cycle_update(*, actor, cycle: AssessmentCycle, **fields) -> AssessmentCycle:
    _require_manager(actor, cycle.programme_id, "assessment cycles")
    if "programme" in fields:
        _require_manager(actor, fields["programme"].pk, "assessment cycles")
    fields.pop("closed_at", None)  # only cycle_close closes a cycle
    return _save(cycle, fields)


@transaction.atomic
def cycle_close(*, actor, cycle: AssessmentCycle) -> AssessmentCycle:
    """A manager closes the cycle: no assessment in it can start, change or be submitted.

    The cycle's drafts are locked before the close commits, so a change already under
    way finishes first and every later one sees the cycle closed.
    """
    access.require(access.can_manage_programme(actor, cycle.programme_id),
                   "Only the programme's managers can close its assessment cycles.")
    cycle = AssessmentCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.closed_at is not None:
        raise InvalidTransition("This cycle is already closed.")
    list(Assessment.objects.select_for_update().filter(cycle=cycle).values_list("pk"))
    cycle.closed_at = timezone.now()
    cycle.save(update_fields=["closed_at"])
    return cycle


def cycle_open_now(cycles, today=None) -> AssessmentCycle | None:
    """Of a programme's cycles, the one open today: started, not closed, the latest start."""
    today = today or timezone.localdate()
    open_cycles = [c for c in cycles if c.is_open_on(today)]
    return max(open_cycles, key=lambda c: (c.period_start, c.pk), default=None)


# Assessments and responses ------------------------------------------------


GAP_STATUS_REFUSED = "Only the programme's managers can close or reopen a gap."
GAP_DECISION_REFUSED = "Only the programme's managers can decide a proposed closure."
SUBMITTED_UNCHANGED = "This assessment has been submitted and can no longer change."
OPEN_WORK_UNDECIDED = ("Say what becomes of the gap's open actions: done, cancelled or kept "
                       "open.")


def _require_draft(assessment: Assessment) -> None:
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(SUBMITTED_UNCHANGED)


def _require_cycle_not_closed(cycle_id: int) -> AssessmentCycle:
    """Read the cycle afresh (after the caller's lock) and refuse when it is closed."""
    cycle = AssessmentCycle.objects.get(pk=cycle_id)
    if cycle.closed_at is not None:
        raise _cycle_closed(cycle)
    return cycle


def _cycle_closed(cycle: AssessmentCycle) -> CycleClosed:
    return CycleClosed(
        f"The cycle \u201c{cycle.name}\u201d was closed on "
        f"{timezone.localtime(cycle.closed_at):%-d %B %Y}: its assessments can no longer "
        "be started, changed or submitted."
    )


def _lock_draft(assessment_id: int) -> Assessment:
    """Lock a draft for a change: refused when submitted or when its cycle is closed."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    _require_draft(assessment)
    assessment.cycle = _require_cycle_not_closed(assessment.cycle_id)
    return assessment


@transaction.atomic
def assessment_create(*, actor, cycle: AssessmentCycle, partner: Partner,
                      **fields) -> Assessment:
    access.require(
        access.can_answer_assessment(actor, cycle.programme_id, partner.pk),
        "Only the programme's managers and this partner's leads can answer its assessment.",
    )
    if not cycle.programme.partners.filter(pk=partner.pk).exists():
        raise DomainError("This partner is not in the cycle's programme.", field="partner")
    # The cycle's row lock orders a start against a manager's close.
    AssessmentCycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk").first()
    cycle = _require_cycle_not_closed(cycle.pk)
    return _save(Assessment(cycle=cycle, partner=partner, **fields))


@transaction.atomic
def assessment_update(*, actor, assessment: Assessment, **fields) -> Assessment:
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can answer its assessment.",
    )
    assessment = _lock_draft(assessment.pk)
    if "cycle" in fields or "partner" in fields:
        cycle = fields.get("cycle", assessment.cycle)
        partner = fields.get("partner", assessment.partner)
        access.require(
            access.can_answer_assessment(actor, cycle.programme_id, partner.pk),
            "Only the programme's managers and this partner's leads can answer its assessment.",
        )
        if not cycle.programme.partners.filter(pk=partner.pk).exists():
            raise DomainError("This partner is not in the cycle's programme.", field="partner")
        if "cycle" in fields:
            _require_cycle_not_closed(cycle.pk)
    return _save(assessment, fields)


@transaction.atomic
def assessment_delete(*, actor, assessment: Assessment) -> None:
    """Delete a draft and its answers; a submitted assessment is never deleted."""
    assessment = (Assessment.objects.select_for_update(of=("self",))
                  .select_related("cycle").get(pk=assessment.pk))
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can delete its assessments.")
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(SUBMITTED_KEPT)
    _delete_drafts([(assessment.pk, assessment.status)])


def _check_item_in_framework(assessment: Assessment, item: ChecklistItem) -> None:
    if item.principle.framework_id != assessment.cycle.programme.framework_id:
        raise DomainError(
            "This checklist item is not in the programme's framework.", field="checklist_item"
        )
    if not item.is_active:
        raise DomainError("This checklist item has been retired.", field="checklist_item")


ANSWER_FIELDS = ("rating", "evidence", "notes", "consensus_note")


def _apply_answer(response: Response, values: dict) -> bool:
    """Set the answer's fields; a carried-forward answer that really changes stops being one.

    Returns whether anything changed.
    """
    changed = any(getattr(response, k) != v for k, v in values.items() if k in ANSWER_FIELDS)
    for name, value in values.items():
        setattr(response, name, value)
    if changed:
        response.carried_forward = False
    return changed


@transaction.atomic
def response_create(*, actor, assessment: Assessment, checklist_item: ChecklistItem,
                    **fields) -> Response:
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can answer its assessment.",
    )
    assessment = _lock_draft(assessment.pk)
    _check_item_in_framework(assessment, checklist_item)
    if Response.objects.filter(assessment=assessment, checklist_item=checklist_item).exists():
        raise Conflict(
            "This item already has an answer in this assessment; change that one.",
            field="checklist_item",
        )
    fields.pop("carried_forward", None)
    return _save(Response(assessment=assessment, checklist_item=checklist_item, **fields))


@transaction.atomic
def response_update(*, actor, response: Response, **fields) -> Response:
    assessment = response.assessment
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can answer its assessment.",
    )
    assessment = _lock_draft(response.assessment_id)
    if "assessment" in fields and fields["assessment"].pk != assessment.pk:
        raise DomainError("An answer cannot move to another assessment.", field="assessment")
    if "checklist_item" in fields:
        _check_item_in_framework(assessment, fields["checklist_item"])
    fields.pop("carried_forward", None)
    _apply_answer(response, fields)
    return _save(response)


@transaction.atomic
def response_delete(*, actor, response: Response) -> None:
    """Delete an answer of a draft; the answers of a submitted assessment are kept."""
    assessment = (Assessment.objects.select_for_update(of=("self",))
                  .select_related("cycle").get(pk=response.assessment_id))
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can change its answers.")
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(SUBMITTED_KEPT)
    _require_cycle_not_closed(assessment.cycle_id)
    Response.objects.get(pk=response.pk).delete()


@transaction.atomic
def responses_save(*, actor, assessment: Assessment, answers: list[dict]) -> list[Response]:
    """Save many answers of a draft at once (the web form's "save draft")."""
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can answer its assessment.",
    )
    assessment = _lock_draft(assessment.pk)
    saved = []
    for answer in answers:
        item = answer["checklist_item"]
        _check_item_in_framework(assessment, item)
        response = Response.objects.filter(assessment=assessment, checklist_item=item).first()
        if response is None:
            response = Response(assessment=assessment, checklist_item=item)
        values = {k: v for k, v in answer.items() if k in ANSWER_FIELDS}
        if _apply_answer(response, values) or response.pk is None:
            _save(response)
        saved.append(response)
    return saved


def _items_with_answers(assessment: Assessment, framework_id: int) -> list[Any]:
    """The framework's active items in order, each with this assessment's rating as
    ``answer`` (None: not answered yet): one statement."""
    answer = (Response.objects.filter(assessment_id=assessment.pk, checklist_item_id=OuterRef("pk"))
              .order_by().values("rating")[:1])
    return list(
        ChecklistItem.objects.filter(principle__framework_id=framework_id, is_active=True)
        .annotate(answer=Subquery(answer)).select_related("principle")
        .order_by("principle__number", "order")
    )


def unanswered_items(assessment: Assessment) -> list[ChecklistItem]:
    """The active items of the programme's framework this assessment has no answer for."""
    items = _items_with_answers(assessment, assessment.cycle.programme.framework_id)
    return [item for item in items if item.answer is None]


def previous_submitted(assessment: Assessment) -> Assessment | None:
    """The partner's latest submitted assessment of the same framework before this one."""
    earlier = Assessment.objects.filter(
        partner_id=assessment.partner_id,
        status=Assessment.Status.SUBMITTED,
        cycle__programme__framework_id=assessment.cycle.programme.framework_id,
    ).exclude(pk=assessment.pk)
    if assessment.submitted_at is not None:
        earlier = earlier.filter(submitted_at__lt=assessment.submitted_at)
    return earlier.select_related("cycle").order_by("-submitted_at", "-pk").first()


@dataclass
class CarryForwardResult:
    assessment: Assessment
    source: Assessment
    created: list[Response] = field(default_factory=list)


@transaction.atomic
def assessment_carry_forward(*, actor, assessment: Assessment) -> CarryForwardResult:
    """Fill exactly the unanswered items of a draft from the partner's last submitted answers.

    Rating, evidence and notes are copied; the copies are marked ``carried_forward``
    until someone changes them. Answers already given are never touched.
    """
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can answer it.",
    )
    assessment = _lock_draft(assessment.pk)
    source = previous_submitted(assessment)
    if source is None:
        raise InvalidTransition(
            f"{assessment.partner.name} has no earlier submitted assessment to start from."
        )
    missing = {item.pk for item in unanswered_items(assessment)}
    earlier = list(source.responses.filter(checklist_item_id__in=missing))
    created = Response.objects.bulk_create([
        Response(assessment=assessment, checklist_item_id=r.checklist_item_id, rating=r.rating,
                 evidence=r.evidence, notes=r.notes, carried_forward=True)
        for r in earlier
    ])
    if created:
        # bulk_create skips the history signals: record the copies like any other write.
        Response.history.bulk_history_create(created, default_user=actor)
        # The links and files behind each answer come with it (the same stored files).
        evidence.copy_forward([(r.pk, copy) for r, copy in zip(earlier, created, strict=True)])
    return CarryForwardResult(assessment=assessment, source=source, created=created)


@dataclass
class SubmitResult:
    assessment: Assessment
    opened: list[Gap] = field(default_factory=list)
    kept: list[Gap] = field(default_factory=list)
    closed: list[Gap] = field(default_factory=list)
    proposed: list[Gap] = field(default_factory=list)


@dataclass
class OpenWork:
    """What is still under way on a gap: open actions, held places, held money."""

    actions: list = field(default_factory=list)
    places: int = 0
    funding: Decimal = Decimal("0.00")

    def __bool__(self):
        return bool(self.actions or self.places or self.funding)

    def describe(self) -> str:
        parts = []
        if self.actions:
            n = len(self.actions)
            parts.append(f"{n} open action{'s' if n != 1 else ''}")
        if self.places:
            parts.append(f"{self.places} place{'s' if self.places != 1 else ''} booked")
        if self.funding:
            parts.append(f"{format_money(self.funding)} of funding planned or committed")
        return ", ".join(parts)


# Statuses of the work on a gap that still holds something: open actions are those
# neither done nor cancelled; places count while requested, waiting, approved or
# confirmed, money while planned or committed (claimed and paid money is spent).
CLOSED_ACTION_STATUSES = ("done", "cancelled")
OPEN_PLACEMENT_STATUSES = ("requested", "waitlisted", "approved", "confirmed")
OPEN_FUNDING_STATUSES = ("planned", "committed")


def gap_open_work(gap: Gap) -> OpenWork:
    """The gap's open work: its open actions in full (for the page that shows them), and
    the places and money counted by ``_open_work_of``, the rule submission uses too."""
    actions = list(
        gap.actions.exclude(status__in=CLOSED_ACTION_STATUSES)
        .select_related("owner").order_by("due_date", "pk")
    )
    counted = _open_work_of([gap.pk]).get(gap.pk) or OpenWork()
    return OpenWork(actions=actions, places=counted.places, funding=counted.funding)


CLOSURE_PROPOSED = publishing.CLOSURE_PROPOSED


# The kinds of row in the one statement of ``_open_work_of``.
_FUNDING_ON_NEEDS, _FUNDING_ON_ACTIONS, _PLACES, _ACTION = range(4)


def _open_work_of(gap_ids) -> dict[int, OpenWork]:
    """The open work of several gaps in one statement, by gap id (a gap with none is
    left out). ``gap_open_work`` reads one gap's, with its actions in full; here an
    action carries only its owner (who is told of a proposed closure).

    The three sums and the open actions are four selects joined by ``UNION ALL``, each
    grouped by gap on its own path, so no join multiplies another's rows.
    """
    gap_ids = list(gap_ids)
    if not gap_ids:
        return {}
    money = DecimalField(max_digits=14, decimal_places=2)
    gaps = Gap.objects.filter(pk__in=gap_ids).order_by().values("pk")

    def summed(kind, path, statuses):
        total = Sum(f"{path}__{'places' if kind == _PLACES else 'amount'}",
                    filter=Q(**{f"{path}__status__in": statuses}), output_field=money)
        return gaps.annotate(kind=Value(kind), n=total).values_list("pk", "kind", "n")

    action_model = Gap._meta.get_field("actions").related_model
    actions = (action_model._default_manager.filter(gap_id__in=gap_ids)
               .exclude(status__in=CLOSED_ACTION_STATUSES).order_by()
               .annotate(kind=Value(_ACTION), n=F("owner_id"))
               .values_list("gap_id", "kind", "n"))
    rows = summed(_FUNDING_ON_NEEDS, "learning_needs__funding_allocations",
                  OPEN_FUNDING_STATUSES).union(
        summed(_FUNDING_ON_ACTIONS, "actions__funding_allocations", OPEN_FUNDING_STATUSES),
        summed(_PLACES, "learning_needs__placements", OPEN_PLACEMENT_STATUSES),
        actions, all=True)
    work: dict[int, OpenWork] = {}
    for gap_id, kind, n in rows:
        if kind != _ACTION and not n:
            continue
        found = work.setdefault(gap_id, OpenWork())
        if kind == _ACTION:
            found.actions.append(action_model(gap_id=gap_id, owner_id=n and int(n)))
        elif kind == _PLACES:
            found.places += int(n)
        else:
            found.funding += Decimal(str(n)).quantize(Decimal("0.01"))
    return {gap_id: w for gap_id, w in work.items() if w}


def _history_rows(objs, history_type: str) -> list:
    """The history rows ``bulk_history_create`` writes for ``objs`` (django-simple-history,
    ``HistoryManager.bulk_history_create``), built unsaved so that a submission's created
    and changed gaps share one insert."""
    history = Gap.history.model
    now = timezone.now()
    return [history(
        history_date=getattr(obj, "_history_date", now),
        history_user=getattr(obj, "_history_user", history.get_default_history_user(obj)),
        history_change_reason=get_change_reason_from_object(obj) or "",
        history_type=history_type,
        **{f.attname: getattr(obj, f.attname) for f in history.tracked_fields},
    ) for obj in objs]


def _update_gaps(result: "SubmitResult", assessment: Assessment) -> None:
    """One UPDATE of every gap the submission keeps, proposes for closure or closes, to
    the values already set on them (a few cases by kind of change, not one per gap)."""

    def ids(gaps, **values):
        return [g.pk for g in gaps if all(getattr(g, k) == v for k, v in values.items())]

    def case(*whens, field):
        return Case(*(When(pk__in=pks, then=Value(value)) for pks, value in whens if pks),
                    default=F(field), output_field=Gap._meta.get_field(field))

    closed = result.closed
    gaps = [*result.kept, *result.proposed, *closed]
    now = closed[0].closed_at if closed else None
    Gap.objects.filter(pk__in=[g.pk for g in gaps]).update(
        severity=case((ids(result.kept, severity=Gap.Severity.HIGH), Gap.Severity.HIGH),
                      (ids(result.kept, severity=Gap.Severity.MEDIUM), Gap.Severity.MEDIUM),
                      field="severity"),
        status=case((ids(result.kept), Gap.Status.OPEN),
                    (ids(result.proposed), Gap.Status.CLOSURE_PROPOSED),
                    (ids(closed), Gap.Status.CLOSED), field="status"),
        closed_at=case((ids(closed), now), field="closed_at"),
        closed_reason=case(*((ids(closed, closed_reason=reason), reason)
                             for reason in CLOSING.values()), field="closed_reason"),
        status_note=case((ids(closed), ""), field="status_note"),
        last_assessment=assessment,
        version=F("version") + 1,  # as on each gap: the rows are locked
    )


@transaction.atomic
def assessment_submit(*, actor, assessment: Assessment) -> SubmitResult:
    """Submit a complete draft inside its cycle's window.

    Partly or not met items open or keep a gap. A met item closes its gap, unless the
    gap still has open work: then its closure is proposed to the managers. Refused,
    changing nothing, when an applicable item is unanswered (``incomplete``), before
    the cycle's start (``cycle_not_open``) or after its close (``cycle_closed``).

    A fixed number of statements however many items (docs/decisions.md, "Submission as
    one set of statements"). Only the assessment's row and this partner's open gaps in
    this programme are locked: never the programme, cycle, partner, principle or item
    rows that other programmes' submissions and actions share.
    """
    assessment = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("cycle__programme", "partner")
        .get(pk=assessment.pk)
    )
    access.require(
        access.can_answer_assessment(actor, assessment.cycle.programme_id, assessment.partner_id),
        "Only the programme's managers and this partner's leads can submit its assessment.",
    )
    _require_draft(assessment)
    cycle = assessment.cycle
    if cycle.closed_at is not None:
        raise _cycle_closed(cycle)
    today = timezone.localdate()
    if today < cycle.period_start:
        raise CycleNotOpen(
            f"The cycle \u201c{cycle.name}\u201d opens on {cycle.period_start:%-d %B %Y}: "
            "you can draft your answers now and submit them from that day."
        )
    programme = cycle.programme
    items = _items_with_answers(assessment, programme.framework_id)
    missing = [item.code for item in items if item.answer is None]
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise Incomplete(
            f"Answer every question before submitting: {len(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not answered yet ({shown}). "
            "\u201cNot applicable\u201d is an answer.",
            unanswered=missing,
        )
    unagreed = [item.code for item in contributions.needing_consensus(assessment)]
    if unagreed:
        raise ConsensusNeeded(
            f"Opinions split on {', '.join(unagreed)}: for each, record the agreed rating "
            "with a note of how you reached it before submitting.",
            items=unagreed,
        )
    items.sort(key=lambda item: item.code)
    now = timezone.now()
    gap_items = [item for item in items if item.answer in GAP_RATINGS]

    # Open a gap for every item rated partly or not met that has none open (an item
    # with one already open is skipped by the partial unique index), then lock this
    # partner's open gaps on the answered items: those this submission opened, and the
    # ones it keeps, proposes for closure or closes. A gap closed by hand between the
    # two statements leaves its item without one: it is opened again (at most twice).
    open_gaps: dict[int, Gap] = {}
    wanted, reading = gap_items, [item.pk for item in items]
    for _ in range(3):
        if wanted:
            Gap.objects.bulk_create([Gap(
                programme=programme, partner_id=assessment.partner_id, checklist_item=item,
                principle_id=item.principle_id, severity=GAP_RATINGS[item.answer],
                opened_at=now, opened_by_assessment=assessment, last_assessment=assessment,
            ) for item in wanted], ignore_conflicts=True)
        open_gaps.update((gap.checklist_item_id, gap) for gap in (
            Gap.objects.select_for_update(of=("self",), no_key=True)
            .filter(programme_id=programme.pk, partner_id=assessment.partner_id,
                    checklist_item_id__in=reading, status__in=Gap.OPEN_STATUSES)
            .order_by()))
        wanted = [item for item in gap_items if item.pk not in open_gaps]
        reading = [item.pk for item in wanted]
        if not wanted:
            break
    else:
        raise Conflict("The gaps for this assessment changed while it was submitted; "
                       "try again.")

    result = SubmitResult(assessment=assessment)
    met = [open_gaps[item.pk].pk for item in items
           if item.answer == Rating.MET and item.pk in open_gaps]
    open_work = _open_work_of(met)
    for item in items:
        gap = open_gaps.get(item.pk)
        if gap is None:
            continue
        gap.checklist_item = item  # with its principle, for the events
        if item.answer in GAP_RATINGS and gap.opened_by_assessment_id == assessment.pk:
            result.opened.append(gap)
            continue
        gap.last_assessment = assessment
        gap.version += 1  # the row is locked: no lost update
        if item.answer in GAP_RATINGS:
            gap.severity = GAP_RATINGS[item.answer]
            gap.status = Gap.Status.OPEN  # a proposed closure is open again: not met after all
            result.kept.append(gap)
        elif gap.pk in open_work:
            gap.status = Gap.Status.CLOSURE_PROPOSED
            result.proposed.append(gap)
        else:
            gap.status = Gap.Status.CLOSED
            gap.closed_at = now
            gap.closed_reason = CLOSING[item.answer]
            gap.status_note = ""
            result.closed.append(gap)
    changed = [*result.kept, *result.proposed, *result.closed]
    if changed:
        _update_gaps(result, assessment)
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True) and (result.opened or changed):
        Gap.history.model.objects.bulk_create(
            _history_rows(result.opened, "+") + _history_rows(changed, "~"))

    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = now
    assessment.submitted_by = actor if actor.is_authenticated else None
    assessment.late = today > cycle.period_end
    # The cycle is read afresh by the write itself: a close that committed while this
    # submission waited for the assessment's lock refuses it, and everything rolls back.
    if not Assessment.objects.filter(pk=assessment.pk, cycle__closed_at__isnull=True).update(
            status=assessment.status, submitted_at=now, submitted_by=assessment.submitted_by,
            late=assessment.late):
        raise _cycle_closed(AssessmentCycle.objects.get(pk=assessment.cycle_id))
    Assessment.history.bulk_history_create([assessment], update=True)
    publishing.submitted(result, actor if actor.is_authenticated else None, open_work=open_work)
    return result


CLOSING = {Rating.MET: Gap.ClosedReason.REASSESSED_MET,
           Rating.NOT_APPLICABLE: Gap.ClosedReason.REASSESSED_NOT_APPLICABLE}


# Gaps ---------------------------------------------------------------------


def _close(gap: Gap, *, reason, now, assessment=None, note=""):
    gap.status = Gap.Status.CLOSED
    gap.closed_at = now
    gap.closed_reason = reason
    gap.status_note = note
    if assessment is not None:
        gap.last_assessment = assessment
    gap.version += 1
    gap.save()


@transaction.atomic
def gap_create(*, actor, programme: Programme, partner: Partner, checklist_item: ChecklistItem,
               severity: str, description: str = "") -> Gap:
    """Open a gap by hand (a manager's decision, without an assessment)."""
    access.require(access.can_manage_programme(actor, programme.pk),
                   "Only the programme's managers can open a gap by hand.")
    if not programme.partners.filter(pk=partner.pk).exists():
        raise DomainError("This partner is not in the programme.", field="partner")
    if checklist_item.principle.framework_id != programme.framework_id:
        raise DomainError("This item is not in the programme's framework.", field="checklist_item")
    gap = Gap(
        programme=programme,
        partner=partner,
        checklist_item=checklist_item,
        principle_id=checklist_item.principle_id,
        severity=severity,
        description=description,
        opened_at=timezone.now(),
    )
    gap.full_clean(validate_constraints=False)
    with integrity.translated(), transaction.atomic():
        gap.save()  # the constraint's message: one open gap per partner and item
    publishing.by_hand("gap.opened", gap, actor, note=description)
    return gap


@transaction.atomic
def gap_update(*, actor, gap: Gap, version: int | None = None, if_match=None,
               **fields) -> Gap:
    """Change a gap's severity or description (managers, and the partner's leads)."""
    access.require(access.can_change_gap(actor, gap),
                   "Only the programme's managers and this partner's leads can change this gap.")
    gap = lock_for_update(Gap, gap.pk, version=version, if_match=if_match)
    allowed = {k: v for k, v in fields.items() if k in ("severity", "description")}
    if set(fields) - set(allowed):
        raise DomainError(
            "Only the severity and description of a gap can change; "
            "close or reopen it to change its status."
        )
    gap.version += 1
    return _save(gap, allowed)


ACTION_OUTCOMES = ("done", "cancelled", "kept")


def _action_outcomes(gap: Gap, actions) -> dict[int, str]:
    """What becomes of each open action of the gap: one word for all, or one per action."""
    open_ids = list(
        gap.actions.exclude(status__in=CLOSED_ACTION_STATUSES).order_by("pk")
        .values_list("pk", flat=True)
    )
    if actions is None:
        if open_ids and gap.status == Gap.Status.CLOSURE_PROPOSED:
            raise DomainError(OPEN_WORK_UNDECIDED, field="actions")
        return dict.fromkeys(open_ids, "kept")
    if isinstance(actions, str):
        if actions not in ACTION_OUTCOMES:
            raise DomainError("Choose done, cancelled or kept for the open actions.",
                              field="actions")
        return dict.fromkeys(open_ids, actions)
    outcomes = {}
    for key, outcome in actions.items():
        try:
            action_id = int(key)
        except (TypeError, ValueError):
            raise DomainError(f"\u201c{key}\u201d is not an action's id.",
                              field="actions") from None
        if action_id not in open_ids:
            raise DomainError(f"Action {action_id} is not an open action of this gap.",
                              field="actions")
        if outcome not in ACTION_OUTCOMES:
            raise DomainError(f"Choose done, cancelled or kept for action {action_id}.",
                              field="actions")
        outcomes[action_id] = outcome
    left = [pk for pk in open_ids if pk not in outcomes]
    if left:
        raise DomainError(
            "Say what becomes of every open action; missing: "
            + ", ".join(str(pk) for pk in left) + ".",
            field="actions",
        )
    return outcomes


@transaction.atomic
def gap_close(*, actor, gap: Gap, note: str = "", version: int | None = None, if_match=None,
              actions=None) -> Gap:
    """Close an open gap by hand, or decide a proposed closure.

    ``actions`` says what becomes of the gap's open actions: ``"done"``, ``"cancelled"``
    or ``"kept"`` for all, or a mapping of action id to one of those. The actions app
    makes each change through its own service (the ``gap_actions_decided`` signal), so
    their history and notifications are as for any other change.
    """
    access.require(access.can_set_gap_status(actor, gap), GAP_STATUS_REFUSED)
    gap = lock_for_update(Gap, gap.pk, version=version, if_match=if_match)
    if gap.status == Gap.Status.CLOSED:
        raise InvalidTransition("This gap is already closed.")
    proposed = gap.status == Gap.Status.CLOSURE_PROPOSED
    note = (note or "").strip()
    if not note and not proposed:
        raise DomainError("Say why the gap is being closed.", field="reason")
    outcomes = _action_outcomes(gap, actions)
    reason = Gap.ClosedReason.REASSESSED_MET if proposed else Gap.ClosedReason.CLOSED_BY_MANAGER
    _close(gap, reason=reason, now=timezone.now(), note=note)
    changes = {pk: outcome for pk, outcome in outcomes.items() if outcome != "kept"}
    if changes:
        from .signals import gap_actions_decided

        gap_actions_decided.send(sender=Gap, gap=gap, outcomes=changes, actor=actor)
        still_open = gap.actions.filter(pk__in=changes).exclude(
            status__in=CLOSED_ACTION_STATUSES).exists()
        if still_open:  # nobody applied the decision: do not close half of it
            raise RuntimeError("The gap's actions were not updated; is the actions app installed?")
    publishing.by_hand("gap.closed", gap, actor, note=note)
    return gap


@transaction.atomic
def gap_keep_open(*, actor, gap: Gap, note: str = "", version: int | None = None,
                  if_match=None) -> Gap:
    """A manager turns down a proposed closure: the gap is open again, its work goes on."""
    access.require(access.can_set_gap_status(actor, gap), GAP_DECISION_REFUSED)
    gap = lock_for_update(Gap, gap.pk, version=version, if_match=if_match)
    if gap.status != Gap.Status.CLOSURE_PROPOSED:
        raise InvalidTransition("Only a gap whose closure is proposed can be kept open.")
    gap.status = Gap.Status.OPEN
    gap.status_note = (note or "").strip()
    gap.version += 1
    gap.save(update_fields=["status", "status_note", "version"])
    return gap


@transaction.atomic
def gap_reopen(*, actor, gap: Gap, note: str, version: int | None = None,
               if_match=None) -> Gap:
    """Reopen a closed gap, with a reason (managers)."""
    access.require(access.can_set_gap_status(actor, gap), GAP_STATUS_REFUSED)
    gap = lock_for_update(Gap, gap.pk, version=version, if_match=if_match)
    if gap.status != Gap.Status.CLOSED:
        raise InvalidTransition("This gap is already open.")
    if not note.strip():
        raise DomainError("Say why the gap is being reopened.", field="reason")
    gap.status = Gap.Status.OPEN
    gap.closed_at = None
    gap.closed_reason = ""
    gap.status_note = note.strip()
    gap.version += 1
    with integrity.translated(), transaction.atomic():
        gap.save()  # the constraint's message: one open gap per partner and item
    publishing.by_hand("gap.reopened", gap, actor, note=gap.status_note)
    return gap


# Deletes ----------------------------------------------------------------------
# Each ``<entity>_delete`` checks the role of the person acting and refuses to take
# anything people need afterwards with it: submitted assessments and their answers
# are never deleted (the database refuses too: assessments and responses are
# PROTECTed), and a gap with work is closed, not deleted. What can be deleted, by
# whom, and what happens to what hangs off it: docs/decisions.md.

SUBMITTED_KEPT = "A submitted assessment is kept for the record and cannot be deleted."


def _lock_assessments(**lookup) -> list[tuple[int, str]]:
    """Lock the assessments (only their rows) and return their ids and statuses."""
    return list(Assessment.objects.select_for_update(of=("self",)).filter(**lookup)
                .order_by("pk").values_list("pk", "status"))


def _delete_drafts(rows: list[tuple[int, str]]) -> None:
    """Delete draft assessments and their answers (answers first: they are PROTECTed)."""
    drafts = [pk for pk, status in rows if status == Assessment.Status.DRAFT]
    Response.objects.filter(assessment_id__in=drafts).delete()
    Assessment.objects.filter(pk__in=drafts).delete()


def _still_used(error: ProtectedError | RestrictedError) -> str:
    names = sorted({str(obj._meta.verbose_name_plural) for obj in error.args[1]})
    return ", ".join(names)


@transaction.atomic
def programme_delete(*, actor, programme: Programme) -> None:
    """Delete a programme set up by mistake (administrators only).

    A programme with submitted assessments is closed, not deleted; one whose needs hold
    places on providers' offers or whose streams have allocations is refused too, so no
    offer or stream is left counting places or money that nothing holds.
    """
    access.require(access.can_delete_programme(actor),
                   "Only administrators can delete programmes.")
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    assessments = _lock_assessments(cycle__programme=programme)
    if any(status == Assessment.Status.SUBMITTED for _, status in assessments):
        raise InvalidTransition(
            "This programme has submitted assessments, which are kept for the record: "
            "close the programme instead of deleting it.")
    _delete_drafts(assessments)
    try:
        programme.delete()
    except (ProtectedError, RestrictedError) as error:
        raise InvalidTransition(
            f"This programme still has {_still_used(error)}: remove them first, or close "
            "the programme instead of deleting it.") from None


@transaction.atomic
def partner_delete(*, actor, partner: Partner) -> None:
    """Delete a partner nobody has recorded anything for (administrators only)."""
    access.require(access.can_delete_partner(actor), "Only administrators can delete partners.")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    try:
        partner.delete()
    except (ProtectedError, RestrictedError) as error:
        raise InvalidTransition(
            f"This partner has {_still_used(error)} in programmes, so it is kept; take it "
            "out of a programme instead.") from None


@transaction.atomic
def membership_delete(*, actor, membership: Membership) -> None:
    """Remove someone's role in a programme; what they recorded stays."""
    access.require(access.can_manage_programme(actor, membership.programme_id),
                   "Only the programme's managers can change its members.")
    Membership.objects.filter(pk=membership.pk).delete()


@transaction.atomic
def cycle_delete(*, actor, cycle: AssessmentCycle) -> None:
    """Delete a cycle with no submitted assessment; its drafts go with it.

    A cycle with submissions is refused (409): close it instead, so what partners
    submitted stays.
    """
    access.require(access.can_manage_programme(actor, cycle.programme_id),
                   "Only the programme's managers can delete its assessment cycles.")
    cycle = AssessmentCycle.objects.select_for_update().get(pk=cycle.pk)
    assessments = _lock_assessments(cycle=cycle)
    submitted = sum(status == Assessment.Status.SUBMITTED for _, status in assessments)
    if submitted:
        raise InvalidTransition(
            f"This cycle has {submitted} submitted assessment{'s' if submitted != 1 else ''}, "
            "which are kept for the record: close the cycle instead of deleting it.")
    _delete_drafts(assessments)
    cycle.delete()


@transaction.atomic
def gap_delete(*, actor, gap: Gap) -> None:
    """Delete a gap opened by mistake; a gap with actions or learning needs is closed instead.

    Deleting it would leave its work pointing at nothing, so the gap's principle and
    partner would drop out of the work's progress figures.
    """
    access.require(access.can_set_gap_status(actor, gap),
                   "Only the programme's managers can delete a gap.")
    gap = lock_for_update(Gap, gap.pk)
    if gap.actions.exists() or gap.learning_needs.exists():
        raise InvalidTransition(
            "This gap has actions or learning needs linked to it: close the gap instead "
            "of deleting it, so the work keeps its gap.")
    try:
        gap.delete()
    except RestrictedError:  # work linked to it a moment ago
        raise InvalidTransition(
            "This gap has actions or learning needs linked to it: close the gap instead "
            "of deleting it, so the work keeps its gap.") from None
