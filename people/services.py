"""Invitations, accepting them, and ending memberships (DESIGN.md, "Setting up a
programme and its people").

An invitation's e-mail carries a one-time link: ``signing`` signs the invitation's id
and a random nonce; only the nonce's SHA-256 is stored. The link is refused once the
invitation is accepted, revoked or past ``expires_at`` (14 days), and after a resend,
which stores a new nonce.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from core import integrity
from core.errors import Conflict, DomainError, InvalidTransition
from notifications import mail
from programmes import access as programme_access
from programmes import contributions
from programmes.models import Assessment, Contributor, Membership, Partner, Programme

from . import access
from .models import Invitation

VALID_FOR = timedelta(days=14)
SALT = "people.invitation"
Role = Membership.Role


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _new_link(invitation: Invitation) -> str:
    """Give the invitation a new nonce and expiry; return the token of its link."""
    nonce = secrets.token_urlsafe(24)
    invitation.nonce_hash = _hash(nonce)
    invitation.expires_at = timezone.now() + VALID_FOR
    return signing.dumps({"i": invitation.pk, "n": nonce}, salt=SALT, compress=False)


def accept_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("web:invitation-accept", args=[token])


def _send(invitation: Invitation, token: str) -> None:
    """E-mail the link once the invitation is saved for good (not in a dry run)."""
    context = {
        "invitation": invitation, "programme": invitation.programme,
        "role": invitation.get_role_display(), "link": accept_url(token),
        "inviter": (invitation.invited_by.get_full_name() or invitation.invited_by.username)
        if invitation.invited_by else "A programme manager",
        "expires_at": invitation.expires_at,
    }
    asked = invitation.contributor
    if asked is not None:
        assessment = asked.assessment
        context["assessment"] = assessment
        context["perspective"] = asked.get_perspective_display()
        kind = "contributor_invitation"
        what = f"Your views are asked on {assessment.partner.name}'s self-assessment"
        body = render_to_string("people/email/contributor_invitation.txt", context)
    else:
        kind = "invitation"
        what = f"You are invited to join as {_a(invitation.get_role_display())}"
        body = render_to_string("people/email/invitation.txt", context)
    programme_name = invitation.programme.name
    message = mail.message(
        subject=mail.subject_line(programme_name, what), body=body, to=[invitation.email],
        kind=kind, programme_names=programme_name)
    transaction.on_commit(message.send)


def _a(role: str) -> str:
    """"a partner lead", "an ..." in plain words."""
    role = role[0].lower() + role[1:] if role else "member"
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise DomainError("Enter an e-mail address in the right form, like "
                          "name@example.org.", field="email") from None
    return email


def _check_role(programme: Programme, role: str, partner: Partner | None) -> Partner | None:
    if role not in Role.values:
        raise DomainError("Choose a role: programme manager, partner lead, learning "
                          "provider or reviewer.", field="role")
    if role in Membership.PARTNER_ROLES:
        if partner is None:
            raise DomainError("A partner lead or a learning provider must belong to a "
                              "partner: choose the partner.", field="partner")
        if not programme.partners.filter(pk=partner.pk).exists():
            raise DomainError("This partner is not in the programme.", field="partner")
        if role == Role.LEARNING_PROVIDER and not partner.provides_learning:
            raise DomainError("This partner does not provide learning: a learning provider "
                              "must belong to one that does.", field="partner")
        return partner
    if partner is not None:
        raise DomainError("Programme managers and reviewers do not belong to a partner: "
                          "leave the partner empty.", field="partner")
    return None


@transaction.atomic
def invitation_create(*, actor, programme: Programme, email: str, role: str,
                      partner: Partner | None = None) -> Invitation:
    """A manager invites a person by e-mail with a role; the e-mail goes after commit."""
    access.require(access.can_invite(actor, programme.pk),
                   "Only the programme's managers can invite people to it.")
    email = _clean_email(email)
    partner = _check_role(programme, role, partner)
    if Membership.objects.active().filter(programme=programme,
                                          user__email__iexact=email).exists():
        raise Conflict("This person is already a member of the programme.", field="email")
    waiting = (Invitation.objects.select_for_update()
               .filter(programme=programme, email=email, status=Invitation.Status.PENDING)
               .first())
    if waiting is not None:
        if waiting.expires_at > timezone.now():
            raise Conflict(f"{email} already has an invitation waiting: resend it instead.",
                           field="email")
        waiting.status = Invitation.Status.EXPIRED
        waiting.save(update_fields=["status"])
    with integrity.translated():  # another manager invited the same address a moment ago
        invitation = Invitation.objects.create(
            programme=programme, email=email, role=role, partner=partner, invited_by=actor,
            nonce_hash="", expires_at=timezone.now() + VALID_FOR)
    token = _new_link(invitation)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["nonce_hash", "expires_at", "sent_at"])
    _send(invitation, token)
    return invitation


def _can_handle(actor, invitation: Invitation) -> bool:
    """Managers handle every invitation of their programme; an invitation to contribute to
    an assessment may also be handled by those who may answer that assessment."""
    if access.can_invite(actor, invitation.programme_id):
        return True
    contributor = invitation.contributor
    if contributor is None:
        return False
    return programme_access.can_answer_assessment(
        actor, invitation.programme_id, contributor.assessment.partner_id)


@transaction.atomic
def contributor_invite(*, actor, assessment: Assessment, email: str, perspective: str,
                       checklist_items=()) -> Contributor:
    """Ask a person to rate items of a draft assessment, by e-mail address.

    A person who already has an account with that address is asked at once (and told
    in their notifications); anyone else gets an invitation e-mail whose link lets them
    make an account, after which they are asked. Being asked gives no role in the
    programme: only this assessment's items they are asked about.
    """
    programme_id = assessment.cycle.programme_id
    access.require(programme_access.can_answer_assessment(actor, programme_id,
                                                          assessment.partner_id),
                   contributions.ASK_REFUSED)
    email = _clean_email(email)
    User = get_user_model()
    user = User.objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
    if user is not None:
        return contributions.contributor_add(actor=actor, assessment=assessment, user=user,
                                             perspective=perspective,
                                             checklist_items=checklist_items)
    assessment = contributions._lock_open(assessment.pk)
    if Contributor.objects.filter(assessment=assessment, email__iexact=email,
                                  removed_at__isnull=True).exists():
        raise Conflict(f"{email} is already asked to contribute to this assessment.",
                       field="email")
    contributor = Contributor(assessment=assessment, email=email, perspective=perspective,
                              invited_by=actor)
    contributor.full_clean(exclude=["checklist_items"], validate_unique=False)
    contributor.save()
    contributor.checklist_items.set(contributions._check_items(assessment, checklist_items))
    invitation = Invitation.objects.create(
        programme_id=programme_id, email=email, role="", partner=None, invited_by=actor,
        contributor=contributor, nonce_hash="", expires_at=timezone.now() + VALID_FOR)
    token = _new_link(invitation)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["nonce_hash", "expires_at", "sent_at"])
    _send(invitation, token)
    return contributor


def _lock(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().select_related("programme").get(
        pk=invitation.pk)


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation) -> Invitation:
    """A new link and a new 14 days; the old link stops working."""
    access.require(_can_handle(actor, invitation),
                   "Only the programme's managers can resend its invitations.")
    invitation = _lock(invitation)
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvalidTransition("This invitation has been accepted: there is nothing to resend.")
    if invitation.status == Invitation.Status.REVOKED:
        raise InvalidTransition("This invitation was withdrawn: invite the person again instead.")
    if invitation.status == Invitation.Status.EXPIRED:
        raise InvalidTransition("A newer invitation replaced this one: resend that one.")
    token = _new_link(invitation)
    invitation.sent_at = timezone.now()
    invitation.invited_by = invitation.invited_by or actor
    invitation.save(update_fields=["nonce_hash", "expires_at", "sent_at", "invited_by"])
    _send(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    """Withdraw an invitation not yet accepted; its link stops working."""
    access.require(_can_handle(actor, invitation),
                   "Only the programme's managers can withdraw its invitations.")
    invitation = _lock(invitation)
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvalidTransition("This invitation has been accepted: end the person's "
                                "membership instead.")
    if invitation.status == Invitation.Status.REVOKED:
        raise InvalidTransition("This invitation is already withdrawn.")
    invitation.status = Invitation.Status.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = actor
    invitation.save(update_fields=["status", "revoked_at", "revoked_by"])
    return invitation


# Following the link ------------------------------------------------------------------


@dataclass
class LinkCheck:
    """What a link leads to: the invitation, or why it cannot be used (``problem``:
    ``unknown``, ``replaced``, ``accepted``, ``revoked`` or ``expired``)."""

    invitation: Invitation | None
    problem: str | None = None


def invitation_from_token(token: str) -> LinkCheck:
    try:
        data = signing.loads(token, salt=SALT)
        pk, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return LinkCheck(None, "unknown")
    invitation = (Invitation.objects.select_related("programme", "partner", "invited_by")
                  .filter(pk=pk).first())
    if invitation is None:
        return LinkCheck(None, "unknown")
    if invitation.status == Invitation.Status.ACCEPTED:
        return LinkCheck(invitation, "accepted")
    if invitation.status == Invitation.Status.REVOKED:
        return LinkCheck(invitation, "revoked")
    if not hmac.compare_digest(invitation.nonce_hash, _hash(nonce)):
        return LinkCheck(invitation, "replaced")
    if invitation.effective_status == Invitation.Status.EXPIRED:
        return LinkCheck(invitation, "expired")
    return LinkCheck(invitation)


PROBLEMS = {
    "unknown": "This link is not right: it may have been cut short when it was copied.",
    "replaced": "A newer invitation e-mail replaced this one. Use the link in the latest "
                "e-mail.",
    "accepted": "This invitation has already been used.",
    "revoked": "This invitation was withdrawn.",
    "expired": "This invitation has expired: links work for 14 days.",
}


def _usable(token: str) -> Invitation:
    check = invitation_from_token(token)
    if check.problem or check.invitation is None:
        raise InvalidTransition(PROBLEMS[check.problem or "unknown"])
    invitation = _lock(check.invitation)
    if invitation.status != Invitation.Status.PENDING:  # answered a moment ago
        raise InvalidTransition(PROBLEMS.get(invitation.status, PROBLEMS["unknown"]))
    return invitation


def _contribute(invitation: Invitation, user) -> Contributor:
    """Accepting an invitation to contribute: the person is asked, with no programme role."""
    contributor = Contributor.objects.select_for_update(of=("self",)).select_related(
        "assessment__cycle__programme", "assessment__partner").get(
        invitation__pk=invitation.pk)
    if contributor.removed_at is not None:
        raise InvalidTransition(PROBLEMS["revoked"])
    if contributor.assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition("This assessment has been submitted: views can no longer "
                                "be added to it.")
    already = Contributor.objects.filter(assessment=contributor.assessment, user=user,
                                         removed_at__isnull=True).exclude(pk=contributor.pk)
    if already.exists():
        raise Conflict("You are already asked to contribute to this assessment.")
    contributor.user = user
    contributor.save(update_fields=["user"])
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
    return contributor


def _join(invitation: Invitation, user) -> Membership | Contributor:
    """Give ``user`` the invitation's role, reactivating an ended membership (or, for an
    invitation to contribute, ask them to contribute)."""
    if invitation.contributor_id:
        return _contribute(invitation, user)
    membership = (Membership.objects.select_for_update()
                  .filter(programme=invitation.programme, user=user).first())
    if membership is not None and membership.ended_at is None:
        raise Conflict("You are already a member of this programme.")
    if membership is None:
        membership = Membership(programme=invitation.programme, user=user)
    membership.role = invitation.role
    membership.partner = invitation.partner
    membership.ended_at = None
    membership.ended_by = None
    try:
        membership.full_clean(validate_unique=False)
    except DjangoValidationError as exc:  # the partner changed since the invitation
        raise DomainError(" ".join(exc.messages) + " Ask the programme manager who invited "
                          "you to send a new invitation.") from None
    with integrity.translated():
        membership.save()
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
    programme_access.forget_memberships(user)
    return membership


@transaction.atomic
def invitation_accept(*, actor, token: str) -> Membership | Contributor:
    """A signed-in person with the invited e-mail address accepts: they join (or, invited
    to contribute to an assessment, they are asked to)."""
    invitation = _usable(token)
    if not actor.is_authenticated or (actor.email or "").lower() != invitation.email:
        raise PermissionDenied(
            f"This invitation is for {invitation.email}, but you are signed in as "
            f"{getattr(actor, 'username', 'someone else')}. Sign out, then open the link again.")
    return _join(invitation, actor)


PASSWORD_MESSAGES = {
    "password_too_short": "Your password must be at least 8 characters long.",
    "password_too_common": "This password is too common and easy to guess: choose another.",
    "password_entirely_numeric": "Your password cannot be only numbers.",
    "password_too_similar": "Your password is too like your name or e-mail address: "
                            "choose another.",
}


def password_problems(password: str, user) -> list[str]:
    """Django's password validators' findings, in the service's words."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        return [PASSWORD_MESSAGES.get(e.code or "", " ".join(e.messages))
                for e in exc.error_list]
    return []


