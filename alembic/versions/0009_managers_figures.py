"""managers' figures: monthly rollups kept by triggers on history, the case's unit on inbox rows, settings, evaluations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21

The rollups are written by triggers in the transaction that appends a history event, and an open task's case
unit is copied onto its inbox row by a trigger, so the engine's code is unchanged and the figures are always
exactly the history's (docs/managers.md). On SQLite a migration that rebuilds the ``history`` or ``inbox_tasks``
table (batch mode: copy, drop, rename) drops its triggers: such a migration must create them again
(``tests/engine/analytics/test_analytics.py`` fails if they are missing).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.persistence.base

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# Vietnam's UTC offset (Asia/Ho_Chi_Minh, no daylight saving); AnalyticsService.rebuild_figures changes it.
DEFAULT_OFFSET_MINUTES = 420

_LATE = "NEW.due_at IS NOT NULL AND NEW.late_seconds > 0"
_TASK_VALUES = f"""COALESCE(NEW.unit_code, ''), COALESCE(NEW.actor, ''), 1,
    CASE WHEN NEW.due_at IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN NEW.due_at IS NOT NULL AND COALESCE(NEW.late_seconds, 0) <= 0 THEN 1 ELSE 0 END,
    CASE WHEN {_LATE} THEN 1 ELSE 0 END,
    CASE WHEN {_LATE} THEN NEW.late_seconds ELSE 0 END,
    CASE WHEN {_LATE} THEN NEW.late_seconds ELSE 0 END"""
_TASK_COLUMNS = ("month, unit_code, actor, completed, with_deadline, on_time, late, late_seconds, "
                 "max_late_seconds")
_CASE_COLUMNS = "month, process_id, unit_code, cycle_bucket, cases, with_deadline, on_time, cycle_seconds"


def _bucket(seconds: str) -> str:
    # Cycle times are counted to 15 minutes below a day, to the hour below 10 days, to 6 hours below 100 days,
    # then to the day (engine.analytics.rollups.cycle_bucket is the same rule in Python).
    return (f"CASE WHEN {seconds} < 86400 THEN {seconds} / 900 * 900 "
            f"WHEN {seconds} < 864000 THEN {seconds} / 3600 * 3600 "
            f"WHEN {seconds} < 8640000 THEN {seconds} / 21600 * 21600 "
            f"ELSE {seconds} / 86400 * 86400 END")


_SQLITE_OFFSET = (f"COALESCE((SELECT CAST(value AS INTEGER) FROM analytics_settings "
                  f"WHERE key = 'utc_offset_minutes'), {DEFAULT_OFFSET_MINUTES})")
_SQLITE_MONTH = f"date(NEW.at, {_SQLITE_OFFSET} || ' minutes', 'start of month')"

SQLITE_TASK_TRIGGER = f"""
CREATE TRIGGER history_task_figures AFTER INSERT ON history
WHEN NEW.kind = 'task_completed'
BEGIN
    INSERT INTO task_month_figures ({_TASK_COLUMNS})
    VALUES ({_SQLITE_MONTH}, {_TASK_VALUES})
    ON CONFLICT (month, unit_code, actor) DO UPDATE SET
        completed = completed + 1, with_deadline = with_deadline + excluded.with_deadline,
        on_time = on_time + excluded.on_time, late = late + excluded.late,
        late_seconds = late_seconds + excluded.late_seconds,
        max_late_seconds = MAX(max_late_seconds, excluded.max_late_seconds);
