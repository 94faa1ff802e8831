# ruff: noqa: S608 - the statements are built from the models' names and constants, no input
"""The floors of ``benchmarks/scale.py``: the statements a PostgreSQL expert would write
for the same figures, rows or writes as the application.

Reads (progress, one partner's progress, the snapshot's figures) are one statement each
and are checked figure for figure against the application by ``scale.py``. Writes
(submission, action create and change, booking) are one statement each, made of
data-modifying CTEs, and are run inside a transaction that is rolled back.
"""

import datetime
from decimal import Decimal
from typing import Any

HOLDING = ("planned", "committed", "claimed", "paid")  # progress.HOLDING_ALLOCATION_STATUSES
GAP_OPEN = ("open", "closure_proposed")  # Gap.OPEN_STATUSES
ACTION_CLOSED = ("done", "cancelled")
SUMMED = ("assessed", "met", "partly_met", "not_met", "not_applicable", "gaps_open",
          "gaps_closed", "actions", "actions_done", "actions_overdue", "learning_needs",
          "learning_needs_met")


def sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# Progress: programme(s) -------------------------------------------------------------

# Each source is aggregated on its own (no join multiplies another's rows), grouped by
# (programme, principle) before the UNION ALL, then summed once; by partner as well
# only when the partners' figures are asked for (the snapshot), since a few groups a
# principle hash far faster than thousands. The latest
# assessment of each partner is a DISTINCT ON over the submitted ones.
FLOOR_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (c.programme_id, a.partner_id) a.id, c.programme_id, a.partner_id
    FROM programmes_assessment a
    JOIN programmes_assessmentcycle c ON c.id = a.cycle_id
    WHERE a.status = 'submitted' {where_cycle}
    ORDER BY c.programme_id, a.partner_id, c.period_end DESC, a.submitted_at DESC, a.id DESC
), parts AS (
    SELECT l.programme_id AS programme, {p_latest} AS partner, i.principle_id AS principle,
           count(*) AS assessed,
           count(*) FILTER (WHERE r.rating = 'met') AS met,
           count(*) FILTER (WHERE r.rating = 'partly_met') AS partly_met,
           count(*) FILTER (WHERE r.rating = 'not_met') AS not_met,
           count(*) FILTER (WHERE r.rating = 'not_applicable') AS not_applicable,
           0 AS gaps_open, 0 AS gaps_closed, 0 AS actions, 0 AS actions_done,
           0 AS actions_overdue, 0 AS learning_needs, 0 AS learning_needs_met,
           0::numeric AS funding
    FROM latest l
    JOIN programmes_response r ON r.assessment_id = l.id
    JOIN programmes_checklistitem i ON i.id = r.checklist_item_id AND i.is_active
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT g.programme_id, {p_gap}, g.principle_id, 0, 0, 0, 0, 0,
           count(*) FILTER (WHERE g.status IN ({gap_open})),
           count(*) FILTER (WHERE g.status = 'closed'),
           0, 0, 0, 0, 0, 0
    FROM programmes_gap g WHERE true {where_gap}
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT a.programme_id, {p_action}, g.principle_id,
           0, 0, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE a.status = 'done'),
           count(*) FILTER (WHERE a.status NOT IN ({action_closed}) AND a.due_date < %(today)s),
           0, 0, 0
    FROM actions_action a {action_gap_join}
    WHERE true {where_action}
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT n.programme_id, {p_need}, n.principle_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE n.status = 'met'), 0
    FROM learning_learningneed n WHERE true {where_need}
    GROUP BY 1, 2, 3
  UNION ALL
    SELECT s.programme_id, {p_funding},
           coalesce(n.principle_id, g.principle_id), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           sum(f.amount)
    FROM learning_fundingallocation f
    JOIN learning_fundingstream s ON s.id = f.stream_id
    LEFT JOIN learning_learningneed n ON n.id = f.learning_need_id
    LEFT JOIN actions_action a ON a.id = f.action_id
    LEFT JOIN programmes_gap g ON g.id = a.gap_id
    WHERE f.status IN ({holding}) {where_stream}
    GROUP BY 1, 2, 3
)
SELECT programme, {partner_column} principle,
       sum(assessed), sum(met), sum(partly_met), sum(not_met), sum(not_applicable),
       sum(gaps_open), sum(gaps_closed), sum(actions), sum(actions_done), sum(actions_overdue),
       sum(learning_needs), sum(learning_needs_met), sum(funding)
