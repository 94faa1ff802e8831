"""Compare two assessment cycles of a programme: scores by principle and moved items.

A selector beside ``progress.py``, with the same score rule: in each cycle, the
percentage of applicable items rated met in each partner's submitted assessment of
that cycle (partly met counts half), one decimal, null when nothing applicable was
assessed. A fixed number of grouped queries, however many partners:

1. the two cycles, with the number of submitted assessments in each;
2. for one partner, that the partner is in the programme (and its name);
3. the framework's principles;
4. the ratings of both cycles, counted by cycle and principle;
5. the items rated in both cycles, counted by (item, earlier rating, later rating):
   each earlier response is joined to the same partner's later response to the item,
   so the rows returned grow with the number of items, never with the number of
   partners.

Decisions where DESIGN.md is silent (also in docs/decisions.md): an item is compared
only when it was rated met, partly met or not met in both cycles (not applicable and
unanswered items are left out, as they are left out of the score); met > partly met >
not met. For the programme, each item lists the number of partners whose rating of it
improved, worsened or stayed; an item can be in more than one list.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, FilteredRelation, Q

from core.errors import DomainError

from .models import Assessment, AssessmentCycle, Principle, Programme, Rating, Response
from .progress import score

RANK = {Rating.NOT_MET: 0, Rating.PARTLY_MET: 1, Rating.MET: 2}
MOVEMENTS = ("improved", "worsened", "stayed")
SCORED = tuple(RANK)


def movement(earlier: str | None, later: str | None) -> str | None:
    """``improved``, ``worsened`` or ``stayed``; None when either rating is not scored."""
    if earlier not in RANK or later not in RANK:
        return None
    if RANK[later] > RANK[earlier]:
        return "improved"
    if RANK[later] < RANK[earlier]:
        return "worsened"
    return "stayed"


def change(earlier: float | None, later: float | None) -> float | None:
    """The later score less the earlier, in points to one decimal (exact, not float)."""
    if earlier is None or later is None:
        return None
    return float(Decimal(str(later)) - Decimal(str(earlier)))


@dataclass(frozen=True)
class CompareScope:
    programme: Programme
    from_cycle: AssessmentCycle
    to_cycle: AssessmentCycle
    partner_id: int | None
    partner_name: str | None


def compare_scope(*, programme: Programme, from_cycle_id: int, to_cycle_id: int,
                  partner_id: int | None = None) -> CompareScope:
    """The two cycles and the partner, checked: a ``DomainError`` (400) in plain English."""
    if from_cycle_id == to_cycle_id:
        raise DomainError("Choose two different cycles to compare.", field="to")
    submitted = Q(assessments__status=Assessment.Status.SUBMITTED)
    if partner_id is not None:
        submitted &= Q(assessments__partner_id=partner_id)
    cycles = {
        c.pk: c
        for c in AssessmentCycle.objects.filter(
            programme=programme, pk__in=[from_cycle_id, to_cycle_id]
        ).annotate(submitted=Count("assessments", filter=submitted))
    }
    for field, cycle_id in (("from", from_cycle_id), ("to", to_cycle_id)):
        if cycle_id not in cycles:
            raise DomainError("This cycle is not in the programme.", field=field)
    partner_name = None
    if partner_id is not None:
        partner_name = programme.partners.filter(pk=partner_id).values_list(
            "name", flat=True).first()
        if partner_name is None:
            raise DomainError("This partner is not in the programme.", field="partner")
    return CompareScope(programme, cycles[from_cycle_id], cycles[to_cycle_id], partner_id,
                        partner_name)


def _submitted_responses(scope: CompareScope, cycle_id: int):
    responses = Response.objects.filter(
        assessment__cycle_id=cycle_id,
        assessment__status=Assessment.Status.SUBMITTED,
        checklist_item__is_active=True,
    )
    if scope.partner_id is not None:
        responses = responses.filter(assessment__partner_id=scope.partner_id)
    return responses


def _score_counts(scope: CompareScope) -> dict:
    """{(cycle id, principle id): {rating: count}} over both cycles, in one query."""
    counts: dict = defaultdict(lambda: dict.fromkeys(SCORED, 0))
    responses = Response.objects.filter(
        assessment__cycle_id__in=[scope.from_cycle.pk, scope.to_cycle.pk],
        assessment__status=Assessment.Status.SUBMITTED,
        checklist_item__is_active=True,
        rating__in=SCORED,
    )
    if scope.partner_id is not None:
        responses = responses.filter(assessment__partner_id=scope.partner_id)
    rows = responses.values(
        cycle=F("assessment__cycle_id"), principle=F("checklist_item__principle_id"),
    ).annotate(**{r: Count("pk", filter=Q(rating=r)) for r in SCORED}).order_by()
    for row in rows:
        counts[(row["cycle"], row["principle"])] = {r: row[r] for r in SCORED}
    return counts


def _pairs(scope: CompareScope) -> list[dict]:
    """Items rated in both cycles: how many partners went from one rating to another.

    Each earlier response is joined to the same partner's later assessment (through the
    partner) and to that assessment's response to the same item: two filtered joins, so
    PostgreSQL hashes the two cycles' responses once rather than looking the later one
    up for every earlier row (a correlated subquery was 15 times slower on 480 partners).
    """
    later_assessment = "assessment__partner__assessments"
    return list(
        _submitted_responses(scope, scope.from_cycle.pk)
        .annotate(
            later_assessment=FilteredRelation(later_assessment, condition=Q(**{
                f"{later_assessment}__cycle_id": scope.to_cycle.pk,
                f"{later_assessment}__status": Assessment.Status.SUBMITTED,
            })),
            later_response=FilteredRelation("later_assessment__responses", condition=Q(
                later_assessment__responses__checklist_item_id=F("checklist_item_id"))),
        )
        .filter(later_response__isnull=False)
        .values(
            earlier=F("rating"),
            later=F("later_response__rating"),
            item=F("checklist_item_id"),
            code=F("checklist_item__code"),
            text=F("checklist_item__text"),
            order=F("checklist_item__order"),
            principle=F("checklist_item__principle_id"),
            principle_number=F("checklist_item__principle__number"),
        )
        .annotate(partners=Count("pk"))
        .order_by()
    )


def cycles_compare(*, scope: CompareScope) -> dict:
    """Scores of both cycles by principle and overall, their change, and the moved items."""
    principles = list(
        Principle.objects.filter(framework_id=scope.programme.framework_id).order_by("number")
    )
    counts = _score_counts(scope)
    pairs = _pairs(scope)

    moved: dict = defaultdict(lambda: dict.fromkeys(MOVEMENTS, 0))  # by principle id
    items: dict = {m: {} for m in MOVEMENTS}  # movement -> item id -> entry
    for pair in pairs:
        way = movement(pair["earlier"], pair["later"])
        if way is None:
            continue
        moved[pair["principle"]][way] += pair["partners"]
        entry = items[way].setdefault(pair["item"], {
            "id": pair["item"], "code": pair["code"], "text": pair["text"],
            "principle": pair["principle_number"], "partners": 0,
            "from_rating": pair["earlier"] if scope.partner_id is not None else None,
            "to_rating": pair["later"] if scope.partner_id is not None else None,
            "_order": (pair["principle_number"], pair["order"], pair["code"]),
        })
        entry["partners"] += pair["partners"]

    def figures(principle_ids) -> dict:
        def cycle_score(cycle):
            total = dict.fromkeys(SCORED, 0)
            for pid in principle_ids:
                for rating, n in counts.get((cycle.pk, pid), {}).items():
                    total[rating] += n
            return score(total[Rating.MET], total[Rating.PARTLY_MET], total[Rating.NOT_MET])

        before, after = cycle_score(scope.from_cycle), cycle_score(scope.to_cycle)
        out = {"from_score": before, "to_score": after, "change": change(before, after)}
        for way in MOVEMENTS:
            out[way] = sum(moved[pid][way] for pid in principle_ids)
        return out

    def cycle(c) -> dict:
        return {"id": c.pk, "name": c.name, "period_start": c.period_start,
                "period_end": c.period_end, "submitted": c.submitted}

    def listed(way) -> list:
        entries = sorted(items[way].values(), key=lambda e: e["_order"])
        return [{k: v for k, v in e.items() if k != "_order"} for e in entries]

    return {
        "programme": scope.programme.pk,
        "partner": scope.partner_id,
        "partner_name": scope.partner_name,
        "from_cycle": cycle(scope.from_cycle),
        "to_cycle": cycle(scope.to_cycle),
        "principles": [
            {"id": p.pk, "number": p.number, "title": p.title, **figures([p.pk])}
            for p in principles
        ],
        "overall": figures([p.pk for p in principles]),
        "items": {way: listed(way) for way in MOVEMENTS},
    }
