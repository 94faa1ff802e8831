"""Evidence behind answers: a file checked from its bytes and size before anything is
stored, downloads only for those who may see the assessment, read-only after submission,
carried forward with the answers."""

import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from programmes import evidence as evidence_services
from programmes import services
from programmes.models import Evidence, Response
from tests import factories as f

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def pdf(size: int) -> bytes:
    """A PDF's bytes padded to ``size`` (the type is read from the start)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    return head + b"0" * (size - len(head) - 6) + b"%%EOF\n"


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 4088


@pytest.fixture
def store(settings, tmp_path):
    """Files in this test's own folder, which must hold exactly what was accepted."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


def stored(store) -> list:
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


@pytest.fixture
def answer(world):
    assessment = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    return f.ResponseFactory(assessment=assessment, checklist_item=world.items[0],
                             rating="partly_met")


def _upload(client, answer, name, content):
    return client.post("/api/v1/evidence/", {
        "response": answer.pk, "title": "Induction policy",
        "file": SimpleUploadedFile(name, content, content_type="application/pdf")})


def test_a_9_mb_pdf_uploads_and_downloads_for_a_member_and_is_a_404_for_others(
        api, world, answer, store):
    content = pdf(9 * MB)
    made = _upload(api.as_user(world.lead_a), answer, "policy.pdf", content)
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["filename"], body["content_type"], body["size"]) == (
        "policy.pdf", "application/pdf", 9 * MB)
    assert "file" not in body and body["download_url"].endswith(f"/evidence/{body['id']}/download/")
    assert len(stored(store)) == 1

    got = api.as_user(world.reviewer).get(body["download_url"])
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == content
    assert 'filename="policy.pdf"' in got["Content-Disposition"]
    assert got["X-Content-Type-Options"] == "nosniff"
    assert api.as_user(world.outsider).get(body["download_url"]).status_code == 404

    page = Client()
    page.force_login(world.outsider)
    assert page.get(reverse("web:evidence-download", args=[body["id"]])).status_code == 404
    page.force_login(world.lead_b)
    assert page.get(reverse("web:evidence-download", args=[body["id"]])).status_code == 200


@pytest.mark.parametrize(("name", "content", "message"), [
    ("report.pdf", ELF, "This file is not a PDF, Word, Excel, PowerPoint, CSV, text, PNG or "
                        "JPEG file, whatever its name says."),
    ("setup.docx", b"MZ\x90\x00\x03" + b"\x00" * 4000, "whatever its name says"),
    ("big.pdf", pdf(11 * MB), "This file is 11.0 MB: files can be at most 10 MB."),
    ("notes.txt", b"line one\x00line two", "whatever its name says"),
    ("empty.pdf", b"", "This file is empty"),
])
def test_a_refused_file_gets_a_clear_400_and_nothing_is_stored(
        api, world, answer, store, name, content, message):
    refused = _upload(api.as_user(world.lead_a), answer, name, content)
    assert refused.status_code == 400
    assert message in str(refused.json())
    assert not Evidence.objects.exists()
    assert stored(store) == []


