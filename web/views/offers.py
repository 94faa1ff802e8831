"""Training-offer pages: the catalogue, a provider's own offers and their bookings, a new
offer, changing one, publishing and withdrawing.

The services decide who may write (``learning.access``); a form page a role may not use
is a 403 with the service's own sentence, and a refused POST is the service's 403.
"""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.money import format_money
from learning import access as learning_access
from learning import services as learning_services
from learning import sheets as learning_sheets
from learning.filters import TrainingOfferFilter
from learning.models import LearningNeed, Placement, TrainingOffer, TrainingSession

from .. import selectors
from ..forms import BookingForm, SessionForm, TrainingOfferForm
from ..templatetags.tracker import session_when
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
                        rows=rows,
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
    several = TrainingSession.objects.filter(offer=offer).count() > 1
    if several:  # their places and dates are the sessions': changed session by session
        for name in ("capacity", "start_date", "end_date"):
            del form.fields[name]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        changed = attempt(form, lambda: learning_services.offer_update(
            actor=request.user, offer=offer, **data))
        if changed:
            messages.success(request, f"“{changed.title}” saved.")
            return redirect("web:offer-bookings", changed.pk)
    context = {"form": form, "offer": offer, "provider": offer.provider, "several": several}
    return (invalid if request.method == "POST" else render)(
        request, "web/offer_change.html", context
    )


@login_required
@require_POST
def offer_status(request, pk, change):
    if change != "publish":  # withdrawing has its own page, which says what it cancels
        raise Http404
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=pk)
    try:  # the service refuses (403) anyone but the provider's people
        offer = learning_services.offer_publish(actor=request.user, offer=offer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{offer.title}” is now {offer.get_status_display().lower()}.")
    return redirect("web:my-offers")


# An offer's own page: its details, its sessions, and booking places -------------------


def _sessions_with_places(offer) -> list[TrainingSession]:
    sessions = selectors.offer_sessions(offer=offer)
    for s in sessions:  # read by the templates
        vars(s).update(has_ended=_ended(s), has_started=_started(s))
    return sessions


def _ended(session) -> bool:
    end = session.ends_at or session.starts_at
    return end is not None and end < timezone.now()


def _started(session) -> bool:
    return session.starts_at is None or session.starts_at <= timezone.now()


def session_label(session) -> str:
    """A session as a booking form's choice: when, where, and its free places."""
    free = (f"{session.places_free} of {session.capacity} places free"
            if session.places_free > 0 else "full: places go on the waiting list")
    return f"{session_when(session)} · {_where(session)} · {free}"


def _where(session) -> str:
    if session.online:
        return "online"
    return session.location or "place to be confirmed"


def booking_form(request, *, offer, need=None, user=None):
    """The booking form of an offer: the sessions still to come, and the needs the user
    may book for unless ``need`` is given."""
    sessions = [s for s in _sessions_with_places(offer) if not _ended(s)]
    session_qs = TrainingSession.objects.filter(pk__in=[s.pk for s in sessions])
    needs = None
    if need is None:
        needs = selectors.bookable_needs(user=user or request.user)
    form = BookingForm(request.POST if request.method == "POST" else None, needs=needs,
                       sessions=session_qs.order_by("starts_at", "pk"),
                       session_label=session_label,
                       initial={"places": need.workers_count if need else None})
    return form, sessions


def book(request, form, *, offer, need):
    """Book through ``placement_book``; the message says plainly what became of it."""
    data = form.cleaned_data
    need = need or data["learning_need"]
    placement = attempt(form, lambda: learning_services.placement_book(
        actor=request.user, learning_need=need, training_offer=offer,
        session=data["session"], places=data["places"], learners=data["learners"]))
    if placement is None:
        return None
    messages.success(request, booked_message(placement))
    return redirect("web:learning-need", need.pk)


def booked_message(placement) -> str:
    places = f"{placement.places} place{'s' if placement.places != 1 else ''}"
    when = session_when(placement.session)
    if placement.status == Placement.Status.WAITLISTED:
        position = selectors.waiting_positions(session_ids=[placement.session_id])[placement.pk]
        return (f"The session on {when} has too few free places, so your request for "
                f"{places} on “{placement.training_offer.title}” is on the waiting list, "
                f"number {position}. It moves up when places come free, and you will be "
                "told.")
    return (f"{places} requested on “{placement.training_offer.title}”, {when}. The request "
            "waits for approval by the partner's lead or a programme manager, then the "
            "provider confirms it.")


@login_required
def offer(request, pk):
    offer = get_object_or_404(
        TrainingOffer.objects.visible_to(request.user).select_related("provider"), pk=pk)
    sessions = _sessions_with_places(offer)
    need = None
    if request.GET.get("need", "").isdigit():
        need = LearningNeed.objects.visible_to(request.user).filter(
            pk=request.GET["need"]).first()
        if need is not None and not learning_access.can_book_placement(request.user, need):
            need = None
    form = None
    if offer.status == TrainingOffer.Status.PUBLISHED:
        form, upcoming = booking_form(request, offer=offer)
        if need is not None:
            form.fields["learning_need"].initial = need.pk
            form.fields["places"].initial = need.workers_count
        if not upcoming or not form.fields["learning_need"].queryset.exists():
            form = None  # no session to come, or nobody to book for: no booking offered
    return render(request, "web/offer.html", {
        "offer": offer, "sessions": sessions, "form": form,
        "principles": offer.principles.select_related("framework").order_by("number"),
        "provides": learning_access.provides_for(request.user, offer.provider_id),
    })


@login_required
@require_POST
def offer_book(request, pk):
    """Book places from the offer's page, for a need the user chooses."""
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=pk)
    form, sessions = booking_form(request, offer=offer)
    require(form.fields["learning_need"].queryset.exists(), learning_services.BOOK_REFUSED)
    chosen = request.POST.get("learning_need", "")
    if chosen.isdigit():  # a need they see but may not book for: the service's refusal
        need = LearningNeed.objects.visible_to(request.user).filter(pk=chosen).first()
        require(need is None or learning_access.can_book_placement(request.user, need),
                learning_services.BOOK_REFUSED)
    if form.is_valid():
        done = book(request, form, offer=offer, need=None)
        if done:
            return done
    return invalid(request, "web/offer.html", {
        "offer": offer, "sessions": _sessions_with_places(offer), "form": form,
        "principles": offer.principles.select_related("framework").order_by("number"),
        "provides": learning_access.provides_for(request.user, offer.provider_id),
    })


