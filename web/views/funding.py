"""Funding pages: a programme's streams and allocating money to a need or an action.

Each view checks access with the same functions as the API and calls the same
service; a refused rule comes back as an error on the form, never a crash.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from actions.models import Action
from learning import access as learning_access
from learning import services as learning_services
from learning.models import LearningNeed
from programmes.models import Programme

from .. import selectors
from ..forms import AllocationForm
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
    require(
        learning_access.can_manage_funding(request.user, programme.pk),
        "Only the programme's managers can allocate funding.",
    )
    form = AllocationForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        allocation = attempt(
            form,
            lambda: learning_services.allocation_create(
                stream=form.cleaned_data["stream"],
                amount=form.cleaned_data["amount"],
                **target_field,
            ),
        )
        if allocation:
            messages.success(
                request, f"£{allocation.amount} allocated from {allocation.stream.name}."
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
        target=action.title,
        back=reverse("web:action", args=[action.pk]),
    )
