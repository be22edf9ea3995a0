"""The word-by-word difference every history shows (protocol versions, plan history, "What changed from
RL1"), at a bounded cost.

Words and the spaces between them are the units: each distinct unit becomes one character, and
diff-match-patch (Myers' O(ND) algorithm) diffs those strings, with a time budget. Before that, a cheap
count bounds the work: the units that only one side has (counted with their repeats) must be deleted or
inserted, so the edit distance D is at least that many; when D times the length of the changed part exceeds
the budget, or most of the text changed anyway, the changed part is shown as replaced (old struck through,
new inserted) without diffing. Two unrelated 1,000-word texts cost one count, not a quadratic search. A long
text (a 50 KB protocol) is diffed by lines first, then word by word inside each changed run of lines, each
run with the same budget.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from markupsafe import Markup, escape

_TOKENS = re.compile(r"\s+|[^\s]+")
BUDGET = 2_000_000          # (changed units) x (least edit distance): Myers' algorithm takes about twice
                            # that many steps (about 0.2 s of Python), at most
LONG = 4_000                # units: a longer changed part is diffed by lines first
TIME_BUDGET = 0.25          # seconds: diff-match-patch's own limit, for what the count cannot foresee
MOSTLY_CHANGED = 0.75       # at least this share of the changed units differ: show it as replaced


@dataclass
class Diff:
    parts: list[tuple[int, str]]    # (-1 removed | 0 kept | 1 inserted, text)
    replaced: bool                  # the changed part was too large or too different to diff word by word


def _encode(a: list[str], b: list[str]) -> tuple[str, str, list[str]]:
    codes: dict[str, str] = {}
    units: list[str] = []

    def code(token: str) -> str:
        if token not in codes:
            codes[token] = chr(len(units) + 0x100)     # past ASCII and Latin-1 (nothing special to DMP)
            units.append(token)
        return codes[token]
    return "".join(map(code, a)), "".join(map(code, b)), units


def _trim(a: list[str], b: list[str]) -> tuple[int, int]:
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return start, end


def _dmp(a: list[str], b: list[str], semantic: bool) -> list[tuple[int, str]]:
    text_a, text_b, units = _encode(a, b)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = TIME_BUDGET
    found = dmp.diff_main(text_a, text_b, False)
    if semantic:
        dmp.diff_cleanupSemantic(found)
    return [(op, "".join(units[ord(c) - 0x100] for c in chunk)) for op, chunk in found]


def _words(a: list[str], b: list[str]) -> tuple[list[tuple[int, str]], bool]:
    """Word by word, or replaced when the count says it would cost too much or show mostly changes."""
    size = len(a) + len(b)
    only_one_side = sum(((Counter(a) - Counter(b)) + (Counter(b) - Counter(a))).values())
    if not a or not b or only_one_side * size > BUDGET or only_one_side >= MOSTLY_CHANGED * size:
        return [(op, "".join(t)) for op, t in ((-1, a), (1, b)) if t], bool(a and b)
    return _dmp(a, b, semantic=True), False


def diff(old: str, new: str) -> Diff:
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    start, end = _trim(a, b)
    head, tail = "".join(a[:start]), "".join(a[len(a) - end:])
    a_mid, b_mid = a[start:len(a) - end], b[start:len(b) - end]
    parts: list[tuple[int, str]] = [(0, head)] if head else []
    replaced = False
    if len(a_mid) + len(b_mid) <= LONG:
        found, replaced = _words(a_mid, b_mid)
        parts += found
    else:
        # A long text: lines (paragraphs) first, then words inside each changed run of lines.
        lines_a = "".join(a_mid).splitlines(keepends=True)
        lines_b = "".join(b_mid).splitlines(keepends=True)
        pending: dict[int, str] = {-1: "", 1: ""}
        for op, text in _dmp(lines_a, lines_b, semantic=False) + [(0, "")]:
            if op:
                pending[op] += text
                continue
            if pending[-1] or pending[1]:
                found, was_replaced = _words(_TOKENS.findall(pending[-1]), _TOKENS.findall(pending[1]))
                parts += found
                replaced = replaced or was_replaced
                pending = {-1: "", 1: ""}
            if text:
                parts.append((0, text))
    if tail:
        parts.append((0, tail))
    return Diff(parts, replaced)


def word_diff(old: str, new: str) -> Markup:
    """The new text with inserted words in <ins> and removed words in <del>, escaped."""
    out = []
    for op, text in diff(old, new).parts:
        if op == 0:
            out.append(escape(text))
        else:
            tag = "del" if op < 0 else "ins"
            out.append(Markup(f"<{tag}>") + escape(text) + Markup(f"</{tag}>"))
    return Markup("").join(out)