FROM parts
GROUP BY {grouping}
"""


def partner_columns(by_partner: bool) -> dict:
    """Each part's partner: the one its rows belong to, or none when not grouped by it."""
    columns = {
        "p_latest": "l.partner_id", "p_gap": "g.partner_id",
        "p_action": "coalesce(g.partner_id, a.owner_partner_id)", "p_need": "n.partner_id",
        "p_funding": "coalesce(n.partner_id, g.partner_id, a.owner_partner_id)",
    }
    return columns if by_partner else dict.fromkeys(columns, "NULL::bigint")


def floor_statement(programme_id: int | None, by_partner: bool) -> str:
    only = "" if programme_id is None else f" AND {{}} = {int(programme_id)}"
    return FLOOR_SQL.format(
        where_cycle=only.format("c.programme_id"),
        where_gap=only.format("g.programme_id"),
        where_action=only.format("a.programme_id"),
        action_gap_join=(
            "LEFT JOIN programmes_gap g ON g.id = a.gap_id" if programme_id is None
            # One programme: one index probe per action; the planner would otherwise
            # hash every gap of the system (LIMIT 1 keeps the subquery from being flattened).
            else "LEFT JOIN LATERAL (SELECT partner_id, principle_id FROM programmes_gap "
                 "WHERE id = a.gap_id LIMIT 1) g ON true"
        ),
        where_need=only.format("n.programme_id"),
        **partner_columns(by_partner),
        where_stream=only.format("s.programme_id"),
        gap_open=sql_list(GAP_OPEN), action_closed=sql_list(ACTION_CLOSED),
        holding=sql_list(HOLDING),
        partner_column=(
            "partner, GROUPING(partner) AS whole," if by_partner
            else "NULL AS partner, 1 AS whole,"
        ),
        grouping=(
            "GROUPING SETS ((programme, principle), (programme, partner, principle))"
            if by_partner else "programme, principle"
        ),
    )


def _figures(rows) -> dict:
    out = {}
    for programme, partner, whole, principle, *values in rows:
        if not whole and partner is None:
            continue  # work of no partner: it counts in the programme's figures only
        counts: dict[str, Any] = dict(zip(SUMMED, (int(v or 0) for v in values[:-1]), strict=True))
        counts["funding"] = values[-1] or Decimal("0")
        out[(programme, None if whole else partner, principle)] = counts
    return out


