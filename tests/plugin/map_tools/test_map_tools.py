"""Canvas rectangles become pixel-aligned extents in the layer CRS; the map tool restores the previous tool."""

from __future__ import annotations

import math

from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle
from qgis.gui import QgsMapToolPan

from segearth_qgis.map_tools.extent import layer_extent_from

DATA_4326 = "rmnp-rgb.tif"  # EPSG:4326, 0.0015 degree pixels
R = 6378137.0


def mercator(lon: float, lat: float) -> tuple[float, float]:
    return R * math.radians(lon), R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def expected_extent(layer, lon0, lat0, lon1, lat1):
    """Clip to the layer, then grow to whole pixels counted from the layer's top-left corner."""
    full = layer.extent()
    px, py = layer.rasterUnitsPerPixelX(), layer.rasterUnitsPerPixelY()
    lon0, lat0 = max(lon0, full.xMinimum()), max(lat0, full.yMinimum())
    lon1, lat1 = min(lon1, full.xMaximum()), min(lat1, full.yMaximum())
    x0 = full.xMinimum() + math.floor((lon0 - full.xMinimum()) / px) * px
    x1 = full.xMinimum() + math.ceil((lon1 - full.xMinimum()) / px) * px
    y1 = full.yMaximum() - math.floor((full.yMaximum() - lat1) / py) * py
    y0 = full.yMaximum() - math.ceil((full.yMaximum() - lat0) / py) * py
    return x0, y0, min(x1, full.xMaximum()), y1


def test_3857_rectangle_becomes_4326_layer_extent(load_raster, data_dir):
    layer = load_raster(data_dir / DATA_4326)
    full = layer.extent()
    lon0, lat0 = full.xMinimum() + 0.1003, full.yMinimum() + 0.0517
    lon1, lat1 = lon0 + 0.2101, lat0 + 0.1502
    (x0, y0), (x1, y1) = mercator(lon0, lat0), mercator(lon1, lat1)
    rect = layer_extent_from(QgsRectangle(x0, y0, x1, y1), QgsCoordinateReferenceSystem("EPSG:3857"), layer)
    want = expected_extent(layer, lon0, lat0, lon1, lat1)
    got = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
    assert all(abs(a - b) < 1e-9 for a, b in zip(got, want, strict=True)), (got, want)
    px = layer.rasterUnitsPerPixelX()
    cols = (rect.xMinimum() - full.xMinimum()) / px, rect.width() / px
    assert all(abs(c - round(c)) < 1e-6 for c in cols)  # on the pixel grid


def test_rectangle_is_clipped_to_layer_and_misses_give_none(load_raster, data_dir):
    layer = load_raster(data_dir / DATA_4326)
    full = layer.extent()
    big = QgsRectangle(full.xMinimum() - 1, full.yMinimum() - 1, full.xMinimum() + 0.05, full.yMaximum() + 1)
    rect = layer_extent_from(big, layer.crs(), layer)
    assert rect.xMinimum() == full.xMinimum() and rect.yMaximum() == full.yMaximum()
    assert abs(rect.yMinimum() - full.yMinimum()) < 1e-9
    away = QgsRectangle(0, 0, 1, 1)
    assert layer_extent_from(away, layer.crs(), layer) is None


def test_map_tool_runs_dock_question_in_layer_crs_and_restores_tool(plugin, load_raster, qgis_canvas, tmp_path,
                                                                   data_dir):
    layer = load_raster(data_dir / DATA_4326)
    canvas = qgis_canvas
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    pan = QgsMapToolPan(canvas)
    canvas.setMapTool(pan)
    plugin.dock.follow_layer(layer)
    plugin.dock.question.setPlainText("lakes")
    plugin.dock.model_panel.set_model_dir(str(tmp_path))
    runs = []
    plugin.run_request = runs.append  # capture the request instead of running a model
    plugin.arm_rectangle_tool()
    assert canvas.mapTool() is plugin.tool
    full = layer.extent()
    lon0, lat0, lon1, lat1 = full.xMinimum() + 0.2, full.yMinimum() + 0.1, full.xMinimum() + 0.3, full.yMinimum() + 0.2
    (x0, y0), (x1, y1) = mercator(lon0, lat0), mercator(lon1, lat1)
    plugin.tool.finish(QgsRectangle(x0, y0, x1, y1))
    assert canvas.mapTool() is pan
    assert len(runs) == 1 and runs[0].question == "lakes" and runs[0].layer_id == layer.id()
    want = expected_extent(layer, lon0, lat0, lon1, lat1)
    assert all(abs(a - b) < 1e-9 for a, b in zip(runs[0].extent, want, strict=True))


def test_a_click_without_a_drag_says_to_drag_and_keeps_the_tool(plugin, load_raster, qgis_canvas, data_dir):
    """A click was ignored silently: the tool went away and the status line kept "Drag a rectangle"."""
    from qtpy.QtCore import QPoint, Qt
    from qtpy.QtTest import QTest

    layer = load_raster(data_dir / DATA_4326)
    canvas = qgis_canvas
    canvas.setExtent(layer.extent())
    pan = QgsMapToolPan(canvas)
    canvas.setMapTool(pan)
    plugin.dock.follow_layer(layer)
    runs = []
    plugin.run_request = runs.append
    plugin.arm_rectangle_tool()
    assert plugin.dock.stage.text() == "Drag a rectangle on the map"
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(50, 40))
    assert runs == []
    assert plugin.dock.stage.text() == ("Press and drag on the map to draw a rectangle; a click alone selects "
                                        "nothing")
    assert canvas.mapTool() is plugin.tool  # still armed: the next drag draws the rectangle
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(50, 40))
    QTest.mouseMove(viewport, QPoint(120, 90))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(120, 90))
    assert canvas.mapTool() is pan


def test_a_rectangle_outside_the_raster_says_so_on_the_status_line(plugin, load_raster, qgis_canvas, data_dir,
                                                                   qgis_iface):
    """The status line kept "Drag a rectangle on the map"; only the message bar said why nothing ran."""
    layer = load_raster(data_dir / DATA_4326)
    canvas = qgis_canvas
    canvas.setDestinationCrs(layer.crs())
    plugin.dock.follow_layer(layer)
    plugin.dock.question.setPlainText("lakes")
    runs = []
    plugin.run_request = runs.append
    plugin.arm_rectangle_tool()
    full = layer.extent()
    plugin.tool.finish(QgsRectangle(full.xMaximum() + 1, full.yMaximum() + 1, full.xMaximum() + 2,
                                    full.yMaximum() + 2))
    assert runs == []
    assert plugin.dock.stage.text() == "The rectangle does not overlap the layer"
