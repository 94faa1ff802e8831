"""factory_boy factories for the whole project."""

import datetime

import factory
from django.contrib.auth import get_user_model

from programmes.models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Framework,
    Membership,
    Partner,
    Principle,
    Programme,
    Response,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pass-word-123")


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Framework

    slug = factory.Sequence(lambda n: f"framework-{n}")
    title = factory.Sequence(lambda n: f"Framework {n}")
    version = "1"


class PrincipleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Principle

    framework = factory.SubFactory(FrameworkFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Principle {n}")


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    principle = factory.SubFactory(PrincipleFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.LazyAttribute(lambda i: f"{i.principle.number}.{i.order}")
    text = factory.Sequence(lambda n: f"Is checklist question {n} met?")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner organisation {n}")
    sector = Partner.Sector.LOCAL_AUTHORITY


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Programme {n}")
    framework = factory.SubFactory(FrameworkFactory)
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2027, 12, 31)

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create and extracted:
            self.partners.add(*extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    programme = factory.SubFactory(ProgrammeFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MANAGER


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentCycle

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Cycle {n}")
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 3, 31)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    cycle = factory.SubFactory(CycleFactory)
    partner = factory.SubFactory(PartnerFactory)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    assessment = factory.SubFactory(AssessmentFactory)
    checklist_item = factory.SubFactory(ChecklistItemFactory)
    rating = "met"


# Actions and learning ---------------------------------------------------------

from decimal import Decimal  # noqa: E402

from actions.models import Action  # noqa: E402
from learning.models import (  # noqa: E402
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    due_date = datetime.date(2026, 12, 1)


class LearningNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningNeed

    programme = factory.SubFactory(ProgrammeFactory)
    partner = factory.SubFactory(PartnerFactory)
    staff_group = "Home care workers"
    topic = "Strengths-based practice"
    workers_count = 10
    needed_by = datetime.date(2027, 3, 31)


class TrainingOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingOffer
        skip_postgeneration_save = True

    provider = factory.SubFactory(
        PartnerFactory, sector="learning_provider", provides_learning=True
    )
    title = factory.Sequence(lambda n: f"Course {n}")
    format = "workshop"
    capacity = 20
    cost_per_place = Decimal("120.00")
    status = "published"
    start_date = datetime.date(2027, 1, 10)

    @factory.post_generation
    def principles(self, create, extracted, **kwargs):
        if create and extracted:
            self.principles.add(*extracted)

    @factory.post_generation
    def sessions(self, create, extracted, **kwargs):
        """One session with the offer's capacity and dates, as ``offer_create`` makes;
        ``sessions=[{...}, ...]`` makes those instead (the offer's capacity follows)."""
        if not create:
            return
        specs = extracted or [{}]
        for spec in specs:
            TrainingSession.objects.create(offer=self, **{
                "capacity": self.capacity if not extracted else 20,
                "starts_at": _at_half_past_nine(self.start_date),
                "location": self.location, "online": self.online, **spec})
        if extracted:
            self.capacity = sum(s.capacity for s in self.sessions.all())
            self.save(update_fields=["capacity"])


def _at_half_past_nine(day):
    if day is None:
        return None
    from zoneinfo import ZoneInfo
    return datetime.datetime.combine(day, datetime.time(9, 30), tzinfo=ZoneInfo("Europe/London"))


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    offer = factory.SubFactory(TrainingOfferFactory)
    capacity = 20
    starts_at = datetime.datetime(2027, 1, 10, 9, 30, tzinfo=datetime.UTC)


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Placement

    learning_need = factory.SubFactory(LearningNeedFactory)
    training_offer = factory.SubFactory(TrainingOfferFactory)
    session = factory.LazyAttribute(lambda o: o.training_offer.sessions.first())
    places = 1


class FundingStreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingStream

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Fund {n}")
    funder = factory.SubFactory(PartnerFactory)
    amount = Decimal("10000.00")


class FundingAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingAllocation

    stream = factory.SubFactory(FundingStreamFactory)
    amount = Decimal("100.00")


def answer_the_rest(assessment, rating: str = "not_applicable") -> list:
    """Answer every active item the assessment has no answer for, so it can be submitted.

    ``not_applicable`` by default: it opens no gap and leaves every score as it was.
    """
    answered = set(assessment.responses.values_list("checklist_item_id", flat=True))
    items = ChecklistItem.objects.filter(
        principle__framework_id=assessment.cycle.programme.framework_id, is_active=True
    ).exclude(pk__in=answered)
    return [
        ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
        for item in items
    ]


def deliver_events() -> int:
    """What a worker does after each commit: hand waiting events to their consumers
    (notifications, webhooks). Returns how many were delivered."""
    from notifications import events

    total = 0
    while delivered := events.deliver():
        total += delivered
    return total
