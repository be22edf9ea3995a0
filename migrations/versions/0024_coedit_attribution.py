"""co-editing: who wrote each part of every box's current text (runs of characters per person)

Nothing is created for existing documents: a box's runs are made the first time it changes, with the
text it had then attributed to nobody ("written before co-editing kept authors").

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coedit_attribution',
        sa.Column('doc', sa.String(length=40), nullable=False),
        sa.Column('box', sa.String(length=80), nullable=False),
        sa.Column('runs', sa.Text(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('doc', 'box', name=op.f('pk_coedit_attribution')),
    )


def downgrade():
    op.drop_table('coedit_attribution')
