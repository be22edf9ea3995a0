"""Three-way merge of plain text, for saves made from an older version of a field.

diff-match-patch applies patches best-effort, even where the text around them no longer matches, so a
merge is accepted only when every patch applied AND every piece of text that either side inserted is
in the result. Anything else is a conflict: the caller keeps both texts; nothing is silently dropped.
"""

from __future__ import annotations

import re
from collections import Counter

from diff_match_patch import diff_match_patch

_INSERT, _DELETE = diff_match_patch.DIFF_INSERT, diff_match_patch.DIFF_DELETE
_WORDS = re.compile(r"\w+", re.UNICODE)


def _engine() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.5  # seconds: fields are at most a few thousand characters
    dmp.Match_Threshold = 0.3  # stricter than the default: a patch lands only where its context is
    dmp.Patch_DeleteThreshold = 0.3
    return dmp


def inserted_pieces(dmp: diff_match_patch, old: str, new: str) -> list[str]:
    """The runs of text that `new` adds to `old` (word-level after semantic clean-up)."""
    diffs = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(diffs)
    return [text for op, text in diffs if op == _INSERT and text.strip()]


def _new_words(old: str, new: str) -> Counter:
    return Counter(_WORDS.findall(new)) - Counter(_WORDS.findall(old))


def keeps_both(dmp: diff_match_patch, base: str, theirs: str, mine: str, merged: str) -> bool:
    """Every run of text and every word that either side added to `base` is in `merged`."""
    words = Counter(_WORDS.findall(merged))
    for side in (mine, theirs):
        if _new_words(base, side) - words:
            return False
        if any(piece not in merged for piece in inserted_pieces(dmp, base, side)):
            return False
    return True


def _insertions(dmp: diff_match_patch, base: str, side: str) -> dict[int, str] | None:
    """{offset in base: text inserted there}, or None when `side` also deleted something."""
    found, offset = {}, 0
    for op, text in dmp.diff_main(base, side):
        if op == _DELETE:
            return None
        if op == _INSERT:
            found[offset] = found.get(offset, "") + text
        else:
            offset += len(text)
    return found


def _merge_insertions(dmp: diff_match_patch, base: str, theirs: str, mine: str) -> str | None:
    """Both sides only added text (the usual case in a meeting: two people adding a sentence at the end
    at once): all of it goes in, theirs before mine where both added at the same place."""
    ours, others = _insertions(dmp, base, mine), _insertions(dmp, base, theirs)
    if ours is None or others is None:
        return None
    out = []
    for offset in range(len(base) + 1):
        first, second = others.get(offset, ""), ours.get(offset, "")
        out.append(first + (second if second != first else ""))
        if offset < len(base):
            out.append(base[offset])
    return "".join(out)


def merge3(base: str, theirs: str, mine: str) -> str | None:
    """`mine` and `theirs` were both made from `base`. Returns the text with both sides' changes, or
    None when they cannot both be kept (a conflict)."""
    if mine == theirs or mine == base:
        return theirs
    if theirs == base:
        return mine
    dmp = _engine()
    merged, applied = dmp.patch_apply(dmp.patch_make(base, mine), theirs)
    if all(applied) and keeps_both(dmp, base, theirs, mine, merged):
        return merged
    merged = _merge_insertions(dmp, base, theirs, mine)
    if merged is not None and keeps_both(dmp, base, theirs, mine, merged):
        return merged
    return None
