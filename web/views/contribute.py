"""Several voices on one assessment, in pages (DESIGN.md, "Consensus, evidence and
co-production").

The lead's page asks people for their views; the contributor's pages ask one statement
a page in plain words, for people who do not use services like this every day.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from people import services as people_services
from people.models import Invitation
from programmes import access, contributions
from programmes.models import (
    Assessment,
    ChecklistItem,
    Contribution,
    Contributor,
)

from ..forms import CONTRIBUTION_CHOICES, ContributionForm, ContributorAskForm
from .common import attempt, require, visible_or_404

ASK_REFUSED = contributions.ASK_REFUSED


# The lead's page: who is asked ------------------------------------------------------------


def _contributor_rows(assessment):
    """Each person asked, with how many items they rated and their invitation (3 queries)."""
    rated = dict(Contribution.objects.filter(assessment=assessment)
                 .values_list("contributor_id").annotate(n=Count("pk")))
    rows = list(Contributor.objects.filter(assessment=assessment)
                .select_related("user", "invitation")
                .prefetch_related("checklist_items__principle")
                .order_by("removed_at", "created_at", "pk"))
    for row in rows:
        row.rated = rated.get(row.user_id, 0) if row.user_id else 0
        principles = sorted({i.principle.number for i in row.checklist_items.all()})
        row.asked_about = ("every principle" if not principles else
                           "principle" + ("s " if len(principles) > 1 else " ")
                           + ", ".join(str(n) for n in principles))
        try:
            row.pending = row.invitation if row.invitation.status == Invitation.Status.PENDING \
                else None
        except Invitation.DoesNotExist:
            row.pending = None
    return rows


@login_required
def contributors(request, pk):
    """Who is asked for their views on a draft, and a form to ask someone else."""
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    programme = assessment.cycle.programme
    require(access.can_answer_assessment(request.user, programme.pk, assessment.partner_id),
            ASK_REFUSED)
    form = ContributorAskForm(request.POST if request.method == "POST" else None,
                              framework_id=programme.framework_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        items = ChecklistItem.objects.filter(principle__in=data["principles"], is_active=True)
        asked = attempt(form, lambda: people_services.contributor_invite(
            actor=request.user, assessment=assessment, email=data["email"],
            perspective=data["perspective"], checklist_items=list(items)))
        if asked is not None:
            messages.success(request, (
                f"{data['email']} is asked for their views. " + (
                    "They will find the request in their notifications."
                    if asked.user_id else
                    "They have been sent an e-mail with a link to give them.")))
            return redirect("web:contributors", assessment.pk)
    return render(request, "web/contributors.html", {
        "assessment": assessment, "programme": programme, "form": form,
        "rows": _contributor_rows(assessment),
        "open": not assessment.is_submitted and assessment.cycle.closed_at is None,
    }, status=400 if form.errors else 200)


def _contributor_change(request, pk, contributor_pk, write, done: str):
    assessment = visible_or_404(Assessment, request.user, pk=pk)
    contributor = get_object_or_404(Contributor, pk=contributor_pk, assessment=assessment)
    programme_id = assessment.cycle.programme_id
    require(access.can_answer_assessment(request.user, programme_id, assessment.partner_id),
            ASK_REFUSED)
    who = (contributor.user.get_full_name() or contributor.user.email) if contributor.user \
        else contributor.email
    try:
        write(contributor)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(who=who))
    return redirect("web:contributors", assessment.pk)


@login_required
@require_POST
def contributor_remove(request, pk, contributor_pk):
    return _contributor_change(
        request, pk, contributor_pk,
        lambda c: contributions.contributor_remove(actor=request.user, contributor=c),
        "{who} is no longer asked. Any views they gave are kept.")


def _invitation_of(contributor):
    invitation = Invitation.objects.filter(contributor=contributor).first()
    if invitation is None:
        raise DomainError("This person was asked through their account: there is no "
                          "invitation e-mail to resend or withdraw.")
    return invitation


@login_required
@require_POST
def contributor_resend(request, pk, contributor_pk):
    return _contributor_change(
        request, pk, contributor_pk,
        lambda c: people_services.invitation_resend(actor=request.user,
                                                    invitation=_invitation_of(c)),
        "A new e-mail is on its way to {who}. The link in the earlier one no longer works.")


@login_required
@require_POST
def contributor_withdraw(request, pk, contributor_pk):
    def withdraw(contributor):
        people_services.invitation_revoke(actor=request.user,
                                          invitation=_invitation_of(contributor))
        contributions.contributor_remove(actor=request.user, contributor=contributor)

    return _contributor_change(request, pk, contributor_pk, withdraw,
                               "The invitation to {who} is withdrawn. Its link no longer works.")


# The contributor's pages ------------------------------------------------------------------


def _mine(request, pk) -> Contributor:
    """The signed-in person's own request to contribute, or a 404."""
    return get_object_or_404(
        Contributor.objects.select_related("assessment__cycle__programme",
                                           "assessment__partner", "invited_by"),
        pk=pk, user_id=request.user.pk, removed_at__isnull=True)


