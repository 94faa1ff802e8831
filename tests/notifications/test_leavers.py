"""Leaving a programme ends what the person received from it: no calendar entries, no
reminders, and no e-mail still waiting about it, while their other programme's go on.

The reminder run is checked on both ways of writing a batch: the portable
``bulk_create`` path (every database) and the single PostgreSQL statement (the
``postgres`` pass).
"""

import datetime
import inspect
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from icalendar import Calendar

from actions.reminders import due_action_reminders
from notifications import audience, services
from notifications.models import EmailDelivery, Notification, NotificationPreference
from programmes.models import Membership
from programmes.reminders import due_assessment_reminders

from .. import factories as f

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 23)  # a Monday
PATHS = ["portable", pytest.param("postgresql", marks=pytest.mark.postgres)]


def days(n: int) -> datetime.date:
    return DAY + datetime.timedelta(days=n)


@pytest.fixture
def two_programmes(world):
    """Alpha Council's lead in two programmes, with work due in each: an action due
    tomorrow, one overdue and one due in a month, and a cycle closing in two days."""
    lead = world.lead_a
    lead.email = "lead_a@example.org"
    lead.save()
    other = f.ProgrammeFactory(name="Second programme", framework=world.framework,
                               partners=[world.partner_a])
    f.MembershipFactory(programme=other, user=world.manager, role=Membership.Role.MANAGER)
    f.MembershipFactory(programme=other, user=lead, role=Membership.Role.PARTNER_LEAD,
                        partner=world.partner_a)
    work = {}
    for name, programme in (("first", world.programme), ("second", other)):
        for when, due_in in (("tomorrow", 1), ("overdue", -3), ("later", 30)):
            work[name, when] = f.ActionFactory(
                programme=programme, owner=lead, owner_partner=world.partner_a,
                due_date=days(due_in), title=f"{name.title()} programme action due {when}")
        work[name, "cycle"] = f.CycleFactory(
            programme=programme, name=f"{name.title()} cycle", period_start=days(-60),
            period_end=days(2))
    return world, other, work


def pytest_generate_tests(metafunc):
    """Each test in which someone leaves runs both ways of leaving: the membership
    deleted, and the membership ended (kept, with ``ended_at``)."""
    if "_leave(" in inspect.getsource(metafunc.function):
        metafunc.parametrize("leaving", ["removed", "ended"], indirect=True)


HOW = {"way": "removed"}


@pytest.fixture(autouse=True)
def leaving(request):
    HOW["way"] = getattr(request, "param", "removed")
    yield HOW["way"]
    HOW["way"] = "removed"


def _leave(api, world, programme, user):
    """The manager removes the person from the programme, or ends their membership,
    through the API."""
    membership = Membership.objects.get(programme=programme, user=user)
    manager = api.as_user(world.manager)
    if HOW["way"] == "ended":
        answer = manager.post(f"/api/v1/memberships/{membership.pk}/end/")
        assert answer.status_code == 200, answer.content
        return
    answer = manager.delete(f"/api/v1/memberships/{membership.pk}/")
    assert answer.status_code == 204, answer.content


def _use(path, monkeypatch, is_postgres):
    if path == "portable":
        monkeypatch.setattr(services, "FAST_PATH", False)
    assert services.use_fast_path() is (path == "postgresql")
    assert is_postgres or path == "portable"


def _run(day):
    services.notify_many(due_action_reminders(day), batch_size=3)
    services.notify_many(due_assessment_reminders(day), batch_size=3)


def _mailed(to="lead_a@example.org"):
    return "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox if m.to == [to])


def _sent_to(user):
    return EmailDelivery.objects.filter(recipient=user, status="sent").count()


def _feed(client, api, user):
    url = api.as_user(user).get("/api/v1/calendar-feed/").json()["url"]
    feed = client.get(urlsplit(url).path)
    assert feed.status_code == 200
    return sorted(str(e["summary"]) for e in Calendar.from_ical(feed.content).walk("VEVENT"))


# The calendar feed -----------------------------------------------------------------


def test_someone_who_leaves_a_programme_loses_its_actions_from_their_calendar(
        api, client, two_programmes):
    # given a lead whose feed lists their actions in both programmes
    world, other, work = two_programmes
    before = _feed(client, api, world.lead_a)
    assert len(before) == 6

    # when they are removed from the first programme
    _leave(api, world, world.programme, world.lead_a)

    # then the feed lists the second programme's actions only, as the API does
    after = _feed(client, api, world.lead_a)
    assert after == sorted(f"Due: {work['second', w].title}"
                           for w in ("tomorrow", "overdue", "later"))
    gone = work["first", "tomorrow"]
    assert api.as_user(world.lead_a).get(f"/api/v1/actions/{gone.pk}/").status_code == 404


