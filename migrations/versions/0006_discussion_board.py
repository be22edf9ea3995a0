"""discussion board: posts, revisions, reactions, per-lesson chair/recorder and guests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:21:33.288203

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('board_guest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_board_guest_invited_by_id_user_account')),
    sa.ForeignKeyConstraint(['lesson_id'], ['research_lesson.id'], name=op.f('fk_board_guest_lesson_id_research_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_board_guest_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_guest')),
    sa.UniqueConstraint('lesson_id', 'user_id', name=op.f('uq_board_guest_lesson_id'))
    )
    with op.batch_alter_table('board_guest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_guest_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_guest_user_id'), ['user_id'], unique=False)

    op.create_table('board_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=40), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('client_token', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('mark', sa.String(length=20), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('agree_count', sa.Integer(), nullable=False),
    sa.Column('created_seq', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_board_post_author_id_user_account')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['user_account.id'], name=op.f('fk_board_post_hidden_by_id_user_account')),
    sa.ForeignKeyConstraint(['lesson_id'], ['research_lesson.id'], name=op.f('fk_board_post_lesson_id_research_lesson')),
    sa.ForeignKeyConstraint(['parent_id'], ['board_post.id'], name=op.f('fk_board_post_parent_id_board_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_post')),
    sa.UniqueConstraint('lesson_id', 'author_id', 'client_token', name=op.f('uq_board_post_lesson_id'))
    )
    with op.batch_alter_table('board_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_post_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_board_post_lesson_seq', ['lesson_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_post_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_board_post_section', ['lesson_id', 'section', 'parent_id', 'id'], unique=False)

    op.create_table('discussion_board',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('chair_id', sa.Integer(), nullable=True),
    sa.Column('recorder_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['chair_id'], ['user_account.id'], name=op.f('fk_discussion_board_chair_id_user_account')),
    sa.ForeignKeyConstraint(['lesson_id'], ['research_lesson.id'], name=op.f('fk_discussion_board_lesson_id_research_lesson')),
    sa.ForeignKeyConstraint(['recorder_id'], ['user_account.id'], name=op.f('fk_discussion_board_recorder_id_user_account')),
    sa.PrimaryKeyConstraint('lesson_id', name=op.f('pk_discussion_board'))
    )
    op.create_table('board_post_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['board_post.id'], name=op.f('fk_board_post_revision_post_id_board_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_post_revision')),
    sa.UniqueConstraint('post_id', 'version', name=op.f('uq_board_post_revision_post_id'))
    )
    with op.batch_alter_table('board_post_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_post_revision_post_id'), ['post_id'], unique=False)

    op.create_table('board_reaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['board_post.id'], name=op.f('fk_board_reaction_post_id_board_post')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_board_reaction_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_reaction')),
    sa.UniqueConstraint('post_id', 'user_id', name=op.f('uq_board_reaction_post_id'))
    )
    with op.batch_alter_table('board_reaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_reaction_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_reaction_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('board_reaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_reaction_user_id'))
        batch_op.drop_index(batch_op.f('ix_board_reaction_post_id'))

    op.drop_table('board_reaction')
    with op.batch_alter_table('board_post_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_post_revision_post_id'))

    op.drop_table('board_post_revision')
    op.drop_table('discussion_board')
    with op.batch_alter_table('board_post', schema=None) as batch_op:
        batch_op.drop_index('ix_board_post_section')
        batch_op.drop_index(batch_op.f('ix_board_post_parent_id'))
        batch_op.drop_index('ix_board_post_lesson_seq')
        batch_op.drop_index(batch_op.f('ix_board_post_author_id'))

    op.drop_table('board_post')
    with op.batch_alter_table('board_guest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_guest_user_id'))
        batch_op.drop_index(batch_op.f('ix_board_guest_lesson_id'))

    op.drop_table('board_guest')
