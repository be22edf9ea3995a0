"""Property: several editors save the same fields from random stale versions, in random order; every word
any of them saved ends up in the final text or in a conflict kept for its author. Never a silent loss.

Each editor adds words of its own (unique tokens) at random places of the version it last saw, and
sometimes catches up with the field first. Deleting is a deliberate act, so editors here only add: then
"every word saved is kept" is exactly the no-loss rule.
"""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsweb.extensions import db
from lsweb.models import PlanConflict, PlanField
from lsweb.planning import fields

from ..plans import planning_team

KEYS = ["aspect", "intentions"]
step = st.tuples(st.integers(0, 2),            # which editor
                 st.sampled_from(KEYS),         # which field
                 st.integers(0, 100),           # where in the text they add (percent)
                 st.integers(1, 3),             # how many words
                 st.booleans())                 # whether they first catch up with the field


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_no_saved_word_is_ever_lost(app, factories, steps):
    team = planning_team(factories)
    editors = [team.lead, team.ana, team.ben]
    seen = {(e, k): ("", 0) for e in range(3) for k in KEYS}  # what each editor's page holds
    counter = itertools.count()
    saved_words: list[tuple[str, str, int]] = []  # (word, key, editor)
    for editor, key, where, count, catch_up in steps:
        if catch_up:
            field = fields.fields_of(team.lesson).get(key)
            seen[(editor, key)] = (field.text, field.version) if field else ("", 0)
        text, version = seen[(editor, key)]
        words = [f"w{next(counter)}e{editor}" for _ in range(count)]
        position = where * len(text) // 100
        while position < len(text) and text[position - 1:position].strip():
            position += 1  # add between words, not inside one
        new_text = (text[:position] + " " + " ".join(words) + " " + text[position:]).strip()
        result = fields.save_field(editors[editor], team.lesson, key, new_text, version)
        saved_words += [(w, key, editor) for w in words]
        if result.status in ("saved", "merged"):
            seen[(editor, key)] = (result.text, result.version)
    final = {f.key: f.text for f in db.session.scalars(db.select(PlanField).where(
        PlanField.lesson_id == team.lesson.id))}
    conflicts = list(db.session.scalars(db.select(PlanConflict).where(PlanConflict.lesson_id == team.lesson.id)))
    for word, key, editor in saved_words:
        kept_in_field = word in final.get(key, "").split()
        kept_in_conflict = any(c.field.key == key and c.user_id == editors[editor].id and word in c.text.split()
                               for c in conflicts)
        assert kept_in_field or kept_in_conflict, f"{word} (editor {editor}, {key}) was lost"
