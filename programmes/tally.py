"""The progress tally: summed figures per programme, partner and principle, kept by the
database itself.

Row triggers on the source tables (assessments and their answers, gaps, actions,
learning needs, funding allocations, cycles and checklist items) add each changed row's
part to ``ProgressTally`` and ``OpenActionTally`` and take its old part away, inside the
statement that writes the row: every path that writes (a service, a bulk update, an
import, the admin, a data migration) keeps the figures current in its own transaction,
and adds no statement of its own. The answers of a partner's latest submitted assessment
are counted afresh for that partner when an assessment of it is submitted or changes.

The SQL is written once and runs on PostgreSQL (in PL/pgSQL functions) and on SQLite
(in trigger bodies): plain ``INSERT … SELECT … ON CONFLICT … DO UPDATE``, no CTEs (SQLite
refuses them in triggers), ``CASE`` rather than booleans as numbers.

The rule of which partner and principle a row belongs to is the one of
``programmes.progress`` (an action: its gap's, or without a gap its owning partner and
no principle; money: its need's, else its action's). ``programmes.progress`` keeps the
figures from the source rows too: ``manage.py check_progress_tally`` and the tests
compare the two. A change to the SQL here takes a migration that calls ``install()``.
"""

from django.db import connection as default_connection

from .models import Gap

TALLY = "programmes_progresstally"
OPEN = "programmes_openactiontally"
KEYS = ("programme_id", "partner_key", "principle_key")
RATINGS = ("met", "partly_met", "not_met", "not_applicable")
CLOSED_ACTIONS = ("done", "cancelled")
HOLDING = ("planned", "committed", "claimed", "paid")


def _values(strings) -> str:
    return ", ".join(f"'{s}'" for s in strings)


def _upsert(table: str, keys: dict, values: dict, *, source: str = "", where: str = "1 = 1",
            group: bool = False, replace: bool = False) -> str:
    """INSERT … SELECT of one part, added to (or, ``replace``, put in place of) the row of
    its key. With ``group`` the SELECT is grouped by the key, so each key comes once."""
    columns = [*keys, *values]
    expressions = [*keys.values(), *values.values()]
    if replace:
        sets = ", ".join(f"{c} = excluded.{c}" for c in values)
    else:
        sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in values)
    group_by = f" GROUP BY {', '.join(keys.values())}" if group else ""
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(expressions)} "
            f"{source} WHERE {where}{group_by} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")


def _case(condition: str, then: str) -> str:
    return f"CASE WHEN {condition} THEN {then} ELSE 0 END"


def _pence(amount: str) -> str:
    return f"CAST(ROUND({amount} * 100) AS BIGINT)"


# Whose is a row: the keys of each source row ------------------------------------------


def _action_keys(row: str) -> dict:
    gap = f"FROM programmes_gap g WHERE g.id = {row}.gap_id"
    return {
        "programme_id": f"{row}.programme_id",
        "partner_key": f"COALESCE((SELECT g.partner_id {gap}), {row}.owner_partner_id, 0)",
        "principle_key": f"COALESCE((SELECT g.principle_id {gap}), 0)",
    }


def _allocation_keys(row: str) -> dict:
    need = f"FROM learning_learningneed n WHERE n.id = {row}.learning_need_id"
    gap = (f"FROM actions_action a JOIN programmes_gap g ON g.id = a.gap_id "
           f"WHERE a.id = {row}.action_id")
    return {
        "programme_id": f"(SELECT s.programme_id FROM learning_fundingstream s "
                        f"WHERE s.id = {row}.stream_id)",
        "partner_key": f"COALESCE((SELECT n.partner_id {need}), (SELECT g.partner_id {gap}), "
                       f"(SELECT a.owner_partner_id FROM actions_action a "
                       f"WHERE a.id = {row}.action_id), 0)",
        "principle_key": f"COALESCE((SELECT n.principle_id {need}), "
                         f"(SELECT g.principle_id {gap}), 0)",
    }


# The part of each source row ------------------------------------------------------------


def _action_part(row: str, sign: str) -> list[str]:
    keys = _action_keys(row)
    return [
        _upsert(TALLY, keys, {
            "actions": sign,
            "actions_done": _case(f"{row}.status = 'done'", sign),
        }),
        _upsert(OPEN, {**keys, "due_date": f"{row}.due_date"}, {"open": sign},
                where=f"{row}.status NOT IN ({_values(CLOSED_ACTIONS)}) "
                      f"AND {row}.due_date IS NOT NULL"),
    ]


