"""A generated data set of believable shape, for benchmarks and load tests.

``generate(scale=...)`` adds, beside whatever the database holds, a set of programmes
with their partners, people, two submitted assessment cycles, the gaps those
assessments open and close, actions, learning needs, training offers, placements and
funding. Rows get their ids here, so no insert has to be read back; they are written
with ``COPY`` on PostgreSQL and in large ``executemany`` batches elsewhere.

The rows are the ones the services would have written:

* gaps follow the submit service (``programmes.services.assessment_submit``): the
  baseline opens one for each item rated partly met (medium) or not met (high); the
  review keeps it open (severity and last assessment from the review), or closes it as
  "reassessed" when the item is now met or not applicable, or opens one for an item that
  has slipped;
* each offer runs one session (its capacity, dates and place); the session's and the
  offer's ``places_booked`` are the sum of its requested, approved and confirmed
  placements, within capacity, and each placement books its offer's session;
* a need's ``workers_trained`` is the sum of its placements' completed places; a need
  met without them carries the manager's ``met_reason``;
* streams' ``allocated`` is the sum of their planned and committed allocations, within
  the amount;
* an action is done exactly when it has ``completed_at``; 10% of all actions are open
  and overdue.

History tables (django-simple-history) are not filled: the data set has no past.
"""

from __future__ import annotations

import datetime
import json
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from actions.models import Action
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from programmes.models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Framework,
    Gap,
    Membership,
    Partner,
    Programme,
    Response,
    default_escalation_days,
)

FRAMEWORK_SLUG = "skills-for-care-2021"
PASSWORD = "scale-data-2026"  # every generated user's password (a test data set)
SEED = 2026


@dataclass(frozen=True)
class Scale:
    programmes: int
    partners: int
    actions: int
    learning_needs: int
    offers: int
    placements: int
    allocations: int

    @property
    def assessments(self) -> int:
        return self.partners * 2  # a baseline and a review, both submitted


SCALES = {
    # 42 integrated care systems: the whole of England.
    "national": Scale(42, 20_000, 300_000, 100_000, 5_000, 20_000, 30_000),
    # One integrated care system: a forty-second of the national set.
    "regional": Scale(1, 480, 7_200, 2_400, 120, 480, 720),
    "small": Scale(2, 20, 300, 100, 10, 20, 30),
}

# Baseline: most items met, a tail of gaps; the review a year later is better.
BASELINE_RATINGS = (("met", 58), ("partly_met", 20), ("not_met", 12), ("not_applicable", 10))
REVIEW_RATINGS = (("met", 70), ("partly_met", 14), ("not_met", 6), ("not_applicable", 10))
GAP_SEVERITY = {"partly_met": "medium", "not_met": "high"}
CLOSED_REASON = {"met": "reassessed_met", "not_applicable": "reassessed_not_applicable"}
OVERDUE_SHARE = 0.10
SECTORS = [
    ("nhs_trust", 8), ("primary_care", 18), ("local_authority", 6),
    ("social_care_provider", 40), ("voluntary_community", 14), ("housing", 5),
    ("childrens_services", 3), ("people_supported_group", 1),
]
PROVIDER_SHARE = 0.05  # learning providers among the partners
PLACES = [
    "Northmoor", "Eastwick", "Southbrook", "Westfield", "Aldermere", "Bramwell", "Calderby",
    "Dunmore", "Elmstead", "Fairhaven", "Glenford", "Harrowdale", "Ivybridge Vale", "Kestrel",
    "Larkhill", "Marston", "Netherby", "Oakridge", "Pennington", "Queensford", "Redmarsh",
    "Stonebridge", "Thornbury Vale", "Upperton", "Valeside", "Whitcombe", "Yarrow",
    "Ashgrove", "Beacon", "Castlemead", "Deepdale", "Ember", "Foxley", "Greyfriars",
    "Hollins", "Irwell", "Juniper", "Kingsmead", "Linton", "Moorside", "Northgate", "Orchard",
]
ACTION_TITLES = [
    "Agree a shared induction for health and care staff",
    "Set up joint supervision in the discharge team",
    "Map the partners' training budgets",
    "Publish the rotation scheme for care coordinators",
    "Review trusted assessor arrangements with providers",
    "Draft the workforce data sharing agreement",
    "Run a co-production workshop with people who draw on care",
    "Agree common competences for reablement support workers",
]
TOPICS = [
    ("Person-centred care planning", "Care coordinators"),
    ("Trusted assessment", "Discharge team"),
    ("Strengths-based practice", "Social workers"),
    ("Medicines support in the home", "Home care workers"),
    ("Digital skills for shared records", "Administrative staff"),
    ("Leading across organisations", "Team leaders"),
    ("Dementia awareness", "Support workers"),
]
FORMATS = [c for c, _ in TrainingOffer.Format.choices]


