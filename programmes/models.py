"""Frameworks, partners, programmes, memberships, assessments and gaps."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .querysets import (
    ContributionQuerySet,
    ContributorQuerySet,
    MembershipQuerySet,
    PartnerQuerySet,
    ProgrammeScopedQuerySet,
)


class Framework(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=40)
    source = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title


class Principle(models.Model):
    """A section of a framework (Skills for Care calls them principles)."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="principles")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=500)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["framework_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "number"],
                name="%(app_label)s_%(class)s_unique_number",
                violation_error_message="This framework already has a principle with this number.",
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class ChecklistItem(models.Model):
    principle = models.ForeignKey(Principle, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=20)
    text = models.TextField()
    order = models.PositiveSmallIntegerField()
    is_active = models.BooleanField(
        default=True, help_text="False when a newer framework file no longer has this item."
    )

    class Meta:
        ordering = ["principle__framework_id", "principle__number", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["principle", "code"],
                name="%(app_label)s_%(class)s_unique_code",
                violation_error_message="This principle already has an item with this code.",
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.text[:60]}"


class Partner(models.Model):
    class Sector(models.TextChoices):
        NHS_TRUST = "nhs_trust", "NHS trust"
        PRIMARY_CARE = "primary_care", "Primary care"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        SOCIAL_CARE_PROVIDER = "social_care_provider", "Adult social care provider"
        VOLUNTARY_COMMUNITY = "voluntary_community", "Voluntary and community organisation"
        HOUSING = "housing", "Housing"
        CHILDRENS_SERVICES = "childrens_services", "Children's services"
        LEARNING_PROVIDER = "learning_provider", "Learning provider"
        PEOPLE_SUPPORTED_GROUP = "people_supported_group", "Group of people supported"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    sector = models.CharField(max_length=40, choices=Sector.choices)
    provides_learning = models.BooleanField(default=False)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


ESCALATION_MAX_DAYS = 365


def default_escalation_days() -> list[int]:
    """DESIGN.md: the partner's leads at 7 days overdue, the programme's managers at 21."""
    return [7, 21]


def validate_escalation_days(value) -> None:
    """At most two whole numbers of days, each 1..365, the second after the first.

    The first is when the partner's leads are told that an action is overdue, the
    second when the programme's managers are; ``[]`` means no escalation.
    """
    if not isinstance(value, list):
        raise ValidationError(
            "Give the escalation days as a list of up to two whole numbers of days, for "
            "example [7, 21], or [] for no escalation.", code="invalid")
    if len(value) > 2:
        raise ValidationError(
            "Give at most two escalation days: when the partner's leads are told, then when "
            "the programme's managers are told.", code="invalid")
    for days in value:
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationError(
                "Each escalation day must be a whole number of days, for example 7.",
                code="invalid")
        if not 1 <= days <= ESCALATION_MAX_DAYS:
            raise ValidationError(
                f"Each escalation day must be between 1 and {ESCALATION_MAX_DAYS} days "
                "overdue.", code="invalid")
    if len(value) == 2 and value[1] <= value[0]:
        raise ValidationError(
            "The programme's managers are told after the partner's leads: the second number "
            "of days must be more than the first.", code="invalid")