def _moved_money(link: str, row: str, keys: dict, sign: str, moved: str) -> str:
    """The money of the holding allocations linked to ``row`` (by ``link``), counted
    under ``keys``, when ``moved`` (the row changed partner or principle)."""
    return _upsert(
        TALLY, {**keys, "programme_id": "s.programme_id"},
        {"funding_pence": f"{sign} * SUM({_pence('f.amount')})"},
        source="FROM learning_fundingallocation f "
               "JOIN learning_fundingstream s ON s.id = f.stream_id",
        where=f"f.{link} = {row}.id AND f.status IN ({_values(HOLDING)}) AND ({moved})",
        group=True,
    )


def _gap_part(row: str, sign: str) -> list[str]:
    return [_upsert(TALLY, {
        "programme_id": f"{row}.programme_id",
        "partner_key": f"{row}.partner_id",
        "principle_key": f"COALESCE({row}.principle_id, 0)",
    }, {
        "gaps_open": _case(f"{row}.status IN ({_values(Gap.OPEN_STATUSES)})", sign),
        "gaps_closed": _case(f"{row}.status = 'closed'", sign),
    })]


def _need_keys(row: str) -> dict:
    return {
        "programme_id": f"{row}.programme_id",
        "partner_key": f"COALESCE({row}.partner_id, 0)",
        "principle_key": f"COALESCE({row}.principle_id, 0)",
    }


def _need_part(row: str, sign: str) -> list[str]:
    return [_upsert(TALLY, _need_keys(row), {
        "learning_needs": sign,
        "learning_needs_met": _case(f"{row}.status = 'met'", sign),
    })]


def _allocation_part(row: str, sign: str) -> list[str]:
    return [_upsert(TALLY, _allocation_keys(row),
                    {"funding_pence": f"{sign} * {_pence(f'{row}.amount')}"},
                    where=f"{row}.status IN ({_values(HOLDING)})")]


def _ratings(programmes: str | None, partner: str | None = None, when: str = "1 = 1"
             ) -> list[str]:
    """Count afresh the answers of the latest submitted assessment of each partner in
    scope: ``programmes`` a SQL list of programme ids (None: every programme), ``partner``
    one partner's id (None: every partner), only ``when`` holds."""
    scope_tally, scope_cycle = [when], [when]
    if programmes is not None:
        scope_tally.append(f"programme_id IN ({programmes})")
        scope_cycle.append(f"c.programme_id IN ({programmes})")
    if partner is not None:
        scope_tally.append(f"partner_key = {partner}")
        scope_cycle.append(f"a.partner_id = {partner}")
    zero = ", ".join(f"{name} = 0" for name in ("assessed", *RATINGS))
    latest = (
        "SELECT a.id, c.programme_id, a.partner_id, ROW_NUMBER() OVER ("
        "PARTITION BY c.programme_id, a.partner_id "
        "ORDER BY c.period_end DESC, a.submitted_at DESC, a.id DESC) AS rn "
        "FROM programmes_assessment a JOIN programmes_assessmentcycle c ON c.id = a.cycle_id "
        f"WHERE a.status = 'submitted' AND {' AND '.join(scope_cycle)}"
    )
    return [
        f"UPDATE {TALLY} SET {zero} WHERE {' AND '.join(scope_tally)}",
        _upsert(
            TALLY,
            {"programme_id": "l.programme_id", "partner_key": "l.partner_id",
             "principle_key": "i.principle_id"},
            {"assessed": "COUNT(*)",
             **{r: f"SUM({_case(f'r.rating = {chr(39)}{r}{chr(39)}', '1')})" for r in RATINGS}},
            source=f"FROM ({latest}) l JOIN programmes_response r ON r.assessment_id = l.id "
                   "JOIN programmes_checklistitem i ON i.id = r.checklist_item_id",
            where="l.rn = 1 AND i.is_active", group=True, replace=True,
        ),
    ]


def _assessment_scope(row: str) -> tuple[str, str]:
    return (f"SELECT c.programme_id FROM programmes_assessmentcycle c "
            f"WHERE c.id = {row}.cycle_id", f"{row}.partner_id")


def _response_ratings(row: str) -> list[str]:
    """An answer of a submitted assessment changed (never through the service, which keeps
    them): count that partner's answers afresh."""
    assessment = f"FROM programmes_assessment a WHERE a.id = {row}.assessment_id"
    submitted = f"EXISTS (SELECT 1 {assessment} AND a.status = 'submitted')"
    return _ratings(
        f"SELECT c.programme_id FROM programmes_assessment a JOIN programmes_assessmentcycle c "
        f"ON c.id = a.cycle_id WHERE a.id = {row}.assessment_id",
        f"(SELECT a.partner_id {assessment})", when=submitted)


