"""Learning needs, training offers, placements and funding."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from actions.models import Action
from core.money import format_money
from programmes.models import Gap, Partner, Principle, Programme
from programmes.querysets import ProgrammeScopedQuerySet, partner_ids_of_programmes_of

OFFER_DATES_OUT_OF_ORDER = "The end date must not be before the start date."
CLAIMS_OUT_OF_ORDER = "Claims must not close before they open."

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class LearningNeed(models.Model):
    class Status(models.TextChoices):
        IDENTIFIED = "identified", "Identified"
        PLANNED = "planned", "Planned"
        IN_TRAINING = "in_training", "In training"
        MET = "met", "Met"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="learning_needs"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="learning_needs")
    # RESTRICT: a gap with learning needs cannot be deleted on its own (close it instead).
    gap = models.ForeignKey(
        Gap, on_delete=models.RESTRICT, null=True, blank=True, related_name="learning_needs"
    )
    principle = models.ForeignKey(
        Principle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="learning_needs",
        help_text="The gap's principle; set directly for a need that has no gap.",
    )
    staff_group = models.CharField(max_length=200)
    topic = models.CharField(max_length=300)
    workers_count = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    needed_by = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IDENTIFIED)
    workers_trained = models.PositiveIntegerField(
        default=0, editable=False,
        help_text="The places completed on this need's placements, kept by the services.",
    )
    met_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the need became met (kept by the services).",
    )
    met_reason = models.CharField(
        max_length=500, blank=True,
        help_text="Why a manager marked the need met before its workers were trained.",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    programme_path = "programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["needed_by", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(workers_count__gte=1),
                name="%(app_label)s_%(class)s_workers_positive",
                violation_error_message="A learning need is for at least one worker.",
                violation_error_code="invalid",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="need_programme_status")]

    def __str__(self):
        return f"{self.topic} ({self.staff_group}, {self.workers_count})"

    def save(self, *args, **kwargs):
        """Stamp ``met_at`` when the need becomes met (and clear it when it is reopened),
        whichever service changed the status: the successes of a period read it."""
        from django.utils import timezone

        if self.status == self.Status.MET and self.met_at is None:
            self.met_at = timezone.now()
        elif self.status != self.Status.MET:
            self.met_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "met_at"}
        super().save(*args, **kwargs)


class TrainingOfferQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Published offers for everyone; any status for the provider's own people.

        Managers also see drafts of providers in their programmes, so they can
        plan with offers that are on the way.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        from programmes.models import Membership

        # Uncorrelated IN subqueries under the OR (see programmes/querysets.py).
        own = Membership.objects.active().filter(
            user_id=user.pk, role=Membership.Role.LEARNING_PROVIDER
        ).values("partner_id")
        managed = partner_ids_of_programmes_of(user, role=Membership.Role.MANAGER)
        return self.filter(
            Q(status=TrainingOffer.Status.PUBLISHED)
            | Q(provider_id__in=own)
            | Q(provider_id__in=managed)
        )

    def published(self):
        return self.filter(status=TrainingOffer.Status.PUBLISHED)


class TrainingOffer(models.Model):
    class Format(models.TextChoices):
        IN_HOUSE = "in_house", "In-house training"
        APPRENTICESHIP = "apprenticeship", "Apprenticeship"
        E_LEARNING = "e_learning", "E-learning"
        WORKSHOP = "workshop", "Workshop"
        ACTIVE_LEARNING_GROUP = "active_learning_group", "Active learning group"
        PRACTICE_EXCHANGE = "practice_exchange", "Practice exchange forum"
        COACHING = "coaching", "Coaching"
        PEER_LEARNING = "peer_learning", "Peer learning"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    provider = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="training_offers")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    topics = models.CharField(
        max_length=500, blank=True, help_text="Key words, separated by commas."
    )
    staff_groups = models.CharField(
        max_length=500, blank=True, help_text="Who it is for, separated by commas."
    )
    format = models.CharField(max_length=30, choices=Format.choices)
    principles = models.ManyToManyField(Principle, related_name="training_offers", blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    places_booked = models.PositiveIntegerField(default=0, editable=False)
    cost_per_place = models.DecimalField(
        **MONEY, default=Decimal("0.00"), validators=[MinValueValidator(Decimal("0"))]
    )
    location = models.CharField(max_length=300, blank=True)
    online = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[principles])

    objects = TrainingOfferQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_booked__lte=F("capacity")),
                name="%(app_label)s_%(class)s_within_capacity",
                violation_error_message="This offer does not have that many places left.",
                violation_error_code="limit_exceeded",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=OFFER_DATES_OUT_OF_ORDER,
                violation_error_code="invalid",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        """Dates in order, reported on the end date (web form and API say the same)."""
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": OFFER_DATES_OUT_OF_ORDER})

    @property
    def places_free(self) -> int:
        return self.capacity - self.places_booked


SESSION_TIMES_OUT_OF_ORDER = "The session must not end before it starts."


class TrainingSessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The sessions of the offers the user may see."""
        return self.filter(offer__in=TrainingOffer.objects.visible_to(user).values("pk"))