def floor_figures(programme_id: int | None, today: datetime.date, by_partner=False) -> dict:
    """{(programme, partner or None, principle or None): counts} from one statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(floor_statement(programme_id, by_partner), {"today": today})
        return _figures(cursor.fetchall())


# Progress: one partner ----------------------------------------------------------------

# Every part is restricted in its WHERE clause by an indexed column: the partner's
# assessments (assessment.partner_id), its gaps (gap.partner_id), the actions on those
# gaps (action.gap_id), its owned actions on no gap (action.owner_partner_id), its needs
# (need.partner_id) and the allocations of those needs and actions (allocation.learning_
# need_id, allocation.action_id).
PARTNER_SQL = """
WITH latest AS (
    SELECT a.id
    FROM programmes_assessment a
    JOIN programmes_assessmentcycle c ON c.id = a.cycle_id
    WHERE a.partner_id = %(partner)s AND c.programme_id = %(programme)s
      AND a.status = 'submitted'
    ORDER BY c.period_end DESC, a.submitted_at DESC, a.id DESC
    LIMIT 1
), gaps AS (
    SELECT g.id, g.principle_id, g.status
    FROM programmes_gap g
    WHERE g.programme_id = %(programme)s AND g.partner_id = %(partner)s
), owned AS (
    SELECT a.id, a.status, a.due_date
    FROM actions_action a
    WHERE a.owner_partner_id = %(partner)s AND a.programme_id = %(programme)s
      AND a.gap_id IS NULL
), needs AS (
    SELECT n.id, n.principle_id, n.status
    FROM learning_learningneed n
    WHERE n.partner_id = %(partner)s AND n.programme_id = %(programme)s
), parts AS (
    SELECT i.principle_id AS principle,
           count(*) AS assessed,
           count(*) FILTER (WHERE r.rating = 'met') AS met,
           count(*) FILTER (WHERE r.rating = 'partly_met') AS partly_met,
           count(*) FILTER (WHERE r.rating = 'not_met') AS not_met,
           count(*) FILTER (WHERE r.rating = 'not_applicable') AS not_applicable,
           0 AS gaps_open, 0 AS gaps_closed, 0 AS actions, 0 AS actions_done,
           0 AS actions_overdue, 0 AS learning_needs, 0 AS learning_needs_met,
           0::numeric AS funding
    FROM latest l
    JOIN programmes_response r ON r.assessment_id = l.id
    JOIN programmes_checklistitem i ON i.id = r.checklist_item_id AND i.is_active
    GROUP BY 1
  UNION ALL
    SELECT g.principle_id, 0, 0, 0, 0, 0,
           count(*) FILTER (WHERE g.status IN ({gap_open})),
           count(*) FILTER (WHERE g.status = 'closed'), 0, 0, 0, 0, 0, 0
    FROM gaps g GROUP BY 1
  UNION ALL
    SELECT g.principle_id, 0, 0, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE a.status = 'done'),
           count(*) FILTER (WHERE a.status NOT IN ({action_closed}) AND a.due_date < %(today)s),
           0, 0, 0
    FROM gaps g JOIN actions_action a ON a.gap_id = g.id
    WHERE a.programme_id = %(programme)s
    GROUP BY 1
  UNION ALL
    SELECT NULL, 0, 0, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE a.status = 'done'),
           count(*) FILTER (WHERE a.status NOT IN ({action_closed}) AND a.due_date < %(today)s),
           0, 0, 0
    FROM owned a
  UNION ALL
    SELECT n.principle_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           count(*), count(*) FILTER (WHERE n.status = 'met'), 0
    FROM needs n GROUP BY 1
  UNION ALL
    SELECT money.principle, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, sum(money.amount)
    FROM (
        SELECT n.principle_id AS principle, f.amount, f.stream_id
        FROM needs n JOIN learning_fundingallocation f ON f.learning_need_id = n.id
        WHERE f.status IN ({holding})
      UNION ALL
        SELECT coalesce(n.principle_id, g.principle_id), f.amount, f.stream_id
        FROM gaps g
        JOIN actions_action a ON a.gap_id = g.id
        JOIN learning_fundingallocation f ON f.action_id = a.id
        LEFT JOIN learning_learningneed n ON n.id = f.learning_need_id
        WHERE f.status IN ({holding})
          AND (n.id IS NULL OR n.partner_id IS DISTINCT FROM %(partner)s)
      UNION ALL
        SELECT n.principle_id, f.amount, f.stream_id
        FROM owned a
        JOIN learning_fundingallocation f ON f.action_id = a.id
        LEFT JOIN learning_learningneed n ON n.id = f.learning_need_id
        WHERE f.status IN ({holding})
          AND (n.id IS NULL OR n.partner_id IS DISTINCT FROM %(partner)s)
    ) money
    JOIN learning_fundingstream s ON s.id = money.stream_id AND s.programme_id = %(programme)s
    GROUP BY 1
)
SELECT %(programme)s, %(partner)s, 0, principle,
       sum(assessed), sum(met), sum(partly_met), sum(not_met), sum(not_applicable),
       sum(gaps_open), sum(gaps_closed), sum(actions), sum(actions_done), sum(actions_overdue),
       sum(learning_needs), sum(learning_needs_met), sum(funding)
FROM parts
GROUP BY principle
"""


def partner_statement() -> str:
    return PARTNER_SQL.format(gap_open=sql_list(GAP_OPEN), action_closed=sql_list(ACTION_CLOSED),
                              holding=sql_list(HOLDING))


def partner_figures(programme_id: int, partner_id: int, today: datetime.date) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(partner_statement(),
                       {"programme": programme_id, "partner": partner_id, "today": today})
        return _figures(cursor.fetchall())


# CSV export against COPY ----------------------------------------------------------------


def copy_statement(last_id: int, today: datetime.date, tz: str) -> str:
    """The export's columns (actions.sheets.ACTION_COLUMNS) for the actions up to
    ``last_id``, in id order, as COPY writes them."""
    from django.contrib.auth import get_user_model

    from actions.models import Action

    def labels(column, choices):
        whens = " ".join(f"WHEN {sql_list([v])} THEN {sql_list([str(label)])}"
                         for v, label in choices)
        return f"CASE {column} {whens} ELSE {column} END"

    users = get_user_model()._meta.db_table
    return f"""
