"""The pages of several voices: the lead asks people, each gives their views one statement
a page, and the lead sees where views split and records how the rating was agreed."""

import html
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from programmes import contributions, services
from programmes.models import Assessment, Contribution, Contributor, Response

from .. import factories as f

pytestmark = pytest.mark.django_db


def _draft(world):
    return f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)


def _ask(world, assessment, username, perspective, items=None):
    user = f.UserFactory(username=username, email=f"{username}@example.org")
    contributor = contributions.contributor_add(
        actor=world.lead_a, assessment=assessment, user=user, perspective=perspective,
        checklist_items=items or [])
    return user, contributor


def test_the_lead_asks_a_carer_by_email_and_sees_the_invitation_waiting(
        world, as_user, django_capture_on_commit_callbacks):
    assessment = _draft(world)
    client = as_user(world.lead_a)
    url = reverse("web:contributors", args=[assessment.pk])
    assert "Nobody has been asked yet" in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {"email": "sam.carer@example.org", "perspective": "carer",
                                   "principles": [world.principles[0].pk]}, follow=True)

    page = html.unescape(answer.content.decode())
    assert "sam.carer@example.org is asked for their views" in page
    assert "Invitation waiting" in page and "Asked about principle 1." in page
    contributor = Contributor.objects.get(assessment=assessment)
    assert contributor.perspective == "carer" and contributor.user is None
    assert set(contributor.checklist_items.values_list("pk", flat=True)) == {
        i.pk for i in world.items[:2]}
    assert mail.outbox[-1].to == ["sam.carer@example.org"]
    assert "Alpha Council's self-assessment" in mail.outbox[-1].subject


def test_a_bad_request_to_ask_says_what_to_fix_and_writes_nothing(world, as_user):
    assessment = _draft(world)
    answer = as_user(world.lead_a).post(reverse("web:contributors", args=[assessment.pk]),
                                        {"email": "not an address"})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Enter an e-mail address in the right form" in page
    assert "Select whose point of view they will give" in page
    assert not Contributor.objects.exists()


def test_only_those_who_may_answer_can_ask(world, as_user):
    assessment = _draft(world)
    url = reverse("web:contributors", args=[assessment.pk])
    assert as_user(world.lead_b).get(url).status_code == 403
    assert as_user(world.reviewer).get(url).status_code == 403
    assert as_user(world.outsider).get(url).status_code == 404
    task_list = as_user(world.reviewer).get(reverse("web:assessment", args=[assessment.pk]))
    assert url not in task_list.content.decode()
    assert url in as_user(world.lead_a).get(
        reverse("web:assessment", args=[assessment.pk])).content.decode()


def test_a_person_gives_their_views_one_statement_a_page(world, as_user):
    assessment = _draft(world)
    person, contributor = _ask(world, assessment, "pat", "person_supported", world.items[:2])
    client = as_user(person)

    home = client.get(reverse("web:home")).content.decode()
    assert "Asked for your views" in home
    assert reverse("web:contribute", args=[contributor.pk]) in home
    start = client.get(reverse("web:contribute", args=[contributor.pk])).content.decode()
    assert "Start now" in start and "2 short statements" in start

    first = reverse("web:contribute-item", args=[contributor.pk, world.items[0].pk])
    page = client.get(first).content.decode()
    assert "Statement 1 of 2" in page and world.items[0].text in page
    refused = client.post(first, {})
    assert refused.status_code == 400 and "Choose an answer" in refused.content.decode()

    step = client.post(first, {"rating": "partly_met", "comment": "Sometimes they talk."})
    assert step.status_code == 302
    assert step["Location"] == reverse("web:contribute-item",
                                       args=[contributor.pk, world.items[1].pk])
    last = client.post(step["Location"], {"rating": "not_met"})
    assert last["Location"] == reverse("web:contribute-check", args=[contributor.pk])
    check = html.unescape(client.get(last["Location"]).content.decode())
    assert "Thank you: you have given your views" in check
    assert "Sometimes they talk." in check

    views = Contribution.objects.filter(assessment=assessment, contributor=person)
    assert sorted(views.values_list("rating", "perspective")) == [
        ("not_met", "person_supported"), ("partly_met", "person_supported")]
    other = reverse("web:contribute-item", args=[contributor.pk, world.items[3].pk])
    assert client.get(other).status_code == 404
    assert as_user(world.lead_b).get(reverse("web:contribute", args=[contributor.pk])
                                     ).status_code == 404


