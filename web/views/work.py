"""Pages for working off gaps: gaps, actions, learning needs, placements, offers, funding.

Each view checks access with the same functions as the API and calls the same
service; a refused rule comes back as an error on the form, never a crash.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from actions import access as action_access
from actions import services as action_services
from actions import sheets as action_sheets
from actions.models import Action
from core.errors import DomainError
from learning import access as learning_access
from learning import services as learning_services
from learning import sheets as learning_sheets
from learning.filters import LearningNeedFilter, TrainingOfferFilter
from learning.models import FundingStream, LearningNeed, TrainingOffer
from learning.selectors import matching_offers
from programmes import access
from programmes import services as programme_services
from programmes.answers import gap_answers
from programmes.models import Gap, Principle, Programme

from ..forms import (
    ActionForm,
    ActionStatusForm,
    AllocationForm,
    LearningNeedForm,
    NoteForm,
    PlacementForm,
    TrainingOfferForm,
)
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


def attempt(form, write):
    """Run a service write; put a refusal on the form instead. Returns the result or None."""
    try:
        return write()
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error.messages)
        else:
            form.add_error(None, exc.messages)
    return None


def invalid(request, template, context):
    return render(request, template, context, status=400)


# Gaps ---------------------------------------------------------------------------


def _gap_context(request, gap) -> dict:
    needs = list(
        LearningNeed.objects.filter(gap=gap)
        .select_related("partner")
        .prefetch_related("placements__training_offer", "funding_allocations__stream")
    )
    actions = list(
        Action.objects.filter(gap=gap)
        .select_related("owner", "owner_partner")
        .prefetch_related("funding_allocations__stream")
    )
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
    require(access.can_set_gap_status(request.user, gap),
            "Only the programme's managers can decide a proposed closure.")
    decision = request.POST.get("decision")
    note = request.POST.get("reason", "")[:2000]
    errors = []
    try:
        if decision == "close":
            outcomes = {
                a.pk: request.POST.get(f"action-{a.pk}", "")
                for a in programme_services.gap_open_work(gap).actions
            }
            programme_services.gap_close(gap=gap, note=note, actions=outcomes, actor=request.user)
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


# Actions -------------------------------------------------------------------------


@login_required
def my_actions(request):
    actions = (
        Action.objects.visible_to(request.user)
        .filter(Q(owner=request.user))
        .open()
        .select_related("programme", "gap__checklist_item", "owner_partner")
        .order_by("due_date", "pk")
    )
    fmt = download_format(request)
    if fmt is not None:
        rows = actions.select_related(*action_sheets.ACTION_SELECT)
        return download(fmt, columns=action_sheets.ACTION_COLUMNS,
                        rows=rows.iterator(chunk_size=1000), name="my-actions", count=rows.count)
    done = (
        Action.objects.visible_to(request.user)
        .filter(owner=request.user, status="done")
        .select_related("programme")
        .order_by("-completed_at")[:10]
    )
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
        "notes": action.notes.select_related("author"),
        "allocations": action.funding_allocations.select_related("stream"),
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


# Learning needs -------------------------------------------------------------------


@login_required
def learning_needs(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    needs = (
        LearningNeed.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("partner", "principle")
        .order_by("needed_by", "pk")
    )
    filterset = LearningNeedFilter(request.GET, queryset=needs)
    partner_choices(filterset.form.fields["partner"], programme)
    principle_choices(filterset.form.fields["principle"], programme)
    needs = filterset.qs if filterset.is_valid() else needs.none()
    fmt = download_format(request)
    if fmt is not None:
        rows = needs.select_related(*learning_sheets.NEED_SELECT)
        return download(fmt, columns=learning_sheets.NEED_COLUMNS,
                        rows=rows.iterator(chunk_size=1000), name="learning-needs",
                        count=rows.count)
    return render(
        request,
        "web/learning_needs.html",
        {
            "programme": programme,
            "needs": needs,
            "filter": filterset,
            "query": page_query(request),
            **role_context(request.user, programme.pk),
        },
    )


@login_required
def learning_need_new(request, gap_pk):
    gap = visible_or_404(Gap, request.user, pk=gap_pk)
    require(
        learning_access.can_change_need(request.user, gap.programme_id, gap.partner_id),
        "Only the programme's managers and this partner's leads can record its learning needs.",
    )
    form = LearningNeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        need = attempt(
            form,
            lambda: learning_services.need_create(
                programme=gap.programme, partner=gap.partner, gap=gap, **form.cleaned_data
            ),
        )
        if need:
            messages.success(request, f"Learning need “{need.topic}” recorded.")
            return redirect("web:learning-need", need.pk)
    context = {"form": form, "gap": gap, "programme": gap.programme}
    return (invalid if request.method == "POST" else render)(
        request, "web/learning_need_form.html", context
    )


@login_required
def learning_need(request, pk):
    need = visible_or_404(LearningNeed, request.user, pk=pk)
    return render(
        request,
        "web/learning_need.html",
        {
            "need": need,
            "programme": need.programme,
            "matches": matching_offers(need=need),
            "placements": need.placements.select_related("training_offer__provider"),
            "allocations": need.funding_allocations.select_related("stream"),
            "can_book": learning_access.can_book_placement(request.user, need),
            "can_fund": learning_access.can_manage_funding(request.user, need.programme_id),
        },
    )


@login_required
def placement_new(request, need_pk, offer_pk):
    need = visible_or_404(LearningNeed, request.user, pk=need_pk)
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=offer_pk)
    require(  # who sees the form; placement_book decides the booking itself
        learning_access.can_book_placement(request.user, need),
        "Only the programme's managers and this partner's leads can book places.",
    )
    form = PlacementForm(
        request.POST or None, initial={"places": min(need.workers_count, offer.places_free) or 1}
    )
    if request.method == "POST" and form.is_valid():
        placement = attempt(
            form,
            lambda: learning_services.placement_book(
                actor=request.user,
                learning_need=need,
                training_offer=offer,
                places=form.cleaned_data["places"],
            ),
        )
        if placement:
            messages.success(
                request,
                f"{placement.places} place{'s' if placement.places != 1 else ''} "
                f"requested on “{offer.title}”.",
            )
            return redirect("web:learning-need", need.pk)
    context = {"form": form, "need": need, "offer": offer, "programme": need.programme}
    return (invalid if request.method == "POST" else render)(
        request, "web/placement_form.html", context
    )


# Funding ---------------------------------------------------------------------------


@login_required
def funding(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    streams = (
        FundingStream.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("funder")
        .prefetch_related("allocations__learning_need", "allocations__action")
    )
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


# Training offers -------------------------------------------------------------------


@login_required
def catalogue(request):
    offers = (
        TrainingOffer.objects.published()
        .select_related("provider")
        .prefetch_related("principles")
        .order_by("start_date", "pk")
    )
    query = request.GET.copy()
    query.pop("download", None)
    filterset = TrainingOfferFilter(query, queryset=offers)
    fmt = download_format(request)
    if fmt is not None:
        rows = filterset.qs if filterset.is_valid() else offers.none()
        return download(fmt, columns=learning_sheets.OFFER_COLUMNS,
                        rows=rows.iterator(chunk_size=1000),
                        name="training-offers", count=rows.count)
    page = Paginator(filterset.qs if filterset.is_valid() else offers.none(), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "web/catalogue.html",
        {
            "page": page,
            "filter": filterset,
            "query": page_query(request),
            "formats": TrainingOffer.Format.choices,
        },
    )


def _provider_partners(user):
    from programmes.models import Membership, Partner

    if user.is_staff:
        return Partner.objects.filter(provides_learning=True)
    return Partner.objects.filter(
        pk__in=Membership.objects.filter(user=user, role="learning_provider").values("partner_id")
    )


@login_required
def my_offers(request):
    providers = list(_provider_partners(request.user))
    require(bool(providers), "Only learning providers publish training offers.")
    offers = (
        TrainingOffer.objects.filter(provider__in=providers)
        .select_related("provider")
        .order_by("status", "start_date")
    )
    return render(request, "web/my_offers.html", {"offers": offers, "providers": providers})


@login_required
def offer_new(request):
    providers = list(_provider_partners(request.user))
    require(bool(providers), "Only learning providers publish training offers.")
    form = TrainingOfferForm(request.POST or None)
    form.fields["principles"].queryset = Principle.objects.select_related("framework").order_by(
        "framework__slug", "number"
    )
    form.fields["principles"].label_from_instance = lambda p: (
        f"{p.framework.title}: {p.number}. {p.title}"
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        offer = attempt(form, lambda: learning_services.offer_create(provider=providers[0], **data))
        if offer:
            messages.success(
                request, f"“{offer.title}” saved as a draft. Publish it when it is ready."
            )
            return redirect("web:my-offers")
    context = {"form": form, "provider": providers[0]}
    return (invalid if request.method == "POST" else render)(
        request, "web/offer_form.html", context
    )


@login_required
@require_POST
def offer_status(request, pk, change):
    if change not in ("publish", "withdraw"):
        raise Http404
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=pk)
    require(
        learning_access.provides_for(request.user, offer.provider_id),
        "Only the provider's own people can change its offers.",
    )
    write = {
        "publish": learning_services.offer_publish,
        "withdraw": learning_services.offer_withdraw,
    }
    try:
        offer = write[change](offer=offer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{offer.title}” is now {offer.get_status_display().lower()}.")
    return redirect("web:my-offers")
