"""Learning-need pages: a programme's needs, recording and changing a need, a need and
booking places, and confirming or cancelling them.

The services decide who may write (``learning.access``); a form page a role may not use
is a 403 with the service's own sentence, and a refused POST is the service's 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import DomainError
from learning import access as learning_access
from learning import services as learning_services
from learning import sheets as learning_sheets
from learning.filters import LearningNeedFilter
from learning.models import LearningNeed, Placement, TrainingOffer
from learning.selectors import matching_offers
from programmes.models import Gap, Programme

from .. import selectors
from ..forms import (
    AttendanceForm,
    DeclineForm,
    LearningNeedChangeForm,
    LearningNeedForm,
    MetForm,
    PlacementForm,
)
from ..templatetags.tracker import PLACEMENT_WORDS
from . import offers as offer_pages
from .common import (
    attempt,
    download,
    download_format,
    invalid,
    page_query,
    partner_choices,
    principle_choices,
    require,
    role_context,
    visible_or_404,
)


@login_required
def learning_needs(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    needs = selectors.programme_needs(user=request.user, programme=programme)
    filterset = LearningNeedFilter(request.GET, queryset=needs)
    partner_choices(filterset.form.fields["partner"], programme)
    principle_choices(filterset.form.fields["principle"], programme)
    needs = filterset.qs if filterset.is_valid() else needs.none()
    fmt = download_format(request)
    if fmt is not None:
        rows = needs.select_related(*learning_sheets.NEED_SELECT)
        return download(fmt, columns=learning_sheets.NEED_COLUMNS,
                        rows=rows, name="learning-needs",
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
    require(learning_access.can_change_need(request.user, gap.programme_id, gap.partner_id),
            learning_access.NEED_REFUSED)
    form = LearningNeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        need = attempt(
            form,
            lambda: learning_services.need_create(
                actor=request.user, programme=gap.programme, partner=gap.partner, gap=gap,
                **form.cleaned_data
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
    is_manager = learning_access.is_manager(request.user, need.programme_id)
    met_form = None
    if is_manager and need.status != LearningNeed.Status.MET:
        met_form = MetForm(initial={"version": need.version}, auto_id="met-%s")
    return render(request, "web/learning_need.html", _need_context(request, need, met_form))


def _need_context(request, need, met_form) -> dict:
    return {
        "need": need,
        "programme": need.programme,
        "matches": matching_offers(need=need),
        "proposals": need.proposals.select_related("offer__provider", "proposed_by"),
        "placements": _with_changes(request.user, selectors.need_placements(need=need)),
        "allocations": selectors.need_allocations(need=need),
        "can_change": learning_access.can_change_need(
            request.user, need.programme_id, need.partner_id),
        "can_book": learning_access.can_book_placement(request.user, need),
        "can_fund": learning_access.can_manage_funding(request.user, need.programme_id),
        "met_form": met_form,
    }


@login_required
@require_POST
def learning_need_met(request, pk):
    """A manager marks a need met before its workers have completed training, saying why
    (``need_update`` refuses anyone else)."""
    need = visible_or_404(LearningNeed, request.user, pk=pk)
    form = MetForm(request.POST, auto_id="met-%s")
    if form.is_valid():
        changed = attempt(form, lambda: learning_services.need_update(
            actor=request.user, need=need, version=form.cleaned_data["version"],
            status=LearningNeed.Status.MET, met_reason=form.cleaned_data["met_reason"]))
        if changed:
            messages.success(request, f"Learning need “{changed.topic}” marked as met.")
            return redirect("web:learning-need", changed.pk)
    require(learning_access.is_manager(request.user, need.programme_id),
            learning_services.MET_BY_HAND_REFUSED)
    return invalid(request, "web/learning_need.html", _need_context(request, need, form))


def _with_changes(user, placements) -> list:
    """Each placement with what this user may do to it, in the services' terms."""
    rows = list(placements)
    positions = selectors.waiting_positions(
        session_ids={p.session_id for p in rows if p.status == Placement.Status.WAITLISTED})
    for p in rows:
        books = learning_access.can_book_placement(user, p.learning_need)
        provides = learning_access.can_confirm_placement(user, p)
        p.position = positions.get(p.pk)
        p.words = PLACEMENT_WORDS[p.status]
        steps = learning_access.placement_steps(p.status, books=books, provides=provides)
        p.can_approve, p.can_decline = "approve" in steps, "decline" in steps
        p.can_confirm, p.can_cancel = "confirm" in steps, "cancel" in steps
        p.can_change_places, p.can_remove = "change" in steps, "remove" in steps
        p.places_fixed = p.status not in (Placement.Status.REQUESTED,
                                          Placement.Status.WAITLISTED)
    return rows


@login_required
def placement_new(request, need_pk, offer_pk):
    """Book places for a need on an offer, arriving from the need's page."""
    need = visible_or_404(LearningNeed, request.user, pk=need_pk)
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=offer_pk)
    require(  # who sees the form; placement_book decides the booking itself
        learning_access.can_book_placement(request.user, need), learning_services.BOOK_REFUSED)
    form, sessions = offer_pages.booking_form(request, offer=offer, need=need)
    if request.method == "POST" and form.is_valid():
        done = offer_pages.book(request, form, offer=offer, need=need)
        if done:
            return done
    context = {"form": form, "need": need, "offer": offer, "programme": need.programme,
               "sessions": sessions}
    return (invalid if request.method == "POST" else render)(
        request, "web/placement_form.html", context
    )


