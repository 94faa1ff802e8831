"""Partners' own view: the partners × principles score matrix, and a page per partner.

Both read a fixed number of queries however many partners the programme has: the
matrix through ``partners_progress`` (one grouped pass for every partner), the partner
page through the partner's own progress, snapshots, gaps and overdue actions.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from actions.models import Action
from programmes import access
from programmes.answers import latest_assessment_ids
from programmes.compare import change
from programmes.models import Champion, Gap, Programme
from programmes.progress import partners_progress, programme_progress
from programmes.snapshots import snapshot_history

from .common import role_context, visible_or_404

TREND_LIMIT = 12


def score_band(score: float | None) -> str:
    """The heat map's colour for a score (the figure is always written in the cell too):
    75 or more as "met", 40 or more as "partly met", below 40 as "not met"."""
    if score is None:
        return "none"
    if score >= 75:
        return "met"
    if score >= 40:
        return "partly_met"
    return "not_met"


def change_words(points: float | None) -> str:
    """A change of score in words: "up 12.5 points", "down 3.0 points", "no change"."""
    if points is None:
        return "Not comparable"
    if points > 0:
        return f"Up {points:.1f} points"
    if points < 0:
        return f"Down {-points:.1f} points"
    return "No change"


@login_required
def partners(request, pk):
    """Every partner's score on every principle, each cell leading to its answers."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    figures = partners_progress(programme=programme)
    latest = latest_assessment_ids(programme_id=programme.pk)
    names = dict(programme.partners.values_list("pk", "name"))
    principles = next(iter(figures.values()))["principles"] if figures else []
    rows = []
    for partner_id, name in sorted(names.items(), key=lambda pair: pair[1].lower()):
        partner_figures = figures[partner_id]
        rows.append({
            "id": partner_id,
            "name": name,
            "assessment": latest.get(partner_id),
            "overall": partner_figures["overall"],
            "overall_band": score_band(partner_figures["overall"]["score"]),
            "cells": [
                {**p, "band": score_band(p["score"])} for p in partner_figures["principles"]
            ],
        })
    return render(request, "web/partners.html", {
        "programme": programme,
        "principles": principles,
        "rows": rows,
        **role_context(request.user, programme.pk),
    })


def _trend(programme, partner_id, principles):
    """The partner's latest snapshots, oldest first: (date, overall, [score by principle])."""
    days: dict = {}
    for snap in snapshot_history(programme=programme, partner_id=partner_id):
        day = days.setdefault(snap.date, {"date": snap.date, "overall": None, "by": {}})
        if snap.principle_id is None:
            day["overall"] = snap.score
        else:
            day["by"][snap.principle_id] = snap.score
    rows = list(days.values())[-TREND_LIMIT:]
    for row in rows:
        row["scores"] = [row["by"].get(p["id"]) for p in principles]
    return rows


@login_required
def partner(request, pk, partner_pk):
    """One partner's score by principle, its trend, its open gaps and overdue actions."""
    programme = visible_or_404(Programme, request.user, pk=pk)
    partner = programme.partners.filter(pk=partner_pk).first()
    if partner is None:
        raise Http404("This partner is not in the programme.")
    progress = programme_progress(programme=programme, partner_id=partner.pk)
    principles = progress["principles"]
    trend = _trend(programme, partner.pk, principles)
    first = trend[0] if len(trend) > 1 else None
    for index, p in enumerate(principles):
        p["band"] = score_band(p["score"])
        p["since"] = change_words(change(first["scores"][index], p["score"])) if first else None
    assessment = latest_assessment_ids(programme_id=programme.pk,
                                       partner_id=partner.pk).get(partner.pk)
    gaps = list(
        Gap.objects.filter(programme=programme, partner=partner)
        .exclude(status=Gap.Status.CLOSED)
        .select_related("checklist_item", "principle")
        .order_by("principle__number", "checklist_item__order")
    )
    # An action is the partner's when its gap is, or, with no gap, when the partner owns it
    # (the attribution of progress by partner).
    overdue = list(
        Action.objects.filter(programme=programme)
        .filter(Q(gap__partner=partner) | Q(gap__isnull=True, owner_partner=partner))
        .overdue(timezone.localdate())
        .select_related("owner", "gap__checklist_item")
        .order_by("due_date", "pk")
    )
    return render(request, "web/partner.html", {
        "programme": programme,
        "partner": partner,
        "progress": progress,
        "overall": progress["overall"],
        "principles": principles,
        "trend": trend,
        "trend_since": first["date"] if first else None,
        "assessment": assessment,
        "gaps": gaps,
        "overdue": overdue,
        "champions": _champions(request.user, programme, partner),
        "can_add_champion": access.can_change_champion(request.user, programme.pk, partner.pk),
        "here": request.get_full_path(),
        **role_context(request.user, programme.pk),
    })


def _champions(user, programme, partner):
    """The partner's champions by principle, each marked with whether this person may
    change it (one query)."""
    rows = list(Champion.objects.filter(programme=programme, partner=partner)
                .select_related("principle").order_by("principle__number", "name", "pk"))
    allowed = access.can_change_champion(user, programme.pk, partner.pk)
    for champion in rows:
        champion.partner = partner
        champion.can_change = allowed
    return rows
