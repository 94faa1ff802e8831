"""Evidence in the pages: added to a draft's answer, listed on the section and gap pages,
downloaded by those who may see it, removed after a confirmation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programmes import services
from programmes.models import Evidence, Gap

from .. import factories as f
from ..programmes.test_evidence import ELF, pdf, store, stored  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(world):
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    f.ResponseFactory(assessment=assessment, checklist_item=world.items[0], rating="not_met")
    return assessment


def test_the_lead_adds_a_file_and_a_link_that_show_on_the_section_and_gap_pages(
        world, draft, as_user, store):  # noqa: F811
    answer = draft.responses.get()
    lead = as_user(world.lead_a)
    section = reverse("web:assessment-section", args=[draft.pk, 1])
    add = reverse("web:evidence-new", args=[answer.pk])
    assert add in lead.get(section).content.decode()

    made = lead.post(add, {"title": "Joint induction policy", "evidence_date": "2026-09-30",
                           "file": SimpleUploadedFile("policy.pdf", pdf(5000))})
    assert made.status_code == 302
    lead.post(add, {"url": "https://www.example.org/handbook", "title": "Handbook"})
    page = lead.get(section).content.decode()
    assert "Joint induction policy" in page and "Handbook" in page
    item = Evidence.objects.get(filename="policy.pdf")
    assert reverse("web:evidence-download", args=[item.pk]) in page

    f.answer_the_rest(draft)
    services.assessment_submit(actor=world.lead_a, assessment=draft)
    gap = Gap.objects.get(partner=world.partner_a, checklist_item=world.items[0])
    gap_page = as_user(world.reviewer).get(reverse("web:gap", args=[gap.pk])).content.decode()
    assert "Joint induction policy" in gap_page and "Handbook" in gap_page
    readonly = lead.get(section).content.decode()
    assert add not in readonly
    assert reverse("web:evidence-delete", args=[item.pk]) not in readonly
    download = as_user(world.reviewer).get(reverse("web:evidence-download", args=[item.pk]))
    assert download.status_code == 200


def test_a_refused_file_is_shown_on_the_form_and_nothing_is_stored(
        world, draft, as_user, store):  # noqa: F811
    answer = draft.responses.get()
    page = as_user(world.lead_a).post(reverse("web:evidence-new", args=[answer.pk]), {
        "file": SimpleUploadedFile("report.pdf", ELF)})
    assert page.status_code == 400
    assert "whatever its name says" in page.content.decode()
    none_given = as_user(world.lead_a).post(reverse("web:evidence-new", args=[answer.pk]), {})
    assert "Give a link or choose a file" in none_given.content.decode()
    assert not Evidence.objects.exists() and stored(store) == []


def test_only_those_who_may_answer_add_or_remove(world, draft, as_user, store):  # noqa: F811
    answer = draft.responses.get()
    item = Evidence.objects.create(response=answer, title="Link", url="https://example.org/")
    assert as_user(world.reviewer).get(
        reverse("web:evidence-new", args=[answer.pk])).status_code == 403
    assert as_user(world.lead_b).post(
        reverse("web:evidence-delete", args=[item.pk])).status_code == 403
    assert as_user(world.outsider).get(
        reverse("web:evidence-new", args=[answer.pk])).status_code == 404
    lead = as_user(world.lead_a)
    assert "Remove “Link”" in lead.get(reverse("web:evidence-delete", args=[item.pk])
                                       ).content.decode()
    assert lead.post(reverse("web:evidence-delete", args=[item.pk])).status_code == 302
    assert not Evidence.objects.exists()
