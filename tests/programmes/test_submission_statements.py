"""A submission is a fixed number of statements, however many items it answers."""

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from programmes import access, services
from programmes.models import Gap, Membership

from .. import factories as f

# The second submission rates item ``i`` by ``i % 5``: kept (re-rated partly met), opened,
# met with open work (closure proposed), met with none (closed), not applicable (closed).
SECOND = {0: "partly_met", 1: "not_met", 2: "met", 3: "met", 4: "not_applicable"}
STATEMENTS = 15  # the most a submission may run
FIXED = 15  # what it runs, whatever the number of items


def build(n_items: int):
    """A programme whose partner submitted once (gaps open on four in five items, work
    under way on some) and now has a second draft rating every item, mixed."""
    framework = f.FrameworkFactory()
    principles: list[Any] = [f.PrincipleFactory(framework=framework, number=n) for n in range(1, 5)]
    items: list[Any] = [f.ChecklistItemFactory(principle=principles[i % 4], order=i // 4 + 1)
             for i in range(n_items)]
    partner: Any = f.PartnerFactory()
    programme: Any = f.ProgrammeFactory(framework=framework, partners=[partner])
    manager = f.UserFactory()
    f.MembershipFactory(programme=programme, user=manager, role=Membership.Role.MANAGER)
    lead = f.UserFactory()
    f.MembershipFactory(programme=programme, user=lead, role=Membership.Role.PARTNER_LEAD,
                        partner=partner)
    first: Any = f.AssessmentFactory(cycle=f.CycleFactory(programme=programme, name="Baseline"),
                                     partner=partner, status="submitted")
    # the baseline's gaps, written directly: a submission here would already have asked
    # for the outbox row of this (test) transaction, and hide that statement below
    gaps = {item.pk: Gap.objects.create(
        programme=programme, partner=partner, checklist_item=item, principle=item.principle,
        severity="high", opened_at=timezone.now(), opened_by_assessment=first,
        last_assessment=first) for i, item in enumerate(items) if i % 5 != 1}
    for i, item in enumerate(items):
        if i % 5 != 2:
            continue
        gap = gaps[item.pk]
        kind = (i // 5) % 3
        if kind == 0:
            f.ActionFactory(programme=programme, gap=gap, owner=lead)
        elif kind == 1:
            need = f.LearningNeedFactory(programme=programme, partner=partner, gap=gap)
            f.PlacementFactory(learning_need=need, places=2, status="approved")
        else:
            need = f.LearningNeedFactory(programme=programme, partner=partner, gap=gap)
            f.FundingAllocationFactory(stream=f.FundingStreamFactory(programme=programme),
                                       learning_need=need, amount=Decimal("250.00"),
                                       status="planned")
    second = f.AssessmentFactory(cycle=f.CycleFactory(programme=programme, name="Review"),
                                 partner=partner)
    for i, item in enumerate(items):
        f.ResponseFactory(assessment=second, checklist_item=item, rating=SECOND[i % 5])
    # the view that calls the service has read the actor's memberships already
    access.memberships_of(manager)
    return manager, second, items, gaps


def expected(items, gaps):
    """What the second submission does to each item's gap: (status, severity)."""
    out = {}
    for i, item in enumerate(items):
        rating = SECOND[i % 5]
        if rating in ("partly_met", "not_met"):
            out[item.pk] = ("open", "medium" if rating == "partly_met" else "high")
        elif i % 5 == 2:
            out[item.pk] = ("closure_proposed", "high")
        else:
            out[item.pk] = ("closed", "high")
    return out


@pytest.mark.parametrize("n_items", [5, 40, 46])
def test_a_submission_is_a_fixed_number_of_statements(db, django_assert_max_num_queries,
                                                      n_items):
    manager, second, items, gaps = build(n_items)
    history_before = Gap.history.count()

    # the same statements for 5 items as for 46 (the savepoint and its release, which
    # the test's transaction makes of the service's, included)
    with django_assert_max_num_queries(STATEMENTS) as statements:
        result = services.assessment_submit(actor=manager, assessment=second)
    assert len(statements) == FIXED

    # every gap ends as the rules say, with its version moved on and one history row each
    want = expected(items, gaps)
    now = {g.checklist_item_id: g for g in Gap.objects.filter(programme=second.cycle.programme,
                                                              status__in=Gap.OPEN_STATUSES)}
    for i, item in enumerate(items):
        status, severity = want[item.pk]
        if status == "closed":
            gap = Gap.objects.get(pk=gaps[item.pk].pk)
            assert gap.status == "closed" and gap.closed_at is not None
            assert gap.closed_reason == ("reassessed_met" if SECOND[i % 5] == "met"
                                         else "reassessed_not_applicable")
        else:
            gap = now[item.pk]
            assert (gap.status, gap.severity) == (status, severity)
        assert gap.last_assessment_id == second.pk
        if item.pk in gaps:
            assert gap.version == gaps[item.pk].version + 1
    changed = len(result.opened) + len(result.kept) + len(result.closed) + len(result.proposed)
    assert Gap.history.count() - history_before == changed
    assert len(result.opened) == sum(1 for i in range(n_items) if i % 5 == 1)
    assert len(result.proposed) == sum(1 for i in range(n_items) if i % 5 == 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_open_submission_keeps_no_other_programme_waiting():
    import threading
    import time

    from django.db import connection, transaction

    from actions import services as action_services
    from programmes.models import Assessment

    # given two programmes of one framework sharing a partner, each with a draft that
    # opens, keeps and closes gaps on the same items
    framework = f.FrameworkFactory()
    principle: Any = f.PrincipleFactory(framework=framework, number=1)
    items: list[Any] = [f.ChecklistItemFactory(principle=principle, order=i)
                        for i in range(1, 7)]
    partner: Any = f.PartnerFactory()
    manager = f.UserFactory()
    drafts = {}
    for name in ("A", "B"):
        programme: Any = f.ProgrammeFactory(framework=framework, partners=[partner])
        f.MembershipFactory(programme=programme, user=manager, role=Membership.Role.MANAGER)
        first: Any = f.AssessmentFactory(
            cycle=f.CycleFactory(programme=programme, name="Baseline"), partner=partner,
            status="submitted")
        for item in items[:3]:
            Gap.objects.create(programme=programme, partner=partner, checklist_item=item,
                               principle=principle, severity="high", opened_at=timezone.now(),
                               opened_by_assessment=first, last_assessment=first)
        draft = f.AssessmentFactory(cycle=f.CycleFactory(programme=programme, name="Review"),
                                    partner=partner)
        for item, rating in zip(items, ["met", "partly_met", "not_applicable", "not_met",
                                        "not_met", "met"], strict=True):
            f.ResponseFactory(assessment=draft, checklist_item=item, rating=rating)
        drafts[name] = draft
    programme_b = drafts["B"].cycle.programme
    gap_b = Gap.objects.get(programme=programme_b, checklist_item=items[1])

    def elsewhere(work, took, errors):
        """Run ``work`` on its own connection, refusing to wait more than 2 s for a lock."""
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                started = time.monotonic()
                work()
                took.append(time.monotonic() - started)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    took, errors = [], []
    others = [
        threading.Thread(target=elsewhere, args=(lambda: services.assessment_submit(
            actor=manager, assessment=drafts["B"]), took, errors)),
        threading.Thread(target=elsewhere, args=(lambda: action_services.action_create(
            actor=manager, programme=programme_b, gap=gap_b, owner_partner=partner,
            title="Train the night team", due_date="2027-01-31"), took, errors)),
    ]
    # when programme A's submission has taken its locks and not yet committed
    with transaction.atomic():
        services.assessment_submit(actor=manager, assessment=drafts["A"])
        for other in others:
            other.start()
        for other in others:
            other.join(timeout=10)
        # then programme B's submission and a new action in B have finished meanwhile
        assert not any(other.is_alive() for other in others)
        assert errors == []
        assert len(took) == 2 and max(took) < 1.5
        assert Assessment.objects.get(pk=drafts["A"].pk).status == "submitted"
    assert Assessment.objects.get(pk=drafts["B"].pk).status == "submitted"
    assert programme_b.actions.filter(gap=gap_b).count() == 1