def test_the_lead_sees_views_split_and_records_how_the_rating_was_agreed(world, as_user):
    assessment = _draft(world)
    item = world.items[0]
    for name, perspective, rating in (("sam", "staff", "met"),
                                      ("pat", "person_supported", "partly_met"),
                                      ("kim", "carer", "not_met")):
        user, _ = _ask(world, assessment, name, perspective, [item])
        contributions.contribution_save(actor=user, assessment=assessment,
                                        checklist_item=item, rating=rating,
                                        comment=f"{name} says so")
    f.answer_the_rest(assessment, "met")
    lead = as_user(world.lead_a)
    section = reverse("web:assessment-section", args=[assessment.pk, 1])
    page = html.unescape(lead.get(section).content.decode())
    assert "3 views: 1 met, 1 partly met, 1 not met" in page
    assert "Views split" in page and "pat says so" in page
    assert "How you agreed the rating" in page

    check = lead.get(reverse("web:assessment-submit", args=[assessment.pk])).content.decode()
    assert "Views that split" in check and "Submit the assessment" not in check
    refused = lead.post(reverse("web:assessment-submit", args=[assessment.pk]))
    assert refused.status_code == 409
    assert "Record how you agreed" in refused.content.decode()

    note = "We heard the carers: partly met until evenings are covered."
    form = {f"item-{i.pk}-rating": "met" for i in world.items[:2]}
    form[f"item-{item.pk}-rating"] = "partly_met"
    form[f"item-{item.pk}-consensus_note"] = note
    assert lead.post(section, form).status_code == 302
    response = Response.objects.get(assessment=assessment, checklist_item=item)
    assert (response.rating, response.consensus_note) == ("partly_met", note)
    assert lead.post(reverse("web:assessment-submit", args=[assessment.pk])).status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).is_submitted
    assert response.history.first().consensus_note == note


def test_after_submission_the_views_are_read_only(world, as_user):
    assessment = _draft(world)
    person, contributor = _ask(world, assessment, "pat", "person_supported")
    contributions.contribution_save(actor=person, assessment=assessment,
                                    checklist_item=world.items[0], rating="met")
    f.answer_the_rest(assessment, "met")
    services.assessment_submit(actor=world.lead_a, assessment=assessment)
    client = as_user(person)
    start = client.get(reverse("web:contribute", args=[contributor.pk])).content.decode()
    assert "answers can no longer change" in start and "Start now" not in start
    item = reverse("web:contribute-item", args=[contributor.pk, world.items[0].pk])
    assert client.post(item, {"rating": "not_met"})["Location"] == reverse(
        "web:contribute", args=[contributor.pk])
    assert Contribution.objects.get().rating == "met"


def test_the_invitation_pages_speak_of_views_and_lead_to_the_statements(
        world, django_capture_on_commit_callbacks):
    from people import services as people_services

    assessment = _draft(world)
    with django_capture_on_commit_callbacks(execute=True):
        people_services.contributor_invite(actor=world.lead_a, assessment=assessment,
                                           email="new.person@example.org",
                                           perspective="person_supported")
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    path = "/" + link.split("/", 3)[3]
    client = Client()
    page = html.unescape(client.get(path).content.decode())
    assert "Give your views on Alpha Council" in page
    assert "to give your views on Alpha Council's self-assessment" in page
    made = client.post(path, {"first_name": "Pat", "last_name": "Jones",
                              "password1": "a long pass phrase 2026",
                              "password2": "a long pass phrase 2026"})
    contributor = Contributor.objects.get(assessment=assessment)
    assert made.status_code == 302
    assert made["Location"] == reverse("web:contribute", args=[contributor.pk])
    assert contributor.user.email == "new.person@example.org"


def test_the_section_page_reads_views_in_a_fixed_number_of_queries(
        world, as_user, django_assert_max_num_queries):
    assessment = _draft(world)
    lead = as_user(world.lead_a)
    section = reverse("web:assessment-section", args=[assessment.pk, 1])
    for n in range(6):
        user, _ = _ask(world, assessment, f"voice{n}", "staff")
        for item in world.items[:2]:
            contributions.contribution_save(actor=user, assessment=assessment,
                                            checklist_item=item, rating="met")
    lead.get(section)
    with django_assert_max_num_queries(20):
        assert lead.get(section).status_code == 200