# The provider's page of an offer: sessions, bookings, attendance ----------------------

STATUS_ORDER = [Placement.Status.APPROVED, Placement.Status.REQUESTED,
                Placement.Status.WAITLISTED, Placement.Status.CONFIRMED,
                Placement.Status.DECLINED, Placement.Status.CANCELLED]


def _provider_offer(request, pk) -> TrainingOffer:
    offer = get_object_or_404(
        TrainingOffer.objects.visible_to(request.user).select_related("provider"), pk=pk)
    require(learning_access.provides_for(request.user, offer.provider_id),
            learning_access.OFFER_REFUSED)
    return offer


@login_required
def offer_bookings(request, pk):
    """The provider's page of one offer: each session with its bookings by status, the
    steps the provider takes on them, and the offer's own changes."""
    offer = _provider_offer(request, pk)
    sessions = _sessions_with_places(offer)
    bookings = selectors.offer_bookings(offer=offer)
    positions = selectors.waiting_positions(session_ids=[s.pk for s in sessions])
    by_session: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    by_pk = {s.pk: s for s in sessions}
    for p in bookings:
        p.session = by_pk.get(p.session_id, p.session)
        p.position = positions.get(p.pk)
        # The page is the provider's own: its people's steps.
        steps = learning_access.placement_steps(p.status, books=False, provides=True)
        p.can_confirm, p.can_decline = "confirm" in steps, "decline" in steps
        p.can_cancel = "cancel" in steps
        p.can_record = "record" in steps and _started(p.session)
        by_session[p.session_id][p.status].append(p)
    for s in sessions:
        groups = by_session.get(s.pk, {})
        s.groups = [(status, Placement.Status(status).label, groups[status])
                    for status in STATUS_ORDER if groups.get(status)]
        s.booked = bool(groups)
    return render(request, "web/offer_bookings.html", {
        "offer": offer, "sessions": sessions, "several": len(sessions) > 1,
        "booked": bool(bookings),
    })


