"""Training-offer pages: the catalogue, a provider's own offers, a new offer, publishing.

Each view checks access with the same functions as the API and calls the same
service; a refused rule comes back as an error on the form, never a crash.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
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
    offers = selectors.provider_offers(providers=providers)
    return render(request, "web/my_offers.html", {"offers": offers, "providers": providers})


@login_required
def offer_new(request):
    providers = list(selectors.provider_partners(user=request.user))
    require(bool(providers), "Only learning providers publish training offers.")
    form = TrainingOfferForm(request.POST or None)
    form.fields["principles"].queryset = selectors.offer_principles()
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
