"""Answering a self-assessment: a task list of principles, a page per principle, submit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from programmes import access, services
from programmes.errors import DomainError
from programmes.models import Assessment, AssessmentCycle, Partner, Principle, Programme

from ..forms import AnswerForm
from .common import require, role_context, visible_or_404


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
        {"programme": programme, "rows": rows, **role_context(request.user, programme.pk)},
    )


@login_required
@require_POST
def assessment_start(request, pk, cycle_pk, partner_pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    cycle = visible_or_404(AssessmentCycle, request.user, pk=cycle_pk, programme=programme)
    partner = visible_or_404(Partner, request.user, pk=partner_pk)
    require(
        access.can_answer_assessment(request.user, programme.pk, partner.pk),
        "Only the programme's managers and this partner's leads can answer its assessment.",
    )
    assessment = Assessment.objects.filter(cycle=cycle, partner=partner).first()
    if assessment is None:
        try:
            assessment = services.assessment_create(cycle=cycle, partner=partner)
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
    return render(
        request,
        "web/assessment.html",
        {
            "assessment": assessment,
            "programme": programme,
            "sections": sections,
            "answered": sum(s.answered for s in sections),
            "total": sum(s.item_count for s in sections),
            "can_answer": access.can_answer_assessment(
                request.user, programme.pk, assessment.partner_id
            ),
        },
    )


@login_required
def assessment_section(request, pk, number):
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    programme = assessment.cycle.programme
    principle = get_object_or_404(Principle, framework_id=programme.framework_id, number=number)
    can_answer = access.can_answer_assessment(request.user, programme.pk, assessment.partner_id)
    items = list(principle.items.filter(is_active=True).order_by("order"))
    existing = {
        r.checklist_item_id: r for r in assessment.responses.filter(checklist_item__in=items)
    }
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
                },
            ),
        )
        for item in items
    ]
    if request.method == "POST":
        require(can_answer, "Only the programme's managers and this partner's leads can answer it.")
        if assessment.is_submitted:
            messages.error(request, "This assessment has been submitted and can no longer change.")
            return redirect("web:assessment", assessment.pk)
        if all(form.is_valid() for _, form in forms):
            answers = [
                {
                    "checklist_item": item,
                    "rating": form.cleaned_data["rating"],
                    "evidence": form.cleaned_data["evidence"],
                }
                for item, form in forms
                if form.cleaned_data["rating"]
            ]
            try:
                services.responses_save(assessment=assessment, answers=answers)
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
            "errors": [(item, form) for item, form in forms if form.errors],
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def assessment_submit(request, pk):
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    programme = assessment.cycle.programme
    require(
        access.can_answer_assessment(request.user, programme.pk, assessment.partner_id),
        "Only the programme's managers and this partner's leads can submit it.",
    )
    sections = _sections(assessment)
    answered = sum(s.answered for s in sections)
    if request.method == "POST":
        try:
            result = services.assessment_submit(assessment=assessment, user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("web:assessment", assessment.pk)
        opened = len(result.opened)
        messages.success(
            request,
            f"Assessment submitted. {opened} new gap{'s' if opened != 1 else ''} opened, "
            f"{len(result.kept)} still open, {len(result.closed)} closed.",
        )
        return redirect("web:dashboard", programme.pk)
    return render(
        request,
        "web/assessment_submit.html",
        {
            "assessment": assessment,
            "programme": programme,
            "answered": answered,
            "total": sum(s.item_count for s in sections),
            "ratings": {
                r: assessment.responses.filter(rating=r).count()
                for r in ("met", "partly_met", "not_met", "not_applicable")
            },
            **role_context(request.user, programme.pk),
        },
    )
