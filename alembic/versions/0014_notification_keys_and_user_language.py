"""notifications as a message key and parameters (rendered in the reader's language); users get a language

Existing notifications were stored as finished text, "Vietnamese / English". The wordings the engine wrote are
read back into their keys and parameters (engine/notify/wording.py); anything else keeps its text under the key
``old_text`` with its two halves, so each reader still sees their own half.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""
import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# The Vietnamese halves the engine wrote before this revision (engine/timers/firing.py, engine/inbox/work.py,
# engine/analytics/actions.py), each with the key it becomes. Copied here: migrations do not import the engine.
_TASK = r'Việc \u201c(?P<task>.*)\u201d'
OLD_WORDINGS: list[tuple[str, re.Pattern[str]]] = [
    ('reminder_due', re.compile(_TASK + r' \(hồ sơ #(?P<case>\d+)\) đến hạn lúc (?P<due>.+?)\. / ', re.S)),
    ('overdue_unclaimed',
     re.compile(_TASK + r' \(hồ sơ #(?P<case>\d+), chưa nhận\) đã quá hạn (?P<due>.+?)\. / ', re.S)),
    ('overdue', re.compile(_TASK + r' \(hồ sơ #(?P<case>\d+), (?P<assignee>[^,()]+)\) đã quá hạn (?P<due>.+?)\. / ',
                           re.S)),
    ('reassigned_overdue', re.compile(_TASK + r' quá hạn đã được chuyển cho đồng chí\. / ', re.S)),
    ('delegated', re.compile(r'Đồng chí (?P<by>\S+) đã chuyển cho đồng chí việc \u201c(?P<task>.*)\u201d '
                             r'\(hồ sơ #(?P<case>\d+)\)\. / ', re.S)),
    ('reminded_by_no_due', re.compile(r'Đồng chí (?P<by>\S+) nhắc việc \u201c(?P<task>.*)\u201d '
                                      r'\(hồ sơ #(?P<case>\d+)\), hạn -\. / ', re.S)),
    ('reminded_by', re.compile(r'Đồng chí (?P<by>\S+) nhắc việc \u201c(?P<task>.*)\u201d '
                               r'\(hồ sơ #(?P<case>\d+)\), hạn (?P<due>.+?)\. / ', re.S)),
    ('reassigned_by', re.compile(r'Đồng chí (?P<by>\S+) đã giao cho đồng chí việc \u201c(?P<task>.*)\u201d '
                                 r'\(hồ sơ #(?P<case>\d+)\)\. / ', re.S)),
]


def keyed(text: str, instance_id: int | None) -> tuple[str, dict[str, Any]]:
    """The key and parameters of an old notification's text."""
    for key, pattern in OLD_WORDINGS:
        found = pattern.match(text)
        if found is not None:
            params: dict[str, Any] = dict(found.groupdict())
            params['case'] = int(params['case']) if params.get('case') else instance_id
            if params['case'] is not None:  # a wording without its case would say "case #None"
                return key, params
    vi, sep, en = text.partition(' / ')
    return 'old_text', {'vi': vi, 'en': en} if sep else {'vi': text, 'en': text}


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='vi', nullable=False))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_key', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
    notes = sa.table('notifications', sa.column('id', sa.Integer), sa.column('instance_id', sa.Integer),
                     sa.column('message', sa.Text), sa.column('message_key', sa.String),
                     sa.column('params', sa.JSON))
    conn = op.get_bind()
    rows = conn.execute(sa.select(notes.c.id, notes.c.instance_id, notes.c.message)).all()
    for row in rows:
        key, params = keyed(row.message or '', row.instance_id)
        conn.execute(notes.update().where(notes.c.id == row.id).values(message_key=key, params=params))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('message_key', existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('message')


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
    notes = sa.table('notifications', sa.column('id', sa.Integer), sa.column('message', sa.Text),
                     sa.column('message_key', sa.String), sa.column('params', sa.JSON))
    conn = op.get_bind()
    for row in conn.execute(sa.select(notes.c.id, notes.c.message_key, notes.c.params)).all():
        params = row.params or {}
        if row.message_key == 'old_text':
            text = f"{params.get('vi', '')} / {params.get('en', '')}"
        else:  # the words live in the engine's catalog now: keep what there is
            text = f"{row.message_key} {json.dumps(params, ensure_ascii=False)}"
        conn.execute(notes.update().where(notes.c.id == row.id).values(message=text))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')
        batch_op.drop_column('message_key')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
