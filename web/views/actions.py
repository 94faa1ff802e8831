"""Action pages: adding an action to a gap, my actions, an action, its status and notes.

Each view checks access with the same functions as the API and calls the same
service; a refused rule comes back as an error on the form, never a crash.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from actions import access as action_access
from actions import services as action_services
from actions import sheets as action_sheets
from actions.models import Action
from learning import access as learning_access
from programmes.models import Gap

from .. import selectors
from ..forms import ActionForm, ActionStatusForm, NoteForm
from .common import (
    attempt,
    download,
    download_format,
    invalid,
    page_query,
    require,
    visible_or_404,
)


@login_required
def action_new(request, gap_pk):
    gap = visible_or_404(Gap, request.user, pk=gap_pk)
    programme = gap.programme
    form = ActionForm(
        request.POST or None,
        programme=programme,
        initial={"owner_partner": gap.partner_id, "priority": "medium"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # action_create checks the role and to whom the action may be given.
        action = attempt(
            form,
            lambda: action_services.action_create(
                programme=programme, gap=gap, created_by=request.user, **data
            ),
        )
        if action:
            messages.success(request, f"Action “{action.title}” added.")
            return redirect("web:gap", gap.pk)
    context = {"form": form, "gap": gap, "programme": programme}
    if request.method == "POST":
        return invalid(request, "web/action_form.html", context)
    return render(request, "web/action_form.html", context)


@login_required
def my_actions(request):
    actions = selectors.my_open_actions(user=request.user)
    fmt = download_format(request)
    if fmt is not None:
        rows = actions.select_related(*action_sheets.ACTION_SELECT)
        return download(fmt, columns=action_sheets.ACTION_COLUMNS,
                        rows=rows.iterator(chunk_size=1000), name="my-actions", count=rows.count)
    done = selectors.my_done_actions(user=request.user)
    return render(
        request,
        "web/my_actions.html",
        {
            "actions": actions,
            "done": done,
            "statuses": Action.Status.choices,
            "query": page_query(request),
        },
    )


def _action_page(request, action, *, can_change, note_form) -> dict:
    """What the action page shows: its notes, its funding and the two forms."""
    return {
        "action": action,
        "programme": action.programme,
        "notes": selectors.action_notes(action=action),
        "allocations": selectors.action_allocations(action=action),
        "can_fund": learning_access.can_manage_funding(request.user, action.programme_id),
        "can_change": can_change,
        "status_form": ActionStatusForm(initial={"status": action.status}),
        "note_form": note_form,
    }


@login_required
def action(request, pk):
    action = visible_or_404(Action, request.user, pk=pk)
    can_change = action_access.can_change_action(request.user, action)
    return render(request, "web/action.html",
                  _action_page(request, action, can_change=can_change, note_form=NoteForm()))


@login_required
@require_POST
def action_status(request, pk):
    action = visible_or_404(Action, request.user, pk=pk)
    require(
        action_access.can_change_action(request.user, action),
        "You can change actions owned by you or your organisation only.",
    )
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        action = (
            attempt(
                form,
                lambda: action_services.action_update(
                    action=action, actor=request.user, status=form.cleaned_data["status"]
                ),
            )
            or action
        )
    if request.headers.get("HX-Request"):
        return render(
            request,
            "web/_action_row.html",
            {
                "action": action,
                "statuses": Action.Status.choices,
                "saved": not form.errors,
                "errors": form.errors,
            },
            status=200 if not form.errors else 400,
        )
    if form.errors:
        messages.error(
            request,
            "The status could not be changed: "
            + "; ".join(e for errors in form.errors.values() for e in errors),
        )
    else:
        messages.success(request, f"“{action.title}” is now {action.get_status_display().lower()}.")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("web:action", action.pk)


@login_required
@require_POST
def action_note(request, pk):
    action = visible_or_404(Action, request.user, pk=pk)
    require(
        action_access.can_change_action(request.user, action),
        "You can add notes to actions you may change only.",
    )
    form = NoteForm(request.POST)
    if form.is_valid() and attempt(
        form,
        lambda: action_services.action_add_note(
            action=action, author=request.user, text=form.cleaned_data["text"]
        ),
    ):
        messages.success(request, "Progress note added.")
        return redirect("web:action", action.pk)
    return invalid(
        request,
        "web/action.html",
        _action_page(request, action, can_change=True, note_form=form),
    )
