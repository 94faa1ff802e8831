"""Fixtures shared by every test: a small programme with one user per role."""

import datetime
import os
from dataclasses import dataclass

import pytest
from django.db import connection
from rest_framework.test import APIClient

from programmes.models import Membership

from . import factories as f

Role = Membership.Role


def pytest_configure(config):
    from django.conf import settings

    # A fast hasher: tests create many users; production keeps Django's default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL; on SQLite they are skipped, saying why."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    if os.environ.get("TEST_REQUIRE_POSTGRES"):
        # CI's second pass must not pass quietly on SQLite when DATABASE_URL got lost.
        raise pytest.UsageError(
            "TEST_REQUIRE_POSTGRES is set but the database is "
            f"{settings.DATABASES['default']['ENGINE']}: is DATABASE_URL reaching pytest?")
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL + Redis pass)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@dataclass
class World:
    """A programme of three partners and four items, with a user in each role."""

    framework: object
    principles: list
    items: list
    programme: object
    partner_a: object
    partner_b: object
    provider: object
    manager: object
    lead_a: object
    lead_b: object
    provider_user: object
    reviewer: object
    outsider: object
    staff: object
    cycle: object


@pytest.fixture
def world(db) -> World:
    framework = f.FrameworkFactory(slug="test-framework")
    p1 = f.PrincipleFactory(framework=framework, number=1)
    p2 = f.PrincipleFactory(framework=framework, number=2)
    items = [
        f.ChecklistItemFactory(principle=p1, order=1),
        f.ChecklistItemFactory(principle=p1, order=2),
        f.ChecklistItemFactory(principle=p2, order=1),
        f.ChecklistItemFactory(principle=p2, order=2),
        f.ChecklistItemFactory(principle=p2, order=3),
    ]
    partner_a = f.PartnerFactory(name="Alpha Council")
    partner_b = f.PartnerFactory(name="Beta Trust", sector="nhs_trust")
    provider = f.PartnerFactory(
        name="Gamma College", sector="learning_provider", provides_learning=True
    )
    programme = f.ProgrammeFactory(framework=framework, partners=[partner_a, partner_b, provider])

    def member(username, role, partner=None):
        user = f.UserFactory(username=username)
        f.MembershipFactory(programme=programme, user=user, role=role, partner=partner)
        return user

    return World(
        framework=framework,
        principles=[p1, p2],
        items=items,
        programme=programme,
        partner_a=partner_a,
        partner_b=partner_b,
        provider=provider,
        manager=member("manager", Role.MANAGER),
        lead_a=member("lead_a", Role.PARTNER_LEAD, partner_a),
        lead_b=member("lead_b", Role.PARTNER_LEAD, partner_b),
        provider_user=member("provider", Role.LEARNING_PROVIDER, provider),
        reviewer=member("reviewer", Role.REVIEWER),
        outsider=f.UserFactory(username="outsider"),
        staff=f.UserFactory(username="staff", is_staff=True),
        cycle=f.CycleFactory(programme=programme, name="Baseline"),
    )


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates it."""

    client = APIClient()

    def as_user(user):
        client.force_authenticate(user=user)
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def demand(world):
    """For "Needs we could meet" (API and page): Gamma College's dementia course, and
    the partners' needs: one it could meet, one it could not, and one already met."""
    offer = f.TrainingOfferFactory(
        provider=world.provider, title="Dementia awareness and person-centred care",
        topics="dementia, awareness", staff_groups="home care workers",
        principles=[world.principles[0]])
    f.TrainingOfferFactory(provider=world.provider, title="Dementia care (draft)",
                           status="draft")
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 topic="Dementia awareness", staff_group="Home care workers",
                                 workers_count=12, needed_by=datetime.date(2027, 3, 31))
    f.LearningNeedFactory(programme=world.programme, partner=world.partner_b,
                          topic="Plumbing for estates", staff_group="Estates staff")
    f.LearningNeedFactory(programme=world.programme, partner=world.partner_b,
                          topic="Dementia awareness", status="met")
    return {"offer": offer, "need": need}