def _framework_programmes(row: str) -> str:
    return (f"SELECT p.id FROM programmes_programme p JOIN programmes_principle pr "
            f"ON pr.framework_id = p.framework_id WHERE pr.id = {row}.principle_id")


def _triggers() -> dict[tuple[str, str], list[str]]:
    """{(table, INSERT|UPDATE|DELETE): statements of the trigger}."""
    moved_action = ("COALESCE(OLD.gap_id, 0) <> COALESCE(NEW.gap_id, 0) OR "
                    "COALESCE(OLD.owner_partner_id, 0) <> COALESCE(NEW.owner_partner_id, 0)")
    moved_need = ("COALESCE(OLD.partner_id, 0) <> COALESCE(NEW.partner_id, 0) OR "
                  "COALESCE(OLD.principle_id, 0) <> COALESCE(NEW.principle_id, 0)")
    submitted = "'submitted'"
    return {
        ("actions_action", "INSERT"): _action_part("NEW", "1"),
        ("actions_action", "UPDATE"): [
            *_action_part("OLD", "-1"), *_action_part("NEW", "1"),
            _moved_money("action_id", "OLD", _action_keys("OLD"), "-1", moved_action),
            _moved_money("action_id", "NEW", _action_keys("NEW"), "1", moved_action),
        ],
        ("actions_action", "DELETE"): _action_part("OLD", "-1"),
        ("programmes_gap", "INSERT"): _gap_part("NEW", "1"),
        ("programmes_gap", "UPDATE"): [*_gap_part("OLD", "-1"), *_gap_part("NEW", "1")],
        ("programmes_gap", "DELETE"): _gap_part("OLD", "-1"),
        ("learning_learningneed", "INSERT"): _need_part("NEW", "1"),
        ("learning_learningneed", "UPDATE"): [
            *_need_part("OLD", "-1"), *_need_part("NEW", "1"),
            _moved_money("learning_need_id", "OLD", _need_keys("OLD"), "-1", moved_need),
            _moved_money("learning_need_id", "NEW", _need_keys("NEW"), "1", moved_need),
        ],
        ("learning_learningneed", "DELETE"): _need_part("OLD", "-1"),
        ("learning_fundingallocation", "INSERT"): _allocation_part("NEW", "1"),
        ("learning_fundingallocation", "UPDATE"): [
            *_allocation_part("OLD", "-1"), *_allocation_part("NEW", "1")],
        ("learning_fundingallocation", "DELETE"): _allocation_part("OLD", "-1"),
        ("programmes_assessment", "INSERT"): _ratings(
            *_assessment_scope("NEW"), when=f"NEW.status = {submitted}"),
        ("programmes_assessment", "UPDATE"): [
            *_ratings(*_assessment_scope("OLD"),
                      when=f"(OLD.status = {submitted} OR NEW.status = {submitted})"),
            *_ratings(*_assessment_scope("NEW"),
                      when=f"(OLD.status = {submitted} OR NEW.status = {submitted}) AND "
                           "(OLD.partner_id <> NEW.partner_id OR OLD.cycle_id <> NEW.cycle_id)"),
        ],
        ("programmes_assessment", "DELETE"): _ratings(
            *_assessment_scope("OLD"), when=f"OLD.status = {submitted}"),
        ("programmes_response", "INSERT"): _response_ratings("NEW"),
        ("programmes_response", "UPDATE"): _response_ratings("NEW"),
        ("programmes_response", "DELETE"): _response_ratings("OLD"),
        ("programmes_assessmentcycle", "UPDATE"): [
            *_ratings("OLD.programme_id, NEW.programme_id",
                      when="(OLD.period_end <> NEW.period_end "
                           "OR OLD.programme_id <> NEW.programme_id)"),
        ],
        ("programmes_checklistitem", "UPDATE"): [
            *_ratings(f"{_framework_programmes('OLD')} UNION {_framework_programmes('NEW')}",
                      when="(OLD.is_active <> NEW.is_active "
                           "OR OLD.principle_id <> NEW.principle_id)"),
        ],
    }


def _name(table: str, operation: str) -> str:
    return f"tally_{table}_{operation.lower()}"


def install(connection=default_connection) -> None:
    """Create (or replace) the triggers on the connection's database."""
    with connection.cursor() as cursor:
        for (table, operation), statements in _triggers().items():
            name = _name(table, operation)
            body = ";\n".join(statements)
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                    f"$tally$ BEGIN\n{body};\nRETURN NULL;\nEND $tally$")
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"CREATE TRIGGER {name} AFTER {operation} ON {table} "
                               f"FOR EACH ROW EXECUTE FUNCTION {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} AFTER {operation} ON {table} "
                               f"FOR EACH ROW BEGIN\n{body};\nEND")


