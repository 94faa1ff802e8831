"""The highlight report's PDF as a reader sees it: ``pdftotext -layout`` of the demo
programme's report shows every column heading as a word of its own, a title on the
first page, and "Page N of M" on every page.

pdftotext comes from poppler-utils, which ``.ci/run`` installs: there (and wherever
``BROWSER_TESTS=required`` or ``CI`` is set) a missing pdftotext fails the test;
elsewhere it is skipped, saying why.
"""

import os
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command

from programmes.models import Programme
from reports import documents

PDFTOTEXT = shutil.which("pdftotext")
REQUIRED = os.environ.get("BROWSER_TESTS") == "required" or bool(os.environ.get("CI"))

pytestmark = pytest.mark.django_db


@pytest.fixture
def pdftotext():
    if PDFTOTEXT is None:
        if REQUIRED:
            pytest.fail("pdftotext (poppler-utils) is not installed, and CI needs it")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    return PDFTOTEXT


def test_the_demo_report_pdf_has_separate_headings_a_title_and_page_numbers(
        pdftotext, tmp_path):
    # given the demo programme, whose principles have long titles
    call_command("seed_demo", verbosity=0)
    programme = Programme.objects.order_by("pk").first()

    # when its highlight report is made as a PDF and read back as laid-out text
    _, pdf = documents.programme_highlight_pdf(programme=programme)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(  # noqa: S603 - our own file, the machine's pdftotext
        [pdftotext, "-layout", str(path), "-"],
        capture_output=True, check=True, text=True, timeout=60).stdout
    pages = [page for page in text.split("\f") if page.strip()]

    # then the first page opens with the title and the programme
    first_lines = [line.strip() for line in pages[0].splitlines() if line.strip()]
    assert first_lines[:2] == ["Highlight report", programme.name]
    # each column heading of the principles table is a word of its own
    table = pages[0].split("Score and work by principle", 1)[1]
    header = "\n".join(table.splitlines()[:3])
    for heading in ("Principle", "Score", "Change", "Assessed", "Met", "Partly", "Not",
                    "Open", "Actions", "Overdue", "Needs", "Co-produced"):
        assert re.search(rf"(^|\s){re.escape(heading)}(\s|$)", header, re.M), (heading, header)
    assert re.search(r"Score \(%\)\s+Change\s+Assessed\s+Met\s", header)
    # and every page says which page of how many it is
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page, (number, page[-300:])
    # with money in the service's one format
    assert re.search(r"£\d{1,3}(,\d{3})*\.\d\d", text)
