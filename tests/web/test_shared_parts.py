"""The pieces several pages share, on each page that uses them.

The score-by-principle table (``_score_table.html``) of the dashboard and a partner's
page, and the filter form (``_filters.html``) of the action board, the gap register
and the learning needs: each page asks for its own columns, links and filters.
"""

import re

import pytest
from django.urls import reverse

from .test_partners_compare import section

pytestmark = pytest.mark.django_db


def headers(table):
    return re.findall(r'<th scope="col" class="nhsuk-table__header[^"]*">([^<]+)</th>', table)


def first_cells(table):
    """Each row's first cell, without the heading a phone shows above it."""
    return re.findall(r'<tr class="nhsuk-table__row">\s*<td class="nhsuk-table__cell">'
                      r'(?:<span class="nhsuk-table-responsive__heading"[^>]*>[^<]*</span>)?'
                      r'(.*?)</td>', table)


# The score-by-principle table -------------------------------------------------------


def test_the_dashboards_score_table_links_each_principle_and_shows_its_work(site, as_user):
    w = site.world
    # when a reviewer opens the dashboard
    html = as_user(w.reviewer).get(reverse("web:dashboard", args=[w.programme.pk])).content.decode()

    # then each principle links to its page, with its bar, its counts and its work
    table = section(html, "progress-table")
    assert headers(table) == ["Principle", "Score", "Open gaps", "Co-produced", "Actions done",
                              "Learning needs met", "Funding"]
    page = reverse("web:principle", args=[w.programme.pk, 1])
    assert first_cells(table)[0] == f'<a href="{page}">1. {w.principles[0].title}</a>'
    assert '<rect class="tracker-progress__bar" width="50.0" height="10"/>' in table
    assert '<strong class="tracker-score__figure">50.0%</strong>' in table
    assert "1 met, 0 partly met, 1 not met" in table
    assert ">0 of 1<" in table and ">£250.00<" in table
    assert "Score and work for each principle" in table


def test_a_partners_score_table_links_to_its_answers_without_the_work(site, as_user):
    w = site.world
    # when a reviewer opens the page of partner A (which submitted) and of partner B
    client = as_user(w.reviewer)
    submitted = section(client.get(reverse("web:partner", args=[w.programme.pk, w.partner_a.pk]))
                        .content.decode(), "partner-principles")
    unassessed = section(client.get(reverse("web:partner", args=[w.programme.pk, w.partner_b.pk]))
                         .content.decode(), "partner-principles")

    # then A's principles lead to its answers; B's are not assessed and lead nowhere
    assert headers(submitted) == ["Principle", "Score", "Open gaps"]
    answers = reverse("web:assessment-section", args=[site.assessment.pk, 2])
    assert first_cells(submitted)[1] == f'<a href="{answers}">2. {w.principles[1].title}</a>'
    assert f"Score of {w.partner_a.name} on each principle" in submitted
    assert first_cells(unassessed) == [f"1. {w.principles[0].title}",
                                       f"2. {w.principles[1].title}"]
    assert unassessed.count("Not assessed") == 2
    assert '<rect class="tracker-progress__bar" width="0" height="10"/>' in unassessed
    assert "£" not in submitted + unassessed


# The filter form ---------------------------------------------------------------------


def form_of(html):
    start = html.index('<form method="get"')
    return html[start:html.index("</form>", start)]


def drop_downs(form):
    return re.findall(r'<select class="nhsuk-select nhsuk-u-width-full" id="id_(\w+)"', form)


def test_the_boards_filter_form_keeps_the_search_the_choices_and_the_boxes(site, as_user):
    w = site.world
    # when a manager filters the board by a search, a status and two check boxes
    html = as_user(w.manager).get(reverse("web:action-board", args=[w.programme.pk]), {
        "search": 'rota "B"', "status": "in_progress", "overdue": "true", "no_owner": "true",
    }).content.decode()

    # then the form shows them all as chosen, and its own drop-downs in order
    form = form_of(html)
    assert 'data-testid="board-filters"' in form
    assert '<label class="nhsuk-label" for="id_search">Search titles</label>' in form
    assert 'value="rota &quot;B&quot;"' in form
    assert drop_downs(form) == ["status", "owner", "owner_partner", "priority", "principle",
                                "sort"]
    assert '<option value="in_progress" selected>' in form
    boxes = re.findall(r'id="id_(\w+)" name="\w+" type="checkbox" value="true"( checked)?>', form)
    assert boxes == [("overdue", " checked"), ("open", ""), ("no_owner", " checked")]
    assert re.findall(r'for="id_(?:overdue|open|no_owner)">([^<]+)<', form) == [
        "Overdue", "Still open", "No owner"]
    assert ">Filter actions</button>" in form


@pytest.mark.parametrize("page, shown, button", [
    ("web:gaps", ["partner", "principle", "status", "severity"], "Filter gaps"),
    ("web:learning-needs", ["partner", "principle", "status"], "Filter learning needs"),
])
def test_the_gap_and_need_filter_forms_have_only_their_drop_downs(site, as_user, page, shown,
                                                                  button):
    w = site.world
    html = as_user(w.manager).get(reverse(page, args=[w.programme.pk])).content.decode()
    form = form_of(html)
    assert drop_downs(form) == shown
    assert f">{button}</button>" in form
    assert "search" not in form and "checkbox" not in form and "data-testid" not in form
