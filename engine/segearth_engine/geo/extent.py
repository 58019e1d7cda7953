"""Requested extent (any CRS) -> pixel window of the raster, with the checks users need to hear about."""

from __future__ import annotations

import math

from segearth_engine.errors import InputError
from segearth_engine.geo.affine_math import apply, grid_bounds
from segearth_engine.geo.source import RasterSource, Window

MIN_PIXELS = 32  # below this the model sees a handful of pixels blown up to 1024: refuse


def pixel_size(transform) -> tuple[float, float]:
    """Ground size of one pixel along columns and rows, in CRS units (rotation included)."""
    return math.hypot(transform.a, transform.d), math.hypot(transform.b, transform.e)


def extent_window(source: RasterSource, extent: tuple[float, float, float, float] | None,
                  extent_crs: str | None = None) -> Window:
    """The whole-pixel window of `source` covering `extent` (clipped to the raster); InputError when unusable."""
    if extent is None:
        window = Window(0, 0, source.width, source.height)
    else:
        if len(extent) != 4:
            raise InputError(f"an extent is minx,miny,maxx,maxy, not {extent}")
        minx, miny, maxx, maxy = (float(v) for v in extent)
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
            raise InputError(f"the extent {tuple(extent)} has a value that is not a finite number")
        if not (minx < maxx and miny < maxy):
            raise InputError(f"empty extent {extent}: need minx < maxx and miny < maxy")
        if extent_crs:
            from segearth_engine.geo.crs import transform_extent

            minx, miny, maxx, maxy = transform_extent((minx, miny, maxx, maxy), extent_crs, source.crs_wkt)
        inverse = ~source.transform
        corners = [apply(inverse, x, y) for x in (minx, maxx) for y in (miny, maxy)]
        cols, rows = [c for c, _ in corners], [r for _, r in corners]
        c0, c1 = max(math.floor(min(cols) + 1e-9), 0), min(math.ceil(max(cols) - 1e-9), source.width)
        r0, r1 = max(math.floor(min(rows) + 1e-9), 0), min(math.ceil(max(rows) - 1e-9), source.height)
        if c1 <= c0 or r1 <= r0:
            raise InputError(f"the extent {tuple(extent)} does not overlap the raster (its bounds are "
                             f"{raster_bounds(source)})")
        window = Window(c0, r0, c1 - c0, r1 - r0)
    if window.width < MIN_PIXELS or window.height < MIN_PIXELS:
        what = "the raster" if extent is None else "the extent"
        raise InputError(f"{what} covers only {window.width}x{window.height} pixels; at least {MIN_PIXELS}x"
                         f"{MIN_PIXELS} are needed (choose a larger extent)")
    return window


def raster_bounds(source: RasterSource) -> tuple[float, float, float, float]:
    return grid_bounds(source.transform, source.height, source.width)
