"""LRU cache of encoder outputs, bounded in megabytes, so a second question on the same view skips the encoder.

Keys are built by the pipeline from everything that changes the encoder's input: the source identity (path, mtime,
size), the source window and output size, the radiometry (bands, alpha, stretch) and the model (id + backend).
Thread-safe: the plugin's tasks run on worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class FeatureCache:
    def __init__(self, max_mb: float = 512) -> None:
        self.max_bytes = int(max_mb * 1024 * 1024)
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        return sum(self._sizes.values())

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

    def put(self, key: Hashable, value, nbytes: int | None = None) -> bool:
        """Store `value` (evicting the least recently used); False when it alone exceeds the budget."""
        size = int(nbytes if nbytes is not None else getattr(value, "nbytes", 0))
        if size > self.max_bytes:
            return False
        with self._lock:
            if key in self._items:
                del self._items[key]
                del self._sizes[key]
            while self._items and sum(self._sizes.values()) + size > self.max_bytes:
                old, _ = self._items.popitem(last=False)
                del self._sizes[old]
            self._items[key] = value
            self._sizes[key] = size
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._sizes.clear()
