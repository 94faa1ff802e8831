"""Comparing two cycles (``GET /programmes/{id}/progress/compare/``, programmes/compare.py).

Worked examples with known figures, the plain-English refusals, a fixed number of
queries however many partners, and a property test: on random programmes the endpoint
equals a recomputation in plain Python over the rows the test made.
"""

import datetime
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from programmes.compare import change, movement

from .. import factories as f
from ..web.test_query_counts import programme_of
from .test_progress import SERIAL, Built, programme_specs

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/{}/progress/compare/"


def submitted(cycle, partner, ratings, *, draft=False):
    assessment = f.AssessmentFactory(
        cycle=cycle, partner=partner, status="draft" if draft else "submitted",
        submitted_at=None if draft else timezone.now())
    for item, rating in ratings.items():
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating)
    return assessment


@pytest.fixture
def two_cycles(world):
    """Baseline and Review of partners A and B (items 0-1 in principle 1, 2-4 in 2).

    A: 0 not_met -> met, 1 met -> partly_met, 2 partly_met -> partly_met,
       3 met -> not_applicable (not compared), 4 unanswered -> met (not compared).
    B: 0 not_met -> partly_met, 1 met -> met, 2 not_met -> met.
    The provider's Review is a draft, which does not count.
    """
    items = world.items
    world.review = f.CycleFactory(programme=world.programme, name="Review",
                                  period_start=datetime.date(2026, 4, 1),
                                  period_end=datetime.date(2026, 6, 30))
    submitted(world.cycle, world.partner_a, {
        items[0]: "not_met", items[1]: "met", items[2]: "partly_met", items[3]: "met"})
    submitted(world.review, world.partner_a, {
        items[0]: "met", items[1]: "partly_met", items[2]: "partly_met",
        items[3]: "not_applicable", items[4]: "met"})
    submitted(world.cycle, world.partner_b, {
        items[0]: "not_met", items[1]: "met", items[2]: "not_met"})
    submitted(world.review, world.partner_b, {
        items[0]: "partly_met", items[1]: "met", items[2]: "met"})
    submitted(world.review, world.provider, {item: "met" for item in items}, draft=True)
    return world


def get(api, world, user=None, **params):
    api.as_user(user or world.manager)
    return api.get(URL.format(world.programme.pk), params)


def codes(entries):
    return [(e["code"], e["partners"], e["from_rating"], e["to_rating"]) for e in entries]


# The rules of a move and of a change ---------------------------------------------------


@pytest.mark.parametrize(("earlier", "later", "expected"), [
    ("not_met", "partly_met", "improved"), ("partly_met", "met", "improved"),
    ("not_met", "met", "improved"), ("met", "not_met", "worsened"),
    ("met", "partly_met", "worsened"), ("partly_met", "partly_met", "stayed"),
    ("met", "not_applicable", None), ("not_applicable", "not_applicable", None),
    (None, "met", None), ("not_met", None, None),
])
def test_a_rating_moves_up_down_or_stays_and_not_applicable_is_not_compared(
        earlier, later, expected):
    # given two ratings of one item; when compared; then the move, or None
    assert movement(earlier, later) == expected


def test_the_change_is_exact_to_one_decimal():
    # given scores that floats would subtract badly; then the change is exact
    assert change(33.3, 66.7) == 33.4
    assert change(87.5, 75.1) == -12.4
    assert change(None, 50.0) is None


# Worked example through the API -------------------------------------------------------


