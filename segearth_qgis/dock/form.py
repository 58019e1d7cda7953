"""The dock's form: layer, question, task, extent, mode, resolution and band rows, the buttons, the progress and
answer lines, and the scroll area they sit in. A mixin of SegEarthDock (dock_widget.py), which builds it in order."""

from __future__ import annotations

from qgis.core import QgsMapLayerProxyModel
from qgis.gui import QgsMapLayerComboBox
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..common.translation import tr
from .widgets import QuestionEdit


def _raster_filter():
    """Layer filter flag: Qgis.LayerFilter on QGIS >= 3.34 (and 4), QgsMapLayerProxyModel.Filter before."""
    from qgis.core import Qgis

    kind = getattr(Qgis, "LayerFilter", None)
    return kind.RasterLayer if kind is not None else QgsMapLayerProxyModel.Filter.RasterLayer


class DockForm:
    """The widgets of the dock's form; `EXTENT_LAYER`, `EXTENT_VIEW` are the extent choices' data."""

    EXTENT_LAYER, EXTENT_VIEW = "layer", "view"

    def _build_question_rows(self, body: QWidget, form: QFormLayout) -> None:
        """Layer, question and task."""
        self.layer_combo = QgsMapLayerComboBox(body)
        self.layer_combo.setFilters(_raster_filter())
        self.layer_combo.layerChanged.connect(self._layer_changed)
        form.addRow(tr("Raster layer"), self.layer_combo)

        self.question = QuestionEdit(body)
        self.question.setPlaceholderText(tr("Ask about the layer, e.g. where could a small plane land?"))
        self.question.setMaximumHeight(80)
        self.question.setToolTip(tr("Enter runs; Shift+Enter starts a new line"))
        self.question.submitted.connect(self.request_run)
        form.addRow(tr("Question"), self.question)

        self.task_combo = QComboBox(body)
        self.task_combo.addItem(tr("Reasoning (implicit question)"), "reasoning")
        self.task_combo.addItem(tr("Referring (name the object)"), "referring")
        self.task_label = QLabel(tr("Task"), body)
        form.addRow(self.task_label, self.task_combo)

    def _build_run_rows(self, body: QWidget, form: QFormLayout) -> None:
        """Extent, mode, resolution and band mapping."""
        self.extent_combo = QComboBox(body)
        self.extent_combo.addItem(tr("Whole layer"), self.EXTENT_LAYER)
        self.extent_combo.addItem(tr("Visible map extent"), self.EXTENT_VIEW)
        form.addRow(tr("Extent"), self.extent_combo)

        self.mode_combo = QComboBox(body)
        self.mode_combo.addItem(tr("Single view (fast, resampled)"), "view")
        self.mode_combo.addItem(tr("Tiled (full resolution)"), "tiled")
        self.resolution = QDoubleSpinBox(body)
        self.resolution.setDecimals(6)
        self.resolution.setRange(0.0, 1e6)
        self.resolution.setSpecialValueText(tr("native"))
        self.resolution.setToolTip(tr("Map units per pixel for tiled runs; 0 uses the layer's own resolution"))
        self.resolution.setMinimumWidth(80)  # the 6-decimal range would otherwise widen the dock
        form.addRow(tr("Mode"), self.mode_combo)
        form.addRow(tr("Resolution"), self.resolution)

        self.bands_label = QLabel(tr("Bands (R, G, B)"), body)
        self.band_combos = [QComboBox(body) for _ in range(3)]
        bands_row = QHBoxLayout()
        for combo in self.band_combos:
            bands_row.addWidget(combo)
        self.bands_widget = QWidget(body)
        self.bands_widget.setLayout(bands_row)
        bands_row.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.bands_label, self.bands_widget)

    def _build_buttons(self, body: QWidget) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.run_button = QPushButton(tr("Run"), body)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.request_run)
        self.cancel_button = QPushButton(tr("Cancel"), body)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        self.export_button = QPushButton(tr("Export…"), body)
        self.export_button.setToolTip(tr("Export the selected result layer to a Shapefile or GeoPackage"))
        self.export_button.clicked.connect(self.exportRequested.emit)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        return buttons

    def _build_progress_and_answer(self, body: QWidget, outer: QVBoxLayout) -> None:
        self.progress = QProgressBar(body)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.stage = QLabel(tr("Ready"), body)
        self.stage.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.stage.setWordWrap(True)  # long error texts must wrap, not widen the dock
        outer.addWidget(self.progress)
        outer.addWidget(self.stage)

        self.answer_label = QLabel(tr("Model's answer"), body)
        self.answer = QPlainTextEdit(body)
        self.answer.setReadOnly(True)
        self.answer.setMaximumHeight(80)
        self.answer.setToolTip(tr("The text the model wrote; [1], [2]… mark where it named each target"))
        outer.addWidget(self.answer_label)
        outer.addWidget(self.answer)
        self.set_answer("")
        self.note = QLabel("", body)  # e.g. the model reads English: one line under the answer
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #b35900")
        outer.addWidget(self.note)
        self.set_note("")

    def _wrap_in_scroll_area(self, body: QWidget) -> None:
        """Long labels must not force a horizontal scroll bar; the form scrolls vertically in a short dock."""
        for combo in body.findChildren(QComboBox) + [self.layer_combo]:
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(1 if combo in self.band_combos else 8)
        scroll = QScrollArea(self)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)
