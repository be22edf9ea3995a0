"""board guests: the sections the facilitator shares with them, and removals that registering again keeps

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:05:00

Existing boards share nothing beyond the Guests section (the README promised guests that section only).
An existing removal counts as the facilitator's unless it is exactly a cancelled open-house registration of
that person for that lesson (cancelling stamps the guest's removal with the cancellation's time).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('discussion_board', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guest_sections', sa.String(length=2000), server_default='', nullable=False))
    with op.batch_alter_table('board_guest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_by_facilitator', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.execute(sa.text(
        "UPDATE board_guest SET removed_by_facilitator = :yes WHERE removed_at IS NOT NULL AND NOT EXISTS ("
        " SELECT 1 FROM open_house_registration r JOIN open_house h ON h.id = r.open_house_id"
        " WHERE h.lesson_id = board_guest.lesson_id AND r.user_id = board_guest.user_id"
        " AND r.cancelled_at = board_guest.removed_at)").bindparams(yes=True))


def downgrade():
    with op.batch_alter_table('board_guest', schema=None) as batch_op:
        batch_op.drop_column('removed_by_facilitator')
    with op.batch_alter_table('discussion_board', schema=None) as batch_op:
        batch_op.drop_column('guest_sections')
