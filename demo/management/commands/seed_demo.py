"""A believable demo programme whose story hangs together, built again on every run.

Each run removes the demo programme (and all that hangs off it, the demo offers and the
demo people's notifications) and tells its story again, day by day up to today: the
baseline self-assessment a few months ago, the action plan and learning that followed,
the six-month review open now. Every step runs through the domain's services on the
day it happens (what it stamps is dated that day), and each nightly snapshot is taken
after the steps of its day, so the trend, the "since" figures and the dates agree with
the records: assessments submitted inside their cycles, actions completed after they
were made, placements confirmed before a need is met, and today's snapshot equal to the
live figures. Partners and people are kept (found by name) from one run to the next.
"""

import contextlib
import datetime
import functools
import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from actions import services as action_services
from actions.models import Action
from learning import services as learning_services
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from notifications.models import Notification
from programmes import contributions, services
from programmes.models import (
    Assessment,
    AssessmentCycle,
    Champion,
    ChecklistItem,
    Framework,
    Gap,
    Membership,
    Partner,
    Perspective,
    Programme,
    ProgressSnapshot,
    Rating,
    Response,
)
from programmes.snapshots import snapshot_take

PROGRAMME_CREATORS = "Programme creators"  # made by a migration; again here if emptied
DEMO_PASSWORD = "demo-tracker-2026"

# Asked to contribute to one partner's draft review, with no role in the programme:
# (username, first name, last name, perspective, their ratings of principle 1's first items).
VOICES = [
    ("person", "Pat", "Okafor", "person_supported", ("not_met", "partly_met", "met")),
    ("carer", "Chris", "Lindqvist", "carer", ("partly_met", "partly_met")),
]
VOICE_COMMENTS = {
    "met": "This works well for us.",
    "partly_met": "Sometimes, but not every time.",
    "not_met": "I have not seen this happen.",
    "not_applicable": "This does not apply to me.",
}
PROGRAMME_NAME = "North Riverside workforce integration programme"

PARTNERS = [
    ("North Riverside University Hospitals NHS Foundation Trust", "nhs_trust", False),
    ("Riverside Community Health NHS Trust", "nhs_trust", False),
    ("Riverside City Council Adult Social Care", "local_authority", False),
    ("Brookfield Primary Care Network", "primary_care", False),
    ("Meadowbank Home Care", "social_care_provider", False),
    ("Riverside Voluntary Action", "voluntary_community", False),
    ("Riverside Homes Housing Association", "housing", False),
    ("Riverside Children and Families Service", "childrens_services", False),
    ("Riverside College Health and Care Academy", "learning_provider", True),
    ("Riverside Voices (people who draw on care and their carers)", "people_supported_group",
     False),
]

# username, first name, last name, role, partner index (or None)
USERS = [
    ("manager", "Priya", "Shah", Membership.Role.MANAGER, None),
    ("lead", "Tom", "Okafor", Membership.Role.PARTNER_LEAD, 2),
    ("lead.homecare", "Grace", "Lewis", Membership.Role.PARTNER_LEAD, 4),
    ("lead.hospital", "Daniel", "Hughes", Membership.Role.PARTNER_LEAD, 0),
    ("provider", "Aisha", "Rahman", Membership.Role.LEARNING_PROVIDER, 8),
    ("reviewer", "Margaret", "Evans", Membership.Role.REVIEWER, None),
]

ACTION_TITLES = [
    "Map everyone affected by the changes, including community groups",
    "Set up a joint induction for new integrated team members",
    "Agree a shared glossary and remove jargon from team documents",
    "Invite people who draw on care to co-design the learning plan",
    "Run a practice exchange forum between hospital and home care staff",
    "Review supervision arrangements for staff moving into new roles",
    "Publish a quarterly update on the programme to all partners",
    "Identify champions in each partner organisation",
]

