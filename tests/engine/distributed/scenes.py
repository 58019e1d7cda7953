"""Synthetic rasters for the cluster tests: smooth texture the tiny model answers with large regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.engine.geo.rasters import write_tif

SHAPE = (1200, 2600)  # 2 x 3 tiles of 1024 with the default 128 px overlap


def scene(height: int = SHAPE[0], width: int = SHAPE[1], seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = (np.sin(xx / 97.0) + np.cos(yy / 71.0)) * 60 + 120
    data = np.stack([base, base * 0.8 + 20, 255 - base]).astype(np.float32) + rng.normal(0, 10, (3, height, width))
    return np.clip(data, 0, 255).astype(np.uint8)


def write_scene(path: Path, **extra) -> Path:
    return write_tif(path, scene(), **extra)


def write_damaged_scene(path: Path, block: tuple[int, int]) -> tuple[Path, tuple[int, int, int, int]]:
    """Tiled GeoTIFF with overviews whose full-resolution block (x, y) is overwritten with garbage.

    The run's one decimated statistics read uses the intact overview; every full-resolution read touching the block
    fails in GDAL, as it would on a damaged file. Returns the path and the block's (col0, row0, col1, row1).
    """
    import rasterio
    from rasterio.enums import Resampling

    write_scene(path, tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    with rasterio.open(path, "r+") as ds:
        ds.build_overviews([2, 4], Resampling.average)
    with rasterio.open(path) as ds:
        offset = int(ds.get_tag_item(f"BLOCK_OFFSET_{block[0]}_{block[1]}", "TIFF", bidx=1))
        size = int(ds.get_tag_item(f"BLOCK_SIZE_{block[0]}_{block[1]}", "TIFF", bidx=1))
    with open(path, "r+b") as handle:
        handle.seek(offset + 2)
        handle.write(b"\xff" * (size - 4))
    x, y = block
    return path, (x * 256, y * 256, (x + 1) * 256, (y + 1) * 256)