COPY (
    SELECT a.id, a.programme_id, a.gap_id, gp.name, pr.number, ci.code, a.title,
           a.description, a.owner_id, u.username,
           CASE WHEN a.owner_id IS NOT NULL THEN coalesce(
               nullif(trim(concat_ws(' ', nullif(u.first_name, ''), nullif(u.last_name, ''))), ''),
               u.username) END,
           a.owner_partner_id, op.name, a.due_date,
           {labels('a.status', Action.Status.choices)},
           {labels('a.priority', Action.Priority.choices)},
           CASE WHEN a.status NOT IN ({sql_list(ACTION_CLOSED)}) AND a.due_date < DATE '{today}'
                THEN 'Yes' ELSE 'No' END,
           (a.completed_at AT TIME ZONE '{tz}')::date, a.version
    FROM actions_action a
    LEFT JOIN programmes_gap g ON g.id = a.gap_id
    LEFT JOIN programmes_partner gp ON gp.id = g.partner_id
    LEFT JOIN programmes_principle pr ON pr.id = g.principle_id
    LEFT JOIN programmes_checklistitem ci ON ci.id = g.checklist_item_id
    LEFT JOIN {users} u ON u.id = a.owner_id
    LEFT JOIN programmes_partner op ON op.id = a.owner_partner_id
    WHERE a.id <= {int(last_id)}
    ORDER BY a.id
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def copy_export(last_id: int, today: datetime.date, tz: str) -> bytes:
    from django.db import connection

    connection.ensure_connection()
    out = bytearray()
    with connection.connection.cursor() as cursor, \
            cursor.copy(copy_statement(last_id, today, tz)) as copy:
        for data in copy:
            out += data
    return bytes(out)


# Writes --------------------------------------------------------------------------------

EVENT_INSERT = """
INSERT INTO notifications_event (kind, programme_id, programme_name, subject_type, subject_id,
                                 data, notices, created_at, actor_id)
SELECT %(kind)s, p.id, p.name, %(subject_type)s, (SELECT id FROM {subject}), '{{}}', '[]',
       %(now)s, %(actor)s
FROM programmes_programme p WHERE p.id = %(programme)s
"""


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column != "id"]


def _history_insert(model, source: str, kind: str) -> str:
    """INSERT of the history rows (django-simple-history's table) of the rows ``source``."""
    history = model.history.model
    tracked = [f.column for f in history.tracked_fields]
    cols = ", ".join(tracked)
    return (f"INSERT INTO {history._meta.db_table} ({cols}, history_date, "
            f"history_change_reason, history_type, history_user_id) "
            f"SELECT {cols}, %(now)s, NULL, '{kind}', %(actor)s FROM {source}")


