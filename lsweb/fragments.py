"""Fragments of a page kept once rendered, keyed on the data they show, with slots for what differs
from one viewer to the next.

A fragment (say, the posts of a board) is rendered once per version of its data (the board's change
number) and per kind of viewer (member, facilitator, guest); nothing secret is part of a key. What
differs between two viewers of the same kind (whether they agreed with a post, the actions on their
own posts, the form token of their session, a fresh token per reply box) is written into the fragment
as a slot: `slot(name, arg)` in the template puts a marker there, and each request fills the markers
with its own values (`Fragment.fill`). Filling is a join over a list of strings, no template work.

The cache belongs to the application (one database), is bounded in bytes (lsweb.bounded), and is safe
across threads.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable

from flask import current_app
from markupsafe import Markup

from .bounded import BoundedCache

# A marker no user text can contain: random for each process, never shown to anyone.
_MARK = f"\x00{secrets.token_hex(12)}\x00"


def slot(name: str, arg: object = "") -> Markup:
    """A marker the fragment's viewer fills in (see Fragment.fill)."""
    return Markup(f"{_MARK}{name}:{arg}{_MARK}")


class Fragment:
    """Rendered HTML split at its slots: parts[0], slot, parts[1], slot, ..."""

    __slots__ = ("parts", "slots", "facts")

    def __init__(self, html: str, facts=None):
        self.facts = facts  # what the fillers need to know about the fragment (kept with it)
        pieces = html.split(_MARK)
        if len(pieces) % 2 == 0:
            raise ValueError("a slot marker without its end")
        self.parts = pieces[0::2]
        self.slots = [tuple(piece.split(":", 1)) for piece in pieces[1::2]]

    def fill(self, fillers: dict[str, Callable[[str], str]]) -> Markup:
        out = [self.parts[0]]
        for (name, arg), part in zip(self.slots, self.parts[1:]):
            out.append(fillers[name](arg))
            out.append(part)
        return Markup("".join(out))


def fragment_size(fragment: Fragment) -> int:
    return sum(len(part) for part in fragment.parts) + 64 * len(fragment.slots)


class FragmentCache(BoundedCache[Fragment]):
    def __init__(self, max_bytes: int):
        super().__init__(max_bytes, fragment_size)

    def get_or_render(self, key: Hashable, render: Callable[[], str | Fragment]) -> Fragment:
        def make() -> Fragment:
            fragment = render()
            return fragment if isinstance(fragment, Fragment) else Fragment(fragment)

        return self.get_or_make(key, make)


def cache(name: str, max_bytes: int = 16 * 1024 * 1024) -> FragmentCache:
    """The application's cache called `name` (made on first use), holding at most `max_bytes`."""
    caches = current_app.extensions.setdefault("lsweb.fragments", {})
    found = caches.get(name)
    if found is None:
        found = caches.setdefault(name, FragmentCache(max_bytes))
    return found
