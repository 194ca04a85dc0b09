"""tamper-evident history: a hash chain per case over history, the access log, and anchors over the chain heads

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28

Existing history rows get their chains here, case by case in id order, so that `procflow audit verify` passes
on an upgraded database; the chains start from the rows as they are at the upgrade.
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.persistence.base import UTCDateTime
from engine.persistence.chain import GENESIS, HISTORY_FIELDS, row_hash

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

BATCH = 5000
_big = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
# The history columns with the types the engine reads them through, so the hashes match what it writes.
_history = sa.Table(
    'history', sa.MetaData(),
    sa.Column('id', _big), sa.Column('instance_id', sa.Integer()), sa.Column('at', UTCDateTime()),
    sa.Column('kind', sa.String()), sa.Column('element_id', sa.String()), sa.Column('element_type', sa.String()),
    sa.Column('task_id', sa.String()), sa.Column('actor', sa.String()), sa.Column('data', sa.JSON()),
    sa.Column('process_id', sa.String()), sa.Column('unit_code', sa.String()),
    sa.Column('task_created_at', UTCDateTime()), sa.Column('due_at', UTCDateTime()),
    sa.Column('late_seconds', sa.Integer()), sa.Column('seq', sa.Integer()), sa.Column('hash', sa.String()),
)
_instances = sa.Table('instances', sa.MetaData(), sa.Column('id', sa.Integer()),
                      sa.Column('history_head', sa.String()), sa.Column('history_count', sa.Integer()))


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy, which would drop the tables' triggers on SQLite).
    op.add_column('instances', sa.Column('history_head', sa.String(length=64), server_default=GENESIS,
                                         nullable=False))
    op.add_column('instances', sa.Column('history_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('history', sa.Column('seq', sa.Integer(), nullable=True))
    op.add_column('history', sa.Column('hash', sa.String(length=64), nullable=True))
    _create_tables()
    _chain_existing_history(op.get_bind())


def _create_tables() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', _big, nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('attachment_id', sa.BigInteger(), nullable=True),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_access_log_instance_id_instances')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
        sa.UniqueConstraint('instance_id', 'seq', name=op.f('uq_access_log_instance_id_seq')),
    )
    op.create_index('ix_access_log_username_at', 'access_log', ['username', 'at'], unique=False)
    op.create_table(
        'audit_anchors',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('previous_hash', sa.String(length=64), nullable=False),
        sa.Column('heads_digest', sa.String(length=64), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('access_watermark', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchors')),
    )
    op.create_table(
        'audit_anchor_heads',
        sa.Column('anchor_id', sa.Integer(), nullable=False),
        sa.Column('chain', sa.String(length=10), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['anchor_id'], ['audit_anchors.id'],
                                name=op.f('fk_audit_anchor_heads_anchor_id_audit_anchors')),
        sa.PrimaryKeyConstraint('anchor_id', 'chain', 'instance_id', name=op.f('pk_audit_anchor_heads')),
    )
    op.create_index('ix_audit_anchor_heads_instance_id', 'audit_anchor_heads', ['instance_id'], unique=False)
    op.create_table(
        'audit_anchored',
        sa.Column('chain', sa.String(length=10), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('chain', 'instance_id', name=op.f('pk_audit_anchored')),
    )


def _chain_existing_history(conn: sa.Connection) -> None:
    """Hash every history row, case by case in id order, reading in keyset batches; then set each case's head."""
    columns = [_history.c[name] for name in ('id', *HISTORY_FIELDS) if name != 'seq']
    set_hash = (_history.update().where(_history.c.id == sa.bindparam('b_id'))
                .values(seq=sa.bindparam('b_seq'), hash=sa.bindparam('b_hash')))
    set_head = (_instances.update().where(_instances.c.id == sa.bindparam('b_id'))
                .values(history_head=sa.bindparam('b_head'), history_count=sa.bindparam('b_count')))
    after: tuple[int, int] = (-1, -1)
    case, head, count = None, GENESIS, 0
    heads: dict[int, tuple[str, int]] = {}
    while True:
        rows = conn.execute(sa.select(*columns).where(sa.tuple_(_history.c.instance_id, _history.c.id) > after)
                            .order_by(_history.c.instance_id, _history.c.id).limit(BATCH)).all()
        if not rows:
            break
        hashes: list[dict[str, Any]] = []
        for row in rows:
            values = row._mapping
            if values['instance_id'] != case:
                case, head, count = values['instance_id'], GENESIS, 0
            count += 1
            head = row_hash({**values, 'seq': count}, HISTORY_FIELDS, head)
            heads[case] = (head, count)
            hashes.append({'b_id': values['id'], 'b_seq': count, 'b_hash': head})
        conn.execute(set_hash, hashes)
        after = (rows[-1].instance_id, rows[-1].id)
        if len(heads) > BATCH:
            _write_heads(conn, set_head, heads, keep=case)
    _write_heads(conn, set_head, heads, keep=None)


def _write_heads(conn: sa.Connection, statement: Any, heads: dict[int, tuple[str, int]], keep: int | None) -> None:
    """Write the heads of the cases done so far (``keep``, the case still being read, stays for later)."""
    done = [{'b_id': i, 'b_head': h, 'b_count': n} for i, (h, n) in heads.items() if i != keep]
    if done:
        conn.execute(statement, done)
    for key in [i for i in heads if i != keep]:
        del heads[key]


def downgrade() -> None:
    op.drop_table('audit_anchored')
    op.drop_index('ix_audit_anchor_heads_instance_id', table_name='audit_anchor_heads')
    op.drop_table('audit_anchor_heads')
    op.drop_table('audit_anchors')
    op.drop_index('ix_access_log_username_at', table_name='access_log')
    op.drop_table('access_log')
    # Plain ALTER TABLE (SQLite 3.35+ too): a batch copy of these tables would drop their triggers (0009).
    for table, column in (('history', 'hash'), ('history', 'seq'), ('instances', 'history_count'),
                          ('instances', 'history_head')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
