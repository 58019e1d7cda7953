"""What the pipeline needs from a raster, so that the CLI (rasterio) and the plugin (QGIS provider) share it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Window:
    """A pixel window of the source raster: column/row offset and size, in source pixels."""

    col_off: int
    row_off: int
    width: int
    height: int


@runtime_checkable
class RasterSource(Protocol):
    """A georeferenced raster readable by windows.

    `transform` is an affine.Affine (pixel -> map, GDAL order), `crs_wkt` the CRS as WKT ("" when unknown),
    `nodata` one value or None per band, `colorinterp` GDAL colour names per band ("red", "green", "blue",
    "alpha", "gray", "undefined", ...), `source_id` a stable identity for cache keys (path + mtime + size).
    """

    width: int
    height: int
    count: int
    dtype: str
    crs_wkt: str
    nodata: Sequence[float | None]
    colorinterp: Sequence[str]
    source_id: str

    @property
    def transform(self): ...

    def read(self, bands: Sequence[int], window: Window, out_shape: tuple[int, int]) -> np.ma.MaskedArray:
        """Bands (1-based) of `window`, resampled to `out_shape` (rows, cols); masked where nodata/alpha/outside."""
        ...