def _weighted(rng: random.Random, table, k: int) -> list:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights, k=k)


class Writer:
    """Writes rows (tuples in the order of ``columns``) to a model's table."""

    BATCH = 5000

    def __init__(self, progress=None):
        self.postgres = connection.vendor == "postgresql"
        self.progress = progress
        self.counts: dict[str, int] = {}

    def next_id(self, model) -> int:
        return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def write(self, model_or_table, columns: list[str], rows) -> int:
        table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
        quote = connection.ops.quote_name
        cols = ", ".join(quote(c) for c in columns)
        written = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
                        if written % self.BATCH == 0:
                            self._tick(table, self.BATCH)
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})"  # noqa: S608
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == self.BATCH:
                        cursor.executemany(sql, batch)
                        written += len(batch)
                        self._tick(table, len(batch))
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    written += len(batch)
        self._tick(table, written % self.BATCH)
        self.counts[table] = self.counts.get(table, 0) + written
        return written

    def _tick(self, table: str, n: int) -> None:
        if self.progress is not None and n:
            self.progress.set_description(table)
            self.progress.update(n)


def expected_rows(scale: Scale) -> int:
    """About how many rows ``generate`` writes (for the progress bar)."""
    items = 46
    return (
        scale.partners * 2 + scale.assessments * (1 + items) + int(scale.assessments * items * 0.2)
        + scale.actions + scale.learning_needs + scale.offers * 3 + scale.placements
        + scale.allocations
    )


