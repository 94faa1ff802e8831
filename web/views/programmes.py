"""Programme pages: the list, the dashboard, a principle's heat map, the gap register."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import Truncator

from actions.models import Action
from core.api.rows import CountedApart
from learning.models import LearningNeed
from programmes import access, sheets
from programmes.filters import GapFilter
from programmes.models import Champion, Gap, Perspective, Principle, Programme, Response
from programmes.progress import latest_submitted_assessments, programme_progress
from programmes.snapshots import snapshot_history
from reports.successes import successes

from ..forms import SuccessesPeriodForm
from . import champions as champion_pages
from .common import (
    address_of,
    download,
    download_format,
    page_query,
    partner_choices,
    principle_choices,
    role_context,
    visible_or_404,
)
from .contribute import my_requests


@login_required
def home(request):
    programmes = (
        Programme.objects.visible_to(request.user).select_related("framework").order_by("name")
    )
    return render(request, "web/home.html", {
        "programmes": programmes,
        "can_create_programme": access.can_create_programme(request.user),
        "requests": my_requests(request.user),
    })


def _trend(programme, partner_id=None, limit=12):
    """The overall score of the latest snapshots, oldest first, with points for a chart."""
    rows = [
        s
        for s in snapshot_history(programme=programme, partner_id=partner_id)
        if s.principle_id is None
    ][-limit:]
    points = []
    if len(rows) > 1:
        step = 560 / (len(rows) - 1)
        for index, snap in enumerate(rows):
            score = snap.score or 0
            points.append((round(60 + index * step), round(180 - score * 1.6)))
    return rows, points


def _success_period(request, programme):
    """The chosen period of "Successes to celebrate": (form, start, end, label)."""
    today = timezone.localdate()
    form = SuccessesPeriodForm(request.GET or None)
    choice = form.cleaned_data.get("period") if form.is_valid() else None
    if choice == "7":
        return form, today - datetime.timedelta(days=6), today, "in the last 7 days"
    if choice == "cycle":
        cycle = (programme.cycles.filter(period_start__lte=today)
                 .order_by("-period_start", "-pk").first())
        if cycle is not None:
            return form, cycle.period_start, today, f"in this cycle ({cycle.name})"
    if choice == "dates":
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        return form, start, end, f"from {start.day} {start:%B %Y} to {end.day} {end:%B %Y}"
    return form, today - datetime.timedelta(days=29), today, "in the last 30 days"


@login_required
def dashboard(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    progress = programme_progress(programme=programme)
    fmt = download_format(request)
    if fmt is not None:
        return download(fmt, columns=sheets.PROGRESS_COLUMNS, rows=sheets.progress_rows(progress),
                        name=f"progress-programme-{programme.pk}")
    trend, trend_dots = _trend(programme)
    period_form, start, end, period_words = _success_period(request, programme)
    return render(
        request,
        "web/dashboard.html",
        {
            "programme": programme,
            "progress": progress,
            "overall": progress["overall"],
            "trend": trend,
            "trend_points": " ".join(f"{x},{y}" for x, y in trend_dots),
            "trend_dots": trend_dots,
            "voices": [(label, progress["overall"]["contributions"][value])
                       for value, label in Perspective.choices],
            "successes": successes(programme=programme, start=start, end=end),
            "period_form": period_form,
            "period_words": period_words,
            **role_context(request.user, programme.pk),
        },
    )


@login_required
def principle(request, pk, number):
    programme = visible_or_404(Programme, request.user, pk=pk)
    principle = get_object_or_404(Principle, framework_id=programme.framework_id, number=number)
    items = list(principle.items.filter(is_active=True).order_by("order"))
    partners = list(programme.partners.order_by("name"))
    ratings, assessments = {}, {}
    for partner_id, item_id, rating, assessment_id in Response.objects.filter(
        assessment__in=latest_submitted_assessments(programme.pk),
        checklist_item__principle=principle,
    ).values_list("assessment__partner_id", "checklist_item_id", "rating", "assessment_id"):
        ratings[(partner_id, item_id)] = rating
        assessments[partner_id] = assessment_id
    # Each cell links to the answer and, when there is one, the gap it opened or kept open.
    gaps = dict(
        ((partner_id, item_id), gap_id)
        for partner_id, item_id, gap_id in Gap.objects.filter(
            programme=programme, principle=principle
        ).exclude(status=Gap.Status.CLOSED).values_list("partner_id", "checklist_item_id", "pk")
    )
    rows = [
        (partner, assessments.get(partner.pk),
         [(item, ratings.get((partner.pk, item.pk)), gaps.get((partner.pk, item.pk)))
          for item in items])
        for partner in partners
    ]
    progress = programme_progress(programme=programme)
    figures = next(p for p in progress["principles"] if p["number"] == principle.number)
    return render(
        request,
        "web/principle.html",
        {
            "programme": programme,
            "principle": principle,
            "items": items,
            "rows": rows,
            "figures": figures,
            "champions": _principle_champions(request.user, programme, principle),
            "can_add_champion": champion_pages.may_name_any(request.user, programme),
            "here": request.get_full_path(),
            "principles": Principle.objects.filter(framework_id=programme.framework_id).order_by(
                "number"
            ),
        },
    )


def _count_per_gap(queryset):
    """How many rows of ``queryset`` point at the outer gap: a correlated subquery, which
    PostgreSQL runs only for the page's 50 gaps, after the sort and the limit."""
    counted = queryset.filter(gap_id=OuterRef("pk")).order_by().values("gap_id")
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")), 0,
                    output_field=IntegerField())


