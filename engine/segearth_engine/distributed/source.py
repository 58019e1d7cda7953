"""Open the raster a task reads: a local path, or any GDAL path (/vsicurl/, /vsis3/, /vsizip/ ...) as it is.

RasterioSource takes a filesystem path (it checks existence and stats the file); GDAL virtual paths have no such
file, and pathlib would fold the '//' of a URL, so they get the same reader with a string path.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..geo.rasterio_source import RasterioSource


def is_gdal_path(raster: str) -> bool:
    return str(raster).startswith("/vsi")


class GdalPathSource(RasterioSource):
    """RasterioSource for a GDAL virtual path; identity is the path itself (no mtime to read)."""

    def __init__(self, path: str) -> None:  # noqa: D107 - same attributes as RasterioSource
        import rasterio
        from rasterio.errors import RasterioIOError

        from ..geo.crs import ensure_proj_data

        ensure_proj_data()
        self.path = path  # type: ignore[assignment]
        try:
            self._ds = rasterio.open(path)
        except RasterioIOError as exc:
            raise InputError(f"{path} cannot be opened by GDAL: {exc}") from exc
        ds = self._ds
        self.width, self.height, self.count = ds.width, ds.height, ds.count
        self.dtype = str(ds.dtypes[0])
        self.crs_wkt = ds.crs.to_wkt() if ds.crs else ""
        self.nodata = list(ds.nodatavals)
        self.colorinterp = [ci.name.lower() for ci in ds.colorinterp]
        self.georeferenced = bool(ds.crs) and (not ds.transform.is_identity or bool(ds.gcps[0]))
        self.source_id = f"{path}:{ds.width}x{ds.height}x{ds.count}"
        self.name = path.rstrip("/").rsplit("/", 1)[-1]


def open_source(raster: str | Path) -> RasterioSource:
    text = str(raster)
    return GdalPathSource(text) if is_gdal_path(text) else RasterioSource(Path(text))
