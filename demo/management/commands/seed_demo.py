"""A believable demo programme, safe to run again (nothing is created twice)."""

import datetime
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from actions import services as action_services
from actions.models import Action
from learning import services as learning_services
from learning.models import TrainingOffer
from learning.selectors import matching_offers
from programmes import services
from programmes.models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Framework,
    Gap,
    Membership,
    Partner,
    Programme,
    ProgressSnapshot,
    Rating,
    Response,
)
from programmes.snapshots import snapshot_take

DEMO_PASSWORD = "demo-tracker-2026"
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

# title, topics, staff groups, format, principle numbers, starts in (days), capacity, cost
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
     "care workers, healthcare assistants", "e_learning", [2, 6], 7, 200, Decimal("15.00")),
]

# topic, staff group, workers
NEEDS = [
    ("Strengths-based practice", "Care workers", 12),
    ("System leadership", "Team leaders", 6),
    ("Co-production with people who draw on care", "Social workers", 10),
    ("Supervision for new integrated roles", "Senior practitioners", 5),
    ("Roles across health and care", "Healthcare assistants", 20),
    ("Plain English communication", "All staff", 30),
]

# Needs recorded separately by several partners (joint commissioning finds them):
# partner index, topic, staff group, workers, needed in (days), principle number
SHARED_NEEDS = [
    (4, "Dementia awareness and care", "Home care workers", 18, 120, 3),
    (2, "Dementia care awareness", "Home care workers and reablement staff", 9, 150, 3),
    (1, "Dementia awareness", "Community care workers", 14, 100, 3),
    (5, "Dementia awareness", "Volunteers", 20, 130, 1),
]
SHARED_OFFER = {
    "title": "Dementia awareness and person-centred care",
    "topics": "dementia, awareness, person-centred care",
    "staff_groups": "home care workers, community care workers, reablement staff",
    "format": "workshop",
    "principles": [3, 1],
    "capacity": 60,
    "cost_per_place": Decimal("85.00"),
    "location": "Riverside College, Mill Lane campus",
}

# Chance that an item is rated met, partly met, not met, not applicable.
BASELINE_WEIGHTS = [0.55, 0.25, 0.15, 0.05]
REVIEW_WEIGHTS = [0.7, 0.18, 0.09, 0.03]
RATINGS = [Rating.MET, Rating.PARTLY_MET, Rating.NOT_MET, Rating.NOT_APPLICABLE]