class TrainingSession(models.Model):
    """One run of an offer (a cohort, a day, a course of e-learning): its own times, place
    and capacity. Places are booked on a session; the offer's ``capacity`` and
    ``places_booked`` are the sums of its sessions', kept by the services. A session with
    no start time runs whenever the learner chooses (e-learning)."""

    offer = models.ForeignKey(TrainingOffer, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    online = models.BooleanField(default=False)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    places_booked = models.PositiveIntegerField(
        default=0, editable=False, help_text="Places held by requested, approved and "
        "confirmed placements.")
    places_waiting = models.PositiveIntegerField(
        default=0, editable=False, help_text="Places asked for by waiting-list placements.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["offer_id", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_booked__lte=F("capacity")),
                name="%(app_label)s_%(class)s_within_capacity",
                violation_error_message="This session does not have that many places left.",
                violation_error_code="limit_exceeded",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gte=F("starts_at")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=SESSION_TIMES_OUT_OF_ORDER,
                violation_error_code="invalid",
            ),
        ]

    def __str__(self):
        when = f"{self.starts_at:%-d %B %Y}" if self.starts_at else "any time"
        return f"{self.offer} ({when})"

    def clean(self):
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": SESSION_TIMES_OUT_OF_ORDER})

    @property
    def places_free(self) -> int:
        return self.capacity - self.places_booked


class Placement(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        WAITLISTED = "waitlisted", "On the waiting list"
        APPROVED = "approved", "Approved"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    # The statuses that hold places on the session; a waiting request holds none.
    HOLDING = (Status.REQUESTED, Status.APPROVED, Status.CONFIRMED)
    # Still open: not ended by a cancellation or a refusal.
    OPEN = (Status.REQUESTED, Status.WAITLISTED, Status.APPROVED, Status.CONFIRMED)

    # PROTECT: a need's placements hold places on an offer; ``need_delete`` gives them
    # back before it removes them, and nothing else may drop them silently.
    learning_need = models.ForeignKey(
        LearningNeed, on_delete=models.PROTECT, related_name="placements"
    )
    # The session's offer, kept beside the session so lists filter by offer in one join.
    training_offer = models.ForeignKey(
        TrainingOffer, on_delete=models.PROTECT, related_name="placements"
    )
    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="placements"
    )
    places = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    learners = models.JSONField(
        default=list, blank=True, help_text="The names of the learners, if the booker gives them."
    )
    places_attended = models.PositiveIntegerField(null=True, blank=True)
    places_completed = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_reason = models.CharField(
        max_length=500, blank=True, help_text="Why the places were declined or cancelled."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    programme_path = "learning_need__programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places__gte=1),
                name="%(app_label)s_%(class)s_places_positive",
                violation_error_message="Book at least one place.",
                violation_error_code="invalid",
            ),
            models.CheckConstraint(
                condition=Q(places_attended__isnull=True) | Q(places_attended__lte=F("places")),
                name="%(app_label)s_%(class)s_attended_within_places",
                violation_error_message="More people cannot attend than places were booked.",
                violation_error_code="invalid",
            ),
            models.CheckConstraint(
                condition=Q(places_completed__isnull=True)
                | Q(places_completed__lte=F("places")),
                name="%(app_label)s_%(class)s_completed_within_places",
                violation_error_message="More people cannot complete than places were booked.",
                violation_error_code="invalid",
            ),
        ]
        indexes = [
            # The waiting list of a session, in order.
            models.Index(fields=["session", "status", "created_at", "id"],
                         name="placement_session_queue"),
        ]

    def __str__(self):
        return f"{self.places} on {self.training_offer}"


