"""Inviting people to a programme, accepting an invitation, and ending a membership."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from people import access, services
from people.models import Invitation
from programmes import access as programme_access
from programmes import services as programme_services
from programmes.models import Contributor, Membership, Programme

from ..forms import AcceptInvitationForm, InviteForm, MembershipChangeForm
from .common import attempt, require, role_context, visible_or_404

SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _inviter(invitation: Invitation | None) -> str:
    if invitation is None or invitation.invited_by is None:
        return "the programme manager who invited you"
    person = invitation.invited_by
    name = person.get_full_name() or person.username
    return f"{name} ({person.email})" if person.email else name


# Managing invitations (managers) ---------------------------------------------------------


@login_required
def invitations(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    require(access.can_invite(request.user, programme.pk),
            "Only the programme's managers can invite people to it.")
    form = InviteForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation = attempt(form, lambda: services.invitation_create(
            actor=request.user, programme=programme, email=data["email"],
            role=data["role"], partner=data["partner"]))
        if invitation is not None:
            messages.success(request, f"Invitation sent to {invitation.email}. The link in "
                                      "it works for 14 days.")
            return redirect("web:invitations", programme.pk)
    rows = (Invitation.objects.visible_to(request.user).with_status()
            .filter(programme=programme)
            .select_related("partner", "invited_by", "contributor__assessment__partner"))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "web/invitations.html", {
        "programme": programme, "form": form, "page": page, "invitations": page.object_list,
        "Status": Invitation.Status, **role_context(request.user, programme.pk),
    }, status=400 if form.errors else 200)


def _change(request, pk, invitation_pk, write, done: str):
    programme = visible_or_404(Programme, request.user, pk=pk)
    invitation = visible_or_404(Invitation, request.user, pk=invitation_pk, programme=programme)
    try:
        write(invitation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(email=invitation.email))
    return redirect("web:invitations", programme.pk)


@login_required
@require_POST
def invitation_resend(request, pk, invitation_pk):
    return _change(request, pk, invitation_pk,
                   lambda i: services.invitation_resend(actor=request.user, invitation=i),
                   "A new invitation is sent to {email}. The link in the earlier e-mail no "
                   "longer works.")


@login_required
@require_POST
def invitation_revoke(request, pk, invitation_pk):
    return _change(request, pk, invitation_pk,
                   lambda i: services.invitation_revoke(actor=request.user, invitation=i),
                   "The invitation to {email} is withdrawn. Its link no longer works.")


# Accepting an invitation (anyone with the link) ---------------------------------------------


def invitation_accept(request, token):
    check = services.invitation_from_token(token)
    if check.problem:
        return render(request, "web/invitation_dead.html", {
            "reason": services.PROBLEMS[check.problem], "problem": check.problem,
            "invitation": check.invitation, "ask": _inviter(check.invitation),
        }, status=404 if check.problem == "unknown" else 410)
    invitation = check.invitation
    context = {"invitation": invitation, "programme": invitation.programme,
               "ask": _inviter(invitation), "token": token, "what": _what(invitation),
               "asked": invitation.contributor}
    user = request.user
    if user.is_authenticated:
        if (user.email or "").lower() != invitation.email:
            return render(request, "web/invitation_other_user.html", context, status=403)
        if request.method == "POST":
            try:
                joined = services.invitation_accept(actor=user, token=token)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("web:home")
            return _joined(request, invitation, joined)
        return render(request, "web/invitation_accept.html", context)
    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        login_url = f"{reverse('web:login')}?next={reverse('web:invitation-accept', args=[token])}"
        return render(request, "web/invitation_sign_in.html", {**context, "login_url": login_url})
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_user = attempt(form, lambda: services.invitation_accept_new_account(
            token=token, first_name=data["first_name"], last_name=data["last_name"],
            password=data["password1"]))
        if new_user is not None:
            login(request, new_user, backend=SIGN_IN_BACKEND)
            return _joined(request, invitation, invitation.contributor)
    return render(request, "web/invitation_new_account.html", {**context, "form": form},
                  status=400 if form.errors else 200)


def _what(invitation: Invitation) -> str:
    """What the invitation asks, after "You are invited": to join with a role, or to give
    views on one partner's self-assessment."""
    asked = invitation.contributor
    if asked is not None:
        return (f"to give your views on {asked.assessment.partner.name}'s self-assessment "
                f"in {invitation.programme.name}")
    partner = f" for {invitation.partner.name}" if invitation.partner else ""
    return (f"to join {invitation.programme.name} as "
            f"{invitation.get_role_display().lower()}{partner}")


def _joined(request, invitation, joined=None):
    if isinstance(joined, Contributor):
        messages.success(request, "Thank you for agreeing to give your views.")
        return redirect("web:contribute", joined.pk)
    messages.success(request, f"You have joined {invitation.programme.name} as "
                              f"{invitation.get_role_display().lower()}.")
    return redirect("web:dashboard", invitation.programme_id)


# Ending a membership (managers) --------------------------------------------------------------


@login_required
def membership_end(request, pk):
    programme_access.forget_memberships(request.user)
    membership = visible_or_404(Membership, request.user, pk=pk)
    membership = (Membership.objects.select_related("user", "partner", "programme")
                  .get(pk=membership.pk))
    programme = membership.programme
    require(access.can_end_membership(request.user, membership),
            "Only the programme's managers can end its memberships.")
    context = {"membership": membership, "programme": programme,
               "person": membership.user.get_full_name() or membership.user.username,
               "board_link": f"{reverse('web:action-board', args=[programme.pk])}"
                             f"?owner={membership.user_id}",
               **role_context(request.user, programme.pk)}
    if request.method == "POST":
        try:
            ended = services.membership_end(actor=request.user, membership=membership)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("web:membership-end", membership.pk)
        return render(request, "web/membership_ended.html", {
            **context, "membership": ended.membership, "open_actions": ended.open_actions})
    return render(request, "web/membership_end.html", {
        **context, "open_actions": services.open_actions_of(membership)})


# Changing a membership's role (managers) ------------------------------------------------------


@login_required
def membership_edit(request, pk):
    """Change a person's role in the programme and the partner they act for (managers):
    the API's ``PATCH /memberships/{id}/`` through ``membership_update``."""
    membership = visible_or_404(Membership, request.user, pk=pk)
    membership = (Membership.objects.select_related("user", "partner", "programme")
                  .get(pk=membership.pk))
    programme = membership.programme
    require(programme_access.can_manage_programme(request.user, programme.pk),
            "Only the programme's managers can change its members.")
    person = membership.user.get_full_name() or membership.user.username
    form = MembershipChangeForm(request.POST or None, programme=programme, initial={
        "role": membership.role, "partner": membership.partner_id})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        saved = attempt(form, lambda: programme_services.membership_update(
            actor=request.user, membership=membership, **data))
        if saved:
            where = f" for {saved.partner.name}" if saved.partner else ""
            messages.success(request, f"{person} is now {saved.get_role_display().lower()}"
                                      f"{where}.")
            return redirect("web:people", programme.pk)
        membership.refresh_from_db()  # the service's checks may have changed the copy
    return render(request, "web/membership_form.html", {
        "form": form, "membership": membership, "programme": programme, "person": person,
    }, status=400 if request.method == "POST" else 200)