class Programme(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="programmes")
    partners = models.ManyToManyField(Partner, related_name="programmes", blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Days overdue at which an open action is escalated: to its partner's leads, then
    # to the programme's managers (actions/escalation.py); [] means never.
    escalation_days = models.JSONField(
        default=default_escalation_days, blank=True, validators=[validate_escalation_days],
        help_text="Days overdue at which an action is escalated: first to its partner's "
                  "leads, then to the programme's managers; [] for no escalation.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    programme_path = ""
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="A programme's end date cannot be before its start date.",
                violation_error_code="invalid",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # A blank JSON value skips the field's validators: ``null`` is refused here.
        if self.escalation_days is None:
            raise ValidationError({"escalation_days": (
                "Give the escalation days as a list, for example [7, 21], or [] for no "
                "escalation.")})


class Membership(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", "Programme manager"
        PARTNER_LEAD = "partner_lead", "Partner lead"
        LEARNING_PROVIDER = "learning_provider", "Learning provider"
        REVIEWER = "reviewer", "Reviewer"

    PARTNER_ROLES = (Role.PARTNER_LEAD, Role.LEARNING_PROVIDER)

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # An ended membership is kept (the person's history stays) but gives no access:
    # every "is a member" rule reads only rows with no ``ended_at``.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    programme_path = "programme"
    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "role", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "user"],
                name="%(app_label)s_%(class)s_one_role_per_programme",
                violation_error_message="This person already has a role in this programme.",
                violation_error_code="conflict",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["partner_lead", "learning_provider"], partner__isnull=False)
                | Q(role__in=["manager", "reviewer"]),
                name="%(app_label)s_%(class)s_partner_roles_have_partner",
                violation_error_message=(
                    "A partner lead or a learning provider must belong to a partner."
                ),
                violation_error_code="invalid",
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.programme}"

    def clean(self):
        if self.role in self.PARTNER_ROLES and not self.partner_id:
            raise ValidationError(
                {"partner": "A partner lead or learning provider needs a partner."}
            )
        if self.partner_id and self.programme_id:
            if not self.programme.partners.filter(pk=self.partner_id).exists():
                raise ValidationError({"partner": "This partner is not in the programme."})
        if self.role == self.Role.LEARNING_PROVIDER and self.partner_id:
            if not self.partner.provides_learning:
                raise ValidationError({"partner": "This partner does not provide learning."})


class AssessmentCycle(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a manager closed the cycle to changes."
    )

    programme_path = "programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "period_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="This programme already has a cycle with this name.",
                violation_error_code="conflict",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="A cycle's period cannot end before it starts.",
                violation_error_code="invalid",
            ),
        ]

    def __str__(self):
        return f"{self.programme}: {self.name}"

    def is_open_on(self, day) -> bool:
        """Open for submissions: from ``period_start`` until a manager closes it."""
        return self.closed_at is None and day >= self.period_start


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    # PROTECT: deleting a cycle never takes its assessments with it (the service deletes
    # drafts itself and refuses when one is submitted).
    cycle = models.ForeignKey(AssessmentCycle, on_delete=models.PROTECT, related_name="assessments")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    participants = models.TextField(
        blank=True, help_text="Who took part in the self-assessment (names, roles, teams)."
    )
    includes_people_supported = models.BooleanField(
        default=False, help_text="People who draw on care or their carers took part."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    late = models.BooleanField(
        default=False, help_text="Submitted after the end of the cycle's period."
    )
    history = HistoricalRecords()

    programme_path = "cycle__programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["cycle_id", "partner__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "partner"],
                name="%(app_label)s_%(class)s_one_per_partner",
                violation_error_message="This partner already has an assessment in this cycle.",
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return f"{self.partner} – {self.cycle.name}"

    @property
    def is_submitted(self):
        return self.status == self.Status.SUBMITTED


class Rating(models.TextChoices):
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    NOT_MET = "not_met", "Not met"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Response(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="responses")
    checklist_item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="responses"
    )
    rating = models.CharField(max_length=20, choices=Rating.choices)
    evidence = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    carried_forward = models.BooleanField(
        default=False,
        help_text="Copied from the partner's previous submitted assessment and not changed since.",
    )
    consensus_note = models.TextField(
        blank=True,
        help_text="How the agreed rating was reached where contributors' ratings split.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    programme_path = "assessment__cycle__programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["assessment_id", "checklist_item__principle__number", "checklist_item__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "checklist_item"],
                name="%(app_label)s_%(class)s_one_per_item",
                violation_error_message="This assessment already has an answer for this item.",
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return f"{self.checklist_item.code}: {self.rating}"


class Gap(models.Model):
    class Severity(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSURE_PROPOSED = "closure_proposed", "Closure proposed"
        CLOSED = "closed", "Closed"

    # Statuses that count as open: one per (programme, partner, item), and in progress.
    OPEN_STATUSES = (Status.OPEN, Status.CLOSURE_PROPOSED)

    class ClosedReason(models.TextChoices):
        REASSESSED_MET = "reassessed_met", "Rated met in a later assessment"
        REASSESSED_NOT_APPLICABLE = (
            "reassessed_not_applicable",
            "Rated not applicable in a later assessment",
        )
        CLOSED_BY_MANAGER = "closed_by_manager", "Closed by a programme manager"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="gaps")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="gaps")
    checklist_item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="gaps")
    principle = models.ForeignKey(Principle, on_delete=models.PROTECT, related_name="gaps")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    description = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    opened_by_assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="gaps_opened"
    )
    last_assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=40, choices=ClosedReason.choices, blank=True)
    status_note = models.TextField(
        blank=True, help_text="Why a manager closed or reopened the gap by hand."
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    programme_path = "programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "partner__name", "principle__number", "checklist_item__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "partner", "checklist_item"],
                condition=Q(status__in=["open", "closure_proposed"]),
                name="%(app_label)s_%(class)s_one_open_per_item",
                violation_error_code="conflict",
                violation_error_message="This partner already has an open gap for this item.",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["open", "closure_proposed"],
                    closed_at__isnull=True,
                    closed_reason="",
                )
                | Q(status="closed", closed_at__isnull=False) & ~Q(closed_reason=""),
                name="%(app_label)s_%(class)s_closed_has_reason",
                violation_error_message=(
                    "A closed gap needs a closing date and a reason; an open gap has "
                    "neither."
                ),
                violation_error_code="invalid",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="gap_programme_status")]

    def __str__(self):
        return f"{self.partner} – {self.checklist_item.code} ({self.status})"


