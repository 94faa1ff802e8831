"""The highlight report as an HTML page or a PDF file (xhtml2pdf: pure Python)."""

import base64
import functools
import io
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from xhtml2pdf import pisa

from . import charts, selectors


class PdfFailed(RuntimeError):
    """xhtml2pdf could not lay out the report."""


@functools.cache
def _stylesheet() -> str:
    """The report's style sheet, which the HTML page links to, for the PDF's own copy
    (the page carries no inline style, which the Content-Security-Policy refuses)."""
    return Path(finders.find("css/highlight-report.css")).read_text(encoding="utf-8")


def _context(report: dict, *, for_pdf: bool) -> dict:
    svg = charts.score_chart([
        {"label": f"Principle {p['number']}", "score": p["score"],
         "previous": p["previous_score"]}
        for p in report["principles"]
    ])
    if for_pdf:
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        chart = mark_safe(f'<img src="{uri}" width="640" alt="Score by principle">')  # noqa: S308
    else:
        chart = mark_safe(svg)  # noqa: S308 - built from escaped text in charts.py
    stylesheet = mark_safe(_stylesheet()) if for_pdf else ""  # noqa: S308 - our own file
    return {"report": report, "chart": chart, "for_pdf": for_pdf, "stylesheet": stylesheet}


def highlight_html(report: dict) -> str:
    return render_to_string("reports/highlight_report.html", _context(report, for_pdf=False))


def highlight_pdf(report: dict) -> bytes:
    html = render_to_string("reports/highlight_report.html", _context(report, for_pdf=True))
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise PdfFailed(f"The PDF could not be made ({result.err} errors).")
    return out.getvalue()


def highlight_filename(report: dict, extension: str) -> str:
    programme, day = report["programme"]["id"], report["today"]
    return f"highlight-report-programme-{programme}-{day:%Y-%m-%d}.{extension}"


def programme_highlight_pdf(*, programme, today=None) -> tuple[str, bytes]:
    report = selectors.highlight_report(programme=programme, today=today)
    return highlight_filename(report, "pdf"), highlight_pdf(report)
