"""The four journeys of the web pages, in a real browser, each page checked with axe."""

import datetime
import re

from django.contrib.auth import get_user_model

from actions.models import Action
from learning.models import LearningNeed, TrainingOffer
from programmes.models import Assessment, Gap, Programme


def programme():
    return Programme.objects.get()


def test_manager_reads_progress_opens_a_gap_and_assigns_an_action(visitor):
    page = visitor.page
    # given the manager logged in
    visitor.log_in("manager")

    # when they open the programme and read progress by principle
    visitor.click("link", name=programme().name)
    assert page.get_by_role("heading", level=1).inner_text() == programme().name
    rows = page.get_by_test_id("progress-table").locator("tbody tr")
    assert rows.count() == 6
    assert re.search(r"\d+(\.\d)?%", page.get_by_test_id("overall-score").inner_text())
    visitor.click("link", name=re.compile(r"^2\. Workforce integration involves"))
    heatmap = page.get_by_test_id("heatmap")
    assert heatmap.locator("tbody tr").count() == programme().partners.count()
    assert heatmap.locator("thead th").count() == 1 + 10  # the partner, then items 2.1-2.10
    # each cell: the rating in words (then, for screen readers, whose answer it is)
    cells = [re.split(r"[:\n]", c)[0].strip()
             for c in heatmap.locator("tbody td").all_inner_texts()]
    assert cells and set(cells) <= {"Met", "Partly met", "Not met", "Not applicable",
                                    "Not assessed"}

    # and open a gap from the register
    visitor.goto(f"/programmes/{programme().pk}/gaps/")
    page.get_by_label("Severity").select_option("high")
    visitor.click("button", name="Filter gaps")
    gap = Gap.objects.filter(programme=programme(), status="open", severity="high").order_by(
        "principle__number", "checklist_item__order", "partner__name").first()
    page.get_by_test_id("gap-table").get_by_role("link").first.click()
    page.wait_for_load_state()
    visitor.check_accessibility()
    assert f"/gaps/{gap.pk}/" in page.url

    # then they assign an action to a partner lead
    visitor.click("link", name="Add an action")
    page.get_by_label("Title").fill("Map the stakeholders with the housing team")
    page.get_by_label("Owner", exact=True).select_option(
        label="Tom Okafor (Riverside City Council Adult Social Care, partner lead)")
    visitor.fill_date("Due date", datetime.date(2027, 2, 15))
    visitor.click("button", name="Add the action")
    actions_on_gap = page.get_by_test_id("gap-actions").inner_text()
    assert "Map the stakeholders with the housing team" in actions_on_gap
    action = Action.objects.get(title="Map the stakeholders with the housing team")
    assert action.owner.username == "lead" and action.gap == gap


def test_manager_compares_two_cycles_then_opens_a_partners_page(visitor):
    page = visitor.page
    prog = programme()
    partner = Assessment.objects.filter(cycle__programme=prog, status="submitted").values_list(
        "partner__name", flat=True).order_by("partner__name").first()
    # given the manager on the dashboard
    visitor.log_in("manager")
    visitor.click("link", name=prog.name)

    # when they compare the two cycles for one partner
    visitor.click("link", name="Compare cycles")
    assert page.get_by_test_id("compare-table").locator("tbody tr").count() == 6 + 1
    page.get_by_label("Partner (optional)").select_option(label=partner)
    visitor.click("button", name="Compare")

    # then each principle's change is in words and the moved items are listed
    table = page.get_by_test_id("compare-table").inner_text()
    assert re.search(r"(Up|Down) \d+\.\d points|No change|Not comparable", table)
    assert partner in page.get_by_role("heading", level=2).first.inner_text()

    # and from the partners' scores they reach the partner's own page
    visitor.goto(f"/programmes/{prog.pk}/partners/")
    visitor.click("link", name=partner, exact=True)
    assert page.get_by_role("heading", level=1).inner_text() == partner
    assert page.get_by_test_id("partner-principles").locator("tbody tr").count() == 6


def test_manager_sees_errors_and_keeps_what_they_typed(visitor):
    page = visitor.page
    visitor.log_in("manager")
    gap = Gap.objects.filter(status="open").first()
    visitor.goto(f"/gaps/{gap.pk}/actions/new/")
    page.get_by_label("Description").fill("Work with the community team")
    visitor.click("button", name="Add the action")
    summary = page.locator(".nhsuk-error-summary")
    assert "There is a problem" in summary.inner_text()
    assert page.get_by_label("Description").input_value() == "Work with the community team"
    assert page.title() == (f"Error: Add an action – Gap {gap.checklist_item.code}, "
                            f"{gap.partner.name} – {gap.programme.name} – "
                            "Workforce integration tracker")