class Command(BaseCommand):
    help = "Create the demo programme, partners, users and two assessment cycles (idempotent)."

    def handle(self, *args, **options):
        if not Framework.objects.filter(slug="skills-for-care-2021").exists():
            call_command("load_framework", stdout=self.stdout)
        with transaction.atomic():
            programme = self._programme()
            users = self._users(programme)
            self._cycles(programme, users)
            self._work(programme, users)
            self._shared_needs(programme, users)
            snapshot_take(programme=programme, day=timezone.localdate())
        self._print_logins()

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
        today = timezone.localdate()
        programme, _ = Programme.objects.get_or_create(
            name=PROGRAMME_NAME,
            defaults={
                "description": (
                    "Health, care, housing and community partners of the North Riverside "
                    "integrated care system developing one integrated workforce around the "
                    "people they support."
                ),
                "framework": framework,
                "start_date": today.replace(day=1) - timedelta(days=330),
                "end_date": today.replace(day=1) + timedelta(days=730),
                "status": Programme.Status.ACTIVE,
            },
        )
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
            Membership.objects.get_or_create(
                programme=programme, user=user, defaults={"role": role, "partner": partner}
            )
            users[username] = user
        return users

    def _cycles(self, programme, users):
        today = timezone.localdate()
        baseline, _ = AssessmentCycle.objects.get_or_create(
            programme=programme,
            name="Baseline self-assessment",
            defaults={
                "period_start": today - timedelta(days=300),
                "period_end": today - timedelta(days=240),
            },
        )
        review, _ = AssessmentCycle.objects.get_or_create(
            programme=programme,
            name="Six-month review",
            defaults={
                "period_start": today - timedelta(days=30),
                "period_end": today + timedelta(days=14),
            },
        )
        items = list(
            ChecklistItem.objects.filter(principle__framework=programme.framework, is_active=True)
        )
        manager = users["manager"]
        for partner in self.partners:
            rng = random.Random(f"baseline-{partner.name}")
            self._assess(baseline, partner, items, rng, BASELINE_WEIGHTS, manager, submit=True)
        # The baseline is over: its manager closed it, so only the review takes changes.
        baseline.refresh_from_db()
        if baseline.closed_at is None:
            services.cycle_close(actor=manager, cycle=baseline)
        # The trend on the dashboard starts from the state at the end of the baseline.
        if not ProgressSnapshot.objects.filter(programme=programme).exists():
            snapshot_take(programme=programme, day=baseline.period_end)
        # In the review cycle most partners have submitted, two are in draft and two
        # have not started (they will get reminders).
        for index, partner in enumerate(self.partners):
            if index in (2, 7):
                continue
            rng = random.Random(f"review-{partner.name}")
            submit = index not in (4, 6)
            self._assess(review, partner, items, rng, REVIEW_WEIGHTS, manager, submit=submit)
        a_week_ago = today - timedelta(days=7)
        if not ProgressSnapshot.objects.filter(programme=programme, date=a_week_ago).exists():
            snapshot_take(programme=programme, day=a_week_ago)

    def _assess(self, cycle, partner, items, rng, weights, user, *, submit):
        assessment, created = Assessment.objects.get_or_create(
            cycle=cycle,
            partner=partner,
            defaults={
                "participants": "Workforce lead, two team managers, a practitioner forum",
                "includes_people_supported": partner.sector == "people_supported_group"
                or rng.random() < 0.4,
            },
        )
        if created:
            answers = [
                Response(
                    assessment=assessment,
                    checklist_item=item,
                    rating=rng.choices(RATINGS, weights)[0],
                    evidence="Discussed at the partnership workforce group."
                    if rng.random() < 0.5
                    else "",
                )
                for item in items
            ]
            bulk_create_with_history(answers, Response)
        if submit and assessment.status == Assessment.Status.DRAFT:
            services.assessment_submit(assessment=assessment, user=user)
            if cycle.period_end < timezone.localdate():
                # A past cycle's answers were given in its period, as they would have been,
                # not late on the day the demo is seeded.
                on_time = timezone.make_aware(datetime.datetime.combine(
                    cycle.period_end - timedelta(days=rng.randint(1, 20)), datetime.time(10)))
                Assessment.objects.filter(pk=assessment.pk).update(
                    submitted_at=on_time, late=False)

    def _work(self, programme, users):
        """Actions, learning needs, offers, placements and funding on the open gaps."""
        if Action.objects.filter(programme=programme).exists():
            return  # already seeded
        today = timezone.localdate()
        rng = random.Random("work")
        owners = {
            m.partner_id: m.user
            for m in Membership.objects.filter(programme=programme, role="partner_lead")
        }
        manager = users["manager"]
        gaps = list(
            Gap.objects.filter(programme=programme, status=Gap.Status.OPEN)
            .select_related("checklist_item", "partner")
            .order_by("pk")
        )
        statuses = ["not_started", "in_progress", "in_progress", "blocked", "done"]
        for index, gap in enumerate(gaps[:40]):
            owner = owners.get(gap.partner_id)
            due = today + timedelta(days=rng.randint(-25, 90))
            action = action_services.action_create(
                programme=programme,
                gap=gap,
                title=ACTION_TITLES[index % len(ACTION_TITLES)],
                description="Agreed at the partnership board to address item "
                f"{gap.checklist_item.code}.",
                owner=owner or manager,
                owner_partner=gap.partner,
                due_date=due,
                priority="high" if gap.severity == "high" else "medium",
                created_by=manager,
            )
            status = rng.choice(statuses)
            if status != "not_started":
                action_services.action_update(actor=manager, action=action, status=status)

        provider = self.partners[8]
        principles = {p.number: p for p in programme.framework.principles.all()}
        for title, topics, groups, fmt, numbers, days, capacity, cost in OFFERS:
            learning_services.offer_create(
                actor=users["provider"],
                provider=provider,
                title=title,
                description=f"{title}, delivered by {provider.name} with partners across the "
                "system.",
                topics=topics,
                staff_groups=groups,
                format=fmt,
                principles=[principles[n] for n in numbers],
                start_date=today + timedelta(days=days),
                end_date=today + timedelta(days=days + 60),
                capacity=capacity,
                cost_per_place=cost,
                location="Riverside College, Mill Lane campus" if fmt != "e_learning" else "",
                online=fmt == "e_learning",
                status=TrainingOffer.Status.PUBLISHED,
            )

        stream = learning_services.stream_create(
            actor=manager,
            programme=programme,
            name="Better Care Fund workforce development",
            funder=self.partners[2],
            amount=Decimal("60000.00"),
            description="Pooled funding for joint learning across health and social care.",
        )
        learning_services.stream_create(
            actor=manager,
            programme=programme,
            name="NHS trust education and training budget",
            funder=self.partners[0],
            amount=Decimal("25000.00"),
        )
        for index, (topic, group, workers) in enumerate(NEEDS):
            gap = gaps[index * 3 % len(gaps)] if gaps else None
            need = learning_services.need_create(
                actor=manager,
                programme=programme,
                partner=gap.partner if gap else self.partners[index % len(self.partners)],
                gap=gap,
                staff_group=group,
                topic=topic,
                workers_count=workers,
                needed_by=today + timedelta(days=60 + 15 * index),
            )
            matches = matching_offers(need=need)
            if matches and index % 2 == 0:
                offer = matches[0].offer
                learning_services.placement_book(
                    actor=manager,
                    learning_need=need,
                    training_offer=offer,
                    places=min(workers, offer.places_free),
                )
            if index % 3 == 0:
                learning_services.allocation_create(
                    actor=manager,
                    stream=stream,
                    learning_need=need,
                    amount=Decimal(workers * 150),
                    status="committed",
                )

    def _shared_needs(self, programme, users):
        """Needs that several partners recorded on their own: joint commissioning's case.

        Three partners each need dementia training for their home care and community
        staff in the same few months, under the same principle; a fourth partner's need
        on the same topic sits under another principle, so it is not pooled with them.
        Safe to run again: a need that exists is left alone.
        """
        today = timezone.localdate()
        principles = {p.number: p for p in programme.framework.principles.all()}
        for partner_index, topic, group, workers, days, number in SHARED_NEEDS:
            partner = self.partners[partner_index]
            if programme.learning_needs.filter(partner=partner, topic=topic).exists():
                continue
            principle = principles[number]
            gap = (
                Gap.objects.filter(programme=programme, partner=partner, principle=principle,
                                   status=Gap.Status.OPEN)
                .order_by("pk")
                .first()
            )
            learning_services.need_create(
                actor=users["manager"],
                programme=programme,
                partner=partner,
                gap=gap,
                principle=None if gap else principle,
                staff_group=group,
                topic=topic,
                workers_count=workers,
                needed_by=today + timedelta(days=days),
                notes="Recorded by the partner's workforce lead.",
            )
        if not TrainingOffer.objects.filter(title=SHARED_OFFER["title"]).exists():
            provider = self.partners[8]
            learning_services.offer_create(
                actor=users["provider"],
                provider=provider,
                principles=[principles[n] for n in SHARED_OFFER["principles"]],
                start_date=today + timedelta(days=40),
                end_date=today + timedelta(days=100),
                description=f"{SHARED_OFFER['title']}, delivered by {provider.name}.",
                status=TrainingOffer.Status.PUBLISHED,
                **{k: v for k, v in SHARED_OFFER.items() if k != "principles"},
            )

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write("  admin            administrator (everything, and /admin/)")
        for username, first, last, role, partner_index in USERS:
            partner = f" at {PARTNERS[partner_index][0]}" if partner_index is not None else ""
            self.stdout.write(f"  {username:<16} {first} {last}, {role.label}{partner}")