def submission_statement() -> str:
    """The whole submission in one statement: open the gaps of the items rated partly
    or not met that have none open (the partial unique index skips the others), update
    the partner's open gaps on the answered items (kept, closure proposed when the gap
    has open work, or closed), a history row for each gap written, the assessment
    submitted with its history row, and the events: the submission's, and one with its
    data for each gap opened, closed or proposed for closure (their notices aside)."""
    from programmes.models import Assessment, Gap
    from programmes.services import OPEN_FUNDING_STATUSES, OPEN_PLACEMENT_STATUSES

    gap_cols = _columns(Gap)
    assessment_tracked = ", ".join(f.column for f in Assessment.history.model.tracked_fields)
    history_gap = ", ".join(f.column for f in Gap.history.model.tracked_fields)
    closed = sql_list(ACTION_CLOSED)
    funding = sql_list(OPEN_FUNDING_STATUSES)
    places = sql_list(OPEN_PLACEMENT_STATUSES)
    return f"""
WITH answers AS (
    SELECT r.checklist_item_id AS item, r.rating, i.principle_id
    FROM programmes_response r
    JOIN programmes_checklistitem i ON i.id = r.checklist_item_id AND i.is_active
    WHERE r.assessment_id = %(assessment)s
), opened AS (
    INSERT INTO programmes_gap ({", ".join(gap_cols)})
    SELECT {", ".join({
        "programme_id": "%(programme)s", "partner_id": "%(partner)s",
        "checklist_item_id": "item", "principle_id": "principle_id",
        "severity": "CASE rating WHEN 'not_met' THEN 'high' ELSE 'medium' END",
        "status": "'open'", "description": "''", "opened_at": "%(now)s",
        "opened_by_assessment_id": "%(assessment)s", "last_assessment_id": "%(assessment)s",
        "closed_at": "NULL", "closed_reason": "''", "status_note": "''", "version": "1",
    }[c] for c in gap_cols)}
    FROM answers WHERE rating IN ('not_met', 'partly_met')
    ON CONFLICT DO NOTHING
    RETURNING *
), work AS (
    SELECT g.id, a.rating,
           a.rating IN ('not_met', 'partly_met') AS keep,
           -- only a met item's gap waits for its open work; not applicable closes it
           a.rating = 'met' AND (EXISTS (SELECT 1 FROM actions_action x WHERE x.gap_id = g.id
                   AND x.status NOT IN ({closed}))
           OR EXISTS (SELECT 1 FROM actions_action x
                      JOIN learning_fundingallocation f ON f.action_id = x.id
                      WHERE x.gap_id = g.id AND f.status IN ({funding}) AND f.amount <> 0)
           OR EXISTS (SELECT 1 FROM learning_learningneed n
                      JOIN learning_fundingallocation f ON f.learning_need_id = n.id
                      WHERE n.gap_id = g.id AND f.status IN ({funding}) AND f.amount <> 0)
           OR EXISTS (SELECT 1 FROM learning_learningneed n
                      JOIN learning_placement p ON p.learning_need_id = n.id
                      WHERE n.gap_id = g.id AND p.status IN ({places}) AND p.places <> 0))
           AS busy
    FROM programmes_gap g JOIN answers a ON a.item = g.checklist_item_id
    WHERE g.programme_id = %(programme)s AND g.partner_id = %(partner)s
      AND g.status IN ({sql_list(GAP_OPEN)})
), changed AS (
    UPDATE programmes_gap g SET
        severity = CASE WHEN w.rating = 'not_met' THEN 'high'
                        WHEN w.rating = 'partly_met' THEN 'medium' ELSE g.severity END,
        status = CASE WHEN w.keep THEN 'open' WHEN w.busy THEN 'closure_proposed'
                      ELSE 'closed' END,
        closed_at = CASE WHEN NOT w.keep AND NOT w.busy THEN %(now)s ELSE g.closed_at END,
        closed_reason = CASE WHEN w.keep OR w.busy THEN g.closed_reason
                             WHEN w.rating = 'met' THEN 'reassessed_met'
                             ELSE 'reassessed_not_applicable' END,
        status_note = CASE WHEN NOT w.keep AND NOT w.busy THEN '' ELSE g.status_note END,
        last_assessment_id = %(assessment)s,
        version = g.version + 1
    FROM work w WHERE g.id = w.id
    RETURNING g.*
), gap_history AS (
    INSERT INTO programmes_historicalgap ({history_gap}, history_date, history_change_reason,
                                          history_type, history_user_id)
    SELECT {history_gap}, %(now)s, '', '+', %(actor)s FROM opened
    UNION ALL
    SELECT {history_gap}, %(now)s, '', '~', %(actor)s FROM changed
), submitted AS (
    UPDATE programmes_assessment a SET status = 'submitted', submitted_at = %(now)s,
        submitted_by_id = %(actor)s, late = (%(today)s > c.period_end)
    FROM programmes_assessmentcycle c
    WHERE a.id = %(assessment)s AND c.id = a.cycle_id AND c.closed_at IS NULL
    RETURNING a.*
), assessment_history AS (
    INSERT INTO programmes_historicalassessment ({assessment_tracked}, history_date,
        history_change_reason, history_type, history_user_id)
    SELECT {assessment_tracked}, %(now)s, NULL, '~', %(actor)s FROM submitted
), gap_events AS (
    -- an event for each gap opened, closed or proposed for closure, with the gap's data
    -- as ``publishing.gap_data`` gives it (the kept gaps have none)
    INSERT INTO notifications_event (kind, programme_id, programme_name, subject_type,
                                     subject_id, data, notices, created_at, actor_id)
    SELECT CASE g.status WHEN 'closed' THEN 'gap.closed'
                         WHEN 'closure_proposed' THEN 'gap.closure_proposed'
                         ELSE 'gap.opened' END,
           p.id, p.name, 'gap', g.id,
           json_build_object('id', g.id, 'programme', g.programme_id,
                             'partner', g.partner_id, 'partner_name', pa.name,
                             'checklist_item', i.code, 'principle', pr.number,
                             'severity', g.severity, 'status', g.status,
                             'link', '/gaps/' || g.id || '/'),
           '[]', %(now)s, %(actor)s
    FROM (SELECT id, programme_id, partner_id, checklist_item_id, severity, status
          FROM opened
          UNION ALL
          SELECT id, programme_id, partner_id, checklist_item_id, severity, status
          FROM changed WHERE status <> 'open') g
    JOIN programmes_programme p ON p.id = g.programme_id
    JOIN programmes_partner pa ON pa.id = g.partner_id
    JOIN programmes_checklistitem i ON i.id = g.checklist_item_id
    JOIN programmes_principle pr ON pr.id = i.principle_id
)
{EVENT_INSERT.format(subject="submitted")}
"""