def test_partner_lead_answers_and_submits_then_marks_an_action_done(visitor):
    page = visitor.page
    lead_partner = "Riverside City Council Adult Social Care"
    visitor.log_in("lead")
    before = Gap.objects.filter(partner__name=lead_partner, status="open").count()

    # when the lead starts their review assessment (not started in the demo)
    visitor.goto(f"/programmes/{programme().pk}/cycles/")
    assert "Open now" in page.get_by_test_id("open-now").inner_text()
    visitor.click("button", name=f"Start the assessment of {lead_partner}")
    assessment = Assessment.objects.get(partner__name=lead_partner, status="draft")
    assert f"/assessments/{assessment.pk}/" in page.url

    # and answers principle 1: every item not met
    visitor.click("link", name=re.compile(r"^1\. Successful workforce integration"))
    assert page.get_by_text("What the ratings mean").is_visible()
    for radio in page.get_by_label("Not met", exact=True).all():
        radio.check()
    visitor.click("button", name="Save and continue")
    assert "Answers to principle 1 saved" in page.content()

    # then the check page refuses to submit: it lists the 41 missing answers with links
    visitor.click("link", name="Check and submit")
    missing = page.get_by_test_id("unanswered").get_by_role("link")
    assert missing.count() == 41
    assert page.get_by_role("button", name="Submit the assessment").count() == 0
    assert page.get_by_role("link", name=re.compile(r"^Change 1\.1")).count() == 1
    first = missing.first
    first_code = first.inner_text().split()[0]
    first.click()
    page.wait_for_load_state()
    assert re.search(r"/principles/2/#item-\d+$", page.url)
    assert page.locator(page.url[page.url.index("#"):]).inner_text().startswith(first_code)
    visitor.check_accessibility()

    # when they start from their baseline answers for the rest, then submit
    visitor.goto(f"/assessments/{assessment.pk}/")
    visitor.click("button", name="Start from your answers of Baseline self-assessment")
    assert "41 answers copied from Baseline self-assessment" in page.content()
    visitor.click("link", name=re.compile(r"^2\. "))
    assert "Carried forward" in page.content()
    assert "Last time (Baseline self-assessment)" in page.content()
    visitor.goto(f"/assessments/{assessment.pk}/")
    visitor.click("link", name="Check and submit")
    visitor.click("button", name="Submit the assessment")

    # then the dashboard shows the new gaps
    assert "Assessment submitted" in page.content()
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    assert assessment.responses.filter(carried_forward=True).count() == 41
    after = Gap.objects.filter(partner__name=lead_partner, status="open").count()
    assert after >= before and after >= 5
    open_gaps = int(page.get_by_test_id("open-gaps").inner_text())
    assert open_gaps == Gap.objects.filter(programme=programme(),
                                           status__in=Gap.OPEN_STATUSES).count()

    # and they mark one of their actions done on "My actions"
    visitor.click("link", name="My actions")
    action = Action.objects.filter(owner__username="lead").exclude(
        status__in=["done", "cancelled"]).order_by("due_date", "pk").first()
    row = page.locator(f"#action-{action.pk}")
    row.get_by_label(f"Status of {action.title}").select_option("done")
    row.get_by_role("button", name=f"Save status of {action.title}").click()
    page.locator(f"#action-{action.pk}").get_by_text("Saved: done").wait_for()
    visitor.check_accessibility()
    action.refresh_from_db()
    assert action.status == "done" and action.completed_at is not None


def test_provider_publishes_an_offer_seen_in_catalogue_and_as_a_suggestion(visitor):
    page = visitor.page
    need = LearningNeed.objects.order_by("pk").first()
    visitor.log_in("provider")

    # when the provider adds an offer for the need's topic and publishes it
    visitor.click("link", name="Our offers")
    visitor.click("link", name="Add a training offer")
    page.get_by_label("Title").fill(f"{need.topic}: a practical course")
    page.get_by_label("Topics").fill(need.topic.lower())
    page.get_by_label("Staff groups").fill(need.staff_group)
    page.get_by_label("Format").select_option("workshop")
    page.get_by_label(re.compile(rf": {need.principle.number}\. ")).first.check()
    page.get_by_label("Capacity").fill("30")
    page.get_by_label("Cost per place in pounds").fill("80.00")
    visitor.click("button", name="Save as a draft")
    offer = TrainingOffer.objects.get(title=f"{need.topic}: a practical course")
    assert offer.status == "draft"
    visitor.click("button", name=f"Publish {offer.title}")
    offer.refresh_from_db()
    assert offer.status == "published"

    # then it is in the catalogue
    visitor.click("link", name="Training catalogue")
    assert offer.title in page.get_by_test_id("catalogue").inner_text()

    # and suggested for the matching learning need
    visitor.goto(f"/learning-needs/{need.pk}/")
    assert offer.title in page.get_by_test_id("suggestions").inner_text()


