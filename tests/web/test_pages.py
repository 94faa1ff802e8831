"""The web pages through Django's test client: plain HTML, no JavaScript.

Every page renders for each role that may see it, with one h1 and headings in order;
forms post without JavaScript and htmx only enhances them; bad input gets the NHS
error summary and keeps what was typed; and who may change what is decided by the
same access functions as the API, so a page and the API agree.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import Action
from learning.models import FundingAllocation, LearningNeed, TrainingOffer
from notifications.models import Notification
from programmes.models import Assessment, Gap, Partner

from .. import factories as f
from .conftest import outline

pytestmark = pytest.mark.django_db


def pages(site):
    """Every page a member can read, by name (the programme's pages and the personal ones)."""
    w = site.world
    pk = w.programme.pk
    return {
        "programmes": reverse("web:home"),
        "dashboard": reverse("web:dashboard", args=[pk]),
        "principle": reverse("web:principle", args=[pk, 1]),
        "gap register": reverse("web:gaps", args=[pk]),
        "gap register, filtered": reverse("web:gaps", args=[pk]) + "?severity=high&status=open",
        "action board": reverse("web:action-board", args=[pk]),
        "action board, filtered": reverse("web:action-board", args=[pk])
        + "?overdue=true&sort=priority",
        "partners": reverse("web:partners", args=[pk]),
        "partner": reverse("web:partner", args=[pk, w.partner_a.pk]),
        "compare cycles": reverse("web:compare", args=[pk]),
        "cycles": reverse("web:cycles", args=[pk]),
        "people": reverse("web:people", args=[pk]),
        "assessment": reverse("web:assessment", args=[site.assessment.pk]),
        "assessment section": reverse("web:assessment-section", args=[site.assessment.pk, 2]),
        "gap": reverse("web:gap", args=[site.gap.pk]),
        "action": reverse("web:action", args=[site.action.pk]),
        "my actions": reverse("web:my-actions"),
        "learning needs": reverse("web:learning-needs", args=[pk]),
        "learning need": reverse("web:learning-need", args=[site.need.pk]),
        "funding": reverse("web:funding", args=[pk]),
        "funding stream": reverse("web:stream", args=[site.stream.pk]),
        "catalogue": reverse("web:catalogue"),
        "notifications": reverse("web:notifications"),
        "e-mail settings": reverse("web:notification-settings"),
    }


def assert_well_formed(response, path):
    html = response.content.decode()
    page = outline(html)
    assert page.headings.count(1) == 1, f"{path}: {page.headings}"
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"{path} skips a heading level: {page.headings}"
    for form in page.forms:
        # Without JavaScript a form still goes somewhere: a GET filter, or a POST with
        # its CSRF token (the htmx attributes only enhance it).
        assert form.get("method", "get").lower() in ("get", "post"), path
    for tag, attrs in page.hx:
        assert tag == "form" and attrs.get("action") == attrs.get("hx-post"), (
            f"{path}: {tag} is driven by htmx only"
        )
    return html


# Pages render, without JavaScript ------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "lead_a", "provider_user", "reviewer"])
def test_every_page_renders_for_each_role_with_one_h1_and_headings_in_order(site, as_user, role):
    client = as_user(getattr(site.world, role))
    for name, path in pages(site).items():
        response = client.get(path)
        assert response.status_code == 200, f"{name}: {response.status_code}"
        assert_well_formed(response, path)


def test_pages_of_a_programme_are_404_for_someone_outside_it(site, as_user):
    client = as_user(site.world.outsider)
    for name, path in pages(site).items():
        expected = (
            200
            if name in ("programmes", "my actions", "catalogue", "notifications", "e-mail settings")
            else 404
        )
        assert client.get(path).status_code == expected, name


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(site, client):
    response = client.get(pages(site)["dashboard"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_log_in_with_a_wrong_password_shows_the_error_summary_and_keeps_the_username(site, client):
    site.world.manager.set_password("right-password-1")
    site.world.manager.save()
    response = client.post(reverse("web:login"), {"username": "manager", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html and "There is a problem" in html
    assert 'value="manager"' in html
    assert "<title>Error: Log in –" in html

    response = client.post(
        reverse("web:login"), {"username": "manager", "password": "right-password-1"}
    )
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200

    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


# The dashboard and the principle page -----------------------------------------------------


def test_dashboard_shows_bars_with_figures_overall_score_open_gaps_overdue_and_trend(site, as_user):
    w = site.world
    Action.objects.filter(pk=site.action.pk).update(due_date="2020-01-01")
    html = as_user(w.reviewer).get(pages(site)["dashboard"]).content.decode()
    # principle 1: item 1 not met, item 2 met -> 50.0%; principle 2: partly met + met -> 75.0%
    assert re.search(r'data-testid="overall-score">\s*62\.5%', html)
    assert '<rect class="tracker-progress__bar" width="50.0"' in html and "50.0%" in html
    assert '<rect class="tracker-progress__bar" width="75.0"' in html and "75.0%" in html
    assert re.search(r'data-testid="open-gaps">\s*2<', html)
    assert re.search(r'data-testid="overdue-actions">\s*1<', html)
    assert "Overall score at each nightly snapshot" in html


def test_principle_heat_map_has_a_row_per_partner_and_the_rating_in_words(site, as_user):
    w = site.world
    html = (
        as_user(w.reviewer).get(reverse("web:principle", args=[w.programme.pk, 2])).content.decode()
    )
    table = html[html.index('data-testid="heatmap"') : html.index("</table>")]
    rows = re.findall(r"<tr class=\"nhsuk-table__row\">\s*<th scope=\"row\"", table)
    assert len(rows) == 3  # partners A, B and the provider
    # each rating in words, linked to the answer
    answer = r'<a href="/assessments/\d+/principles/2/">'
    assert re.search(r'tracker-rating--partly_met">' + answer + "Partly met<", table)
    assert re.search(r'tracker-rating--met">' + answer + "Met<", table)
    assert re.search(r'tracker-rating--not_applicable">' + answer + "Not applicable<", table)
    assert table.count("Not assessed") == 6  # partner B and the provider: 3 items each


# Assessments: item by item, draft, confirmation, submit --------------------------------------


def test_lead_answers_a_principle_saves_a_draft_and_submits_after_confirming(site, as_user):
    w = site.world
    client = as_user(w.lead_b)
    response = client.post(
        reverse("web:assessment-start", args=[w.programme.pk, w.cycle.pk, w.partner_b.pk])
    )
    assessment = Assessment.objects.get(partner=w.partner_b)
    assert response["Location"] == reverse("web:assessment", args=[assessment.pk])
    section = reverse("web:assessment-section", args=[assessment.pk, 1])
    data = {
        f"item-{w.items[0].pk}-rating": "not_met",
        f"item-{w.items[0].pk}-evidence": "",
        f"item-{w.items[1].pk}-rating": "met",
        f"item-{w.items[1].pk}-evidence": "Joint induction since May",
    }
    assert client.post(section, data).status_code == 302
    assert assessment.responses.count() == 2 and assessment.status == "draft"
    html = client.get(section).content.decode()
    assert "Joint induction since May" in html and "checked" in html

    # the check page lists what is still to answer, offers no submit, and changes nothing
    check = client.get(reverse("web:assessment-submit", args=[assessment.pk])).content.decode()
    assert "Questions still to answer" in check and "Submit the assessment" not in check
    assessment.refresh_from_db()
    assert assessment.status == "draft"

    # once the second principle is answered, the check page offers the submit button
    rest = {f"item-{item.pk}-rating": "met" for item in w.items[2:]}
    assert client.post(reverse("web:assessment-section", args=[assessment.pk, 2]),
                       rest).status_code == 302
    confirm = client.get(reverse("web:assessment-submit", args=[assessment.pk]))
    assert "Once submitted, it cannot change" in confirm.content.decode()
    assert "Submit the assessment" in confirm.content.decode()

    response = client.post(reverse("web:assessment-submit", args=[assessment.pk]))
    assert response["Location"] == reverse("web:dashboard", args=[w.programme.pk])
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert Gap.objects.filter(partner=w.partner_b, status="open").count() == 1


def test_a_bad_rating_shows_the_error_summary_and_keeps_the_other_answers(site, as_user):
    w = site.world
    assessment = f.AssessmentFactory(cycle=w.cycle, partner=w.partner_b)
    section = reverse("web:assessment-section", args=[assessment.pk, 1])
    response = as_user(w.lead_b).post(
        section,
        {
            f"item-{w.items[0].pk}-rating": "excellent",
            f"item-{w.items[1].pk}-rating": "met",
            f"item-{w.items[1].pk}-evidence": "Typed by the lead",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html and f'href="#id_item-{w.items[0].pk}-rating' in html
    assert "Typed by the lead" in html
    assert assessment.responses.count() == 0


def test_a_submitted_assessment_is_read_only_and_cannot_be_changed(site, as_user):
    w = site.world
    section = reverse("web:assessment-section", args=[site.assessment.pk, 1])
    client = as_user(w.lead_a)
    html = client.get(section).content.decode()
    assert '<form method="post"' not in html.split('id="maincontent"')[1]
    client.post(section, {f"item-{w.items[0].pk}-rating": "met"})
    assert site.assessment.responses.get(checklist_item=w.items[0]).rating == "not_met"


# Gap register and gap page ------------------------------------------------------------------


def test_a_gap_register_row_shows_its_item_partner_work_and_tags(site, as_user):
    w = site.world
    item = site.gap.checklist_item
    item.text = "One two three four five six seven eight nine ten eleven twelve <13> 14 15"
    item.save()
    f.ActionFactory(programme=w.programme, gap=site.gap, status="done",
                    completed_at=timezone.now())
    Partner.objects.filter(pk=w.partner_a.pk).update(name="Alpha Council & <Friends>")
    html = as_user(w.reviewer).get(reverse("web:gaps", args=[w.programme.pk])).content.decode()
    row = html.split(f'<a href="/gaps/{site.gap.pk}/">')[1].split("</tr>")[0]
    assert row.startswith(f"{item.code} One two three four five six seven eight nine ten "
                          "eleven twelve &lt;13&gt; 14 …</a></td>")
    # names as written, escaped, in the row and in the partner drop-down
    assert "Partner </span>Alpha Council &amp; &lt;Friends&gt;</td>" in row
    assert f'<option value="{w.partner_a.pk}">Alpha Council &amp; &lt;Friends&gt;</option>' in html
    assert "Actions </span>1 of 2 done</td>" in row
    assert "Learning needs </span>1</td>" in row
    assert 'Severity </span><strong class="nhsuk-tag nhsuk-tag--red">High</strong>' in row
    assert 'Status </span><strong class="nhsuk-tag nhsuk-tag--orange">Open</strong>' in row


def test_gap_register_filters_by_severity_partner_and_status(site, as_user):
    w = site.world
    client = as_user(w.reviewer)
    base = reverse("web:gaps", args=[w.programme.pk])
    html = client.get(base).content.decode()
    assert html.count('href="/gaps/') == 2
    html = client.get(base + "?severity=high").content.decode()
    assert html.count('href="/gaps/') == 1 and f'href="/gaps/{site.gap.pk}/"' in html
    html = client.get(base + f"?partner={w.partner_b.pk}").content.decode()
    assert "No gaps match these filters." in html
    response = client.get(base + "?severity=nonsense")
    assert response.status_code == 200 and "No gaps match" in response.content.decode()


def test_gap_page_links_actions_needs_placements_and_funding_with_a_way_to_add_each(site, as_user):
    w = site.world
    f.PlacementFactory(learning_need=site.need, training_offer=site.offer, places=2)
    html = as_user(w.manager).get(reverse("web:gap", args=[site.gap.pk])).content.decode()
    assert f'href="/actions/{site.action.pk}/"' in html
    assert f'href="/learning-needs/{site.need.pk}/"' in html
    assert "2 on Strengths-based practice day" in html
    assert "£250.00 from Workforce development fund" in html
    assert reverse("web:action-new", args=[site.gap.pk]) in html
    assert reverse("web:learning-need-new", args=[site.gap.pk]) in html
    assert reverse("web:allocation-new", args=[site.need.pk]) in html
    assert reverse("web:learning-need", args=[site.need.pk]) + "#suggestions" in html


def test_manager_adds_an_action_for_a_partner_lead(site, as_user):
    w = site.world
    response = as_user(w.manager).post(
        reverse("web:action-new", args=[site.gap.pk]),
        {
            "title": "Run a joint team day",
            "owner": w.lead_a.pk,
            "due_date": "2027-01-20",
            "priority": "high",
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(title="Run a joint team day")
    assert action.owner == w.lead_a and action.owner_partner == w.partner_a
    f.deliver_events()
    assert Notification.objects.filter(recipient=w.lead_a, subject_id=action.pk).exists()


def test_bad_input_on_a_form_shows_the_error_summary_and_keeps_what_was_typed(site, as_user):
    w = site.world
    response = as_user(w.manager).post(
        reverse("web:action-new", args=[site.gap.pk]),
        {
            "title": "",
            "description": "Work with the community team",
            "due_date-day": "31", "due_date-month": "2", "due_date-year": "2027",
            "priority": "high",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert 'href="#id_title"' in html and 'href="#id_due_date-day"' in html
    assert "Work with the community team" in html and 'value="31"' in html
    assert 'aria-invalid="true"' in html
    assert Action.objects.filter(gap=site.gap).count() == 1

    response = as_user(w.lead_a).post(
        reverse("web:learning-need-new", args=[site.gap.pk]),
        {"staff_group": "Care workers", "topic": "Moving and handling", "workers_count": "lots"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'value="lots"' in html and "Care workers" in html
    assert not LearningNeed.objects.filter(topic="Moving and handling").exists()


# My actions: status (in place with htmx, or a plain post) and notes ------------------------


def test_lead_changes_an_action_status_without_javascript(site, as_user):
    w = site.world
    client = as_user(w.lead_a)
    html = client.get(reverse("web:my-actions")).content.decode()
    assert f'id="action-{site.action.pk}"' in html
    response = client.post(
        reverse("web:action-status", args=[site.action.pk]),
        {"status": "in_progress", "next": reverse("web:my-actions")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:my-actions")
    site.action.refresh_from_db()
    assert site.action.status == "in_progress"


def test_with_htmx_the_status_change_returns_only_the_updated_row(site, as_user):
    w = site.world
    response = as_user(w.lead_a).post(
        reverse("web:action-status", args=[site.action.pk]),
        {"status": "done"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr class="nhsuk-table__row" id="action-{site.action.pk}"')
    assert "<html" not in html and "Saved: done" in html
    site.action.refresh_from_db()
    assert site.action.status == "done" and site.action.completed_at is not None

    response = as_user(w.lead_a).post(
        reverse("web:action-status", args=[site.action.pk]),
        {"status": "finished"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400 and "nhsuk-error-message" in response.content.decode()


def test_lead_adds_a_progress_note_and_an_empty_note_is_refused(site, as_user):
    w = site.world
    client = as_user(w.lead_a)
    url = reverse("web:action-note", args=[site.action.pk])
    assert client.post(url, {"text": "Met the housing team"}).status_code == 302
    assert (
        "Met the housing team"
        in client.get(reverse("web:action", args=[site.action.pk])).content.decode()
    )
    response = client.post(url, {"text": "  "})
    assert response.status_code == 400 and "There is a problem" in response.content.decode()
    assert site.action.notes.count() == 1


# Learning needs, offers, catalogue, funding, notifications -------------------------------------


def test_learning_need_page_suggests_the_matching_published_offer(site, as_user):
    w = site.world
    f.TrainingOfferFactory(
        provider=w.provider, title="A draft course", status="draft", topics="strengths-based"
    )
    html = as_user(w.lead_a).get(reverse("web:learning-need", args=[site.need.pk])).content.decode()
    suggestions = html[html.index('id="suggestions"') :]
    assert "Strengths-based practice day" in suggestions
    assert "A draft course" not in suggestions
    assert reverse("web:placement-new", args=[site.need.pk, site.offer.pk]) in suggestions


def test_provider_creates_publishes_and_withdraws_an_offer(site, as_user):
    w = site.world
    client = as_user(w.provider_user)
    response = client.post(
        reverse("web:offer-new"),
        {
            "title": "Trauma-informed care",
            "topics": "trauma",
            "format": "workshop",
            "principles": [w.principles[0].pk],
            "capacity": "12",
            "cost_per_place": "40.00",
        },
    )
    assert response.status_code == 302
    offer = TrainingOffer.objects.get(title="Trauma-informed care")
    assert offer.status == "draft" and offer.provider == w.provider
    catalogue = reverse("web:catalogue")
    assert "Trauma-informed care" not in as_user(w.lead_a).get(catalogue).content.decode()

    client.post(reverse("web:offer-status", args=[offer.pk, "publish"]))
    offer.refresh_from_db()
    assert offer.status == "published"
    assert "Trauma-informed care" in as_user(w.lead_a).get(catalogue).content.decode()

    client.post(reverse("web:offer-status", args=[offer.pk, "withdraw"]))
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert "Trauma-informed care" not in as_user(w.lead_a).get(catalogue).content.decode()


def test_an_offer_with_bad_figures_is_refused_and_keeps_what_was_typed(site, as_user):
    response = as_user(site.world.provider_user).post(
        reverse("web:offer-new"),
        {
            "title": "Dementia awareness",
            "format": "workshop",
            "capacity": "-3",
            "cost_per_place": "ten pounds",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in html
    assert 'value="Dementia awareness"' in html and 'value="ten pounds"' in html
    assert not TrainingOffer.objects.filter(title="Dementia awareness").exists()


def test_only_the_providers_own_people_publish_its_offers(site, as_user):
    for user in (site.world.manager, site.world.lead_a, site.world.reviewer):
        response = as_user(user).post(reverse("web:offer-status", args=[site.offer.pk, "withdraw"]))
        assert response.status_code in (403, 404)
    site.offer.refresh_from_db()
    assert site.offer.status == "published"


def test_funding_overview_shows_each_stream_with_allocated_and_available(site, as_user):
    html = (
        as_user(site.world.reviewer)
        .get(reverse("web:funding", args=[site.world.programme.pk]))
        .content.decode()
    )
    assert "Workforce development fund" in html
    assert "£250.00 allocated of £10,000.00" in html and "£9,750.00 available" in html


def test_manager_allocates_funding_and_an_allocation_beyond_the_stream_is_refused(site, as_user):
    url = reverse("web:allocation-new", args=[site.need.pk])
    client = as_user(site.world.manager)
    response = client.post(url, {"stream": site.stream.pk, "amount": "20000.00"})
    assert response.status_code == 400 and "There is a problem" in response.content.decode()
    assert 'value="20000.00"' in response.content.decode()
    assert client.post(url, {"stream": site.stream.pk, "amount": "500.00"}).status_code == 302
    assert FundingAllocation.objects.filter(stream=site.stream).count() == 2


def test_notifications_inbox_lists_marks_read_and_follows_the_link(site, as_user):
    client = as_user(site.world.manager)
    html = client.get(reverse("web:notifications")).content.decode()
    assert "“Agree a shared induction” is overdue." in html and ">New<" in html
    assert "(1 unread)" in html
    response = client.post(reverse("web:notification-read", args=[site.notification.pk]))
    assert response["Location"] == f"/actions/{site.action.pk}/"
    site.notification.refresh_from_db()
    assert site.notification.read_at is not None
    assert "(1 unread)" not in client.get(reverse("web:notifications")).content.decode()
    # someone else's notification is not found
    assert (
        as_user(site.world.lead_a)
        .post(reverse("web:notification-read", args=[site.notification.pk]))
        .status_code
        == 404
    )


# Tags say their status in words ---------------------------------------------------------------


def test_every_tag_has_words_in_it(site, as_user):
    client = as_user(site.world.manager)
    for path in pages(site).values():
        html = client.get(path).content.decode()
        for text in re.findall(r'<strong class="nhsuk-tag[^"]*">(.*?)</strong>', html, re.S):
            assert re.sub(r"<[^>]+>", "", text).strip(), f"{path}: an empty tag"


def test_an_offer_ending_before_it_starts_gets_one_sentence_in_the_form_and_the_api(
        site, as_user, api):
    # given an offer whose end date is before its start date
    fields = {"title": "Dates the wrong way round", "format": "workshop", "capacity": "12",
              "cost_per_place": "40.00", "start_date": "2027-03-10", "end_date": "2027-03-01"}

    # when a provider sends it through the page and through the API
    page = as_user(site.world.provider_user).post(reverse("web:offer-new"), fields)
    reply = api.as_user(site.world.provider_user).post(
        "/api/v1/training-offers/",
        {**fields, "provider": site.world.provider.pk, "principles": []}, format="json")

    # then both refuse it with the same sentence, the page next to the end date field
    sentence = "The end date must not be before the start date."
    html = page.content.decode()
    assert page.status_code == 400 and reply.status_code == 400
    assert reply.json() == {"end_date": [sentence]}
    assert 'id="end_date-error"' in html or 'id="id_end_date-error"' in html, html
    assert sentence in html and "end_after_start" not in html and "Constraint" not in html
    assert not TrainingOffer.objects.filter(title="Dates the wrong way round").exists()


def test_gap_register_points_to_closures_waiting_for_a_decision(site, as_user):
    # given a gap whose closure a later assessment proposed
    Gap.objects.filter(pk=site.gap.pk).update(status=Gap.Status.CLOSURE_PROPOSED)
    client = as_user(site.world.manager)
    url = reverse("web:gaps", args=[site.world.programme.pk])

    # when the manager opens the register (open gaps by default)
    html = client.get(url).content.decode()

    # then it says one closure waits, with a link that shows it
    assert "1 gap has a proposed closure waiting for a manager's decision" in html
    assert 'href="?status=closure_proposed"' in html
    shown = client.get(url, {"status": "closure_proposed"}).content.decode()
    assert f'href="/gaps/{site.gap.pk}/"' in shown
    assert 'data-testid="proposed-closures"' not in shown
