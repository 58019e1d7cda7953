"""The dock widget: collects a question and options and emits a frozen PluginRequest. It runs nothing itself.

Its form is built in form.py and its question history kept in history.py (mixins of SegEarthDock)."""

from __future__ import annotations

from qgis.core import QgsRasterLayer
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from ..common.translation import tr
from ..model.model_manager import ModelInfo
from ..results.answers import format_answer
from ..running.engine_run import mode_refusal
from ..running.request import PluginRequest, RequestError
from .first_run import FirstRunGuide, run_blocker
from .form import DockForm
from .history import QuestionHistory
from .model_panel import ModelPanel


class SegEarthDock(DockForm, QuestionHistory, QDockWidget):
    runRequested = Signal(object)  # noqa: N815 - PluginRequest
    cancelRequested = Signal()  # noqa: N815
    exportRequested = Signal()  # noqa: N815
    closed = Signal()  # its title bar's X (the toolbar button then shows it closed)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("SegEarth"), parent)
        self.setObjectName("SegEarthDock")
        self.setMinimumWidth(400)
        self._view_extent_provider = None  # callable(layer) -> layer-CRS tuple or None, set by the plugin
        body = QWidget(self)
        outer = QVBoxLayout(body)
        self.first_run = FirstRunGuide(body)  # what to do first, where a new user looks first (first_run.py)
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
