"""No N+1: every list of the API, and progress, run a fixed number of queries.

The collections are read from the routers' ``registry``, so a collection added
later is covered at once: its test fails until ``SEEDERS`` below knows how to
make a hundred rows of its model that the programme manager can see.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.routers import BaseRouter

from actions.api.urls import router as actions_router
from actions.models import Action, ActionNote
from config import urls as config_urls
from learning.api.urls import router as learning_router
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from notifications.models import EmailDelivery, Notification
from people.models import Invitation
from programmes.api.urls import router as programmes_router
from programmes.models import (
    Assessment,
    AssessmentCycle,
    Champion,
    ChecklistItem,
    Contribution,
    Contributor,
    Evidence,
    Framework,
    Gap,
    Membership,
    Partner,
    Principle,
    Programme,
    Response,
)
from webhooks.models import Webhook

from . import factories as f

pytestmark = pytest.mark.django_db

N = 110  # rows made per collection: more than the largest page measured
BIG_PAGE = 100
TODAY = datetime.date(2026, 6, 15)


def _routers():
    """The three apps' routers, and any other router mounted by ``config.urls``."""
    routers = [programmes_router, actions_router, learning_router]
    for value in vars(config_urls).values():
        if isinstance(value, BaseRouter) and all(value is not r for r in routers):
            routers.append(value)
    return routers


ENDPOINTS = [
    (prefix, viewset)
    for router in _routers()
    for prefix, viewset, _basename in router.registry
]
LEAD_ENDPOINTS = ["actions", "gaps", "learning-needs", "assessments", "training-offers"]


def model_of(viewset):
    serializer = getattr(viewset, "serializer_class", None)
    if serializer is not None:
        return serializer.Meta.model
    return viewset.queryset.model


# Seeders: each makes N rows of one model, visible to ``world.manager``, with
# every nullable relation filled so that a lazy load per row would show. -------


def _users(prefix, n=N):
    User = get_user_model()
    return User.objects.bulk_create([
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", password="!",
             first_name=f"First{i}" if i % 2 else "", last_name=f"Last{i}" if i % 2 else "")
        for i in range(n)
    ])


def _partners(world, n=N, prefix="Bulk partner"):
    partners = Partner.objects.bulk_create([
        Partner(name=f"{prefix} {i}", sector=Partner.Sector.LOCAL_AUTHORITY) for i in range(n)
    ])
    Programme.partners.through.objects.bulk_create([
        Programme.partners.through(programme_id=world.programme.pk, partner_id=p.pk)
        for p in partners
    ])
    return partners


def seed_frameworks(world):
    Framework.objects.bulk_create([
        Framework(slug=f"bulk-{i}", title=f"Bulk framework {i}", version="1") for i in range(N)
    ])


def seed_principles(world):
    Principle.objects.bulk_create([
        Principle(framework=world.framework, number=100 + i, title=f"Principle {i}")
        for i in range(N)
    ])


def seed_checklist_items(world):
    ChecklistItem.objects.bulk_create([
        ChecklistItem(principle=world.principles[i % 2], code=f"B.{i}", text=f"Question {i}?",
                      order=100 + i, is_active=bool(i % 3))
        for i in range(N)
    ])


def seed_partners(world):
    _partners(world)


def seed_programmes(world):
    programmes = Programme.objects.bulk_create([
        Programme(name=f"Bulk programme {i}", framework=world.framework,
                  start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2027, 1, 1))
        for i in range(N)
    ])
    through = Programme.partners.through
    through.objects.bulk_create([
        through(programme_id=p.pk, partner_id=partner.pk)
        for p in programmes for partner in (world.partner_a, world.partner_b)
    ])
    Membership.objects.bulk_create([
        Membership(programme=p, user=world.manager, role=Membership.Role.MANAGER)
        for p in programmes
    ])


