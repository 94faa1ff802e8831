"""Learning-need pages: a programme's needs, recording a need, a need and booking places.

Each view checks access with the same functions as the API and calls the same
service; a refused rule comes back as an error on the form, never a crash.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from learning import access as learning_access
from learning import services as learning_services
from learning import sheets as learning_sheets
from learning.filters import LearningNeedFilter
from learning.models import LearningNeed, TrainingOffer
from learning.selectors import matching_offers
from programmes.models import Gap, Programme

from .. import selectors
from ..forms import LearningNeedForm, PlacementForm
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
            "placements": selectors.need_placements(need=need),
            "allocations": selectors.need_allocations(need=need),
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
