"""case_search.access on PostgreSQL: who may see each case and its facets as index words, kept by triggers

Search on PostgreSQL finds the cases a user may see and that match the filters in the same GIN index as the words
(docs/search.md): each case's ``access`` tsvector holds a lexeme per person involved (``u:<name>``:
its starter, every actor of its history, the assignee of each open task), per group an open unassigned task is
offered to (``g:<code>``), and its facets (``p:<process>``, ``s:<status>``, ``n:<unit>``, ``m:<YYYY-MM>``, the
month it started, UTC). The GIN index covers ``document || access``. Triggers on the tables the visibility rule reads
(engine/cases/visibility.py) keep it right whatever writes them; ``procflow_case_access_backfill()`` fills it for
every case at once (this migration, ``procflow search reindex``, bulk loads).

Nothing changes on SQLite: FTS5 finds the words and the visibility rule is joined as a set.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# One case's lexemes, as the rule reads them (NULL parts dropped). PL/pgSQL, so that its plan is kept per session.
_CASE_ACCESS = """
CREATE FUNCTION procflow_case_access(case_id integer) RETURNS tsvector LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(array_to_tsvector(array_agg(DISTINCT t)), ''::tsvector) FROM (
    SELECT unnest(ARRAY['p:' || process_id, 's:' || status, 'n:' || unit_code, 'u:' || started_by,
                        'm:' || to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM')]) AS t
      FROM instances WHERE id = case_id
    UNION ALL SELECT 'u:' || actor FROM history WHERE instance_id = case_id AND actor IS NOT NULL
    UNION ALL SELECT 'u:' || assignee FROM inbox_tasks WHERE instance_id = case_id AND assignee IS NOT NULL
    UNION ALL SELECT 'g:' || o.group_code FROM task_candidate_groups o JOIN inbox_tasks i ON i.id = o.task_id
      WHERE i.instance_id = case_id AND i.assignee IS NULL
  ) parts WHERE t IS NOT NULL);
END $$"""

# Every case at once, set-based (a million cases in about half a minute).
_BACKFILL = """
CREATE FUNCTION procflow_case_access_backfill() RETURNS bigint LANGUAGE sql AS $$
  WITH parts AS (
    SELECT id AS instance_id, unnest(ARRAY['p:' || process_id, 's:' || status, 'n:' || unit_code,
                                           'u:' || started_by,
                                           'm:' || to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM')]) AS t
      FROM instances
    UNION ALL SELECT instance_id, 'u:' || actor FROM history WHERE actor IS NOT NULL
    UNION ALL SELECT instance_id, 'u:' || assignee FROM inbox_tasks WHERE assignee IS NOT NULL
    UNION ALL SELECT i.instance_id, 'g:' || o.group_code FROM task_candidate_groups o
      JOIN inbox_tasks i ON i.id = o.task_id WHERE i.assignee IS NULL
  ), computed AS (
    SELECT instance_id, array_to_tsvector(array_agg(DISTINCT t)) AS access FROM parts WHERE t IS NOT NULL
    GROUP BY instance_id
  ), changed AS (
    UPDATE case_search c SET access = computed.access FROM computed
    WHERE c.instance_id = computed.instance_id AND c.access IS DISTINCT FROM computed.access
    RETURNING 1
  )
  SELECT count(*) FROM changed
$$"""

# Recompute one case (a lexeme may go: a task done, reassigned, claimed); written only when it changed.
_REFRESH = """
CREATE FUNCTION procflow_refresh_case_access(case_id integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  fresh tsvector;
BEGIN
  IF case_id IS NULL THEN
    RETURN;
  END IF;
  fresh := procflow_case_access(case_id);
  UPDATE case_search SET access = fresh WHERE instance_id = case_id AND access IS DISTINCT FROM fresh;
END $$"""

# Add one lexeme (a lexeme that only comes: an actor, a new assignee, a new offer); nothing when it is there.
_ADD = """
CREATE FUNCTION procflow_add_case_access(case_id integer, lexeme text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_search SET access = access || array_to_tsvector(ARRAY[lexeme])
  WHERE instance_id = case_id AND NOT tsvector_to_array(access) @> ARRAY[lexeme];
END $$"""

# Row triggers whose WHEN clause skips the rows that change nothing without calling any function (a step's
# UPDATE of its instance row, say), each doing the least: add a lexeme, or recompute the case.
_TRIGGER_FUNCTIONS = {
    "procflow_access_history_insert": "PERFORM procflow_add_case_access(NEW.instance_id, 'u:' || NEW.actor);",
    "procflow_access_inbox_insert": "PERFORM procflow_add_case_access(NEW.instance_id, 'u:' || NEW.assignee);",
    "procflow_access_inbox_update": """PERFORM procflow_refresh_case_access(NEW.instance_id);
  IF OLD.instance_id <> NEW.instance_id THEN
    PERFORM procflow_refresh_case_access(OLD.instance_id);
  END IF;""",
    "procflow_access_inbox_delete": "PERFORM procflow_refresh_case_access(OLD.instance_id);",
    "procflow_access_offers_insert": """PERFORM procflow_add_case_access(
    (SELECT instance_id FROM inbox_tasks WHERE id = NEW.task_id AND assignee IS NULL), 'g:' || NEW.group_code);""",
    # A task's offers go with it (its own trigger recomputes) or when it is claimed (so does the assignee's).
    "procflow_access_offers_delete": """PERFORM procflow_refresh_case_access(
    (SELECT instance_id FROM inbox_tasks WHERE id = OLD.task_id));""",
    "procflow_access_instances_update": "PERFORM procflow_refresh_case_access(NEW.id);",
}

# (trigger, table, event, condition, function)
_TRIGGERS = (
    ("case_access_history_insert", "history", "INSERT", "NEW.actor IS NOT NULL", "procflow_access_history_insert"),
    ("case_access_inbox_insert", "inbox_tasks", "INSERT", "NEW.assignee IS NOT NULL", "procflow_access_inbox_insert"),
    ("case_access_inbox_update", "inbox_tasks", "UPDATE OF assignee, instance_id",
     "OLD.assignee IS DISTINCT FROM NEW.assignee OR OLD.instance_id <> NEW.instance_id",
     "procflow_access_inbox_update"),
    ("case_access_inbox_delete", "inbox_tasks", "DELETE", None, "procflow_access_inbox_delete"),
    ("case_access_offers_insert", "task_candidate_groups", "INSERT", None, "procflow_access_offers_insert"),
    ("case_access_offers_delete", "task_candidate_groups", "DELETE", None, "procflow_access_offers_delete"),
    ("case_access_instances_update", "instances", "UPDATE OF status, unit_code, started_by, process_id, started_at",
     "OLD.status IS DISTINCT FROM NEW.status OR OLD.unit_code IS DISTINCT FROM NEW.unit_code "
     "OR OLD.started_by IS DISTINCT FROM NEW.started_by OR OLD.process_id IS DISTINCT FROM NEW.process_id "
     "OR OLD.started_at IS DISTINCT FROM NEW.started_at", "procflow_access_instances_update"),
)

# A new index row gets its lexemes as it is written (its case's rows may all be there already).
_ON_NEW_ROW = """
CREATE FUNCTION procflow_access_new_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.access := procflow_case_access(NEW.instance_id);
  RETURN NEW;
END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE case_search ADD COLUMN access tsvector NOT NULL DEFAULT ''::tsvector")
    for statement in (_CASE_ACCESS, _BACKFILL, _REFRESH, _ADD, _ON_NEW_ROW):
        op.execute(statement)
    for name, body in _TRIGGER_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  {body}\n"
                   "  RETURN NULL;\nEND $$")
    for trigger, table, event, condition, function in _TRIGGERS:
        when = f" WHEN ({condition})" if condition else ""
        op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} FOR EACH ROW{when} "
                   f"EXECUTE FUNCTION {function}()")
    op.execute("CREATE TRIGGER case_access_new_row BEFORE INSERT ON case_search "
               "FOR EACH ROW EXECUTE FUNCTION procflow_access_new_row()")
    op.execute("SELECT procflow_case_access_backfill()")
    op.execute("DROP INDEX ix_case_search_document")
    op.execute("CREATE INDEX ix_case_search_document ON case_search USING gin ((document || access))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_case_search_document")
    op.execute("CREATE INDEX ix_case_search_document ON case_search USING gin (document)")
    op.execute("DROP TRIGGER case_access_new_row ON case_search")
    for trigger, table, *_ in _TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for name in (*_TRIGGER_FUNCTIONS, "procflow_access_new_row", "procflow_refresh_case_access",
                 "procflow_add_case_access", "procflow_case_access_backfill", "procflow_case_access"):
        op.execute(f"DROP FUNCTION {name}")
    op.execute("ALTER TABLE case_search DROP COLUMN access")
