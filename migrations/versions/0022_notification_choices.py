"""notification e-mails: each person's choices, and what the periodic ones were sent for

Existing users have no rows: they get each kind's default (lsweb/mail/notify.py).

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_choice',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_notification_choice_user_id_user_account')),
        sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_choice')),
    )
    op.create_table(
        'notification_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_notification_sent_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_sent')),
        sa.UniqueConstraint('user_id', 'kind', 'key', name=op.f('uq_notification_sent_user_id')),
    )
    with op.batch_alter_table('notification_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_sent_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notification_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_sent_user_id'))
    op.drop_table('notification_sent')
    op.drop_table('notification_choice')
