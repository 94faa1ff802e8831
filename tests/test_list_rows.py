"""The actions and gaps lists read their page as plain values: the answer is byte for
byte the one the serializer gives for the same rows, whatever the filters, order, page
and user, and the list runs the same queries for three rows as for sixty. Their id
filters read nothing to check an id: an id of nothing, or of another programme's row,
is an empty list, and only text that is not a number is a 400."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import viewsets

from actions.models import Action
from core.api.rows import ValuesListMixin
from programmes.models import Gap

from . import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def serializer_answer(monkeypatch, client, url, params):
    """The same request answered by the serializer, as every list was before."""
    with monkeypatch.context() as patch:
        patch.setattr(ValuesListMixin, "list", viewsets.ModelViewSet.list)
        return client.get(url, params)


@pytest.fixture
def varied(world):
    """Actions and gaps with every optional value both set and empty."""
    named = f.UserFactory(username="named", first_name="Ann", last_name="O’Neill")
    first_only = f.UserFactory(username="first_only", first_name="Bea", last_name="")
    f.MembershipFactory(programme=world.programme, user=named, role="partner_lead",
                        partner=world.partner_a)
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    opened = datetime.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=datetime.UTC)
    gaps = [
        Gap.objects.create(
            programme=world.programme, partner=world.partner_a, checklist_item=item,
            principle=item.principle, severity=severity, opened_at=opened,
            description=description, opened_by_assessment=assessment if i % 2 else None,
            last_assessment=assessment if i % 3 == 0 else None)
        for i, (item, severity, description) in enumerate([
            (world.items[0], "high", ""),
            (world.items[1], "medium", "Line one\nline two, “quoted” <b>bold</b> é"),
            (world.items[2], "high", "Plain"),
        ])
    ]
    Gap.objects.create(
        programme=world.programme, partner=world.partner_b, checklist_item=world.items[3],
        principle=world.items[3].principle, severity="medium", status="closed",
        opened_at=opened, closed_at=opened + datetime.timedelta(days=40, microseconds=1),
        closed_reason="closed_by_manager", status_note="Agreed at the board")
    Gap.objects.create(
        programme=world.programme, partner=world.partner_b, checklist_item=world.items[4],
        principle=world.items[4].principle, severity="high", status="closure_proposed",
        opened_at=opened)
    done_at = datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC)  # summer time
    rows = [
        dict(gap=gaps[0], owner=world.lead_a, owner_partner=world.partner_a,
             due_date=TODAY - datetime.timedelta(days=3), priority="high"),
        dict(gap=gaps[1], owner=named, owner_partner=None, due_date=None,
             description="Ünïcode and \"quotes\" and \\ backslash"),
        dict(gap=None, owner=None, owner_partner=world.partner_b,
             due_date=TODAY + datetime.timedelta(days=3), status="in_progress"),
        dict(gap=None, owner=first_only, owner_partner=None, status="done",
             completed_at=done_at, created_by=world.manager, due_date=TODAY),
        dict(gap=gaps[2], owner=world.manager, owner_partner=world.partner_a,
             status="cancelled", due_date=TODAY - datetime.timedelta(days=30), version=7),
        dict(gap=None, owner=None, owner_partner=None, due_date=None, status="blocked",
             priority="low"),
    ]
    actions = [f.ActionFactory(programme=world.programme, **row) for row in rows]
    other = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    f.ActionFactory(programme=other, owner=world.lead_a, title="Another programme's")
    return {"gaps": gaps, "actions": actions, "other": other}


ACTION_QUERIES = [
    {}, {"page_size": 2, "page": 2}, {"ordering": "-due_date"}, {"ordering": "priority"},
    {"overdue": "true"}, {"overdue": "false"}, {"open": "true"}, {"no_owner": "true"},
    {"search": "quotes"}, {"status": "done"}, {"principle": "PRINCIPLE"}, {"gap": "GAP"},
    {"owner": "OWNER"}, {"owner_partner": "PARTNER"}, {"due_before": "2099-01-01"},
]
GAP_QUERIES = [
    {}, {"page_size": 2, "page": 2}, {"ordering": "-opened_at"}, {"ordering": "severity"},
    {"status": "closed"}, {"status": "open"}, {"partner": "PARTNER"},
    {"principle": "PRINCIPLE"}, {"principle_number": 2}, {"search": "quoted"},
    {"checklist_item": "ITEM"},
]


def _filled(params, world, varied):
    ids = {"PRINCIPLE": world.principles[0].pk, "GAP": varied["gaps"][0].pk,
           "OWNER": world.lead_a.pk, "PARTNER": world.partner_a.pk,
           "ITEM": world.items[1].pk}
    return {k: ids.get(v, v) if isinstance(v, str) else v for k, v in params.items()}


@pytest.mark.parametrize("user", ["manager", "lead_a", "reviewer", "staff"])
def test_the_actions_list_is_the_serializers_json_byte_for_byte(
        api, world, varied, monkeypatch, user):
    client = api.as_user(getattr(world, user))
    for params in ACTION_QUERIES:
        params = _filled(params, world, varied)
        fast = client.get("/api/v1/actions/", params)
        slow = serializer_answer(monkeypatch, client, "/api/v1/actions/", params)
        assert fast.status_code == slow.status_code == 200, params
        assert fast.content == slow.content, params
        assert fast.get("ETag") == slow.get("ETag")
    listed = client.get("/api/v1/actions/", {"page_size": 200}).json()
    if user in ("manager", "staff"):
        assert {a["id"] for a in listed["results"]} >= {a.pk for a in varied["actions"]}
        assert {a["owner_name"] for a in listed["results"]} >= {
            "Ann O’Neill", "Bea", "lead_a", None}
        assert {a["principle"] for a in listed["results"]} >= {None, world.principles[0].pk}


@pytest.mark.parametrize("user", ["manager", "lead_b", "staff"])
def test_the_gaps_list_is_the_serializers_json_byte_for_byte(
        api, world, varied, monkeypatch, user):
    client = api.as_user(getattr(world, user))
    for params in GAP_QUERIES:
        params = _filled(params, world, varied)
        fast = client.get("/api/v1/gaps/", params)
        slow = serializer_answer(monkeypatch, client, "/api/v1/gaps/", params)
        assert fast.status_code == slow.status_code == 200, params
        assert fast.content == slow.content, params
    closed = client.get("/api/v1/gaps/", {"status": "closed"}).json()["results"]
    assert [g["closed_reason"] for g in closed] == ["closed_by_manager"]


def test_one_gap_and_one_action_still_come_from_the_serializer(api, world, varied):
    client = api.as_user(world.manager)
    action = varied["actions"][1]
    one = client.get(f"/api/v1/actions/{action.pk}/").json()
    listed = client.get("/api/v1/actions/", {"gap": action.gap_id}).json()["results"]
    assert listed == [one]
    gap = varied["gaps"][1]
    assert client.get("/api/v1/gaps/", {"checklist_item": gap.checklist_item_id}).json()[
        "results"] == [client.get(f"/api/v1/gaps/{gap.pk}/").json()]


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("url", "params"), [
    ("/api/v1/actions/", {"owner": "OWNER", "overdue": "true"}),
    ("/api/v1/actions/", {"programme": "PROGRAMME", "owner_partner": "PARTNER",
                          "gap": "GAP", "principle": "PRINCIPLE"}),
    ("/api/v1/gaps/", {"programme": "PROGRAMME", "partner": "PARTNER",
                       "principle": "PRINCIPLE", "checklist_item": "ITEM"}),
])
def test_a_list_counts_and_reads_its_page_in_two_queries_however_many_rows(
        api, world, url, params):
    # given a filter on every id: none of them is looked up
    items = [f.ChecklistItemFactory(principle=world.principles[0], order=10 + i)
             for i in range(60)]
    opened = timezone.now()
    gap = Gap.objects.create(programme=world.programme, partner=world.partner_a,
                             checklist_item=items[0], principle=world.principles[0],
                             severity="high", opened_at=opened)
    ids = {"OWNER": world.lead_a.pk, "PROGRAMME": world.programme.pk,
           "PARTNER": world.partner_a.pk, "GAP": gap.pk, "PRINCIPLE": world.principles[0].pk,
           "ITEM": items[0].pk}
    params = {k: ids[v] for k, v in params.items() if v in ids} | {
        k: v for k, v in params.items() if v not in ids}
    client = api.as_user(world.manager)
    f.ActionFactory(programme=world.programme, gap=gap, owner=world.lead_a,
                    owner_partner=world.partner_a, due_date=TODAY - datetime.timedelta(days=1))
    few = _queries(client, url, params)
    for item in items[1:]:
        g = Gap.objects.create(programme=world.programme, partner=world.partner_a,
                               checklist_item=item, principle=world.principles[0],
                               severity="medium", opened_at=opened)
        f.ActionFactory(programme=world.programme, gap=gap if "gap" in params else g,
                        owner=world.lead_a, owner_partner=world.partner_a,
                        due_date=TODAY - datetime.timedelta(days=2))
    if "checklist_item" in params:
        params["checklist_item"] = items[0].pk
    many = _queries(client, url, params)
    assert few == many == 2  # the count and the page


@pytest.mark.parametrize(("url", "name"), [
    ("/api/v1/actions/", "owner"), ("/api/v1/actions/", "owner_partner"),
    ("/api/v1/actions/", "gap"), ("/api/v1/actions/", "programme"),
    ("/api/v1/actions/", "principle"), ("/api/v1/gaps/", "partner"),
    ("/api/v1/gaps/", "programme"), ("/api/v1/gaps/", "principle"),
    ("/api/v1/gaps/", "checklist_item"),
])
def test_an_id_of_nothing_is_an_empty_list_and_text_is_a_plain_400(api, world, varied,
                                                                    url, name):
    client = api.as_user(world.manager)
    for unknown in (999999, 0, -4, "99999999999999999999999"):
        answer = client.get(url, {name: unknown})
        assert answer.status_code == 200, unknown
        assert answer.json()["count"] == 0
    for text in ("abc", "1.5", "4 5"):
        refused = client.get(url, {name: text})
        assert refused.status_code == 400
        assert refused.json() == {name: ["Give the record's id as a number."]}


def test_an_id_from_another_programme_shows_none_of_its_rows(api, world, varied):
    # the lead of partner A belongs to the world's programme only; partner A is also in
    # the other programme, which has an action of the lead's
    client = api.as_user(world.lead_a)
    other = varied["other"]
    assert client.get("/api/v1/actions/", {"programme": other.pk}).json()["count"] == 0
    mine = client.get("/api/v1/actions/", {"owner": world.lead_a.pk}).json()["results"]
    assert [a["programme"] for a in mine] == [world.programme.pk]
    assert Action.objects.filter(programme=other, owner=world.lead_a).exists()
    outsider = api.as_user(world.outsider)
    assert outsider.get("/api/v1/gaps/", {"partner": world.partner_a.pk}).json()["count"] == 0
    assert outsider.get("/api/v1/actions/", {"programme": world.programme.pk}).json()[
        "count"] == 0
