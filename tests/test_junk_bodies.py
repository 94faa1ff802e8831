"""No request body gets a 500: junk goes to every write endpoint of the API.

Acceptance criterion: "No request body gets a 500: a test sends junk (wrong
types, unknown ids, huge strings, missing fields) to every write endpoint."

Nothing here lists endpoints or fields by hand:

* endpoints come from the routers included in ``config.urls`` (each router's
  ``registry``, and each viewset's ``get_extra_actions()`` for ``@action``
  routes) and from the plain API views of ``config.urls.api_urls``
  (``auth/token/``);
* field names come from the serializer the endpoint reads (its ``.fields``) or,
  for custom actions and plain views, from the request body the OpenAPI schema
  declares for them (``@extend_schema(request=...)``).

A new collection, action or field is junked without editing this file. A new
collection needs one thing: an object to aim its detail routes at (``TARGETS``);
``test_every_writable_collection_has_a_target`` fails until it has one (its
detail routes are skipped meanwhile). ``FRESH`` and ``WRITERS`` only make the
junk go further (a POST copy that does not clash, a user allowed to write).

Every request must answer below 500; a 4xx must be JSON; a 400 must name a
field, ``non_field_errors`` or ``detail``; and a refused write must change
nothing (row counts of every table, and every row of the collection's model).

There is no list of known bugs: a request that gets a 500 fails its test.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLPattern, URLResolver, reverse
from rest_framework import serializers
from rest_framework.routers import BaseRouter
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.viewsets import ViewSetMixin

import config.urls as root_urls
from programmes import services

from . import factories as f

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
# The viewset action each write method of a router's list or detail route maps to.
CRUD_ACTIONS = {
    (False, "post"): "create",
    (True, "put"): "update",
    (True, "patch"): "partial_update",
    (True, "delete"): "destroy",
}
JSON = "application/json"


# Discovery ------------------------------------------------------------------


def _routers() -> list[BaseRouter]:
    """Every DRF router ``config.urls`` includes (the programmes one first)."""
    from programmes.api.urls import router as programmes_router

    found = [programmes_router]
    for value in vars(root_urls).values():
        if isinstance(value, BaseRouter) and all(value is not r for r in found):
            found.append(value)
    return found


def _api_patterns(patterns=None, prefix=""):
    """(route, pattern) for every URL under ``api/v1/``, includes followed."""
    for pattern in root_urls.api_urls if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


@dataclass(frozen=True)
class Endpoint:
    collection: str  # router prefix ("gaps") or, for a plain view, its URL name ("api-token")
    method: str  # post, put, patch or delete
    url_name: str  # for reverse()
    detail: bool  # the URL names one object
    view: type  # the viewset or APIView class
    action: str | None  # the handler the method reaches; None: the route does not serve it
    extra: str | None = None  # the @action's url_path, for custom actions

    @property
    def served(self) -> bool:
        return self.action is not None

    @property
    def lookup(self) -> str:
        return getattr(self.view, "lookup_url_kwarg", None) or self.view.lookup_field

    @property
    def model(self):
        serializer_class = getattr(self.view, "serializer_class", None)
        if serializer_class is not None and hasattr(serializer_class, "Meta"):
            return serializer_class.Meta.model
        queryset = getattr(self.view, "queryset", None)
        return queryset.model if queryset is not None else None

    def __str__(self):
        route = self.collection + ("/{id}" if self.detail else "")
        return f"{self.method.upper()} {route}" + (f"/{self.extra}" if self.extra else "")


def discover() -> list[Endpoint]:
    endpoints = []
    for router in _routers():
        for prefix, viewset, basename in router.registry:
            for (detail, method), action in CRUD_ACTIONS.items():
                served = hasattr(viewset, action) and method in viewset.http_method_names
                endpoints.append(Endpoint(
                    collection=prefix, method=method, detail=detail, view=viewset,
                    url_name=f"{basename}-{'detail' if detail else 'list'}",
                    action=action if served else None,
                ))
            for extra in viewset.get_extra_actions():
                for method, handler in extra.mapping.items():
                    if method not in WRITE_METHODS:
                        continue
                    served = method in viewset.http_method_names
                    endpoints.append(Endpoint(
                        collection=prefix, method=method, detail=extra.detail, view=viewset,
                        url_name=f"{basename}-{extra.url_name}", extra=extra.url_path,
                        action=handler if served else None,
                    ))
    for _route, pattern in _api_patterns():
        view = getattr(pattern.callback, "cls", None)
        if view is None or issubclass(view, ViewSetMixin) or pattern.pattern.converters:
            continue  # router routes are above; a plain view with URL arguments has no target
        if not any(hasattr(view, m) for m in WRITE_METHODS):
            continue  # read-only plain views (the API root)
        for method in WRITE_METHODS:
            served = hasattr(view, method) and method in view.http_method_names
            endpoints.append(Endpoint(
                collection=pattern.name, method=method, url_name=pattern.name, detail=False,
                view=view, action=method if served else None,
            ))
    return endpoints


ENDPOINTS = discover()
SERVED = [e for e in ENDPOINTS if e.served]
NOT_SERVED = [e for e in ENDPOINTS if not e.served]


# What each endpoint reads ---------------------------------------------------


@functools.cache
def openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            return _resolve(schema, node[key][0])
    return node


def _declared_body(endpoint: Endpoint, url: str) -> dict | None:
    """The JSON body the OpenAPI schema declares for this URL and method (properties)."""
    schema = openapi()
    # Literal paths first: "notifications/read-all/" before "notifications/{id}/".
    for template, operations in sorted(schema["paths"].items(), key=lambda p: p[0].count("{")):
        regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(regex, url) and endpoint.method in operations:
            body = operations[endpoint.method].get("requestBody")
            if not body:
                return None
            media = body["content"].get(JSON) or next(iter(body["content"].values()))
            node = _resolve(schema, media["schema"])
            return {
                name: _resolve(schema, prop)
                for name, prop in node.get("properties", {}).items()
                if not prop.get("readOnly")
            }
    return None


def _sample(prop: dict):
    """A plausible valid value for a property of a declared request body."""
    if prop.get("enum"):
        return prop["enum"][0]
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        return {"date": "2026-05-01", "date-time": "2026-05-01T09:00:00Z",
                "email": "someone@example.org", "decimal": "1.00"}.get(fmt, "Given in a junk test")
    if kind == "integer":
        return max(int(prop.get("minimum", 1)), 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    return None


def _serializer(endpoint: Endpoint, action: str):
    view = endpoint.view()
    view.action, view.request, view.format_kwarg, view.kwargs = action, None, None, {}
    return view.get_serializer_class()()


@dataclass
class Fields:
    writable: list[str]
    read_only: list[str]
    plain_text: set[str]  # free-text fields: a copy made by POST changes them to stay unique
    samples: dict  # valid values, for bodies without an object to copy them from


@functools.cache
def request_fields(endpoint: Endpoint) -> Fields:
    """The fields the endpoint reads from the body.

    CRUD routes: the serializer's ``.fields``. Custom actions and plain views:
    the body their schema declares; without one (``submit``), the viewset's
    serializer fields, which such a view must ignore without a 500.
    """
    if endpoint.extra or not issubclass(endpoint.view, ViewSetMixin):
        url = reverse(endpoint.url_name, kwargs={endpoint.lookup: 1} if endpoint.detail else None)
        declared = _declared_body(endpoint, url)
        if declared is not None or not issubclass(endpoint.view, ViewSetMixin):
            declared = declared or {}
            return Fields(list(declared), [], set(), {n: _sample(p) for n, p in declared.items()})
    crud = endpoint.action in ("create", "update", "partial_update")
    fields = _serializer(endpoint, endpoint.action if crud else "create").fields
    return Fields(
        writable=[n for n, fld in fields.items() if not fld.read_only],
        read_only=[n for n, fld in fields.items() if fld.read_only],
        plain_text={n for n, fld in fields.items() if type(fld) is serializers.CharField},
        samples={},
    )


# Objects to aim the detail routes at ---------------------------------------


class Scene:
    """The world, plus one object of each collection, built when first asked for."""

    def __init__(self, world):
        self.world = world

    @functools.cached_property
    def partner(self):
        partner = f.PartnerFactory(name="Delta Housing", sector="housing",
                                   contact_email="office@delta.example.org")
        self.world.programme.partners.add(partner)
        return partner

    @functools.cached_property
    def membership(self):
        return f.MembershipFactory(programme=self.world.programme, role="reviewer",
                                   user=f.UserFactory(username="second_reviewer"))

    @functools.cached_property
    def cycle(self):
        return f.CycleFactory(programme=self.world.programme, name="Follow-up",
                              period_start=datetime.date(2026, 4, 1),
                              period_end=datetime.date(2026, 6, 30))

    @functools.cached_property
    def assessment(self):
        """A draft with one answer, so that it can be submitted."""
        assessment = f.AssessmentFactory(cycle=self.world.cycle, partner=self.world.partner_a,
                                         participants="Team leaders")
        self.response = f.ResponseFactory(
            assessment=assessment, checklist_item=self.world.items[0], rating="not_met",
            evidence="Induction differs by employer",
        )
        return assessment

    @functools.cached_property
    def response(self):
        self.assessment  # noqa: B018 - builds the response with it
        return self.__dict__["response"]

    @functools.cached_property
    def gap(self):
        return services.gap_create(
            actor=self.world.manager, programme=self.world.programme,
            partner=self.world.partner_b, checklist_item=self.world.items[1], severity="high",
            description="No shared induction")

    @functools.cached_property
    def closed_gap(self):
        gap = services.gap_create(
            actor=self.world.manager, programme=self.world.programme,
            partner=self.world.partner_b, checklist_item=self.world.items[2], severity="medium")
        return services.gap_close(actor=self.world.manager, gap=gap,
                                  note="Agreed at the partnership board")

    @functools.cached_property
    def action(self):
        from actions import services as action_services

        return action_services.action_create(
            programme=self.world.programme, actor=self.world.manager, gap=self.gap,
            title="Agree a joint induction", owner_partner=self.world.partner_b,
        )

    @functools.cached_property
    def action_note(self):
        from actions import services as action_services

        return action_services.action_add_note(action=self.action, actor=self.world.manager,
                                               text="Draft shared with the partners")

    @functools.cached_property
    def need(self):
        from learning import services as learning_services

        return learning_services.need_create(
            actor=self.world.manager, programme=self.world.programme, partner=self.world.partner_a,
            staff_group="Care workers", topic="Moving and handling", workers_count=4,
        )

    @functools.cached_property
    def offer(self):
        from learning import services as learning_services

        offer = learning_services.offer_create(actor=self.world.provider_user,
                                               provider=self.world.provider, capacity=10,
                                               title="Moving and handling", format="workshop")
        return learning_services.offer_publish(actor=self.world.provider_user, offer=offer)

    @functools.cached_property
    def placement(self):
        from learning import services as learning_services

        return learning_services.placement_book(actor=self.world.manager, learning_need=self.need,
                                                training_offer=self.offer, places=2)

    @functools.cached_property
    def stream(self):
        from learning import services as learning_services

        return learning_services.stream_create(
            actor=self.world.manager,
            programme=self.world.programme, name="Skills fund", funder=self.world.partner_a,
            amount=Decimal("1000.00"),
        )

    @functools.cached_property
    def allocation(self):
        from learning import services as learning_services

        return learning_services.allocation_create(actor=self.world.manager,
                                                   stream=self.stream, amount=Decimal("100.00"),
                                                   learning_need=self.need)

    @functools.cached_property
    def invitation(self):
        from people import services as people_services

        return people_services.invitation_create(
            actor=self.world.manager, programme=self.world.programme,
            email="invited@example.org", role="reviewer")

    @functools.cached_property
    def champion(self):
        return services.champion_create(
            actor=self.world.manager, programme=self.world.programme,
            partner=self.world.partner_a, principle=self.world.principles[0],
            name="Robin Shaw", job_title="Registered manager")

    @functools.cached_property
    def webhook(self):
        from webhooks import services as webhook_services

        return webhook_services.webhook_create(
            actor=self.world.manager, programme=self.world.programme,
            url="https://example.org/tracker", events=["gap.opened"])

    @functools.cached_property
    def contributor(self):
        from programmes import contributions

        voice = f.UserFactory(username="voice", email="voice@example.org")
        return contributions.contributor_add(
            actor=self.world.manager, assessment=self.assessment, user=voice,
            perspective="carer", tell=False)

    @functools.cached_property
    def contribution(self):
        from programmes import contributions

        return contributions.contribution_save(
            actor=self.world.manager, assessment=self.assessment,
            checklist_item=self.world.items[0], rating="partly_met", comment="Mostly")

    @functools.cached_property
    def evidence(self):
        from programmes import evidence as evidence_services

        return evidence_services.evidence_add(
            actor=self.world.manager, response=self.response,
            url="https://www.example.org/induction", title="Induction handbook")

    @functools.cached_property
    def notification(self):
        """One for the manager (each user sees only their own)."""
        from notifications.models import Notification

        return Notification.objects.create(
            recipient=self.world.manager, kind="action_due", subject_type="action",
            subject_id=self.action.pk, occurrence=datetime.date(2026, 5, 1),
            message="An action is due in 7 days",
        )


# Keyed by collection, or (collection, action url_path) for an action wanting another object.
TARGETS = {
    "partners": lambda s: s.partner,
    "programmes": lambda s: s.world.programme,
    "memberships": lambda s: s.membership,
    "cycles": lambda s: s.cycle,
    "assessments": lambda s: s.assessment,
    "responses": lambda s: s.response,
    "gaps": lambda s: s.gap,
    ("gaps", "reopen"): lambda s: s.closed_gap,
    "actions": lambda s: s.action,
    "action-notes": lambda s: s.action_note,
    "learning-needs": lambda s: s.need,
    "training-offers": lambda s: s.offer,
    "training-sessions": lambda s: s.offer.sessions.order_by("pk").first(),
    "placements": lambda s: s.placement,
    "funding-streams": lambda s: s.stream,
    "funding-allocations": lambda s: s.allocation,
    "notifications": lambda s: s.notification,
    "invitations": lambda s: s.invitation,
    "champions": lambda s: s.champion,
    "webhooks": lambda s: s.webhook,
    "contributors": lambda s: s.contributor,
    "contributions": lambda s: s.contribution,
    "evidence": lambda s: s.evidence,
    # Read-only reference data: only the 405 is checked, any object will do.
    "frameworks": lambda s: s.world.framework,
    "principles": lambda s: s.world.principles[0],
    "checklist-items": lambda s: s.world.items[0],
}

# A POST body is a copy of the target; these values make the copy a new object rather
# than a clash with the original, so that junk in its other fields reaches the services.
FRESH = {
    "assessments": lambda s: {"partner": s.world.partner_b.pk},
    "responses": lambda s: {"checklist_item": s.world.items[3].pk},
    "gaps": lambda s: {"checklist_item": s.world.items[3].pk},
    "memberships": lambda s: {"user": f.UserFactory(username="newcomer").pk},
    "invitations": lambda s: {"email": "someone.else@example.org"},
    "champions": lambda s: {"name": "Someone Else"},
    "contributors": lambda s: {"email": "another.voice@example.org", "user": None},
    "contributions": lambda s: {"checklist_item": s.world.items[1].pk},
}

# Who writes to a collection: the programme's manager, unless only someone else may.
WRITERS = {"training-offers": "provider_user", "training-sessions": "provider_user"}


def target_of(endpoint: Endpoint, scene: Scene):
    build = TARGETS.get((endpoint.collection, endpoint.extra)) or TARGETS.get(endpoint.collection)
    if build is None:
        pytest.skip(f"no target object for {endpoint.collection}: add one to TARGETS")
    return build(scene)


def url_of(endpoint: Endpoint, scene: Scene) -> str:
    if not endpoint.detail:
        return reverse(endpoint.url_name)
    return reverse(endpoint.url_name, kwargs={endpoint.lookup: target_of(endpoint, scene).pk})


# Junk -------------------------------------------------------------------------


class Raw(str):
    """A JSON literal sent as it is (``json.dumps`` cannot write it)."""


def dump(payload) -> str:
    raws = []

    def swap(value):
        if isinstance(value, Raw):
            raws.append(value)
            return f"__raw_literal_{len(raws) - 1}__"
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(payload))
    for i, raw in enumerate(raws):
        text = text.replace(f'"__raw_literal_{i}__"', raw)
    return text


def _deep(depth):
    value = "bottom"
    for _ in range(depth):
        value = {"nested": [value]}
    return value


# Junk that every field of a body gets. A case sends each of its values to all
# fields at once, then alone (in an otherwise valid body) to each field that let
# it through, so that it reaches the services and the database too.
FIELD_JUNK = {
    "wrong_types": {"a dict": {"junk": [1, 2], "id": 1}, "a list": [1, "two", None, {"three": 3}],
                    "true": True, "1.5": 1.5},
    # past PostgreSQL's integer and bigint, below zero, and JSON that Python reads as infinity
    "numbers_out_of_range": {"10**30": 10**30, "2**31": 2**31, "-1": -1, "1e400": Raw("1e400")},
    "huge_and_nul_strings": {"100,000 characters": "x" * 100_000, "a NUL byte": "before\x00after"},
    "unicode_and_emoji": {
        "emoji and scripts": "Zoë 🙂👩🏽‍⚕️ \u202eevil\u202c مرحبا 漢字 \U0001F4A9",
    },
    "lone_surrogate": {"a lone surrogate": "broken \ud800 text"},
    "impossible_dates": {"2026-02-30": "2026-02-30", "99999-01-01": "99999-01-01"},
    "unknown_ids": {"999999999": 999_999_999, '"abc"': "abc"},
    "null_and_empty": {"null": None, "an empty string": ""},
    "deep_structure": {"a structure 100 levels deep": _deep(100)},
}


@dataclass(frozen=True)
class Sent:
    """One request body: text with a content type, or data for a client format."""

    label: str
    body: object
    content_type: str | None = None
    format: str | None = None
    junk: object = None  # the junk value, for bodies that put one in every field
    over_django_limits: bool = False  # past DATA_UPLOAD_MAX_MEMORY_SIZE or _NUMBER_FIELDS

    def send(self, client, method, url):
        if self.format:
            return getattr(client, method)(url, self.body, format=self.format)
        return client.generic(method.upper(), url, self.body, content_type=self.content_type)


def as_json(label, payload, junk=None) -> Sent:
    return Sent(label, dump(payload).encode("utf-8"), JSON, junk=junk)


def _names(fields: Fields) -> list[str]:
    return fields.writable or ["junk"]


def _form_junk(fields):
    parts = []
    for name in _names(fields):
        n = quote(name)
        parts += [f"{n}=%00nul", f"{n}=%ZZ%", f"{n}%5B%5D=1", f"{n}%5Bkey%5D=1",
                  f"{n}={'y' * 3000}"]
    return "&".join(parts + ["", "=", "&&", "%%%=%%%", "no_value", "\u00e9=\u00e9"])


def _literals(fields, *literals):
    """A JSON object giving the fields these literals (which json.dumps cannot write)."""
    names = _names(fields)
    pairs = (f"{json.dumps(n)}: {literals[i % len(literals)]}" for i, n in enumerate(names))
    return "{" + ", ".join(pairs) + "}"


BODY_CASES = {
    "empty_object": lambda fields, base: [as_json("{} (every field missing)", {})],
    "not_an_object": lambda fields, base: [
        as_json("a JSON list", [base or {"a": 1}, 1, "x", None]),
        as_json("a JSON string", "junk"),
        as_json("a JSON number", 42),
        Sent("null", "null", JSON),
    ],
    "invalid_json": lambda fields, base: [
        Sent("truncated JSON", '{"name": "unterminated, ', JSON),
        Sent("bytes that are not UTF-8", b'{"name": "\xff\xfe\xc3"}', JSON),
        Sent("NaN and Infinity", _literals(fields, "NaN", "Infinity", "-Infinity"), JSON),
        Sent("a 5000-digit number", _literals(fields, "9" * 5000), JSON),
        Sent("a text/plain body", "name=x", "text/plain"),
    ],
    "nesting_deeper_than_python": lambda fields, base: [Sent(
        "JSON nested 100,000 deep",
        '{"%s": %s%s}' % (_names(fields)[0], "[" * 100_000, "]" * 100_000), JSON)],
    "read_only_and_unknown_fields": lambda fields, base: [as_json(
        "read-only and unknown fields",
        {**base, **dict.fromkeys(fields.read_only, "junk"), "id": 999_999_999, "no_such": [1]},
    )],
    "form_bodies": lambda fields, base: [
        Sent("form-encoded junk", _form_junk(fields), "application/x-www-form-urlencoded"),
        Sent("a file in every field",
             {n: SimpleUploadedFile("junk.bin", b"\x00\xff" * 64) for n in _names(fields)},
             format="multipart"),
    ],
    "over_django_request_limits": lambda fields, base: [
        Sent("2,000 form fields", "&".join(f"f{i}=1" for i in range(2000)),
             "application/x-www-form-urlencoded", over_django_limits=True),
        Sent("a 3 MB JSON body", dump({_names(fields)[0]: "x" * 3_000_000}), JSON,
             over_django_limits=True),
    ],
}
CASES = [*BODY_CASES, *FIELD_JUNK]
# PUT parses its body exactly as PATCH does (DRF's UpdateModelMixin.update), so
# the cases about parsing run on PATCH; PUT gets the ones about a body's content.
PUT_CASES = ["empty_object", "not_an_object", "read_only_and_unknown_fields", *FIELD_JUNK]
# A DELETE reads no body: junk with it must be ignored or refused, safely.
DELETE_CASES = ["not_an_object", "invalid_json"]
CASES_BY_METHOD = {"put": PUT_CASES, "delete": DELETE_CASES}


def bodies(case: str, fields: Fields, base: dict) -> list[Sent]:
    if case in BODY_CASES:
        return BODY_CASES[case](fields, base)
    return [as_json(f"every field = {label}", {n: junk for n in _names(fields)}, junk=junk)
            for label, junk in FIELD_JUNK[case].items()]


# Checking one request ----------------------------------------------------------


@functools.cache
def _tables() -> tuple[str, ...]:
    """The tables of the project's models that the test database has (read once).

    Not django-axes' record of failed sign-ins: a refused sign-in writes to it on purpose.
    """
    names = connection.introspection.django_table_names(only_existing=True)
    return tuple(sorted(name for name in names if not name.startswith("axes_")))


def snapshot(model) -> tuple:
    """Row counts of every table, and every row of ``model``."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Table names from Django's introspection, quoted: nothing here comes from a request.
        sql = ", ".join(f"(SELECT COUNT(*) FROM {qn(t)})" for t in _tables())  # noqa: S608
        cursor.execute("SELECT " + sql)  # noqa: S608
        counts = dict(zip(_tables(), cursor.fetchone(), strict=True))
    rows = list(model._base_manager.order_by("pk").values()) if model is not None else []
    return counts, rows