@transaction.atomic
def invitation_accept_new_account(*, token: str, first_name: str, last_name: str,
                                  password: str):
    """A person with no account accepts: their account is made (username: their e-mail
    address) and they join. Returns the new user."""
    invitation = _usable(token)
    User = get_user_model()
    if User.objects.filter(email__iexact=invitation.email).exists() or \
            User.objects.filter(username__iexact=invitation.email).exists():
        raise Conflict("There is already an account with this e-mail address: sign in "
                       "to accept the invitation.")
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name:
        raise DomainError("Enter your first name.", field="first_name")
    if not last_name:
        raise DomainError("Enter your last name.", field="last_name")
    user = User(username=invitation.email, email=invitation.email,
                first_name=first_name[:150], last_name=last_name[:150])
    problems = password_problems(password, user)
    if problems:
        raise DomainError(" ".join(problems), field="password1")
    user.set_password(password)
    user.save()
    _join(invitation, user)
    return user


# Ending a membership --------------------------------------------------------------------


@dataclass
class Ended:
    membership: Membership
    open_actions: list[Action]


def open_actions_of(membership: Membership) -> list[Action]:
    return list(Action.objects.open().filter(programme_id=membership.programme_id,
                                             owner_id=membership.user_id)
                .order_by("due_date", "pk"))


@transaction.atomic
def membership_end(*, actor, membership: Membership) -> Ended:
    """End a person's role in a programme. The membership row stays (their history and
    what they recorded keep their name); it gives no access any more. Their open
    actions are returned for the managers to hand on."""
    access.require(access.can_end_membership(actor, membership),
                   "Only the programme's managers can end its memberships.")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        raise InvalidTransition("This membership has already ended.")
    if membership.role == Role.MANAGER and not Membership.objects.active().filter(
            programme_id=membership.programme_id, role=Role.MANAGER).exclude(
            pk=membership.pk).exists():
        raise InvalidTransition("This is the programme's only manager: invite another "
                                "manager before ending this membership.")
    membership.ended_at = timezone.now()
    membership.ended_by = actor
    membership.save(update_fields=["ended_at", "ended_by"])
    return Ended(membership, open_actions_of(membership))
