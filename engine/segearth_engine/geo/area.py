"""Polygon areas in square metres in any CRS: geodesic on the CRS's ellipsoid for degrees, planar otherwise."""

from __future__ import annotations

from collections.abc import Callable

from segearth_engine.errors import InputError
from segearth_engine.geo.crs import parse_crs


def area_function(crs_wkt: str) -> Callable[[object], float]:
    """A function shapely geometry -> area in m² for geometries in `crs_wkt`."""
    if not crs_wkt:
        raise InputError("the raster has no coordinate reference system: areas in m² cannot be computed")
    crs = parse_crs(crs_wkt)
    if crs.is_geographic:
        from pyproj import Geod

        ellipsoid = crs.ellipsoid
        geod = Geod(a=ellipsoid.semi_major_metre, rf=ellipsoid.inverse_flattening) if ellipsoid else Geod(
            ellps="WGS84")
        return lambda geom: abs(geod.geometry_area_perimeter(geom)[0])
    units = [axis.unit_conversion_factor for axis in crs.axis_info if axis.unit_conversion_factor]
    factor = float(units[0]) if units else 1.0
    return lambda geom: float(geom.area) * factor * factor
