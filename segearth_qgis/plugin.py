"""The plugin's entry points and wiring: QGIS calls initGui, initProcessing and unload; here the rooms' parts are made
and connected (dock, toolbar, map tools, questions, result layers, export, model, packages, Processing). Each job is
done in its room; what is left here is which signal goes where."""

from __future__ import annotations

import logging

from qgis.core import QgsApplication
from qtpy.QtCore import Qt
from qtpy.QtGui import QIcon
from qtpy.QtWidgets import QAction

from .common import settings
from .common.messages import MessageBar
from .common.paths import resource
from .common.translation import install_translator, remove_translator, tr
from .dock.dock_widget import SegEarthDock
from .map_tools.canvas_questions import CanvasQuestions
from .model.first_load_stage import FirstLoadStage
from .model.model_download import ModelDownloader
from .model.model_loader import ModelPreloader
from .model.model_manager import ModelHolder
from .packages.diagnostics import copy_diagnostics
from .results.export_flow import Exporter
from .results.export_task import clean_interrupted_exports
from .results.result_layers import ResultLayers
from .results.score_panel import attach_score_panel
from .running.ownership import ProjectWatch
from .running.questions import QuestionRunner
from .running.request import PluginRequest
from .running.task import SegmentTask
from .running.warm_view import ViewWarmer

log = logging.getLogger(__name__)
MENU = "&SegEarth"


class SegEarthPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.holder = ModelHolder(int(settings.get("cache_mb") or 512), bool(settings.get("low_memory")))
        self.message = MessageBar(iface)
        self.exporter = Exporter(iface, self.message)
        self.results = ResultLayers(iface, self.exporter)
        self.questions = QuestionRunner(self)
        self.dock: SegEarthDock | None = None
        self.canvas: CanvasQuestions | None = None
        self.tool = None  # the canvas's rectangle tool (map_tools/rectangle_tool.py)
        self.toolbar = None
        self.actions: list[QAction] = []
        self.provider = None
        self.preloader: ModelPreloader | None = None
        self.downloader: ModelDownloader | None = None
        self.first_load: FirstLoadStage | None = None
        self.warmer: ViewWarmer | None = None
        self.install_dialog = None
        self.watch: ProjectWatch | None = None  # the project and layers each run was asked on

    @property
    def task(self) -> SegmentTask | None:
        """The question running now, if any."""
        return self.questions.task

    @property
    def result_layers(self) -> list[str]:
        return self.results.ids

    @property
    def last_result_layer(self):
        """The newest result layer still in the project, or None."""
        return self.results.last()

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def initGui(self) -> None:  # noqa: N802 - QGIS API
        install_translator()
        clean_interrupted_exports()  # what an export killed with QGIS left beside its target
        self.watch = ProjectWatch()
        self.dock = SegEarthDock(self.iface.mainWindow())
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.runRequested.connect(self.run_request)
        self.dock.cancelRequested.connect(self.cancel)
        self.dock.exportRequested.connect(self.export_selected)
        self.score_panel = attach_score_panel(self)  # issue 17: "Score against reference" on a result layer
        self._wire_model_panel()
        self._add_toolbar()
        self.exporter.add_menu_action(self.export_selected)
        self.canvas = CanvasQuestions(self.iface, self.dock, lambda request: self.run_request(request),
                                      self.questions.refuse)  # run_request looked up at each run (tests stand in)
        self.tool = self.canvas.tool
        self.dock.set_view_extent_provider(self.canvas.visible_extent_for)
        self.iface.currentLayerChanged.connect(self.dock.follow_layer)
        self.dock.follow_layer(self.iface.activeLayer())
        self._register_processing()

    def _wire_model_panel(self) -> None:
        """The model section: folder, low memory, warm view, download, first load, diagnostics, install."""
        panel = self.dock.model_panel
        panel.set_model_dir(settings.get("model_dir"))
        panel.modelDirChanged.connect(self._model_dir_changed)
        panel.downloadRequested.connect(self.download_model)
        panel.diagnosticsRequested.connect(self.copy_diagnostics)
        panel.installRequested.connect(self.install_dependencies)
        panel.low_memory.setChecked(self.holder.low_memory)
        panel.lowMemoryChanged.connect(self._low_memory_changed)
        self.warmer = ViewWarmer(self.holder, self.dock, bool(settings.get("warm_view")),
                                 lambda: self.task.request if self.task is not None else None, self.watch)
        panel.warm_view.setChecked(self.warmer.enabled)
        panel.warmViewChanged.connect(self._warm_view_changed)
        self.preloader = ModelPreloader(self.holder, panel, on_loaded=self.warmer.schedule)
        panel.modelInfoChanged.connect(self._show_device)  # a re-check of the folder keeps "loading…" or the device
        self.downloader = ModelDownloader(panel, self.dock.first_run, self.message)  # Download, first-run guide
        panel.modelInfoChanged.connect(self.downloader.refresh)
        self.downloader.refresh(panel.info)
        self.first_load = FirstLoadStage(panel, self.dock.first_run, self.preloader.cancel)  # the export's stage
        if not self.refresh_dependencies():
            self.preloader.preload(panel.model_dir())  # the model loads while the user picks a layer and types

    def _add_toolbar(self) -> None:
        self.toolbar = self.iface.addToolBar(tr("SegEarth"))
        self.toolbar.setObjectName("SegEarthToolbar")
        self.dock_action = self._action("icon.svg", tr("SegEarth panel"), self.toggle_dock, checkable=True)
        self.dock_action.setChecked(True)
        self.dock.closed.connect(lambda: self.dock_action.setChecked(False))  # its X: one click reopens it
        self.select_action = self._action("select_extent.svg", tr("Segment selected extent"), self.arm_rectangle_tool)
        self.visible_action = self._action("visible_extent.svg", tr("Segment visible extent"), self.run_visible_extent)

    def _action(self, icon: str, text: str, slot, checkable: bool = False) -> QAction:
        action = QAction(QIcon(resource(icon)), text, self.iface.mainWindow())
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        self.iface.addPluginToRasterMenu(MENU, action)
        self.actions.append(action)
        return action

    def initProcessing(self) -> None:  # noqa: N802 - QGIS API: qgis_process loads only the Processing side
        self._register_processing()

    def _register_processing(self) -> None:
        if self.provider is not None:
            return
        try:
            from .processing.provider import SegEarthProvider

            self.provider = SegEarthProvider(self.holder)
            QgsApplication.processingRegistry().addProvider(self.provider)
        except Exception as exc:  # noqa: BLE001 - Processing is optional; the dock must still work
            log.warning("SegEarth Processing provider not registered: %s", exc)
            self.provider = None

    def unload(self) -> None:
        self.questions.close()
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        if self.canvas is not None:
            self.canvas.close()
            self.canvas = self.tool = None
        try:
            self.iface.currentLayerChanged.disconnect(self.dock.follow_layer)
        except (TypeError, RuntimeError):
            pass
        self.exporter.remove_menu_action()
        self._remove_toolbar()
        if self.dock is not None:
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        for part in (self.install_dialog, self.preloader, self.downloader, self.first_load, self.warmer, self.watch):
            if part is not None:
                part.close()
        self.install_dialog = self.preloader = self.downloader = self.first_load = self.warmer = self.watch = None
        self.holder.clear()
        remove_translator()

    def _remove_toolbar(self) -> None:
        for action in self.actions:
            self.iface.removePluginRasterMenu(MENU, action)
            self.iface.removeToolBarIcon(action)
        self.actions.clear()
        if self.toolbar is not None:
            self.toolbar.deleteLater()
            self.toolbar = None

    # -- the model panel's settings ----------------------------------------------------------------------------------
    def toggle_dock(self, checked: bool) -> None:
        self.dock.setVisible(bool(checked))

    def refresh_dependencies(self) -> tuple[str, ...]:
        from .packages.dependencies import show_missing

        return show_missing(self.dock.model_panel)

    def _show_device(self, _info=None) -> None:
        if self.preloader is not None:
            self.preloader.show_device()

    def _model_dir_changed(self, path: str) -> None:
        settings.put("model_dir", path)
        self.holder.clear()
        if self.warmer is not None:
            self.warmer.cancel()  # a view prepared for the previous model is of no use
        if self.preloader is not None:
            self.preloader.preload(path)

    def _low_memory_changed(self, enabled: bool) -> None:
        settings.put("low_memory", enabled)
        self.holder.set_low_memory(enabled)  # a run in progress keeps its model; the next run loads anew
        if self.dock is not None and self.preloader is not None:
            self.preloader.preload(self.dock.model_panel.model_dir())

    def _warm_view_changed(self, enabled: bool) -> None:
        settings.put("warm_view", enabled)
        if self.warmer is not None:
            self.warmer.set_enabled(enabled)

    # -- the jobs, each done in its room -----------------------------------------------------------------------------
    def run_request(self, request: PluginRequest) -> SegmentTask | None:
        """Start a question (running/questions.py); the task (tests wait on it) or None with the reason shown."""
        return self.questions.run(request)

    def cancel(self) -> None:
        self.questions.cancel()

    def arm_rectangle_tool(self) -> None:
        self.canvas.arm()

    def run_on_canvas_rect(self, rect) -> SegmentTask | None:
        return self.canvas.run_on_rect(rect)

    def run_visible_extent(self) -> SegmentTask | None:
        return self.canvas.run_visible()

    def export_selected(self):
        """Export… (dock button, layer menu): the selected result layer, else the last one; the task or None."""
        return self.exporter.export_selected(self.results.selected_or_last())

    def export(self, layer, path: str, confirm=None):
        """Export `layer` to `path` in a background task (asking `confirm(plan)` when the file exists)."""
        return self.exporter.export(layer, path, confirm)

    def download_model(self, repo_id: str, revision: str):
        """Download a released model in the background (model/model_download.py); the task, or None and why."""
        return self.downloader.start(repo_id, revision) if self.downloader is not None else None

    def install_dependencies(self):
        """Open the installer dialog (one confirmation, live pip output, Cancel); returned for tests."""
        from .packages.fallback import open_installer

        self.install_dialog = open_installer(self.iface)
        return self.install_dialog

    def copy_diagnostics(self) -> str:
        return copy_diagnostics(self.holder.device, self.dock.model_panel.model_dir(), self.message)
