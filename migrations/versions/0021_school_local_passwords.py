"""a school may switch lsweb's own passwords off (its staff then sign in through its directory only)

Every existing school keeps lsweb passwords on.

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_passwords', sa.Boolean(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('local_passwords')
