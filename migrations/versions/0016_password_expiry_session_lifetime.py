"""temporary passwords expire; sessions know whether they were remembered (absolute session lifetime)

Temporary passwords issued before this upgrade get the default 72 hours from the upgrade. Sessions
opened before it count as not remembered.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('temporary_password_expires_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remember', sa.Boolean(), server_default='0', nullable=False))
    from datetime import datetime, timedelta, timezone

    user = sa.table('user_account', sa.column('must_change_password', sa.Boolean()),
                    sa.column('password_hash', sa.String()),
                    sa.column('temporary_password_expires_at', sa.DateTime(timezone=True)))
    op.execute(user.update().where(user.c.must_change_password.is_(True), user.c.password_hash.isnot(None))
               .values(temporary_password_expires_at=datetime.now(timezone.utc) + timedelta(hours=72)))


def downgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('remember')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('temporary_password_expires_at')
