"""Sizes and durations in words, as the engine writes them (human_bytes, human_duration): shared by the model's
download and first-load stage and by the dock's progress views."""

from __future__ import annotations


def size_text(count: float) -> str:
    """Bytes as the engine writes them (decimal units: 3.2 GB); plain figures when the engine is not importable."""
    try:
        from segearth_engine.api import human_bytes
    except ImportError:
        return f"{count / 1e9:.1f} GB"
    return human_bytes(count)


def duration_text(seconds: float) -> str:
    try:
        from segearth_engine.api import human_duration
    except ImportError:
        return f"{seconds:.0f} s"
    return human_duration(seconds)