def _register_values(gaps):
    """What the register's table shows of each gap, as plain values. Each gap's work is
    counted for the page's gaps only (counting it over every filtered gap, for the page
    and again for the total, was most of the page's time)."""
    return gaps.values(
        "pk", "checklist_item__code", "checklist_item__text", "partner__name", "severity",
        "status",
        action_count=_count_per_gap(Action.objects.all()),
        actions_done=_count_per_gap(Action.objects.filter(status=Action.Status.DONE)),
        need_count=_count_per_gap(LearningNeed.objects.all()),
    )


def _register_rows(values) -> list[dict]:
    """The register's rows ready to show (the ``gap_register_rows`` tag): the gap's
    address and its item in a few words."""
    gap_address = address_of("web:gap")
    return [
        {**row, "url": gap_address(row["pk"]),
         "item_words": Truncator(row["checklist_item__text"]).words(14, truncate=" …")}
        for row in values
    ]


@login_required
def gap_register(request, pk):
    programme = visible_or_404(Programme, request.user, pk=pk)
    data = request.GET.copy()
    data.setdefault("status", "open")
    gaps = (
        Gap.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("partner", "checklist_item", "principle")
        .order_by("principle__number", "checklist_item__order", "partner__name")
    )
    filterset = GapFilter(data, queryset=gaps)
    partner_choices(filterset.form.fields["partner"], programme)
    principle_choices(filterset.form.fields["principle"], programme)
    fmt = download_format(request)
    if fmt is not None:
        rows = filterset.qs if filterset.is_valid() else gaps.none()
        return download(fmt, columns=sheets.GAP_COLUMNS,
                        rows=rows.select_related(*sheets.GAP_SELECT),
                        name="gaps", count=rows.count)
    shown = filterset.qs if filterset.is_valid() else gaps.none()
    # The page's 50 rows as the plain values the table shows, read here rather than
    # while the template renders; the total counts the filtered gaps, without the joins.
    page = Paginator(CountedApart(_register_values(shown), shown), 50).get_page(
        request.GET.get("page"))
    page.object_list = _register_rows(page.object_list)
    # Gaps whose closure is proposed wait for a manager; the default view (open gaps)
    # says how many there are, so they are not lost from sight.
    proposed = 0
    if data.get("status") != Gap.Status.CLOSURE_PROPOSED:
        proposed = gaps.filter(status=Gap.Status.CLOSURE_PROPOSED).count()
    return render(
        request,
        "web/gap_register.html",
        {
            "programme": programme,
            "filter": filterset,
            "page": page,
            "proposed": proposed,
            "query": page_query(request, status="open"),
            **role_context(request.user, programme.pk),
        },
    )


def _principle_champions(user, programme, principle):
    """The principle's champions by partner, each marked with whether this person may
    change it (one query)."""
    rows = list(Champion.objects.filter(programme=programme, principle=principle)
                .select_related("partner").order_by("partner__name", "name", "pk"))
    for champion in rows:
        champion.principle = principle
    return champion_pages.with_changes(user, rows)