# title, topics, staff groups, format, principle numbers, starts in (days from today; the
# e-learning ran months ago and is over), capacity, cost
OFFERS = [
    ("Strengths-based practice for integrated teams", "strengths-based, practice, assessment",
     "social workers, community nurses, care workers", "workshop", [1, 4], 30, 24,
     Decimal("95.00")),
    ("Leading across boundaries: system leadership", "leadership, system, change",
     "senior managers, team leaders", "active_learning_group", [4, 5], 45, 16, Decimal("450.00")),
    ("Co-production in practice", "co-production, people supported, engagement",
     "all staff", "practice_exchange", [1, 5], 20, 30, Decimal("0.00")),
    ("Professional supervision skills", "supervision, reflective, practice",
     "team leaders, senior practitioners", "coaching", [3], 60, 12, Decimal("300.00")),
    ("Understanding each other's roles: health and care", "roles, integration, induction",
     "care workers, healthcare assistants", "e_learning", [2, 6], -150, 200, Decimal("15.00")),
]
OFFER_DAYS = 90  # how long an offer runs

# The workshop runs in two cohorts (days from today, places); the e-learning has one
# session done at any time within the offer's dates.
COHORTS = {OFFERS[0][0]: [(30, 12), (75, 12)]}
ANY_TIME = {OFFERS[4][0]}

# Places booked for the needs above, each taken as far as its booking has got: need
# index, offer title, cohort (session index), where it has got to, learners named.
# "completed": the provider recorded that all attended and completed after the course,
# and so the need is met by completed training.
PLACEMENTS = [
    (0, OFFERS[0][0], 0, "confirmed", ["Amira Begum", "Joe Clarke", "Sian Price"]),
    (1, OFFERS[1][0], 0, "approved", []),
    (2, OFFERS[2][0], 0, "requested", []),
    (6, OFFERS[0][0], 0, "waitlisted", []),
    (4, OFFERS[4][0], 0, "completed", []),
]
STEPS = ("requested", "approved", "confirmed", "completed")
ALLOCATIONS = [
    (0, "committed", Decimal("95.00")),
    (1, "committed", Decimal("450.00")),
    (3, "planned", Decimal("300.00")),
    (4, "committed", Decimal("15.00")),
]

# The learning and development support scheme: a stream with rules (staff groups, a cap
# per partner, a claim window), and what its money did: need index, per worker, the
# steps taken (each a few days after the last), the evidence of a claim.
SCHEME = {
    "name": "Learning and development support scheme",
    "amount": Decimal("20000.00"),
    "cap_per_partner": Decimal("4000.00"),
    "staff_groups": ["Care workers", "Healthcare assistants", "Social workers",
                     "Senior practitioners"],
    "claims_open": 150,  # days ago
    "claims_close": -200,  # days ahead
}
SCHEME_ALLOCATIONS = [
    (0, Decimal("100.00"), ("commit", "claim", "pay"),
     "Riverside College invoice RC-1187 and the signed attendance register."),
    (2, Decimal("90.00"), ("commit", "claim"),
     "Invoice for ten places and the completion certificates, on the shared drive."),
    (4, Decimal("50.00"), ("commit",), ""),
    (3, Decimal("120.00"), (), ""),
]

# topic, staff group, workers
NEEDS = [
    ("Strengths-based practice", "Care workers", 12),
    ("System leadership", "Team leaders", 6),
    ("Co-production with people who draw on care", "Social workers", 10),
    ("Supervision for new integrated roles", "Senior practitioners", 5),
    ("Roles across health and care", "Healthcare assistants", 20),
    ("Plain English communication", "All staff", 30),
    ("Strengths-based conversations", "Reablement staff", 6),
]

# Needs recorded separately by several partners (joint commissioning finds them):
# partner index, topic, staff group, workers, needed in (days), principle number
SHARED_NEEDS = [
    (4, "Dementia awareness and care", "Home care workers", 18, 120, 3),
    (2, "Dementia care awareness", "Home care workers and reablement staff", 9, 150, 3),
    (1, "Dementia awareness", "Community care workers", 14, 100, 3),
    (5, "Dementia awareness", "Volunteers", 20, 130, 1),
]
SHARED_OFFER_PRINCIPLES = [3, 1]
SHARED_OFFER = {
    "title": "Dementia awareness and person-centred care",
    "topics": "dementia, awareness, person-centred care",
    "staff_groups": "home care workers, community care workers, reablement staff",
    "format": "workshop",
    "capacity": 60,
    "cost_per_place": Decimal("85.00"),
    "location": "Riverside College, Mill Lane campus",
}