def test_text_csv_images_and_office_files_are_accepted_by_their_bytes(
        api, world, answer, store):
    import io

    from openpyxl import Workbook

    book = io.BytesIO()
    Workbook().save(book)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    cases = [("figures.csv", "Team,Trained\nNorth,12\n".encode(), "text/csv"),
             ("minutes.txt", "Met on 3 March: café".encode(), "text/plain"),
             ("photo.png", png, "image/png"),
             ("plan.xlsx", book.getvalue(),
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    client = api.as_user(world.manager)
    for name, content, expected in cases:
        made = _upload(client, answer, name, content)
        assert made.status_code == 201, (name, made.content)
        assert made.json()["content_type"] == expected
    assert len(stored(store)) == 4


def test_a_link_and_the_rules_of_who_and_when(api, world, answer, store):
    link = {"response": answer.pk, "url": "https://www.example.org/induction",
            "title": "Induction handbook", "evidence_date": "2026-10-01"}
    assert api.as_user(world.reviewer).post("/api/v1/evidence/", link,
                                            format="json").status_code == 403
    assert api.as_user(world.lead_b).post("/api/v1/evidence/", link,
                                          format="json").status_code == 403
    assert api.as_user(world.outsider).post("/api/v1/evidence/", link,
                                            format="json").status_code == 400
    bad = api.as_user(world.lead_a).post("/api/v1/evidence/", {**link, "url": "javascript:x"},
                                         format="json")
    assert bad.status_code == 400 and "https://" in str(bad.json())
    made = api.as_user(world.lead_a).post("/api/v1/evidence/", link, format="json")
    assert made.status_code == 201 and made.json()["download_url"] is None
    listed = api.as_user(world.reviewer).get(f"/api/v1/evidence/?response={answer.pk}").json()
    assert [e["title"] for e in listed["results"]] == ["Induction handbook"]
    assert api.as_user(world.outsider).get(
        f"/api/v1/evidence/{made.json()['id']}/").status_code == 404


def test_evidence_of_a_submitted_assessment_is_read_only(api, world, answer, store):
    client = api.as_user(world.lead_a)
    kept = _upload(client, answer, "policy.pdf", pdf(4000)).json()
    f.answer_the_rest(answer.assessment)
    services.assessment_submit(actor=world.lead_a, assessment=answer.assessment)
    refused = _upload(client, answer, "later.pdf", pdf(4000))
    assert refused.status_code == 409 and "can no longer change" in str(refused.json())
    assert client.delete(f"/api/v1/evidence/{kept['id']}/").status_code == 409
    assert Evidence.objects.count() == 1 and len(stored(store)) == 1


def test_evidence_is_carried_forward_and_a_copy_removed_keeps_the_file(
        api, world, answer, store):
    client = api.as_user(world.lead_a)
    kept = _upload(client, answer, "policy.pdf", pdf(4000)).json()
    client.post("/api/v1/evidence/", {"response": answer.pk, "url": "https://example.org/a"},
                format="json")
    f.answer_the_rest(answer.assessment)
    services.assessment_submit(actor=world.lead_a, assessment=answer.assessment)
    later = f.CycleFactory(programme=world.programme, name="Review")
    draft = f.AssessmentFactory(cycle=later, partner=world.partner_a)
    services.assessment_carry_forward(actor=world.lead_a, assessment=draft)

    copy = Response.objects.get(assessment=draft, checklist_item=world.items[0])
    copied = list(copy.evidence_items.order_by("pk"))
    assert [(e.title, bool(e.file)) for e in copied] == [
        ("Induction policy", True), ("https://example.org/a", False)]
    original = Evidence.objects.get(pk=kept["id"])
    assert copied[0].file.name == original.file.name

    with_commit = client.delete(f"/api/v1/evidence/{copied[0].pk}/")
    assert with_commit.status_code == 204
    assert len(stored(store)) == 1  # the submitted answer's file stays
    assert client.get(f"/api/v1/evidence/{kept['id']}/download/").status_code == 200


def test_removing_the_only_reference_deletes_the_stored_file(
        world, answer, store, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("policy.pdf", pdf(4000))
    item = evidence_services.evidence_add(actor=world.lead_a, response=answer, file=upload)
    assert len(stored(store)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        evidence_services.evidence_delete(actor=world.lead_a, evidence=item)
    assert stored(store) == [] and not Evidence.objects.exists()


def test_the_evidence_list_reads_a_fixed_number_of_queries(
        api, world, answer, store, django_assert_max_num_queries):
    client = api.as_user(world.manager)
    for n in range(12):
        client.post("/api/v1/evidence/", {"response": answer.pk,
                                          "url": f"https://example.org/{n}"}, format="json")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/evidence/").json()["count"] == 12


def test_the_settings_keep_files_in_an_s3_store_when_asked():
    code = ("import django, os; django.setup(); from django.conf import settings; "
            "print(settings.STORAGES['default']['BACKEND'], "
            "settings.STORAGES['default']['OPTIONS']['bucket_name'])")
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "EVIDENCE_STORAGE": "s3",
           "AWS_STORAGE_BUCKET_NAME": "tracker-evidence", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", code], env=env, capture_output=True,
        text=True, check=True).stdout
    assert out.split() == ["storages.backends.s3.S3Storage", "tracker-evidence"]