@login_required
def learning_need_edit(request, pk):
    """Change a need's details and move it along its statuses (managers, its leads)."""
    need = visible_or_404(LearningNeed, request.user, pk=pk)
    require(learning_access.can_change_need(request.user, need.programme_id, need.partner_id),
            learning_access.NEED_REFUSED)
    initial = model_to_dict(need, fields=[*LearningNeedChangeForm.Meta.fields, "version",
                                          "met_reason"])
    form = LearningNeedChangeForm(
        request.POST or None, initial=initial,
        manager=learning_access.is_manager(request.user, need.programme_id),
        met_refused=learning_services.MET_BY_HAND_REFUSED)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        if not data.get("met_reason"):
            data.pop("met_reason", None)  # managers only; an empty one keeps what was said
        changed = attempt(form, lambda: learning_services.need_update(
            actor=request.user, need=need, version=version, **data))
        if changed:
            messages.success(request, f"Learning need “{changed.topic}” saved: "
                                      f"{changed.get_status_display().lower()}.")
            return redirect("web:learning-need", changed.pk)
    context = {"form": form, "need": need, "programme": need.programme}
    return (invalid if request.method == "POST" else render)(
        request, "web/learning_need_change.html", context
    )


PLACEMENT_CHANGES = {
    "approve": learning_services.placement_approve,
    "confirm": learning_services.placement_confirm,
    "decline": learning_services.placement_decline,
    "cancel": learning_services.placement_cancel,
}
DONE_WORDS = {
    "approve": "approved: the provider confirms them next",
    "confirm": "confirmed",
    "decline": "declined",
    "cancel": "cancelled",
}


@login_required
@require_POST
def placement_status(request, pk, change):
    """Approve (the need's side), confirm (the provider), decline or cancel a placement.

    The services decide who may: a refusal is their 403, a wrong step their sentence.
    """
    if change not in PLACEMENT_CHANGES:
        raise Http404
    placement = visible_or_404(Placement, request.user, pk=pk)
    # Refused in the API's words before the step's own rule (``check_change`` there).
    require(learning_access.can_change_placement(request.user, placement),
            learning_access.PLACEMENT_REFUSED)
    extra = {}
    if change in ("decline", "cancel"):
        form = DeclineForm(request.POST)
        extra["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        placement = PLACEMENT_CHANGES[change](actor=request.user, placement=placement, **extra)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{placement.places} place{'s' if placement.places != 1 else ''} on "
                     f"“{placement.training_offer.title}” {DONE_WORDS[change]}.")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("web:learning-need", placement.learning_need_id)


@login_required
def placement_attendance(request, pk):
    """The provider records who attended and completed confirmed places."""
    placement = get_object_or_404(
        Placement.objects.visible_to(request.user).select_related(
            "training_offer__provider", "session", "learning_need__partner"), pk=pk)
    require(learning_access.can_confirm_placement(request.user, placement),
            learning_services.ATTENDANCE_REFUSED)
    form = AttendanceForm(request.POST or None, initial={
        "places_attended": placement.places_attended if placement.places_attended is not None
        else placement.places,
        "places_completed": placement.places_completed if placement.places_completed
        is not None else placement.places,
        "learners": "\n".join(placement.learners)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = attempt(form, lambda: learning_services.placement_record_attendance(
            actor=request.user, placement=placement, places_attended=data["places_attended"],
            places_completed=data["places_completed"], learners=data["learners"] or None))
        if done:
            need = LearningNeed.objects.get(pk=done.learning_need_id)
            met = " The need is now met." if need.status == LearningNeed.Status.MET else ""
            messages.success(
                request, f"Attendance recorded for {need.partner.name}: "
                         f"{done.places_attended} attended, {done.places_completed} "
                         f"completed.{met}")
            return redirect("web:offer-bookings", placement.training_offer_id)
    context = {"form": form, "placement": placement, "offer": placement.training_offer}
    return (invalid if request.method == "POST" else render)(
        request, "web/placement_attendance.html", context)


def _may_change_places(user, placement) -> bool:
    """The booking side changes the learners of open places, and how many places until
    they are approved (``placement_update`` says so when they are)."""
    return "change" in learning_access.placement_steps(
        placement.status, books=learning_access.can_book_placement(user, placement.learning_need),
        provides=False)


@login_required
def placement_places(request, pk):
    """Change how many places a placement asks for, and its learners (``placement_update``)."""
    placement = visible_or_404(Placement, request.user, pk=pk)
    need = placement.learning_need
    require(_may_change_places(request.user, placement),
            "Only the programme's managers and this partner's leads can change the places "
            "they asked for, and only while the booking is open.")
    form = PlacementForm(request.POST or None, initial={
        "places": placement.places, "learners": "\n".join(placement.learners)})
    if request.method == "POST" and form.is_valid():
        changed = attempt(form, lambda: learning_services.placement_update(
            actor=request.user, placement=placement, places=form.cleaned_data["places"],
            learners=form.cleaned_data["learners"]))
        if changed:
            messages.success(
                request, f"{changed.places} place{'s' if changed.places != 1 else ''} on "
                         f"“{changed.training_offer.title}” saved, with "
                         f"{len(changed.learners) or 'no'} learner"
                         f"{'s' if len(changed.learners) != 1 else ''} named.")
            return redirect("web:learning-need", need.pk)
    context = {"form": form, "need": need, "placement": placement, "programme": need.programme}
    return (invalid if request.method == "POST" else render)(
        request, "web/placement_places.html", context
    )
