"""Running a programme from its first day, in a real browser, each page checked with axe:
setting it up and inviting a partner lead (who answers the first self-assessment), a
manager's changes to actions and gaps, a provider confirming approved places, a manager committing
money, and a reviewer who finds nothing on any page that would change anything."""

import datetime
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import Resolver404, resolve
from django.utils import timezone

from actions.models import Action
from learning.models import FundingAllocation, Placement
from programmes.models import Assessment, Gap, Membership, Partner, Programme

from .conftest import PASSWORD

NEW_PASSWORD = "kettle-harbour-violet-42"


def demo_programme():
    return Programme.objects.get(name__startswith="North Riverside")


def log_in(visitor, username, password=PASSWORD):
    page = visitor.page
    visitor.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    visitor.click("button", name="Log in")


def log_out(visitor):
    visitor.click("button", name="Log out")


def message(page) -> str:
    """The message the page opens with (after a change), or a failure showing the page."""
    shown = page.locator(".tracker-message").all_inner_texts()
    assert shown, f"no message on {page.url}:\n{page.locator('main').inner_text()}"
    return shown[0]


@pytest.fixture
def mail_dir(tmp_path, settings, live_server):
    """E-mail written as files, as the service does where no EMAIL_URL is set (under
    var/mail), but into this test's own folder; links in it point at the live server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = live_server.url
    return tmp_path / "mail"


def make_programme_creator(username):
    # The migration's group is gone once a transactional test has flushed the tables.
    group, _ = Group.objects.get_or_create(name="Programme creators")
    group.permissions.add(Permission.objects.get(content_type__app_label="programmes",
                                                 codename="add_programme"))
    get_user_model().objects.get(username=username).groups.add(group)


def test_manager_sets_up_a_programme_and_its_invited_lead_submits_the_first_assessment(
        visitor, mail_dir):
    page = visitor.page
    today = timezone.localdate()
    make_programme_creator("manager")
    existing = Partner.objects.get(name="Meadowbank Home Care")

    # given a manager who may set up programmes
    log_in(visitor, "manager")

    # when they set up a programme
    visitor.click("button", name="Set up a programme")
    page.get_by_label("Programme name").fill("South Vale integration programme")
    page.get_by_label("Description (optional)").fill("Health and care teams in South Vale.")
    page.get_by_label("Framework").select_option(label="Principles of workforce integration")
    visitor.click("button", name="Set up the programme")
    programme = Programme.objects.get(name="South Vale integration programme")
    assert page.url.endswith(f"/programmes/{programme.pk}/")
    assert "you are its manager" in message(page)
    assert Membership.objects.filter(programme=programme, user__username="manager",
                                     role="manager").exists()

    # and add two partners: a new organisation, and one already in the directory
    visitor.click("link", name="Partners and their scores")
    visitor.click("link", name="Create a partner")
    page.get_by_label("Organisation name").fill("South Vale Community Care")
    page.get_by_label("Sector").select_option(label="Adult social care provider")
    visitor.click("button", name="Create the partner")
    assert "South Vale Community Care is a partner of the programme" in message(page)
    visitor.click("link", name="add an existing partner")
    page.get_by_label("Partner").select_option(label=existing.name)
    visitor.click("button", name="Add the partner")
    assert set(programme.partners.values_list("name", flat=True)) == {
        "South Vale Community Care", existing.name}
    manage = page.get_by_test_id("manage-partners").inner_text()
    assert "South Vale Community Care" in manage and existing.name in manage

    # and add an assessment cycle open now
    visitor.goto(f"/programmes/{programme.pk}/")
    visitor.click("link", name="Self-assessments", exact=True)
    visitor.click("button", name="Add an assessment cycle")
    page.get_by_label("Cycle name").fill("Baseline self-assessment")
    visitor.fill_date("Opens on", today - datetime.timedelta(days=1))
    visitor.fill_date("Closes on", today + datetime.timedelta(days=60))
    visitor.click("button", name="Add the cycle")
    assert "Baseline self-assessment is added" in message(page)
    assert programme.cycles.get().name == "Baseline self-assessment"

    # and invite a partner lead for the new partner by e-mail
    visitor.goto(f"/programmes/{programme.pk}/")
    visitor.click("link", name="People", exact=True)
    visitor.click("link", name="Invite someone")
    page.get_by_label("E-mail address").fill("sam.jones@southvale.example.org")
    page.get_by_label("Partner lead").check()
    page.get_by_label("Partner", exact=True).select_option(label="South Vale Community Care")
    visitor.click("button", name="Send the invitation")
    assert "Invitation sent to sam.jones@southvale.example.org" in message(page)
    assert "Waiting for an answer" in page.get_by_test_id("invitations").inner_text()
    log_out(visitor)

    # then the invitation is a file in the mail folder, with a link to accept it
    files = sorted(mail_dir.iterdir())
    assert len(files) == 1
    mail = files[0].read_text(encoding="utf-8")
    assert "To: sam.jones@southvale.example.org" in mail
    assert "Subject: South Vale integration programme: You are invited to join as a" in mail
    links = re.findall(r"https?://\S+/invitations/[^/\s]+/", mail)
    assert len(links) == 1 and links[0].startswith(visitor.base_url)

    # when the lead opens the link, makes their account and joins
    page.goto(links[0])
    visitor.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Join South Vale integration programme")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Jones")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    visitor.click("button", name="Make my account and join")
    assert "You have joined South Vale integration programme as partner lead" in message(page)
    lead = get_user_model().objects.get(email="sam.jones@southvale.example.org")
    assert Membership.objects.filter(programme=programme, user=lead, role="partner_lead",
                                     partner__name="South Vale Community Care").exists()

    # and signs in again later with the password they chose
    log_out(visitor)
    log_in(visitor, "sam.jones@southvale.example.org", NEW_PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == "Your programmes"
    visitor.click("link", name="South Vale integration programme")

    # and answers every item of the assessment, principle by principle
    visitor.click("link", name="Self-assessments", exact=True)
    visitor.click("button", name="Start the assessment of South Vale Community Care")
    assessment = Assessment.objects.get(cycle__programme=programme)
    assessment_url = page.url
    sections = page.get_by_role("link", name=re.compile(r"^\d\. ")).all_inner_texts()
    assert len(sections) == 6
    for number, title in enumerate(sections, start=1):
        visitor.click("link", name=title.strip())
        rating = "Not met" if number == 2 else "Met"
        radios = page.get_by_label(rating, exact=True).all()
        assert radios
        for radio in radios:
            radio.check()
        visitor.click("button", name="Save and continue")
        assert f"Answers to principle {number} saved" in message(page)
        assert page.url == assessment_url

    # and submits it
    visitor.click("link", name="Check and submit")
    assert page.get_by_test_id("unanswered").count() == 0
    visitor.click("button", name="Submit the assessment")

    # then it is submitted with an answer to every item, and principle 2's are gaps
    assert "Assessment submitted" in page.content()
    assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.submitted_by == lead
    principles = programme.framework.principles.all()
    assert assessment.responses.count() == sum(p.items.filter(is_active=True).count()
                                               for p in principles)
    gaps = Gap.objects.filter(programme=programme, partner__name="South Vale Community Care")
    assert gaps.count() == principles.get(number=2).items.filter(is_active=True).count()
    assert set(gaps.values_list("principle__number", flat=True)) == {2}


def test_manager_reassigns_an_action_moves_its_date_and_closes_a_gap(visitor):
    page = visitor.page
    action = Action.objects.filter(owner__username="lead").exclude(
        status__in=["done", "cancelled"]).exclude(due_date=None).order_by("pk").first()
    old_due = action.due_date
    new_due = old_due + datetime.timedelta(days=28)

    # given the manager on an action of Tom Okafor's
    log_in(visitor, "manager")
    visitor.goto(f"/actions/{action.pk}/")

    # when they give it to Grace Lewis
    visitor.click("link", name="Give it to someone else")
    page.get_by_label("New owner").select_option(
        label="Grace Lewis (Meadowbank Home Care, partner lead)")
    visitor.click("button", name="Give the action to them")
    assert f"“{action.title}” is now owned by Grace Lewis" in message(page)

    # and move its due date, saying why
    visitor.click("link", name="Change the action")
    visitor.fill_date("Due date", new_due, exact=True)
    page.get_by_label("Why is the due date moving?").fill("Waiting for the new rota")
    visitor.click("button", name="Save the action")

    # then the action shows its new owner and date, and its history the reason
    action.refresh_from_db()
    assert action.owner.username == "lead.homecare"
    assert action.owner_partner.name == "Meadowbank Home Care"
    assert action.due_date == new_due
    assert new_due.strftime("%-d %B %Y") in page.locator("main").inner_text()
    history = page.get_by_test_id("history").inner_text()
    assert "Reason: Waiting for the new rota" in history

    # when they close an open gap with a reason
    gap = Gap.objects.filter(programme=demo_programme(), status="open").order_by("pk").first()
    visitor.goto(f"/gaps/{gap.pk}/")
    visitor.click("link", name="Close the gap")
    visitor.click("button", name="Close the gap")
    assert "Enter why you are closing the gap" in page.locator(
        ".nhsuk-error-summary").inner_text()
    page.get_by_label("Why are you closing this gap?").fill(
        "Agreed at the board: the joint induction covers it")
    visitor.click("button", name="Close the gap")

    # then the gap is closed and says why
    assert "The gap is closed" in message(page)
    assert page.get_by_test_id("status-note").inner_text() == (
        "Agreed at the board: the joint induction covers it")
    gap.refresh_from_db()
    assert gap.status == "closed"
    assert gap.history.filter(status="closed", status_note__startswith="Agreed").exists()


def test_provider_confirms_a_placement_and_the_need_shows_it_confirmed(visitor):
    page = visitor.page
    placement = Placement.objects.get(status="approved")
    need = placement.learning_need
    who = f"{placement.places} places for {need.partner.name}"

    # given the provider on the bookings of their offer
    log_in(visitor, "provider")
    visitor.click("link", name="Our offers")
    visitor.click("link", name=f"Bookings and sessions of {placement.training_offer.title}")

    # when they confirm the approved places
    bookings = page.get_by_test_id("bookings-approved")
    visitor.click("button", name=f"Confirm {who}")
    assert "confirmed" in message(page)
    assert bookings.get_by_role("button", name=f"Confirm {who}").count() == 0

    # then the need's page shows them confirmed
    visitor.goto(f"/learning-needs/{need.pk}/")
    row = page.get_by_test_id("placements").locator("tr").filter(
        has_text=placement.training_offer.title)
    assert "Confirmed" in row.inner_text()
    placement.refresh_from_db()
    assert placement.status == "confirmed"


def test_manager_commits_a_planned_allocation(visitor):
    page = visitor.page
    allocation = FundingAllocation.objects.get(
        status="planned", stream__name="Better Care Fund workforce development")
    topic = allocation.learning_need.topic

    # given the manager on the funding page
    log_in(visitor, "manager")
    visitor.click("link", name=demo_programme().name)
    visitor.click("link", name="Funding", exact=True)
    amount = f"£{allocation.amount:,.2f}"
    row = (page.locator("main tr").filter(has=page.get_by_role("link", name=topic, exact=True))
           .filter(has_text=amount))
    assert "Planned" in row.inner_text()

    # when they commit the planned money
    row.get_by_role("button", name=re.compile(r"^Commit")).click()
    page.wait_for_load_state()
    visitor.check_accessibility()

    # then it is committed, and no longer offered to commit
    row = (page.locator("main tr").filter(has=page.get_by_role("link", name=topic, exact=True))
           .filter(has_text=amount))
    assert "Committed" in row.inner_text()
    assert row.get_by_role("button", name=re.compile(r"^Commit")).count() == 0
    allocation.refresh_from_db()
    assert allocation.status == "committed"


class _Links(HTMLParser):
    """The links and forms of a page."""

    def __init__(self):
        super().__init__()
        self.links, self.forms = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), attrs.get("action")))


# The person's own pages, not the programme's: their account, their notifications, and
# the webhooks any member may add for their own systems (they change nothing of the
# programme's work).
NOT_THE_PROGRAMMES = {"logout", "login", "account", "password-change", "sign-out-everywhere",
                      "password-reset", "notifications", "notification-settings",
                      "notifications-read-all", "notification-read", "api-docs", "api-schema",
                      "webhooks"}


def test_reviewer_reaches_every_page_and_finds_no_form_that_changes_anything(visitor):
    """Every page the reviewer can reach by following links from their programmes list
    and the programme's pages is read (the links' query strings too); each kind of page
    is also opened in the browser and checked with axe."""
    page = visitor.page
    log_in(visitor, "reviewer")
    visitor.click("link", name=demo_programme().name)
    base = visitor.base_url
    start = ["/", urlsplit(page.url).path]
    seen, queue, posts, kinds = set(start), list(start), {}, {}
    while queue:
        path = queue.pop(0)
        kinds.setdefault(resolve(urlsplit(path).path).url_name, path)
        response = page.request.get(base + path)
        assert response.status < 400, f"{path} answered {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parsed = _Links()
        parsed.feed(response.text())
        posts[path] = [action for method, action in parsed.forms
                       if method != "get" and action != "/logout/"]
        for href in parsed.links:
            url = urlsplit(urljoin(base + path, href))
            if f"{url.scheme}://{url.netloc}" != base or "download=" in url.query:
                continue
            try:
                match = resolve(url.path)
            except Resolver404:
                continue
            if match.url_name in NOT_THE_PROGRAMMES or url.path.startswith("/api/"):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)

    # then the pages of every part of the programme were reached
    for name in ("dashboard", "principle", "gaps", "gap", "action-board", "action", "cycles",
                 "assessment", "assessment-section", "partners", "partner", "compare",
                 "learning-needs", "learning-need", "funding", "joint-commissioning",
                 "people", "catalogue", "my-actions"):
        assert name in kinds, f"no link reached the {name} page"
    # and none of them has a form that would change anything
    with_posts = {path: forms for path, forms in posts.items() if forms}
    assert with_posts == {}, f"forms a reviewer should not see: {with_posts}"
    print(f"{len(posts)} pages read, {len(kinds)} kinds of page")
    # and each kind of page passes the accessibility check and has one heading
    for target in kinds.values():
        visitor.goto(target)
        assert page.get_by_role("heading", level=1).count() == 1, target
        assert page.locator("form[method=post]").count() == 1, target  # the log-out button
