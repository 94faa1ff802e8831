"""Delete pages: "Are you sure…?", what is kept, and the service's sentence when it refuses.

Each view finds the object the person may see (404 otherwise), shows the page only to
those the rule allows (403 otherwise, on GET and POST), and calls the same service as the
API's ``DELETE``; a refusal ("still used", "committed") is shown on the confirmation page.
The pattern is the action delete page's (``web/views/actions.py``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.errors import DomainError
from core.money import format_money
from learning import access as learning_access
from learning import services as learning_services
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
)
from programmes import access as programme_access
from programmes import services as programme_services
from programmes.models import Assessment, AssessmentCycle, Response

from ..templatetags.tracker import session_when
from .common import require, visible_or_404
from .offers import provider_session


def _confirm(request, *, delete, done, done_message, page):
    """The confirmation page; on POST, the service's delete (its refusal on the page).
    ``page["subject"]`` names what would be deleted, for the page's title."""
    error = ""
    if request.method == "POST":
        try:
            delete()
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, done_message)
            return redirect(done)
    page.setdefault("subject", page["caption"])
    page.setdefault("keep", f"No, {page['back_label'][0].lower()}{page['back_label'][1:]}")
    return render(request, "web/confirm_delete.html", {**page, "error": error},
                  status=400 if error else 200)


@login_required
def need_delete(request, pk):
    need = visible_or_404(LearningNeed, request.user, pk=pk)
    require(learning_access.can_change_need(request.user, need.programme_id, need.partner_id),
            "Only the programme's managers and this partner's leads can delete its "
            "learning needs.")
    return _confirm(
        request,
        delete=lambda: learning_services.need_delete(actor=request.user, need=need),
        done=reverse("web:learning-needs", args=[need.programme_id]),
        done_message=f"Learning need “{need.topic}” deleted.",
        page={
            "subject": f"{need.topic}, {need.partner.name}",
            "programme": need.programme, "caption": f"Learning need · {need.partner.name}",
            "question": f"Are you sure you want to delete the learning need “{need.topic}”?",
            "kept": "Its requested places go back to their offers and its planned money "
                    "back to its streams. The history keeps a record of all of it. A need "
                    "with confirmed places or committed money cannot be deleted: cancel "
                    "those first, or mark the need met.",
            "button": "Delete the learning need",
            "back": reverse("web:learning-need", args=[need.pk]),
            "back_label": "Keep the learning need",
        })


@login_required
def offer_delete(request, pk):
    offer = get_object_or_404(TrainingOffer.objects.visible_to(request.user), pk=pk)
    require(learning_access.provides_for(request.user, offer.provider_id),
            "Only the provider's own people can delete its offers.")
    return _confirm(
        request,
        delete=lambda: learning_services.offer_delete(actor=request.user, offer=offer),
        done=reverse("web:my-offers"),
        done_message=f"Offer “{offer.title}” deleted.",
        page={
            "subject": offer.title,
            "caption": f"Training offer · {offer.provider.name}",
            "question": f"Are you sure you want to delete the offer “{offer.title}”?",
            "kept": "An offer nobody has booked is removed from the catalogue. An offer "
                    "with placements is kept: withdraw it instead.",
            "button": "Delete the offer",
            "back": reverse("web:my-offers"),
            "back_label": "Keep the offer",
        })


@login_required
def session_delete(request, pk):
    session = provider_session(request, pk, learning_services.SESSION_DELETE_REFUSED)
    offer = session.offer
    back = reverse("web:offer-bookings", args=[offer.pk])
    when = session_when(session)
    return _confirm(
        request,
        delete=lambda: learning_services.session_delete(actor=request.user, session=session),
        done=back,
        done_message=f"Session removed from “{offer.title}”: {when}.",
        page={
            "subject": f"{offer.title}, {when}",
            "caption": f"Training offer · {offer.title}",
            "question": f"Are you sure you want to remove the session on {when}?",
            "kept": "A session nobody has booked is removed, and the offer's places go down "
                    "by its places. A session with bookings is kept: cancel them, or "
                    "withdraw the offer.",
            "button": "Remove the session",
            "back": back,
            "back_label": "Keep the session",
        })


@login_required
def stream_delete(request, pk):
    stream = visible_or_404(FundingStream, request.user, pk=pk)
    require(learning_access.can_manage_funding(request.user, stream.programme_id),
            "Only the programme's managers can delete funding streams.")
    back = reverse("web:funding", args=[stream.programme_id])
    return _confirm(
        request,
        delete=lambda: learning_services.stream_delete(actor=request.user, stream=stream),
        done=back,
        done_message=f"Funding stream “{stream.name}” deleted.",
        page={
            "subject": stream.name,
            "programme": stream.programme, "caption": "Funding stream",
            "question": f"Are you sure you want to delete the funding stream “{stream.name}”?",
            "kept": "A stream nothing has been allocated from is removed. A stream with "
                    "allocations, even cancelled ones, is kept for the record.",
            "button": "Delete the funding stream",
            "back": back,
            "back_label": "Keep the funding stream",
        })


