"""Running a call in a real thread, for tests of what happens while something else is in flight."""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, dict]:
    """Start `fn()` in a daemon thread; returns (thread, box): once it ends, box["value"] or box["error"]."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box
