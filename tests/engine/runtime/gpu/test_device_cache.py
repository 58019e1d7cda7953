"""The feature cache keeps GPU entries within a GPU budget (moving the least recently used ones to the host) and
host entries within a host budget; host-only use behaves as the plain LRU cache it always was."""

from __future__ import annotations

import numpy as np

from segearth_engine.runtime.feature_cache import FeatureCache
from segearth_engine.types import EncodedImage, Letterbox

from .cuda import needs_cuda

MB = 1 << 20
BOX = Letterbox(10, 10, 10, 10, 0, 0, 10)


class DeviceEntry:
    """A value that says it lives on the GPU until `to_host()`: the cache's documented protocol (EncodedImage
    implements it with torch CUDA tensors; the CUDA test below uses that)."""

    def __init__(self, mb: int, on_device: bool = True) -> None:
        self.nbytes, self.on_device, self.moves = mb * MB, on_device, 0

    def to_host(self) -> DeviceEntry:
        host = DeviceEntry(self.nbytes // MB, on_device=False)
        host.moves = self.moves + 1
        return host


def test_host_only_cache_is_a_plain_lru():
    cache = FeatureCache(max_mb=3, gpu_max_mb=0)
    for key in "abc":
        assert cache.put(key, np.zeros(MB // 8))  # 1 MB each (float64)
    cache.get("a")  # a is now the most recent: b goes first
    assert cache.put("d", np.zeros(MB // 8))
    assert sorted(cache._items) == ["a", "c", "d"] and cache.nbytes == 3 * MB
    assert not cache.put("huge", np.zeros(MB))  # 8 MB alone exceeds the budget
    assert cache.get("b") is None and cache.hits == 1 and cache.misses == 1


def test_gpu_entries_stay_on_the_gpu_until_the_budget_then_move_to_the_host():
    cache = FeatureCache(max_mb=4, gpu_max_mb=2)
    cache.put("a", DeviceEntry(1))
    cache.put("b", DeviceEntry(1))
    assert cache.on_gpu("a") and cache.on_gpu("b") and cache.gpu_nbytes == 2 * MB and cache.cpu_nbytes == 0
    cache.put("c", DeviceEntry(1))  # a (least recent) moves to the host
    assert not cache.on_gpu("a") and cache.get("a").moves == 1 and cache.get("a").on_device is False
    assert cache.gpu_nbytes == 2 * MB and cache.cpu_nbytes == MB and cache.demoted == 1
    for key in "de":
        cache.put(key, DeviceEntry(1))
    # b, c (least recent on the GPU) join a on the host (3 MB of 4); all five still cached
    assert len(cache) == 5 and cache.cpu_nbytes == 3 * MB and cache.gpu_nbytes == 2 * MB
    cache.put("f", DeviceEntry(1))  # d demoted: host would hold 4 MB of 4: still fine
    cache.put("g", DeviceEntry(1))  # e demoted: host over budget, its least recent entry goes
    # a was read above, so b is the least recently used host entry
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.cpu_nbytes == 4 * MB and cache.gpu_nbytes == 2 * MB and len(cache) == 6


def test_an_entry_larger_than_the_gpu_budget_goes_to_the_host_or_nowhere():
    cache = FeatureCache(max_mb=4, gpu_max_mb=1)
    assert cache.put("big", DeviceEntry(3))
    assert not cache.on_gpu("big") and cache.get("big").on_device is False and cache.cpu_nbytes == 3 * MB
    assert not cache.put("huge", DeviceEntry(5))
    assert cache.get("huge") is None


def test_encoded_image_on_the_host_is_its_own_host_copy():
    encoded = EncodedImage({"res5": np.ones((1, 4, 8, 8), np.float32)}, BOX, "onnx")
    assert not encoded.on_device and encoded.to_host() is encoded and encoded.nbytes == 4 * 4 * 8 * 8


@needs_cuda
def test_encoded_image_on_the_gpu_moves_to_the_host_in_the_cache():
    import torch

    value = torch.arange(MB // 4, dtype=torch.float32, device="cuda").reshape(1, 1, -1)  # 1 MB
    first = EncodedImage({"res5": value}, BOX, "onnx")
    assert first.on_device and first.nbytes == MB
    cache = FeatureCache(max_mb=8, gpu_max_mb=1)
    cache.put("first", first)
    cache.put("second", EncodedImage({"res5": value * 2}, BOX, "onnx"))
    host = cache.get("first")
    assert isinstance(host.tensors["res5"], np.ndarray) and np.array_equal(host.tensors["res5"], value.cpu().numpy())
    assert cache.on_gpu("second") and cache.get("second").tensors["res5"].is_cuda
