"""Turning a rectangle on the canvas into a pixel-aligned extent in the raster layer's CRS."""

from __future__ import annotations

import math

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsRasterLayer, QgsRectangle


def to_layer_crs(rect: QgsRectangle, source_crs: QgsCoordinateReferenceSystem, layer: QgsRasterLayer) -> QgsRectangle:
    """Bounding box of `rect` (in `source_crs`) in the layer's CRS, densified so curved edges are covered."""
    if not source_crs.isValid() or source_crs == layer.crs():
        return QgsRectangle(rect)
    transform = QgsCoordinateTransform(source_crs, layer.crs(), QgsProject.instance())
    return transform.transformBoundingBox(rect)


def snap_to_grid(rect: QgsRectangle, layer: QgsRasterLayer) -> QgsRectangle:
    """Grow `rect` outwards to whole pixels of the layer (origin at the layer's top-left corner)."""
    full = layer.extent()
    px, py = layer.rasterUnitsPerPixelX(), layer.rasterUnitsPerPixelY()
    eps = 1e-9
    x0 = full.xMinimum() + math.floor((rect.xMinimum() - full.xMinimum()) / px + eps) * px
    x1 = full.xMinimum() + math.ceil((rect.xMaximum() - full.xMinimum()) / px - eps) * px
    y1 = full.yMaximum() - math.floor((full.yMaximum() - rect.yMaximum()) / py + eps) * py
    y0 = full.yMaximum() - math.ceil((full.yMaximum() - rect.yMinimum()) / py - eps) * py
    return QgsRectangle(x0, y0, x1, y1)


def layer_extent_from(rect: QgsRectangle, source_crs: QgsCoordinateReferenceSystem,
                      layer: QgsRasterLayer) -> QgsRectangle | None:
    """Transform, clip to the layer and snap to its pixels; None when the rectangle misses the layer."""
    in_layer = to_layer_crs(rect, source_crs, layer)
    clipped = in_layer.intersect(layer.extent())
    if clipped.isEmpty() or clipped.width() <= 0 or clipped.height() <= 0:
        return None
    snapped = snap_to_grid(clipped, layer).intersect(layer.extent())
    return None if snapped.isEmpty() else snapped


def as_tuple(rect: QgsRectangle) -> tuple[float, float, float, float]:
    return (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
