"""Needs we could meet: the open learning needs a provider's published offers match, and
proposing an offer to one (DESIGN.md, "Training operations").

The page is for the provider's own people (and staff); ``learning.access.can_see_demand``
also lets a programme's managers read it for a provider of their programme. Proposing is
``learning.services.offer_propose``, which refuses anyone but the provider's people.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from learning import access as learning_access
from learning import services as learning_services
from learning.models import LearningNeed, OfferProposal, TrainingOffer
from learning.selectors import needs_we_could_meet
from programmes.models import Partner

from .. import selectors
from .common import require

NOT_A_PROVIDER = "Only learning providers see the needs their offers could meet."


def _provider(request) -> Partner:
    """The provider the page is for: ``?provider=`` (one the user may see), or the user's
    own (the first, for a person of several)."""
    raw = request.GET.get("provider", "")
    if raw.isdigit() and 0 < int(raw) <= 2**31 - 1:
        provider = get_object_or_404(Partner.objects.visible_to(request.user), pk=int(raw))
        require(learning_access.can_see_demand(request.user, provider.pk),
                learning_access.DEMAND_REFUSED)
        return provider
    own = selectors.provider_partners(user=request.user).order_by("name").first()
    if own is None:
        raise PermissionDenied(NOT_A_PROVIDER)
    return own


@login_required
def demand(request):
    provider = _provider(request)
    found = needs_we_could_meet(user=request.user, provider=provider)
    proposes = learning_access.provides_for(request.user, provider.pk)
    proposed = {
        (p.offer_id, p.learning_need_id): p for p in OfferProposal.objects.filter(
            offer__provider=provider, learning_need_id__in=[n.need.pk for n in found])
    }
    for row in found:
        for match in row.matches:
            match.proposal = proposed.get((match.offer.pk, row.need.pk))
    providers = list(selectors.provider_partners(user=request.user).order_by("name"))
    return render(request, "web/demand.html", {
        "provider": provider, "needs": found, "can_propose": proposes,
        "providers": providers if len(providers) > 1 else [],
    })


@login_required
@require_POST
def offer_propose(request, need_pk, offer_pk):
    need = get_object_or_404(LearningNeed.objects.visible_to(request.user), pk=need_pk)
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=offer_pk)
    try:  # the service refuses (403) anyone but the provider's people
        learning_services.offer_propose(actor=request.user, offer=offer, learning_need=need,
                                        message=request.POST.get("message", "")[:2000])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{offer.title}” proposed for {need.partner.name}’s need "
                                  f"“{need.topic}”. Their partner leads have been told.")
    return redirect(f"{reverse('web:demand')}?provider={offer.provider_id}")
