"""protected-time entries name the group they were for (each group's hours are its own)

Existing entries of a lesson take that lesson's group; a member's own entries without a lesson stay
without a group (they count in the member's own total, not in any group's hours).

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_time_entry_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_time_entry_group_id_study_group'), 'study_group',
                                    ['group_id'], ['id'])
    op.execute(
        "UPDATE time_entry SET group_id = (SELECT cycle.group_id FROM research_lesson"
        " JOIN cycle ON cycle.id = research_lesson.cycle_id WHERE research_lesson.id = time_entry.lesson_id)"
        " WHERE lesson_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_time_entry_group_id_study_group'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_time_entry_group_id'))
        batch_op.drop_column('group_id')
