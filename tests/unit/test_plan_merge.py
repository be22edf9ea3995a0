"""Three-way merges of plain text: clean merges keep both sides' words; anything else is a conflict."""

from hypothesis import given, settings
from hypothesis import strategies as st

from lsweb.planning.merge import merge3

BASE = "The pupils use bar models to compare fractions."


def test_changes_in_different_places_merge_cleanly():
    theirs = "The pupils use bar models to compare unit fractions."
    mine = "Most pupils use bar models to compare fractions quickly."
    assert merge3(BASE, theirs, mine) == "Most pupils use bar models to compare unit fractions quickly."


def test_the_same_word_changed_two_ways_is_a_conflict():
    assert merge3(BASE, BASE.replace("bar models", "number lines"),
                  BASE.replace("bar models", "fraction walls")) is None


def test_one_side_unchanged_takes_the_other():
    changed = BASE + " Then they explain."
    assert merge3(BASE, BASE, changed) == changed
    assert merge3(BASE, changed, BASE) == changed
    assert merge3(BASE, changed, changed) == changed


def test_a_deletion_beside_the_other_sides_addition_keeps_the_addition():
    theirs = "The pupils use bar models to compare fractions and decimals."
    mine = "The pupils use bar models."
    assert merge3(BASE, theirs, mine) == "The pupils use bar models and decimals."


def test_two_people_adding_a_sentence_at_the_end_at_once_keeps_both():
    theirs, mine = BASE + " They explain to a partner.", BASE + " They draw a diagram."
    assert merge3(BASE, theirs, mine) == BASE + " They explain to a partner. They draw a diagram."


def test_both_insert_at_the_same_place_keeps_both():
    merged = merge3("A B C", "A B theirs C", "A B mine C")
    assert merged is not None and "theirs" in merged and "mine" in merged


words = st.lists(st.sampled_from(["pupil", "fraction", "bar", "model", "explains", "half", "quarter"]),
                 min_size=0, max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(base=words, theirs_extra=words, mine_extra=words, cut_t=st.integers(0, 100), cut_m=st.integers(0, 100))
def test_a_clean_merge_keeps_every_inserted_word(base, theirs_extra, mine_extra, cut_t, cut_m):
    """Two people each insert words between words of the same text (at word boundaries, anywhere,
    the same place included): the merge is always clean and keeps both."""
    def insert(text, extra, cut, tag):
        boundaries = [0] + [i for i, c in enumerate(text) if c == " "] + [len(text)]
        position = boundaries[cut * (len(boundaries) - 1) // 100]
        return text[:position] + f" {tag}{extra.replace(' ', tag)} " + text[position:]

    theirs, mine = insert(base, theirs_extra, cut_t, "T"), insert(base, mine_extra, cut_m, "M")
    merged = merge3(base, theirs, mine)
    assert merged is not None, "two insertions and no deletion always merge"
    assert f"T{theirs_extra.replace(' ', 'T')}" in merged and f"M{mine_extra.replace(' ', 'M')}" in merged