def test_compare_for_the_programme(api, two_cycles):
    w = two_cycles

    # when the manager compares Baseline with Review
    response = get(api, w, **{"from": w.cycle.pk, "to": w.review.pk})

    # then each principle's scores are those of the submitted assessments of each cycle
    assert response.status_code == 200
    body = response.json()
    assert body["from_cycle"] == {"id": w.cycle.pk, "name": "Baseline", "submitted": 2,
                                  "period_start": "2026-01-01", "period_end": "2026-03-31"}
    assert body["to_cycle"]["submitted"] == 2  # the provider's draft is not counted
    first, second = body["principles"]
    # principle 1, Baseline: A not_met, met; B not_met, met -> 2 of 4 = 50.0
    # Review: A met, partly; B partly, met -> 3 of 4 = 75.0
    assert (first["number"], first["from_score"], first["to_score"], first["change"]) == (
        1, 50.0, 75.0, 25.0)
    assert (first["improved"], first["worsened"], first["stayed"]) == (2, 1, 1)
    # principle 2, Baseline: A partly, met; B not_met -> 1.5 of 3 = 50.0
    # Review: A partly, met; B met -> 2.5 of 3 = 83.3 (A's not applicable is left out)
    assert (second["from_score"], second["to_score"], second["change"]) == (50.0, 83.3, 33.3)
    assert (second["improved"], second["worsened"], second["stayed"]) == (1, 0, 1)
    # overall: 3.5 of 7 = 50.0, then 5.5 of 7 = 78.6
    assert body["overall"] == {"from_score": 50.0, "to_score": 78.6, "change": 28.6,
                               "improved": 3, "worsened": 1, "stayed": 2}

    # and each item says how many partners moved which way, in the framework's order
    items = body["items"]
    code = [i.code for i in w.items]
    assert codes(items["improved"]) == [(code[0], 2, None, None), (code[2], 1, None, None)]
    assert codes(items["worsened"]) == [(code[1], 1, None, None)]
    assert codes(items["stayed"]) == [(code[1], 1, None, None), (code[2], 1, None, None)]
    assert items["improved"][0]["text"] == w.items[0].text
    assert items["improved"][1]["principle"] == 2


def test_compare_for_one_partner_gives_both_ratings(api, two_cycles):
    w = two_cycles

    # when partner A's lead compares A's two assessments
    response = get(api, w, w.lead_a, **{"from": w.cycle.pk, "to": w.review.pk,
                                        "partner": w.partner_a.pk})

    # then the scores are A's and each moved item carries its two ratings
    assert response.status_code == 200
    body = response.json()
    assert (body["partner"], body["partner_name"]) == (w.partner_a.pk, "Alpha Council")
    # Baseline: not_met, met | partly, met -> 2.5 of 4; Review: met, partly | partly, met -> 3 of 4
    assert body["overall"]["from_score"] == 62.5
    assert body["overall"]["to_score"] == 75.0
    assert body["overall"]["change"] == 12.5
    code = [i.code for i in w.items]
    assert codes(body["items"]["improved"]) == [(code[0], 1, "not_met", "met")]
    assert codes(body["items"]["worsened"]) == [(code[1], 1, "met", "partly_met")]
    assert codes(body["items"]["stayed"]) == [(code[2], 1, "partly_met", "partly_met")]


def test_compare_backwards_swaps_the_scores_and_the_moves(api, two_cycles):
    w = two_cycles
    forward = get(api, w, **{"from": w.cycle.pk, "to": w.review.pk}).json()

    # when the later cycle is put first
    backward = get(api, w, **{"from": w.review.pk, "to": w.cycle.pk}).json()

    # then the scores swap, the change turns round, improved and worsened swap
    assert backward["overall"]["from_score"] == forward["overall"]["to_score"]
    assert backward["overall"]["change"] == -forward["overall"]["change"]
    assert codes(backward["items"]["improved"]) == codes(forward["items"]["worsened"])
    assert codes(backward["items"]["worsened"]) == codes(forward["items"]["improved"])


def test_a_cycle_with_nothing_submitted_has_no_score(api, two_cycles):
    w = two_cycles
    empty = f.CycleFactory(programme=w.programme, name="Next",
                           period_start=datetime.date(2026, 7, 1),
                           period_end=datetime.date(2026, 9, 30))

    # when the Review is compared with a cycle nobody has submitted
    body = get(api, w, **{"from": w.review.pk, "to": empty.pk}).json()

    # then the later scores and the changes are null, and nothing moved
    assert body["to_cycle"]["submitted"] == 0
    assert body["overall"]["to_score"] is None and body["overall"]["change"] is None
    assert body["items"] == {"improved": [], "worsened": [], "stayed": []}


def test_inactive_items_are_neither_scored_nor_listed(api, two_cycles):
    w = two_cycles
    w.items[0].is_active = False
    w.items[0].save()

    body = get(api, w, **{"from": w.cycle.pk, "to": w.review.pk}).json()

    # principle 1 keeps only item 1: Baseline met, met; Review partly, met -> 75.0
    assert (body["principles"][0]["from_score"], body["principles"][0]["to_score"]) == (
        100.0, 75.0)
    assert w.items[0].code not in [e["code"] for e in body["items"]["improved"]]


