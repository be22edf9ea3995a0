"""The word diff every history shows has a bounded cost: two unrelated 1,000-word texts are shown as
replaced after one count (no quadratic search), a few changed words in a long text are still shown word by
word, and what is shown always puts the old and the new text back together."""

import random

from diff_match_patch import diff_match_patch

from lsweb import worddiff
from lsweb.protocol.services import word_diff

VOCABULARY = ("the pupils teacher fractions strip folded half quarter model bar number line compare equal "
              "parts explain partner answer wrote drew counted stage lesson plan question reason because "
              "and a of to in with when then they we our each more less group table share notice").split()


def words(seed: int, count: int, vocabulary=VOCABULARY) -> str:
    chosen = random.Random(seed).choices(vocabulary, k=count)
    return " ".join(chosen)


def rebuilt(parts) -> tuple[str, str]:
    return ("".join(t for op, t in parts if op <= 0), "".join(t for op, t in parts if op >= 0))


class CountingDmp(diff_match_patch):
    """The real diff-match-patch, counting the units it hands to Myers' search (each bisection)."""
    steps = 0

    def diff_bisect(self, text1, text2, deadline):
        CountingDmp.steps += len(text1) + len(text2)
        return super().diff_bisect(text1, text2, deadline)


def test_two_unrelated_1000_word_texts_are_shown_as_replaced_within_the_budget(monkeypatch):
    monkeypatch.setattr(worddiff, "diff_match_patch", CountingDmp)
    old = words(1, 1000, [w + "x" for w in VOCABULARY] + VOCABULARY[:10])
    new = words(2, 1000)
    CountingDmp.steps = 0
    found = worddiff.diff(old, new)
    assert found.replaced and CountingDmp.steps == 0
    assert rebuilt(found.parts) == (old, new)
    shown = str(word_diff(old, new))
    assert shown.count("<del>") == 1 and shown.count("<ins>") == 1


def test_unrelated_texts_of_the_same_few_words_are_still_shown_correctly(monkeypatch):
    """The count cannot foresee texts that share their words in another order: those reach Myers' search,
    bounded by diff-match-patch's time budget, and what is shown still puts both texts back together."""
    monkeypatch.setattr(worddiff, "diff_match_patch", CountingDmp)
    for count in (200, 1000):
        CountingDmp.steps = 0
        old, new = words(3, count), words(4, count)
        found = worddiff.diff(old, new)
        assert rebuilt(found.parts) == (old, new)
        assert CountingDmp.steps > 0                 # searched, not replaced


def test_a_few_changed_words_in_a_long_protocol_are_shown_word_by_word():
    paragraphs = [words(seed, 60) + "." for seed in range(140)]          # about 8,400 words, 50 KB
    old = "\n\n".join(paragraphs)
    changed = list(paragraphs)
    for at in (0, 70, 139):
        changed[at] = changed[at].replace(" ", " carefully ", 1)
    new = "\n\n".join(changed)
    found = worddiff.diff(old, new)
    assert not found.replaced and rebuilt(found.parts) == (old, new)
    assert [t.strip() for op, t in found.parts if op == 1] == ["carefully"] * 3
    assert [t for op, t in found.parts if op == -1] == []


def test_the_protocol_diff_marks_inserted_and_removed_words():
    shown = str(word_diff("We agree to <observe> pupils", "We agree to watch pupils closely"))
    assert "<del>&lt;observe&gt;</del><ins>watch</ins>" in shown and "<ins> closely</ins>" in shown