def _diff(before, after) -> str:
    counts = {t: (before[0][t], after[0][t]) for t in before[0] if before[0][t] != after[0][t]}
    rows = [(b, a) for b, a in zip(before[1], after[1], strict=False) if b != a]
    return f"row counts changed: {counts}; rows changed: {rows[:3]}"


@dataclass
class Exchange:
    """The requests of one test: to one URL, as one user, checked one by one."""

    endpoint: Endpoint
    url: str
    user: object
    fields: Fields
    _state: tuple | None = None  # the database as the last refused request left it

    def send(self, client, sent: Sent, only: str | None = None):
        """Send one body; assert no 500, JSON 4xx, fields named in 400s, nothing changed on 4xx.

        Returns the answer and its JSON body (None for an answer below 400).
        """
        method = self.endpoint.method
        what = f"{method.upper()} {self.url} as {self.user} with {sent.label}"
        if only:
            what += f" in {only!r} only"
        before = self._state or snapshot(self.endpoint.model)
        self._state = None
        try:
            answer = sent.send(client, method, self.url)
        except Exception as exc:  # the test client re-raises what the view did not handle
            raise AssertionError(f"{what}: the server raised {exc!r} (a 500)") from exc
        shown = answer.content[:2000].decode("utf-8", "replace")
        # then it is not a server error
        assert answer.status_code < 500, f"{what}: {answer.status_code}\n{shown}"
        if answer.status_code < 400:
            return answer, None
        # and a refusal is JSON, says what was wrong and changed nothing
        if not answer["Content-Type"].startswith(JSON):
            raise AssertionError(f"{what}: {answer.status_code} is not JSON "
                                 f"({answer['Content-Type']})\n{shown}")
        body = json.loads(answer.content)
        if answer.status_code == 400:
            named = set(self.fields.writable) | {"non_field_errors", "detail"}
            assert isinstance(body, dict) and named & set(body), (
                f"{what}: a 400 naming neither a field nor non_field_errors/detail\n{shown}")
        after = snapshot(self.endpoint.model)
        assert before == after, (
            f"{what}: refused with {answer.status_code} yet {_diff(before, after)}")
        self._state = after
        return answer, body


