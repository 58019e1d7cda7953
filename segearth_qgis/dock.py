"""The dock widget: collects a question and options and emits a frozen PluginRequest. It runs nothing itself."""

from __future__ import annotations

from qgis.core import QgsMapLayerProxyModel, QgsRasterLayer
from qgis.gui import QgsMapLayerComboBox
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .answers import format_answer
from .engine_run import mode_refusal
from .first_run import FirstRunGuide, run_blocker
from .model_manager import ModelInfo
from .model_panel import ModelPanel
from .request import PluginRequest
from .translation import tr
from .widgets import QuestionEdit


class RequestError(ValueError):
    """The form cannot make a request yet; the message tells the user what to fill in."""


def _raster_filter():
    """Layer filter flag: Qgis.LayerFilter on QGIS >= 3.34 (and 4), QgsMapLayerProxyModel.Filter before."""
    from qgis.core import Qgis

    kind = getattr(Qgis, "LayerFilter", None)
    return kind.RasterLayer if kind is not None else QgsMapLayerProxyModel.Filter.RasterLayer


def stage_text(stage: str) -> str:
    """Engine stage names shown in the UI language."""
    names = {"loading model": tr("loading model"), "exporting": tr("preparing the model (once)"),
             "reading": tr("reading pixels"), "encoding": tr("encoding"),
             "reasoning": tr("reasoning"), "decoding": tr("decoding"), "vectorising": tr("vectorising")}
    return names.get(stage, stage)