def _items_and_views(request, contributor):
    items = list(contributions.asked_items(contributor))
    given = {c.checklist_item_id: c for c in Contribution.objects.filter(
        assessment_id=contributor.assessment_id, contributor=request.user)}
    return items, given


def _open(assessment) -> bool:
    return not assessment.is_submitted and assessment.cycle.closed_at is None


WORDS = {value: label for value, label, _ in CONTRIBUTION_CHOICES}


def _rows(items, given) -> list[tuple]:
    """(statement, the person's view or None, the view in their words) for each item."""
    return [(item, given.get(item.pk), WORDS.get(getattr(given.get(item.pk), "rating", "")))
            for item in items]


def _context(contributor, **more) -> dict:
    assessment = contributor.assessment
    return {"contributor": contributor, "assessment": assessment,
            "programme": assessment.cycle.programme, "open": _open(assessment),
            "asker": (contributor.invited_by.get_full_name() or contributor.invited_by.username)
            if contributor.invited_by else "The partner's lead", **more}


@login_required
def contribute(request, pk):
    """The start page: what is asked, how long it takes, and the statements so far."""
    contributor = _mine(request, pk)
    items, given = _items_and_views(request, contributor)
    rows = _rows(items, given)
    first = next((item for item in items if item.pk not in given), items[0] if items else None)
    return render(request, "web/contribute.html", _context(
        contributor, rows=rows, first=first, done=sum(1 for i in items if i.pk in given),
        total=len(items), minutes=max(5, round(len(items) * 1.5))))


@login_required
def contribute_item(request, pk, item_pk):
    """One statement a page: a plain-words answer and an optional comment."""
    contributor = _mine(request, pk)
    items, given = _items_and_views(request, contributor)
    index = next((n for n, item in enumerate(items) if item.pk == item_pk), None)
    if index is None:
        raise Http404("This statement is not one you were asked about.")
    item = items[index]
    mine = given.get(item.pk)
    assessment = contributor.assessment
    if not _open(assessment):
        return redirect("web:contribute", contributor.pk)
    form = ContributionForm(request.POST if request.method == "POST" else None, initial={
        "rating": getattr(mine, "rating", ""), "comment": getattr(mine, "comment", "")})
    if request.method == "POST" and form.is_valid():
        saved = attempt(form, lambda: contributions.contribution_save(
            actor=request.user, assessment=assessment, checklist_item=item,
            rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]))
        if saved is not None:
            given[item.pk] = saved
            if request.POST.get("from") == "check":
                return redirect("web:contribute-check", contributor.pk)
            later = [i for i in items[index + 1:] + items[:index] if i.pk not in given]
            if later:
                return redirect("web:contribute-item", contributor.pk, later[0].pk)
            return redirect("web:contribute-check", contributor.pk)
    previous = items[index - 1] if index else None
    return render(request, "web/contribute_item.html", _context(
        contributor, item=item, form=form, number=index + 1, total=len(items),
        previous=previous, choices=CONTRIBUTION_CHOICES,
        from_check=request.GET.get("from") == "check" or request.POST.get("from") == "check",
        errors=bool(form.errors),
    ), status=400 if form.errors else 200)


@login_required
def contribute_check(request, pk):
    """Everything the person said, with a link to change each answer."""
    contributor = _mine(request, pk)
    items, given = _items_and_views(request, contributor)
    rows = _rows(items, given)
    return render(request, "web/contribute_check.html", _context(
        contributor, rows=rows, missing=[i for i in items if i.pk not in given],
        change=reverse("web:contribute", args=[contributor.pk])))


def my_requests(user):
    """The requests to contribute the user has, newest first (for the home page)."""
    if not user.is_authenticated:
        return []
    return list(Contributor.objects.filter(user_id=user.pk, removed_at__isnull=True)
                .select_related("assessment__cycle__programme", "assessment__partner")
                .order_by("-created_at"))
