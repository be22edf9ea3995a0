"""Every cache of rendered HTML is bounded by the memory its values take, not by a count of entries."""

from __future__ import annotations

from lsweb.bounded import ENTRY_OVERHEAD, BoundedCache


def test_the_cache_holds_no_more_bytes_than_its_budget_and_drops_the_least_recently_used():
    cache = BoundedCache(3 * (1000 + ENTRY_OVERHEAD))
    for key in "abc":
        cache.put(key, key * 1000)
    assert cache.get("a") == "a" * 1000  # a is now the most recently used
    cache.put("d", "d" * 1000)
    assert cache.get("b") is None and [cache.get(k) is not None for k in "acd"] == [True, True, True]
    assert cache.bytes <= cache.max_bytes


def test_one_big_value_pushes_out_many_small_ones_and_one_too_big_is_not_kept():
    cache = BoundedCache(10_000)
    for n in range(20):
        cache.put(n, "x" * 100)
    assert len(cache) == 20
    cache.put("board", "p" * 8_000)
    assert cache.get("board") is not None and len(cache) < 10 and cache.bytes <= 10_000
    cache.put("huge", "h" * 20_000)
    assert cache.get("huge") is None and cache.bytes <= 10_000


def test_replacing_a_value_counts_only_the_new_one():
    cache = BoundedCache(5_000)
    cache.put("k", "a" * 2_000)
    cache.put("k", "b" * 1_000)
    assert cache.bytes == 1_000 + ENTRY_OVERHEAD and cache.get("k") == "b" * 1_000


def test_get_or_make_makes_once_and_keeps_it():
    made = []
    cache = BoundedCache(10_000)
    for _ in range(3):
        cache.get_or_make("plan-1", lambda: made.append(1) or "<section>…</section>")
    assert made == [1]