class ProgressSnapshot(models.Model):
    """A programme's progress figures on one day, for the whole programme or one partner.

    ``principle`` is empty for the overall figures. ``scope`` ("all" or the partner id,
    then the principle id or "overall") keys the row so a rerun replaces it.
    """

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="snapshots")
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    principle = models.ForeignKey(
        Principle, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    date = models.DateField()
    scope = models.CharField(max_length=60)
    score = models.FloatField(null=True, blank=True)
    figures = models.JSONField()
    taken_at = models.DateTimeField(auto_now=True)

    programme_path = "programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "date", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "date", "scope"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message=(
                    "This programme already has a snapshot of this scope for this day."
                ),
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return f"{self.programme} {self.date} {self.scope}"


# Several voices, evidence and champions (DESIGN.md, "Consensus, evidence and
# co-production") ----------------------------------------------------------------------


class Perspective(models.TextChoices):
    """Whose point of view a contribution gives."""

    STAFF = "staff", "Member of staff"
    MANAGER = "manager", "Manager"
    PERSON_SUPPORTED = "person_supported", "Person who draws on care and support"
    CARER = "carer", "Carer"
    PARTNER_ORGANISATION = "partner_organisation", "Partner organisation"
    OTHER = "other", "Other"


# The perspectives that count as co-production (``coproduced_share``).
LIVED_EXPERIENCE = (Perspective.PERSON_SUPPORTED, Perspective.CARER)


class Contributor(models.Model):
    """A person a partner lead asked to rate some (or all) items of a draft assessment.

    Asked by account (``user`` set at once) or by e-mail, through an invitation
    (``people.Invitation.contributor``): ``user`` is set when they accept. A contributor
    sees only this assessment's items they are asked about and their own contributions;
    being one gives no role in the programme.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="contributors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="contributor_invites")
    email = models.EmailField(blank=True)
    perspective = models.CharField(max_length=30, choices=Perspective.choices)
    checklist_items = models.ManyToManyField(
        ChecklistItem, blank=True, related_name="+",
        help_text="The items this person is asked about; none means every item.")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="No longer asked; what they contributed is kept.")

    programme_path = "assessment__cycle__programme"
    objects = ContributorQuerySet.as_manager()

    class Meta:
        ordering = ["assessment_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "user"], condition=Q(user__isnull=False),
                name="programmes_contributor_once_per_person",
                violation_error_message="This person is already asked to contribute to "
                                        "this assessment.",
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return f"{self.get_perspective_display()} on {self.assessment_id}"


class Contribution(models.Model):
    """One person's rating of one item of a draft assessment, with a comment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE,
                                   related_name="contributions")
    checklist_item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT,
                                       related_name="contributions")
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="contributions")
    perspective = models.CharField(max_length=30, choices=Perspective.choices)
    rating = models.CharField(max_length=20, choices=Rating.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    programme_path = "assessment__cycle__programme"
    objects = ContributionQuerySet.as_manager()

    class Meta:
        ordering = ["assessment_id", "checklist_item_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "checklist_item", "contributor"],
                name="programmes_contribution_one_per_person_and_item",
                violation_error_message="You have already rated this item: change your "
                                        "rating instead.",
                violation_error_code="conflict",
            ),
        ]
        indexes = [models.Index(fields=["assessment", "perspective"])]

    def __str__(self):
        return f"{self.checklist_item_id}: {self.rating} ({self.perspective})"


