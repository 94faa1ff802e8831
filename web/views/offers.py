"""Training-offer pages: the catalogue, a provider's own offers and their bookings, a new
offer, changing one, publishing and withdrawing.

The services decide who may write (``learning.access``); a form page a role may not use
is a 403 with the service's own sentence, and a refused POST is the service's 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from learning import access as learning_access
from learning import services as learning_services
from learning import sheets as learning_sheets
from learning.filters import TrainingOfferFilter
from learning.models import TrainingOffer

from .. import selectors
from ..forms import TrainingOfferForm
from .common import attempt, download, download_format, invalid, page_query, require


@login_required
def catalogue(request):
    offers = selectors.published_offers()
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


@login_required
def my_offers(request):
    providers = list(selectors.provider_partners(user=request.user))
    require(bool(providers), "Only learning providers publish training offers.")
    offers = list(selectors.provider_offers(providers=providers))
    booked = any(offer.placements.all() for offer in offers)
    return render(request, "web/my_offers.html",
                  {"offers": offers, "providers": providers, "booked": booked})


@login_required
def offer_new(request):
    providers = list(selectors.provider_partners(user=request.user))
    require(bool(providers), "Only learning providers publish training offers.")
    form = TrainingOfferForm(request.POST or None)
    _principles_field(form)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        offer = attempt(form, lambda: learning_services.offer_create(
            actor=request.user, provider=providers[0], **data))
        if offer:
            messages.success(
                request, f"“{offer.title}” saved as a draft. Publish it when it is ready."
            )
            return redirect("web:my-offers")
    context = {"form": form, "provider": providers[0]}
    return (invalid if request.method == "POST" else render)(
        request, "web/offer_form.html", context
    )


def _principles_field(form) -> None:
    form.fields["principles"].queryset = selectors.offer_principles()
    form.fields["principles"].label_from_instance = lambda p: (
        f"{p.framework.title}: {p.number}. {p.title}"
    )


@login_required
def offer_edit(request, pk):
    """Change an offer's details (its provider's people); its status has its own buttons."""
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=pk)
    require(learning_access.provides_for(request.user, offer.provider_id),
            learning_access.OFFER_REFUSED)
    initial = model_to_dict(offer, fields=TrainingOfferForm.Meta.fields)
    form = TrainingOfferForm(request.POST or None, initial=initial)
    _principles_field(form)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        changed = attempt(form, lambda: learning_services.offer_update(
            actor=request.user, offer=offer, **data))
        if changed:
            messages.success(request, f"“{changed.title}” saved.")
            return redirect("web:my-offers")
    context = {"form": form, "offer": offer, "provider": offer.provider}
    return (invalid if request.method == "POST" else render)(
        request, "web/offer_change.html", context
    )


@login_required
@require_POST
def offer_status(request, pk, change):
    if change not in ("publish", "withdraw"):
        raise Http404
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=pk)
    write = {
        "publish": learning_services.offer_publish,
        "withdraw": learning_services.offer_withdraw,
    }
    try:  # the service refuses (403) anyone but the provider's people
        offer = write[change](actor=request.user, offer=offer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{offer.title}” is now {offer.get_status_display().lower()}.")
    return redirect("web:my-offers")


@login_required
def offer_bookings(request, pk):
    """The provider's page of an offer's bookings (to be built out: sessions, approvals,
    attendance); for now it leads to the provider's offers."""
    return redirect("web:my-offers")
