"""Practice rules of issue 15: full-time staff and accountability findings

`cadres.full_time`: the cadre is full-time inspection staff (专职巡察干部) rather than
seconded from a home unit (抽调); existing cadres become seconded (false).
`evaluations.accountability`: a recorded accountability finding of a post-round
evaluation (问责情况, e.g. 隐情不报、应发现未发现), empty when there is none.

Revision ID: 0006_practice_rules
Revises: 0005_accounts
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_practice_rules'
down_revision: str | None = '0005_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_time', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accountability', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_column('accountability')
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.drop_column('full_time')