class FundingStream(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="funding_streams"
    )
    name = models.CharField(max_length=200)
    funder = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="funding_streams")
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    allocated = models.DecimalField(**MONEY, default=Decimal("0.00"), editable=False)
    description = models.TextField(blank=True)
    # The scheme's rules; an empty rule allows everything.
    eligible_principles = models.ManyToManyField(
        Principle, related_name="+", blank=True,
        help_text="Only learning and actions for these principles; none: any principle.",
    )
    eligible_staff_groups = models.JSONField(
        default=list, blank=True,
        help_text="Only learning for these staff groups; none: any staff group.",
    )
    cap_per_partner = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))],
        help_text="The most one partner may draw from this stream.",
    )
    claims_open = models.DateField(null=True, blank=True)
    claims_close = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[eligible_principles])

    programme_path = "programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allocated__lte=F("amount")) & Q(allocated__gte=0),
                name="%(app_label)s_%(class)s_within_amount",
                violation_error_message="This funding stream does not have that much money left.",
                violation_error_code="limit_exceeded",
            ),
            models.CheckConstraint(
                condition=Q(claims_close__isnull=True) | Q(claims_open__isnull=True)
                | Q(claims_close__gte=F("claims_open")),
                name="%(app_label)s_%(class)s_claims_in_order",
                violation_error_message=CLAIMS_OUT_OF_ORDER,
                violation_error_code="invalid",
            ),
            models.UniqueConstraint(
                fields=["programme", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message=(
                    "This programme already has a funding stream with this name."
                ),
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.claims_open and self.claims_close and self.claims_close < self.claims_open:
            raise ValidationError({"claims_close": CLAIMS_OUT_OF_ORDER})

    @property
    def available(self) -> Decimal:
        return self.amount - self.allocated


class FundingAllocation(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        COMMITTED = "committed", "Committed"
        CLAIMED = "claimed", "Claimed"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    # Every status but cancelled holds the money on the stream.
    HOLDING = (Status.PLANNED, Status.COMMITTED, Status.CLAIMED, Status.PAID)
    # Money not yet claimed: cancelling it (or the booking it pays for) gives it back.
    RELEASABLE = (Status.PLANNED, Status.COMMITTED)

    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="allocations")
    learning_need = models.ForeignKey(
        LearningNeed,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_allocations",
    )
    action = models.ForeignKey(
        Action, on_delete=models.PROTECT, null=True, blank=True, related_name="funding_allocations"
    )
    # The booking this money pays for, if any: cancelling or declining the placement
    # cancels the allocation and gives the money back.
    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, null=True, blank=True,
        related_name="funding_allocations",
    )
    # The partner whose cap this draws on: the need's partner or the action's owner
    # partner, kept by the services so the cap is one indexed sum.
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        editable=False,
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    note = models.CharField(max_length=500, blank=True)
    evidence = models.TextField(
        blank=True, help_text="What shows the money was spent as agreed (for a claim)."
    )
    claimed_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    programme_path = "stream__programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(learning_need__isnull=False, action__isnull=True)
                | Q(learning_need__isnull=True, action__isnull=False),
                name="%(app_label)s_%(class)s_one_target",
                violation_error_message=(
                    "Funding goes to a learning need or to an action: exactly one of them."
                ),
                violation_error_code="invalid",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
                violation_error_message="The amount must be more than zero.",
                violation_error_code="invalid",
            ),
        ]
        indexes = [
            # What one partner draws on a stream (its cap).
            models.Index(fields=["stream", "partner"], name="allocation_stream_partner"),
        ]

    def __str__(self):
        return f"{format_money(self.amount)} from {self.stream}"



class OfferProposal(models.Model):
    """A provider proposes one of its published offers to an open learning need; the
    need's partner leads are told, and the need's page lists it."""

    offer = models.ForeignKey(TrainingOffer, on_delete=models.CASCADE, related_name="proposals")
    learning_need = models.ForeignKey(
        LearningNeed, on_delete=models.CASCADE, related_name="proposals"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    programme_path = "learning_need__programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "learning_need"],
                name="%(app_label)s_%(class)s_once_per_need",
                violation_error_message="You have already proposed this offer for this need.",
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return f"{self.offer} for {self.learning_need}"
