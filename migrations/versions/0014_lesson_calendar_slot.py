"""a lesson's last calendar slot, so a cleared date reaches subscribed calendars as a cancellation

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('research_lesson', sa.Column('calendar_date', sa.Date(), nullable=True))
    op.add_column('research_lesson', sa.Column('calendar_start', sa.Time(), nullable=True))
    # Existing lessons: their slot today is their last one.
    op.execute("UPDATE research_lesson SET calendar_date = date, calendar_start = start_time "
               "WHERE date IS NOT NULL AND start_time IS NOT NULL")


def downgrade():
    with op.batch_alter_table('research_lesson', schema=None) as batch_op:
        batch_op.drop_column('calendar_start')
        batch_op.drop_column('calendar_date')