def seed_memberships(world):
    users = _users("member")
    roles = [
        (Membership.Role.MANAGER, None),
        (Membership.Role.REVIEWER, None),
        (Membership.Role.PARTNER_LEAD, world.partner_a),
        (Membership.Role.LEARNING_PROVIDER, world.provider),
    ]
    Membership.objects.bulk_create([
        Membership(programme=world.programme, user=u, role=roles[i % 4][0], partner=roles[i % 4][1])
        for i, u in enumerate(users)
    ])


def _cycles(world, n=N):
    return AssessmentCycle.objects.bulk_create([
        AssessmentCycle(programme=world.programme, name=f"Bulk cycle {i}",
                        period_start=datetime.date(2026, 1, 1),
                        period_end=datetime.date(2026, 1, 1) + datetime.timedelta(days=i))
        for i in range(n)
    ])


def seed_cycles(world):
    _cycles(world)


def _assessments(world, n=N):
    now = timezone.now()
    return Assessment.objects.bulk_create([
        Assessment(cycle=cycle, partner=world.partner_a, status=Assessment.Status.SUBMITTED,
                   submitted_at=now, submitted_by=world.manager, participants="Team")
        for cycle in _cycles(world, n)
    ])


def seed_assessments(world):
    _assessments(world)


def seed_responses(world):
    assessments = _assessments(world, n=N // len(world.items) + 1)
    Response.objects.bulk_create([
        Response(assessment=a, checklist_item=item, rating="partly_met", evidence="Minutes")
        for a in assessments for item in world.items
    ])
    # Contributions to the responses: their spreads are read in one query a page.
    Contribution.objects.bulk_create([
        Contribution(assessment=a, checklist_item=item, contributor=who,
                     perspective="staff", rating=rating)
        for a in assessments for item in world.items
        for who, rating in ((world.lead_a, "met"), (world.manager, "not_met"))
    ])


def _gaps(world, n=N):
    """Open gaps for the first partner × item pairs (one open per pair), then closed ones."""
    assessment, _ = Assessment.objects.get_or_create(cycle=world.cycle, partner=world.partner_a)
    partners = [world.partner_a, world.partner_b, world.provider]
    some_open = Gap.objects.filter(programme=world.programme, status=Gap.Status.OPEN).exists()
    now = timezone.now()
    gaps = []
    for i in range(n):
        partner = partners[i % len(partners)]
        item = world.items[(i // len(partners)) % len(world.items)]
        is_open = not some_open and i < len(partners) * len(world.items)
        gaps.append(Gap(
            programme=world.programme, partner=partner, checklist_item=item,
            principle_id=item.principle_id, severity=Gap.Severity.HIGH, opened_at=now,
            opened_by_assessment=assessment, last_assessment=assessment,
            status=Gap.Status.OPEN if is_open else Gap.Status.CLOSED,
            closed_at=None if is_open else now,
            closed_reason="" if is_open else Gap.ClosedReason.CLOSED_BY_MANAGER,
        ))
    return Gap.objects.bulk_create(gaps)


def seed_gaps(world):
    _gaps(world)


def _actions(world, n=N):
    gaps = _gaps(world, n)
    owners = _users("owner", n)
    statuses = ["not_started", "in_progress", "blocked", "done", "cancelled"]
    now = timezone.now()
    return Action.objects.bulk_create([
        Action(programme=world.programme, gap=gaps[i], title=f"Action {i}", owner=owners[i],
               owner_partner=world.partner_a if i % 2 else world.partner_b,
               due_date=TODAY + datetime.timedelta(days=i - n // 2),
               status=statuses[i % 5], completed_at=now if statuses[i % 5] == "done" else None,
               created_by=world.manager)
        for i in range(n)
    ])


def seed_actions(world):
    _actions(world)


def seed_action_notes(world):
    actions = _actions(world)
    authors = _users("author")
    ActionNote.objects.bulk_create([
        ActionNote(action=a, author=authors[i], text=f"Progress {i}") for i, a in enumerate(actions)
    ])


def _needs(world, n=N):
    gaps = _gaps(world, n)
    statuses = [s for s, _ in LearningNeed.Status.choices]
    return LearningNeed.objects.bulk_create([
        LearningNeed(programme=world.programme, partner_id=gaps[i].partner_id, gap=gaps[i],
                     principle_id=gaps[i].principle_id, staff_group="Care workers",
                     topic=f"Topic {i}", workers_count=i + 1,
                     needed_by=datetime.date(2027, 1, 1), status=statuses[i % len(statuses)])
        for i in range(n)
    ])


def seed_learning_needs(world):
    _needs(world)


def _offers(world, n=N):
    offers = TrainingOffer.objects.bulk_create([
        TrainingOffer(provider=world.provider, title=f"Course {i}", format="workshop",
                      capacity=20, cost_per_place=Decimal("10.00"),
                      status=TrainingOffer.Status.PUBLISHED,
                      start_date=datetime.date(2027, 1, 1))
        for i in range(n)
    ])
    through = TrainingOffer.principles.through
    through.objects.bulk_create([
        through(trainingoffer_id=o.pk, principle_id=p.pk)
        for o in offers for p in world.principles
    ])
    return offers


def _sessions(offers):
    """One session per offer, as every offer runs."""
    return TrainingSession.objects.bulk_create([
        TrainingSession(offer=o, capacity=o.capacity,
                        starts_at=datetime.datetime(2027, 1, 1, 9, 30, tzinfo=datetime.UTC))
        for o in offers
    ])


def seed_training_offers(world):
    _sessions(_offers(world))


def seed_training_sessions(world):
    _sessions(_offers(world))


def seed_placements(world):
    needs = _needs(world)
    sessions = _sessions(_offers(world))
    Placement.objects.bulk_create([
        Placement(learning_need=needs[i], training_offer_id=sessions[i].offer_id,
                  session=sessions[i], places=1, requested_by=world.manager,
                  learners=[f"Learner {i}"])
        for i in range(N)
    ])


def _streams(world, n=N):
    return FundingStream.objects.bulk_create([
        FundingStream(programme=world.programme, name=f"Fund {i}", funder=world.partner_a,
                      amount=Decimal("100000.00"), allocated=Decimal("0.00"))
        for i in range(n)
    ])


def seed_funding_streams(world):
    _streams(world)


def seed_funding_allocations(world):
    streams = _streams(world, 2)
    needs = _needs(world, N // 2)
    actions = _actions(world, N - N // 2)
    rows = [FundingAllocation(stream=streams[0], learning_need=n, amount=Decimal("5.00"))
            for n in needs]
    rows += [FundingAllocation(stream=streams[1], action=a, amount=Decimal("7.50"),
                               status="committed") for a in actions]
    FundingAllocation.objects.bulk_create(rows)


def seed_notifications(world):
    notes = Notification.objects.bulk_create([
        Notification(recipient=world.manager, kind="action_due", subject_type="action",
                     subject_id=i, occurrence=TODAY, message=f"Action {i} is due")
        for i in range(N)
    ])
    EmailDelivery.objects.bulk_create([
        EmailDelivery(notification=n, recipient=world.manager) for n in notes[::2]
    ])


def seed_invitations(world):
    expires = timezone.now() + datetime.timedelta(days=14)
    Invitation.objects.bulk_create([
        Invitation(programme=world.programme, email=f"invitee{i}@example.org",
                   role="partner_lead" if i % 2 else "reviewer",
                   partner=world.partner_a if i % 2 else None, invited_by=world.manager,
                   nonce_hash=f"{i:064x}", expires_at=expires)
        for i in range(N)
    ])


def _voices(world, n=N):
    users = get_user_model().objects.bulk_create([
        get_user_model()(username=f"voice{i}", email=f"voice{i}@example.org")
        for i in range(n)])
    assessment, _ = Assessment.objects.get_or_create(cycle=world.cycle, partner=world.partner_a)
    return assessment, users


def seed_contributors(world):
    assessment, users = _voices(world)
    asked = Contributor.objects.bulk_create([
        Contributor(assessment=assessment, user=u, email=u.email, perspective="carer",
                    invited_by=world.lead_a) for u in users])
    through = Contributor.checklist_items.through
    through.objects.bulk_create([
        through(contributor_id=c.pk, checklistitem_id=world.items[i % 2].pk)
        for i, c in enumerate(asked) if i % 3])


def seed_contributions(world):
    assessment, users = _voices(world)
    Contribution.objects.bulk_create([
        Contribution(assessment=assessment, checklist_item=world.items[i % len(world.items)],
                     contributor=u, perspective="staff", rating="met")
        for i, u in enumerate(users)])


def seed_champions(world):
    Champion.objects.bulk_create([
        Champion(programme=world.programme, partner=world.partner_a,
                 principle=world.principles[i % 2], name=f"Champion {i}", added_by=world.manager)
        for i in range(N)])


def seed_evidence(world):
    assessment, _ = Assessment.objects.get_or_create(cycle=world.cycle, partner=world.partner_a)
    answer, _ = Response.objects.get_or_create(assessment=assessment,
                                               checklist_item=world.items[0],
                                               defaults={"rating": "met"})
    Evidence.objects.bulk_create([
        Evidence(response=answer, title=f"Link {i}", url=f"https://example.org/{i}",
                 uploaded_by=world.lead_a) for i in range(N)])


def seed_webhooks(world):
    Webhook.objects.bulk_create([
        Webhook(programme=world.programme, owner=world.lead_a, url=f"https://example.org/{i}",
                events=["gap.opened"], secret="s" * 40) for i in range(N)])


SEEDERS = {
    Webhook: seed_webhooks,
    Champion: seed_champions,
    Evidence: seed_evidence,
    Contributor: seed_contributors,
    Contribution: seed_contributions,
    Framework: seed_frameworks,
    Principle: seed_principles,
    ChecklistItem: seed_checklist_items,
    Partner: seed_partners,
    Programme: seed_programmes,
    Membership: seed_memberships,
    AssessmentCycle: seed_cycles,
    Assessment: seed_assessments,
    Response: seed_responses,
    Gap: seed_gaps,
    Action: seed_actions,
    ActionNote: seed_action_notes,
    LearningNeed: seed_learning_needs,
    TrainingOffer: seed_training_offers,
    TrainingSession: seed_training_sessions,
    Placement: seed_placements,
    FundingStream: seed_funding_streams,
    FundingAllocation: seed_funding_allocations,
    Notification: seed_notifications,
    Invitation: seed_invitations,
}


# Measuring ---------------------------------------------------------------------


def listed_sql(context) -> str:
    return "\n".join(f"  {n}. {q['sql']}" for n, q in enumerate(context.captured_queries, 1))


def get_counting(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        answer = client.get(url, params or {})
    return answer, context


def assert_same_query_count(client, url, label):
    client.get(url, {"page_size": 1})  # warm up caches read once per process
    small, small_queries = get_counting(client, url, {"page_size": 1})
    big, big_queries = get_counting(client, url, {"page_size": BIG_PAGE})

    assert small.status_code == 200, small.content
    assert big.status_code == 200, big.content
    assert small.json()["count"] >= BIG_PAGE, f"{label}: only {small.json()['count']} rows visible"
    assert len(small.json()["results"]) == 1
    assert len(big.json()["results"]) == BIG_PAGE
    assert len(small_queries) == len(big_queries), (
        f"{label}: {len(small_queries)} queries for 1 row but {len(big_queries)} for "
        f"{BIG_PAGE} rows\n--- page_size=1 ---\n{listed_sql(small_queries)}\n"
        f"--- page_size={BIG_PAGE} ---\n{listed_sql(big_queries)}"
    )
    return len(big_queries)


def test_every_registered_collection_is_measured():
    # given the collections registered on the API's routers
    models = {prefix: model_of(viewset) for prefix, viewset in ENDPOINTS}

    # then each has a seeder, so the query-count test below covers it
    assert {"programmes", "actions", "learning-needs", "funding-allocations"} <= set(models)
    missing = {prefix: m.__name__ for prefix, m in models.items() if m not in SEEDERS}
    assert not missing, f"add a seeder to SEEDERS for {missing}"


@pytest.mark.parametrize(("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_list_runs_the_same_queries_for_one_row_as_for_a_hundred(api, world, prefix, viewset):
    # given more than a page of rows the manager can see
    seeder = SEEDERS.get(model_of(viewset))
    assert seeder is not None, f"no seeder for /api/v1/{prefix}/ ({model_of(viewset).__name__})"
    seeder(world)
    client = api.as_user(world.manager)

    # when the manager lists one row, then a hundred
    # then the number of queries does not grow with the page
    assert_same_query_count(client, f"/api/v1/{prefix}/", f"/api/v1/{prefix}/ as manager")


@pytest.mark.parametrize("prefix", LEAD_ENDPOINTS)
def test_list_for_a_partner_lead_runs_the_same_queries_whatever_the_page(api, world, prefix):
    # given more than a page of rows in the partner lead's programme
    viewset = dict(ENDPOINTS)[prefix]
    SEEDERS[model_of(viewset)](world)
    client = api.as_user(world.lead_a)

    # when the lead lists one row, then a hundred
    # then the number of queries does not grow with the page
    assert_same_query_count(client, f"/api/v1/{prefix}/", f"/api/v1/{prefix}/ as partner lead")


# Progress ----------------------------------------------------------------------


def small_programme(world):
    """Two partners, one submitted assessment and one of each kind of row."""
    a = f.PartnerFactory(name="Small A")
    b = f.PartnerFactory(name="Small B")
    programme = f.ProgrammeFactory(framework=world.framework, partners=[a, b])
    f.MembershipFactory(programme=programme, user=world.manager, role="manager")
    cycle = f.CycleFactory(programme=programme)
    assessment = f.AssessmentFactory(cycle=cycle, partner=a, status="submitted",
                                     submitted_at=timezone.now())
    f.ResponseFactory(assessment=assessment, checklist_item=world.items[0], rating="not_met")
    gap = Gap.objects.create(programme=programme, partner=a, checklist_item=world.items[0],
                             principle=world.principles[0], severity="high",
                             opened_at=timezone.now())
    action = f.ActionFactory(programme=programme, gap=gap, owner_partner=a)
    need = f.LearningNeedFactory(programme=programme, partner=a, gap=gap,
                                 principle=world.principles[0])
    stream = f.FundingStreamFactory(programme=programme, funder=a)
    f.FundingAllocationFactory(stream=stream, learning_need=need)
    f.FundingAllocationFactory(stream=stream, action=action, status="committed")
    return programme, a


def big_programme(world):
    """30 partners, 8 principles, two cycles, 200 actions, 100 needs and their funding."""
    framework = f.FrameworkFactory()
    principles = Principle.objects.bulk_create([
        Principle(framework=framework, number=n, title=f"Big principle {n}") for n in range(1, 9)
    ])
    items = ChecklistItem.objects.bulk_create([
        ChecklistItem(principle=p, code=f"{p.number}.{k}", text="?", order=k,
                      is_active=k != 4)
        for p in principles for k in range(1, 5)
    ])
    partners = Partner.objects.bulk_create([
        Partner(name=f"Big partner {i}", sector="local_authority") for i in range(30)
    ])
    programme = f.ProgrammeFactory(framework=framework, partners=partners)
    f.MembershipFactory(programme=programme, user=world.manager, role="manager")
    cycles = [
        f.CycleFactory(programme=programme, name="One", period_end=datetime.date(2026, 3, 31)),
        f.CycleFactory(programme=programme, name="Two", period_end=datetime.date(2026, 6, 30)),
    ]
    now = timezone.now()
    assessments = Assessment.objects.bulk_create([
        Assessment(cycle=c, partner=p, status="submitted" if (i + j) % 3 else "draft",
                   submitted_at=now if (i + j) % 3 else None)
        for j, c in enumerate(cycles) for i, p in enumerate(partners)
    ])
    ratings = ["met", "partly_met", "not_met", "not_applicable"]
    Response.objects.bulk_create([
        Response(assessment=a, checklist_item=item, rating=ratings[(i + k) % 4])
        for i, a in enumerate(assessments) for k, item in enumerate(items)
    ])
    gaps = Gap.objects.bulk_create([
        Gap(programme=programme, partner=partners[i % 30], checklist_item=items[i % len(items)],
            principle_id=items[i % len(items)].principle_id, severity="medium", opened_at=now,
            status="open" if i % 2 else "closed", closed_at=None if i % 2 else now,
            closed_reason="" if i % 2 else "closed_by_manager")
        for i in range(60)
    ])
    statuses = ["not_started", "in_progress", "blocked", "done", "cancelled"]
    actions = Action.objects.bulk_create([
        Action(programme=programme, gap=gaps[i % 60] if i % 4 else None, title=f"Big {i}",
               owner_partner=partners[i % 30], status=statuses[i % 5],
               completed_at=now if statuses[i % 5] == "done" else None,
               due_date=TODAY + datetime.timedelta(days=i % 7 - 3))
        for i in range(200)
    ])
    needs = LearningNeed.objects.bulk_create([
        LearningNeed(programme=programme, partner=partners[i % 30],
                     principle=principles[i % 8] if i % 5 else None, staff_group="Nurses",
                     topic=f"Topic {i}", workers_count=3, status="met" if i % 2 else "planned")
        for i in range(100)
    ])
    streams = [f.FundingStreamFactory(programme=programme, funder=partners[k],
                                      amount=Decimal("1000000.00")) for k in range(3)]
    allocation_statuses = ["planned", "committed", "cancelled"]
    FundingAllocation.objects.bulk_create(
        [FundingAllocation(stream=streams[i % 3], learning_need=n, amount=Decimal("12.34"),
                           status=allocation_statuses[i % 3]) for i, n in enumerate(needs)]
        + [FundingAllocation(stream=streams[i % 3], action=a, amount=Decimal("5.55"),
                             status=allocation_statuses[i % 3]) for i, a in enumerate(actions)]
    )
    return programme, partners[0]


@pytest.mark.parametrize("with_partner", [False, True], ids=["whole", "one-partner"])
def test_progress_runs_a_fixed_number_of_queries_however_big_the_programme(
    api, world, with_partner
):
    # given a small programme and a big one, both managed by the manager
    small, small_partner = small_programme(world)
    big, big_partner = big_programme(world)
    client = api.as_user(world.manager)

    def measured(programme, partner):
        url = f"/api/v1/programmes/{programme.pk}/progress/"
        params = {"partner": partner.pk} if with_partner else {}
        client.get(url, params)  # warm up
        answer, queries = get_counting(client, url, params)
        assert answer.status_code == 200, answer.content
        return answer.json(), queries

    # when the manager reads the progress of each
    small_body, small_queries = measured(small, small_partner)
    big_body, big_queries = measured(big, big_partner)

    # then both read the same, fixed number of queries
    assert small_body["overall"]["actions"] >= 1
    assert big_body["overall"]["actions"] >= (7 if with_partner else 200)
    assert len(big_body["principles"]) == 8
    assert len(small_queries) == len(big_queries), (
        f"progress: {len(small_queries)} queries for the small programme but "
        f"{len(big_queries)} for the big one\n--- small ---\n{listed_sql(small_queries)}\n"
        f"--- big ---\n{listed_sql(big_queries)}"
    )
    assert len(big_queries) <= 12, listed_sql(big_queries)