def test_reviewer_reads_everything_and_finds_no_button_to_change_anything(visitor):
    page = visitor.page
    visitor.log_in("reviewer")
    gap = Gap.objects.filter(status="open", actions__isnull=False).first()
    action = gap.actions.first()
    need = LearningNeed.objects.first()
    pages = [
        f"/programmes/{programme().pk}/",
        f"/programmes/{programme().pk}/principles/3/",
        f"/programmes/{programme().pk}/gaps/",
        f"/programmes/{programme().pk}/cycles/",
        f"/programmes/{programme().pk}/funding/",
        f"/programmes/{programme().pk}/compare/",
        f"/programmes/{programme().pk}/partners/",
        f"/programmes/{programme().pk}/people/",
        f"/gaps/{gap.pk}/",
        f"/actions/{action.pk}/",
        f"/learning-needs/{need.pk}/",
    ]
    change_words = re.compile(
        r"^(Add|Start|Continue|Submit|Save|Publish|Withdraw|Book|Allocate|Close|Reopen)", re.I)
    for path in pages:
        visitor.goto(path)
        assert page.get_by_role("heading", level=1).count() == 1
        main = page.locator("main")
        controls = main.get_by_role("button").all_inner_texts() + main.get_by_role(
            "link").all_inner_texts()
        offending = [c.strip() for c in controls if change_words.match(c.strip())]
        assert offending == [], f"{path} offers a reviewer: {offending}"
        assert main.locator("form[method=post]").count() == 0, path


def test_every_other_page_passes_the_accessibility_check(visitor):
    """The pages the four journeys do not reach, and forms showing their errors."""
    page = visitor.page
    prog = programme()
    gap = Gap.objects.filter(programme=prog, status="open", actions__isnull=False).first()
    action = gap.actions.first()
    need = LearningNeed.objects.filter(programme=prog).order_by("pk").first()
    offer = TrainingOffer.objects.filter(status="published").first()
    submitted = Assessment.objects.filter(status="submitted").first()
    visitor.log_in("manager")
    for path in [
        "/", f"/programmes/{prog.pk}/principles/1/", f"/programmes/{prog.pk}/learning-needs/",
        f"/assessments/{submitted.pk}/", f"/assessments/{submitted.pk}/principles/1/",
        f"/actions/{action.pk}/", f"/gaps/{gap.pk}/learning-needs/new/",
        f"/learning-needs/{need.pk}/offers/{offer.pk}/book/",
        f"/learning-needs/{need.pk}/funding/new/", f"/actions/{action.pk}/funding/new/",
        "/offers/", "/notifications/", "/notifications/settings/", "/actions/mine/",
        f"/programmes/{prog.pk}/joint-commissioning/", f"/programmes/{prog.pk}/import/",
        f"/programmes/{prog.pk}/compare/", f"/programmes/{prog.pk}/partners/",
        f"/programmes/{prog.pk}/partners/{submitted.partner_id}/",
        f"/programmes/{prog.pk}/compare/?partner={submitted.partner_id}",
        f"/programmes/{prog.pk}/compare/?from=&to=",
        f"/programmes/{prog.pk}/actions/", f"/programmes/{prog.pk}/actions/?no_owner=true",
    ]:
        visitor.goto(path)
        assert page.get_by_role("heading", level=1).count() == 1, path
    # the import: a form with errors, a check with bad rows, a check that passes
    visitor.goto(f"/programmes/{prog.pk}/import/")
    visitor.click("button", name="Check the file")
    summary = page.locator(".nhsuk-error-summary").inner_text()
    assert "Select what you are importing" in summary and "Choose a CSV or Excel" in summary
    partner = prog.partners.order_by("name").first()
    page.get_by_label("Learning needs").check()
    page.get_by_label("Spreadsheet file").set_input_files(files=[{
        "name": "needs.csv", "mimeType": "text/csv",
        "buffer": ("Partner,Staff group,Topic,Workers\n"
                   f"{partner.name},Nurses,Falls prevention,3\n"
                   "Nobody Trust,Nurses,Falls prevention,two\n").encode()}])
    visitor.click("button", name="Check the file")
    assert "Row 3" in page.get_by_test_id("import-errors").inner_text()
    visitor.goto(f"/programmes/{prog.pk}/import/")
    page.get_by_label("Learning needs").check()
    page.get_by_label("Spreadsheet file").set_input_files(files=[{
        "name": "needs.csv", "mimeType": "text/csv",
        "buffer": ("Partner,Staff group,Topic,Workers\n"
                   f"{partner.name},Nurses,Falls prevention,3\n").encode()}])
    visitor.click("button", name="Check the file")
    visitor.click("button", name="Import 1 learning need")
    assert "1 learning need imported" in page.locator("main").inner_text()
    # forms with errors: the error summary must pass too
    visitor.goto(f"/learning-needs/{need.pk}/funding/new/")
    visitor.click("button", name="Allocate")
    assert "There is a problem" in page.locator(".nhsuk-error-summary").inner_text()
    visitor.goto(f"/actions/{action.pk}/")
    visitor.click("button", name="Add the note")
    assert "Enter the progress note" in page.locator(".nhsuk-error-summary").inner_text()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    visitor.check_accessibility()
    visitor.log_in("provider")
    visitor.goto("/offers/mine/")
    visitor.click("link", name="Add a training offer")
    visitor.click("button", name="Save as a draft")
    assert "Enter the title" in page.locator(".nhsuk-error-summary").inner_text()


