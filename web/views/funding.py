"""Funding pages: a programme's streams, a stream's own page (its rules, money at each
step and each partner against the cap), adding and changing a stream, allocating money
to a need or an action, and moving an allocation along (committed, claimed with its
evidence, paid) or cancelling it.

The services decide who may write (``learning.access``); a form page a role may not use
is a 403 with the service's own sentence, and a refused POST is the service's 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from actions.models import Action
from core.errors import DomainError
from core.money import format_money
from learning import access as learning_access
from learning import selectors as learning_selectors
from learning import services as learning_services
from learning.models import FundingAllocation, FundingStream, LearningNeed
from programmes.models import Programme

from .. import selectors
from ..forms import (
    AllocationChangeForm,
    AllocationClaimForm,
    AllocationForm,
    AllocationPayForm,
    FundingStreamForm,
)
from .common import attempt, invalid, require, role_context, visible_or_404


@login_required
def funding(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    streams = selectors.programme_streams(user=request.user, programme=programme)
    return render(
        request,
        "web/funding.html",
        {"programme": programme, "streams": streams, **role_context(request.user, programme.pk)},
    )


def _allocate(request, *, programme, target, back, **target_field):
    """Allocate money from one of the programme's streams to a learning need or an action."""
    require(learning_access.can_manage_funding(request.user, programme.pk),
            learning_access.ALLOCATION_REFUSED)
    form = AllocationForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        allocation = attempt(
            form,
            lambda: learning_services.allocation_create(
                actor=request.user,
                stream=form.cleaned_data["stream"],
                amount=form.cleaned_data["amount"],
                **target_field,
            ),
        )
        if allocation:
            messages.success(
                request,
                f"{format_money(allocation.amount)} allocated from {allocation.stream.name}.",
            )
            return redirect(back)
    context = {"form": form, "target": target, "back": back, "programme": programme}
    return (invalid if request.method == "POST" else render)(
        request, "web/allocation_form.html", context
    )


@login_required
def allocation_new(request, need_pk):
    need = visible_or_404(LearningNeed, request.user, pk=need_pk)
    return _allocate(
        request,
        programme=need.programme,
        learning_need=need,
        target=f"{need.topic} ({need.workers_count} {need.staff_group.lower()}, "
        f"{need.partner.name})",
        back=reverse("web:learning-need", args=[need.pk]),
    )


@login_required
def action_allocation_new(request, pk):
    action = visible_or_404(Action, request.user, pk=pk)
    return _allocate(
        request,
        programme=action.programme,
        action=action,
        # the need's words name its partner; an action's title alone may repeat
        target=(f"{action.title} (gap {action.gap.checklist_item.code}, "
                f"{action.gap.partner.name})" if action.gap else action.title),
        back=reverse("web:action", args=[action.pk]),
    )


def _stream_form(request, *, programme, stream=None):
    """Add a funding stream to the programme, or change one (managers)."""
    require(learning_access.can_manage_funding(request.user, programme.pk),
            learning_access.STREAM_REFUSED)
    initial = model_to_dict(stream, fields=FundingStreamForm.Meta.fields) if stream else None
    form = FundingStreamForm(request.POST or None, initial=initial, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if stream is None:
            saved = attempt(form, lambda: learning_services.stream_create(
                actor=request.user, programme=programme, **data))
        else:
            saved = attempt(form, lambda: learning_services.stream_update(
                actor=request.user, stream=stream, **data))
        if saved:
            messages.success(request, f"Funding stream “{saved.name}” saved.")
            return redirect("web:stream", saved.pk)
    context = {"form": form, "stream": stream, "programme": programme}
    return (invalid if request.method == "POST" else render)(
        request, "web/stream_form.html", context
    )


@login_required
def stream_new(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    return _stream_form(request, programme=programme)


@login_required
def stream_edit(request, pk):
    stream = visible_or_404(FundingStream, request.user, pk=pk)
    return _stream_form(request, programme=stream.programme, stream=stream)


@login_required
def stream(request, pk):
    """One stream: its rules, its money at each step, each partner against the cap, and
    its allocations with the steps a manager may take."""
    found = visible_or_404(FundingStream, request.user, pk=pk)
    stream = selectors.stream_page(user=request.user, pk=found.pk)
    return render(request, "web/stream.html", {
        "stream": stream, "programme": stream.programme,
        "partners": learning_selectors.stream_partners(stream=stream),
        "allocations": selectors.stream_allocations(stream=stream),
        **role_context(request.user, stream.programme_id)})


ALLOCATION_CHANGES = {
    "commit": learning_services.allocation_commit,
    "cancel": learning_services.allocation_cancel,
}


@login_required
@require_POST
def allocation_status(request, pk, change):
    """Commit a planned allocation or cancel one (the services decide who may)."""
    if change not in ALLOCATION_CHANGES:
        raise Http404
    allocation = visible_or_404(FundingAllocation, request.user, pk=pk)
    try:
        allocation = ALLOCATION_CHANGES[change](actor=request.user, allocation=allocation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        status = allocation.get_status_display().lower()
        messages.success(request, f"{format_money(allocation.amount)} from "
                                  f"{allocation.stream.name} is now {status}.")
    return redirect("web:stream", allocation.stream_id)


def _allocation_step(request, pk, *, form_class, template, write, done):
    """A step of an allocation that takes a form: the claim (evidence and its day) or the
    payment (its day), through the step's service."""
    allocation = visible_or_404(FundingAllocation, request.user, pk=pk)
    stream = allocation.stream
    require(learning_access.can_manage_funding(request.user, stream.programme_id),
            learning_access.ALLOCATION_REFUSED)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, lambda: write(actor=request.user, allocation=allocation,
                                            **form.cleaned_data))
        if saved:
            messages.success(request, f"{format_money(saved.amount)} from {stream.name} {done}.")
            return redirect("web:stream", stream.pk)
    context = {"form": form, "allocation": allocation, "stream": stream,
               "programme": stream.programme}
    return (invalid if request.method == "POST" else render)(request, template, context)


@login_required
def allocation_claim(request, pk):
    return _allocation_step(
        request, pk, form_class=AllocationClaimForm, template="web/allocation_claim.html",
        done="is claimed",
        write=learning_services.allocation_claim)


@login_required
def allocation_pay(request, pk):
    return _allocation_step(
        request, pk, form_class=AllocationPayForm, template="web/allocation_pay.html",
        done="is paid", write=learning_services.allocation_pay)


@login_required
def allocation_edit(request, pk):
    """Change an allocation's amount or note (managers; ``allocation_update``)."""
    allocation = visible_or_404(FundingAllocation, request.user, pk=pk)
    stream = allocation.stream
    require(learning_access.can_manage_funding(request.user, stream.programme_id),
            learning_access.ALLOCATION_REFUSED)
    form = AllocationChangeForm(request.POST or None,
                                initial={"amount": allocation.amount, "note": allocation.note})
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, lambda: learning_services.allocation_update(
            actor=request.user, allocation=allocation, **form.cleaned_data))
        if saved:
            messages.success(request, f"Allocation from {stream.name} is now "
                                      f"{format_money(saved.amount)}.")
            return redirect("web:stream", stream.pk)
    context = {"form": form, "allocation": allocation, "stream": stream,
               "programme": stream.programme}
    return (invalid if request.method == "POST" else render)(
        request, "web/allocation_change.html", context
    )