END
"""

SQLITE_CASE_TRIGGER = f"""
CREATE TRIGGER history_case_figures AFTER INSERT ON history
WHEN NEW.kind = 'instance_completed'
BEGIN
    INSERT INTO case_month_figures ({_CASE_COLUMNS})
    SELECT c.month, c.process_id, CASE WHEN d.k = 0 THEN c.unit_code ELSE '*' END, {_bucket('c.cycle')},
           1, c.has_deadline, c.has_deadline * (1 - c.was_late), c.cycle
    FROM (SELECT {_SQLITE_MONTH} AS month, i.process_id AS process_id, COALESCE(i.unit_code, '') AS unit_code,
                 MAX(CAST(ROUND((julianday(NEW.at) - julianday(i.started_at)) * 86400) AS INTEGER), 0) AS cycle,
                 EXISTS (SELECT 1 FROM history h WHERE h.instance_id = NEW.instance_id
                         AND h.kind = 'task_completed' AND h.due_at IS NOT NULL) AS has_deadline,
                 EXISTS (SELECT 1 FROM history h WHERE h.instance_id = NEW.instance_id
                         AND h.kind = 'task_completed' AND h.due_at IS NOT NULL AND h.late_seconds > 0) AS was_late
          FROM instances i WHERE i.id = NEW.instance_id) AS c,
         (SELECT 0 AS k UNION ALL SELECT 1) AS d
    WHERE true
    ON CONFLICT (month, process_id, unit_code, cycle_bucket) DO UPDATE SET
        cases = cases + 1, with_deadline = with_deadline + excluded.with_deadline,
        on_time = on_time + excluded.on_time, cycle_seconds = cycle_seconds + excluded.cycle_seconds;
END
"""

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION procflow_history_figures() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    utc_minutes integer;
    month_start date;
    case_process varchar(100);
    case_unit varchar(100);
    case_started timestamptz;
    cycle_secs bigint;
    has_deadline integer;
    was_late integer;
BEGIN
    SELECT (s.value::text)::integer INTO utc_minutes FROM analytics_settings s WHERE s.key = 'utc_offset_minutes';
    month_start := date_trunc('month', (NEW.at AT TIME ZONE 'UTC')
                                       + make_interval(mins => COALESCE(utc_minutes, {DEFAULT_OFFSET_MINUTES})))::date;
    IF NEW.kind = 'task_completed' THEN
        INSERT INTO task_month_figures AS f ({_TASK_COLUMNS})
        VALUES (month_start, {_TASK_VALUES})
        ON CONFLICT (month, unit_code, actor) DO UPDATE SET
            completed = f.completed + 1, with_deadline = f.with_deadline + EXCLUDED.with_deadline,
            on_time = f.on_time + EXCLUDED.on_time, late = f.late + EXCLUDED.late,
            late_seconds = f.late_seconds + EXCLUDED.late_seconds,
            max_late_seconds = GREATEST(f.max_late_seconds, EXCLUDED.max_late_seconds);
        RETURN NULL;
    END IF;
    SELECT i.process_id, COALESCE(i.unit_code, ''), i.started_at INTO case_process, case_unit, case_started
    FROM instances i WHERE i.id = NEW.instance_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    cycle_secs := GREATEST(ROUND(EXTRACT(EPOCH FROM (NEW.at - case_started)))::bigint, 0);
    SELECT COALESCE(MAX(CASE WHEN h.due_at IS NOT NULL THEN 1 ELSE 0 END), 0),
           COALESCE(MAX(CASE WHEN h.due_at IS NOT NULL AND h.late_seconds > 0 THEN 1 ELSE 0 END), 0)
    INTO has_deadline, was_late
    FROM history h WHERE h.instance_id = NEW.instance_id AND h.kind = 'task_completed';
    INSERT INTO case_month_figures AS f ({_CASE_COLUMNS})
    VALUES (month_start, case_process, case_unit, {_bucket('cycle_secs')}, 1, has_deadline,
            has_deadline * (1 - was_late), cycle_secs),
           (month_start, case_process, '*', {_bucket('cycle_secs')}, 1, has_deadline,
            has_deadline * (1 - was_late), cycle_secs)
    ON CONFLICT (month, process_id, unit_code, cycle_bucket) DO UPDATE SET
        cases = f.cases + 1, with_deadline = f.with_deadline + EXCLUDED.with_deadline,
        on_time = f.on_time + EXCLUDED.on_time, cycle_seconds = f.cycle_seconds + EXCLUDED.cycle_seconds;
    RETURN NULL;
END
$$
"""