def test_manager_decides_a_proposed_closure(visitor):
    """A partner rates met an item whose gap still has open work; the manager decides."""
    from programmes import services

    page = visitor.page
    # given a partner's review draft, and an open gap of theirs with an open action
    gap = Gap.objects.filter(
        programme=programme(), status="open", actions__status__in=["not_started", "in_progress"],
        partner__assessments__status="draft",
        partner__assessments__cycle__programme=programme()).order_by("pk").first()
    draft = Assessment.objects.get(partner=gap.partner, status="draft",
                                   cycle__programme=programme())
    open_actions = list(gap.actions.exclude(status__in=["done", "cancelled"]))
    item = gap.checklist_item
    manager = get_user_model().objects.get(username="manager")
    services.responses_save(actor=manager, assessment=draft,
                            answers=[{"checklist_item": item, "rating": "met"}])
    services.assessment_submit(actor=manager, assessment=draft)
    gap.refresh_from_db()
    assert gap.status == "closure_proposed"

    # when the manager opens the notification's gap page
    visitor.log_in("manager")
    visitor.goto(f"/gaps/{gap.pk}/")
    proposal = page.get_by_test_id("closure-proposed").inner_text()
    assert "Closure proposed" in proposal and "open action" in proposal

    # and closes the gap, cancelling its open actions
    page.get_by_label("Close the gap").check()
    for action in open_actions:
        page.locator(f"#action-{action.pk}-cancelled").check()
    page.get_by_label("Note for the record (optional)").fill("Met through the new induction")
    visitor.click("button", name="Save the decision")

    # then the gap is closed and its actions cancelled
    assert "The gap is closed" in page.content()
    gap.refresh_from_db()
    assert gap.status == "closed" and gap.closed_reason == "reassessed_met"
    assert {a.status for a in gap.actions.filter(pk__in=[a.pk for a in open_actions])} == {
        "cancelled"}


def test_manager_sets_up_partners_and_cycles_and_reads_the_people_page(visitor):
    """The set-up pages, empty and with their errors, each checked with axe."""
    page = visitor.page
    prog = programme()
    partner = prog.partners.order_by("name").first()
    cycle = prog.cycles.order_by("period_start").first()
    visitor.log_in("manager")
    visitor.goto(f"/programmes/{prog.pk}/partners/")
    visitor.click("link", name="Create a partner")
    visitor.click("button", name="Create the partner")
    summary = page.locator(".nhsuk-error-summary").inner_text()
    assert "Enter the organisation name" in summary and "Select the sector" in summary
    for path in [f"/programmes/{prog.pk}/edit/", f"/programmes/{prog.pk}/partners/add/",
                 f"/programmes/{prog.pk}/partners/{partner.pk}/remove/",
                 f"/programmes/{prog.pk}/cycles/{cycle.pk}/edit/"]:
        visitor.goto(path)
        assert page.get_by_role("heading", level=1).count() == 1, path
    # a partner with assessments stays, and the page says why
    visitor.goto(f"/programmes/{prog.pk}/partners/{partner.pk}/remove/")
    visitor.click("button", name=f"Remove {partner.name}")
    assert "cannot leave the programme" in page.locator(".nhsuk-error-summary").inner_text()
    visitor.goto(f"/programmes/{prog.pk}/cycles/")
    visitor.click("button", name="Add an assessment cycle")
    visitor.click("button", name="Add the cycle")
    summary = page.locator(".nhsuk-error-summary").inner_text()
    assert "Enter the cycle name" in summary and "Enter the day the cycle opens" in summary
    visitor.goto(f"/programmes/{prog.pk}/people/")
    assert "@example.org" in page.get_by_test_id("people").inner_text()