@transaction.atomic
def generate(*, scale: Scale, progress=None, seed: int = SEED, today=None) -> dict[str, int]:
    """Add one data set of the given scale; returns the rows written per table."""
    import yaml

    from programmes import tally
    from programmes.management.commands.load_framework import FRAMEWORKS_DIR
    from programmes.services import framework_load

    rng = random.Random(seed)
    today = today or timezone.localdate()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    w = Writer(progress)
    if w.postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                # Rows are consistent by construction: skip the per-row foreign key
                # triggers for this transaction (the constraints stay in place).
                cursor.execute("SET LOCAL session_replication_role = replica")

    if not Framework.objects.filter(slug=FRAMEWORK_SLUG).exists():
        framework_load(data=yaml.safe_load(
            (FRAMEWORKS_DIR / f"{FRAMEWORK_SLUG}.yaml").read_text(encoding="utf-8")))
    framework = Framework.objects.get(slug=FRAMEWORK_SLUG)
    items = list(
        ChecklistItem.objects.filter(principle__framework=framework, is_active=True)
        .order_by("principle__number", "order").values_list("pk", "principle_id")
    )
    principle_ids = sorted({p for _, p in items})
    n_items = len(items)

    def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)

    # Partners: ids in one block per programme ---------------------------------------
    first_partner = w.next_id(Partner)
    n_partners = scale.partners
    partner_ids = range(first_partner, first_partner + n_partners)
    per_programme = [n_partners // scale.programmes] * scale.programmes
    for i in range(n_partners % scale.programmes):
        per_programme[i] += 1
    sectors = _weighted(rng, SECTORS, n_partners)
    providers = set(rng.sample(list(partner_ids), max(1, int(n_partners * PROVIDER_SHARE))))
    sector_label = dict(Partner.Sector.choices)
    w.write(Partner, ["id", "name", "sector", "provides_learning", "contact_email", "created_at"], (
        (pid,
         f"{'Learning provider' if pid in providers else sector_label[sectors[i]]} {pid}",
         "learning_provider" if pid in providers else sectors[i],
         pid in providers, f"partner{pid}@example.org", now)
        for i, pid in enumerate(partner_ids)
    ))

    # Programmes and their partners -----------------------------------------------------
    first_programme = w.next_id(Programme)
    programme_ids = list(range(first_programme, first_programme + scale.programmes))
    programme_partners: dict[int, range] = {}
    start = first_partner
    for prog, count in zip(programme_ids, per_programme, strict=True):
        programme_partners[prog] = range(start, start + count)
        start += count
    programme_of = {pid: prog for prog, r in programme_partners.items() for pid in r}
    escalation = json.dumps(default_escalation_days())
    w.write(Programme, ["id", "name", "description", "framework_id", "start_date", "end_date",
                        "status", "created_at", "escalation_days"], (
        (prog, f"{PLACES[i % len(PLACES)]} workforce integration programme {prog}",
         "Integrated care system workforce programme.", framework.pk,
         today - datetime.timedelta(days=540), today + datetime.timedelta(days=365), "active", now,
         escalation)
        for i, prog in enumerate(programme_ids)
    ))
    through = Programme.partners.through
    first_link = w.next_id(through)
    w.write(through, ["id", "programme_id", "partner_id"], (
        (first_link + i, programme_of[pid], pid) for i, pid in enumerate(partner_ids)
    ))

    # People: two managers and a reviewer per programme, a lead per partner, a
    # learning provider's user per provider -----------------------------------------------
    user_model = get_user_model()
    password = make_password(PASSWORD)
    next_user = w.next_id(user_model)
    users, memberships = [], []
    managers: dict[int, list[int]] = {}
    lead_of: dict[int, int] = {}
    for prog in programme_ids:
        managers[prog] = []
        for role in ("manager", "manager", "reviewer"):
            users.append((next_user, f"{role}{next_user}"))
            memberships.append((prog, next_user, role, None))
            if role == "manager":
                managers[prog].append(next_user)
            next_user += 1
        for pid in programme_partners[prog]:
            role = "learning_provider" if pid in providers else "partner_lead"
            prefix = "provider" if role == "learning_provider" else "lead"
            users.append((next_user, f"{prefix}{next_user}"))
            memberships.append((prog, next_user, role, pid))
            lead_of[pid] = next_user
            next_user += 1
    w.write(user_model, ["id", "password", "is_superuser", "username", "first_name", "last_name",
                         "email", "is_staff", "is_active", "date_joined"], (
        (uid, password, False, name, "", "", f"{name}@example.org", False, True, now)
        for uid, name in users
    ))
    first_membership = w.next_id(Membership)
    w.write(Membership, ["id", "programme_id", "user_id", "role", "partner_id", "created_at"], (
        (first_membership + i, *m, now) for i, m in enumerate(memberships)
    ))

    # Two cycles per programme, every partner assessed in both ---------------------------
    baseline_end = today - datetime.timedelta(days=330)
    review_end = today - datetime.timedelta(days=60)
    first_cycle = w.next_id(AssessmentCycle)
    cycles = {}
    cycle_rows = []
    for i, prog in enumerate(programme_ids):
        baseline, review = first_cycle + 2 * i, first_cycle + 2 * i + 1
        cycles[prog] = (baseline, review)
        cycle_rows.append((baseline, prog, "Baseline", baseline_end - datetime.timedelta(days=90),
                           baseline_end))
        cycle_rows.append((review, prog, "Review", review_end - datetime.timedelta(days=90),
                           review_end))
    w.write(AssessmentCycle, ["id", "programme_id", "name", "period_start", "period_end"],
            cycle_rows)

    first_assessment = w.next_id(Assessment)
    # assessment id = first + 2 * (partner index) + (0 baseline | 1 review)
    def assessment_id(pid: int, review: int) -> int:
        return first_assessment + 2 * (pid - first_partner) + review

    def submitted_at(pid: int, review: int) -> datetime.datetime:
        end = review_end if review else baseline_end
        return at(end - datetime.timedelta(days=pid % 60), 9 + pid % 8)

    w.write(Assessment, ["id", "cycle_id", "partner_id", "status", "participants",
                         "includes_people_supported", "created_at", "submitted_at",
                         "submitted_by_id", "late"], (
        (assessment_id(pid, review), cycles[programme_of[pid]][review], pid, "submitted",
         "Partnership workforce leads", pid % 3 == 0,
         submitted_at(pid, review) - datetime.timedelta(days=14), submitted_at(pid, review),
         lead_of[pid], False)
        for pid in partner_ids for review in (0, 1)
    ))

    # Ratings: one string of letters per assessment, kept to derive the gaps ----------
    baseline_ratings = {pid: _weighted(rng, BASELINE_RATINGS, n_items) for pid in partner_ids}
    review_ratings = {pid: _weighted(rng, REVIEW_RATINGS, n_items) for pid in partner_ids}
    first_response = w.next_id(Response)

    def responses():
        rid = first_response
        for pid in partner_ids:
            for review, ratings in ((0, baseline_ratings[pid]), (1, review_ratings[pid])):
                aid, when = assessment_id(pid, review), submitted_at(pid, review)
                for (item_id, _), rating in zip(items, ratings, strict=True):
                    yield (rid, aid, item_id, rating, "", "", False, "", when)
                    rid += 1

    w.write(Response, ["id", "assessment_id", "checklist_item_id", "rating", "evidence", "notes",
                       "carried_forward", "consensus_note", "updated_at"], responses())

    # Gaps, as the two submissions would leave them ------------------------------------
    first_gap = w.next_id(Gap)
    gaps = []  # (id, programme, partner, item index, open?)

    def gap_rows():
        gid = first_gap
        for pid in partner_ids:
            prog = programme_of[pid]
            base_id, rev_id = assessment_id(pid, 0), assessment_id(pid, 1)
            base_at, rev_at = submitted_at(pid, 0), submitted_at(pid, 1)
            for idx, ((item_id, principle_id), before, after) in enumerate(
                zip(items, baseline_ratings[pid], review_ratings[pid], strict=True)
            ):
                if before in GAP_SEVERITY:
                    if after in GAP_SEVERITY:  # kept open by the review
                        row = (gid, prog, pid, item_id, principle_id, GAP_SEVERITY[after], "open",
                               "", base_at, base_id, rev_id, None, "", "", 2)
                    else:  # closed by the review
                        row = (gid, prog, pid, item_id, principle_id, GAP_SEVERITY[before],
                               "closed", "", base_at, base_id, rev_id, rev_at,
                               CLOSED_REASON[after], "", 2)
                elif after in GAP_SEVERITY:  # slipped: opened by the review
                    row = (gid, prog, pid, item_id, principle_id, GAP_SEVERITY[after], "open",
                           "", rev_at, rev_id, rev_id, None, "", "", 1)
                else:
                    continue
                gaps.append((gid, prog, pid, idx, row[6] == "open"))
                yield row
                gid += 1

    w.write(Gap, ["id", "programme_id", "partner_id", "checklist_item_id", "principle_id",
                  "severity", "status", "description", "opened_at", "opened_by_assessment_id",
                  "last_assessment_id", "closed_at", "closed_reason", "status_note", "version"],
            gap_rows())
    open_gaps_of: dict[int, list[tuple]] = {prog: [] for prog in programme_ids}
    for gap in gaps:
        if gap[4]:
            open_gaps_of[gap[1]].append(gap)

    def spread(total: int) -> list[int]:
        """``total`` shared among the programmes in proportion to their partners."""
        shares = [total * n // n_partners for n in per_programme]
        for i in range(total - sum(shares)):
            shares[i % len(shares)] += 1
        return shares

    # Actions: 90% on an open gap; 20% owned by a manager; 10% of all overdue ---------
    first_action = w.next_id(Action)
    action_targets = []  # (id, programme, partner, principle or None)

    def action_rows():
        aid = first_action
        for prog, count in zip(programme_ids, spread(scale.actions), strict=True):
            gaps_here = open_gaps_of[prog]
            partners_here = programme_partners[prog]
            for _ in range(count):
                gap = rng.choice(gaps_here) if gaps_here and rng.random() < 0.9 else None
                pid = gap[2] if gap else rng.choice(partners_here)
                owner = rng.choice(managers[prog]) if rng.random() < 0.2 else lead_of[pid]
                roll = rng.random()
                completed = None
                if roll < OVERDUE_SHARE:
                    status = rng.choice(["not_started", "in_progress", "blocked"])
                    due = today - datetime.timedelta(days=rng.randint(1, 120))
                elif roll < 0.40:
                    status = "done"
                    due = today - datetime.timedelta(days=rng.randint(0, 300))
                    completed = at(due - datetime.timedelta(days=rng.randint(0, 20)), 15)
                elif roll < 0.45:
                    status, due = "cancelled", today - datetime.timedelta(days=rng.randint(0, 300))
                else:
                    status = rng.choice(["not_started", "in_progress", "in_progress", "blocked"])
                    due = today + datetime.timedelta(days=rng.randint(0, 240))
                created = at(review_end - datetime.timedelta(days=rng.randint(0, 200)))
                principle = items[gap[3]][1] if gap else None
                action_targets.append((aid, prog, pid, principle))
                yield (aid, prog, gap[0] if gap else None, ACTION_TITLES[aid % len(ACTION_TITLES)],
                       "", owner, pid, due, status, rng.choice(["low", "medium", "medium", "high"]),
                       completed, managers[prog][0], created, created, 1)
                aid += 1

    w.write(Action, ["id", "programme_id", "gap_id", "title", "description", "owner_id",
                     "owner_partner_id", "due_date", "status", "priority", "completed_at",
                     "created_by_id", "created_at", "updated_at", "version"], action_rows())

    # Learning needs: 85% from an open gap ----------------------------------------------
    first_need = w.next_id(LearningNeed)
    needs = []  # (id, programme, partner, principle)

    def need_rows():
        nid = first_need
        for prog, count in zip(programme_ids, spread(scale.learning_needs), strict=True):
            gaps_here = open_gaps_of[prog]
            for _ in range(count):
                gap = rng.choice(gaps_here) if gaps_here and rng.random() < 0.85 else None
                pid = gap[2] if gap else rng.choice(programme_partners[prog])
                principle = items[gap[3]][1] if gap else rng.choice(principle_ids)
                topic, group = TOPICS[nid % len(TOPICS)]
                status = _weighted(rng, (("identified", 30), ("planned", 25),
                                         ("in_training", 20), ("met", 25)), 1)[0]
                created = at(review_end - datetime.timedelta(days=rng.randint(0, 200)))
                needs.append((nid, prog, pid, principle))
                met_reason = ("The team trained with another provider before the programme "
                              "began." if status == "met" else "")
                yield (nid, prog, pid, gap[0] if gap else None, principle, group, topic,
                       rng.randint(1, 40), today + datetime.timedelta(days=rng.randint(-60, 300)),
                       status, 0, met_reason, created if status == "met" else None, "",
                       created, created, 1)
                nid += 1

    w.write(LearningNeed, ["id", "programme_id", "partner_id", "gap_id", "principle_id",
                           "staff_group", "topic", "workers_count", "needed_by", "status",
                           "workers_trained", "met_reason", "met_at", "notes", "created_at",
                           "updated_at", "version"], need_rows())

    # Offers by the learning providers, and placements on them ------------------------
    first_offer = w.next_id(TrainingOffer)
    provider_list = sorted(providers)
    offers = [(first_offer + i, provider_list[i % len(provider_list)]) for i in range(scale.offers)]
    first_session = w.next_id(TrainingSession)
    session_of = {oid: first_session + i for i, (oid, _) in enumerate(offers)}
    booked = {oid: 0 for oid, _ in offers}
    placements = []
    first_placement = w.next_id(Placement)
    for i in range(scale.placements):
        need = needs[rng.randrange(len(needs))]
        oid = offers[rng.randrange(len(offers))][0]
        places = rng.randint(1, 6)
        status = _weighted(rng, (("requested", 20), ("approved", 10), ("confirmed", 60),
                                 ("cancelled", 10)), 1)[0]
        if status != "cancelled":
            booked[oid] += places
        approved = now if status in ("approved", "confirmed") else None
        confirmed = now if status == "confirmed" else None
        placements.append((first_placement + i, need[0], oid, session_of[oid], places, status,
                           "[]", lead_of[need[2]], approved, confirmed, "", now))
    capacity = {oid: booked[oid] + rng.randint(0, 30) or 1 for oid, _ in offers}

    def starts(oid: int) -> datetime.date:
        return today + datetime.timedelta(days=oid % 120)
    w.write(TrainingOffer, ["id", "provider_id", "title", "description", "topics", "staff_groups",
                            "format", "start_date", "end_date", "capacity", "places_booked",
                            "cost_per_place", "location", "online", "status", "created_at"], (
        (oid, pid, f"{TOPICS[oid % len(TOPICS)][0]} ({oid})", "",
         TOPICS[oid % len(TOPICS)][0].lower(), TOPICS[oid % len(TOPICS)][1].lower(),
         FORMATS[oid % len(FORMATS)], starts(oid), starts(oid) + datetime.timedelta(days=30),
         capacity[oid], booked[oid], Decimal(rng.choice([0, 0, 45, 120, 350])), "", oid % 3 == 0,
         "published" if oid % 10 else "draft", now)
        for oid, pid in offers
    ))
    offer_link = TrainingOffer.principles.through
    first_offer_link = w.next_id(offer_link)
    w.write(offer_link, ["id", "trainingoffer_id", "principle_id"], (
        (first_offer_link + i, oid, principle_ids[(oid + i) % len(principle_ids)])
        for i, (oid, _) in enumerate(offers)
    ))
    w.write(TrainingSession, ["id", "offer_id", "starts_at", "ends_at", "location", "online",
                              "capacity", "places_booked", "places_waiting", "created_at"], (
        (session_of[oid], oid, at(starts(oid), 9), at(starts(oid) + datetime.timedelta(days=30),
                                                      16),
         "", oid % 3 == 0, capacity[oid], booked[oid], 0, now)
        for oid, _ in offers
    ))
    w.write(Placement, ["id", "learning_need_id", "training_offer_id", "session_id", "places",
                        "status", "learners", "requested_by_id", "approved_at", "confirmed_at",
                        "decided_reason", "created_at"], placements)

    # Funding: three streams per programme; allocations to needs (80%) and actions -----
    first_stream = w.next_id(FundingStream)
    streams = {prog: [first_stream + 3 * i + k for k in range(3)]
               for i, prog in enumerate(programme_ids)}
    allocated = {sid: Decimal("0") for ids in streams.values() for sid in ids}
    needs_of = {prog: [] for prog in programme_ids}
    for need in needs:
        needs_of[need[1]].append(need)
    actions_of = {prog: [] for prog in programme_ids}
    for target in action_targets:
        actions_of[target[1]].append(target)
    allocations = []
    first_allocation = w.next_id(FundingAllocation)
    for prog, count in zip(programme_ids, spread(scale.allocations), strict=True):
        for _ in range(count):
            sid = rng.choice(streams[prog])
            amount = Decimal(rng.choice([250, 500, 750, 1000, 1500, 2500, 4000]))
            status = _weighted(rng, (("planned", 40), ("committed", 50), ("cancelled", 10)), 1)[0]
            if status != "cancelled":
                allocated[sid] += amount
            if rng.random() < 0.8 or not actions_of[prog]:
                target = rng.choice(needs_of[prog])
                need_id, action_id = target[0], None
            else:
                target = rng.choice(actions_of[prog])
                need_id, action_id = None, target[0]
            allocations.append((first_allocation + len(allocations), sid, need_id, action_id,
                                target[2], amount, status, "", "", now))
    funders = ["NHS England workforce fund", "Local authority training budget",
               "Integrated care board transformation fund"]
    w.write(FundingStream, ["id", "programme_id", "name", "funder_id", "amount", "allocated",
                            "description", "eligible_staff_groups", "created_at"], (
        (sid, prog, funders[k], programme_partners[prog][k % len(programme_partners[prog])],
         (allocated[sid] * Decimal("1.25")).quantize(Decimal("1")) + 10_000, allocated[sid], "",
         "[]", now)
        for prog, ids in streams.items() for k, sid in enumerate(ids)
    ))
    w.write(FundingAllocation, ["id", "stream_id", "learning_need_id", "action_id",
                                "partner_id", "amount", "status", "note", "evidence",
                                "created_at"], allocations)

    # Sequences past the ids given here, and fresh planner statistics -----------------
    models = [Partner, Programme, through, user_model, Membership, AssessmentCycle, Assessment,
              Response, Gap, Action, LearningNeed, TrainingOffer, offer_link, TrainingSession,
              Placement,
              FundingStream, FundingAllocation]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    # The progress tally, counted once from the rows written (the row triggers that
    # keep it were skipped on PostgreSQL with the foreign key ones).
    tally.rebuild()
    return dict(w.counts)


def analyze() -> None:
    """Planner statistics and the visibility map after a bulk load (PostgreSQL; outside
    the load's transaction): the state autovacuum keeps a live database in, where counts
    read an index alone."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # VACUUM cannot run in a transaction (a test's, say): statistics only then.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
