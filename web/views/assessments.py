"""Answering a self-assessment: a task list of principles, a page per principle, submit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError
from programmes import access, contributions, services
from programmes.models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Contribution,
    Partner,
    Principle,
    Programme,
    Rating,
)

from ..forms import AnswerForm, AssessmentDetailsForm
from .common import attempt, require, role_context, visible_or_404


@login_required
def cycles(request, pk, cycle_pk=None):
    """The programme's cycles, each with every partner's assessment and what to do next."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    cycle_list = list(programme.cycles.order_by("-period_end"))
    if cycle_pk is not None:
        cycle_list = [c for c in cycle_list if c.pk == cycle_pk] or []
        if not cycle_list:
            visible_or_404(AssessmentCycle, request.user, pk=cycle_pk, programme=programme)
    assessments = {
        (a.cycle_id, a.partner_id): a
        for a in Assessment.objects.filter(cycle__in=cycle_list).annotate(
            answered=Count("responses")
        )
    }
    partners = list(programme.partners.order_by("name"))
    open_now = services.cycle_open_now(programme.cycles.all())
    rows = [
        (
            cycle,
            [
                (
                    partner,
                    assessments.get((cycle.pk, partner.pk)),
                    access.can_answer_assessment(request.user, programme.pk, partner.pk),
                )
                for partner in partners
            ],
        )
        for cycle in cycle_list
    ]
    return render(
        request,
        "web/cycles.html",
        {
            "programme": programme,
            "rows": rows,
            "open_now": open_now,
            "today": timezone.localdate(),
            **role_context(request.user, programme.pk),
        },
    )


