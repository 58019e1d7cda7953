"""A QGIS CRS as the engine's CRS string: one conversion for raster sources, exports, scoring and question sets."""

from __future__ import annotations


def crs_wkt(crs) -> str:
    """A QgsCoordinateReferenceSystem as the engine's CRS string (preferred WKT); "" when invalid."""
    if not crs.isValid():
        return ""
    try:
        from qgis.core import Qgis

        return crs.toWkt(Qgis.CrsWktVariant.Preferred)  # QGIS >= 3.36
    except AttributeError:
        return crs.toWkt(crs.WKT_PREFERRED)