# Refusals -----------------------------------------------------------------------------


def test_a_cycle_of_another_programme_is_refused_in_plain_english(api, two_cycles):
    w = two_cycles
    elsewhere = f.CycleFactory(name="Elsewhere")  # its own programme

    response = get(api, w, **{"from": w.cycle.pk, "to": elsewhere.pk})

    assert response.status_code == 400
    assert response.json()["to"] == ["This cycle is not in the programme."]


@pytest.mark.parametrize("params", [
    {}, {"from": "1"}, {"to": "1"}, {"from": "abc", "to": "1"},
    {"from": "0", "to": "1"}, {"from": "1", "to": "99999999999999999999999"},
])
def test_missing_or_malformed_cycles_are_a_400(api, two_cycles, params):
    response = get(api, two_cycles, **params)
    assert response.status_code == 400
    assert set(response.json()) & {"from", "to"}


def test_the_same_cycle_twice_is_refused(api, two_cycles):
    w = two_cycles
    response = get(api, w, **{"from": w.cycle.pk, "to": w.cycle.pk})
    assert response.status_code == 400
    assert response.json()["to"] == ["Choose two different cycles to compare."]


@pytest.mark.parametrize("partner", ["outside", "abc", "-1"])
def test_a_partner_outside_the_programme_is_refused(api, two_cycles, partner):
    w = two_cycles
    outside = f.PartnerFactory(name="Not In It")
    value = str(outside.pk) if partner == "outside" else partner

    response = get(api, w, **{"from": w.cycle.pk, "to": w.review.pk, "partner": value})

    assert response.status_code == 400
    if partner == "outside":
        assert response.json()["partner"] == ["This partner is not in the programme."]


def test_outsiders_get_a_404_and_anonymous_readers_are_refused(api, client, two_cycles):
    w = two_cycles
    params = {"from": w.cycle.pk, "to": w.review.pk}
    assert get(api, w, w.outsider, **params).status_code == 404
    assert client.get(URL.format(w.programme.pk), params).status_code in (401, 403)


def test_every_member_may_compare(api, two_cycles):
    w = two_cycles
    params = {"from": w.cycle.pk, "to": w.review.pk}
    for user in (w.reviewer, w.provider_user, w.lead_b):
        assert get(api, w, user, **params).status_code == 200


# A fixed number of queries ------------------------------------------------------------


@pytest.mark.parametrize("one_partner", [False, True])
def test_queries_do_not_grow_with_the_number_of_partners(api, django_assert_num_queries,
                                                         one_partner):
    # given programmes of 2 and of 20 partners, each with two submitted cycles
    small, small_manager = programme_of(2, "small")
    large, large_manager = programme_of(20, "large")

    def params(programme):
        first, second = programme.cycles.order_by("period_end")
        out = {"from": first.pk, "to": second.pk}
        if one_partner:
            out["partner"] = programme.partners.order_by("name").last().pk
        return out

    api.as_user(small_manager)
    small_params = params(small)
    api.get(URL.format(small.pk), small_params)  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = api.get(URL.format(small.pk), small_params)
    assert response.status_code == 200
    count = len(queries)

    # when the large one is compared, then it takes exactly as many queries
    api.as_user(large_manager)
    large_params = params(large)
    api.get(URL.format(large.pk), large_params)
    with django_assert_num_queries(count):
        response = api.get(URL.format(large.pk), large_params)
    assert response.status_code == 200
    moved = sum(len(v) for v in response.json()["items"].values())
    assert moved > 0
    if not one_partner:  # every partner answered every item in both cycles the same way
        assert response.json()["overall"]["stayed"] == 20 * 9 - sum(
            1 for n in range(20) for i in range(9) if (n + i) % 5 == 3)  # not applicable
    print(f"compare: {count} queries for 2 and for 20 partners")
    assert count <= 12


# Property: the endpoint equals a plain-Python recomputation ---------------------------

RANK = {"not_met": 0, "partly_met": 1, "met": 2}