def uninstall(connection=default_connection) -> None:
    with connection.cursor() as cursor:
        for table, operation in _triggers():
            name = _name(table, operation)
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


# Counting everything again from the source rows ---------------------------------------


def _rebuild_statements(programme_id: int | None) -> list[str]:
    def only(column: str) -> str:
        return "1 = 1" if programme_id is None else f"{column} = {int(programme_id)}"

    action_keys = {
        "programme_id": "a.programme_id",
        "partner_key": "COALESCE(g.partner_id, a.owner_partner_id, 0)",
        "principle_key": "COALESCE(g.principle_id, 0)",
    }
    actions = "FROM actions_action a LEFT JOIN programmes_gap g ON g.id = a.gap_id"
    return [
        f"DELETE FROM {TALLY} WHERE {only('programme_id')}",
        f"DELETE FROM {OPEN} WHERE {only('programme_id')}",
        *_ratings(None if programme_id is None else str(int(programme_id))),
        _upsert(TALLY, {
            "programme_id": "g.programme_id", "partner_key": "g.partner_id",
            "principle_key": "COALESCE(g.principle_id, 0)",
        }, {
            "gaps_open": f"SUM({_case(f'g.status IN ({_values(Gap.OPEN_STATUSES)})', '1')})",
            "gaps_closed": f"SUM({_case('g.status = ' + chr(39) + 'closed' + chr(39), '1')})",
        }, source="FROM programmes_gap g", where=only("g.programme_id"), group=True),
        _upsert(TALLY, action_keys, {
            "actions": "COUNT(*)",
            "actions_done": f"SUM({_case('a.status = ' + chr(39) + 'done' + chr(39), '1')})",
        }, source=actions, where=only("a.programme_id"), group=True),
        _upsert(OPEN, {**action_keys, "due_date": "a.due_date"}, {"open": "COUNT(*)"},
                source=actions,
                where=f"{only('a.programme_id')} AND a.due_date IS NOT NULL "
                      f"AND a.status NOT IN ({_values(CLOSED_ACTIONS)})", group=True),
        _upsert(TALLY, {
            "programme_id": "n.programme_id", "partner_key": "COALESCE(n.partner_id, 0)",
            "principle_key": "COALESCE(n.principle_id, 0)",
        }, {
            "learning_needs": "COUNT(*)",
            "learning_needs_met": f"SUM({_case('n.status = ' + chr(39) + 'met' + chr(39), '1')})",
        }, source="FROM learning_learningneed n", where=only("n.programme_id"), group=True),
        _upsert(TALLY, {
            "programme_id": "s.programme_id",
            "partner_key": "COALESCE(n.partner_id, g.partner_id, a.owner_partner_id, 0)",
            "principle_key": "COALESCE(n.principle_id, g.principle_id, 0)",
        }, {"funding_pence": f"SUM({_pence('f.amount')})"},
            source="FROM learning_fundingallocation f "
                   "JOIN learning_fundingstream s ON s.id = f.stream_id "
                   "LEFT JOIN learning_learningneed n ON n.id = f.learning_need_id "
                   "LEFT JOIN actions_action a ON a.id = f.action_id "
                   "LEFT JOIN programmes_gap g ON g.id = a.gap_id",
            where=f"{only('s.programme_id')} AND f.status IN ({_values(HOLDING)})", group=True),
        *_compact(TALLY, KEYS, only("programme_id")),
        *_compact(OPEN, (*KEYS, "due_date"), only("programme_id")),
    ]


def _compact(table: str, order: tuple[str, ...], where: str) -> list[str]:
    """Write the rebuilt rows again, in the order of their key. Each part above adds to
    rows the parts before it wrote, and an updated row's new version goes wherever there
    is room: a programme's rows ended up one or two to a page, so its read visited ten
    times the pages it needs."""
    keys = ", ".join(order)
    return [
        "DROP TABLE IF EXISTS tally_rebuilt",
        f"CREATE TEMPORARY TABLE tally_rebuilt AS SELECT * FROM {table} WHERE {where}",  # noqa: S608
        f"DELETE FROM {table} WHERE {where}",  # noqa: S608
        f"INSERT INTO {table} SELECT * FROM tally_rebuilt ORDER BY {keys}",  # noqa: S608
        "DROP TABLE tally_rebuilt",
    ]


def rebuild(programme_id: int | None = None, connection=default_connection) -> None:
    """Count the tally again from the source rows (one programme, or all), in one
    transaction with the caller's."""
    with connection.cursor() as cursor:
        for statement in _rebuild_statements(programme_id):
            cursor.execute(statement)
