"""observation notes can be corrected and deleted (their history kept); board guests named as knowledgeable
others; hidden posts shown again by the facilitator with a reason

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 06:20:00

Existing notes stay as they are (none deleted, no earlier versions); existing guests are not knowledgeable
others until the facilitator names them; no existing post was shown again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('observation_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('note', 'incident', 'pattern', name='notekind', native_enum=False, length=20), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=True),
    sa.Column('stage_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Enum('as_predicted', 'better', 'less_well', 'not_seen', name='rating', native_enum=False, length=20), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['observation_id'], ['observation.id'], name=op.f('fk_observation_version_observation_id_observation')),
    sa.ForeignKeyConstraint(['pupil_id'], ['case_pupil.id'], name=op.f('fk_observation_version_pupil_id_case_pupil')),
    sa.ForeignKeyConstraint(['stage_id'], ['plan_stage.id'], name=op.f('fk_observation_version_stage_id_plan_stage')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation_version'))
    )
    with op.batch_alter_table('observation_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observation_version_observation_id'), ['observation_id'], unique=False)
    with op.batch_alter_table('board_guest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('knowledgeable_other', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('board_post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unhidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unhidden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unhidden_reason', sa.String(length=300), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_board_post_unhidden_by_id_user_account'), 'user_account',
                                    ['unhidden_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('board_post', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_board_post_unhidden_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('unhidden_reason')
        batch_op.drop_column('unhidden_by_id')
        batch_op.drop_column('unhidden_at')
    with op.batch_alter_table('board_guest', schema=None) as batch_op:
        batch_op.drop_column('knowledgeable_other')
    with op.batch_alter_table('observation_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observation_version_observation_id'))
    op.drop_table('observation_version')
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
