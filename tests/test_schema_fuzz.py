"""Schemathesis against the live OpenAPI schema: every operation, as a programme manager.

The schema is read from ``/api/schema/`` of the running application (through WSGI, in
the test's database), and schemathesis generates requests for every operation from it:
valid ones and invalid ones (wrong types, NUL bytes, huge integers, missing fields), in
the path, the query string and the body. Each answer must

* not be a server error (5xx);
* carry a status code the operation documents (the 400/401/403/404/409/429 answers are
  added to every operation by ``core.api.rest.document_error_responses``);
* conform to the documented schema and content type.

Bounded by ``FUZZ_EXAMPLES`` per operation (default 12: the whole run takes a few
minutes on two cores); set it higher for a deeper search.
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from accounts.services import token_issue
from programmes import services

from . import factories as f

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def live_schema(world, monkeypatch):
    # Django's test transaction must survive the requests: Django's own test client
    # disconnects this handler; a WSGI call does not.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The throttle would answer 429 after a few dozen writes; it has its own tests.
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    # Something of each kind for generated ids to hit: a submitted assessment with
    # answers and gaps, an action, a learning need.
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    for item, rating in zip(world.items, ["met", "not_met", "partly_met", "met", "not_met"],
                            strict=True):
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    services.assessment_submit(actor=world.manager, assessment=assessment)
    f.AssessmentFactory(cycle=world.cycle, partner=world.partner_b)
    _, token = token_issue(actor=world.manager)
    auth = {"Authorization": f"Token {token}"}  # the schema is for signed-in users
    schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), headers=auth)
    schema.config.update(headers=auth)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES
    )
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_answers_every_generated_request_as_documented(case):
    case.call_and_validate(checks=CHECKS)