@login_required
def allocation_delete(request, pk):
    allocation = visible_or_404(FundingAllocation, request.user, pk=pk)
    stream = allocation.stream
    require(learning_access.can_manage_funding(request.user, stream.programme_id),
            "Only the programme's managers can remove funding allocations.")
    back = reverse("web:funding", args=[stream.programme_id])
    amount = format_money(allocation.amount)
    return _confirm(
        request,
        delete=lambda: learning_services.allocation_delete(actor=request.user,
                                                           allocation=allocation),
        done=back,
        done_message=f"Allocation of {amount} from {stream.name} removed.",
        page={
            "subject": f"{amount} from {stream.name}",
            "programme": stream.programme, "caption": f"Funding allocation · {stream.name}",
            "question": f"Are you sure you want to remove the allocation of {amount}?",
            "kept": "Its money goes back to the stream; the history keeps a record of it. "
                    "Committed money cannot be removed: cancel the allocation instead.",
            "button": "Remove the allocation",
            "back": back,
            "back_label": "Keep the allocation",
        })


@login_required
def placement_delete(request, pk):
    placement = visible_or_404(Placement, request.user, pk=pk)
    need = placement.learning_need
    require(learning_access.can_book_placement(request.user, need),
            "Only the programme's managers and this partner's leads can remove placements.")
    back = reverse("web:learning-need", args=[need.pk])
    places = f"{placement.places} place{'s' if placement.places != 1 else ''}"
    title = placement.training_offer.title
    return _confirm(
        request,
        delete=lambda: learning_services.placement_delete(actor=request.user,
                                                          placement=placement),
        done=back,
        done_message=f"{places} on “{title}” removed.",
        page={
            "subject": f"{title} for {need.topic}, {need.partner.name}",
            "programme": need.programme, "caption": f"Placement · {need.topic}",
            "question": f"Are you sure you want to remove the {places} on “{title}”?",
            "kept": "Its places go back to the offer; the history keeps a record of them. "
                    "Places the provider has confirmed cannot be removed: cancel them "
                    "instead.",
            "button": "Remove the placement",
            "back": back,
            "back_label": "Keep the placement",
        })


@login_required
def cycle_delete(request, pk, cycle_pk):
    cycle = visible_or_404(AssessmentCycle, request.user, pk=cycle_pk, programme_id=pk)
    require(programme_access.can_manage_programme(request.user, cycle.programme_id),
            "Only the programme's managers can delete its assessment cycles.")
    back = reverse("web:cycles", args=[cycle.programme_id])
    return _confirm(
        request,
        delete=lambda: programme_services.cycle_delete(actor=request.user, cycle=cycle),
        done=back,
        done_message=f"Cycle “{cycle.name}” deleted.",
        page={
            "subject": cycle.name,
            "programme": cycle.programme, "caption": "Assessment cycle",
            "question": f"Are you sure you want to delete the cycle “{cycle.name}”?",
            "kept": "Its draft assessments and their answers go with it; their history "
                    "stays. A cycle with submitted assessments is kept: close it instead.",
            "button": "Delete the cycle",
            "back": back,
            "back_label": "Keep the cycle",
        })


def _may_answer(user, assessment) -> bool:
    return programme_access.can_answer_assessment(
        user, assessment.cycle.programme_id, assessment.partner_id)


@login_required
def assessment_delete(request, pk):
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    require(_may_answer(request.user, assessment),
            "Only the programme's managers and this partner's leads can delete its "
            "assessments.")
    cycle = assessment.cycle
    return _confirm(
        request,
        delete=lambda: programme_services.assessment_delete(actor=request.user,
                                                            assessment=assessment),
        done=reverse("web:cycle", args=[cycle.programme_id, cycle.pk]),
        done_message=f"Draft assessment of {assessment.partner.name} for {cycle.name} deleted.",
        page={
            "subject": f"{assessment.partner.name}, {cycle.name}",
            "programme": cycle.programme, "caption": f"Assessment · {cycle.name}",
            "question": f"Are you sure you want to delete the draft assessment of "
                        f"{assessment.partner.name}?",
            "kept": "The draft and its answers are removed; their history stays. A "
                    "submitted assessment is never deleted.",
            "button": "Delete the draft",
            "back": reverse("web:assessment", args=[assessment.pk]),
            "back_label": "Keep the draft",
        })


@login_required
def response_delete(request, pk):
    response = visible_or_404(Response, request.user, pk=pk)
    assessment = response.assessment
    require(_may_answer(request.user, assessment),
            "Only the programme's managers and this partner's leads can change its answers.")
    item = response.checklist_item
    back = reverse("web:assessment-section", args=[assessment.pk, item.principle.number])
    return _confirm(
        request,
        delete=lambda: programme_services.response_delete(actor=request.user,
                                                          response=response),
        done=back,
        done_message=f"The answer to {item.code} is cleared.",
        page={
            "subject": f"{item.code}, {assessment.partner.name}, {assessment.cycle.name}",
            "programme": assessment.cycle.programme,
            "caption": f"Assessment · {assessment.partner.name}",
            "question": f"Are you sure you want to clear the answer to {item.code}?",
            "kept": f"“{item.text}” goes back to unanswered in this draft; the history "
                    "keeps the answer. The answers of a submitted assessment are kept.",
            "button": "Clear this answer",
            "back": back,
            "back_label": "Keep the answer",
        })
