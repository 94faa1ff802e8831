"""Action pages: adding an action to a gap, my actions, an action, its status, notes,
details, owner and deletion.

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
from core.errors import DomainError
from learning import access as learning_access
from programmes import access as programme_access
from programmes.models import Gap

from .. import selectors
from ..forms import ActionEditForm, ActionForm, ActionReassignForm, ActionStatusForm, NoteForm
from .common import (
    attempt,
    download,
    download_format,
    invalid,
    page_query,
    require,
    visible_or_404,
)


def _is_manager(user, programme_id) -> bool:
    return programme_access.is_manager(user, programme_id)


@login_required
def action_new(request, gap_pk):
    gap = visible_or_404(Gap, request.user, pk=gap_pk)
    programme = gap.programme
    # Shown to those who may add actions to this gap; the rest read the service's sentence.
    require(programme_access.role_in(request.user, programme.pk) in action_services.OWNER_ROLES,
            action_services.CREATE_REFUSED)
    require(programme_access.is_manager(request.user, programme.pk)
            or programme_access.is_partner_lead_for(request.user, programme.pk, gap.partner_id),
            "Only the programme's managers and this partner's leads can add actions to it.")
    form = ActionForm(
        request.POST or None,
        programme=programme,
        manager=_is_manager(request.user, programme.pk),
        initial={"priority": "medium"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # action_create checks the role and to whom the action may be given.
        action = attempt(
            form,
            lambda: action_services.action_create(
                actor=request.user, programme=programme, gap=gap, **data
            ),
        )
        if action:
            messages.success(request, f"Action “{action.title}” added.")
            return redirect("web:gap", gap.pk)
    context = {"form": form, "gap": gap, "programme": programme}
    if request.method == "POST":
        return invalid(request, "web/action_form.html", context)
    return render(request, "web/action_form.html", context)


CHANGE_REFUSED = action_services.CHANGE_REFUSED


def _action_for_change(request, pk):
    action = visible_or_404(Action, request.user, pk=pk)
    require(action_access.can_change_action(request.user, action), CHANGE_REFUSED)
    return action


@login_required
def action_edit(request, pk):
    """Change an action's details; moving a set due date needs a reason."""
    action = _action_for_change(request, pk)
    form = ActionEditForm(request.POST or None, instance=Action.objects.get(pk=action.pk),
                          programme=action.programme,
                          manager=_is_manager(request.user, action.programme_id))
    if request.method == "POST" and form.is_valid():
        data = form.changes()
        reason = data.pop("due_date_reason", "")
        saved = attempt(form, lambda: action_services.action_update(
            actor=request.user, action=action,
            due_date_reason=reason, **data))
        if saved:
            messages.success(request, f"Action “{saved.title}” saved.")
            return redirect("web:action", saved.pk)
    context = {"form": form, "action": action, "programme": action.programme}
    if request.method == "POST":
        return invalid(request, "web/action_edit.html", context)
    return render(request, "web/action_edit.html", context)


@login_required
def action_reassign(request, pk):
    """Give the action to another owner (the owning organisation follows them)."""
    action = _action_for_change(request, pk)
    form = ActionReassignForm(request.POST or None, instance=Action.objects.get(pk=action.pk),
                              programme=action.programme,
                              manager=_is_manager(request.user, action.programme_id))
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, lambda: action_services.action_update(
            actor=request.user, action=action, **form.changes()))
        if saved:
            who = saved.owner.get_full_name() or saved.owner.username if saved.owner \
                else "nobody"
            messages.success(request, f"“{saved.title}” is now owned by {who}.")
            return redirect("web:action", saved.pk)
    context = {"form": form, "action": action, "programme": action.programme}
    if request.method == "POST":
        return invalid(request, "web/action_reassign.html", context)
    return render(request, "web/action_reassign.html", context)


@login_required
def action_delete(request, pk):
    """Delete an action (managers), after a page that asks to confirm."""
    action = visible_or_404(Action, request.user, pk=pk)
    require(action_access.can_delete_action(request.user, action),
            "Only the programme's managers can delete actions.")
    error = ""
    if request.method == "POST":
        try:
            action_services.action_delete(actor=request.user, action=action)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"Action “{action.title}” deleted.")
            if action.gap_id:
                return redirect("web:gap", action.gap_id)
            return redirect("web:action-board", action.programme_id)
    context = {"action": action, "programme": action.programme, "error": error}
    return render(request, "web/action_delete.html", context, status=400 if error else 200)


@login_required
def my_actions(request):
    actions = selectors.my_open_actions(user=request.user)
    fmt = download_format(request)
    if fmt is not None:
        rows = actions.select_related(*action_sheets.ACTION_SELECT)
        return download(fmt, columns=action_sheets.ACTION_COLUMNS,
                        rows=rows, name="my-actions", count=rows.count)
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


def _action_page(request, action, *, note_form) -> dict:
    """What the action page shows: its notes, its funding, its history and the forms
    the person may use."""
    user, programme_id = request.user, action.programme_id
    manager = programme_access.is_manager(user, programme_id)
    return {
        "action": action,
        "programme": action.programme,
        "notes": selectors.action_notes(action=action),
        "allocations": selectors.action_allocations(action=action),
        "can_fund": learning_access.can_manage_funding(user, programme_id),
        "can_change": action_access.can_change_action(user, action),
        "can_delete": action_access.can_delete_action(user, action),
        "history": selectors.history_of(action) if manager else None,
        "status_form": ActionStatusForm(initial={"status": action.status}),
        "note_form": note_form,
    }


@login_required
def action(request, pk):
    action = visible_or_404(Action, request.user, pk=pk)
    return render(request, "web/action.html", _action_page(request, action, note_form=NoteForm()))


@login_required
@require_POST
def action_status(request, pk):
    action = visible_or_404(Action, request.user, pk=pk)
    require(
        action_access.can_change_action(request.user, action), CHANGE_REFUSED,
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
            actor=request.user, action=action, text=form.cleaned_data["text"]
        ),
    ):
        messages.success(request, "Progress note added.")
        return redirect("web:action", action.pk)
    return invalid(
        request,
        "web/action.html",
        _action_page(request, action, note_form=form),
    )
