"""E-mails: subjects that name the programme and are never cut mid-word, plain text,
the service's headers, preferences per kind, and the managers' weekly digest."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from notifications import mail as service_mail
from notifications import services
from notifications.models import EmailDelivery, Event, Notification, NotificationPreference
from reports import weekly

from .. import factories as f
from ..conftest import email_problems

PREFERENCES = "/api/v1/notifications/preferences/"
MONDAY = datetime.date(2026, 11, 30)


def told(user, *, kind="action_assigned", message="A new action for you.", programme_name="",
         subject_id=None, link="/actions/1/"):
    """``user`` is told about an action of their programme (made here)."""
    from programmes.models import Membership

    programme = Membership.objects.filter(user=user).first().programme
    action = f.ActionFactory(programme=programme, title="Rota")
    services.notify(recipient_id=user.pk, kind=kind, subject_type="action",
                    subject_id=action.pk, occurrence=MONDAY, message=message, link=link,
                    programme_name=programme_name)


def sent_one():
    services.send_pending_emails()
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


# Subjects ------------------------------------------------------------------


def test_a_long_title_is_cut_after_a_whole_word_and_the_programme_named(world):
    # given a message far longer than a subject, about the world's programme
    title = " ".join(["Agree the shared induction checklist for home care workers"] * 4)
    told(world.lead_a, message=f"“{title}” is due on Tuesday 15 January 2027.",
         programme_name=world.programme.name)

    # when it is e-mailed
    email = sent_one()

    # then the subject names the programme, is at most 150 characters and ends on a word
    subject = email.subject
    assert subject.startswith(f"{world.programme.name}: “Agree the shared")
    assert len(subject) <= service_mail.SUBJECT_LIMIT and subject.endswith("…")
    kept = subject.removeprefix(f"{world.programme.name}: ").removesuffix("…")
    whole = f"“{title}” is due on Tuesday 15 January 2027."
    assert whole.startswith(kept) and whole[len(kept)] == " "
    assert email_problems(email) == []


def test_a_short_message_is_not_cut():
    assert service_mail.subject_line("North Riverside", "Due tomorrow:  “Rota”\n") == (
        "North Riverside: Due tomorrow: “Rota”")


def test_a_long_programme_name_is_kept_whole_and_the_message_keeps_its_first_words(world):
    # given a programme whose name takes up nearly all of a subject
    name = "Integrated Workforce Development Programme for Adult Social Care " * 3
    programme = f.ProgrammeFactory(name=name.strip(), framework=world.framework)
    told(world.lead_a, message="Due tomorrow: “Write up the joint training plan for winter”",
         programme_name=programme.name)

    # when it is e-mailed
    email = sent_one()

    # then the name is whole and the message is cut on a word, never to nothing
    assert email.subject.startswith(f"{programme.name}: Due tomorrow: “Write up")
    assert email.subject.endswith("…")
    message_part = email.subject.removeprefix(f"{programme.name}: ")
    assert len(message_part) <= service_mail.MESSAGE_MINIMUM
    assert email.extra_headers["X-Tracker-Programme"] == programme.name


def test_subjects_and_text_bodies_have_no_html_escapes(world):
    # given a programme and a message with an apostrophe, an ampersand and quotes
    told(world.lead_a, message="O'Neill & Sons asked for “<rota> & pay” to be agreed.",
         programme_name="O'Neill & Sons")

    # when it is e-mailed
    email = sent_one()

    # then subject and text read as written; the HTML part is escaped for HTML
    assert email.subject == "O'Neill & Sons: O'Neill & Sons asked for “<rota> & pay” to be agreed."
    assert "O'Neill & Sons asked for “<rota> & pay”" in email.body
    assert "Programme: O'Neill & Sons" in email.body
    assert "&amp;" not in email.body and "&#x27;" not in email.body
    html = email.alternatives[0][0]
    assert "O&#x27;Neill &amp; Sons asked for “&lt;rota&gt; &amp; pay”" in html


def test_each_email_says_its_kind_and_programme_and_links_to_the_item(world):
    told(world.lead_a, kind="action_overdue", message="Overdue: “Rota” was due last week.",
         programme_name=world.programme.name, link="/actions/7/")

    email = sent_one()

    assert email.extra_headers == {"X-Tracker-Kind": "action_overdue",
                                   "X-Tracker-Programme": world.programme.name}
    assert services.absolute("/actions/7/") in email.body
    assert services.absolute("/actions/7/") in email.alternatives[0][0]
    assert f"Programme: {world.programme.name}" in email.body


def test_reminder_emails_name_their_programme(world):
    # given an action of the programme due tomorrow, and an assessment cycle closing soon
    f.ActionFactory(programme=world.programme, owner=world.lead_a, owner_partner=world.partner_a,
                    title="Share the rota", due_date=MONDAY + datetime.timedelta(days=1))
    world.cycle.period_end = MONDAY + datetime.timedelta(days=7)
    world.cycle.save()

    # when the day's reminders are sent
    call_command("send_reminders", date=MONDAY.isoformat())
    services.send_pending_emails()

    # then every e-mail names the programme in its subject and header
    assert mail.outbox
    for email in mail.outbox:
        assert email.subject.startswith(f"{world.programme.name}: ")
        assert email.extra_headers["X-Tracker-Programme"] == world.programme.name
    assert set(Notification.objects.values_list("programme_name", flat=True)) == {
        world.programme.name}


def test_an_invitation_names_its_programme(world, django_capture_on_commit_callbacks):
    from people import services as people_services

    with django_capture_on_commit_callbacks(execute=True):
        people_services.invitation_create(actor=world.manager, programme=world.programme,
                                          email="new.person@example.org", role="reviewer")

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == f"{world.programme.name}: You are invited to join as a reviewer"
    assert email.extra_headers == {"X-Tracker-Kind": "invitation",
                                   "X-Tracker-Programme": world.programme.name}


def test_a_password_reset_is_about_no_programme(client, world):
    client.post(reverse("web:password-reset"), {"email": world.lead_a.email})

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "Set a new password for the workforce integration programme tracker"
    assert email.extra_headers == {"X-Tracker-Kind": "password_reset"}


# Preferences per kind --------------------------------------------------------


def test_each_kind_is_emailed_as_chosen_and_the_rest_follow_the_usual_setting(api, world):
    # given a lead who wants assignments off and overdue reminders in the digest
    client = api.as_user(world.lead_a)
    answer = client.patch(PREFERENCES, {"kinds": {"action_assigned": "off",
                                                  "action_overdue": "digest"}}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["kinds"] == {"action_assigned": "off", "action_overdue": "digest"}

    # when three kinds are told
    for kind in ["action_assigned", "action_overdue", "action_due_tomorrow"]:
        told(world.lead_a, kind=kind, programme_name=world.programme.name)

    # then each e-mail has the status its kind asks for
    statuses = dict(EmailDelivery.objects.values_list("notification__kind", "status"))
    assert statuses == {"action_assigned": "skipped", "action_overdue": "digest",
                        "action_due_tomorrow": "pending"}


def test_a_kind_not_chosen_follows_email_off_and_digest(world):
    NotificationPreference.objects.create(user=world.lead_a, email_enabled=False,
                                          kinds={"action_overdue": "immediate"})
    NotificationPreference.objects.create(user=world.lead_b, email_frequency="weekly_digest")
    for user in (world.lead_a, world.lead_b):
        told(user, kind="action_assigned")
        told(user, kind="action_overdue")

    statuses = {(r, k): s for r, k, s in EmailDelivery.objects.values_list(
        "recipient__username", "notification__kind", "status")}
    assert statuses == {("lead_a", "action_assigned"): "skipped",
                        ("lead_a", "action_overdue"): "pending",
                        ("lead_b", "action_assigned"): "digest",
                        ("lead_b", "action_overdue"): "digest"}


@pytest.mark.parametrize("kinds, words", [
    ({"action_asigned": "off"}, "“action_asigned” is not a kind of notification we send."),
    ({"action_assigned": "hourly"}, "Choose straight away, in the weekly digest or do not "
                                    "e-mail for “An action is given to you”"),
    ({"action_assigned": ["off"]}, "Choose straight away, in the weekly digest or do not "
                                   "e-mail for “An action is given to you”"),
    (["action_assigned"], "Give a choice for each kind of notification"),
    ("off", "Give a choice for each kind of notification"),
])
def test_bad_kinds_are_refused_in_words_and_change_nothing(api, world, kinds, words):
    client = api.as_user(world.lead_a)
    answer = client.patch(PREFERENCES, {"kinds": kinds}, format="json")
    assert answer.status_code == 400
    assert words in str(answer.json())
    assert client.get(PREFERENCES).json()["kinds"] == {}


def test_the_settings_page_shows_each_group_and_saves_each_kind(client, world):
    client.force_login(world.lead_a)
    url = reverse("web:notification-settings")

    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    for heading in ("Your actions", "Assessments and gaps", "Training and bookings"):
        assert f'<h3 class="nhsuk-fieldset__heading">{heading}</h3>' in html
    assert "nhsuk-radios--small nhsuk-radios--inline" in html
    assert 'name="kind_action_assigned" type="radio" value="digest"' in html

    saved = client.post(url, {"email_enabled": "on", "email_frequency": "immediate",
                              "kind_action_assigned": "digest", "kind_gap_opened": "off",
                              "kind_action_overdue": ""})
    assert saved.status_code == 302
    assert NotificationPreference.objects.get(user=world.lead_a).kinds == {
        "action_assigned": "digest", "gap_opened": "off"}
    assert 'value="digest" checked' in client.get(url).content.decode()


def test_the_settings_page_refuses_an_unknown_choice_in_words(client, world):
    client.force_login(world.lead_a)
    answer = client.post(reverse("web:notification-settings"), {
        "email_enabled": "on", "email_frequency": "immediate", "kind_gap_opened": "hourly"})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "There is a problem" in html
    assert "Choose how we e-mail you when a gap is opened by hand" in html
    assert not NotificationPreference.objects.get(user=world.lead_a).kinds


# The managers' weekly digest ---------------------------------------------------


def _event(world, kind, day):
    Event.objects.create(kind=kind, programme_id=world.programme.pk,
                         programme_name=world.programme.name, subject_type="gap", subject_id=1,
                         created_at=timezone.make_aware(datetime.datetime.combine(
                             day, datetime.time(12))), delivered_at=timezone.now())


@pytest.fixture
def a_busy_week(world):
    """Changes in the week before Monday 30 November, and overdue actions of two partners."""
    for kind, n in (("gap.opened", 3), ("action.done", 1), ("assessment.submitted", 2)):
        for _ in range(n):
            _event(world, kind, datetime.date(2026, 11, 25))
    _event(world, "gap.closed", datetime.date(2026, 11, 10))  # weeks before: not counted
    other = f.ProgrammeFactory(framework=world.framework, name="Elsewhere")
    Event.objects.create(kind="gap.opened", programme_id=other.pk, subject_type="gap",
                         subject_id=2, created_at=timezone.now())  # not this programme
    for title, due in (("Agree the rota", datetime.date(2026, 10, 1)),
                       ("Share the plan", datetime.date(2026, 11, 1))):
        f.ActionFactory(programme=world.programme, owner_partner=world.partner_b, title=title,
                        due_date=due)
    for title, due in (("Book the room", datetime.date(2026, 9, 1)),):
        f.ActionFactory(programme=world.programme, owner_partner=world.partner_a, title=title,
                        due_date=due)
    f.ActionFactory(programme=world.programme, owner_partner=world.partner_a, title="Done",
                    due_date=datetime.date(2026, 8, 1), status="done",
                    completed_at=datetime.datetime(2026, 8, 1, 12, tzinfo=datetime.UTC))
    return world


def test_every_manager_gets_a_digest_with_the_weeks_changes_and_overdue_work(a_busy_week):
    world = a_busy_week
    # given no notifications waiting for anyone
    # when the digests are queued for the week of Monday 30 November and sent
    assert services.queue_weekly_digests(today=MONDAY) == 1
    services.send_pending_emails()

    # then the manager (and nobody else) gets one, naming the programme
    assert [m.to for m in mail.outbox] == [[world.manager.email]]
    email = mail.outbox[0]
    assert email.subject == f"Weekly digest: {world.programme.name}"
    assert email.extra_headers == {"X-Tracker-Kind": "digest",
                                   "X-Tracker-Programme": world.programme.name}
    body = email.body
    # the week's changes, by kind, in words
    assert f"This week in {world.programme.name}" in body
    assert "- 2 self-assessments submitted\n- 3 gaps opened\n- 1 action done\n" in body
    assert "gap closed" not in body
    # overdue by partner, worst first, with the oldest named
    assert f"Overdue actions in {world.programme.name}, by partner" in body
    beta = body.index("Beta Trust: 2 overdue actions; the oldest, “Agree the rota”, was due "
                      "on 1 October 2026")
    alpha = body.index("Alpha Council: 1 overdue action; the oldest, “Book the room”")
    assert beta < alpha
    # and the successes, as before
    assert f"Successes to celebrate: {world.programme.name}" in body
    html = email.alternatives[0][0]
    assert "3 gaps opened" in html and "Beta Trust: 2 overdue actions" in html


def test_the_digest_goes_once_a_week_however_often_it_is_queued(a_busy_week):
    world = a_busy_week
    told(world.manager, programme_name=world.programme.name)
    NotificationPreference.objects.create(user=world.manager, email_frequency="weekly_digest")
    told(world.manager, kind="action_overdue", programme_name=world.programme.name)

    assert services.queue_weekly_digests(today=MONDAY) == 1
    assert services.queue_weekly_digests(today=MONDAY + datetime.timedelta(days=2)) == 0
    services.send_pending_emails()
    services.send_pending_emails()

    digests = [m for m in mail.outbox if m.extra_headers["X-Tracker-Kind"] == "digest"]
    assert len(digests) == 1
    assert digests[0].subject == f"Weekly digest: {world.programme.name}: 1 update"
    assert (f"Your updates:\n\n{world.programme.name}\n- A new action for you.\n"
            f"  {services.absolute('/actions/1/')}\n") in digests[0].body
    assert EmailDelivery.objects.filter(digest_week=MONDAY).count() == 1


def test_a_quiet_week_says_so(world):
    services.queue_weekly_digests(today=MONDAY)
    services.send_pending_emails()

    body = mail.outbox[0].body
    assert "Nothing changed from 23 November 2026 to" in body
    assert "No action is overdue. Well done!" in body


def test_the_digest_sections_take_the_same_queries_for_one_programme_or_five(
        world, django_assert_max_num_queries):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            weekly.week_changes_for_managers(recipient=world.manager, week=MONDAY)
            weekly.overdue_by_partner_for_managers(recipient=world.manager, week=MONDAY)
        return len(queries)

    one = count()
    for n in range(4):
        programme = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
        f.MembershipFactory(programme=programme, user=world.manager, role="manager")
        f.ActionFactory(programme=programme, owner_partner=world.partner_a,
                        due_date=datetime.date(2026, 1, n + 1))
    assert count() == one == 4


@pytest.mark.parametrize("names, subject", [
    (["North Riverside"], "Weekly digest: North Riverside"),
    (["A", "B"], "Weekly digest: A and B"),
    (["A", "B", "C"], "Weekly digest: A and 2 more"),
])
def test_digest_subjects_name_their_programmes(names, subject):
    assert service_mail.digest_subject(names, 0) == subject
    assert service_mail.digest_subject(names, 4) == f"{subject}: 4 updates"


@pytest.mark.parametrize("subject, headers, problem", [
    ("North Riverside: O&#x27;Neill asked", {"X-Tracker-Programme": "North Riverside"},
     "has an HTML escape"),
    ("North Riverside: Agree the sha…", {"X-Tracker-Programme": "North Riverside"},
     "was cut in the middle of a word"),
    ("Agree the shared rota", {"X-Tracker-Programme": "North Riverside"},
     "does not name its programme ('North Riverside')"),
])
def test_the_suite_wide_check_finds_bad_subjects(subject, headers, problem):
    email = service_mail.message(subject=subject, body="Agree the shared rota.", to=["a@b.org"],
                                 kind="action_assigned")
    email.extra_headers.update(headers)
    assert problem in email_problems(email)