def action_create_statement() -> str:
    from actions.models import Action

    cols = _columns(Action)
    values = {"programme_id": "%(programme)s", "gap_id": "NULL", "title": "%(title)s",
              "description": "''", "owner_id": "%(owner)s", "owner_partner_id": "%(partner)s",
              "due_date": "%(due)s", "status": "'not_started'", "priority": "'medium'",
              "completed_at": "NULL", "created_by_id": "%(actor)s", "created_at": "%(now)s",
              "updated_at": "%(now)s", "version": "1"}
    return f"""
WITH created AS (
    INSERT INTO actions_action ({", ".join(cols)})
    VALUES ({", ".join(values[c] for c in cols)})
    RETURNING *
), history AS (
    {_history_insert(Action, "created", "+")}
)
{EVENT_INSERT.format(subject="created")}
"""


def action_change_statement() -> str:
    from actions.models import Action

    return f"""
WITH changed AS (
    UPDATE actions_action SET status = %(status)s, priority = %(priority)s,
        updated_at = %(now)s, version = version + 1
    WHERE id = %(action)s AND version = %(version)s
    RETURNING *
), history AS (
    {_history_insert(Action, "changed", "~")}
)
{EVENT_INSERT.format(subject="changed")}
"""


def booking_statement() -> str:
    """A request for places: the session's and the offer's counts moved when they fit
    (with their history rows), the placement and its history row, the need planned
    when it was identified, and the event."""
    from learning.models import LearningNeed, Placement, TrainingOffer, TrainingSession

    cols = _columns(Placement)
    values = {"learning_need_id": "%(need)s", "training_offer_id": "s.offer_id",
              "session_id": "s.id", "places": "%(places)s", "status": "'requested'",
              "learners": "'[]'", "places_attended": "NULL", "places_completed": "NULL",
              "requested_by_id": "%(actor)s", "approved_at": "NULL", "confirmed_at": "NULL",
              "decided_reason": "''", "created_at": "%(now)s"}
    return f"""
WITH session AS (
    UPDATE learning_trainingsession SET places_booked = places_booked + %(places)s
    WHERE id = %(session)s AND capacity - places_booked >= %(places)s
    RETURNING *
), session_history AS (
    {_history_insert(TrainingSession, "session", "~")}
), offer AS (
    UPDATE learning_trainingoffer o SET places_booked = o.places_booked + %(places)s
    FROM session s WHERE o.id = s.offer_id
    RETURNING o.*
), offer_history AS (
    {_history_insert(TrainingOffer, "offer", "~")}
), placed AS (
    INSERT INTO learning_placement ({", ".join(cols)})
    SELECT {", ".join(values[c] for c in cols)} FROM session s
    RETURNING *
), placement_history AS (
    {_history_insert(Placement, "placed", "+")}
), need AS (
    UPDATE learning_learningneed SET status = 'planned', version = version + 1,
        updated_at = %(now)s
    WHERE id = %(need)s AND status = 'identified' AND EXISTS (SELECT 1 FROM placed)
    RETURNING *
), need_history AS (
    {_history_insert(LearningNeed, "need", "~")}
)
{EVENT_INSERT.format(subject="placed")}
"""