@login_required
def session_new(request, pk):
    offer = _provider_offer(request, pk)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = attempt(form, lambda: learning_services.session_create(
            actor=request.user, offer=offer, **form.session_fields()))
        if session:
            messages.success(request, f"Session added: {session_when(session)}.")
            return redirect("web:offer-bookings", offer.pk)
    return (invalid if request.method == "POST" else render)(
        request, "web/session_form.html", {"form": form, "offer": offer, "session": None})


def provider_session(request, pk, refusal: str) -> TrainingSession:
    """A session the user may see, for its provider's people only (``refusal`` otherwise)."""
    session = get_object_or_404(
        TrainingSession.objects.visible_to(request.user).select_related("offer__provider"),
        pk=pk)
    require(learning_access.provides_for(request.user, session.offer.provider_id), refusal)
    return session


@login_required
def session_edit(request, pk):
    session = provider_session(request, pk, learning_access.OFFER_REFUSED)
    offer = session.offer
    form = SessionForm(request.POST or None, initial=SessionForm.initial_of(session))
    if request.method == "POST" and form.is_valid():
        changed = attempt(form, lambda: learning_services.session_update(
            actor=request.user, session=session, **form.session_fields()))
        if changed:
            messages.success(request, f"Session saved: {session_when(changed)}.")
            return redirect("web:offer-bookings", offer.pk)
    return (invalid if request.method == "POST" else render)(
        request, "web/session_form.html", {"form": form, "offer": offer, "session": session})


# Withdrawing an offer: what it cancels, then the withdrawal ---------------------------


def withdrawal_summary(offer) -> dict:
    """What withdrawing the offer cancels: the open bookings per partner with their
    places and status, how many wait, and the money that goes back to each stream."""
    open_ = [p for p in selectors.offer_bookings(offer=offer) if p.status in Placement.OPEN]
    partners: dict[int, dict] = {}
    for p in open_:
        partner = p.learning_need.partner
        row = partners.setdefault(partner.pk, {"partner": partner, "bookings": []})
        row["bookings"].append(p)
    money: dict[str, Decimal] = defaultdict(Decimal)
    for allocation in selectors.withdrawal_money(offer=offer):
        money[allocation.stream.name] += allocation.amount
    waiting = [p for p in open_ if p.status == Placement.Status.WAITLISTED]
    return {
        "partners": sorted(partners.values(), key=lambda r: r["partner"].name),
        "bookings": len(open_),
        "places": sum(p.places for p in open_ if p.status != Placement.Status.WAITLISTED),
        "waiting": len(waiting),
        "waiting_places": sum(p.places for p in waiting),
        "money": sorted(money.items()),
        "money_total": sum(money.values(), Decimal("0")),
    }


@login_required
def offer_withdraw(request, pk):
    """Ask first, saying exactly what the withdrawal cancels; then ``offer_withdraw``."""
    offer = _provider_offer(request, pk)
    error = ""
    reason = request.POST.get("reason", "").strip() if request.method == "POST" else ""
    if request.method == "POST":
        summary = withdrawal_summary(offer)
        try:  # the service checks the role and the reason's length
            offer = learning_services.offer_withdraw(actor=request.user, offer=offer,
                                                     reason=reason)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, withdrawn_message(offer, summary))
            return redirect("web:my-offers")
    return render(request, "web/offer_withdraw.html", {
        "offer": offer, "summary": withdrawal_summary(offer), "error": error,
        "reason": reason, "back": reverse("web:offer-bookings", args=[offer.pk]),
    }, status=400 if error else 200)


def withdrawn_message(offer, summary) -> str:
    said = [f"“{offer.title}” is withdrawn."]
    if summary["bookings"]:
        count = summary["bookings"]
        said.append(f"{count} booking{'s' if count != 1 else ''} cancelled"
                    + (f" ({summary['waiting']} from the waiting list)"
                       if summary["waiting"] else "") + ".")
        if summary["money_total"]:
            said.append(f"{format_money(summary['money_total'])} went back to its funding "
                        f"stream{'s' if len(summary['money']) != 1 else ''}.")
        said.append("The partners who booked have been told.")
    return " ".join(said)
