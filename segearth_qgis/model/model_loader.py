"""Loads the chosen model in the background as soon as it is set, so the first question does not wait for the load.

Why: loading (ONNX sessions, the prepared LLM) takes seconds to tens of seconds on a laptop CPU; done while the user
picks a layer and types, it is off the first answer's path. The load goes through the plugin's ModelHolder, whose
lock makes a question asked meanwhile wait for this load instead of starting a second one.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable

from qgis.core import QgsApplication, QgsTask
from qtpy.QtCore import Signal

from ..common.translation import tr
from .model_manager import ModelHolder, inspect_model_dir

log = logging.getLogger(__name__)


def load_segmenter(holder: ModelHolder, model_dir: str, is_cancelled: Callable[[], bool],
                   on_export: Callable[[], None] | None = None, preload_of: int | None = None):
    """The plugin's one way to load a model (background preload, questions, Processing algorithms), in a worker
    thread: the engine imported without stalling QGIS's main thread (packages/heavy_imports.py), a first ONNX export
    in a child process that a cancel kills (graph_export.py; `on_export()` when it starts), then the holder's shared
    model. Raises EngineUnavailable, cancellable.Cancelled (cancelled export) or the engine's errors."""
    from ..packages.heavy_imports import import_engine
    from .graph_export import export_missing_graphs

    import_engine()
    export_missing_graphs(model_dir, is_cancelled, on_export)
    return holder.get(model_dir, preload_of=preload_of)


class ModelLoadTask(QgsTask):
    """holder.get(model_dir) in a worker thread; `.device` or `.error` for the GUI thread afterwards."""

    exportStarted = Signal(str)  # noqa: N815 - the graphs' folder: a first load, shown as a stage of its own

    def __init__(self, holder: ModelHolder, model_dir: str, on_done) -> None:
        super().__init__(tr("SegEarth: loading the model"), QgsTask.Flag(0))
        self.holder = holder
        self.model_dir = model_dir
        self.generation = holder.generation  # a clear() after this makes the load pointless: it is skipped
        self.on_done = on_done
        self.device = ""
        self.error: str | None = None
        self.export_folder = ""  # set when this load exports (its first load): see exportStarted
        self.cancelled = False
        self._stop = threading.Event()  # stop(): checked like isCanceled(), without QGIS terminating the task

    def stop(self) -> None:
        """Stop the load (its ONNX export child is killed). Not QgsTask.cancel(): QGIS terminates a cancelled task that
        has not started yet and announces it as "Task failed"; this one ends as completed, marked "(cancelled)"."""
        self._stop.set()

    def _stopped(self) -> bool:
        return self._stop.is_set() or self.isCanceled()

    def run(self) -> bool:  # worker thread
        from ..common.cancellable import Cancelled
        from ..packages.dependencies import EngineUnavailable

        try:
            if self._stopped():
                raise Cancelled()
            segmenter = load_segmenter(self.holder, self.model_dir, self._stopped, self._exporting,
                                       preload_of=self.generation)
            self.device = getattr(segmenter, "device", "")
            return True
        except Cancelled:  # the user cancelled a question while this load exported the graphs
            self.cancelled = True
            return True  # a cancel is no failure: QGIS must not announce "Task failed"
        except EngineUnavailable as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown on the device line; the question's task reports it again
            log.warning("SegEarth model load failed:\n%s", traceback.format_exc())
            self.error = str(exc) or type(exc).__name__
        return False

    def _exporting(self) -> None:  # worker thread
        from segearth_engine.api import graphs_to_export

        self.export_folder = str(graphs_to_export(self.model_dir) or "")
        self.exportStarted.emit(self.export_folder)

    def finished(self, ok: bool) -> None:  # GUI thread
        self.cancelled = self.cancelled or (not ok and self.error is None)
        if self.cancelled:
            self.setDescription(tr("{} (cancelled)").format(self.description()))
        if self.on_done is not None:
            self.on_done(self)


class ModelPreloader:
    """Starts a ModelLoadTask whenever a usable model folder is set, and keeps the panel's device line truthful:
    "loading…" while it loads, then the device the engine reports (or why it did not load)."""

    def __init__(self, holder: ModelHolder, panel, on_loaded: Callable[[], None] | None = None) -> None:
        self.holder = holder
        self.panel = panel
        self.on_loaded = on_loaded  # after a load the panel still wants (the plugin then prepares the view)
        self.tasks: list[ModelLoadTask] = []  # Python references kept while QGIS runs them

    def loading(self, model_dir: str) -> ModelLoadTask | None:
        """The running load of `model_dir` that the holder will keep (started since its last clear), if any."""
        return next((t for t in self.tasks if t.model_dir == model_dir and t.generation == self.holder.generation),
                    None)

    def preload(self, model_dir: str) -> ModelLoadTask | None:
        """Load `model_dir` in the background unless it is loaded or loading already; the task, or None."""
        if not model_dir or inspect_model_dir(model_dir).state not in ("ok", "test"):
            return None
        running = self.loading(model_dir)
        if running is None and not self.holder.loaded(model_dir):
            running = ModelLoadTask(self.holder, model_dir, self._done)
            self.tasks.append(running)
            QgsApplication.taskManager().addTask(running)
        self.show_device()
        return running

    def show_device(self) -> None:
        """The device line for the panel's folder: loading, the loaded model's device, or not loaded."""
        if self.panel is None:
            return
        model_dir = self.panel.model_dir()
        if self.loading(model_dir) is not None:
            self.panel.set_device(tr("loading…"))
        elif self.holder.loaded(model_dir):
            self.panel.set_device(self.holder.device)
        else:
            self.panel.set_device("")

    def cancel(self) -> None:
        """A question's Cancel also stops a background load (its ONNX export child is killed): the user asked that
        the work on the model stop now; the next question or model choice loads again."""
        for task in self.tasks:
            task.stop()

    def close(self) -> None:
        """The panel is going away: loads still running finish without touching it."""
        self.panel = None

    def _done(self, task: ModelLoadTask) -> None:
        self.tasks.remove(task)
        if self.panel is None or not self.panel.shows(task.model_dir) or self.loading(task.model_dir):
            return  # a late result of an earlier choice: the panel describes the folder it shows
        if task.cancelled or task.generation != self.holder.generation:
            self.show_device()
            return
        if task.error:
            self.panel.set_device(tr("not loaded: {}").format(task.error))
            return
        self.show_device()
        if self.on_loaded is not None:
            self.on_loaded()
