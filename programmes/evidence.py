"""Evidence behind an answer: links and files (DESIGN.md, "Consensus, evidence and
co-production").

Files go through Django's storage API (local under ``var/media`` by default, an
S3-compatible store in production) under a random name, and leave the service only
through the download views, which apply the assessment's own visibility. A file's type
is found from its bytes, never from its name, and a refused file is never stored.
Evidence of a submitted assessment is read-only; carrying answers forward copies their
evidence, the copies pointing at the same stored file.
"""

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction

from core.errors import DomainError, InvalidTransition

from . import access
from .models import Assessment, Evidence, Response

REFUSED = "Only the programme's managers and this partner's leads can add or remove evidence."
SUBMITTED = ("This assessment has been submitted: its evidence is kept as it was and can no "
             "longer change.")
KINDS_IN_WORDS = "PDF, Word, Excel, PowerPoint, CSV, text, PNG or JPEG"

# What ``filetype`` finds in the bytes -> the content type the service stores and serves.
ACCEPTED = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "png": "image/png",
    "jpg": "image/jpeg",
}
TEXT = {"csv": "text/csv", "txt": "text/plain"}
HEAD = 8192  # enough of the start of a file for every matcher used here


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def file_type(upload) -> str:
    """The content type of an uploaded file from its bytes, or a DomainError in words."""
    limit = settings.EVIDENCE_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise DomainError("This file is empty: choose the file again.", field="file")
    if size > limit:
        raise DomainError(f"This file is {_megabytes(size)}: files can be at most "
                          f"{_megabytes(limit).replace('.0 ', ' ')}.", field="file")
    upload.seek(0)
    head = upload.read(HEAD)
    upload.seek(0)
    found = filetype.guess(head)
    if found is not None and found.extension in ACCEPTED:
        return ACCEPTED[found.extension]
    suffix = (upload.name or "").rsplit(".", 1)[-1].lower() if "." in (upload.name or "") else ""
    if found is None and suffix in TEXT and _is_text(upload):
        return TEXT[suffix]
    raise DomainError(f"This file is not a {KINDS_IN_WORDS} file, whatever its name says.",
                      field="file")


def _is_text(upload) -> bool:
    """UTF-8 text with no NUL byte, read in chunks (a CSV of 10 MB is never held whole)."""
    upload.seek(0)
    tail = b""
    try:
        for chunk in upload.chunks():
            if b"\0" in chunk:
                return False
            data = tail + chunk
            try:
                data.decode("utf-8")
                tail = b""
            except UnicodeDecodeError as exc:
                if exc.start < len(data) - 3:  # not just a character cut by the chunk
                    return False
                tail = data[exc.start:]
        return not tail
    finally:
        upload.seek(0)


def _check_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        raise DomainError("Enter a link that starts with https:// or http://, like "
                          "https://www.example.org/report.", field="url") from None
    return url


def can_change(user, assessment: Assessment) -> bool:
    return access.can_answer_assessment(user, assessment.cycle.programme_id,
                                        assessment.partner_id)


def _lock_draft(response: Response) -> Assessment:
    from .services import _require_cycle_not_closed

    assessment = (Assessment.objects.select_for_update(of=("self",))
                  .select_related("cycle").get(pk=response.assessment_id))
    if assessment.status != Assessment.Status.DRAFT:
        raise InvalidTransition(SUBMITTED)
    _require_cycle_not_closed(assessment.cycle_id)
    return assessment


@transaction.atomic
def evidence_add(*, actor, response: Response, title: str = "", url: str = "", file=None,
                 evidence_date=None) -> Evidence:
    """Add a link or a file to an answer of a draft. The file is checked (size, and type
    from its bytes) before anything is stored."""
    assessment = response.assessment
    access.require(can_change(actor, assessment), REFUSED)
    _lock_draft(response)
    if bool(url) == bool(file):
        raise DomainError("Give a link or a file: one of the two, not both.",
                          field="file" if not url else "url")
    title = (title or "").strip()
    evidence = Evidence(response=response, evidence_date=evidence_date, uploaded_by=actor)
    if url:
        evidence.url = _check_url(url)
        evidence.title = title or evidence.url
    else:
        evidence.content_type = file_type(file)
        evidence.filename = (file.name or "evidence").rsplit("/", 1)[-1][:255]
        evidence.size = file.size
        evidence.title = title or evidence.filename
    if len(evidence.title) > 300:
        raise DomainError("The title must be 300 characters or fewer.", field="title")
    if file is not None:
        # Stored only now, once every rule has passed; a failure after this removes it.
        evidence.file.save(evidence.filename, file, save=False)
        stored = evidence.file.name or ""
        try:
            evidence.full_clean(exclude=["file"])
            evidence.save()
        except Exception:
            evidence.file.storage.delete(stored)
            raise
    else:
        evidence.full_clean()
        evidence.save()
    return evidence


@transaction.atomic
def evidence_delete(*, actor, evidence: Evidence) -> None:
    """Remove evidence from an answer of a draft. Its stored file goes when no other
    evidence (a copy carried forward) still points at it."""
    response = evidence.response
    access.require(can_change(actor, response.assessment), REFUSED)
    _lock_draft(response)
    name = evidence.file.name if evidence.file else ""
    Evidence.objects.filter(pk=evidence.pk).delete()
    if name and not Evidence.objects.filter(file=name).exists():
        storage = evidence.file.storage
        transaction.on_commit(lambda: storage.delete(name))


def copy_forward(pairs: list[tuple[int, Response]]) -> int:
    """Copy the evidence of earlier answers onto their carried-forward copies:
    ``pairs`` of (earlier response id, new response). Returns how many were copied."""
    by_source = dict(pairs)
    copies = [
        Evidence(response=by_source[e.response_id], title=e.title, url=e.url, file=e.file.name,
                 filename=e.filename, content_type=e.content_type, size=e.size,
                 evidence_date=e.evidence_date, uploaded_by_id=e.uploaded_by_id)
        for e in Evidence.objects.filter(response_id__in=by_source)
    ]
    Evidence.objects.bulk_create(copies)
    return len(copies)
