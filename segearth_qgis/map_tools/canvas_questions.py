"""The toolbar's two extents: a rectangle dragged on the map, or the visible map. Either is clipped and snapped to
the raster's grid in the layer's CRS, and the dock's question is asked on it."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsRasterLayer

from ..common.translation import tr
from ..running.request import PluginRequest, RequestError
from .extent import as_tuple, layer_extent_from
from .rectangle_tool import RectangleMapTool


class CanvasQuestions:
    """`ask(request)` starts a question (the task or None); `refuse(text)` says why one cannot start."""

    def __init__(self, iface, dock, ask: Callable[[PluginRequest], object], refuse: Callable[[str], None]) -> None:
        self.iface, self.dock, self.ask, self.refuse = iface, dock, ask, refuse
        self.tool = RectangleMapTool(iface.mapCanvas())
        self.tool.rectangleDrawn.connect(self.run_on_rect)
        self.tool.clickedWithoutDrag.connect(
            lambda: dock.set_stage(tr("Press and drag on the map to draw a rectangle; a click alone selects "
                                      "nothing")))

    def arm(self) -> None:
        self.tool.arm()
        self.dock.set_stage(tr("Drag a rectangle on the map"))

    def _canvas_crs(self):
        return self.iface.mapCanvas().mapSettings().destinationCrs()

    def visible_extent_for(self, layer: QgsRasterLayer):
        """The visible map in `layer`'s CRS as a tuple, or None where it does not overlap (the dock's "Visible")."""
        rect = layer_extent_from(self.iface.mapCanvas().extent(), self._canvas_crs(), layer)
        return as_tuple(rect) if rect is not None else None

    def run_on_rect(self, rect):
        """Run the dock's question on a canvas rectangle (canvas CRS), clipped and snapped in the layer CRS."""
        layer = self.dock.current_layer()
        if layer is None:
            self.refuse(tr("Choose a raster layer first"))
            return None
        extent = layer_extent_from(rect, self._canvas_crs(), layer)
        if extent is None:
            self.refuse(tr("The rectangle does not overlap the layer"))
            return None
        try:
            request = self.dock.build_request(extent=as_tuple(extent))
        except RequestError as exc:
            self.refuse(str(exc))
            return None
        return self.ask(request)

    def run_visible(self):
        return self.run_on_rect(self.iface.mapCanvas().extent())

    def close(self) -> None:
        self.tool.restore()
        self.tool.band.reset()
