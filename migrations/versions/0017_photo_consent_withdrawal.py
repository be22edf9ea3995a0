"""photo consent withdrawal: when it was withdrawn, and each school's grace period before the photos go

Existing schools get the default grace period of 30 days. A pupil who already has photos but no photo
consent (consent was unticked before this upgrade) counts as withdrawn at the upgrade: the photos stay
hidden and `lsweb purge` deletes them once the school's grace period has passed.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_grace_days', sa.Integer(), server_default='30', nullable=False))
    with op.batch_alter_table('case_pupil', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_consent_withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    from datetime import datetime, timezone

    pupil = sa.table('case_pupil', sa.column('id', sa.Integer()), sa.column('photo_consent', sa.Boolean()),
                     sa.column('photo_consent_withdrawn_at', sa.DateTime(timezone=True)))
    photo = sa.table('observation_photo', sa.column('pupil_id', sa.Integer()))
    op.execute(pupil.update().where(pupil.c.photo_consent.is_(False),
                                    pupil.c.id.in_(sa.select(photo.c.pupil_id)))
               .values(photo_consent_withdrawn_at=datetime.now(timezone.utc)))


def downgrade():
    with op.batch_alter_table('case_pupil', schema=None) as batch_op:
        batch_op.drop_column('photo_consent_withdrawn_at')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('photo_grace_days')
