"""Accounts for people and their browser sessions (the workbench's sign-in)

`users`: name, argon2 password hash, role and region scope (as a token has), disabled
time and the failed sign-ins that lock an account for a while. `web_sessions`: one row
per signed-in browser, the cookie's id stored as its sha256, with its CSRF token.

Revision ID: 0005_accounts
Revises: 0004_audit_region
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_accounts'
down_revision: str | None = '0004_audit_region'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=12), nullable=True),
        sa.Column('created_by', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('disabled_at', sa.DateTime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_failure_at', sa.DateTime(), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['scope'], ['regions.code'],
                                name=op.f('fk_users_scope_regions')),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_users')),
    )
    op.create_table(
        'web_sessions',
        sa.Column('id_sha256', sa.String(length=64), nullable=False),
        sa.Column('user_name', sa.String(length=64), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('end_reason', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_name'], ['users.name'],
                                name=op.f('fk_web_sessions_user_name_users')),
        sa.PrimaryKeyConstraint('id_sha256', name=op.f('pk_web_sessions')),
    )
    op.create_index(op.f('ix_web_sessions_user_name'), 'web_sessions', ['user_name'])


def downgrade() -> None:
    op.drop_index(op.f('ix_web_sessions_user_name'), table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_table('users')