def writable_base(exchange: Exchange, scene: Scene, copy: int = 1) -> dict:
    """A valid body: the target as its serializer shows it now (a copy, for POST).

    Custom actions and plain views: the samples of their declared body.
    """
    endpoint, fields = exchange.endpoint, exchange.fields
    if endpoint.method in ("patch", "delete"):
        return {}
    if endpoint.extra or not issubclass(endpoint.view, ViewSetMixin):
        return dict(fields.samples)
    action = endpoint.action if endpoint.action in ("create", "update") else "create"
    target = target_of(endpoint, scene)
    target.refresh_from_db()  # an earlier request may have changed it (its version, say)
    current = json.loads(dump(type(_serializer(endpoint, action))(target).data))
    base = {n: current[n] for n in fields.writable if n in current}
    if endpoint.method == "post":  # a copy must not clash with the original (or earlier copies)
        base.update({n: f"{base[n]} (copy {copy})" for n in fields.plain_text if base.get(n)})
        base.update(FRESH.get(endpoint.collection, lambda s: {})(scene))
    return base


def exercise(endpoint: Endpoint, case: str, world, api, user=None):
    # given the endpoint's target object and the fields it reads
    scene = Scene(world)
    user = user or getattr(world, WRITERS.get(endpoint.collection, "manager"))
    client = api.as_user(user)
    url = url_of(endpoint, scene)
    exchange = Exchange(endpoint, url, user, request_fields(endpoint))
    base, copies = writable_base(exchange, scene), 1

    for sent in bodies(case, exchange.fields, base):
        # when the junk is sent
        answer, body = exchange.send(client, sent)

        # then (checked in send) no 500, and a JSON refusal that changed nothing;
        # and a field that let the junk through does not fail later either, once
        # the rest of the body is valid (a free-text field takes any number or
        # boolean as text: the string cases cover what it stores)
        by_field = answer.status_code == 400 and isinstance(body, dict)
        if sent.junk is None or not by_field:
            continue
        passed = [n for n in exchange.fields.writable if n not in body
                  and (isinstance(sent.junk, str) or n not in exchange.fields.plain_text)]
        for name in passed:
            payload = {name: sent.junk} if endpoint.method == "patch" else {**base, name: sent.junk}
            sent_alone = as_json(sent.label, payload, junk=sent.junk)
            answer, _ = exchange.send(client, sent_alone, only=name)
            written = answer.status_code < 300
            if written and endpoint.method in ("post", "put"):
                copies += 1  # it was written: read the target again, and copy it afresh
                base = writable_base(exchange, scene, copy=copies)


