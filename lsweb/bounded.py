"""A cache bounded by the memory its values take, least recently used out first, safe across threads.

Every cache of rendered HTML in lsweb is one of these, with a budget in bytes (a count of entries says
nothing about memory: one board of 100 posts weighs as much as 300 small plans). The size of a value is
what `size_of` says (for text, its length in characters: CPython keeps ASCII text at one byte a
character, other text at two or four), plus a fixed cost per entry for the key and the bookkeeping.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
ENTRY_OVERHEAD = 200  # the key tuple, the OrderedDict node, the value's header


class BoundedCache(Generic[V]):
    def __init__(self, max_bytes: int, size_of: Callable[[V], int] = len):
        self.max_bytes = max_bytes
        self.size_of = size_of
        self.items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            self.items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V) -> None:
        size = self.size_of(value) + ENTRY_OVERHEAD
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if size > self.max_bytes:
                return  # larger than the whole budget: not kept
            self.items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self.items.popitem(last=False)
                self.bytes -= dropped

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        found = self.get(key)
        if found is None:
            found = make()  # outside the lock: two threads may both make it, with the same result
            self.put(key, found)
        return found

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self.items)
