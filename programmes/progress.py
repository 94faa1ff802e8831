"""Progress by principle: the figures of DESIGN.md, computed by the database.

A fixed number of aggregate queries whatever the size of the programme: one per
kind of figure, each grouped by principle. Actions, learning needs and funding
are reached through the programme's relations (``actions``, ``learning_needs``,
``funding_streams__allocations``), so this module imports none of those apps.

Decisions where DESIGN.md is silent (also in docs/decisions.md):
- ``items`` counts checklist items × partners in scope, so ``assessed / items``
  is how much of the checklist has answers.
- An action belongs to the principle of its gap; for ``?partner=`` it belongs to
  the gap's partner, or, without a gap, to its owning partner. Actions, needs and
  funding that are not linked to a principle count in ``overall`` only.
- Funding counts allocations planned, committed, claimed or paid: not cancelled ones.
- ``coproduced_share`` is the percentage of the latest submitted assessments (those the
  score reads) with at least one contribution from a person supported or a carer on an
  item of the principle (``overall``: on any item); ``contributions`` counts the
  contributions on those assessments by perspective. Two more queries, whatever the size.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from .models import (
    LIVED_EXPERIENCE,
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Contribution,
    Gap,
    OpenActionTally,
    Perspective,
    Principle,
    Programme,
    ProgressTally,
    Response,
)

RATING_FIGURES = ("met", "partly_met", "not_met", "not_applicable")
COUNT_FIGURES = (
    "items", "assessed", *RATING_FIGURES, "gaps_open", "gaps_closed", "actions",
    "actions_done", "actions_overdue", "learning_needs", "learning_needs_met",
)
CLOSED_ACTION_STATUSES = ("done", "cancelled")
HOLDING_ALLOCATION_STATUSES = ("planned", "committed", "claimed", "paid")
ALLOC = "funding_streams__allocations"


def score(met: int, partly_met: int, not_met: int) -> float | None:
    """Percentage of applicable answers rated met, partly met counting half (one decimal)."""
    applicable = met + partly_met + not_met
    if not applicable:
        return None
    value = (Decimal(met) + Decimal(partly_met) / 2) * 100 / Decimal(applicable)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole`` (one decimal); None when ``whole`` is 0."""
    if not whole:
        return None
    value = Decimal(part) * 100 / Decimal(whole)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def latest_submitted_assessments(programme_id: int, partner_id: int | None = None):
    """Each partner's latest submitted assessment in the programme (a queryset of ids).

    One pass over the programme's submitted assessments, each partner's ranked by a
    window (latest cycle end, then submission time, then id), not a subquery per
    partner.
    """
    submitted = Assessment.objects.filter(
        cycle__programme_id=programme_id, status=Assessment.Status.SUBMITTED)
    if partner_id is not None:
        submitted = submitted.filter(partner_id=partner_id)
    ranked = submitted.annotate(rank=Window(
        RowNumber(), partition_by=[F("partner_id")],
        order_by=[F("cycle__period_end").desc(), F("submitted_at").desc(), F("pk").desc()],
    )).order_by()
    return ranked.filter(rank=1).values("pk")


def _partner_scopes(partner_id):
    """Q objects that keep the needs and allocations of one partner (or all). An action
    is the partner's when its gap is, or without a gap when the partner owns it (the
    two action queries of ``_collect``)."""
    if partner_id is None:
        return Q(), Q()
    needs = Q(learning_needs__partner_id=partner_id)
    funding = (
        Q(**{f"{ALLOC}__learning_need__partner_id": partner_id})
        | Q(**{f"{ALLOC}__action__gap__partner_id": partner_id})
        | Q(**{f"{ALLOC}__action__gap__isnull": True,
               f"{ALLOC}__action__owner_partner_id": partner_id})
    )
    return needs, funding