class SegEarthDock(QDockWidget):
    runRequested = Signal(object)  # noqa: N815 - PluginRequest
    cancelRequested = Signal()  # noqa: N815
    exportRequested = Signal()  # noqa: N815
    closed = Signal()  # its title bar's X (the toolbar button then shows it closed)

    EXTENT_LAYER, EXTENT_VIEW = "layer", "view"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("SegEarth"), parent)
        self.setObjectName("SegEarthDock")
        self.setMinimumWidth(400)
        self._history: dict[str, list[tuple[str, str]]] = {}  # layer id -> (question, task), newest first
        self._view_extent_provider = None  # callable(layer) -> layer-CRS tuple or None, set by the plugin
        body = QWidget(self)
        outer = QVBoxLayout(body)
        self.first_run = FirstRunGuide(body)  # what to do first, where a new user looks first (first_run.py)
        self.runRequested.connect(self.first_run.question_asked)
        outer.addWidget(self.first_run)
        self._run_blocker: str | None = None
        form = QFormLayout()
        outer.addLayout(form)
        self._build_question_rows(body, form)
        self._build_run_rows(body, form)
        outer.addLayout(self._build_buttons(body))
        self._build_progress_and_answer(body, outer)
        self._build_history(body, outer)
        self.model_panel = ModelPanel(body)
        self.model_panel.modelInfoChanged.connect(self.apply_model)
        outer.addWidget(self.model_panel)
        outer.addStretch(1)
        self._wrap_in_scroll_area(body)
        self._layer_changed(self.layer_combo.currentLayer())
        self.apply_model(self.model_panel.info)

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

    def _build_history(self, body: QWidget, outer: QVBoxLayout) -> None:
        history_label = QLabel(tr("Past questions on this layer (click to run again)"), body)
        history_label.setWordWrap(True)
        outer.addWidget(history_label)
        self.history = QListWidget(body)
        self.history.setMaximumHeight(110)
        self.history.itemClicked.connect(self._history_clicked)
        outer.addWidget(self.history)

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

    # -- model family ----------------------------------------------------------------------------------------------
    def apply_model(self, info: ModelInfo) -> None:
        """Offer what the chosen model can do: SegEarth-R2 has one prompt for every question and no tiled mode;
        without a usable model Run is disabled and says why."""
        before, self._run_blocker = self._run_blocker, run_blocker(info)
        self.run_button.setEnabled(self._run_blocker is None and not self.cancel_button.isEnabled())
        self.run_button.setToolTip(self._run_blocker or "")
        if self.stage.text() in (tr("Ready"), before):  # the stage line says why Run is off, and when it is on again
            self.set_stage(self._run_blocker or tr("Ready"))
        multi = info.multi_target
        tiled = self.mode_combo.findData("tiled")
        self.mode_combo.model().item(tiled).setEnabled(not multi)
        if multi and self.mode_combo.currentData() == "tiled":
            self.mode_combo.setCurrentIndex(self.mode_combo.findData("view"))
        self.mode_combo.setToolTip(tr("SegEarth-R2 answers once for the whole extent: tiles could name different "
                                      "targets, so only the single view is offered") if multi else "")
        self.task_combo.setEnabled(not multi)
        self.task_label.setEnabled(not multi)
        self.task_combo.setToolTip(tr("SegEarth-R2 reads the question itself (one prompt for referring and "
                                      "reasoning): there is no task to choose") if multi else "")

    # -- layer -----------------------------------------------------------------------------------------------------
    def current_layer(self) -> QgsRasterLayer | None:
        layer = self.layer_combo.currentLayer()
        return layer if isinstance(layer, QgsRasterLayer) else None

    def follow_layer(self, layer) -> None:
        """Track QGIS's active layer when it is a raster."""
        if isinstance(layer, QgsRasterLayer):
            self.layer_combo.setLayer(layer)

    def _layer_changed(self, layer) -> None:
        count = layer.bandCount() if isinstance(layer, QgsRasterLayer) else 0
        for i, combo in enumerate(self.band_combos):
            combo.clear()
            for band in range(1, count + 1):
                combo.addItem(f"{band}: {layer.bandName(band)}", band)
            combo.setCurrentIndex(min(i, count - 1) if count else -1)
        show = count > 3
        self.bands_label.setVisible(show)
        self.bands_widget.setVisible(show)
        self._refresh_history()

    # -- request ---------------------------------------------------------------------------------------------------
    def bands(self) -> tuple[int, ...] | None:
        layer = self.current_layer()
        if layer is None or layer.bandCount() <= 3:
            return None
        return tuple(int(combo.currentData()) for combo in self.band_combos)

    def build_request(self, extent: tuple[float, float, float, float] | None = None,
                      use_form_extent: bool = True) -> PluginRequest:
        """The frozen request for the current form; RequestError explains what is missing."""
        layer = self.current_layer()
        if layer is None:
            raise RequestError(tr("Choose a raster layer first"))
        question = " ".join(self.question.toPlainText().split())
        if not question:
            raise RequestError(tr("Type a question first"))
        model_dir = self.model_panel.model_dir()
        if not model_dir:
            raise RequestError(tr("Choose a model folder (or download a model) first"))
        if extent is None and use_form_extent and self.extent_combo.currentData() == self.EXTENT_VIEW:
            extent = self._view_extent_provider(layer) if self._view_extent_provider else None
            if extent is None:
                raise RequestError(tr("The visible map extent does not overlap the layer"))
        multi = self.model_panel.info.multi_target
        mode = self.mode_combo.currentData()
        refusal = mode_refusal(self.model_panel.info, mode)
        if refusal:
            raise RequestError(refusal)
        resolution = self.resolution.value() or None
        task = "reasoning" if multi else self.task_combo.currentData()  # R2 ignores the task: record none of it
        return PluginRequest(layer_id=layer.id(), question=question, model_dir=model_dir, task=task, mode=mode,
                             extent=extent, resolution=resolution, bands=self.bands())

    def request_run(self) -> None:
        try:
            request = self.build_request()
        except RequestError as exc:
            self.set_stage(str(exc))
            return
        self.runRequested.emit(request)

    def set_view_extent_provider(self, provider) -> None:
        self._view_extent_provider = provider

    # -- running state ---------------------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and self._run_blocker is None)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setValue(0)
            self.set_answer("")
            self.set_note("")

    def set_progress(self, percent: float) -> None:
        self.progress.setValue(int(percent))

    def set_stage(self, text: str) -> None:
        self.stage.setText(text)

    def set_answer(self, answer: str | None) -> None:
        """Show a multi-target model's text answer (hidden when there is none, as for SegEarth-R1)."""
        text = format_answer(answer) if answer else ""
        self.answer.setPlainText(text)
        self.answer_label.setVisible(bool(text))
        self.answer.setVisible(bool(text))

    def set_note(self, text: str) -> None:
        """A caution about the answer (hidden when there is none)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().closeEvent(event)
        self.closed.emit()

    # -- history ---------------------------------------------------------------------------------------------------
    def add_history(self, layer_id: str, question: str, task: str = "reasoning") -> None:
        """Remember a finished question (with its task, so that a click re-runs exactly that) for this layer."""
        entries = self._history.setdefault(layer_id, [])
        if (question, task) in entries:
            entries.remove((question, task))
        entries.insert(0, (question, task))
        self._refresh_history()

    def history_for(self, layer_id: str) -> list[str]:
        return [question for question, _ in self._history.get(layer_id, [])]

    def _refresh_history(self) -> None:
        self.history.clear()
        layer = self.current_layer()
        for question, task in self._history.get(layer.id(), []) if layer is not None else []:
            item = QListWidgetItem(question)
            item.setData(Qt.ItemDataRole.UserRole, task)
            item.setToolTip(self.task_combo.itemText(max(0, self.task_combo.findData(task))))
            self.history.addItem(item)

    def _history_clicked(self, item: QListWidgetItem) -> None:
        self.question.setPlainText(item.text())
        index = self.task_combo.findData(item.data(Qt.ItemDataRole.UserRole))
        if index >= 0:
            self.task_combo.setCurrentIndex(index)
        self.request_run()
