"""visit-level columns: department, surgery grade, costs and fund payment

Revision ID: 0010
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('visit') as batch:
        batch.add_column(sa.Column('department', sa.String(), nullable=True))
        batch.add_column(sa.Column('surgery_grade', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('total_cost', sa.Float(), nullable=True))
        batch.add_column(sa.Column('policy_cost', sa.Float(), nullable=True))
        batch.add_column(sa.Column('fund_paid', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('visit') as batch:
        for name in ('fund_paid', 'policy_cost', 'total_cost', 'surgery_grade', 'department'):
            batch.drop_column(name)
