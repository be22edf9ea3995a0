"""time zones per school, calendar feed tokens, the installation's id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 21:00:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no table rebuild, which SQLite would refuse for tables others point at).
    op.add_column('school', sa.Column('timezone', sa.String(length=64), nullable=True))
    op.add_column('user_account', sa.Column('calendar_token', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_user_account_calendar_token'), 'user_account', ['calendar_token'], unique=True)
    installation = op.create_table(
        'installation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_installation')),
        sa.UniqueConstraint('uid', name=op.f('uq_installation_uid')),
    )
    # Made once, here: a backup restored elsewhere carries it, so calendars keep recognising events.
    op.bulk_insert(installation, [{'id': 1, 'uid': str(uuid.uuid4())}])


def downgrade():
    op.drop_table('installation')
    op.drop_index(op.f('ix_user_account_calendar_token'), table_name='user_account')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('calendar_token')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('timezone')
