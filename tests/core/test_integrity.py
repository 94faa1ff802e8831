"""A database constraint's refusal is its plain-English message, the same on a page and in
the API; an IntegrityError no constraint explains is a logged server error."""

import logging

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.test import Client
from django.urls import reverse

from core import integrity
from core.errors import Conflict
from learning.api import serializers as learning_serializers
from learning.models import OFFER_DATES_OUT_OF_ORDER, TrainingOffer
from programmes import services as programme_services
from programmes.models import AssessmentCycle, Gap

PROJECT_APPS = {"programmes", "actions", "learning", "notifications", "accounts"}


def _project_constraints():
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for constraint in model._meta.constraints:
                yield model, constraint


def test_every_constraint_of_the_project_has_a_message_a_code_and_a_place_in_the_mapping():
    found = list(_project_constraints())
    assert len(found) >= 20
    mapping = integrity.constraints()
    for model, constraint in found:
        where = f"{model.__name__}.{constraint.name}"
        assert isinstance(constraint, (models.CheckConstraint, models.UniqueConstraint)), where
        assert constraint.violation_error_message, f"{where} has no message"
        assert "%(name)s" not in str(constraint.violation_error_message), where
        assert constraint.violation_error_code, f"{where} has no code"
        assert mapping[constraint.name].message == str(constraint.violation_error_message)


def test_the_database_names_the_constraint_it_refused(world):
    # given a cycle named "Baseline" (the world's)
    # when a second one of that name is written past the model's validation
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        AssessmentCycle.objects.create(
            programme=world.programme, name="Baseline",
            period_start=world.cycle.period_start, period_end=world.cycle.period_end)

    # then the constraint is known by name, on SQLite (by its columns) as on PostgreSQL
    assert integrity.constraint_name(refused.value) == "programmes_assessmentcycle_unique_name"
    error = integrity.domain_error(refused.value)
    assert (error.status_code, error.code, error.field) == (409, "conflict", "name")
    assert error.message == "This programme already has a cycle with this name."


def test_a_second_open_gap_is_refused_with_the_constraints_sentence_by_the_database_and_api(
        world, api):
    # given an open gap for partner A and item 1
    key = {"programme": world.programme, "partner": world.partner_a,
           "checklist_item": world.items[0]}
    programme_services.gap_create(actor=world.manager, **key, severity="high")
    sentence = "This partner already has an open gap for this item."

    # when a second one is written (the service leaves this rule to the database)
    with pytest.raises(Conflict) as refused:
        programme_services.gap_create(actor=world.manager, **key, severity="medium")

    # then the database's refusal is the constraint's conflict, on the item
    assert (refused.value.message, refused.value.field) == (sentence, "checklist_item")

    # and the API, which checks first, says the same sentence
    body = {"programme": world.programme.pk, "partner": world.partner_a.pk,
            "checklist_item": world.items[0].pk, "severity": "medium"}
    reply = api.as_user(world.manager).post("/api/v1/gaps/", body, format="json")
    assert reply.status_code == 400, reply.content
    assert reply.json() == {"non_field_errors": [sentence]}
    assert Gap.objects.filter(partner=world.partner_a).count() == 1


@pytest.fixture
def checks_only_in_the_database(monkeypatch):
    """The offer's date rule left to the database alone, as when a write races past it."""
    monkeypatch.setattr(TrainingOffer, "clean", lambda self: None)
    monkeypatch.setattr(TrainingOffer, "validate_constraints", lambda self, exclude=None: None)
    monkeypatch.setattr(learning_serializers.TrainingOfferSerializer, "validate",
                        lambda self, attrs: attrs)


def test_a_check_the_database_refuses_reads_the_same_on_the_page_and_in_the_api(
        world, api, checks_only_in_the_database):
    # given an offer whose end date is before its start date
    fields = {"title": "Dates the wrong way round", "format": "workshop", "capacity": "12",
              "cost_per_place": "40.00", "start_date": "2027-03-10", "end_date": "2027-03-01"}
    page_client = Client()
    page_client.force_login(world.provider_user)

    # when a provider sends it through the page and through the API
    page = page_client.post(reverse("web:offer-new"), fields)
    reply = api.as_user(world.provider_user).post(
        "/api/v1/training-offers/",
        {**fields, "provider": world.provider.pk, "principles": []}, format="json")

    # then the database's check is refused with the constraint's sentence in both
    assert reply.status_code == 400, reply.content
    assert reply.json() == {"detail": OFFER_DATES_OUT_OF_ORDER, "code": "invalid",
                            "end_date": [OFFER_DATES_OUT_OF_ORDER]}
    html = page.content.decode()
    assert page.status_code == 400
    assert OFFER_DATES_OUT_OF_ORDER in html and "end_after_start" not in html
    assert not TrainingOffer.objects.filter(title="Dates the wrong way round").exists()


def test_an_integrity_error_no_constraint_explains_is_a_logged_500(world, monkeypatch, caplog):
    # given a service that meets an IntegrityError of no known constraint
    def broken(**kwargs):
        raise IntegrityError("FOREIGN KEY constraint failed")

    monkeypatch.setattr(programme_services, "gap_create", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.manager)
    body = {"programme": world.programme.pk, "partner": world.partner_a.pk,
            "checklist_item": world.items[0].pk, "severity": "medium"}

    # when a manager opens a gap through the API
    with caplog.at_level(logging.ERROR, logger="django.request"):
        reply = client.post("/api/v1/gaps/", body, content_type="application/json")

    # then it is a server error in JSON, not a conflict, and its traceback is logged
    assert reply.status_code == 500
    assert reply.json()["code"] == "server_error"
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert logged and logged[0].exc_info[0] is IntegrityError
    assert not Gap.objects.exists()
