"""FeatureCache claims with real threads: a key being encoded by one caller is waited for by another (cancel still
honoured), never encoded twice; a claim always ends (put, too large a value, release)."""

from __future__ import annotations

import threading
import time

import numpy as np

from segearth_engine.runtime.feature_cache import FeatureCache
from tests.engine.threads import in_thread

KEY = ("raster", (0, 0, 64, 64), (64, 64), "stretch", "model")


class Value:
    def __init__(self, nbytes: int = 1024) -> None:
        self.nbytes = nbytes
        self.data = np.zeros(4)


def test_first_caller_claims_the_second_is_told_it_is_in_flight():
    cache = FeatureCache(max_mb=1)
    assert cache.get_or_claim(KEY) == (None, True)
    assert cache.in_flight(KEY)
    assert cache.get_or_claim(KEY) == (None, False)  # not claimed twice
    value = Value()
    assert cache.put(KEY, value)
    assert not cache.in_flight(KEY)
    assert cache.get_or_claim(KEY) == (value, False)
    assert (cache.hits, cache.misses) == (1, 1)


def test_a_waiter_blocks_until_the_owner_puts_then_finds_the_value():
    cache = FeatureCache(max_mb=1)
    assert cache.get_or_claim(KEY) == (None, True)  # this thread is the one encoding
    waiter, box = in_thread(lambda: (cache.wait(KEY), cache.get_or_claim(KEY)))
    time.sleep(0.3)
    assert waiter.is_alive()  # still waiting: the key is in flight
    value = Value()
    cache.put(KEY, value)
    waiter.join(5)
    assert not waiter.is_alive()
    assert box["value"] == (True, (value, False))


def test_a_waiter_honours_its_own_cancel_while_the_owner_keeps_encoding():
    cache = FeatureCache(max_mb=1)
    cache.get_or_claim(KEY)
    cancel = threading.Event()
    started = time.monotonic()
    waiter, box = in_thread(lambda: cache.wait(KEY, cancel.is_set, poll=0.02))
    time.sleep(0.2)
    assert waiter.is_alive()
    cancel.set()
    waiter.join(2)
    assert box["value"] is False and time.monotonic() - started < 1.5
    assert cache.in_flight(KEY)  # the owner's claim is untouched by the waiter's cancel
    cache.put(KEY, Value())
    assert cache.wait(KEY, cancel.is_set) is True  # nothing in flight: returns at once


def test_a_released_claim_wakes_the_waiter_which_then_claims_it_itself():
    cache = FeatureCache(max_mb=1)
    cache.get_or_claim(KEY)
    waiter, box = in_thread(lambda: (cache.wait(KEY), cache.get_or_claim(KEY)))
    time.sleep(0.2)
    cache.release(KEY)  # the owner's encoding failed or was cancelled
    waiter.join(5)
    assert box["value"] == (True, (None, True))
    assert cache.in_flight(KEY)


def test_a_value_too_large_to_keep_still_ends_the_claim():
    cache = FeatureCache(max_mb=0.001)
    cache.get_or_claim(KEY)
    assert not cache.put(KEY, Value(nbytes=10 * 2**20))
    assert not cache.in_flight(KEY) and len(cache) == 0


def test_many_threads_one_key_one_encoding():
    """Eight threads ask for the same key at once: exactly one claims and 'encodes', the seven others wait for it
    and find its value."""
    cache = FeatureCache(max_mb=1)
    start = threading.Barrier(8)
    encoded: list[int] = []
    lock = threading.Lock()

    def ask(index: int):
        start.wait()
        while True:
            value, claimed = cache.get_or_claim(KEY)
            if value is not None:
                return value
            if claimed:
                time.sleep(0.2)  # the encoder's time
                with lock:
                    encoded.append(index)
                made = Value()
                cache.put(KEY, made)
                return made
            assert cache.wait(KEY)

    threads = [in_thread(lambda i=i: ask(i)) for i in range(8)]
    for thread, _ in threads:
        thread.join(10)
    values = {id(box["value"]) for _, box in threads}
    assert len(encoded) == 1 and len(values) == 1
    assert cache.hits == 7


def test_refresh_counts_what_entries_grew_by_and_keeps_to_the_budget():
    """An encoding that had LLM state kept with it after `put` (EncodedImage.llm_prefix) is counted at `refresh`,
    and the least recently used entries leave so the total stays in the budget."""
    mb = 1024 * 1024
    cache = FeatureCache(max_mb=10)
    first, second = Value(4 * mb), Value(4 * mb)
    cache.put("first", first)
    cache.put("second", second)
    assert len(cache) == 2 and cache.nbytes == 8 * mb
    second.nbytes = 7 * mb  # the question kept 3 MB of state with the second entry
    cache.refresh()
    assert cache.get("first") is None and cache.get("second") is second and cache.nbytes == 7 * mb