def evidence_path(instance, filename: str) -> str:
    """Where a file is stored: a random name under the month, never the uploader's name."""
    import secrets

    from django.utils import timezone

    suffix = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return f"evidence/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{suffix}"


class Evidence(models.Model):
    """A link or a file that backs up an answer. Read-only once its assessment is submitted;
    carried forward with the answer (the copy points at the same stored file)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="evidence_items")
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=1000, blank=True)
    file = models.FileField(upload_to=evidence_path, max_length=300, blank=True)
    filename = models.CharField(max_length=255, blank=True,
                                help_text="The file's name as it was uploaded.")
    content_type = models.CharField(max_length=120, blank=True,
                                    help_text="The type found in the file's bytes.")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    evidence_date = models.DateField(null=True, blank=True,
                                     help_text="The date the evidence is from.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    programme_path = "response__assessment__cycle__programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["response_id", "created_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=(Q(url="") & ~Q(file="")) | (~Q(url="") & Q(file="")),
                name="programmes_evidence_link_or_file",
                violation_error_message="Give a link or a file, not both.",
                violation_error_code="invalid",
            ),
        ]

    def __str__(self):
        return self.title


class Champion(models.Model):
    """A person a partner names to champion a principle in the programme."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="champions")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="champions")
    principle = models.ForeignKey(Principle, on_delete=models.PROTECT, related_name="champions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="championships",
                             help_text="Their account, when they have one.")
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    programme_path = "programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "principle__number", "partner__name", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "partner", "principle", "name"],
                name="programmes_champion_once",
                violation_error_message="This person is already a champion of this "
                                        "principle for this partner.",
                violation_error_code="conflict",
            ),
        ]

    def __str__(self):
        return self.name


class ProgressTally(models.Model):
    """The summed figures of one programme, partner and principle: the progress counts,
    kept current by the database in the same transaction as every write that changes
    them (programmes/tally.py), so progress reads a few hundred rows by index instead
    of counting the programme's work.

    ``partner_key`` and ``principle_key`` are ids, 0 for work of no partner or linked
    to no principle (a plain column, not a key, so the unique constraint holds on every
    database and the row needs no cascade). Money in pence: sums stay exact.
    """

    programme_id = models.IntegerField()
    partner_key = models.IntegerField()
    principle_key = models.IntegerField()
    assessed = models.IntegerField(db_default=0)
    met = models.IntegerField(db_default=0)
    partly_met = models.IntegerField(db_default=0)
    not_met = models.IntegerField(db_default=0)
    not_applicable = models.IntegerField(db_default=0)
    gaps_open = models.IntegerField(db_default=0)
    gaps_closed = models.IntegerField(db_default=0)
    actions = models.IntegerField(db_default=0)
    actions_done = models.IntegerField(db_default=0)
    learning_needs = models.IntegerField(db_default=0)
    learning_needs_met = models.IntegerField(db_default=0)
    funding_pence = models.BigIntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme_id", "partner_key", "principle_key"],
                name="progress_tally_key", violation_error_code="tally_key",
                violation_error_message="The progress tally has one row for each programme, "
                                        "partner and principle."),
        ]

    def __str__(self):
        return f"Tally of programme {self.programme_id}, {self.partner_key}:{self.principle_key}"


class OpenActionTally(models.Model):
    """Open actions by due date, per programme, partner and principle (keys as in
    ``ProgressTally``): overdue is a date range of this table, so the count follows
    the calendar without any write. Actions without a due date are never overdue and
    have no row."""

    programme_id = models.IntegerField()
    partner_key = models.IntegerField()
    principle_key = models.IntegerField()
    due_date = models.DateField()
    open = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme_id", "partner_key", "due_date", "principle_key"],
                name="open_action_tally_key", violation_error_code="tally_key",
                violation_error_message="The tally of open actions has one row for each "
                                        "programme, partner, principle and due date."),
        ]

    def __str__(self):
        return f"Open actions of programme {self.programme_id} due {self.due_date}"
