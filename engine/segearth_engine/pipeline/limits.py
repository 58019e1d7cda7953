"""Sanity limits of a run, computed from the plan before any pixel is read or the model is loaded.

Why: a typo such as `--resolution 0.0001` turns a 1 km extent into a ten-million-pixel-wide grid; the run would
otherwise die minutes later allocating a multi-gigabyte strip, or fill the disk. The limits are generous for any real
use (a 200000-pixel-wide extent still runs) and the message says what to change. SEGEARTH_MAX_STRIP_MB and
SEGEARTH_MAX_GRID_GPX raise them for machines that can take more.
"""

from __future__ import annotations

import math
import os

from segearth_engine.errors import LimitError

STRIP_BYTES_PER_PIXEL = 5  # the stitcher's strip: float32 logits + bool validity per output pixel
DEFAULT_MAX_STRIP_MB = 2048
DEFAULT_MAX_GRID_GPX = 40.0  # gigapixels: 200000 x 200000 output pixels


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 and math.isfinite(value) else default


def strip_bytes(tile_rows: int, width: int) -> int:
    """Memory of the stitching strip (tile rows x the grid's width); the row sinks work in bounded column chunks."""
    return int(tile_rows) * int(width) * STRIP_BYTES_PER_PIXEL


def check_plan(width: int, height: int, tile_rows: int, resolution: float | None = None) -> None:
    """LimitError when the output grid or the strip memory is beyond the limits, saying what to change."""
    max_strip = _env_number("SEGEARTH_MAX_STRIP_MB", DEFAULT_MAX_STRIP_MB) * 2**20
    max_pixels = _env_number("SEGEARTH_MAX_GRID_GPX", DEFAULT_MAX_GRID_GPX) * 1e9
    pixels = float(width) * float(height)
    strip = strip_bytes(tile_rows, width)
    if pixels <= max_pixels and strip <= max_strip:
        return
    factor = max(math.sqrt(pixels / max_pixels), strip / max_strip)
    where = f"at --resolution {resolution:g} " if resolution else ""
    fix = (f"use a coarser --resolution (at least {resolution * factor * 1.01:.3g})" if resolution
           else "give a coarser --resolution")
    raise LimitError(f"{where}the output grid would be {width:,} x {height:,} pixels ({pixels / 1e9:.1f} gigapixels, "
                     f"a stitching strip of {strip / 2**30:.1f} GB); the limits are {max_pixels / 1e9:g} gigapixels "
                     f"and a {max_strip / 2**30:g} GB strip: {fix} or a smaller --extent",
                     width=width, height=height, gigapixels=pixels / 1e9, strip_gb=strip / 2**30,
                     max_gigapixels=max_pixels / 1e9, max_strip_gb=max_strip / 2**30,
                     min_resolution=resolution * factor * 1.01 if resolution else None)
