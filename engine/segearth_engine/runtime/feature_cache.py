"""LRU cache of encoder outputs, bounded in megabytes, so a second question on the same view skips the encoder.

Keys are built by the pipeline from everything that changes the encoder's input: the source identity (path, mtime,
size), the source window and output size, the radiometry (bands, alpha, stretch) and the model (id + backend).
Entries encoded on the GPU stay there while they fit `gpu_max_mb` (the warm question then reads them in place); the
least recently used ones beyond it are moved to host memory, which has its own bound, `max_mb`. Values need
`nbytes`; GPU values also `on_device` and `to_host()` (types.EncodedImage has them).
Thread-safe: the plugin's tasks run on worker threads.

Encodings in flight: a caller about to encode a key claims it (`get_or_claim`); another caller asking for that key
meanwhile is told so and `wait`s for the claim to end (its own cancel still honoured), then finds the features
here instead of encoding the same tile a second time in parallel (a view warmed while the user types, and the
question asked before the warm-up ended). The claim lives here because the cache is what every caller that shares
encodings shares (the plugin's questions and warm-ups, its Processing algorithms), and its key is the one exact
notion of "the same tile". A claim ends with `put` (or `release` when the encoding failed or was cancelled).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

# GPU budget when none is given: this share of the device's total memory, at most DEFAULT_GPU_MAX_MB.
DEFAULT_GPU_SHARE = 0.1
DEFAULT_GPU_MAX_MB = 2048
#: how often a caller waiting for another's encoding looks at its own cancel flag (s)
WAIT_POLL_S = 0.05


def default_gpu_budget_mb() -> float:
    """The GPU budget for an unconfigured cache: 10 % of device 0, at most 2 GB; 0 without CUDA."""
    try:
        import torch

        if not torch.cuda.is_available():
            return 0.0
        total = torch.cuda.get_device_properties(0).total_memory
    except Exception:  # noqa: BLE001 - no torch, or a broken driver: nothing is kept on the GPU
        return 0.0
    return min(DEFAULT_GPU_MAX_MB, DEFAULT_GPU_SHARE * total / 2**20)


def _on_device(value) -> bool:
    return bool(getattr(value, "on_device", False))


class FeatureCache:
    """`max_mb` bounds host entries; `gpu_max_mb` bounds GPU entries (None: `default_gpu_budget_mb()`, asked the
    first time a GPU entry arrives)."""

    def __init__(self, max_mb: float = 512, gpu_max_mb: float | None = None) -> None:
        self.max_bytes = int(max_mb * 1024 * 1024)
        self._gpu_max_mb = gpu_max_mb
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._gpu: set[Hashable] = set()
        self._claims: dict[Hashable, threading.Event] = {}  # keys being encoded -> set when the claim ends
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.demoted = 0

    @property
    def gpu_max_bytes(self) -> int:
        if self._gpu_max_mb is None:
            self._gpu_max_mb = default_gpu_budget_mb()
        return int(self._gpu_max_mb * 1024 * 1024)

    @property
    def nbytes(self) -> int:
        return sum(self._sizes.values())

    @property
    def gpu_nbytes(self) -> int:
        return sum(self._sizes[k] for k in self._gpu)

    @property
    def cpu_nbytes(self) -> int:
        return self.nbytes - self.gpu_nbytes

    def capacity_bytes(self, gpu: bool = False) -> int:
        """How much it can keep at once: the host budget, plus the GPU budget for entries made on the GPU."""
        return self.max_bytes + (self.gpu_max_bytes if gpu else 0)

    def on_gpu(self, key: Hashable) -> bool:
        return key in self._gpu

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
            return None

    def get_or_claim(self, key: Hashable) -> tuple[object | None, bool]:
        """(value, False) when cached (a hit); (None, True) when not cached and nobody encodes it: the caller now holds
        the claim and must `put` or `release` the key; (None, False) when another caller holds the claim: `wait` for
        it to end, then ask again."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key], False
            if key in self._claims:
                return None, False
            self.misses += 1
            self._claims[key] = threading.Event()
            return None, True

    def in_flight(self, key: Hashable) -> bool:
        """True while a caller holds the claim on `key` (it is being encoded)."""
        with self._lock:
            return key in self._claims

    def wait(self, key: Hashable, is_cancelled: Callable[[], bool] | None = None, poll: float = WAIT_POLL_S) -> bool:
        """Block until nobody holds the claim on `key`: True; False as soon as `is_cancelled()` (asked every `poll` s).
        Never call it while holding claims of your own: two callers could then wait for each other."""
        with self._lock:
            event = self._claims.get(key)
        if event is None:
            return True
        if is_cancelled is None:
            event.wait()
            return True
        while not event.wait(poll):
            if is_cancelled():
                return False
        return True

    def release(self, key: Hashable) -> None:
        """End a claim without a value (the encoding failed or was cancelled): a waiter then encodes it itself."""
        with self._lock:
            self._end_claim(key)

    def _end_claim(self, key: Hashable) -> None:
        event = self._claims.pop(key, None)
        if event is not None:
            event.set()

    def put(self, key: Hashable, value, nbytes: int | None = None) -> bool:
        """Store `value` (demoting/evicting the least recently used); False when it alone exceeds the budgets. Ends
        a claim on `key` either way."""
        size = int(nbytes if nbytes is not None else getattr(value, "nbytes", 0))
        gpu = _on_device(value)
        if gpu and size > self.gpu_max_bytes:
            if size > self.max_bytes:
                self.release(key)
                return False
            value, gpu = value.to_host(), False
        elif not gpu and size > self.max_bytes:
            self.release(key)
            return False
        with self._lock:
            self._end_claim(key)
            if key in self._items:
                del self._items[key]
                del self._sizes[key]
                self._gpu.discard(key)
            if gpu:
                self._demote_until(self.gpu_max_bytes - size)
            self._items[key] = value
            self._sizes[key] = size
            if gpu:
                self._gpu.add(key)
            self._evict_host_until(self.max_bytes, keep=key)
            return True

    def refresh(self) -> None:
        """Take each entry's size again (`value.nbytes`) and keep to the budgets: an entry grows when what was
        computed from it is kept with it (EncodedImage.llm_prefix); the most recently used entry is kept."""
        with self._lock:
            for key, value in self._items.items():
                self._sizes[key] = int(getattr(value, "nbytes", self._sizes[key]))
            if self._items:
                self._demote_until(self.gpu_max_bytes)
                self._evict_host_until(self.max_bytes, keep=next(reversed(self._items)))

    def _demote_until(self, gpu_budget: int) -> None:
        """Move the least recently used GPU entries to the host until the GPU ones fit `gpu_budget` bytes."""
        for old in list(self._items):
            if self.gpu_nbytes <= gpu_budget:
                return
            if old in self._gpu:
                self._items[old] = self._items[old].to_host()  # keeps its place in the LRU order
                self._gpu.discard(old)
                self.demoted += 1

    def _evict_host_until(self, budget: int, keep: Hashable) -> None:
        for old in list(self._items):
            if self.cpu_nbytes <= budget:
                return
            if old not in self._gpu and old != keep:
                del self._items[old]
                del self._sizes[old]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self._gpu.clear()