def _collect(programme: Programme, today, partner_id: int | None, by_partner: bool):
    """The aggregate queries behind the figures: counts and money by (partner, principle).

    ``partner`` in the keys is None unless ``by_partner``, in which case every query is
    also grouped by the partner each row belongs to (the same attribution as the
    ``?partner=`` filters), so one pass serves every partner.
    """
    rows: dict = defaultdict(lambda: defaultdict(int))
    money: dict = defaultdict(Decimal)
    in_programme = Programme.objects.filter(pk=programme.pk)
    need_scope, funding_scope = _partner_scopes(partner_id)

    def by(partner_expression):
        return {"partner": partner_expression} if by_partner else {}

    ratings = (
        Response.objects.filter(
            assessment__in=latest_submitted_assessments(programme.pk, partner_id),
            checklist_item__is_active=True,
        )
        .values(principle=F("checklist_item__principle_id"),
                **by(F("assessment__partner_id")))
        .annotate(
            assessed=Count("pk"),
            **{r: Count("pk", filter=Q(rating=r)) for r in RATING_FIGURES},
        )
    )
    gaps = Gap.objects.filter(programme_id=programme.pk)
    if partner_id is not None:
        gaps = gaps.filter(partner_id=partner_id)
    gaps = gaps.order_by().values("principle", *(["partner"] if by_partner else [])).annotate(
        # A gap whose closure is only proposed is still open work.
        gaps_open=Count("pk", filter=Q(status__in=Gap.OPEN_STATUSES)),
        gaps_closed=Count("pk", filter=Q(status=Gap.Status.CLOSED)),
    )
    open_action = ~Q(actions__status__in=CLOSED_ACTION_STATUSES)
    # One partner's rows are kept by the WHERE clause (the same join the counts read),
    # so the database need not read every row of the programme to count a few.
    action_counts = {
        "actions_all": Count("actions"),
        "actions_done": Count("actions", filter=Q(actions__status="done")),
        "actions_overdue": Count("actions", filter=open_action & Q(actions__due_date__lt=today)),
    }
    if partner_id is None:
        action_rows: list[Any] = [in_programme.values(
            principle=F("actions__gap__principle_id"),
            # An action belongs to its gap's partner, or without a gap to its owning
            # partner.
            **by(Coalesce(F("actions__gap__partner_id"), F("actions__owner_partner_id"))),
        ).annotate(**action_counts)]
    else:
        # One partner's actions in two parts that each read an index: those on the
        # partner's gaps (from the gaps), and those on no gap that the partner owns.
        action_rows = [
            Gap.objects.filter(programme_id=programme.pk, partner_id=partner_id)
            .order_by().values("principle").annotate(**action_counts),
            in_programme.filter(actions__gap__isnull=True,
                                actions__owner_partner_id=partner_id)
            .values(principle=F("actions__gap__principle_id")).annotate(**action_counts),
        ]
    needs = in_programme.filter(need_scope).values(
        principle=F("learning_needs__principle_id"), **by(F("learning_needs__partner_id"))
    ).annotate(
        learning_needs_all=Count("learning_needs"),
        learning_needs_met=Count("learning_needs", filter=Q(learning_needs__status="met")),
    )
    funding = in_programme.filter(funding_scope).values(
        principle=Coalesce(
            F(f"{ALLOC}__learning_need__principle_id"), F(f"{ALLOC}__action__gap__principle_id")
        ),
        **by(Coalesce(
            F(f"{ALLOC}__learning_need__partner_id"),
            F(f"{ALLOC}__action__gap__partner_id"),
            F(f"{ALLOC}__action__owner_partner_id"),
        )),
    ).annotate(
        funding_allocated=Sum(
            f"{ALLOC}__amount",
            filter=Q(**{f"{ALLOC}__status__in": HOLDING_ALLOCATION_STATUSES}),
        )
    )

    voices = _voices(programme, partner_id)

    # Annotations cannot share a relation's name, hence the "_all" suffix.
    renamed = {"actions_all": "actions", "learning_needs_all": "learning_needs"}
    for queryset in (ratings, gaps, *action_rows, needs):
        for row in queryset:
            key = (row.pop("partner", None), row.pop("principle"))
            for name, value in row.items():
                rows[key][renamed.get(name, name)] += value
    for row in funding:
        money[(row.get("partner"), row["principle"])] += row["funding_allocated"] or Decimal("0")
    return rows, money, voices