@pytest.fixture(autouse=True)
def no_throttling(monkeypatch):
    """The token endpoint allows 20 requests a minute; this file sends hundreds."""
    cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)


# Tests ---------------------------------------------------------------------------


def _matrix():
    for endpoint in SERVED:
        for case in CASES_BY_METHOD.get(endpoint.method, CASES):
            yield pytest.param(endpoint, case, id=f"{endpoint}-{case}")


@pytest.mark.parametrize(("endpoint", "case"), list(_matrix()))
def test_junk_body_gets_no_server_error(endpoint, case, world, api):
    exercise(endpoint, case, world, api)


STAFF_CASES = ["numbers_out_of_range", "unknown_ids"]


@pytest.mark.parametrize(("endpoint", "case"), [
    pytest.param(e, c, id=f"{e}-{c}")
    for e in SERVED if e.method == "post" and not e.detail for c in STAFF_CASES
])
def test_junk_body_from_staff_gets_no_server_error(endpoint, case, world, api):
    # Staff pass every permission check and see every object, so their junk goes furthest.
    exercise(endpoint, case, world, api, user=world.staff)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=str(e)) for e in NOT_SERVED])
def test_write_to_a_route_that_does_not_take_it_answers_405(endpoint, world, api):
    # given a route that does not take this method (frameworks, principles, ...)
    scene = Scene(world)
    client = api.as_user(world.manager)
    url = url_of(endpoint, scene)
    exchange = Exchange(endpoint, url, world.manager, Fields([], [], set(), {}))

    for sent in [*bodies("empty_object", exchange.fields, {}),
                 *bodies("invalid_json", exchange.fields, {})]:
        # when a body is sent with it
        answer, _ = exchange.send(client, sent)

        # then the method is refused as such
        assert answer.status_code == 405, (
            f"{endpoint}: {answer.status_code} {answer.content[:500]!r}")


