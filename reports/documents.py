"""The highlight report as an HTML page or a PDF file (xhtml2pdf: pure Python)."""

import base64
import io
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from xhtml2pdf import pisa

from . import charts, selectors


class PdfFailed(RuntimeError):
    """xhtml2pdf could not lay out the report."""


PRINCIPLE_HEADINGS = ("Score (%)", "Change", "Assessed", "Met", "Partly met", "Not met",
                      "Open gaps", "Actions done", "Overdue", "Needs met", "Co-produced (%)")


def _change(value) -> str:
    if value is None:
        return "\u2013"
    if value > 0:
        return format_html('<span class="up">+{}</span>', f"{value:.1f}")
    if value < 0:
        return format_html('<span class="down">{}</span>', f"{value:.1f}")
    return "no change"


def _principle_cells(p: dict) -> list[tuple[str, str]]:
    """One principle's (or all principles') figures, in the order of the headings."""
    figures = [
        "not assessed" if p["score"] is None else f"{p['score']:.1f}",
        _change((p.get("change") or {}).get("score")),
        f"{p['assessed']} of {p['items']}",
        p["met"], p["partly_met"], p["not_met"], p["gaps_open"],
        f"{p['actions_done']} of {p['actions']}",
        p["actions_overdue"],
        f"{p['learning_needs_met']} of {p['learning_needs']}",
        "none submitted" if p["coproduced_share"] is None else f"{p['coproduced_share']:.1f}",
    ]
    return list(zip(PRINCIPLE_HEADINGS, figures, strict=True))


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
    rows: list[dict[str, Any]] = [
        {"name": f"{p['number']}. {p['title']}", "cells": _principle_cells(p)}
        for p in report["principles"]]
    rows.append({"name": "All principles", "cells": _principle_cells(report["overall"]),
                 "total": True})
    programme = report["programme"]["id"]
    return {"report": report, "chart": chart, "for_pdf": for_pdf,
            "principle_headings": PRINCIPLE_HEADINGS, "principle_rows": rows,
            "dashboard_url": reverse("web:dashboard", args=[programme]),
            "pdf_url": reverse("highlight-report", args=[programme]) + "?format=pdf"}


def highlight_html(report: dict, *, request=None) -> str:
    """The report as a page of the service (its header, breadcrumbs and footer)."""
    return render_to_string("reports/highlight_report.html", _context(report, for_pdf=False),
                            request=request)


def _static_file(uri: str, rel: str) -> str:
    """xhtml2pdf asks for the files the PDF template links to: its style sheet is one of
    the service's static files, read from disk (nothing is fetched)."""
    if uri.startswith(settings.STATIC_URL):
        found = finders.find(uri.removeprefix(settings.STATIC_URL))
        if found:
            return str(found)
    return uri


def highlight_pdf(report: dict) -> bytes:
    html = render_to_string("reports/highlight_report_pdf.html", _context(report, for_pdf=True))
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_static_file)
    if result.err:
        raise PdfFailed(f"The PDF could not be made ({result.err} errors).")
    return out.getvalue()


def highlight_filename(report: dict, extension: str) -> str:
    programme, day = report["programme"]["id"], report["today"]
    return f"highlight-report-programme-{programme}-{day:%Y-%m-%d}.{extension}"


def programme_highlight_pdf(*, programme, today=None) -> tuple[str, bytes]:
    report = selectors.highlight_report(programme=programme, today=today)
    return highlight_filename(report, "pdf"), highlight_pdf(report)
