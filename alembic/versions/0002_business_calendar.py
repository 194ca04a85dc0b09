"""business calendar: office-hours settings and calendar days, seeded with the shipped holidays 2026-2027

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

The seed rows are a copy of engine/data/holidays_vn.yaml as it was when this migration was written, not a read
of the file: a migration must mean the same thing whenever it runs, and the file changes every year. Holidays
of later years (and corrections, such as the government's 2027 decision) ship as new data migrations that
touch only rows whose source is still "shipped"; see docs/calendar.md.
"""
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.persistence.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# (date, kind, name_vi, name_en); "public" in the YAML file is "holiday" in the database.
SHIPPED_DAYS = [
    ('2026-01-01', 'holiday',
     'Tết Dương lịch',
     "New Year's Day"),
    ('2026-01-02', 'swapped',
     'Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/01/2026)',
     'New Year swapped day off (worked on Saturday 10 January 2026)'),
    ('2026-01-10', 'extra_workday',
     'Làm bù cho thứ Sáu 02/01/2026',
     'Makes up for Friday 2 January 2026'),
    ('2026-02-16', 'holiday',
     'Tết Nguyên đán (29 tháng Chạp, ngày cuối năm Ất Tỵ)',
     'Lunar New Year (last day of the old year)'),
    ('2026-02-17', 'holiday',
     'Tết Nguyên đán (mùng 1 tháng Giêng năm Bính Ngọ)',
     "Lunar New Year's Day"),
    ('2026-02-18', 'holiday',
     'Tết Nguyên đán (mùng 2 tháng Giêng)',
     'Lunar New Year (2nd day)'),
    ('2026-02-19', 'holiday',
     'Tết Nguyên đán (mùng 3 tháng Giêng)',
     'Lunar New Year (3rd day)'),
    ('2026-02-20', 'holiday',
     'Tết Nguyên đán (mùng 4 tháng Giêng)',
     'Lunar New Year (4th day)'),
    ('2026-04-26', 'holiday',
     'Giỗ Tổ Hùng Vương (mùng 10 tháng 3 âm lịch)',
     "Hung Kings' Commemoration Day"),
    ('2026-04-27', 'compensatory',
     'Nghỉ bù Giỗ Tổ Hùng Vương',
     "Hung Kings' Commemoration Day (compensatory day off)"),
    ('2026-04-30', 'holiday',
     'Ngày Giải phóng miền Nam, thống nhất đất nước',
     'Reunification Day'),
    ('2026-05-01', 'holiday',
     'Ngày Quốc tế Lao động',
     "International Workers' Day"),
    ('2026-08-22', 'extra_workday',
     'Làm bù cho thứ Hai 31/08/2026',
     'Makes up for Monday 31 August 2026'),
    ('2026-08-31', 'swapped',
     'Nghỉ hoán đổi dịp Quốc khánh (làm bù thứ Bảy 22/08/2026)',
     'National Day swapped day off (worked on Saturday 22 August 2026)'),
    ('2026-09-01', 'holiday',
     'Quốc khánh (ngày liền kề)',
     'National Day (adjacent day)'),
    ('2026-09-02', 'holiday',
     'Quốc khánh',
     'National Day'),
    ('2027-01-01', 'holiday',
     'Tết Dương lịch',
     "New Year's Day"),
    ('2027-02-05', 'holiday',
     'Tết Nguyên đán (ngày cuối năm Bính Ngọ)',
     'Lunar New Year (last day of the old year)'),
    ('2027-02-06', 'holiday',
     'Tết Nguyên đán (mùng 1 tháng Giêng năm Đinh Mùi)',
     "Lunar New Year's Day"),
    ('2027-02-07', 'holiday',
     'Tết Nguyên đán (mùng 2 tháng Giêng)',
     'Lunar New Year (2nd day)'),
    ('2027-02-08', 'holiday',
     'Tết Nguyên đán (mùng 3 tháng Giêng)',
     'Lunar New Year (3rd day)'),
    ('2027-02-09', 'holiday',
     'Tết Nguyên đán (mùng 4 tháng Giêng)',
     'Lunar New Year (4th day)'),
    ('2027-02-10', 'compensatory',
     'Nghỉ bù Tết Nguyên đán (cho mùng 1 tháng Giêng)',
     'Lunar New Year (compensatory day off for the 1st day)'),
    ('2027-02-11', 'compensatory',
     'Nghỉ bù Tết Nguyên đán (cho mùng 2 tháng Giêng)',
     'Lunar New Year (compensatory day off for the 2nd day)'),
    ('2027-04-16', 'holiday',
     'Giỗ Tổ Hùng Vương (mùng 10 tháng 3 âm lịch)',
     "Hung Kings' Commemoration Day"),
    ('2027-04-30', 'holiday',
     'Ngày Giải phóng miền Nam, thống nhất đất nước',
     'Reunification Day'),
    ('2027-05-01', 'holiday',
     'Ngày Quốc tế Lao động',
     "International Workers' Day"),
    ('2027-05-03', 'compensatory',
     'Nghỉ bù Ngày Quốc tế Lao động',
     "International Workers' Day (compensatory day off)"),
    ('2027-09-02', 'holiday',
     'Quốc khánh',
     'National Day'),
    ('2027-09-03', 'holiday',
     'Quốc khánh (ngày liền kề)',
     'National Day (adjacent day)'),
]


def upgrade() -> None:
    calendar_days = op.create_table('calendar_days',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('holiday', 'compensatory', 'swapped', 'extra_workday', name='daykind', native_enum=False, length=20), nullable=False),
    sa.Column('name_vi', sa.String(length=500), nullable=False),
    sa.Column('name_en', sa.String(length=500), nullable=True),
    sa.Column('source', sa.Enum('shipped', 'admin', name='daysource', native_enum=False, length=20), nullable=False),
    sa.Column('updated_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('date', name=op.f('pk_calendar_days'))
    )
    op.create_table('calendar_settings',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', engine.persistence.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_calendar_settings'))
    )
    seeded_at = dt.datetime.now(dt.UTC)
    op.bulk_insert(calendar_days, [
        {'date': dt.date.fromisoformat(day), 'kind': kind, 'name_vi': name_vi, 'name_en': name_en,
         'source': 'shipped', 'updated_at': seeded_at}
        for day, kind, name_vi, name_en in SHIPPED_DAYS
    ])


def downgrade() -> None:
    op.drop_table('calendar_settings')
    op.drop_table('calendar_days')
