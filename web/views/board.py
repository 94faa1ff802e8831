"""The programme action board: every action the user may see in one programme, filtered,
sorted, searched, paged and downloaded, and changed in bulk by the programme's managers."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from actions import services as action_services
from actions import sheets as action_sheets
from actions.filters import ActionBoardFilter
from actions.models import Action
from core.errors import DomainError
from programmes import access
from programmes.models import Membership, Programme

from .common import (
    download,
    download_format,
    page_query,
    partner_choices,
    principle_choices,
    require,
    role_context,
    visible_or_404,
)

# The filters the board's form shows, in order (the rest still work in the address).
SHOWN_FILTERS = ["owner_partner", "owner", "status", "principle", "priority", "sort"]
# The filters the form shows as "Show only" check boxes, with their words there.
SHOWN_CHECKS = [("overdue", "Overdue"), ("open", "Still open"), ("no_owner", "No owner")]
NO_CHANGE, NO_OWNER = "", "none"
BULK_REFUSED = action_services.BULK_REFUSED


def _members(programme, *, owners_only=False) -> list[tuple[int, str]]:
    """(user id, "Name – Organisation, role") of the programme's people, read in one query."""
    memberships = Membership.objects.filter(programme=programme)
    if owners_only:  # the people an action can be given to: no one who has left
        memberships = memberships.filter(
            role__in=[access.Role.MANAGER, access.Role.PARTNER_LEAD], ended_at__isnull=True)
    rows = memberships.select_related("user", "partner").order_by(
        "user__first_name", "user__last_name", "user__username")
    roles = dict(Membership.Role.choices)
    pairs = []
    for m in rows:
        name = m.user.get_full_name() or m.user.username
        where = f"{m.partner.name}, " if m.partner is not None else ""
        left = " (left)" if m.ended_at is not None else ""
        pairs.append((m.user_id,
                      f"{name} – {where}{roles.get(m.role, m.role).lower()}{left}"))
    return pairs


@login_required
def board(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    data = request.GET.copy()
    data.setdefault("sort", "due_date")
    actions = (
        Action.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("owner", "owner_partner", "gap__checklist_item")
    )
    filterset = ActionBoardFilter(data, queryset=actions)
    form = filterset.form
    partner_choices(form.fields["owner_partner"], programme)
    form.fields["owner_partner"].label = "Partner"
    principle_choices(form.fields["principle"], programme)
    form.fields["owner"].option_pairs = [("", ""), *_members(programme)]
    fmt = download_format(request)
    if fmt is not None:
        rows = filterset.qs if filterset.is_valid() else actions.none()
        return download(fmt, columns=action_sheets.ACTION_COLUMNS,
                        rows=rows.select_related(*action_sheets.ACTION_SELECT),
                        name="actions", count=rows.count)
    shown = filterset.qs if filterset.is_valid() else actions.none()
    page = Paginator(shown, 50).get_page(request.GET.get("page"))
    roles = role_context(request.user, programme.pk)
    return render(
        request,
        "web/action_board.html",
        {
            "programme": programme,
            "filter": filterset,
            "shown_filters": SHOWN_FILTERS,
            "filter_checks": [(form[name], label) for name, label in SHOWN_CHECKS],
            "page": page,
            "query": page_query(request),
            "statuses": Action.Status.choices,
            "owners": _members(programme, owners_only=True) if roles["is_manager"] else [],
            "no_owner_value": NO_OWNER,
            **roles,
        },
    )


def _ids(values) -> list[int]:
    ids = []
    for value in values:
        if not value.isdigit() or len(value) > 10:
            raise DomainError("Choose the actions to change from the list.")
        ids.append(int(value))
    return ids


@login_required
@require_POST
def board_bulk(request, pk):
    """The board's bulk form: the chosen actions get the new owner or status, all or none."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    require(access.is_manager(request.user, programme.pk), BULK_REFUSED)
    back = reverse("web:action-board", args=[programme.pk])
    query = QueryDict(request.POST.get("query", "")).urlencode()
    if query:
        back += "?" + query
    change = {}
    owner = request.POST.get("owner", NO_CHANGE)
    status = request.POST.get("status", NO_CHANGE) or None
    try:
        if owner == NO_OWNER:
            change["owner"] = None
        elif owner != NO_CHANGE:
            owner_ids = {pk for pk, _ in _members(programme, owners_only=True)}
            if not owner.isdigit() or int(owner) not in owner_ids:
                raise DomainError("Choose the new owner from the list.")
            change["owner"] = get_user_model().objects.get(pk=int(owner))
        if status is not None and status not in Action.Status.values:
            raise DomainError("Choose the new status from the list.")
        ids = _ids(request.POST.getlist("ids"))
        # Only this programme's actions: the board shows no other.
        ids = list(Action.objects.filter(programme=programme, pk__in=ids)
                   .values_list("pk", flat=True)) if ids else []
        changed = action_services.actions_bulk_update(
            actor=request.user, ids=ids, status=status, **change)
    except (DomainError, PermissionDenied) as exc:
        message = getattr(exc, "message", None) or str(exc)
        messages.error(request, f"Nothing was changed. {message}")
    else:
        messages.success(request, f"{changed} action{'s' if changed != 1 else ''} changed.")
    return redirect(back)
