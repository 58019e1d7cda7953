"""A RasterSource (segearth_engine.geo.source) that reads through the layer's QGIS data provider.

Reading via QgsRasterDataProvider.block() means any raster QGIS opens (GeoTIFF, VRT, COG over HTTP, GeoPackage
rasters) works without rasterio in QGIS's Python. The provider is cloned on the GUI thread so the worker thread
never shares the layer's own provider with the renderer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qgis.core import QgsRasterDataProvider, QgsRasterLayer, QgsRectangle

from ..common.crs import crs_wkt

if TYPE_CHECKING:
    import numpy as np

#: Qgis.DataType values -> numpy dtype names (Int8 appeared in QGIS 3.30)
_DTYPES = {1: "uint8", 2: "uint16", 3: "int16", 4: "uint32", 5: "int32", 6: "float32", 7: "float64", 14: "int8"}


def _int(enum_value) -> int:
    return int(getattr(enum_value, "value", enum_value))


def _source_id(layer: QgsRasterLayer) -> str:
    """Path + mtime + size when the layer is a file, so cached encodings die with edits to it."""
    uri = layer.source()
    path = uri.split("|")[0]
    if os.path.isfile(path):
        stat = os.stat(path)
        return f"{os.path.abspath(path)}:{stat.st_mtime_ns}:{stat.st_size}"
    return f"{layer.providerType()}:{uri}"


class QgisRasterSource:
    """Windows of a QGIS raster layer as masked numpy arrays (protocol segearth_engine.geo.source.RasterSource)."""

    def __init__(self, layer: QgsRasterLayer, resolution: float | None = None) -> None:
        from segearth_engine.api import InputError

        if layer is None or not layer.isValid():
            raise InputError("the raster layer is not valid")
        provider: QgsRasterDataProvider = layer.dataProvider().clone()
        if provider is None:
            raise InputError(f"{layer.name()}: its data provider cannot be read from a background task")
        self._provider = provider
        self.layer_name = layer.name()
        self._extent = QgsRectangle(layer.extent())
        width, height = provider.xSize(), provider.ySize()
        if width <= 0 or height <= 0:  # web services: no native grid, use the requested resolution
            if not resolution:
                raise InputError(f"{layer.name()} has no native pixel grid (web service); set a resolution")
            width = max(1, round(self._extent.width() / resolution))
            height = max(1, round(self._extent.height() / resolution))
        self.width, self.height = int(width), int(height)
        self.count = provider.bandCount()
        kind = _int(provider.dataType(1))
        if kind not in _DTYPES:
            raise InputError(f"{layer.name()}: pixel type {kind} (rendered colours) cannot be segmented; export the "
                             "layer to a GeoTIFF first")
        self.dtype = _DTYPES[kind]
        self.crs_wkt = crs_wkt(layer.crs())
        self.nodata: list[float | None] = [
            float(provider.sourceNoDataValue(b))
            if provider.sourceHasNoDataValue(b) and provider.useSourceNoDataValue(b) else None
            for b in range(1, self.count + 1)]
        self._user_nodata = [list(provider.userNoDataValues(b)) for b in range(1, self.count + 1)]
        self.colorinterp = [str(provider.colorInterpretationName(b)).lower() for b in range(1, self.count + 1)]
        self.source_id = _source_id(layer)
        self._px = self._extent.width() / self.width
        self._py = self._extent.height() / self.height

    @property
    def transform(self):
        from affine import Affine

        return Affine(self._px, 0.0, self._extent.xMinimum(), 0.0, -self._py, self._extent.yMaximum())

    def _rect(self, window) -> QgsRectangle:
        x0 = self._extent.xMinimum() + window.col_off * self._px
        y1 = self._extent.yMaximum() - window.row_off * self._py
        return QgsRectangle(x0, y1 - window.height * self._py, x0 + window.width * self._px, y1)

    def _outside(self, window, rows: int, cols: int) -> np.ndarray:
        """Output pixels whose centre falls outside the raster (the provider pads those)."""
        import numpy as np  # imported in the worker: numpy's first import would stall the GUI thread

        c = window.col_off + (np.arange(cols) + 0.5) * window.width / cols
        r = window.row_off + (np.arange(rows) + 0.5) * window.height / rows
        return ((r < 0) | (r >= self.height))[:, None] | ((c < 0) | (c >= self.width))[None, :]

    def _read_band(self, band: int, rect: QgsRectangle, rows: int, cols: int,
                   outside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        from segearth_engine.api import InputError

        block = self._provider.block(band, rect, cols, rows)
        if block is None or not block.isValid():
            raise InputError(f"{self.layer_name}: band {band} could not be read")
        data = np.frombuffer(bytes(block.data()), dtype=_DTYPES[_int(block.dataType())]).reshape(rows, cols)
        mask = np.zeros((rows, cols), dtype=bool)
        nodata = self.nodata[band - 1]
        if nodata is not None:
            mask |= np.isnan(data) if np.isnan(nodata) else data == nodata
        for rng in self._user_nodata[band - 1]:
            mask |= (data >= rng.min()) & (data <= rng.max())
        if data.dtype.kind == "f":
            mask |= ~np.isfinite(data)
        if block.hasNoData() and not block.hasNoDataValue() and not outside.any():
            # bitmap-only nodata inside the raster (rare): ask pixel by pixel
            for row in range(rows):
                for col in range(cols):
                    if not mask[row, col] and block.isNoData(row, col):
                        mask[row, col] = True
        return data, mask

    def read(self, bands: Sequence[int], window, out_shape: tuple[int, int]) -> np.ma.MaskedArray:
        """Bands (1-based) of `window` resampled to `out_shape`; masked where nodata or outside the raster."""
        import numpy as np

        rows, cols = int(out_shape[0]), int(out_shape[1])
        rect = self._rect(window)
        outside = self._outside(window, rows, cols)
        arrays, masks = [], []
        for band in bands:
            data, mask = self._read_band(int(band), rect, rows, cols, outside)
            arrays.append(data)
            masks.append(mask | outside)
        return np.ma.MaskedArray(np.stack(arrays), mask=np.stack(masks))