def _voices(programme: Programme, partner_id: int | None) -> "Voices":
    """Who contributed to the latest submitted assessments (two queries)."""
    latest = latest_submitted_assessments(programme.pk, partner_id)
    submitted = list(latest.values_list("partner_id", "pk"))
    voices = list(
        Contribution.objects.filter(assessment__in=latest, checklist_item__is_active=True)
        .values_list("assessment__partner_id", "checklist_item__principle_id",
                     "assessment_id", "perspective")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Voices(submitted, voices)


TALLY_COUNTS = tuple(name for name in COUNT_FIGURES
                     if name not in ("items", "actions_overdue"))


def _collect_tally(programme: Programme, today, partner_id: int | None, by_partner: bool):
    """``_collect``'s answer read from the tally the database keeps (programmes/tally.py):
    the summed rows of the programme (or one partner) by principle, and its open actions
    due before today, in one statement; who contributed in another. The keys' 0 is "no
    partner" and "no principle". Plain SQL: at a few milliseconds a read, building the
    ORM's statements would cost as much as running them."""
    rows: dict = defaultdict(lambda: defaultdict(int))
    money: dict = defaultdict(Decimal)
    partner_column = "partner_key" if by_partner else "0"
    grouping = "principle_key, partner_key" if by_partner else "principle_key"
    only = "" if partner_id is None else " AND partner_key = %(partner)s"
    sums = ", ".join(f"SUM({name})" for name in TALLY_COUNTS)
    nothing = ", ".join("0" for _ in TALLY_COUNTS)
    statement = (
        f"SELECT principle_key, {partner_column}, {sums}, SUM(funding_pence), 0 "  # noqa: S608
        f"FROM {ProgressTally._meta.db_table} WHERE programme_id = %(programme)s{only} "
        f"GROUP BY {grouping} "
        f"UNION ALL SELECT principle_key, {partner_column}, {nothing}, 0, SUM(open) "
        f"FROM {OpenActionTally._meta.db_table} WHERE programme_id = %(programme)s{only} "
        f"AND due_date < %(today)s GROUP BY {grouping}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, {"programme": programme.pk, "partner": partner_id,
                                   "today": today})
        found = cursor.fetchall()
    for principle, partner, *values in found:
        at = (partner or None, principle or None)
        counts = rows[at]
        for name, value in zip(TALLY_COUNTS, values, strict=False):
            counts[name] += value or 0
        money[at] += Decimal(values[-2] or 0) / 100
        counts["actions_overdue"] += values[-1] or 0
    return rows, money, _tally_voices(programme.pk, partner_id)


def _tally_voices(programme_id: int, partner_id: int | None) -> "Voices":
    """``_voices`` in one statement: each partner's latest submitted assessment (ranked as
    ``latest_submitted_assessments`` ranks them), with its contributions on active items
    counted by principle and perspective (no contribution: one row of NULLs)."""
    only = "" if partner_id is None else " AND a.partner_id = %(partner)s"
    statement = (
        "SELECT l.partner_id, l.id, i.principle_id, c.perspective, COUNT(c.id) FROM ("  # noqa: S608
        "SELECT a.id, a.partner_id, ROW_NUMBER() OVER (PARTITION BY a.partner_id "
        "ORDER BY y.period_end DESC, a.submitted_at DESC, a.id DESC) AS rn "
        f"FROM {Assessment._meta.db_table} a "
        f"JOIN {AssessmentCycle._meta.db_table} y ON y.id = a.cycle_id "
        f"WHERE y.programme_id = %(programme)s AND a.status = 'submitted'{only}) l "
        f"LEFT JOIN {Contribution._meta.db_table} c ON c.assessment_id = l.id "
        f"LEFT JOIN {ChecklistItem._meta.db_table} i ON i.id = c.checklist_item_id "
        "WHERE l.rn = 1 AND (c.id IS NULL OR i.is_active) "
        "GROUP BY l.partner_id, l.id, i.principle_id, c.perspective"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, {"programme": programme_id, "partner": partner_id})
        found = cursor.fetchall()
    submitted = sorted({(partner, assessment) for partner, assessment, *_ in found})
    contributions = [(partner, principle, assessment, perspective, n)
                     for partner, assessment, principle, perspective, n in found
                     if perspective is not None]
    return Voices(submitted, contributions)


class Voices:
    """Who contributed to the latest submitted assessments: the rows behind
    ``coproduced_share`` and ``contributions``, kept apart from the summed counts because
    a share does not add up across principles."""

    def __init__(self, submitted, contributions):
        self.submitted = submitted  # (partner id, assessment id)
        self.contributions = contributions  # (partner, principle, assessment, perspective, n)

    def figures(self, who=None) -> tuple[dict, dict]:
        """(``{principle id: figures}``, overall figures) for one partner or all (None)."""
        def keep(partner):
            return who is None or partner == who

        assessments = sum(1 for partner, _ in self.submitted if keep(partner))
        lived: dict = defaultdict(set)
        counts: dict = defaultdict(lambda: dict.fromkeys(Perspective.values, 0))
        for partner, principle, assessment, perspective, n in self.contributions:
            if not keep(partner):
                continue
            counts[principle][perspective] += n
            counts["overall"][perspective] += n
            if perspective in LIVED_EXPERIENCE:
                lived[principle].add(assessment)
                lived["overall"].add(assessment)

        def of(key) -> dict:
            return {
                "coproduced_share": share(len(lived[key]), assessments),
                "contributions": dict(counts[key]),
            }

        principles = {key: of(key) for key in counts if key != "overall"}
        return defaultdict(lambda: of(None), principles), of("overall")


