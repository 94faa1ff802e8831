"""Invitations: how a programme manager brings a person into the programme by e-mail."""

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Now

from programmes.models import Contributor, Membership, Partner, Programme
from programmes.querysets import member_programme_ids


class InvitationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only the programme's managers (and staff) see its invitations (docs/decisions.md,
        "People and invitations"): an invitation names a person's e-mail address before
        they have agreed to join."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        # A partner lead also sees the invitations to contribute to their partner's
        # assessments, to resend or withdraw them (docs/decisions.md, "Contributions").
        leads = Membership.objects.active().filter(
            user_id=user.pk, role=Membership.Role.PARTNER_LEAD,
            programme_id=OuterRef("programme_id"),
            partner_id=OuterRef("contributor__assessment__partner_id"))
        return self.filter(
            Q(programme_id__in=member_programme_ids(user, role=Membership.Role.MANAGER))
            | Q(Exists(leads), contributor__isnull=False))

    def with_status(self):
        """``current_status``: a pending invitation past its expiry reads as expired."""
        return self.annotate(current_status=Case(
            When(status=Invitation.Status.PENDING, expires_at__lte=Now(),
                 then=Value(Invitation.Status.EXPIRED)),
            default="status", output_field=models.CharField()))


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Withdrawn"
        EXPIRED = "expired", "Expired"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="invitations")
    email = models.EmailField()
    # Blank for an invitation to contribute to one assessment (``contributor``), which
    # gives no role in the programme.
    role = models.CharField(max_length=30, choices=Membership.Role.choices, blank=True)
    contributor = models.OneToOneField(
        Contributor, on_delete=models.CASCADE, null=True, blank=True,
        related_name="invitation",
        help_text="Set when the invitation asks the person to contribute to an assessment.")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="invitations")
    # ``pending`` is stored until the invitation is answered; one past ``expires_at`` reads
    # as ``expired`` (``current_status``) and is stored as expired when a new one replaces it.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # The link carries a signed (invitation id, nonce); only the nonce's SHA-256 is kept,
    # and a resend replaces it, so an older link stops working.
    nonce_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    programme_path = "programme"
    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "email"],
                condition=Q(status="pending", contributor__isnull=True),
                name="people_invitation_one_pending_per_person",
                violation_error_message=(
                    "This person already has an invitation waiting: resend it instead."),
                violation_error_code="conflict",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.programme_id}"

    @property
    def effective_status(self) -> str:
        annotated = getattr(self, "current_status", None)
        if annotated is not None:
            return annotated
        from django.utils import timezone

        if self.status == self.Status.PENDING and self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.status

    @property
    def kind(self) -> str:
        """``membership`` to join the programme, ``contribution`` to rate an assessment."""
        return "contribution" if self.contributor_id else "membership"

    def get_role_display(self) -> str:  # type: ignore[no-redef]
        """The role in words; an invitation to contribute gives none, and says so."""
        if self.contributor_id or not self.role:
            return "Contributor to a self-assessment"
        return str(dict(Membership.Role.choices).get(self.role, self.role))

    def get_effective_status_display(self) -> str:
        return str(dict(self.Status.choices)[self.effective_status])
