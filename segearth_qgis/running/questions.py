"""A question from the dock (or a map tool) to a result layer: checks that it can start, a SegmentTask with the
dock's progress and stage line, cancel, the run lost with its project or raster, and the outcome in the dock, the
message bar and (results/result_layers.py) the project. One question at a time."""

from __future__ import annotations

from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsProject, QgsRasterLayer

from ..common.translation import tr
from ..model.model_manager import inspect_model_dir
from ..results.export_plan import layer_file
from .engine_run import mode_refusal
from .question_language import language_note
from .request import PluginRequest
from .task import SegmentTask, stage_text


class QuestionRunner:
    """Runs the plugin's questions. `plugin` lends its parts (dock, holder, warmer, preloader, watch, results,
    message, refresh_dependencies), read at each call: they come and go with initGui and unload."""

    def __init__(self, plugin) -> None:
        self.plugin = plugin
        self.task: SegmentTask | None = None

    def refuse(self, text: str, level: str = "warning") -> None:
        """A run that cannot start: say why in the message bar and on the dock's stage line."""
        if self.plugin.dock is not None:
            self.plugin.dock.set_stage(text)
        self.plugin.message(text, level)

    def _checked(self, request: PluginRequest) -> tuple | None:
        """(layer, raster source, model info) when `request` can run now, else None (refuse() said why)."""
        if self.task is not None:
            return self.refuse(tr("A question is already running; cancel it first"), "warning")
        layer = QgsProject.instance().mapLayer(request.layer_id)
        if not isinstance(layer, QgsRasterLayer):
            return self.refuse(tr("The raster layer is no longer in the project"), "critical")
        missing = self.plugin.refresh_dependencies()
        if "segearth_engine" in missing:
            from ..packages.dependencies import install_hint

            return self.refuse(tr("The SegEarth engine is not installed: {}").format(install_hint(missing)),
                               "critical")
        try:
            from .qgis_source import QgisRasterSource

            source = QgisRasterSource(layer, request.resolution)
        except Exception as exc:  # noqa: BLE001 - user-facing engine errors and provider failures alike
            return self.refuse(str(exc), "critical")
        info = inspect_model_dir(request.model_dir)
        if info.state not in ("ok", "test"):
            return self.refuse(info.message, "critical")
        refusal = mode_refusal(info, request.mode)
        if refusal:
            return self.refuse(refusal, "warning")
        return layer, source, info

    def run(self, request: PluginRequest) -> SegmentTask | None:
        """Start a SegmentTask for `request`; returns it (tests wait on it) or None with a message shown."""
        checked = self._checked(request)
        if checked is None:
            return None
        layer, source, info = checked
        plugin, dock = self.plugin, self.plugin.dock
        waits = plugin.warmer is not None and plugin.warmer.before_question(request)  # its view is being encoded
        task = SegmentTask(request, source, plugin.holder, on_done=self.done,
                           description=tr("SegEarth: {}").format(request.question))
        task.crs = QgsCoordinateReferenceSystem(layer.crs())
        task.layer_name, task.layer_file = layer.name(), str(layer_file(layer) or "")
        task.model_info = info
        task.claim = plugin.watch.claim(request.layer_id, lambda reason: self._lost(task, reason))
        task.progressChanged.connect(dock.set_progress)
        task.stageChanged.connect(lambda stage: dock.set_stage(stage_text(stage)))
        self.task = task
        dock.set_running(True)
        dock.first_run.question_asked()  # from Run, the toolbar, the history or a script alike
        dock.set_stage(stage_text("encoding") if waits else tr("Starting…"))
        QgsApplication.taskManager().addTask(task)
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.plugin.dock.set_stage(tr("Cancelling…"))
            self.task.cancel()
            for part in (self.plugin.preloader, self.plugin.warmer):
                if part is not None:
                    part.cancel()

    def close(self) -> None:
        """unload: the running question ends without reporting."""
        if self.task is not None:
            self.task.on_done = None
            self.task.cancel()
            self.task = None

    def _lost(self, task: SegmentTask, reason: str) -> None:
        """The project or raster a run was asked on went away: it stops, and says why when it ends."""
        task.cancel()
        if self.plugin.dock is not None and self.task is task:
            self.plugin.dock.set_stage(tr("Cancelling: {}").format(reason))

    def done(self, task: SegmentTask) -> None:
        """The task's end, on the GUI thread: nothing added when it was cancelled, lost or failed, else its layer."""
        self.task = None
        lost = task.claim.lost() if task.claim is not None else None  # nothing is added to another project
        if task.claim is not None:
            task.claim.release()
        dock = self.plugin.dock
        if dock is None:
            return
        dock.set_running(False)
        if task.device and dock.model_panel.shows(task.request.model_dir):  # never about another folder
            dock.model_panel.set_device(task.device)
        if lost:
            dock.set_stage(tr("Cancelled: {}; nothing was added").format(lost))
            dock.set_progress(0)
            self.plugin.message(tr("Question cancelled: {}").format(lost), "warning")
        elif task.cancelled:
            dock.set_stage(tr("Cancelled; nothing was added"))
            dock.set_progress(0)
        elif task.error:
            dock.set_stage(tr("Failed: {}").format(task.error))
            self.plugin.message(task.error, "critical")
        else:
            if self.plugin.warmer is not None:
                self.plugin.warmer.remember(task.request)  # its view is in the cache now
            self._answered(task, self.plugin.results.add(task))

    def _answered(self, task: SegmentTask, layer) -> None:
        """The answer's layer is in the project: the dock, the history and the message bar say so."""
        request, result, info = task.request, task.result, task.model_info
        dock, message = self.plugin.dock, self.plugin.message
        targets = list(result.targets) if result.answer is not None else None
        dock.add_history(request.layer_id, request.question, request.task)
        count = layer.featureCount()
        for note in result.notes:  # e.g. out of GPU memory: the run went on on the CPU
            message(note, "warning")
        dock.set_answer(result.answer)
        dock.set_note(language_note(request.question))
        if targets is None:
            dock.set_stage(tr("Done: {} polygons").format(count))
        else:
            dock.set_stage(tr("Done: {} polygons for {} targets").format(count, len(targets)))
        dock.set_progress(100)
        if dock.model_panel.shows(request.model_dir):  # the panel may show another folder by now
            dock.model_panel.set_loaded(task.model_id or info.model_id, info)
        if info.state == "test":
            message(tr("{} polygons from a TEST model with random weights: they mean nothing").format(count), "warning")
        else:
            message(tr("{} polygons for: {}").format(count, request.question), "success")