def test_a_staff_member_removed_from_a_programme_keeps_what_staff_see(
        api, client, two_programmes):
    # staff see every programme in the API, so their feed keeps their actions too
    world, other, work = two_programmes
    Membership.objects.filter(user=world.lead_a).update(role=Membership.Role.MANAGER)
    world.lead_a.is_staff = True
    world.lead_a.save()
    Membership.objects.filter(user=world.lead_a, programme=world.programme).delete()
    assert len(_feed(client, api, world.lead_a)) == 6


# Reminders -------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_no_reminders_from_a_programme_after_leaving_it(
        api, two_programmes, path, monkeypatch, is_postgres):
    # given a lead removed from the first programme, on either way of writing reminders
    world, other, work = two_programmes
    _use(path, monkeypatch, is_postgres)
    _leave(api, world, world.programme, world.lead_a)

    # when the reminder run goes on for three weeks
    for day in (DAY, days(1), days(7), days(14)):
        _run(day)

    # then they have reminders of the second programme's actions and cycle only
    mine = Notification.objects.filter(recipient=world.lead_a)
    about = set(mine.values_list("subject_type", "subject_id"))
    assert about == {("action", work["second", "tomorrow"].pk),
                     ("action", work["second", "overdue"].pk),
                     ("cycle", work["second", "cycle"].pk)}
    assert mine.filter(subject_type="action", subject_id=work["second", "overdue"].pk).count() == 3
    assert not mine.filter(message__contains="First programme").exists()


@pytest.mark.parametrize("path", PATHS)
def test_leaving_one_programme_keeps_the_other_programmes_reminders_coming(
        api, two_programmes, path, monkeypatch, is_postgres):
    # given a lead in two programmes, who leaves the first after its reminders began
    world, other, work = two_programmes
    _use(path, monkeypatch, is_postgres)
    _run(DAY)
    reminded = Notification.objects.filter(recipient=world.lead_a).count()
    assert reminded == 6  # two actions and a cycle in each programme
    _leave(api, world, world.programme, world.lead_a)

    # when the run goes on a week later (both programmes' actions are overdue by then)
    _run(days(7))

    # then only the second programme's actions are reminded again
    new = Notification.objects.filter(recipient=world.lead_a, occurrence__gt=DAY)
    assert sorted(new.values_list("subject_id", flat=True)) == sorted(
        [work["second", "tomorrow"].pk, work["second", "overdue"].pk])


@pytest.mark.parametrize("path", PATHS)
def test_an_ended_account_gets_no_reminders(two_programmes, path, monkeypatch, is_postgres):
    world, other, work = two_programmes
    _use(path, monkeypatch, is_postgres)
    world.lead_a.is_active = False
    world.lead_a.save()

    _run(DAY)

    assert not Notification.objects.filter(recipient=world.lead_a).exists()
    assert Notification.objects.filter(recipient=world.lead_b, kind="assessment_due").exists()


def test_the_other_members_still_get_the_programmes_reminders(api, two_programmes):
    # given Beta Trust's lead, who stays in the first programme, and an action of theirs
    world, other, work = two_programmes
    theirs = f.ActionFactory(programme=world.programme, owner=world.lead_b,
                             due_date=days(1), title="Beta's action")
    _leave(api, world, world.programme, world.lead_a)

    _run(DAY)

    assert Notification.objects.filter(recipient=world.lead_b, subject_id=theirs.pk).exists()
    assert Notification.objects.filter(
        recipient=world.lead_b, subject_type="cycle", subject_id=work["first", "cycle"].pk
    ).exists()


# E-mails waiting when the person leaves ------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_emails_waiting_about_a_programme_are_not_sent_after_leaving_it(
        api, two_programmes, path, monkeypatch, is_postgres):
    # given the day's reminders written, their e-mails not yet sent
    world, other, work = two_programmes
    _use(path, monkeypatch, is_postgres)
    _run(DAY)
    waiting = EmailDelivery.objects.filter(recipient=world.lead_a, status="pending")
    assert waiting.count() == 6

    # when the lead is removed from the first programme, then the e-mails go
    _leave(api, world, world.programme, world.lead_a)
    services.send_pending_emails()

    # then the second programme's three are sent and the first's three are not
    assert _sent_to(world.lead_a) == 3
    text = _mailed()
    assert "Second programme action due tomorrow" in text
    assert "Second cycle" in text
    assert "First programme" not in text and "First cycle" not in text
    skipped = EmailDelivery.objects.filter(recipient=world.lead_a, status="skipped")
    assert skipped.count() == 3
    assert set(skipped.values_list("last_error", flat=True)) == {audience.LEFT}

    # and nothing about the first programme goes later either
    for day in (days(1), days(7), days(14)):
        call_command("send_reminders", date=day.isoformat())
    assert "First programme" not in _mailed()
    assert "Second programme action due overdue" in _mailed()