def test_discovery_finds_the_known_write_endpoints():
    # given the routes discovered from the routers and the API URLs
    found = {str(e) for e in SERVED}
    refused = {str(e) for e in NOT_SERVED}

    # then the ones the API is known to have are among them
    assert {
        "POST partners", "PUT partners/{id}", "PATCH partners/{id}", "DELETE partners/{id}",
        "POST programmes", "POST memberships", "POST cycles", "POST assessments",
        "POST responses", "POST gaps", "PATCH gaps/{id}", "DELETE gaps/{id}",
        "POST assessments/{id}/submit", "POST gaps/{id}/close", "POST gaps/{id}/reopen",
        "POST api-token",
    } <= found
    assert {"POST frameworks", "PUT principles/{id}", "DELETE checklist-items/{id}"} <= refused


def test_discovery_covers_every_viewset_in_the_url_conf():
    # given every viewset the API's URLs route to
    routed = {
        pattern.callback.cls for _, pattern in _api_patterns()
        if isinstance(getattr(pattern.callback, "cls", None), type)
        and issubclass(pattern.callback.cls, ViewSetMixin)
    }

    # then each is in a router this file reads
    assert routed <= {e.view for e in ENDPOINTS}


def test_every_writable_collection_has_a_target():
    # given the collections with a detail route that takes writes
    needing = {e.collection for e in SERVED if e.detail}

    # then each has an object to aim those writes at
    assert needing <= {k if isinstance(k, str) else k[0] for k in TARGETS}, (
        "add a builder to TARGETS for: " + ", ".join(sorted(needing - set(TARGETS))))


def test_the_declared_bodies_of_custom_actions_are_read():
    # given the gap actions, whose body is declared with @extend_schema
    close = next(e for e in SERVED if e.collection == "gaps" and e.extra == "close")

    # then their fields come from the declared serializer, not the viewset's
    assert set(request_fields(close).writable) == {"reason", "version", "actions"}


def test_the_snapshot_sees_a_changed_row_and_a_new_one(world):
    # given the state of the partners
    from programmes.models import Partner

    before = snapshot(Partner)

    # when one is renamed, then another is added
    Partner.objects.filter(pk=world.partner_a.pk).update(name="Alpha Council (renamed)")
    renamed = snapshot(Partner)
    f.PartnerFactory(name="Epsilon Care")

    # then each change shows
    assert renamed != before and renamed[0] == before[0]
    assert snapshot(Partner)[0] != renamed[0]
