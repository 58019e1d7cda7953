"""Canvas map tool: drag a rectangle (drawn with a rubber band) and hand it over in the canvas CRS."""

from __future__ import annotations

from qgis.core import Qgis, QgsPointXY, QgsRectangle, QgsWkbTypes
from qgis.gui import QgsMapCanvas, QgsMapToolEmitPoint, QgsRubberBand
from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QColor


def _polygon_type():
    """Polygon geometry type: Qgis.GeometryType on QGIS >= 3.30 (and 4), QgsWkbTypes before."""
    kind = getattr(Qgis, "GeometryType", None)
    return kind.Polygon if kind is not None else QgsWkbTypes.GeometryType.PolygonGeometry


class RectangleMapTool(QgsMapToolEmitPoint):
    """Press, drag, release: emits `rectangleDrawn(QgsRectangle)` in canvas CRS, then restores the previous tool.
    A click without a drag emits `clickedWithoutDrag` and keeps the tool, so the user can drag at once."""

    rectangleDrawn = Signal(QgsRectangle)  # noqa: N815 - Qt naming
    clickedWithoutDrag = Signal()  # noqa: N815 - a click is no rectangle: the tool stays armed for one

    def __init__(self, canvas: QgsMapCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.previous_tool = None
        self.start: QgsPointXY | None = None
        self.band = QgsRubberBand(canvas, _polygon_type())
        self.band.setColor(QColor(255, 64, 0, 200))
        self.band.setFillColor(QColor(255, 64, 0, 40))
        self.band.setWidth(2)

    def arm(self) -> None:
        """Make this the canvas tool, remembering the one to restore afterwards."""
        current = self.canvas.mapTool()
        if current is not self:
            self.previous_tool = current
        self.canvas.setMapTool(self)

    def rectangle(self, end: QgsPointXY) -> QgsRectangle:
        rect = QgsRectangle(self.start, end)
        rect.normalize()
        return rect

    def canvasPressEvent(self, event) -> None:  # noqa: N802 - QGIS API
        self.start = self.toMapCoordinates(event.pos())
        self.band.reset(_polygon_type())

    def canvasMoveEvent(self, event) -> None:  # noqa: N802
        if self.start is None:
            return
        self.show_rectangle(self.rectangle(self.toMapCoordinates(event.pos())))

    def canvasReleaseEvent(self, event) -> None:  # noqa: N802
        if self.start is None:
            return
        rect = self.rectangle(self.toMapCoordinates(event.pos()))
        self.start = None
        self.finish(rect)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.start = None
            self.band.reset(_polygon_type())
            self.restore()

    def show_rectangle(self, rect: QgsRectangle) -> None:
        self.band.reset(_polygon_type())
        corners = [(rect.xMinimum(), rect.yMinimum()), (rect.xMinimum(), rect.yMaximum()),
                   (rect.xMaximum(), rect.yMaximum()), (rect.xMaximum(), rect.yMinimum())]
        for i, (x, y) in enumerate(corners):
            self.band.addPoint(QgsPointXY(x, y), i == len(corners) - 1)
        self.band.show()

    def finish(self, rect: QgsRectangle) -> None:
        """Hand over a drawn rectangle (also the path tests take) and go back to the previous tool."""
        self.band.reset(_polygon_type())
        if rect.width() <= 0 or rect.height() <= 0:
            self.clickedWithoutDrag.emit()
            return
        self.restore()
        self.rectangleDrawn.emit(rect)

    def restore(self) -> None:
        if self.canvas.mapTool() is self:
            if self.previous_tool is not None:
                self.canvas.setMapTool(self.previous_tool)
            else:
                self.canvas.unsetMapTool(self)

    def deactivate(self) -> None:
        self.band.reset(_polygon_type())
        super().deactivate()
