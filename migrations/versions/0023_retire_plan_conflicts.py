"""retire the old co-editing: conflicts, presence in the database, per-box versions

Plans and cycle summaries are co-edited as CRDT documents (lsweb/coedit/): a save can no longer clash, so
the tables of texts kept aside as conflicts go, and so do the per-box version numbers; who is on a page
and their carets live in memory (lsweb/coedit/awareness.py), so the presence tables go too.

Nothing anyone typed is lost: a conflict's text never reached the plan (or the summary), so before its
table goes every such text becomes a revision of kind "kept" of its box, with its author and time; its
`before` is the text the author's page showed (the box at the conflict's base version). The plan's
history (and the summary's) lists it. This is done for every unresolved conflict, and for a resolved one
whose text is in no revision of its box (its author chose to keep the saved text: lsweb had promised
their own text stayed on record). A resolved conflict whose text did reach the box needs nothing.

Downgrade: the tables come back; the "kept" revisions become unresolved conflicts again (revisions are
append-only: they stay), presence is empty, and each box's version is the highest version of its
revisions (0 for none), so the old code's next save numbers on from there.

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# (conflict table, field table, revision table, the column naming the page)
_KINDS = (('plan_conflict', 'plan_field', 'plan_revision', 'lesson_id'),
          ('summary_conflict', 'summary_field', 'summary_revision', 'summary_id'))


def _keep_conflicts(bind, conflicts: str, fields: str, revisions: str, page: str) -> None:
    rows = bind.execute(sa.text(
        f"SELECT c.id, c.{page}, c.field_id, c.user_id, c.text, c.base_version, c.created_at, c.resolved_at, "
        f"f.text, f.version FROM {conflicts} c JOIN {fields} f ON f.id = c.field_id "
        "ORDER BY c.field_id, c.created_at, c.id")).all()
    next_version: dict[int, int] = {}
    kept: dict[int, set] = {}
    for _id, page_id, field_id, user_id, text, base_version, created_at, resolved_at, field_text, version in rows:
        found = bind.execute(sa.text(f'SELECT version, "after", kind FROM {revisions} WHERE field_id = :f'),
                             {"f": field_id}).all()
        texts = {number: after for number, after, _kind in found}
        if (text, user_id) in kept.get(field_id, set()) or any(after == text and kind == 'kept'
                                                                for _n, after, kind in found):
            continue  # kept already (an upgrade after a downgrade)
        if resolved_at is not None and (text == field_text or text in texts.values()):
            continue  # its author put it into the box: it is in the history already
        kept.setdefault(field_id, set()).add((text, user_id))
        if field_id not in next_version:
            next_version[field_id] = max([version or 0, *texts]) + 1
        before = "" if base_version == 0 else texts.get(base_version, field_text)
        bind.execute(sa.text(
            f'INSERT INTO {revisions} ({page}, field_id, version, kind, user_id, at, "before", "after") '
            "VALUES (:page, :field, :version, 'kept', :user, :at, :before, :after)"),
            {"page": page_id, "field": field_id, "version": next_version[field_id], "user": user_id,
             "at": created_at, "before": before, "after": text})
        next_version[field_id] += 1


def upgrade():
    bind = op.get_bind()
    for conflicts, fields, revisions, page in _KINDS:
        _keep_conflicts(bind, conflicts, fields, revisions, page)
    for table in ('plan_conflict', 'summary_conflict'):
        op.drop_table(table)  # with its indexes
    op.drop_table('plan_presence')
    op.drop_table('summary_presence')
    # SQLite drops the column in place (ALTER TABLE ... DROP COLUMN, SQLite 3.35 or later): copying the
    # table instead, as batch mode would, means dropping plan_field while its revisions refer to it,
    # which the database's foreign keys (on in lsweb) refuse.
    for table in ('plan_field', 'summary_field'):
        with op.batch_alter_table(table, schema=None, recreate='never') as batch_op:
            batch_op.drop_column('version')


def downgrade():
    for table in ('plan_field', 'summary_field'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE plan_field SET version = COALESCE((SELECT MAX(r.version) FROM plan_revision r "
               "WHERE r.field_id = plan_field.id), 0)")
    op.execute("UPDATE summary_field SET version = COALESCE((SELECT MAX(r.version) FROM summary_revision r "
               "WHERE r.field_id = summary_field.id), 0)")
    op.create_table('summary_presence',
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('field_key', sa.String(length=60), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['summary_id'], ['cycle_summary.id'], name=op.f('fk_summary_presence_summary_id_cycle_summary')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_summary_presence_user_id_user_account')),
    sa.PrimaryKeyConstraint('summary_id', 'user_id', name=op.f('pk_summary_presence'))
    )
    op.create_table('plan_presence',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('field_key', sa.String(length=60), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['research_lesson.id'], name=op.f('fk_plan_presence_lesson_id_research_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_plan_presence_user_id_user_account')),
    sa.PrimaryKeyConstraint('lesson_id', 'user_id', name=op.f('pk_plan_presence'))
    )
    op.create_table('summary_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['field_id'], ['summary_field.id'], name=op.f('fk_summary_conflict_field_id_summary_field')),
    sa.ForeignKeyConstraint(['summary_id'], ['cycle_summary.id'], name=op.f('fk_summary_conflict_summary_id_cycle_summary')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_summary_conflict_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_conflict'))
    )
    with op.batch_alter_table('summary_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_conflict_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_summary_conflict_summary_id'), ['summary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_summary_conflict_user_id'), ['user_id'], unique=False)
    op.create_table('plan_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['field_id'], ['plan_field.id'], name=op.f('fk_plan_conflict_field_id_plan_field')),
    sa.ForeignKeyConstraint(['lesson_id'], ['research_lesson.id'], name=op.f('fk_plan_conflict_lesson_id_research_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_plan_conflict_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_conflict'))
    )
    with op.batch_alter_table('plan_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_conflict_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_conflict_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_conflict_user_id'), ['user_id'], unique=False)
    # A kept text is a conflict of its author's again (the old pages show it beside its box).
    op.execute("INSERT INTO plan_conflict (lesson_id, field_id, user_id, reason, text, base_version, created_at) "
               "SELECT lesson_id, field_id, user_id, 'conflict', \"after\", 0, at FROM plan_revision "
               "WHERE kind = 'kept' AND user_id IS NOT NULL")
    op.execute("INSERT INTO summary_conflict (summary_id, field_id, user_id, text, base_version, created_at) "
               "SELECT summary_id, field_id, user_id, \"after\", 0, at FROM summary_revision "
               "WHERE kind = 'kept' AND user_id IS NOT NULL")
