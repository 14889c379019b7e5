"""reported indicators: indicator_value (versioned like census tables), reporter agencies, indicator approval;
institution facts the packs need (catchment population, disease capability, TCM workstation contents)

Revision ID: 0006
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'indicator_value',
        sa.Column('row_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('indicator', sa.String(), nullable=True),
        sa.Column('division_code', sa.String(), nullable=True),
        sa.Column('period', sa.String(), nullable=True),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('agency', sa.String(), nullable=True),
        sa.Column('note', sa.String(), nullable=True),
        sa.Column('synthetic', sa.Boolean(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('row_id'),
    )
    op.create_index('ix_indicator_value_key', 'indicator_value', ['indicator', 'division_code', 'period', 'valid_to'])
    for name, kind in (('catchment_population', sa.BigInteger()), ('diseases_capable', sa.BigInteger()),
                       ('tcm_expert_station', sa.Boolean()), ('tcm_senior_sessions_weekly', sa.Float()),
                       ('tcm_techniques_promoted', sa.BigInteger())):
        with op.batch_alter_table('institution') as batch:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        'reporter_agency',
        sa.Column('username', sa.String(), nullable=False),
        sa.Column('agency', sa.String(), nullable=False),
        sa.PrimaryKeyConstraint('username'),
    )
    op.create_table(
        'indicator_approval',
        sa.Column('agency', sa.String(), nullable=False),
        sa.Column('division_code', sa.String(), nullable=False),
        sa.Column('period', sa.String(), nullable=False),
        sa.Column('status', sa.String(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('updated_by', sa.String(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('agency', 'division_code', 'period'),
    )


def downgrade() -> None:
    op.drop_table('indicator_approval')
    op.drop_table('reporter_agency')
    op.drop_index('ix_indicator_value_key', table_name='indicator_value')
    op.drop_table('indicator_value')
    with op.batch_alter_table('institution') as batch:
        for name in ('catchment_population', 'diseases_capable', 'tcm_expert_station', 'tcm_senior_sessions_weekly',
                     'tcm_techniques_promoted'):
            batch.drop_column(name)