# Chance that an item is rated met, partly met, not met, not applicable.
BASELINE_WEIGHTS = [0.55, 0.25, 0.15, 0.05]
REVIEW_WEIGHTS = [0.7, 0.18, 0.09, 0.03]
RATINGS = [Rating.MET, Rating.PARTLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE]

# The timeline, in days before today.
BASELINE = (300, 240)  # the baseline cycle's period; it was closed 5 days after its end
REVIEW_STARTED = 30  # the six-month review runs from then to 14 days ahead
SNAPSHOT_DAYS = (240, 180, 120, 60, 7)  # nightly snapshots kept for the trend (and today)
STAMPED = ("created_at", "updated_at", "opened_at", "closed_at", "submitted_at",
           "completed_at", "taken_at", "approved_at", "confirmed_at", "met_at")


class Command(BaseCommand):
    help = ("Build the demo programme again, its partners, people, two assessment cycles and "
            "the work since, dated up to today (partners and people are kept).")

    def handle(self, *args, **options):
        if not Framework.objects.filter(slug="skills-for-care-2021").exists():
            call_command("load_framework", stdout=self.stdout)
        self.today = timezone.localdate()
        with transaction.atomic():
            self._clear()
            programme = self._programme()
            users = self._users(programme)
            self._story(programme, users)
            self._voices()
        self._print_logins()

    # Days and dates -------------------------------------------------------------------

    def _day(self, days_ago: int) -> datetime.date:
        return self.today - timedelta(days=days_ago)

    @staticmethod
    def _moment(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))

    @contextlib.contextmanager
    def _on(self, day: datetime.date):
        """What the services stamp inside the block happened on ``day`` (never today or
        later: the story's steps are all in the past)."""
        if day >= self.today:
            raise ValueError(f"A step of the demo's story is dated {day}, not in the past.")
        started = timezone.now()
        yield
        moment = self._moment(day)
        for model, name in _stamps():
            model._default_manager.filter(**{f"{name}__gte": started}).update(**{name: moment})

    # Starting again -------------------------------------------------------------------

    def _clear(self) -> None:
        """Remove the demo programme and what hangs off it, in an order no protected
        relation refuses, and the demo offers no other programme has booked."""
        programme = Programme.objects.filter(name=PROGRAMME_NAME).first()
        if programme is not None:
            FundingAllocation.objects.filter(stream__programme=programme).delete()
            Placement.objects.filter(learning_need__programme=programme).delete()
            LearningNeed.objects.filter(programme=programme).delete()
            Action.objects.filter(programme=programme).delete()
            FundingStream.objects.filter(programme=programme).delete()
            Gap.objects.filter(programme=programme).delete()
            Response.objects.filter(assessment__cycle__programme=programme).delete()
            Assessment.objects.filter(cycle__programme=programme).delete()
            Champion.objects.filter(programme=programme).delete()
            programme.delete()
        titles = [offer[0] for offer in OFFERS] + [SHARED_OFFER["title"]]
        unbooked = TrainingOffer.objects.filter(provider__name=PARTNERS[8][0],
                                                title__in=titles, placements__isnull=True)
        TrainingSession.objects.filter(offer__in=unbooked).delete()
        unbooked.delete()
        usernames = [user[0] for user in USERS] + [voice[0] for voice in VOICES]
        Notification.objects.filter(recipient__username__in=usernames).delete()

    def _programme(self) -> Programme:
        framework = Framework.objects.get(slug="skills-for-care-2021")
        partners = []
        for name, sector, provides_learning in PARTNERS:
            partner, _ = Partner.objects.get_or_create(
                name=name,
                defaults={
                    "sector": sector,
                    "provides_learning": provides_learning,
                    "contact_email": f"workforce@{name.split()[0].lower()}.example.org",
                },
            )
            partners.append(partner)
        today = self.today
        start = today.replace(day=1) - timedelta(days=330)
        programme = Programme.objects.create(
            name=PROGRAMME_NAME,
            description=(
                "Health, care, housing and community partners of the North Riverside "
                "integrated care system developing one integrated workforce around the "
                "people they support."
            ),
            framework=framework,
            start_date=start,
            end_date=today.replace(day=1) + timedelta(days=730),
            status=Programme.Status.ACTIVE,
        )
        Programme.objects.filter(pk=programme.pk).update(created_at=self._moment(start))
        self.started_on = start
        programme.partners.add(*partners)
        self.partners = partners
        return programme

    def _users(self, programme):
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.org"},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        users = {}
        for username, first, last, role, partner_index in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            partner = self.partners[partner_index] if partner_index is not None else None
            Membership.objects.create(programme=programme, user=user, role=role,
                                      partner=partner)
            users[username] = user
        Membership.objects.filter(programme=programme).update(
            created_at=self._moment(self.started_on))
        # The demo's manager may also set up programmes of their own.
        creators, _ = Group.objects.get_or_create(name=PROGRAMME_CREATORS)
        creators.permissions.add(Permission.objects.get(
            content_type__app_label="programmes", codename="add_programme"))
        users["manager"].groups.add(creators)
        return users

    def _champions(self) -> None:
        """A few partners name champions: their lead for one principle, and named people
        without an account for others."""
        names = [("Priya Shah", "Registered manager"), ("Tom Okafor", "Carers' lead"),
                 ("Helen Marsh", "Practice educator"), ("Sam Reid", "Peer support worker")]
        for index, partner in enumerate(self.partners[:4]):
            lead = self.leads.get(partner.pk)
            if lead is not None:
                services.champion_create(actor=lead, programme=self.programme,
                                         partner=partner, principle=self.principles[1],
                                         user=lead)
            name, job = names[index]
            services.champion_create(actor=self.users["manager"], programme=self.programme,
                                     partner=partner, principle=self.principles[3 + index % 3],
                                     name=name, job_title=job)

    # The story --------------------------------------------------------------------------

    def _story(self, programme, users) -> None:
        """Every step on its day, in the order of the days, with the nightly snapshots."""
        self.programme, self.users = programme, users
        self.rng = random.Random("north-riverside")
        self.items = list(ChecklistItem.objects.filter(
            principle__framework=programme.framework, is_active=True))
        self.principles = {p.number: p for p in programme.framework.principles.all()}
        self.leads = {m.partner_id: m.user for m in Membership.objects.filter(
            programme=programme, role=Membership.Role.PARTNER_LEAD)}
        steps: list[tuple[datetime.date, int, Callable[[], None]]] = []

        def step(day, run, order=1):
            steps.append((day, order, run))

        self._baseline(step)
        self._plan(step)
        self._learning(step)
        self._review(step)
        step(self._day(BASELINE[1] - 6), self._champions)
        for days_ago in SNAPSHOT_DAYS:
            day = self._day(days_ago)
            step(day, lambda day=day: snapshot_take(programme=programme, day=day), order=9)
        # Steps run in the order of their days, a day's snapshot after its other steps; a
        # step may add later ones (what follows an action's creation).
        while steps:
            steps.sort(key=lambda s: (s[0], s[1]))
            day, _order, run = steps.pop(0)
            self.step, self._current_day = step, day
            with self._on(day):
                run()
        snapshot_take(programme=programme, day=self.today)

    def _baseline(self, step) -> None:
        start, end = self._day(BASELINE[0]), self._day(BASELINE[1])
        self.baseline = AssessmentCycle.objects.create(
            programme=self.programme, name="Baseline self-assessment",
            period_start=start, period_end=end)
        for partner in self.partners:
            rng = random.Random(f"baseline-{partner.name}")
            day = start + timedelta(days=rng.randint(5, (end - start).days - 5))
            step(day, lambda partner=partner, rng=rng: self._assess(
                self.baseline, partner, rng, BASELINE_WEIGHTS, submit=True))
        step(end + timedelta(days=5), lambda: services.cycle_close(
            actor=self.users["manager"], cycle=self.baseline))

    def _review(self, step) -> None:
        start = self._day(REVIEW_STARTED)
        self.review = AssessmentCycle.objects.create(
            programme=self.programme, name="Six-month review",
            period_start=start, period_end=self.today + timedelta(days=14))
        # Most partners have submitted, two are in draft and two have not started (they
        # will get reminders).
        for index, partner in enumerate(self.partners):
            if index in (2, 7):
                continue
            rng = random.Random(f"review-{partner.name}")
            submit = index not in (4, 6)
            day = self._day(rng.randint(3, REVIEW_STARTED - 5))
            step(day, lambda partner=partner, rng=rng, submit=submit, day=day: self._assess(
                self.review, partner, rng, REVIEW_WEIGHTS, submit=submit, after=day))

    def _assess(self, cycle, partner, rng, weights, *, submit, after=None) -> None:
        assessment = Assessment.objects.create(
            cycle=cycle, partner=partner,
            participants="Workforce lead, two team managers, a practitioner forum",
            includes_people_supported=partner.sector == "people_supported_group"
            or rng.random() < 0.4,
        )
        bulk_create_with_history([
            Response(
                assessment=assessment, checklist_item=item,
                rating=rng.choices(RATINGS, weights)[0],
                evidence="Discussed at the partnership workforce group."
                if rng.random() < 0.5 else "",
            )
            for item in self.items
        ], Response)
        if not submit:
            return
        services.assessment_submit(actor=self.users["manager"], assessment=assessment)
        if cycle.period_end < self.today:
            # Submitted on the day of this step, inside the cycle's period: not late.
            Assessment.objects.filter(pk=assessment.pk).update(late=False)
        if after is not None:
            # The review opened new gaps: their owners plan actions in the next days.
            for gap in Gap.objects.filter(opened_by_assessment=assessment).order_by("pk")[:2]:
                day = min(after + timedelta(days=rng.randint(1, 4)), self._day(1))
                self.step(day, lambda gap=gap: self._action(gap, len(self.actions_made)))

    def _plan(self, step) -> None:
        """After the baseline, an action for each of the first open gaps, made over the
        months that followed, each moving on from there."""
        self.actions_made: list[int] = []

        def plan():
            gaps = list(Gap.objects.filter(programme=self.programme, status=Gap.Status.OPEN)
                        .order_by("pk")[:40])
            for index, gap in enumerate(gaps):
                day = self._day(230 - index * 5)
                self.step(day, lambda gap=gap, index=index: self._action(gap, index))

        step(self._day(BASELINE[1] - 8), plan)

    def _action(self, gap, index) -> None:
        rng = random.Random(f"action-{index}")
        manager = self.users["manager"]
        owner = self.leads.get(gap.partner_id) or manager
        created = self._current_day
        due = max(self.today + timedelta(days=rng.randint(-25, 90)),
                  created + timedelta(days=14))
        action = action_services.action_create(
            programme=self.programme, gap=gap,
            title=ACTION_TITLES[index % len(ACTION_TITLES)],
            description="Agreed at the partnership board to address item "
            f"{gap.checklist_item.code}.",
            owner=owner, owner_partner=gap.partner, due_date=due,
            priority="high" if gap.severity == "high" else "medium",
            actor=manager,
        )
        self.actions_made.append(action.pk)
        final = rng.choice(["not_started", "in_progress", "in_progress", "blocked", "done",
                            "done"])
        last = self._day(1)
        started = created + timedelta(days=rng.randint(3, 20))
        if final == "not_started" or started > last:
            return
        self.step(started, lambda: action_services.action_update(
            actor=owner, action=action, status="in_progress"))
        if final == "in_progress":
            return
        moved = min(started + timedelta(days=rng.randint(10, 60)), last)
        self.step(moved, lambda: action_services.action_update(
            actor=owner, action=action, status=final))

    def _learning(self, step) -> None:
        """Offers, funding, learning needs, their placements and money."""
        provider = self.partners[8]
        provider_user = self.users["provider"]
        manager = self.users["manager"]
        self.offers: dict[str, TrainingOffer] = {}
        titles = {o.title: o for o in TrainingOffer.objects.filter(provider=provider)}

        def publish():
            for title, topics, groups, fmt, numbers, days, capacity, cost in OFFERS:
                if title in titles:
                    self.offers[title] = titles[title]
                    continue
                start = self.today + timedelta(days=days)
                sessions = None
                if title in COHORTS:
                    sessions = [{"starts_at": self._at(self.today + timedelta(days=d), 9, 30),
                                 "ends_at": self._at(self.today + timedelta(days=d + 1), 16, 30),
                                 "location": "Riverside College, Mill Lane campus",
                                 "capacity": places} for d, places in COHORTS[title]]
                elif title in ANY_TIME:
                    sessions = [{"online": True, "capacity": capacity}]
                self.offers[title] = learning_services.offer_create(
                    actor=provider_user, provider=provider, title=title, sessions=sessions,
                    description=f"{title}, delivered by {provider.name} with partners across "
                    "the system.",
                    topics=topics, staff_groups=groups, format=fmt,
                    principles=[self.principles[n] for n in numbers],
                    start_date=start, end_date=start + timedelta(days=OFFER_DAYS),
                    capacity=capacity, cost_per_place=cost,
                    location="Riverside College, Mill Lane campus" if fmt != "e_learning"
                    else "",
                    online=fmt == "e_learning", status=TrainingOffer.Status.PUBLISHED,
                )

        step(self._day(210), publish)

        def fund():
            self.stream = learning_services.stream_create(
                actor=self.users["manager"], programme=self.programme,
                name="Better Care Fund workforce development",
                funder=self.partners[2], amount=Decimal("60000.00"),
                description="Pooled funding for joint learning across health and social care.",
            )
            learning_services.stream_create(
                actor=self.users["manager"], programme=self.programme,
                name="NHS trust education and training budget",
                funder=self.partners[0], amount=Decimal("25000.00"),
            )
            self.scheme = learning_services.stream_create(
                actor=self.users["manager"], programme=self.programme,
                name=SCHEME["name"], funder=self.partners[1], amount=SCHEME["amount"],
                description="Grants towards the cost of accredited learning for frontline "
                            "care staff, claimed with invoices and attendance records.",
                eligible_staff_groups=SCHEME["staff_groups"],
                cap_per_partner=SCHEME["cap_per_partner"],
                claims_open=self._day(SCHEME["claims_open"]),
                claims_close=self._day(SCHEME["claims_close"]),
            )

        step(self._day(BASELINE[1] - 2), fund)
        self.needs: dict[int, LearningNeed] = {}
        for index, (topic, group, workers) in enumerate(NEEDS):
            day = self._day(200 - index * 8)
            step(day, lambda index=index, topic=topic, group=group, workers=workers:
                 self._need(index, topic, group, workers))
        for index, title, cohort, reached, learners in PLACEMENTS:
            booked = self._day(190 - index * 8)
            step(booked, lambda index=index, title=title, cohort=cohort, learners=learners:
                 self._book(index, title, cohort, manager, learners))
            got = STEPS.index(reached) if reached in STEPS else 0
            if got >= 1:  # the need's partner lead approves the request
                step(booked + timedelta(days=2), lambda index=index: learning_services
                     .placement_approve(actor=self._approver(index),
                                        placement=self.placements[index]))
            if got >= 2:
                step(booked + timedelta(days=5), lambda index=index: learning_services
                     .placement_confirm(actor=provider_user, placement=self.placements[index]))
            if got >= 3:  # after the course: everyone attended and completed
                offer = next(o for o in OFFERS if o[0] == title)
                offer_end = self.today + timedelta(days=offer[5] + OFFER_DAYS)
                # the register came in weeks after the course: the need was met in the
                # last 30 days, so the dashboard has a learning need to celebrate
                completed = max(offer_end + timedelta(days=7), self._day(23))
                step(completed, lambda index=index: self._completed(index))
        for index, status, per_worker in ALLOCATIONS:
            step(self._day(195 - index * 8), lambda index=index, status=status,
                 per_worker=per_worker: learning_services.allocation_create(
                     actor=self.users["manager"], stream=self.stream,
                     learning_need=self.needs[index],
                     amount=per_worker * self.needs[index].workers_count, status=status))
        for index, per_worker, steps, evidence in SCHEME_ALLOCATIONS:
            step(self._day(140 - index * 8), lambda index=index, per_worker=per_worker,
                 steps=steps, evidence=evidence: self._scheme_allocation(
                     index, per_worker, steps, evidence))
        self.placements: dict[int, Placement] = {}
        for partner_index, topic, group, workers, days, number in SHARED_NEEDS:
            step(self._day(days - 40), lambda partner_index=partner_index, topic=topic,
                 group=group, workers=workers, days=days, number=number: self._shared_need(
                     partner_index, topic, group, workers, days, number))
        step(self._day(50), self._shared_offer)

    def _need(self, index, topic, group, workers) -> None:
        gaps = list(Gap.objects.filter(programme=self.programme, status=Gap.Status.OPEN)
                    .order_by("pk")[:40])
        gap = gaps[index * 3 % len(gaps)] if gaps else None
        self.needs[index] = learning_services.need_create(
            actor=self.users["manager"], programme=self.programme,
            partner=gap.partner if gap else self.partners[index % len(self.partners)],
            gap=gap, staff_group=group, topic=topic, workers_count=workers,
            needed_by=self.today + timedelta(days=60 + 15 * index),
        )

    def _scheme_allocation(self, index, per_worker, steps, evidence) -> None:
        """Money from the scheme for a need, then its steps, each ten days after the last."""
        manager = self.users["manager"]
        allocation = learning_services.allocation_create(
            actor=manager, stream=self.scheme, learning_need=self.needs[index],
            amount=per_worker * self.needs[index].workers_count)
        day = self._current_day
        for number, name in enumerate(steps, start=1):
            on = day + timedelta(days=10 * number)
            if name == "commit":
                run = functools.partial(learning_services.allocation_commit, actor=manager,
                                        allocation=allocation)
            elif name == "claim":
                run = functools.partial(learning_services.allocation_claim, actor=manager,
                                        allocation=allocation, evidence=evidence, claimed_on=on)
            else:
                run = functools.partial(learning_services.allocation_pay, actor=manager,
                                        allocation=allocation, paid_on=on)
            self.step(on, run)

    def _at(self, day: datetime.date, hour: int, minute: int) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def _book(self, index, title, cohort, manager, learners) -> None:
        """Places on a session for a need: as many as its workers, or the free places when
        fewer; a session already full takes the request on its waiting list."""
        offer = self.offers[title]
        session = list(TrainingSession.objects.filter(offer=offer).order_by("starts_at",
                                                                            "pk"))[cohort]
        workers = self.needs[index].workers_count
        places = min(workers, session.places_free) if session.places_free else workers
        self.placements[index] = learning_services.placement_book(
            actor=manager, learning_need=self.needs[index], session=session, places=places,
            learners=learners[:places])

    def _approver(self, index):
        """The need's partner lead, or the manager when the partner has none."""
        return self.leads.get(self.needs[index].partner_id, self.users["manager"])

    def _completed(self, index) -> None:
        placement = Placement.objects.get(pk=self.placements[index].pk)
        learning_services.placement_record_attendance(
            actor=self.users["provider"], placement=placement,
            places_attended=placement.places, places_completed=placement.places)

    def _shared_need(self, partner_index, topic, group, workers, days, number) -> None:
        """Needs that several partners recorded on their own: joint commissioning's case.

        Three partners each need dementia training for their home care and community
        staff in the same few months, under the same principle; a fourth partner's need
        on the same topic sits under another principle, so it is not pooled with them.
        """
        partner = self.partners[partner_index]
        principle = self.principles[number]
        gap = (Gap.objects.filter(programme=self.programme, partner=partner,
                                  principle=principle, status=Gap.Status.OPEN)
               .order_by("pk").first())
        learning_services.need_create(
            actor=self.users["manager"], programme=self.programme, partner=partner, gap=gap,
            principle=None if gap else principle, staff_group=group, topic=topic,
            workers_count=workers, needed_by=self.today + timedelta(days=days),
            notes="Recorded by the partner's workforce lead.",
        )

    def _shared_offer(self) -> None:
        if TrainingOffer.objects.filter(title=SHARED_OFFER["title"]).exists():
            return
        provider = self.partners[8]
        learning_services.offer_create(
            actor=self.users["provider"], provider=provider,
            principles=[self.principles[n] for n in SHARED_OFFER_PRINCIPLES],
            start_date=self.today + timedelta(days=40),
            end_date=self.today + timedelta(days=100),
            description=f"{SHARED_OFFER['title']}, delivered by {provider.name}.",
            status=TrainingOffer.Status.PUBLISHED,
            **SHARED_OFFER,
        )

    def _voices(self) -> None:
        """A person who draws on care and a carer asked for their views on one partner's
        draft review, with the partner lead's own view: they split on one item."""
        draft = (Assessment.objects.filter(cycle=self.review, status=Assessment.Status.DRAFT)
                 .select_related("partner").order_by("partner__name").first())
        if draft is None:
            return
        asker = self.leads.get(draft.partner_id) or self.users["manager"]
        items = sorted((i for i in self.items if i.principle.number == 1),
                       key=lambda i: i.order)[:3]
        User = get_user_model()
        for username, first, last, perspective, ratings in VOICES:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last,
                                             "email": f"{username}@example.org"})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            contributions.contributor_add(actor=asker, assessment=draft, user=user,
                                          perspective=perspective, checklist_items=items)
            for item, rating in zip(items, ratings, strict=False):
                contributions.contribution_save(
                    actor=user, assessment=draft, checklist_item=item, rating=rating,
                    comment=VOICE_COMMENTS[rating])
        for item, rating in zip(items, ("met", "partly_met"), strict=False):
            contributions.contribution_save(actor=asker, assessment=draft, checklist_item=item,
                                            rating=rating, perspective="staff",
                                            comment=VOICE_COMMENTS[rating])
        self.voices_partner = draft.partner.name

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write("  admin            administrator (everything, and /admin/)")
        for username, first, last, role, partner_index in USERS:
            partner = f" at {PARTNERS[partner_index][0]}" if partner_index is not None else ""
            self.stdout.write(f"  {username:<16} {first} {last}, {role.label}{partner}")
        asked = getattr(self, "voices_partner", None)
        if asked:
            for username, first, last, perspective, _ in VOICES:
                label = dict(Perspective.choices)[perspective].lower()
                self.stdout.write(f"  {username:<16} {first} {last}, {label}, asked for "
                                  f"their views on {asked}'s draft review")


@functools.cache
def _stamps() -> list[tuple[type[models.Model], str]]:
    """The fields that date a row of the demo's models (the snapshots and the history
    rows included), by model."""
    stamped: list[type[models.Model]] = [
        Assessment, AssessmentCycle, Response, Gap, Action, LearningNeed, TrainingOffer,
        TrainingSession, Placement, FundingStream, FundingAllocation, ProgressSnapshot]
    found: list[tuple[type[models.Model], str]] = []
    for model in stamped:
        names = {f.name for f in model._meta.concrete_fields}
        found.extend((model, name) for name in STAMPED if name in names)
        history = getattr(model, "history", None)
        if history is not None:
            found.append((history.model, "history_date"))
    return found
