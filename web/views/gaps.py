"""The gap page, a manager's decision on a proposed closure, and closing or reopening a
gap by hand with a reason.

Each view checks access with the same functions as the API and calls the same
service; a refused rule comes back as an error on the page, never a crash.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from learning import access as learning_access
from programmes import access
from programmes import services as programme_services
from programmes.answers import gap_answers
from programmes.models import Gap, Programme

from .. import selectors
from ..forms import GapChangeForm, GapNewForm, ReasonForm
from .common import attempt, invalid, require, role_context, visible_or_404


def _gap_context(request, gap) -> dict:
    needs = selectors.gap_needs(gap=gap)
    actions = selectors.gap_actions(gap=gap)
    context = {
        "gap": gap,
        "programme": gap.programme,
        "answers": gap_answers(gap=gap),
        "actions": actions,
        "needs": needs,
        "action_allocations": [
            a for action in actions for a in action.funding_allocations.all()
        ],
        "can_add_action": access.is_manager(request.user, gap.programme_id)
        or access.is_partner_lead_for(request.user, gap.programme_id, gap.partner_id),
        "can_add_need": learning_access.can_change_need(
            request.user, gap.programme_id, gap.partner_id
        ),
        "can_fund": learning_access.can_manage_funding(request.user, gap.programme_id),
        "can_set_status": access.can_set_gap_status(request.user, gap),
        "can_change": access.can_change_gap(request.user, gap),
        "history": selectors.history_of(gap)
        if access.is_manager(request.user, gap.programme_id) else None,
        **role_context(request.user, gap.programme_id),
    }
    if gap.status == Gap.Status.CLOSURE_PROPOSED:
        context["open_work"] = programme_services.gap_open_work(gap)
        context["can_decide"] = access.can_set_gap_status(request.user, gap)
        context["outcome_choices"] = [("done", "Mark it done"), ("cancelled", "Cancel it"),
                                      ("kept", "Keep it open")]
    return context


@login_required
def gap(request, pk):
    gap = visible_or_404(Gap, request.user, pk=pk)
    return render(request, "web/gap.html", _gap_context(request, gap))


@login_required
@require_POST
def gap_decide(request, pk):
    """A manager decides a proposed closure: close (saying what becomes of each open
    action) or keep the gap open. The same services as the API's close and keep-open."""
    gap = visible_or_404(Gap, request.user, pk=pk)
    decision = request.POST.get("decision")
    # Shown to managers only; the refusal is the sentence of the service asked for.
    require(access.can_set_gap_status(request.user, gap),
            programme_services.GAP_STATUS_REFUSED if decision == "close"
            else programme_services.GAP_DECISION_REFUSED)
    note = request.POST.get("reason", "")[:2000]
    errors = []
    try:
        if decision == "close":
            # Only the choices made: none is the API's "no actions" (the same sentence).
            outcomes = {
                a.pk: request.POST[f"action-{a.pk}"]
                for a in programme_services.gap_open_work(gap).actions
                if request.POST.get(f"action-{a.pk}")
            }
            programme_services.gap_close(actor=request.user, gap=gap, note=note,
                                         actions=outcomes or None)
            messages.success(request, "The gap is closed.")
        elif decision == "keep_open":
            programme_services.gap_keep_open(actor=request.user, gap=gap, note=note)
            messages.success(request, "The gap stays open; its work goes on.")
        else:
            errors.append(("decision-close", "Choose whether to close the gap or keep it open."))
    except DomainError as exc:
        errors.append(("decision-close", exc.message))
    if not errors:
        return redirect("web:gap", gap.pk)
    gap.refresh_from_db()
    context = _gap_context(request, gap)
    context["decision_errors"] = errors
    context["posted"] = request.POST
    return render(request, "web/gap.html", context, status=400)


STATUS_REFUSED = programme_services.GAP_STATUS_REFUSED


def _gap_status_page(request, pk, *, closing: bool):
    """Close an open gap, or reopen a closed one, by hand with a reason (the API's
    ``close`` and ``reopen``, through the same services)."""
    gap = visible_or_404(Gap, request.user, pk=pk)
    require(access.can_set_gap_status(request.user, gap), STATUS_REFUSED)
    wanted = Gap.Status.OPEN if closing else Gap.Status.CLOSED
    if gap.status != wanted:
        if gap.status == Gap.Status.CLOSURE_PROPOSED:
            messages.info(request, "This gap's closure is proposed: decide it on this page.")
        else:
            messages.info(request, "This gap is already closed." if closing
                          else "This gap is already open.")
        return redirect("web:gap", gap.pk)
    if closing:
        form = ReasonForm(request.POST or None, label="Why are you closing this gap?",
                          required="Enter why you are closing the gap",
                          hint="For example, what was done or agreed. It is kept with the gap.")
    else:
        form = ReasonForm(request.POST or None, label="Why are you reopening this gap?",
                          required="Enter why you are reopening the gap",
                          hint="It is kept with the gap.")
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        if closing:
            done = attempt(form, lambda: programme_services.gap_close(
                actor=request.user, gap=gap, note=reason))
        else:
            done = attempt(form, lambda: programme_services.gap_reopen(
                actor=request.user, gap=gap, note=reason))
        if done:
            messages.success(request, "The gap is closed." if closing else "The gap is open again.")
            return redirect("web:gap", gap.pk)
    context = {"form": form, "gap": gap, "programme": gap.programme, "closing": closing,
               "open_work": programme_services.gap_open_work(gap) if closing else None}
    if request.method == "POST":
        return invalid(request, "web/gap_status_form.html", context)
    return render(request, "web/gap_status_form.html", context)


@login_required
def gap_close(request, pk):
    return _gap_status_page(request, pk, closing=True)


@login_required
def gap_reopen(request, pk):
    return _gap_status_page(request, pk, closing=False)


GAP_CHANGE_REFUSED = ("Only the programme's managers and this partner's leads can change "
                      "this gap.")
GAP_OPEN_REFUSED = "Only the programme's managers can open a gap by hand."


@login_required
def gap_edit(request, pk):
    """Change a gap's severity and notes (managers, and the partner's leads): the API's
    ``PATCH /gaps/{id}/`` through ``gap_update``."""
    gap = visible_or_404(Gap, request.user, pk=pk)
    require(access.can_change_gap(request.user, gap), GAP_CHANGE_REFUSED)
    form = GapChangeForm(request.POST or None, initial={
        "severity": gap.severity, "description": gap.description, "version": gap.version})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        saved = attempt(form, lambda: programme_services.gap_update(
            actor=request.user, gap=gap, version=version, **data))
        if saved:
            messages.success(request, "The gap's details are saved.")
            return redirect("web:gap", gap.pk)
    context = {"form": form, "gap": gap, "programme": gap.programme}
    if request.method == "POST":
        return invalid(request, "web/gap_form.html", context)
    return render(request, "web/gap_form.html", context)


@login_required
def gap_new(request, pk):
    """Open a gap by hand (managers): the API's ``POST /gaps/`` through ``gap_create``."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    require(access.can_manage_programme(request.user, programme.pk), GAP_OPEN_REFUSED)
    form = GapNewForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        gap = attempt(form, lambda: programme_services.gap_create(
            actor=request.user, programme=programme, **data))
        if gap:
            messages.success(request, f"A gap is open for {gap.partner.name} on "
                                      f"{gap.checklist_item.code}.")
            return redirect("web:gap", gap.pk)
    context = {"form": form, "programme": programme}
    if request.method == "POST":
        return invalid(request, "web/gap_form.html", context)
    return render(request, "web/gap_form.html", context)