class PrincipleItems(NamedTuple):
    pk: int
    number: int
    title: str
    item_count: int


def _principles(programme: Programme) -> tuple[list[PrincipleItems], int]:
    """The framework's principles with their active items, and the programme's number of
    partners: one statement. (The statements of this module name tables from the models
    and pass every value as a parameter.)"""
    statement = (
        "SELECT p.id, p.number, p.title, (SELECT COUNT(*) FROM "  # noqa: S608
        f"{ChecklistItem._meta.db_table} i WHERE i.principle_id = p.id AND i.is_active), "
        f"(SELECT COUNT(*) FROM {Programme.partners.through._meta.db_table} m "
        "WHERE m.programme_id = %(programme)s) "
        f"FROM {Principle._meta.db_table} p WHERE p.framework_id = %(framework)s "
        "ORDER BY p.number"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, {"programme": programme.pk,
                                   "framework": programme.framework_id})
        found = cursor.fetchall()
    if not found:
        return [], programme.partners.count()
    return [PrincipleItems(*row[:4]) for row in found], found[0][4]


def _answer(programme, partner_id, principles, partners, rows, money, voices,
            who=None) -> dict:
    """The figures of one scope (``who`` picks a partner's rows when they are grouped)."""

    def figures(counts, amount) -> dict:
        out = {name: counts.get(name, 0) for name in COUNT_FIGURES}
        out["funding_allocated"] = f"{amount:.2f}"
        out["score"] = score(out["met"], out["partly_met"], out["not_met"])
        return out

    by_principle: dict = defaultdict(lambda: defaultdict(int))
    amounts: dict = defaultdict(Decimal)
    for (partner, principle), counts in rows.items():
        if partner == who:
            for name, value in counts.items():
                by_principle[principle][name] += value
    for (partner, principle), amount in money.items():
        if partner == who:
            amounts[principle] += amount
    for p in principles:
        by_principle[p.pk]["items"] = p.item_count * partners

    voiced, voiced_overall = voices.figures(who)
    overall_counts: dict = defaultdict(int)
    for counts in by_principle.values():  # includes the row of work linked to no principle
        for name, value in counts.items():
            overall_counts[name] += value
    return {
        "programme": programme.pk,
        "partner": partner_id,
        "as_of": timezone.now(),
        "principles": [
            {"id": p.pk, "number": p.number, "title": p.title,
             **figures(by_principle[p.pk], amounts[p.pk]), **voiced[p.pk]}
            for p in principles
        ],
        "overall": {**figures(overall_counts, sum(amounts.values(), Decimal("0"))),
                    **voiced_overall},
    }


def programme_progress(*, programme: Programme, partner_id: int | None = None, today=None,
                       from_source: bool = False) -> dict:
    """The figures of a programme (or one partner of it), read from the tally; with
    ``from_source``, counted from the source rows instead (the check of the tally)."""
    today = today or timezone.localdate()
    principles, partner_count = _principles(programme)
    partners = 1 if partner_id is not None else partner_count
    collect = _collect if from_source else _collect_tally
    rows, money, voices = collect(programme, today, partner_id, by_partner=False)
    return _answer(programme, partner_id, principles, partners, rows, money, voices)


def partners_progress(*, programme: Programme, today=None, from_source: bool = False
                      ) -> dict[int, dict]:
    """``programme_progress`` for every partner of the programme, in one set of queries.

    The nightly snapshot needs each partner's figures: grouped by partner, the same
    queries serve them all, where one call per partner would run them each. The rows are
    split by partner first, so each partner's answer reads only its own.
    """
    today = today or timezone.localdate()
    principles, _ = _principles(programme)
    collect = _collect if from_source else _collect_tally
    rows, money, voices = collect(programme, today, None, by_partner=True)
    rows_of: dict = defaultdict(dict)
    money_of: dict = defaultdict(dict)
    for key, counts in rows.items():
        rows_of[key[0]][key] = counts
    for key, amount in money.items():
        money_of[key[0]][key] = amount
    submitted_of: dict = defaultdict(list)
    contributions_of: dict = defaultdict(list)
    for pair in voices.submitted:
        submitted_of[pair[0]].append(pair)
    for row in voices.contributions:
        contributions_of[row[0]].append(row)
    return {
        partner_id: _answer(
            programme, partner_id, principles, 1, rows_of[partner_id], money_of[partner_id],
            Voices(submitted_of[partner_id], contributions_of[partner_id]), who=partner_id)
        for partner_id in programme.partners.values_list("pk", flat=True)
    }
