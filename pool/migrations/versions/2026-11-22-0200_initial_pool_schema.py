"""Initial pool schema, seeded with the built-in skill code list

Revision ID: 0001_initial_pool
Revises:
Create Date: 2026-11-22 02:02:11.048708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial_pool"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('regions',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('level', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_parent_code'), ['parent_code'], unique=False)

    op.create_table('skills',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_skills'))
    )
    op.create_table('systems',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_systems'))
    )
    op.create_table('persons',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('native_region', sa.String(length=12), nullable=True),
    sa.Column('grew_up_region', sa.String(length=12), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.ForeignKeyConstraint(['grew_up_region'], ['regions.code'], name=op.f('fk_persons_grew_up_region_regions')),
    sa.ForeignKeyConstraint(['native_region'], ['regions.code'], name=op.f('fk_persons_native_region_regions')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_persons')),
    sa.UniqueConstraint('id_number', name=op.f('uq_persons_id_number'))
    )
    op.create_table('rounds',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_rounds_region_code_regions')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rounds'))
    )
    op.create_table('units',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('system_code', sa.String(length=64), nullable=False),
    sa.Column('parent_key', sa.String(length=64), nullable=True),
    sa.Column('supervisor_key', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['parent_key'], ['units.key'], name=op.f('fk_units_parent_key_units')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_units_region_code_regions')),
    sa.ForeignKeyConstraint(['supervisor_key'], ['units.key'], name=op.f('fk_units_supervisor_key_units')),
    sa.ForeignKeyConstraint(['system_code'], ['systems.code'], name=op.f('fk_units_system_code_systems')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_units'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_parent_key'), ['parent_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_units_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_units_supervisor_key'), ['supervisor_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_units_system_code'), ['system_code'], unique=False)

    op.create_table('cadres',
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('home_unit_key', sa.String(length=64), nullable=False),
    sa.Column('rank', sa.String(length=64), nullable=True),
    sa.Column('political_status', sa.String(length=64), nullable=True),
    sa.Column('leader_pool', sa.Boolean(), nullable=False),
    sa.Column('deputy_pool', sa.Boolean(), nullable=False),
    sa.Column('expert_pool', sa.Boolean(), nullable=False),
    sa.Column('reserve', sa.Boolean(), nullable=False),
    sa.Column('newly_promoted', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('status_from', sa.Date(), nullable=True),
    sa.Column('status_to', sa.Date(), nullable=True),
    sa.Column('max_rounds_per_year', sa.Integer(), nullable=True),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['home_unit_key'], ['units.key'], name=op.f('fk_cadres_home_unit_key_units')),
    sa.ForeignKeyConstraint(['person_key'], ['persons.key'], name=op.f('fk_cadres_person_key_persons')),
    sa.PrimaryKeyConstraint('person_key', name=op.f('pk_cadres'))
    )
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cadres_home_unit_key'), ['home_unit_key'], unique=False)

    op.create_table('employments',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('unit_key', sa.String(length=64), nullable=False),
    sa.Column('post', sa.String(length=128), nullable=True),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('source_type', sa.String(length=64), nullable=True),
    sa.Column('source_ref', sa.String(length=256), nullable=True),
    sa.ForeignKeyConstraint(['person_key'], ['persons.key'], name=op.f('fk_employments_person_key_persons')),
    sa.ForeignKeyConstraint(['unit_key'], ['units.key'], name=op.f('fk_employments_unit_key_units')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_employments'))
    )
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employments_person_key'), ['person_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_employments_unit_key'), ['unit_key'], unique=False)

    op.create_table('ties',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject_key', sa.String(length=64), nullable=False),
    sa.Column('object_person_key', sa.String(length=64), nullable=True),
    sa.Column('object_unit_key', sa.String(length=64), nullable=True),
    sa.Column('adoptive', sa.Boolean(), nullable=False),
    sa.Column('step', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('source_type', sa.String(length=64), nullable=True),
    sa.Column('source_ref', sa.String(length=256), nullable=True),
    sa.Column('recorded_by', sa.String(length=128), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['object_person_key'], ['persons.key'], name=op.f('fk_ties_object_person_key_persons')),
    sa.ForeignKeyConstraint(['object_unit_key'], ['units.key'], name=op.f('fk_ties_object_unit_key_units')),
    sa.ForeignKeyConstraint(['subject_key'], ['persons.key'], name=op.f('fk_ties_subject_key_persons')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ties'))
    )
    with op.batch_alter_table('ties', schema=None) as batch_op:
        batch_op.create_index('ix_ties_object_person_kind', ['object_person_key', 'kind'], unique=False)
        batch_op.create_index('ix_ties_object_unit_key', ['object_unit_key'], unique=False)
        batch_op.create_index('ix_ties_subject_kind', ['subject_key', 'kind'], unique=False)

    op.create_table('cadre_skills',
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('skill_code', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_key'], ['cadres.person_key'], name=op.f('fk_cadre_skills_person_key_cadres'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_code'], ['skills.code'], name=op.f('fk_cadre_skills_skill_code_skills')),
    sa.PrimaryKeyConstraint('person_key', 'skill_code', name=op.f('pk_cadre_skills'))
    )
    op.create_table('cadre_unavailability',
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['person_key'], ['cadres.person_key'], name=op.f('fk_cadre_unavailability_person_key_cadres')),
    sa.PrimaryKeyConstraint('person_key', 'start', name=op.f('pk_cadre_unavailability'))
    )
    op.create_table('participations',
    sa.Column('round_key', sa.String(length=64), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=False),
    sa.Column('team_no', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('target_unit_key', sa.String(length=64), nullable=False),
    sa.Column('second_target_unit_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['person_key'], ['cadres.person_key'], name=op.f('fk_participations_person_key_cadres')),
    sa.ForeignKeyConstraint(['round_key'], ['rounds.key'], name=op.f('fk_participations_round_key_rounds')),
    sa.ForeignKeyConstraint(['second_target_unit_key'], ['units.key'], name=op.f('fk_participations_second_target_unit_key_units')),
    sa.ForeignKeyConstraint(['target_unit_key'], ['units.key'], name=op.f('fk_participations_target_unit_key_units')),
    sa.PrimaryKeyConstraint('round_key', 'person_key', name=op.f('pk_participations'))
    )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participations_target_unit_key'), ['target_unit_key'], unique=False)

    op.create_table('evaluations',
    sa.Column('round_key', sa.String(), nullable=False),
    sa.Column('person_key', sa.String(), nullable=False),
    sa.Column('grade', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('evaluator', sa.String(length=128), nullable=True),
    sa.Column('evaluated_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['round_key', 'person_key'], ['participations.round_key', 'participations.person_key'], name='fk_evaluations_participation'),
    sa.PrimaryKeyConstraint('round_key', 'person_key', name=op.f('pk_evaluations'))
    )
    skills = sa.table(
        "skills", sa.column("code", sa.String), sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
    )
    op.bulk_insert(skills, [
        {"code": "finance", "name_zh": "财务", "name_en": "finance"},
        {"code": "audit", "name_zh": "审计", "name_en": "audit"},
        {"code": "discipline", "name_zh": "纪检监察", "name_en": "discipline inspection"},
        {"code": "personnel", "name_zh": "组织人事", "name_en": "organization and personnel"},
        {"code": "law_enforcement", "name_zh": "行政执法",
         "name_en": "administrative law enforcement"},
        {"code": "petition", "name_zh": "信访", "name_en": "petitions"},
        {"code": "party_building", "name_zh": "党建", "name_en": "party building"},
        {"code": "legal", "name_zh": "法律", "name_en": "law"},
        {"code": "engineering", "name_zh": "工程", "name_en": "engineering"},
        {"code": "it", "name_zh": "信息技术", "name_en": "information technology"},
    ])


def downgrade() -> None:
    op.drop_table('evaluations')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participations_target_unit_key'))

    op.drop_table('participations')
    op.drop_table('cadre_unavailability')
    op.drop_table('cadre_skills')
    with op.batch_alter_table('ties', schema=None) as batch_op:
        batch_op.drop_index('ix_ties_subject_kind')
        batch_op.drop_index('ix_ties_object_unit_key')
        batch_op.drop_index('ix_ties_object_person_kind')

    op.drop_table('ties')
    with op.batch_alter_table('employments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employments_unit_key'))
        batch_op.drop_index(batch_op.f('ix_employments_person_key'))

    op.drop_table('employments')
    with op.batch_alter_table('cadres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cadres_home_unit_key'))

    op.drop_table('cadres')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_system_code'))
        batch_op.drop_index(batch_op.f('ix_units_supervisor_key'))
        batch_op.drop_index(batch_op.f('ix_units_region_code'))
        batch_op.drop_index(batch_op.f('ix_units_parent_key'))

    op.drop_table('units')
    op.drop_table('rounds')
    op.drop_table('persons')
    op.drop_table('systems')
    op.drop_table('skills')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_parent_code'))

    op.drop_table('regions')
