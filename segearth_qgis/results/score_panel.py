"""The dock's "Score against reference" action on a result layer: choose a reference polygon layer, score the selected
result (or the last one) inside the extent its question was asked on, and show a short summary plus a styled
matched / missed / false-alarm layer. The layers are read on the GUI thread; the scoring runs in a background task."""

from __future__ import annotations

from qgis.core import QgsApplication, QgsMapLayerProxyModel, QgsProject, QgsRectangle, QgsVectorLayer
from qgis.gui import QgsMapLayerComboBox
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..common.translation import tr

EXTENT_PROPERTY = "segearth/run_extent"  # custom property of a result layer: "minx,miny,maxx,maxy" in its CRS


def _polygon_filter():
    from qgis.core import Qgis

    kind = getattr(Qgis, "LayerFilter", None)  # QGIS >= 3.34 (and 4)
    return kind.PolygonLayer if kind is not None else QgsMapLayerProxyModel.Filter.PolygonLayer


def remember_run_extent(layer: QgsVectorLayer, result) -> None:
    """Store the extent the answer was computed on (the engine's output grid) on its result layer."""
    from segearth_engine.api import grid_bounds

    bounds = grid_bounds(result.transform, *result.shape)
    layer.setCustomProperty(EXTENT_PROPERTY, ",".join(repr(float(v)) for v in bounds))


def run_extent(layer) -> QgsRectangle | None:
    text = layer.customProperty(EXTENT_PROPERTY) if layer is not None else None
    try:
        values = [float(v) for v in str(text).split(",")] if text else []
    except ValueError:
        return None
    return QgsRectangle(*values) if len(values) == 4 else None


class ScorePanel(QWidget):
    scoreRequested = Signal()  # noqa: N815 - Qt naming

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks: list = []  # scoring tasks QGIS is running (their Python references)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.reference_combo = QgsMapLayerComboBox(self)
        self.reference_combo.setFilters(_polygon_filter())
        self.reference_combo.setAllowEmptyLayer(True)
        self.reference_combo.setLayer(None)
        self.reference_combo.setToolTip(tr("Reference polygons (any CRS) to score the selected result against"))
        self.button = QPushButton(tr("Score against reference"), self)
        self.button.setToolTip(tr("IoU, precision, recall and F1 of the selected result layer (or the last one) "
                                  "against the reference polygons, inside the extent the question was asked on"))
        self.button.clicked.connect(self.scoreRequested.emit)
        label = QLabel(tr("Reference:"), self)
        label.setBuddy(self.reference_combo)
        row.addWidget(label)
        row.addWidget(self.reference_combo, 1)
        row.addWidget(self.button)
        outer.addLayout(row)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        outer.addWidget(self.summary)

    def reference_layer(self) -> QgsVectorLayer | None:
        layer = self.reference_combo.currentLayer()
        return layer if isinstance(layer, QgsVectorLayer) else None

    def set_summary(self, text: str) -> None:
        self.summary.setText(text)


def attach_score_panel(plugin) -> ScorePanel:
    """Add the panel to the plugin's dock below the question history and wire it to `score_result`."""
    dock = plugin.dock
    body = dock.history.parentWidget()
    layout = body.layout()
    panel = ScorePanel(body)
    layout.insertWidget(layout.indexOf(dock.history) + 1, panel)
    panel.scoreRequested.connect(lambda: score_result(plugin, panel))
    return panel


def score_result(plugin, panel: ScorePanel):
    """Score the selected (or last) result layer against the chosen reference; returns the task, or None with the
    reason shown in the panel."""
    from ..common.crs import crs_wkt
    from ..common.function_task import FunctionTask
    from .scoring import ScoringError, no_reference_warning, source_geometries

    answer, reference = plugin.results.selected_or_last(), panel.reference_layer()
    if answer is None:
        panel.set_summary(tr("Select a SegEarth result layer to score"))
        return None
    if reference is None:
        panel.set_summary(tr("Choose a reference polygon layer first"))
        return None
    crs, context = answer.crs(), QgsProject.instance().transformContext()
    rect = run_extent(answer)
    try:
        answers = source_geometries(answer, crs, context, rect)
        references = source_geometries(reference, crs, context, rect)
    except ScoringError as exc:
        panel.set_summary(str(exc))
        return None
    wkt, name = crs_wkt(crs), tr("Scores of {} against {}").format(answer.name(), reference.name())
    warning = no_reference_warning(len(references), reference.subsetString() or None)
    claim = plugin.watch.claim() if plugin.watch is not None else None  # its layer goes to this project only

    def score():
        from shapely.geometry import box

        from segearth_engine.api import score_geometries

        region = box(rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()) if rect else None
        return score_geometries([g for _, g in answers], [g for _, g in references], wkt, region,
                                answer_ids=[i for i, _ in answers], reference_ids=[i for i, _ in references])

    def done(task: FunctionTask) -> None:
        from .layers import add_result_layer
        from .scoring import outcome_layer, summary_text

        if task in panel.tasks:
            panel.tasks.remove(task)
        lost = claim.lost() if claim is not None else None
        if claim is not None:
            claim.release()
        if lost:
            panel.set_summary(tr("Scores not added: {}").format(lost))
            return
        if task.error:
            panel.set_summary(tr("Scoring failed: {}").format(task.error))
            return
        panel.set_summary("\n".join(filter(None, [warning, summary_text(task.value)])))
        if warning:
            plugin.message(warning, "warning")
        add_result_layer(outcome_layer(task.value, crs, name))

    panel.set_summary(tr("Scoring…"))
    task = FunctionTask(tr("SegEarth scoring"), score, done)
    panel.tasks.append(task)  # its Python reference, while QGIS runs it
    QgsApplication.taskManager().addTask(task)
    return task