def test_an_email_being_retried_is_not_sent_once_the_person_has_left(
        api, two_programmes, monkeypatch):
    # given the day's e-mails failing once, so they wait for a retry
    world, other, work = two_programmes
    _run(DAY)

    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    assert services.send_pending_emails() == 0
    monkeypatch.undo()

    # when the lead leaves the first programme before the retry
    _leave(api, world, world.programme, world.lead_a)
    EmailDelivery.objects.update(next_attempt_at=None)
    services.send_pending_emails()

    # then only the second programme's are sent
    assert _sent_to(world.lead_a) == 3
    assert "First programme" not in _mailed()


def test_an_assignment_email_waiting_for_someone_who_left_is_not_sent(api, two_programmes):
    # given an action assigned to the lead by the manager, its e-mail not yet sent
    world, other, work = two_programmes
    answer = api.as_user(world.manager).post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "First programme handover",
        "owner": world.lead_a.pk, "owner_partner": world.partner_a.pk,
    }, format="json")
    assert answer.status_code == 201, answer.content
    f.deliver_events()
    assert EmailDelivery.objects.filter(recipient=world.lead_a, status="pending").count() == 1

    # when the lead leaves before it goes
    _leave(api, world, world.programme, world.lead_a)
    services.send_pending_emails()

    # then it is not sent
    assert _mailed() == ""
    assert EmailDelivery.objects.get(recipient=world.lead_a).status == "skipped"


def test_an_ended_account_is_sent_nothing_that_was_waiting(two_programmes):
    world, other, work = two_programmes
    _run(DAY)
    world.lead_a.is_active = False
    world.lead_a.save()

    services.send_pending_emails()

    assert _mailed() == ""
    assert set(EmailDelivery.objects.filter(recipient=world.lead_a).values_list(
        "last_error", flat=True)) == {audience.ENDED}


# The weekly digest --------------------------------------------------------------------


@pytest.fixture
def on_the_digest(two_programmes):
    world, other, work = two_programmes
    NotificationPreference.objects.create(user=world.lead_a, email_frequency="weekly_digest")
    _run(DAY)
    assert EmailDelivery.objects.filter(recipient=world.lead_a, status="digest").count() == 6
    return two_programmes


def test_the_digest_leaves_out_a_programme_the_person_has_left(api, on_the_digest):
    # given a lead on the weekly digest, with six items waiting from two programmes
    world, other, work = on_the_digest

    # when they leave the first programme and the digest goes
    _leave(api, world, world.programme, world.lead_a)
    services.queue_weekly_digests(today=days(7))
    services.send_pending_emails()

    # then it carries the second programme's three items only
    mine = [m for m in mail.outbox if m.to == ["lead_a@example.org"]]
    assert len(mine) == 1
    digest = mine[0]
    assert "3 updates" in digest.subject
    assert "Second programme action due tomorrow" in digest.body
    assert "First programme" not in digest.body and "First cycle" not in digest.body
    statuses = EmailDelivery.objects.filter(recipient=world.lead_a, notification__isnull=False)
    assert sorted(statuses.values_list("status", flat=True)) == ["digested"] * 3 + ["skipped"] * 3


def test_no_digest_when_everything_in_it_is_about_programmes_the_person_left(
        api, on_the_digest):
    # given a lead whose waiting items are all about programmes they then leave
    world, other, work = on_the_digest
    _leave(api, world, world.programme, world.lead_a)
    _leave(api, world, other, world.lead_a)

    # when the digest is queued and the e-mails go
    services.queue_weekly_digests(today=days(7))
    services.send_pending_emails()

    # then no digest is sent
    assert _mailed() == ""
    digest = EmailDelivery.objects.get(recipient=world.lead_a, digest_week__isnull=False)
    assert digest.status == "skipped"
    assert digest.last_error == audience.NOTHING_LEFT


def test_the_withdrawal_check_costs_a_fixed_number_of_queries(
        api, two_programmes, django_assert_max_num_queries):
    # given many waiting e-mails for people in and out of the programmes
    world, other, work = two_programmes
    for i in range(30):
        f.ActionFactory(programme=other, owner=world.lead_a, due_date=days(1),
                        title=f"Extra {i}")
    _run(DAY)
    _leave(api, world, world.programme, world.lead_a)
    due = list(EmailDelivery.objects.select_related("notification", "recipient"))

    # when the e-mails being sent are checked
    with django_assert_max_num_queries(5):
        withdrawn = audience.withdraw(due)

    # then the first programme's three are withdrawn, whatever the number of e-mails
    assert len(withdrawn) == 3
