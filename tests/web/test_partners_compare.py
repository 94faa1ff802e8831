"""The pages of partners' own view and of comparing cycles, and the gap's answer.

The "Compare cycles" page, the partners × principles score matrix, a partner's page,
the principle heat map's links and question texts, and the gap page's answer; each
page reads a fixed number of queries however many partners the programme has.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programmes.models import Gap, ProgressSnapshot
from programmes.services import assessment_submit
from programmes.snapshots import snapshot_take

from .. import factories as f
from .test_query_counts import programme_of

pytestmark = pytest.mark.django_db

# The heading a responsive table's cell shows above its value on a phone.
HEADING = r'(?:<span class="nhsuk-table-responsive__heading"[^>]*>[^<]*</span>)?'


def html_of(response):
    return response.content.decode()


def section(html, testid):
    """The element marked ``data-testid=testid``, to its closing tag (tables, lists)."""
    start = html.index(f'data-testid="{testid}"')
    tag = html[html.rindex("<", 0, start) + 1:start].split()[0]
    return html[start:html.index(f"</{tag}>", start)]


@pytest.fixture
def review(site):
    """A Review cycle after the site's Baseline, submitted by partner A:
    item 1 not met -> met (its gap closes), item 2 met -> partly met, item 3 partly met
    -> partly met, item 4 met -> not met, item 5 not applicable -> met."""
    w = site.world
    cycle = f.CycleFactory(programme=w.programme, name="Review",
                           period_start=datetime.date(2026, 4, 1),
                           period_end=datetime.date(2026, 6, 30))
    assessment = f.AssessmentFactory(cycle=cycle, partner=w.partner_a)
    for item, rating in zip(w.items, ["met", "partly_met", "partly_met", "not_met", "met"],
                            strict=True):
        f.ResponseFactory(assessment=assessment, checklist_item=item, rating=rating,
                          evidence=f"Review evidence {item.code}", notes=f"Note {item.code}")
    assessment_submit(actor=w.manager, assessment=assessment)
    site.review, site.review_assessment = cycle, assessment
    return site


# Compare cycles ---------------------------------------------------------------------


def test_compare_page_shows_the_latest_cycle_against_the_one_before(review, as_user):
    w = review.world
    # when the manager opens the page without choosing
    response = as_user(w.manager).get(reverse("web:compare", args=[w.programme.pk]))

    # then the Review is compared with the Baseline, principle by principle, in words
    assert response.status_code == 200
    html = html_of(response)
    table = section(html, "compare-table")
    # principle 1: 1 not met, 1 met (50.0) -> met, partly met (75.0)
    assert re.search(fr"50\.0%</td>\s*<td[^>]*>{HEADING}75\.0%</td>\s*<td[^>]*>{HEADING}"
                     r"Up 25\.0 points", table)
    # principle 2: partly, met (75.0) -> partly, not met, met (50.0)
    assert re.search(fr"75\.0%</td>\s*<td[^>]*>{HEADING}50\.0%</td>\s*<td[^>]*>{HEADING}"
                     r"Down 25\.0 points", table)
    assert "1 improved, 1 worsened, 0 stayed" in table
    # and the items that moved, with how many partners moved
    improved = section(html, "compare-improved")
    worsened = section(html, "compare-worsened")
    assert w.items[0].code in improved and "1 partner" in improved
    assert w.items[1].code in worsened and w.items[3].code in worsened
    assert w.items[4].code not in improved + worsened  # not applicable before: not compared
    assert "Show the 1 item that stayed the same" in html
    # the form keeps the choice
    assert re.search(rf'<option value="{review.review.pk}" selected>Review', html)


def test_compare_page_for_one_partner_gives_both_ratings_in_words(review, as_user):
    w = review.world
    url = reverse("web:compare", args=[w.programme.pk])
    response = as_user(w.lead_b).get(url, {"from": w.cycle.pk, "to": review.review.pk,
                                           "partner": w.partner_a.pk})
    html = html_of(response)
    assert response.status_code == 200
    assert "Baseline and Review: Alpha Council" in html
    assert "not met in Baseline, met in Review" in section(html, "compare-improved")
    assert "met in Baseline, partly met in Review" in section(html, "compare-worsened")


def test_compare_page_refuses_cycles_in_plain_english(review, as_user):
    w = review.world
    client = as_user(w.manager)
    url = reverse("web:compare", args=[w.programme.pk])
    elsewhere = f.CycleFactory(name="Elsewhere")

    # a cycle of another programme is not one of the choices
    response = client.get(url, {"from": w.cycle.pk, "to": elsewhere.pk})
    assert response.status_code == 400
    html = html_of(response)
    assert "There is a problem" in html and "Select a cycle of this programme" in html
    assert 'data-testid="compare-table"' not in html

    # the same cycle twice
    response = client.get(url, {"from": w.cycle.pk, "to": w.cycle.pk})
    assert response.status_code == 400
    assert "Choose two different cycles to compare." in html_of(response)

    # a partner outside the programme
    outside = f.PartnerFactory(name="Not In It")
    response = client.get(url, {"from": w.cycle.pk, "to": review.review.pk,
                                "partner": outside.pk})
    assert response.status_code == 400
    assert "Select a partner of this programme" in html_of(response)

    # an empty choice
    response = client.get(url, {"from": "", "to": review.review.pk})
    assert response.status_code == 400
    assert "Select the earlier cycle" in html_of(response)


def test_compare_page_with_one_cycle_says_it_needs_two(site, as_user):
    w = site.world
    response = as_user(w.reviewer).get(reverse("web:compare", args=[w.programme.pk]))
    assert response.status_code == 200
    assert "Comparing needs two assessment cycles; this programme has 1." in html_of(response)


def test_compare_is_linked_from_the_dashboard_and_the_cycles_page(site, as_user):
    w = site.world
    client = as_user(w.reviewer)
    url = reverse("web:compare", args=[w.programme.pk])
    for page in ("web:dashboard", "web:cycles"):
        assert f'href="{url}"' in html_of(client.get(reverse(page, args=[w.programme.pk])))
    assert reverse("web:partners", args=[w.programme.pk]) in html_of(
        client.get(reverse("web:dashboard", args=[w.programme.pk])))


# The score matrix and a partner's page ------------------------------------------------


def test_score_matrix_links_each_score_to_the_partners_answers(review, as_user):
    w = review.world
    response = as_user(w.reviewer).get(reverse("web:partners", args=[w.programme.pk]))
    assert response.status_code == 200
    table = section(html_of(response), "score-matrix")
    # partner A's row: its Review (the latest submitted) 75.0 and 50.0, linked to its answers
    answers = reverse("web:assessment-section", args=[review.review_assessment.pk, 1])
    assert re.search(rf'tracker-rating--met"><a href="{answers}">75\.0%', table)
    assert re.search(r'tracker-rating--partly_met"><a href="[^"]+/principles/2/">50\.0%', table)
    # every partner is a row leading to its page; those who never submitted are not assessed
    for partner in (w.partner_a, w.partner_b, w.provider):
        assert reverse("web:partner", args=[w.programme.pk, partner.pk]) in table
    assert table.count("Not assessed") == 6  # B and the provider: 2 principles and overall
    # the principle's title is in the header for screen readers
    assert f"Principle 1: {w.principles[0].title}" in table


def test_partner_page_shows_scores_trend_open_gaps_and_overdue_actions(review, as_user):
    w = review.world
    # given an overdue action on partner A's open gap, one of partner B's, and snapshots
    gap = Gap.objects.get(partner=w.partner_a, checklist_item=w.items[2], status="open")
    f.ActionFactory(programme=w.programme, gap=gap, title="Late for A",
                    due_date=datetime.date(2020, 1, 1))
    f.ActionFactory(programme=w.programme, owner_partner=w.partner_b, title="Late for B",
                    due_date=datetime.date(2020, 1, 1))
    f.ActionFactory(programme=w.programme, owner_partner=w.partner_a, title="Done for A",
                    due_date=datetime.date(2020, 1, 1), status="done",
                    completed_at=timezone.now())
    ProgressSnapshot.objects.filter(partner=w.partner_a).update(
        date=timezone.localdate() - datetime.timedelta(days=7))
    snapshot_take(programme=w.programme, day=timezone.localdate())

    # when a reviewer opens partner A's page
    response = as_user(w.reviewer).get(
        reverse("web:partner", args=[w.programme.pk, w.partner_a.pk]))

    # then it shows A's score, the change since the first snapshot, gaps and overdue work
    assert response.status_code == 200
    html = html_of(response)
    assert re.search(r'data-testid="partner-score">60\.0%', html)  # 3 of 5 applicable
    principles = section(html, "partner-principles")
    assert "Up 25.0 points" in principles and "Down 25.0 points" in principles
    trend = section(html, "partner-trend")
    assert trend.count('<th scope="row"') == 2
    gaps = section(html, "partner-gaps-table")
    assert all(w.items[n].code in gaps for n in (1, 2, 3))  # partly met, partly met, not met
    overdue = section(html, "partner-overdue-table")
    assert "Late for A" in overdue and "Late for B" not in overdue and "Done for A" not in overdue
    assert f'?partner={w.partner_a.pk}' in html  # compare this partner's cycles


def test_a_partner_lead_reaches_their_own_page_from_the_dashboard(site, as_user):
    w = site.world
    own = reverse("web:partner", args=[w.programme.pk, w.partner_a.pk])
    dashboard = reverse("web:dashboard", args=[w.programme.pk])
    assert f'href="{own}">Your organisation' in html_of(as_user(w.lead_a).get(dashboard))
    assert "Your organisation" not in html_of(as_user(w.manager).get(dashboard))


def test_partner_page_is_404_outside_the_programme(site, as_user):
    w = site.world
    stranger = f.PartnerFactory(name="Elsewhere Trust")
    assert as_user(w.manager).get(
        reverse("web:partner", args=[w.programme.pk, stranger.pk])).status_code == 404
    assert as_user(w.outsider).get(
        reverse("web:partner", args=[w.programme.pk, w.partner_a.pk])).status_code == 404


# The principle heat map ---------------------------------------------------------------


def test_heat_map_cells_link_to_the_answer_and_the_gap(site, as_user):
    w = site.world
    html = html_of(as_user(w.reviewer).get(reverse("web:principle", args=[w.programme.pk, 1])))
    table = section(html, "heatmap")
    # partner A's item 1 is not met: the cell links to A's answers and to the open gap
    answers = reverse("web:assessment-section", args=[site.assessment.pk, 1])
    assert re.search(rf'tracker-rating--not_met"><a href="{answers}">Not met', table)
    assert f'href="{reverse("web:gap", args=[site.gap.pk])}"' in table
    assert f"Gap<span class=\"nhsuk-u-visually-hidden\"> of Alpha Council on {w.items[0].code}" \
        in table
    # the partners lead to their pages
    assert reverse("web:partner", args=[w.programme.pk, w.partner_b.pk]) in table


def test_heat_map_headers_carry_the_question_text_in_full_for_screen_readers(site, as_user):
    w = site.world
    item = w.items[0]
    item.text = "Leaders across health and social care share one workforce plan and review it"
    item.save()
    html = html_of(as_user(w.reviewer).get(reverse("web:principle", args=[w.programme.pk, 1])))
    header = html[html.index('data-testid="heatmap"'):html.index("</thead>")]
    assert f'<span class="nhsuk-u-visually-hidden">{item.code} {item.text}</span>' in header
    assert "Leaders across health and socia…" in header  # the abbreviation, shown
    assert f'href="#item-{item.pk}"' in header and f'id="item-{item.pk}"' in html


# The gap page's answer ----------------------------------------------------------------


def test_gap_page_shows_the_answer_that_keeps_it_open_and_its_assessment(review, as_user):
    w = review.world
    # item 3 was partly met in the Baseline and again in the Review: the gap is kept open
    gap = Gap.objects.get(partner=w.partner_a, checklist_item=w.items[2], status="open")
    html = html_of(as_user(w.reviewer).get(reverse("web:gap", args=[gap.pk])))
    answer = section(html, "gap-answer").split("</dl>")[0]
    assert "Partly met" in answer
    assert f"Review evidence {w.items[2].code}" in answer and f"Note {w.items[2].code}" in answer
    assert reverse("web:assessment", args=[review.review_assessment.pk]) in answer
    assert "Review self-assessment of Alpha Council" in answer
    # and the earlier answer, from the Baseline
    earlier = section(html, "gap-earlier-answers")
    assert reverse("web:assessment", args=[review.assessment.pk]) in earlier


def test_gap_page_of_a_gap_opened_by_hand_says_so(site, as_user):
    w = site.world
    gap = Gap.objects.create(programme=w.programme, partner=w.partner_b,
                             checklist_item=w.items[1], principle=w.principles[0],
                             severity="medium", opened_at=timezone.now())
    html = html_of(as_user(w.manager).get(reverse("web:gap", args=[gap.pk])))
    assert "No submitted self-assessment has answered this item" in html


def test_an_action_without_an_owner_shows_on_its_gap_and_its_own_page(site, as_user):
    # given an action nobody owns yet (the owner is optional)
    w = site.world
    action = f.ActionFactory(programme=w.programme, gap=site.gap, owner=None,
                             title="Find an owner")
    client = as_user(w.reviewer)

    # then both pages render and say so
    for url in (reverse("web:gap", args=[site.gap.pk]), reverse("web:action", args=[action.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "No owner" in html_of(response)


# A fixed number of queries ------------------------------------------------------------


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["partners", "partner", "compare", "compare-partner", "gap"])
def test_pages_read_as_many_queries_for_20_partners_as_for_2(client, page,
                                                            django_assert_num_queries):
    # given programmes of 2 and 20 partners, each with two cycles, gaps, work and snapshots
    small, small_manager = programme_of(2, "small")
    large, large_manager = programme_of(20, "large")

    def url(programme):
        partner = programme.partners.order_by("name").first()
        if page == "partners":
            return reverse("web:partners", args=[programme.pk])
        if page == "partner":
            return reverse("web:partner", args=[programme.pk, partner.pk])
        if page == "gap":
            return reverse("web:gap", args=[programme.gaps.order_by("pk").first().pk])
        query = f"?partner={partner.pk}" if page == "compare-partner" else ""
        return reverse("web:compare", args=[programme.pk]) + query

    small_url, large_url = url(small), url(large)
    client.force_login(small_manager)
    client.get(small_url)
    count = queries_for(client, small_url)

    # when the large one is read, then it takes exactly as many queries
    client.force_login(large_manager)
    client.get(large_url)
    with django_assert_num_queries(count):
        response = client.get(large_url)
    html = html_of(response)
    if page == "partners":
        assert html.count('<th scope="row"') == 20
    if page == "partner":
        assert 'data-testid="partner-overdue-table"' in html
    if page.startswith("compare"):
        assert 'data-testid="compare-table"' in html
    print(f"{page}: {count} queries for 2 and for 20 partners")
    assert count < 25