@st.composite
def compare_specs(draw):
    """A random programme of ``test_progress`` with two cycles, compared either way."""
    spec = draw(programme_specs().filter(lambda s: len(s["cycles"]) == 2))
    spec["from"], spec["to"] = draw(st.permutations([0, 1]))
    return spec


def plain_score(ratings: Counter):
    applicable = ratings["met"] + ratings["partly_met"] + ratings["not_met"]
    if not applicable:
        return None
    # 100 * (met + partly/2) / applicable, rounded half up to one decimal, in integers
    return (1000 * (2 * ratings["met"] + ratings["partly_met"]) + applicable) // (
        2 * applicable) / 10


def recompute_compare(spec):
    scope = spec["scope"]
    in_scope = [scope] if scope is not None else list(range(spec["partners"]))
    answers = {  # (cycle, partner) -> {item: rating} of submitted assessments
        (a["cycle"], a["partner"]): a["ratings"]
        for a in spec["assessments"] if a["status"] == "submitted"
    }
    counts = defaultdict(Counter)  # (cycle, principle) -> ratings
    moves = defaultdict(Counter)  # principle -> moves
    items = {"improved": Counter(), "worsened": Counter(), "stayed": Counter()}
    ratings_of = {}
    for partner in in_scope:
        for cycle in (spec["from"], spec["to"]):
            for item, rating in answers.get((cycle, partner), {}).items():
                principle, active = spec["items"][item]
                if active:
                    counts[(cycle, principle)][rating] += 1
        before = answers.get((spec["from"], partner), {})
        after = answers.get((spec["to"], partner), {})
        for item in before.keys() & after.keys():
            principle, active = spec["items"][item]
            a, b = before[item], after[item]
            if not active or a not in RANK or b not in RANK:
                continue
            way = "improved" if RANK[b] > RANK[a] else "worsened" if RANK[b] < RANK[a] \
                else "stayed"
            moves[principle][way] += 1
            items[way][item] += 1
            ratings_of[item] = (a, b)

    def figures(principles):
        before, after = Counter(), Counter()
        for p in principles:
            before.update(counts[(spec["from"], p)])
            after.update(counts[(spec["to"], p)])
        b, a = plain_score(before), plain_score(after)
        out = {"from_score": b, "to_score": a,
               "change": None if b is None or a is None else (round(a * 10) - round(b * 10)) / 10}
        for way in ("improved", "worsened", "stayed"):
            out[way] = sum(moves[p][way] for p in principles)
        return out

    principles = range(len(spec["principles"]))
    return {
        "principles": [figures([p]) for p in principles],
        "overall": figures(principles),
        "items": {
            way: [
                (f"{spec['items'][item][0] + 1}.{item}", n,
                 *(ratings_of[item] if scope is not None else (None, None)))
                for item, n in sorted(counted.items())
            ]
            for way, counted in items.items()
        },
    }


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(spec=compare_specs())
def test_compare_equals_a_plain_python_recomputation(db, spec):
    # given a random programme, built inside a savepoint undone after the example
    with transaction.atomic():
        serial = next(SERIAL)
        built = Built(spec, serial)
        staff = get_user_model().objects.create(username=f"compare-{serial}", is_staff=True)
        client = APIClient()
        client.force_authenticate(user=staff)
        params = {"from": built.cycles[spec["from"]].pk, "to": built.cycles[spec["to"]].pk}
        if spec["scope"] is not None:
            params["partner"] = built.partners[spec["scope"]].pk

        # when the endpoint compares the two cycles
        response = client.get(URL.format(built.programme.pk), params)

        # then it equals the recomputation, principle by principle, overall and item by item
        assert response.status_code == 200, response.content
        body = response.json()
        expected = recompute_compare(spec)
        figures = ("from_score", "to_score", "change", "improved", "worsened", "stayed")
        assert [p["id"] for p in body["principles"]] == [p.pk for p in built.principles]
        assert [{k: p[k] for k in figures} for p in body["principles"]] == expected["principles"]
        assert {k: body["overall"][k] for k in figures} == expected["overall"]
        assert {way: codes(entries) for way, entries in body["items"].items()} == \
            expected["items"]
        transaction.set_rollback(True)
