"""Property: 2-6 replicas of a document editing one box concurrently, their updates delivered late,
duplicated and out of order, all converge to the same text, holding every character any replica
inserted and nobody deleted."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from pycrdt import Doc, Map

from lsweb.coedit import shape

ops = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["insert", "delete"]), st.integers(0, 10_000),
                         st.integers(1, 3)), min_size=1, max_size=40)


@settings(max_examples=120, deadline=None)
@given(replicas=st.integers(2, 6), script=ops, delivery=st.randoms(use_true_random=False))
def test_replicas_converge_and_keep_every_surviving_character(replicas, script, delivery):
    origin = Doc()
    shape.build(origin, {"aspect": "base"})
    start = origin.get_update()
    docs = []
    for _ in range(replicas):
        doc = Doc()
        doc.apply_update(start)
        docs.append(doc)
    sent: list[bytes] = []
    inserted: dict[str, int] = {}  # unique marker characters, one per insert
    deleted: set[str] = set()
    marker = 0x4E00
    for who, kind, where, size in script:
        doc = docs[who % replicas]
        text = doc.get("texts", type=Map)["aspect"]
        before = doc.get_state()
        length = len(str(text))
        if kind == "insert":
            chars = "".join(chr(marker + i) for i in range(size))
            marker += size
            text.insert(_offset(str(text), where % (length + 1)), chars)
            for ch in chars:
                inserted[ch] = 1
        elif length:
            at = where % length
            current = str(text)
            end = min(length, at + size)
            deleted.update(current[at:end])
            del text[_offset(current, at):_offset(current, end)]
        sent.append(doc.get_update(before))
        # some updates reach some replicas now (late, duplicated, out of order for the rest)
        for other in docs:
            if other is not doc and delivery.random() < 0.3:
                other.apply_update(delivery.choice(sent))
    # finally every replica gets every update, in its own shuffled order, some twice
    for doc in docs:
        order = sent + delivery.sample(sent, k=len(sent) // 2)
        delivery.shuffle(order)
        for update in order:
            doc.apply_update(update)
        for update in sent:  # what was pending on missing dependencies is integrated now
            doc.apply_update(update)
    texts = [str(doc.get("texts", type=Map)["aspect"]) for doc in docs]
    assert len(set(texts)) == 1, texts
    final = texts[0]
    # exactly the characters inserted and never deleted by anyone are there, each once
    assert {ch for ch in final if ch in inserted} == set(inserted) - deleted
    assert all(final.count(ch) == 1 for ch in set(inserted) - deleted)


def _offset(text: str, index: int) -> int:
    """pycrdt's Text positions are UTF-8 byte offsets (Yrs' default), not characters."""
    return len(text[:index].encode())
