"""The events of assessments and gaps (DESIGN.md, "Events, escalation and webhooks").

A submission publishes ``assessment.submitted`` (its managers are told, with the counts)
and one ``gap.opened``, ``gap.closed`` or ``gap.closure_proposed`` for each gap it
changed; the partner's leads hear once per submission what it opened and closed. A gap
opened, closed or reopened by hand tells the partner's leads and the managers; a
proposed closure also tells the owners of the work still open on the gap. Nobody is told
of their own change (the event's actor is left out when it is delivered).
"""

from core.links import page_link
from notifications import events
from notifications.events import Notice

from . import audience
from .models import Assessment, Gap

SUBMITTED = "assessment_submitted"
GAPS_OPENED = "gaps_opened"
GAPS_CLOSED = "gaps_closed"
GAP_OPENED = "gap_opened"
GAP_CLOSED = "gap_closed"
GAP_REOPENED = "gap_reopened"
CLOSURE_PROPOSED = "gap_closure_proposed"


def gap_link(gap_id: int) -> str:
    return page_link("web:gap", gap_id)


def assessment_link(assessment_id: int) -> str:
    return page_link("web:assessment", assessment_id)


def gap_data(gap: Gap) -> dict:
    item = gap.checklist_item
    return {
        "id": gap.pk,
        "programme": gap.programme_id,
        "partner": gap.partner_id,
        "partner_name": gap.partner.name,
        "checklist_item": item.code,
        "principle": item.principle.number,
        "severity": gap.severity,
        "status": gap.status,
        "link": gap_link(gap.pk),
    }


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _gap_event(kind: str, gap: Gap, programme, actor, notices=()):
    return events.event(kind, programme=programme, subject_type="gap", subject_id=gap.pk,
                        actor=actor, data=gap_data(gap), notices=notices)


def submitted(result, actor, *, open_work: dict) -> None:
    """The events of a submission (``result`` is its ``SubmitResult``; ``open_work`` the
    ``OpenWork`` of each gap whose closure it proposed, by gap id)."""
    assessment: Assessment = result.assessment
    programme = assessment.cycle.programme
    partner = assessment.partner
    managers, leads = audience.managers_and_leads(programme.pk, partner.pk)
    link = assessment_link(assessment.pk)
    for gap in (*result.opened, *result.closed, *result.proposed):
        gap.partner = partner  # read once, with the assessment
    counts = (f"{_count(len(result.opened), 'gap')} opened, {len(result.closed)} closed, "
              f"{len(result.proposed)} proposed for closure")
    notices = [Notice(kind=SUBMITTED, recipients=managers, link=link, message=(
        f"{partner.name} submitted its self-assessment for {assessment.cycle.name}: "
        f"{counts}."))]
    if result.opened:
        codes = ", ".join(g.checklist_item.code for g in result.opened)
        notices.append(Notice(kind=GAPS_OPENED, recipients=leads, link=link, message=(
            f"The self-assessment of {partner.name} for {assessment.cycle.name} opened "
            f"{_count(len(result.opened), 'gap')}: {codes}.")))
    if result.closed:
        codes = ", ".join(g.checklist_item.code for g in result.closed)
        notices.append(Notice(kind=GAPS_CLOSED, recipients=leads, link=link, message=(
            f"The self-assessment of {partner.name} for {assessment.cycle.name} closed "
            f"{_count(len(result.closed), 'gap')}: {codes}.")))
    published = [events.event(
        "assessment.submitted", programme=programme, subject_type="assessment",
        subject_id=assessment.pk, actor=actor, notices=notices, data={
            "id": assessment.pk, "programme": programme.pk, "partner": partner.pk,
            "partner_name": partner.name, "cycle": assessment.cycle_id,
            "cycle_name": assessment.cycle.name,
            "submitted_at": (assessment.submitted_at.isoformat()
                             if assessment.submitted_at else None),
            "gaps_opened": len(result.opened), "gaps_closed": len(result.closed),
            "closures_proposed": len(result.proposed), "link": link})]
    published += [_gap_event("gap.opened", gap, programme, actor) for gap in result.opened]
    published += [_gap_event("gap.closed", gap, programme, actor) for gap in result.closed]
    for gap in result.proposed:
        published.append(_gap_event("gap.closure_proposed", gap, programme, actor, [Notice(
            kind=CLOSURE_PROPOSED, link=gap_link(gap.pk),
            recipients=sorted(set(managers) | set(leads) | {
                a.owner_id for a in open_work[gap.pk].actions if a.owner_id}),
            message=(f"{partner.name} rated {gap.checklist_item.code} met in "
                     f"{assessment.cycle.name}, but its gap still has "
                     f"{open_work[gap.pk].describe()}. A programme manager decides whether to "
                     "close it."))]))
    events.publish_many(published)


def by_hand(kind: str, gap: Gap, actor, *, note: str = "") -> None:
    """``gap.opened``, ``gap.closed`` or ``gap.reopened`` by a person: the partner's leads
    and the managers are told."""
    programme = gap.programme
    words = {"gap.opened": ("opened", GAP_OPENED), "gap.closed": ("closed", GAP_CLOSED),
             "gap.reopened": ("reopened", GAP_REOPENED)}
    verb, notice_kind = words[kind]
    by = f" by {actor.get_full_name() or actor.username}" if actor is not None else ""
    because = f": {note.strip()}" if note and note.strip() else "."
    recipients = sorted(set(audience.managers(programme.pk))
                        | set(audience.partner_leads(programme.pk, gap.partner_id)))
    events.publish_many([_gap_event(kind, gap, programme, actor, [Notice(
        kind=notice_kind, recipients=recipients, link=gap_link(gap.pk),
        message=(f"Gap {verb}{by} for {gap.partner.name} on {gap.checklist_item.code}"
                 f"{because}"))])])
