"""Fixtures shared by every test: a small programme with one user per role."""

import datetime
import os
import re
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


_ESCAPE = re.compile(r"&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);")


def email_problems(message) -> list[str]:
    """What is wrong with one sent e-mail's subject, in words (empty when nothing)."""
    from notifications import mail as service_mail

    subject = message.subject
    problems = []
    if _ESCAPE.search(subject):
        problems.append("has an HTML escape")
    if subject != " ".join(subject.split()):
        problems.append("has whitespace that is not collapsed")
    headers = message.extra_headers
    programmes = headers.get(service_mail.PROGRAMME_HEADER, "")
    kind = headers.get(service_mail.KIND_HEADER, "")
    if kind == "digest":
        shown = re.sub(r"( and (\d+ more|.+))?(: \d+ updates?)?$", "",
                       subject.removeprefix("Weekly digest: "))
        if programmes and not (subject.startswith("Weekly digest: ")
                               and programmes.startswith(shown)):
            problems.append(f"does not name the digest's programmes ({programmes!r})")
    elif programmes and programmes not in subject:
        problems.append(f"does not name its programme ({programmes!r})")
    if subject.endswith(service_mail.ELLIPSIS):
        kept = subject.removesuffix(service_mail.ELLIPSIS)
        if programmes and kept.startswith(f"{programmes}: "):
            kept = kept.removeprefix(f"{programmes}: ")
        body = " ".join(message.body.split())
        at = body.find(kept)
        if not kept or at < 0:
            problems.append("was cut but its words are not in the body")
        elif at + len(kept) < len(body) and body[at + len(kept)].isalnum():
            problems.append("was cut in the middle of a word")
    return problems


@pytest.fixture(autouse=True)
def _every_email_subject_is_whole_and_named():
    """After every test: each e-mail sent has a plain-text subject, cut (with "…") only
    after a whole word of its message, naming the programme in its X-Tracker-Programme
    header (every service e-mail about a programme carries one)."""
    from django.core import mail as django_mail

    yield
    bad = {message.subject: problems for message in getattr(django_mail, "outbox", [])
           if (problems := email_problems(message))}
    assert not bad, f"e-mail subjects with problems: {bad}"