SQLITE_INBOX_TRIGGER = """
CREATE TRIGGER inbox_tasks_case_unit AFTER INSERT ON inbox_tasks
WHEN NEW.case_unit_code IS NULL
BEGIN
    UPDATE inbox_tasks SET case_unit_code = (SELECT unit_code FROM instances WHERE id = NEW.instance_id)
    WHERE id = NEW.id;
END
"""

POSTGRES_INBOX_FUNCTION = """
CREATE OR REPLACE FUNCTION procflow_inbox_case_unit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.case_unit_code := (SELECT i.unit_code FROM instances i WHERE i.id = NEW.instance_id);
    RETURN NEW;
END
$$
"""

POSTGRES_INBOX_TRIGGER = """
CREATE TRIGGER inbox_tasks_case_unit BEFORE INSERT ON inbox_tasks FOR EACH ROW
WHEN (NEW.case_unit_code IS NULL)
EXECUTE FUNCTION procflow_inbox_case_unit()
"""

POSTGRES_TRIGGER = """
CREATE TRIGGER history_figures AFTER INSERT ON history FOR EACH ROW
WHEN (NEW.kind IN ('task_completed', 'instance_completed'))
EXECUTE FUNCTION procflow_history_figures()
"""


def _month(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"date({column}, '{DEFAULT_OFFSET_MINUTES} minutes', 'start of month')"
    return (f"CAST(date_trunc('month', ({column} AT TIME ZONE 'UTC') "
            f"+ make_interval(mins => {DEFAULT_OFFSET_MINUTES})) AS date)")


def _cycle(dialect: str) -> str:
    if dialect == "sqlite":
        return "MAX(CAST(ROUND((julianday(h.at) - julianday(i.started_at)) * 86400) AS INTEGER), 0)"
    return "GREATEST(CAST(ROUND(EXTRACT(EPOCH FROM (h.at - i.started_at))) AS BIGINT), 0)"


def _fill(dialect: str) -> None:
    """Roll up the history that already exists (a copy of engine.analytics.rollups as it was written)."""
    late = "due_at IS NOT NULL AND late_seconds > 0"
    op.execute(f"""
        INSERT INTO task_month_figures ({_TASK_COLUMNS})
        SELECT {_month(dialect, 'at')}, COALESCE(unit_code, ''), COALESCE(actor, ''), COUNT(*),
               SUM(CASE WHEN due_at IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN due_at IS NOT NULL AND COALESCE(late_seconds, 0) <= 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN {late} THEN 1 ELSE 0 END), SUM(CASE WHEN {late} THEN late_seconds ELSE 0 END),
               MAX(CASE WHEN {late} THEN late_seconds ELSE 0 END)
        FROM history WHERE kind = 'task_completed'
        GROUP BY {_month(dialect, 'at')}, COALESCE(unit_code, ''), COALESCE(actor, '')""")
    op.execute(f"""
        INSERT INTO case_month_figures ({_CASE_COLUMNS})
        SELECT month, process_id, unit, bucket, COUNT(*), SUM(has_deadline), SUM(on_time), SUM(cycle)
        FROM (SELECT c.month, c.process_id, CASE WHEN d.k = 0 THEN c.unit_code ELSE '*' END AS unit,
                     {_bucket('c.cycle')} AS bucket, c.has_deadline, c.has_deadline * (1 - c.was_late) AS on_time,
                     c.cycle
              FROM (SELECT {_month(dialect, 'h.at')} AS month, i.process_id, COALESCE(i.unit_code, '') AS unit_code,
                           {_cycle(dialect)} AS cycle,
                           CASE WHEN t.with_deadline > 0 THEN 1 ELSE 0 END AS has_deadline,
                           CASE WHEN t.late > 0 THEN 1 ELSE 0 END AS was_late
                    FROM history h JOIN instances i ON i.id = h.instance_id
                    LEFT JOIN (SELECT instance_id, SUM(CASE WHEN due_at IS NOT NULL THEN 1 ELSE 0 END) AS with_deadline,
                                      SUM(CASE WHEN {late} THEN 1 ELSE 0 END) AS late
                               FROM history WHERE kind = 'task_completed' GROUP BY instance_id) t
                           ON t.instance_id = h.instance_id
                    WHERE h.kind = 'instance_completed') c
              CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) d) rows_
        GROUP BY month, process_id, unit, bucket""")


def upgrade() -> None:
    op.create_table('analytics_settings',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_analytics_settings'))
    )
    op.create_table('case_month_figures',
    sa.Column('unit_code', sa.String(length=100), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('cycle_bucket', sa.BigInteger(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('with_deadline', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('cycle_seconds', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('unit_code', 'month', 'process_id', 'cycle_bucket', name=op.f('pk_case_month_figures'))
    )
    op.create_table('evaluations',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('unit_code', sa.String(length=100), nullable=True),
    sa.Column('proposed', sa.String(length=40), nullable=True),
    sa.Column('final', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('confirmed_by', sa.String(length=100), nullable=False),
    sa.Column('confirmed_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', 'username', name=op.f('pk_evaluations'))
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index('ix_evaluations_year_unit_code', ['year', 'unit_code'], unique=False)

    op.create_table('task_month_figures',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('unit_code', sa.String(length=100), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('with_deadline', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('late_seconds', sa.BigInteger(), nullable=False),
    sa.Column('max_late_seconds', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'unit_code', 'actor', name=op.f('pk_task_month_figures'))
    )
    with op.batch_alter_table('task_month_figures', schema=None) as batch_op:
        batch_op.create_index('ix_task_month_figures_actor_month', ['actor', 'month'], unique=False)

    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_unit_code', sa.String(length=100), nullable=True))
    op.execute("UPDATE inbox_tasks SET case_unit_code = "
               "(SELECT unit_code FROM instances WHERE instances.id = inbox_tasks.instance_id)")

    completed = sa.text("kind = 'task_completed'")
    late = sa.text("kind = 'task_completed' AND at > due_at")
    op.create_index('ix_history_completed_process_at', 'history', ['process_id', 'at'], unique=False,
                    postgresql_where=completed, sqlite_where=completed)
    op.create_index('ix_history_completed_late_at', 'history', ['at', 'due_at', 'unit_code', 'actor'], unique=False,
                    postgresql_where=late, sqlite_where=late)

    settings = sa.table('analytics_settings', sa.column('key', sa.String), sa.column('value', sa.JSON))
    op.bulk_insert(settings, [{'key': 'utc_offset_minutes', 'value': DEFAULT_OFFSET_MINUTES}])
    dialect = op.get_bind().dialect.name
    _fill(dialect)
    if dialect == "sqlite":
        for statement in (SQLITE_TASK_TRIGGER, SQLITE_CASE_TRIGGER, SQLITE_INBOX_TRIGGER):
            op.execute(statement)
    else:
        for statement in (POSTGRES_FUNCTION, POSTGRES_TRIGGER, POSTGRES_INBOX_FUNCTION, POSTGRES_INBOX_TRIGGER):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS history_task_figures")
        op.execute("DROP TRIGGER IF EXISTS history_case_figures")
        op.execute("DROP TRIGGER IF EXISTS inbox_tasks_case_unit")
    else:
        op.execute("DROP TRIGGER IF EXISTS history_figures ON history")
        op.execute("DROP FUNCTION IF EXISTS procflow_history_figures()")
        op.execute("DROP TRIGGER IF EXISTS inbox_tasks_case_unit ON inbox_tasks")
        op.execute("DROP FUNCTION IF EXISTS procflow_inbox_case_unit()")
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_column('case_unit_code')
    op.drop_index('ix_history_completed_late_at', table_name='history')
    op.drop_index('ix_history_completed_process_at', table_name='history')
    with op.batch_alter_table('task_month_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_task_month_figures_actor_month')

    op.drop_table('task_month_figures')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluations_year_unit_code')

    op.drop_table('evaluations')
    op.drop_table('case_month_figures')
    op.drop_table('analytics_settings')
