"""Where stitched rows go: memory for small grids, a temporary tiled GeoTIFF pair for large ones.

Both give the vectoriser the same thing: connected answer regions as polygons (with holes) and each region's mean
mask probability. The disk store keeps peak memory bounded for extents of any size: GDAL polygonises from the
file block by block and probabilities are read back per polygon window.
Mask codes: 1 answer, 0 not the answer, 255 invalid input (nodata / alpha / outside).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from segearth_engine.geo.affine_math import apply
from segearth_engine.geo.gdal_errors import gdal_errors
from segearth_engine.geo.publish import STAGE_SUFFIX, is_stale, owner_tag

MASK_NODATA = 255
MEMORY_LIMIT_PIXELS = 16 * 1024 * 1024  # grids above this go to disk
WRITE_CHUNK_PIXELS = 4 * 1024 * 1024  # stitched pixels converted and written at once (~60 MB of temporaries)
ZONAL_STRIP_PIXELS = 4 * 1024 * 1024  # probability pixels read at once when averaging it per polygon (~50 MB of work)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(logits, -60.0, 60.0)))).astype(np.float32)


def mask_codes(logits: np.ndarray, valid: np.ndarray) -> np.ndarray:
    codes = (logits > 0).astype(np.uint8)
    codes[~valid] = MASK_NODATA
    return codes


class MemoryStore:
    """Whole-grid arrays; polygons via connected-component labels so mean probabilities cost O(pixels)."""

    def __init__(self, height: int, width: int, transform) -> None:
        self.transform = transform
        self.mask = np.full((height, width), MASK_NODATA, dtype=np.uint8)
        self.probability = np.zeros((height, width), dtype=np.float32)

    def write_rows(self, row0: int, logits: np.ndarray, valid: np.ndarray) -> None:
        rows = slice(row0, row0 + logits.shape[0])
        self.mask[rows] = mask_codes(logits, valid)
        self.probability[rows] = np.where(valid, sigmoid(logits), 0.0)

    def components(self) -> Iterator[tuple[dict, float, int]]:
        """(GeoJSON-like polygon, mean probability, pixel count) per 4-connected answer region."""
        from rasterio.features import shapes
        from scipy import ndimage

        labels, count = ndimage.label(self.mask == 1)
        if count == 0:
            return
        flat = labels.ravel()
        pixels = np.bincount(flat, minlength=count + 1)
        sums = np.bincount(flat, weights=self.probability.ravel(), minlength=count + 1)
        for geom, value in shapes(labels.astype(np.int32), mask=labels > 0, connectivity=4, transform=self.transform):
            label = int(value)
            yield geom, float(sums[label] / pixels[label]), int(pixels[label])

    def write_mask_tif(self, path: str | Path, crs_wkt: str, overwrite: bool = False) -> None:
        from segearth_engine.geo.writers import write_mask_geotiff

        write_mask_geotiff(path, self.mask, self.transform, crs_wkt, overwrite)

    def close(self) -> None:
        pass


class DiskStore:
    """Mask (uint8 codes) and probability (uint8, p*255) GeoTIFFs in a temporary folder, removed by close()."""

    def __init__(self, height: int, width: int, transform, crs_wkt: str, folder: str | None = None) -> None:
        import rasterio

        self.transform = transform
        self.crs_wkt = crs_wkt
        self.height, self.width = height, width
        self._dir = grid_folder(folder)
        profile = {"driver": "GTiff", "height": height, "width": width, "count": 1, "dtype": "uint8",
                   "transform": transform, "crs": crs_wkt or None, "tiled": True, "blockxsize": 256,
                   "blockysize": 256, "compress": "deflate", "zlevel": 1, "BIGTIFF": "IF_SAFER", "sparse_ok": True}
        self.mask_path = self._dir / "mask.tif"
        self._mask = rasterio.open(self.mask_path, "w", nodata=MASK_NODATA, **profile)
        self._prob = rasterio.open(self._dir / "probability.tif", "w", **profile)
        self._mask_filled = False

    def write_rows(self, row0: int, logits: np.ndarray, valid: np.ndarray) -> None:
        from rasterio.windows import Window

        from segearth_engine.geo.gdal_env import bounded_cache

        rows, width = logits.shape
        step = max(256, WRITE_CHUNK_PIXELS // max(rows, 1) // 256 * 256)  # whole blocks; temporaries stay bounded
        with bounded_cache(), gdal_errors(f"the temporary grid in {self._dir}"):
            for c0 in range(0, width, step):
                cols = slice(c0, min(c0 + step, width))
                part, ok = logits[:, cols], valid[:, cols]
                window = Window(c0, row0, part.shape[1], rows)
                self._mask.write(mask_codes(part, ok), 1, window=window)
                self._prob.write(np.where(ok, np.round(sigmoid(part) * 255), 0).astype(np.uint8), 1, window=window)

    def _reopen(self):
        import rasterio

        with gdal_errors(f"the temporary grid in {self._dir}"):
            for ds in (self._mask, self._prob):
                if not ds.closed and ds.mode != "r":
                    ds.close()
        if self._mask.closed:
            self._mask = rasterio.open(self.mask_path)
            self._prob = rasterio.open(self._dir / "probability.tif")

    def components(self) -> Iterator[tuple[dict, float, int]]:
        """Polygons straight from the file (GDAL polygonize), mean probabilities from one pass over the file."""
        import rasterio
        from rasterio.features import shapes

        from segearth_engine.geo.gdal_env import bounded_cache

        self._reopen()
        band = rasterio.band(self._mask, 1)
        with bounded_cache():
            polygons = [geom for geom, value in shapes(band, mask=band, connectivity=4, transform=self.transform)
                        if int(value) == 1]
        sums, counts = self._zonal_sums(polygons)
        for geom, total, count in zip(polygons, sums, counts, strict=True):
            yield geom, float(total / count / 255.0) if count else 0.0, int(count)

    def _zonal_sums(self, polygons: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """Probability sum and pixel count per polygon, strip by strip: every block of the file is read once.

        The polygons come from one polygonize pass, so they never overlap and each pixel burns at most one id.
        """
        from rasterio.features import rasterize
        from rasterio.windows import Window

        from segearth_engine.geo.gdal_env import bounded_cache

        sums = np.zeros(len(polygons) + 1, dtype=np.float64)
        counts = np.zeros(len(polygons) + 1, dtype=np.int64)
        rows = [pixel_window(geom, self.transform, self.height, self.width) for geom in polygons]
        strip = max(1, ZONAL_STRIP_PIXELS // self.width)
        for row0 in range(0, self.height, strip):
            height = min(strip, self.height - row0)
            burn = [(geom, index + 1) for index, (geom, window) in enumerate(zip(polygons, rows, strict=True))
                    if window.row_off < row0 + height and window.row_off + window.height > row0]
            if not burn:
                continue
            window = Window(0, row0, self.width, height)
            with bounded_cache():
                prob = self._prob.read(1, window=window)
            ids = rasterize(burn, out_shape=prob.shape, transform=self._prob.window_transform(window), fill=0,
                            dtype="int32").ravel()
            sums += np.bincount(ids, weights=prob.ravel(), minlength=sums.size)
            counts += np.bincount(ids, minlength=counts.size)
        return sums[1:], counts[1:]

    def write_mask_tif(self, path: str | Path, crs_wkt: str, overwrite: bool = False) -> None:
        from segearth_engine.geo.writers import publish_file

        self._reopen()
        publish_file(self.mask_path, path, overwrite)

    def close(self) -> None:
        for ds in (self._mask, self._prob):
            if not ds.closed:
                ds.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def pixel_window(geom: dict, transform, height: int, width: int):
    """The whole-pixel window holding a polygon's exterior (rotated transforms included)."""
    from rasterio.windows import Window

    xs, ys = np.asarray(geom["coordinates"][0], dtype=np.float64).T
    cols, rows = apply(~transform, xs, ys)
    c0, r0 = max(int(np.floor(cols.min() + 1e-6)), 0), max(int(np.floor(rows.min() + 1e-6)), 0)
    c1, r1 = min(int(np.ceil(cols.max() - 1e-6)), width), min(int(np.ceil(rows.max() - 1e-6)), height)
    return Window(c0, r0, max(c1 - c0, 1), max(r1 - r0, 1))


def grid_folder(folder: str | None = None) -> Path:
    """A fresh temporary folder for an on-disk grid, named by host and PID so that a later run removes those left
    by killed runs (a SIGTERM is turned into an exception by the CLI, so close() runs then)."""
    parent = Path(folder or tempfile.gettempdir())
    for stale in parent.glob(f"segearth-grid.*{STAGE_SUFFIX}"):
        if is_stale(stale):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"segearth-grid.{owner_tag()}.", suffix=STAGE_SUFFIX, dir=parent))


def make_store(height: int, width: int, transform, crs_wkt: str):
    if height * width <= MEMORY_LIMIT_PIXELS:
        return MemoryStore(height, width, transform)
    return DiskStore(height, width, transform, crs_wkt)
