"""yearly cycle: task list, filing and reward rates

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reward_rate',
    sa.Column('year', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('per_unit', sa.Float(), nullable=True),
    sa.Column('per_task', sa.Float(), nullable=True),
    sa.Column('basis', sa.String(), nullable=False),
    sa.Column('set_by', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('year', 'kind')
    )
    op.create_table('task',
    sa.Column('task_id', sa.String(), nullable=False),
    sa.Column('year', sa.BigInteger(), nullable=False),
    sa.Column('pack', sa.String(), nullable=False),
    sa.Column('plan_run', sa.String(), nullable=True),
    sa.Column('township', sa.String(), nullable=False),
    sa.Column('institution_code', sa.String(), nullable=True),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('item', sa.String(), nullable=True),
    sa.Column('description', sa.String(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(), nullable=True),
    sa.Column('budget', sa.Float(), nullable=True),
    sa.Column('responsible', sa.String(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('rules', sa.String(), nullable=False),
    sa.Column('clauses', sa.String(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('spent', sa.Float(), nullable=True),
    sa.Column('evidence', sa.String(), nullable=True),
    sa.Column('verification', sa.String(), nullable=False),
    sa.Column('verified_run', sa.String(), nullable=True),
    sa.Column('verified_as_of', sa.Date(), nullable=True),
    sa.Column('verification_note', sa.String(), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.String(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_index('ix_task_township', 'task', ['township', 'year'], unique=False)
    op.create_table('task_filing',
    sa.Column('township', sa.String(), nullable=False),
    sa.Column('year', sa.BigInteger(), nullable=False),
    sa.Column('pack', sa.String(), nullable=False),
    sa.Column('tasks', sa.BigInteger(), nullable=False),
    sa.Column('budget', sa.Float(), nullable=True),
    sa.Column('filed_by', sa.String(), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('amendments', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('township', 'year', 'pack')
    )


def downgrade() -> None:
    op.drop_table('task_filing')
    op.drop_index('ix_task_township', table_name='task')
    op.drop_table('task')
    op.drop_table('reward_rate')