@login_required
def cycle_close(request, pk, cycle_pk):
    """Confirm, then close a cycle (managers): its assessments can no longer change."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    cycle = visible_or_404(AssessmentCycle, request.user, pk=cycle_pk, programme=programme)
    require(access.can_manage_programme(request.user, programme.pk),
            "Only the programme's managers can close its assessment cycles.")
    if request.method == "POST":
        try:
            services.cycle_close(actor=request.user, cycle=cycle)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{cycle.name} is closed. Its assessments can no longer "
                                      "be started, changed or submitted.")
        return redirect("web:cycles", programme.pk)
    drafts = list(cycle.assessments.filter(status=Assessment.Status.DRAFT)
                  .select_related("partner").order_by("partner__name"))
    submitted = cycle.assessments.filter(status=Assessment.Status.SUBMITTED).count()
    return render(request, "web/cycle_close.html", {
        "programme": programme, "cycle": cycle, "drafts": drafts, "submitted": submitted,
        "not_started": programme.partners.count() - len(drafts) - submitted,
        **role_context(request.user, programme.pk),
    })


@login_required
@require_POST
def assessment_start(request, pk, cycle_pk, partner_pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    cycle = visible_or_404(AssessmentCycle, request.user, pk=cycle_pk, programme=programme)
    partner = visible_or_404(Partner, request.user, pk=partner_pk)
    assessment = Assessment.objects.filter(cycle=cycle, partner=partner).first()
    if assessment is None and services.cycle_open_now(programme.cycles.all()) != cycle:
        messages.error(request, f"{cycle.name} is not the cycle open now: start an assessment "
                                "in the open cycle.")
        return redirect("web:cycles", programme.pk)
    if assessment is None:
        try:
            assessment = services.assessment_create(actor=request.user, cycle=cycle,
                                                    partner=partner)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("web:cycles", programme.pk)
    return redirect("web:assessment", assessment.pk)


def _sections(assessment):
    principles = (
        Principle.objects.filter(framework_id=assessment.cycle.programme.framework_id)
        .annotate(
            item_count=Count("items", filter=Q(items__is_active=True), distinct=True),
            answered=Count(
                "items__responses", filter=Q(items__responses__assessment=assessment), distinct=True
            ),
        )
        .order_by("number")
    )
    return list(principles)


@login_required
def assessment(request, pk):
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    programme = assessment.cycle.programme
    sections = _sections(assessment)
    answered = sum(s.answered for s in sections)
    total = sum(s.item_count for s in sections)
    can_answer = access.can_answer_assessment(request.user, programme.pk, assessment.partner_id)
    earlier = None
    if can_answer and not assessment.is_submitted and answered < total:
        earlier = services.previous_submitted(assessment)
    return render(
        request,
        "web/assessment.html",
        {
            "assessment": assessment,
            "programme": programme,
            "sections": sections,
            "answered": answered,
            "total": total,
            "can_answer": can_answer,
            "earlier": earlier,
            "views_asked": assessment.contributors.filter(removed_at__isnull=True).count()
            if can_answer else 0,
            "views_given": assessment.contributions.count() if can_answer else 0,
        },
    )


ANSWER_REFUSED = ("Only the programme's managers and this partner's leads can answer its "
                  "assessment.")


@login_required
def assessment_details(request, pk):
    """Who took part in a draft, and whether people supported did (those who may answer
    it): the API's ``PATCH /assessments/{id}/`` through ``assessment_update``."""
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    programme = assessment.cycle.programme
    require(access.can_answer_assessment(request.user, programme.pk, assessment.partner_id),
            ANSWER_REFUSED)
    if assessment.is_submitted:
        messages.info(request, "This assessment is submitted: who took part can no longer "
                               "change.")
        return redirect("web:assessment", assessment.pk)
    form = AssessmentDetailsForm(request.POST or None, initial={
        "participants": assessment.participants,
        "includes_people_supported": assessment.includes_people_supported})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        saved = attempt(form, lambda: services.assessment_update(
            actor=request.user, assessment=assessment, **data))
        if saved:
            messages.success(request, "Who took part is saved.")
            return redirect("web:assessment", assessment.pk)
    return render(request, "web/assessment_details.html", {
        "form": form, "assessment": assessment, "programme": programme,
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def assessment_carry_forward(request, pk):
    """The "Start from your answers of <cycle>" button: the API's carry-forward service."""
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    try:
        result = services.assessment_carry_forward(actor=request.user, assessment=assessment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        n = len(result.created)
        messages.success(
            request,
            f"{n} answer{'s' if n != 1 else ''} copied from {result.source.cycle.name}. "
            "Check each one: it is marked \u201ccarried forward\u201d until you change it.",
        )
    return redirect("web:assessment", assessment.pk)


@login_required
def assessment_section(request, pk, number):
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    programme = assessment.cycle.programme
    principle = get_object_or_404(Principle, framework_id=programme.framework_id, number=number)
    can_answer = access.can_answer_assessment(request.user, programme.pk, assessment.partner_id)
    items = list(principle.items.filter(is_active=True).order_by("order"))
    existing = {
        r.checklist_item_id: r
        for r in assessment.responses.filter(checklist_item__in=items).prefetch_related(
            "evidence_items")
    }
    earlier = services.previous_submitted(assessment)
    previous = dict(
        earlier.responses.filter(checklist_item__in=items)
        .values_list("checklist_item_id", "rating")
    ) if earlier else {}
    spreads = contributions.spreads(assessment.pk)
    views: dict[int, list] = {}
    for view in (Contribution.objects.filter(assessment=assessment, checklist_item__in=items)
                 .select_related("contributor").order_by("perspective", "created_at", "pk")):
        views.setdefault(view.checklist_item_id, []).append(view)
    for item in items:
        item.answer = existing.get(item.pk)
        item.previous_rating = previous.get(item.pk)
        item.previous_label = Rating(previous[item.pk]).label if item.pk in previous else ""
        item.spread = spreads.get(item.pk)
        item.views = views.get(item.pk, [])
        item.asks_for_note = bool(item.spread and item.spread.split) or bool(
            getattr(item.answer, "consensus_note", ""))
    readonly = assessment.is_submitted or not can_answer
    forms = [
        (
            item,
            AnswerForm(
                request.POST if request.method == "POST" else None,
                prefix=f"item-{item.pk}",
                initial={
                    "rating": getattr(existing.get(item.pk), "rating", ""),
                    "evidence": getattr(existing.get(item.pk), "evidence", ""),
                    "consensus_note": getattr(existing.get(item.pk), "consensus_note", ""),
                },
            ),
        )
        for item in items
    ]
    if request.method == "POST":
        # responses_save refuses a submitted assessment, with the API's sentence.
        if all(form.is_valid() for _, form in forms):
            answers = [
                {
                    "checklist_item": item,
                    "rating": form.cleaned_data["rating"],
                    "evidence": form.cleaned_data["evidence"],
                    # Only where the page showed the field: views split, or a note exists.
                    **({"consensus_note": form.cleaned_data["consensus_note"]}
                       if item.asks_for_note else {}),
                }
                for item, form in forms
                if form.cleaned_data["rating"]
            ]
            try:
                services.responses_save(actor=request.user, assessment=assessment,
                                        answers=answers)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, f"Answers to principle {principle.number} saved as a draft."
                )
                return redirect("web:assessment", assessment.pk)
    return render(
        request,
        "web/assessment_section.html",
        {
            "assessment": assessment,
            "programme": programme,
            "principle": principle,
            "forms": forms,
            "readonly": readonly,
            "earlier": earlier,
            "guidance": RATING_GUIDANCE,
            "errors": [(item, form) for item, form in forms if form.errors],
        },
        status=400 if request.method == "POST" else 200,
    )


def _check_context(request, assessment, programme) -> dict:
    """Everything the check page shows: each answer by principle, and what is missing."""
    principles = list(
        Principle.objects.filter(framework_id=programme.framework_id).order_by("number")
    )
    items = list(
        ChecklistItem.objects.filter(principle__in=principles, is_active=True)
        .order_by("principle__number", "order")
    )
    answers = {r.checklist_item_id: r for r in assessment.responses.all()}
    by_principle = {p.pk: [] for p in principles}
    unanswered = []
    for item in items:
        item.answer = answers.get(item.pk)
        by_principle[item.principle_id].append(item)
        if item.answer is None:
            unanswered.append(item)
    ratings = {r: 0 for r in ("met", "partly_met", "not_met", "not_applicable")}
    for item in items:
        if item.answer is not None:
            ratings[item.answer.rating] += 1
    return {
        "assessment": assessment,
        "programme": programme,
        "principles": [(p, by_principle[p.pk]) for p in principles],
        "unanswered": unanswered,
        "unagreed": [] if assessment.is_submitted else contributions.needing_consensus(assessment),
        "answered": len(items) - len(unanswered),
        "total": len(items),
        "ratings": ratings,
        "today": timezone.localdate(),
        **role_context(request.user, programme.pk),
    }


@login_required
def assessment_submit(request, pk):
    """Check your answers, then submit: the service refuses an incomplete assessment."""
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    programme = assessment.cycle.programme
    refusal = None
    if request.method != "POST":  # the check page is for those who may submit
        require(
            access.can_answer_assessment(request.user, programme.pk, assessment.partner_id),
            "Only the programme's managers and this partner's leads can submit it.",
        )
    else:
        try:
            result = services.assessment_submit(actor=request.user, assessment=assessment)
        except DomainError as exc:
            refusal = exc
        else:
            opened = len(result.opened)
            proposed = len(result.proposed)
            messages.success(
                request,
                f"Assessment submitted{' late' if result.assessment.late else ''}. "
                f"{opened} new gap{'s' if opened != 1 else ''} opened, "
                f"{len(result.kept)} still open, {len(result.closed)} closed"
                + (f", {proposed} proposed for closing (they still have open work)"
                   if proposed else "") + ".",
            )
            return redirect("web:dashboard", programme.pk)
    context = _check_context(request, assessment, programme)
    context["refusal"] = refusal
    status = refusal.status_code if refusal is not None else 200
    return render(request, "web/assessment_submit.html", context, status=status)


RATING_GUIDANCE = [
    ("met", "Met", "Your organisation does this now, across the services it covers, and you "
     "can point to evidence: a policy in use, records, feedback or figures."),
    ("partly_met", "Partly met", "You do some of this, or in some teams or places but not "
     "all, or it is planned and has started. Say in the evidence what is missing."),
    ("not_met", "Not met", "You do not do this yet, or only informally with nothing to show "
     "for it. This opens a gap to plan work against."),
    ("not_applicable", "Not applicable", "The question does not apply to what your "
     "organisation does (for example, a question about staff you do not employ). Say why in "
     "the evidence. It is left out of your score."),
]
