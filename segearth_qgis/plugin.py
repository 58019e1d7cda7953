"""Coordinator: wires dock, toolbar, map tool, tasks, result layers and the Processing provider together."""

from __future__ import annotations

import logging

from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsProject, QgsRasterLayer
from qtpy.QtCore import Qt
from qtpy.QtGui import QIcon
from qtpy.QtWidgets import QAction

from . import settings
from .diagnostics import build_report, copy_to_clipboard
from .dock import RequestError, SegEarthDock, stage_text
from .engine_run import mode_refusal
from .export_flow import Exporter
from .export_plan import SOURCE_PROPERTY, layer_file
from .export_task import clean_interrupted_exports
from .extent import as_tuple, layer_extent_from
from .first_load_stage import FirstLoadStage
from .layers import add_result_layer, build_result_layer, is_result_layer
from .map_tools import RectangleMapTool
from .model_download import ModelDownloader
from .model_loader import ModelPreloader
from .model_manager import ModelHolder, inspect_model_dir
from .ownership import ProjectWatch
from .paths import resource
from .question_language import language_note
from .request import PluginRequest
from .score_panel import attach_score_panel, remember_run_extent
from .task import FunctionTask, SegmentTask
from .translation import install_translator, remove_translator, tr
from .warm_view import ViewWarmer

log = logging.getLogger(__name__)
MENU = "&SegEarth"


class SegEarthPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.holder = ModelHolder(int(settings.get("cache_mb") or 512), bool(settings.get("low_memory")))
        self.task: SegmentTask | None = None
        self.side_tasks: list[FunctionTask] = []  # keep Python references alive while QGIS runs them
        self.dock: SegEarthDock | None = None
        self.tool: RectangleMapTool | None = None
        self.toolbar = None
        self.actions: list[QAction] = []
        self.provider = None
        self.preloader: ModelPreloader | None = None
        self.downloader: ModelDownloader | None = None
        self.first_load: FirstLoadStage | None = None
        self.warmer: ViewWarmer | None = None
        self.result_layers: list = []  # ids: a removed layer's Python wrapper must never be touched again
        self.install_dialog = None
        self.watch: ProjectWatch | None = None  # the project and layers each run was asked on
        self.exporter = Exporter(iface, self.message)

    @property
    def last_result_layer(self):
        """The newest result layer still in the project, or None."""
        for layer_id in reversed(self.result_layers):
            layer = QgsProject.instance().mapLayer(layer_id)
            if is_result_layer(layer):
                return layer
        return None

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
        self.dock.set_view_extent_provider(self.visible_extent_for)
        self.score_panel = attach_score_panel(self)  # issue 17: "Score against reference" on a result layer
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

        self.toolbar = self.iface.addToolBar(tr("SegEarth"))
        self.toolbar.setObjectName("SegEarthToolbar")
        self.dock_action = self._action("icon.svg", tr("SegEarth panel"), self.toggle_dock, checkable=True)
        self.dock_action.setChecked(True)
        self.dock.closed.connect(lambda: self.dock_action.setChecked(False))  # its X: one click reopens it
        self.select_action = self._action("select_extent.svg", tr("Segment selected extent"), self.arm_rectangle_tool)
        self.visible_action = self._action("visible_extent.svg", tr("Segment visible extent"), self.run_visible_extent)
        self.export_action = QAction(tr("Export SegEarth result…"), self.iface.mainWindow())
        self.export_action.triggered.connect(self.export_selected)
        self._add_layer_menu_action()

        self.tool = RectangleMapTool(self.iface.mapCanvas())
        self.tool.rectangleDrawn.connect(self.run_on_canvas_rect)
        self.tool.clickedWithoutDrag.connect(
            lambda: self.dock.set_stage(tr("Press and drag on the map to draw a rectangle; a click alone selects "
                                           "nothing")))
        self.iface.currentLayerChanged.connect(self.dock.follow_layer)
        self.dock.follow_layer(self.iface.activeLayer())
        self._register_processing()

    def _action(self, icon: str, text: str, slot, checkable: bool = False) -> QAction:
        action = QAction(QIcon(resource(icon)), text, self.iface.mainWindow())
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        self.iface.addPluginToRasterMenu(MENU, action)
        self.actions.append(action)
        return action

    def _add_layer_menu_action(self) -> None:
        try:
            from qgis.core import QgsMapLayerType

            kind = QgsMapLayerType.VectorLayer
        except ImportError:  # QGIS 4: Qgis.LayerType
            from qgis.core import Qgis

            kind = Qgis.LayerType.Vector
        self.iface.addCustomActionForLayerType(self.export_action, "", kind, False)

    def initProcessing(self) -> None:  # noqa: N802 - QGIS API: qgis_process loads only the Processing side
        self._register_processing()

    def _register_processing(self) -> None:
        if self.provider is not None:
            return
        try:
            from .processing_provider import SegEarthProvider

            self.provider = SegEarthProvider(self.holder)
            QgsApplication.processingRegistry().addProvider(self.provider)
        except Exception as exc:  # noqa: BLE001 - Processing is optional; the dock must still work
            log.warning("SegEarth Processing provider not registered: %s", exc)
            self.provider = None

    def unload(self) -> None:
        if self.task is not None:
            self.task.on_done = None
            self.task.cancel()
            self.task = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        if self.tool is not None:
            self.tool.restore()
            self.tool.band.reset()
            self.tool = None
        try:
            self.iface.currentLayerChanged.disconnect(self.dock.follow_layer)
        except (TypeError, RuntimeError):
            pass
        self.iface.removeCustomActionForLayerType(self.export_action)
        for action in self.actions:
            self.iface.removePluginRasterMenu(MENU, action)
            self.iface.removeToolBarIcon(action)
        self.actions.clear()
        if self.toolbar is not None:
            self.toolbar.deleteLater()
            self.toolbar = None
        if self.dock is not None:
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        if self.install_dialog is not None:
            self.install_dialog.close()
            self.install_dialog = None
        if self.preloader is not None:
            self.preloader.close()
            self.preloader = None
        for part in (self.downloader, self.first_load):
            if part is not None:
                part.close()
        self.downloader = self.first_load = None
        if self.warmer is not None:
            self.warmer.close()
            self.warmer = None
        if self.watch is not None:
            self.watch.close()
            self.watch = None
        self.holder.clear()
        remove_translator()

    # -- dock and status -------------------------------------------------------------------------------------------
    def toggle_dock(self, checked: bool) -> None:
        self.dock.setVisible(bool(checked))

    def refresh_dependencies(self) -> tuple[str, ...]:
        from .dependencies import check_dependencies

        missing = check_dependencies().missing
        self.dock.model_panel.set_missing(missing)
        if not missing:
            self.dock.model_panel.refresh()
        return missing

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

    def message(self, text: str, level: str = "info", duration: int = 8) -> None:
        bar = self.iface.messageBar()
        push = {"info": bar.pushInfo, "success": bar.pushSuccess, "warning": bar.pushWarning,
                "critical": bar.pushCritical}[level]
        push(tr("SegEarth"), text)

    def _refuse(self, text: str, level: str = "warning") -> None:
        """A run that cannot start: say why in the message bar and on the dock's stage line."""
        if self.dock is not None:
            self.dock.set_stage(text)
        self.message(text, level)

    # -- running ---------------------------------------------------------------------------------------------------
    def run_request(self, request: PluginRequest) -> SegmentTask | None:
        """Start a SegmentTask for `request`; returns it (tests wait on it) or None with a message shown."""
        if self.task is not None:
            self._refuse(tr("A question is already running; cancel it first"), "warning")
            return None
        layer = QgsProject.instance().mapLayer(request.layer_id)
        if not isinstance(layer, QgsRasterLayer):
            self._refuse(tr("The raster layer is no longer in the project"), "critical")
            return None
        missing = self.refresh_dependencies()
        if "segearth_engine" in missing:
            from .dependencies import install_hint

            self._refuse(tr("The SegEarth engine is not installed: {}").format(install_hint(missing)), "critical")
            return None
        try:
            from .qgis_source import QgisRasterSource

            source = QgisRasterSource(layer, request.resolution)
        except Exception as exc:  # noqa: BLE001 - user-facing engine errors and provider failures alike
            self._refuse(str(exc), "critical")
            return None
        info = inspect_model_dir(request.model_dir)
        if info.state not in ("ok", "test"):
            self._refuse(info.message, "critical")
            return None
        refusal = mode_refusal(info, request.mode)
        if refusal:
            self._refuse(refusal, "warning")
            return None
        waits = self.warmer is not None and self.warmer.before_question(request)  # its view is being encoded
        task = SegmentTask(request, source, self.holder, on_done=self._task_done,
                           description=tr("SegEarth: {}").format(request.question))
        task.crs = QgsCoordinateReferenceSystem(layer.crs())
        task.layer_name, task.layer_file = layer.name(), str(layer_file(layer) or "")
        task.model_info = info
        task.claim = self.watch.claim(request.layer_id, lambda reason: self._run_lost(task, reason))
        task.progressChanged.connect(self.dock.set_progress)
        task.stageChanged.connect(lambda stage: self.dock.set_stage(stage_text(stage)))
        self.task = task
        self.dock.set_running(True)
        self.dock.set_stage(stage_text("encoding") if waits else tr("Starting…"))
        QgsApplication.taskManager().addTask(task)
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.dock.set_stage(tr("Cancelling…"))
            self.task.cancel()
            if self.preloader is not None:
                self.preloader.cancel()
            if self.warmer is not None:
                self.warmer.cancel()

    def _run_lost(self, task: SegmentTask, reason: str) -> None:
        """The project or raster a run was asked on went away: it stops, and says why when it ends."""
        task.cancel()
        if self.dock is not None and self.task is task:
            self.dock.set_stage(tr("Cancelling: {}").format(reason))

    def _task_done(self, task: SegmentTask) -> None:
        self.task = None
        lost = task.claim.lost() if task.claim is not None else None  # nothing is added to another project
        if task.claim is not None:
            task.claim.release()
        if self.dock is None:
            return
        self.dock.set_running(False)
        if task.device and self.dock.model_panel.shows(task.request.model_dir):  # never about another folder
            self.dock.model_panel.set_device(task.device)
        if lost:
            self.dock.set_stage(tr("Cancelled: {}; nothing was added").format(lost))
            self.dock.set_progress(0)
            self.message(tr("Question cancelled: {}").format(lost), "warning")
            return
        if task.cancelled:
            self.dock.set_stage(tr("Cancelled; nothing was added"))
            self.dock.set_progress(0)
            return
        if task.error:
            self.dock.set_stage(tr("Failed: {}").format(task.error))
            self.message(task.error, "critical")
            return
        if self.warmer is not None:
            self.warmer.remember(task.request)  # its view is in the cache now
        self._add_result(task)

    def _add_result(self, task: SegmentTask) -> None:
        request, result, info = task.request, task.result, task.model_info
        answer = result.answer  # set by multi-target models (SegEarth-R2) only
        targets = list(result.targets) if answer is not None else None
        details = {"model": task.model_id or info.model_id, "family": info.family, "revision": info.revision,
                   "device": task.device, "task": "" if targets is not None else request.task, "mode": request.mode,
                   "source layer": task.layer_name, "weights": "random test model" if info.state == "test" else "",
                   "answer": answer or "", "targets": "; ".join(targets or [])}
        crs = task.crs if task.crs.isValid() else QgsCoordinateReferenceSystem.fromWkt(result.crs_wkt)
        layer = build_result_layer(list(result.features), request.question, crs, details, targets,
                                   prepared=task.prepared)
        layer.setCustomProperty(SOURCE_PROPERTY, task.layer_file)  # exports never write over it
        add_result_layer(layer)
        remember_run_extent(layer, result)
        self.iface.addCustomActionForLayer(self.export_action, layer)
        self.result_layers.append(layer.id())
        self.dock.add_history(request.layer_id, request.question, request.task)
        count = layer.featureCount()
        for note in result.notes:  # e.g. out of GPU memory: the run went on on the CPU
            self.message(note, "warning")
        self.dock.set_answer(answer)
        self.dock.set_note(language_note(request.question))
        if targets is None:
            self.dock.set_stage(tr("Done: {} polygons").format(count))
        else:
            self.dock.set_stage(tr("Done: {} polygons for {} targets").format(count, len(targets)))
        self.dock.set_progress(100)
        if self.dock.model_panel.shows(request.model_dir):  # the panel may show another folder by now
            self.dock.model_panel.set_loaded(details["model"], info)
        if info.state == "test":
            self.message(tr("{} polygons from a TEST model with random weights: they mean nothing").format(count),
                         "warning")
        else:
            self.message(tr("{} polygons for: {}").format(count, request.question), "success")

    # -- extents ---------------------------------------------------------------------------------------------------
    def arm_rectangle_tool(self) -> None:
        self.tool.arm()
        self.dock.set_stage(tr("Drag a rectangle on the map"))

    def _canvas_crs(self):
        return self.iface.mapCanvas().mapSettings().destinationCrs()

    def visible_extent_for(self, layer: QgsRasterLayer):
        rect = layer_extent_from(self.iface.mapCanvas().extent(), self._canvas_crs(), layer)
        return as_tuple(rect) if rect is not None else None

    def run_on_canvas_rect(self, rect) -> SegmentTask | None:
        """Run the dock's question on a canvas rectangle (canvas CRS), clipped and snapped in the layer CRS."""
        layer = self.dock.current_layer()
        if layer is None:
            self._refuse(tr("Choose a raster layer first"))
            return None
        extent = layer_extent_from(rect, self._canvas_crs(), layer)
        if extent is None:
            self._refuse(tr("The rectangle does not overlap the layer"))
            return None
        try:
            request = self.dock.build_request(extent=as_tuple(extent))
        except RequestError as exc:
            self._refuse(str(exc))
            return None
        return self.run_request(request)

    def run_visible_extent(self) -> SegmentTask | None:
        return self.run_on_canvas_rect(self.iface.mapCanvas().extent())

    # -- export ----------------------------------------------------------------------------------------------------
    def export_selected(self):
        """Export… (dock button, layer menu): the selected result layer, else the last one; the task or None."""
        layer = self.iface.activeLayer()
        return self.exporter.export_selected(layer if is_result_layer(layer) else self.last_result_layer)

    def export(self, layer, path: str, confirm=None):
        """Export `layer` to `path` in a background task (asking `confirm(plan)` when the file exists)."""
        return self.exporter.export(layer, path, confirm)

    # -- model, dependencies, diagnostics ------------------------------------------------------------------------
    def _start_side_task(self, task: FunctionTask) -> FunctionTask:
        self.side_tasks.append(task)
        QgsApplication.taskManager().addTask(task)
        return task

    def download_model(self, repo_id: str, revision: str):
        """Download a released model in the background (model_download.py); the task, or None and why."""
        return self.downloader.start(repo_id, revision) if self.downloader is not None else None

    def install_dependencies(self):
        """Open the installer dialog (one confirmation, live pip output, Cancel); returned for tests."""
        from .fallback import open_installer

        self.install_dialog = open_installer(self.iface)
        return self.install_dialog

    def copy_diagnostics(self) -> str:
        report = build_report(self.holder.device, self.dock.model_panel.model_dir())
        copy_to_clipboard(report)
        self.message(tr("Diagnostics copied to the clipboard"), "info")
        return report
