"""Evidence behind an answer, in pages: add a link or a file, remove it, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from core.errors import DomainError
from programmes import evidence as evidence_services
from programmes.api.evidence import file_download
from programmes.models import Evidence, Response

from ..forms import EvidenceForm
from .common import attempt, require, visible_or_404


def _back(response: Response) -> str:
    from django.urls import reverse

    number = response.checklist_item.principle.number
    return (reverse("web:assessment-section", args=[response.assessment_id, number])
            + f"#item-{response.checklist_item_id}")


@login_required
def evidence_new(request, pk):
    """Add a link or a file to an answer of a draft (those who may answer it)."""
    response = get_object_or_404(
        Response.objects.visible_to(request.user).select_related(
            "assessment__cycle__programme", "assessment__partner", "checklist_item__principle"),
        pk=pk)
    assessment = response.assessment
    require(evidence_services.can_change(request.user, assessment), evidence_services.REFUSED)
    if assessment.is_submitted:
        messages.info(request, evidence_services.SUBMITTED)
        return redirect(_back(response))
    form = EvidenceForm(request.POST if request.method == "POST" else None,
                        request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        added = attempt(form, lambda: evidence_services.evidence_add(
            actor=request.user, response=response, title=data["title"], url=data["url"],
            file=data["file"], evidence_date=data["evidence_date"]))
        if added is not None:
            messages.success(request,
                             f"“{added.title}” is added to {response.checklist_item.code}.")
            return redirect(_back(response))
    return render(request, "web/evidence_form.html", {
        "form": form, "response": response, "assessment": assessment,
        "programme": assessment.cycle.programme, "back": _back(response),
    }, status=400 if form.errors else 200)


@login_required
def evidence_delete(request, pk):
    """Confirm, then remove a link or a file from an answer of a draft."""
    item = visible_or_404(Evidence, request.user, pk=pk)
    response = Response.objects.select_related(
        "assessment__cycle__programme", "assessment__partner", "checklist_item__principle"
    ).get(pk=item.response_id)
    require(evidence_services.can_change(request.user, response.assessment),
            evidence_services.REFUSED)
    if request.method == "POST":
        try:
            evidence_services.evidence_delete(actor=request.user, evidence=item)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{item.title}” is removed.")
        return redirect(_back(response))
    return render(request, "web/evidence_delete.html", {
        "item": item, "response": response, "assessment": response.assessment,
        "programme": response.assessment.cycle.programme, "back": _back(response)})


@login_required
def evidence_download(request, pk):
    """The file, to anyone who may see the assessment (a 404 for everyone else)."""
    return file_download(visible_or_404(Evidence, request.user, pk=pk))
