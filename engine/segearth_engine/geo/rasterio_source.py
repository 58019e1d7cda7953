"""RasterSource over rasterio for the CLI: windowed, resampled reads; never the whole raster at once."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from segearth_engine.errors import InputError
from segearth_engine.geo.gdal_env import DeadlinePassed, interruptible, is_network_path, open_deadline
from segearth_engine.geo.source import Window


def is_gdal_path(path: str | os.PathLike) -> bool:
    """/vsicurl/, /vsis3/, /vsizip/, URLs ...: no file to stat, and pathlib would fold the '//' of a URL."""
    return str(path).startswith("/vsi") or "://" in str(path)


def _open(path: Path | str):
    import rasterio
    from rasterio.errors import RasterioIOError

    from segearth_engine.geo.gdal_env import bounded_cache

    if isinstance(path, Path):
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_file() and path.stat().st_size == 0:
            raise InputError(f"{path} is empty (0 bytes)")
    try:
        with bounded_cache():
            return rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(f"{path} cannot be read as a raster (damaged, truncated, unreachable or not a raster): "
                         f"{exc}") from exc


class RasterioSource:
    """A raster file or GDAL virtual path (anything GDAL opens) read by windows, masked where nodata, alpha == 0 or
    outside."""

    def __init__(self, path: str | os.PathLike) -> None:
        from segearth_engine.geo.crs import ensure_proj_data

        ensure_proj_data()
        self.path: Path | str = str(path) if is_gdal_path(path) else Path(path)
        self._remote = is_network_path(self.path)
        self._abandoned = False  # a remote call was interrupted: its thread may still hold the dataset
        try:
            self._ds = self._call(lambda: _open(self.path), open_deadline())
        except DeadlinePassed as exc:
            self._abandoned = True
            raise InputError(f"{self.path} cannot be read: the server timed out ({exc}; set GDAL_HTTP_TIMEOUT and "
                             "GDAL_HTTP_MAX_RETRY to wait longer)") from None
        ds = self._ds
        self.width, self.height, self.count = ds.width, ds.height, ds.count
        self.dtype = str(ds.dtypes[0])
        self.crs_wkt = ds.crs.to_wkt() if ds.crs else ""
        self.nodata = list(ds.nodatavals)
        self.colorinterp = [ci.name.lower() for ci in ds.colorinterp]
        has_geotransform = not ds.transform.is_identity or bool(ds.gcps[0])
        self.georeferenced = bool(ds.crs) and has_geotransform
        if isinstance(self.path, Path):
            stat = self.path.stat()
            self.source_id = f"{self.path.resolve()}:{stat.st_mtime_ns}:{stat.st_size}"
            self.name = self.path.name
        else:  # a virtual path has no mtime: its identity is the path and the raster's shape
            self.source_id = f"{self.path}:{ds.width}x{ds.height}x{ds.count}"
            self.name = self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def transform(self):
        return self._ds.transform

    def _call(self, call, deadline: float | None = None):
        """Local reads run here; network reads in a thread that Ctrl-C does not have to wait for (nor the caller
        beyond `deadline` seconds)."""
        if not self._remote:
            return call()
        try:
            return interruptible(call, deadline)
        except Exception:
            raise
        except BaseException:  # Ctrl-C or SIGTERM while the call still runs in its thread
            self._abandoned = True
            raise

    def close(self) -> None:
        if not self._abandoned:  # closing under a read still running in its thread could crash GDAL
            self._ds.close()

    def __enter__(self) -> RasterioSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, bands: Sequence[int], window: Window, out_shape: tuple[int, int]) -> np.ma.MaskedArray:
        """Bands (1-based) of `window` resampled bilinearly to `out_shape`; the part outside the raster is masked."""
        from rasterio.enums import Resampling
        from rasterio.errors import RasterioIOError
        from rasterio.windows import Window as RioWindow

        rows, cols = int(out_shape[0]), int(out_shape[1])
        data = np.zeros((len(bands), rows, cols), dtype=self.dtype)
        mask = np.ones((len(bands), rows, cols), dtype=bool)
        c0, r0 = max(window.col_off, 0), max(window.row_off, 0)
        c1 = min(window.col_off + window.width, self.width)
        r1 = min(window.row_off + window.height, self.height)
        if c1 <= c0 or r1 <= r0:
            return np.ma.MaskedArray(data, mask=mask)
        sx, sy = cols / window.width, rows / window.height
        oc0, or0 = round((c0 - window.col_off) * sx), round((r0 - window.row_off) * sy)
        oc1, or1 = round((c1 - window.col_off) * sx), round((r1 - window.row_off) * sy)
        if oc1 <= oc0 or or1 <= or0:
            return np.ma.MaskedArray(data, mask=mask)
        from segearth_engine.geo.gdal_env import bounded_cache

        def read():
            with bounded_cache():
                return self._ds.read(list(bands), window=RioWindow(c0, r0, c1 - c0, r1 - r0), out_shape=(
                    len(bands), or1 - or0, oc1 - oc0), masked=True, resampling=Resampling.bilinear)

        try:
            part = self._call(read)
        except RasterioIOError as exc:
            raise InputError(f"{self.path} could not be read (damaged or truncated?): {exc}") from exc
        data[:, or0:or1, oc0:oc1] = part.data
        inside = np.ma.getmaskarray(part)
        if part.dtype.kind == "f":
            inside = inside | ~np.isfinite(part.data)
        mask[:, or0:or1, oc0:oc1] = inside
        return np.ma.MaskedArray(data, mask=mask)
