"""Audit events know the region they belong to, so a region-scoped reader sees its own

`audit_events.region` is the region of the event's object (a round's committee region,
a cadre's region) or of the scoped token that caused it; it is part of the event's hash
when set. Events written before this revision have none and are shown to unscoped
readers only.

Revision ID: 0004_audit_region
Revises: 0003_draw_ceremony
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_audit_region'
down_revision: str | None = '0003_draw_ceremony'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('region', sa.String(length=12), nullable=True))
        batch.create_index('ix_audit_events_region', ['region'])


def downgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_index('ix_audit_events_region')
        batch.drop_column('region')
