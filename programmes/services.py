"""Writes of the programmes app: every rule that changes state lives here.

Functions are keyword-only and named ``<entity>_<verb>``; they validate with
``full_clean()`` before saving and raise the domain errors of ``errors.py``.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

from . import access
from .errors import Conflict, DomainError, InvalidTransition
from .models import (
    Assessment,
    AssessmentCycle,
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
from .versioning import lock_for_update

GAP_RATINGS = {Rating.NOT_MET: Gap.Severity.HIGH, Rating.PARTLY_MET: Gap.Severity.MEDIUM}


def _save(instance, fields: dict[str, Any] | None = None, *, exclude=None):
    """Apply ``fields``, validate the whole row, and save it."""
    for name, value in (fields or {}).items():
        setattr(instance, name, value)
    instance.full_clean(exclude=exclude, validate_unique=True)
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
                "principle": principle, "text": item["text"], "order": order, "is_active": True
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


@transaction.atomic
def programme_create(*, user, partners=(), **fields) -> Programme:
    """Create a programme; a creator who is not staff becomes its manager."""
    programme = _save(Programme(**fields))
    programme.partners.set(partners)
    if not user.is_staff:
        Membership.objects.create(programme=programme, user=user, role=Membership.Role.MANAGER)
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, partners=None, **fields) -> Programme:
    if fields.get("framework") and fields["framework"] != programme.framework:
        if AssessmentCycle.objects.filter(programme=programme).exists():
            raise Conflict(
                "The framework cannot change once the programme has assessment cycles.",
                field="framework",
            )
    _save(programme, fields)
    if partners is not None:
        removed = set(programme.partners.values_list("pk", flat=True)) - {p.pk for p in partners}
        if removed and Membership.objects.filter(programme=programme, partner__in=removed).exists():
            raise Conflict(
                "A partner with members cannot leave the programme; remove its memberships first.",
                field="partners",
            )
        programme.partners.set(partners)
    return programme


def partner_create(**fields) -> Partner:
    return _save(Partner(**fields))


def partner_update(*, partner: Partner, **fields) -> Partner:
    return _save(partner, fields)


@transaction.atomic
def programme_partner_add(*, programme: Programme, partner: Partner) -> bool:
    """Add a partner to the programme; False when it was already in it."""
    if programme.partners.filter(pk=partner.pk).exists():
        return False
    programme.partners.add(partner)
    return True


def membership_create(**fields) -> Membership:
    return _save(Membership(**fields))


def membership_update(*, membership: Membership, **fields) -> Membership:
    return _save(membership, fields)


def cycle_create(**fields) -> AssessmentCycle:
    return _save(AssessmentCycle(**fields))


def cycle_update(*, cycle: AssessmentCycle, **fields) -> AssessmentCycle:
    return _save(cycle, fields)


# Assessments and responses ------------------------------------------------


def _require_draft(assessment: Assessment) -> None:
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition("This assessment has been submitted and can no longer change.")


def assessment_create(*, cycle: AssessmentCycle, partner: Partner, **fields) -> Assessment:
    if not cycle.programme.partners.filter(pk=partner.pk).exists():
        raise DomainError("This partner is not in the cycle's programme.", field="partner")
    return _save(Assessment(cycle=cycle, partner=partner, **fields))


@transaction.atomic
def assessment_update(*, assessment: Assessment, **fields) -> Assessment:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_draft(assessment)
    if "cycle" in fields or "partner" in fields:
        cycle = fields.get("cycle", assessment.cycle)
        partner = fields.get("partner", assessment.partner)
        if not cycle.programme.partners.filter(pk=partner.pk).exists():
            raise DomainError("This partner is not in the cycle's programme.", field="partner")
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


@transaction.atomic
def response_create(*, assessment: Assessment, checklist_item: ChecklistItem, **fields) -> Response:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_draft(assessment)
    _check_item_in_framework(assessment, checklist_item)
    if Response.objects.filter(assessment=assessment, checklist_item=checklist_item).exists():
        raise Conflict(
            "This item already has an answer in this assessment; change that one.",
            field="checklist_item",
        )
    return _save(Response(assessment=assessment, checklist_item=checklist_item, **fields))


@transaction.atomic
def response_update(*, response: Response, **fields) -> Response:
    assessment = Assessment.objects.select_for_update().get(pk=response.assessment_id)
    _require_draft(assessment)
    if "assessment" in fields and fields["assessment"].pk != assessment.pk:
        raise DomainError("An answer cannot move to another assessment.", field="assessment")
    if "checklist_item" in fields:
        _check_item_in_framework(assessment, fields["checklist_item"])
    return _save(response, fields)


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
    Response.objects.get(pk=response.pk).delete()


@transaction.atomic
def responses_save(*, assessment: Assessment, answers: list[dict]) -> list[Response]:
    """Save many answers of a draft at once (the web form's "save draft")."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_draft(assessment)
    saved = []
    for answer in answers:
        item = answer["checklist_item"]
        _check_item_in_framework(assessment, item)
        response = Response.objects.filter(assessment=assessment, checklist_item=item).first()
        response = response or Response(assessment=assessment, checklist_item=item)
        values = {k: v for k, v in answer.items() if k in ("rating", "evidence", "notes")}
        saved.append(_save(response, values))
    return saved


@dataclass
class SubmitResult:
    assessment: Assessment
    opened: list[Gap] = field(default_factory=list)
    kept: list[Gap] = field(default_factory=list)
    closed: list[Gap] = field(default_factory=list)


def _open_or_keep_gap(*, assessment, programme, response, severity, now) -> tuple[Gap, bool]:
    """Open a gap for the response's item, or keep the one already open.

    The partial unique index allows one open gap per (programme, partner, item);
    when a concurrent submission opened it first, the insert fails inside a
    savepoint and the open gap is kept instead.
    """
    item = response.checklist_item
    key = {"programme": programme, "partner_id": assessment.partner_id, "checklist_item": item}
    for _ in range(3):
        gap = Gap.objects.select_for_update().filter(status=Gap.Status.OPEN, **key).first()
        if gap is not None:
            gap.severity = severity
            gap.last_assessment = assessment
            gap.version += 1  # the row is locked: no lost update
            gap.save(update_fields=["severity", "last_assessment", "version"])
            return gap, False
        try:
            with transaction.atomic():
                gap = Gap.objects.create(
                    principle_id=item.principle_id,
                    severity=severity,
                    opened_at=now,
                    opened_by_assessment=assessment,
                    last_assessment=assessment,
                    **key,
                )
            return gap, True
        except IntegrityError:
            continue  # another submission opened it a moment ago: keep that one
    raise Conflict("The gaps for this assessment changed while it was submitted; try again.")


@transaction.atomic
def assessment_submit(*, assessment: Assessment, user) -> SubmitResult:
    """Submit a draft: open or keep a gap for each partly or not met item, close met ones."""
    assessment = (
        Assessment.objects.select_for_update()
        .select_related("cycle__programme")
        .get(pk=assessment.pk)
    )
    _require_draft(assessment)
    responses = list(
        assessment.responses.select_related("checklist_item").order_by("checklist_item__code")
    )
    if not responses:
        raise DomainError("Answer at least one checklist item before submitting.")
    now = timezone.now()
    programme = assessment.cycle.programme
    result = SubmitResult(assessment=assessment)
    closing = {Rating.MET: Gap.ClosedReason.REASSESSED_MET,
               Rating.NOT_APPLICABLE: Gap.ClosedReason.REASSESSED_NOT_APPLICABLE}
    for response in responses:
        if response.rating in GAP_RATINGS:
            gap, opened = _open_or_keep_gap(
                assessment=assessment,
                programme=programme,
                response=response,
                severity=GAP_RATINGS[response.rating],
                now=now,
            )
            (result.opened if opened else result.kept).append(gap)
        else:
            open_gaps = Gap.objects.select_for_update().filter(
                programme=programme,
                partner_id=assessment.partner_id,
                checklist_item_id=response.checklist_item_id,
                status=Gap.Status.OPEN,
            )
            for gap in open_gaps:
                _close(gap, reason=closing[response.rating], now=now, assessment=assessment)
                result.closed.append(gap)
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = now
    assessment.submitted_by = user if user and user.is_authenticated else None
    assessment.save(update_fields=["status", "submitted_at", "submitted_by"])
    return result


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
def gap_create(*, programme: Programme, partner: Partner, checklist_item: ChecklistItem,
               severity: str, description: str = "") -> Gap:
    """Open a gap by hand (a manager's decision, without an assessment)."""
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
    try:
        with transaction.atomic():
            gap.save()
    except IntegrityError:
        raise Conflict(
            "This partner already has an open gap for this item.", field="checklist_item"
        ) from None
    return gap


@transaction.atomic
def gap_update(*, gap: Gap, version: int | None = None, if_match=None, **fields) -> Gap:
    """Change a gap's severity or description."""
    gap = lock_for_update(Gap, gap.pk, version=version, if_match=if_match)
    allowed = {k: v for k, v in fields.items() if k in ("severity", "description")}
    if set(fields) - set(allowed):
        raise DomainError(
            "Only the severity and description of a gap can change; "
            "close or reopen it to change its status."
        )
    gap.version += 1
    return _save(gap, allowed)


@transaction.atomic
def gap_close(*, gap: Gap, note: str, version: int | None = None, if_match=None) -> Gap:
    gap = lock_for_update(Gap, gap.pk, version=version, if_match=if_match)
    if gap.status != Gap.Status.OPEN:
        raise InvalidTransition("This gap is already closed.")
    if not note.strip():
        raise DomainError("Say why the gap is being closed.", field="reason")
    _close(gap, reason=Gap.ClosedReason.CLOSED_BY_MANAGER, now=timezone.now(), note=note.strip())
    return gap


@transaction.atomic
def gap_reopen(*, gap: Gap, note: str, version: int | None = None, if_match=None) -> Gap:
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
    try:
        with transaction.atomic():
            gap.save()
    except IntegrityError:
        raise Conflict(
            "Another gap is already open for this partner and item; work on that one."
        ) from None
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
