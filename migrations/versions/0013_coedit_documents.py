"""co-edited documents: update log, snapshots, client ids, editing spells; stage keys; every existing
plan and summary becomes a document holding exactly its current text

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PLAN_TEXTS = ("aspect", "intentions", "criteria", "resources", "interview")
SUMMARY_TEXTS = ("learning", "teaching", "changes")


def upgrade():
    op.create_table('coedit_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_coedit_update_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coedit_update')),
    sa.UniqueConstraint('doc', 'seq', name=op.f('uq_coedit_update_doc'))
    )
    op.create_index(op.f('ix_coedit_update_user_id'), 'coedit_update', ['user_id'], unique=False)
    op.create_table('coedit_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coedit_snapshot')),
    sa.UniqueConstraint('doc', 'seq', name=op.f('uq_coedit_snapshot_doc'))
    )
    op.create_index(op.f('ix_coedit_snapshot_doc'), 'coedit_snapshot', ['doc'], unique=False)
    op.create_table('coedit_client',
    sa.Column('doc', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_coedit_client_user_id_user_account')),
    sa.PrimaryKeyConstraint('doc', 'client_id', name=op.f('pk_coedit_client'))
    )
    op.create_table('coedit_spell',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc', sa.String(length=40), nullable=False),
    sa.Column('part', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_seq', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_coedit_spell_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coedit_spell'))
    )
    op.create_index(op.f('ix_coedit_spell_doc'), 'coedit_spell', ['doc'], unique=False)
    op.create_index(op.f('ix_coedit_spell_user_id'), 'coedit_spell', ['user_id'], unique=False)
    with op.batch_alter_table('plan_stage') as batch:
        batch.add_column(sa.Column('key', sa.String(length=40), nullable=True))
    op.execute("UPDATE plan_stage SET key = 's' || CAST(id AS VARCHAR(20))")
    _documents()


def _documents():
    """Build each plan's and summary's document from the stored text, as its first snapshot."""
    from datetime import datetime, timezone

    from pycrdt import Doc

    from lsweb.coedit import shape

    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    snapshot = sa.table('coedit_snapshot', sa.column('doc'), sa.column('seq'), sa.column('data', sa.LargeBinary),
                        sa.column('created_at', sa.DateTime(timezone=True)))
    lesson_t = sa.table('research_lesson', sa.column('id'), sa.column('cycle_id'), sa.column('date', sa.Date),
                        sa.column('start_time', sa.Time), sa.column('duration_minutes'), sa.column('class_name'),
                        sa.column('room'), sa.column('teacher_id'))
    pupils_of = {}
    for cycle_id, pupil_id in bind.execute(sa.text("SELECT cycle_id, id FROM case_pupil ORDER BY id")):
        pupils_of.setdefault(cycle_id, []).append(pupil_id)
    rows = []
    for lesson in bind.execute(sa.select(lesson_t)).mappings():
        pupils = pupils_of.get(lesson["cycle_id"], [])
        fields = dict(bind.execute(sa.text("SELECT key, text FROM plan_field WHERE lesson_id = :l"),
                                   {"l": lesson["id"]}).all())
        stages = []
        for stage_id, removed_at in bind.execute(sa.text(
                "SELECT id, removed_at FROM plan_stage WHERE lesson_id = :l "
                "ORDER BY CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END, position, id"), {"l": lesson["id"]}):
            stages.append({"key": f"s{stage_id}", "pos": float(len(stages) + 1), "removed": removed_at is not None,
                           "texts": {p: fields.get(f"stage-{stage_id}-{p}", "") for p in shape.STAGE_TEXTS},
                           "predictions": {str(p): fields.get(f"prediction-{stage_id}-{p}", "") for p in pupils}})
        observers = {str(p): o for p, o in bind.execute(sa.text(
            "SELECT pupil_id, observer_id FROM observer_assignment WHERE lesson_id = :l AND stage_id IS NULL"),
            {"l": lesson["id"]})}
        details = {"date": lesson["date"].isoformat() if lesson["date"] else "",
                   "start_time": lesson["start_time"].strftime("%H:%M") if lesson["start_time"] else "",
                   "duration_minutes": lesson["duration_minutes"] or 60, "class_name": lesson["class_name"] or "",
                   "room": lesson["room"] or "", "teacher_id": lesson["teacher_id"]}
        keys = list(PLAN_TEXTS) + [f"pupil-{p}-criterion" for p in pupils]
        doc = Doc()
        shape.build(doc, {k: fields.get(k, "") for k in keys}, stages, observers, details)
        rows.append({"doc": f"plan-{lesson['id']}", "seq": 0, "data": doc.get_update(), "created_at": now})
    for summary_id, cycle_id in bind.execute(sa.text("SELECT id, cycle_id FROM cycle_summary")):
        fields = dict(bind.execute(sa.text("SELECT key, text FROM summary_field WHERE summary_id = :s"),
                                   {"s": summary_id}).all())
        keys = list(SUMMARY_TEXTS) + [f"pupil-{p}-progress" for p in pupils_of.get(cycle_id, [])]
        doc = Doc()
        shape.build(doc, {k: fields.get(k, "") for k in keys})
        rows.append({"doc": f"summary-{cycle_id}", "seq": 0, "data": doc.get_update(), "created_at": now})
    if rows:
        op.bulk_insert(snapshot, rows)


def downgrade():
    with op.batch_alter_table('plan_stage') as batch:
        batch.drop_column('key')
    op.drop_index(op.f('ix_coedit_spell_user_id'), table_name='coedit_spell')
    op.drop_index(op.f('ix_coedit_spell_doc'), table_name='coedit_spell')
    op.drop_table('coedit_spell')
    op.drop_table('coedit_client')
    op.drop_index(op.f('ix_coedit_snapshot_doc'), table_name='coedit_snapshot')
    op.drop_table('coedit_snapshot')
    op.drop_index(op.f('ix_coedit_update_user_id'), table_name='coedit_update')
    op.drop_table('coedit_update')
