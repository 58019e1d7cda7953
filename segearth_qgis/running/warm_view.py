"""The view prepared while the user types: its image encoding runs before Run is pressed.

Why: on a laptop CPU the image encoder takes most of a question's time (about 11 s of 14 s for a 1024 px view) and
does not depend on the question. Shortly after the user stops typing (DEBOUNCE_MS), the view that Run would use now
(the dock's own request: layer, extent, mode, resolution, bands) is encoded into the model holder's FeatureCache by
segearth_engine.api.encode_view; the question then waits only for the language model and the mask decoder.

A warm-up is one engine run like a question (cancellable.run_cancellable: one engine run at a time, at a lower CPU
priority), so a question asked while it runs waits for it and then finds the view in the cache instead of encoding it
a second time; the engine's cache also refuses to encode a key twice in parallel for callers outside the dock (its
claims, runtime/feature_cache.py). A warm-up of a view the user left (panned, other layer, extent or model) is
cancelled when the next one starts or a question on another view is asked, and one whose raster left the project (or
whose project was closed) at once (ownership.py). It never shows an error: a failed warm-up is logged, and the
question encodes the view itself.
"""

from __future__ import annotations

import logging
import traceback
import weakref
from collections.abc import Callable

from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsTask
from qtpy.QtCore import QTimer

from ..common.translation import tr
from .request import PluginRequest, RequestError

log = logging.getLogger(__name__)
#: quiet time after the last keystroke before the view is prepared (ms): not on every key
DEBOUNCE_MS = 700


def view_of(request: PluginRequest) -> tuple:
    """What the image encoder sees of a request (its cached features depend on nothing else): not the question, the
    task or the polygon options."""
    return (request.model_dir, request.layer_id, request.mode, request.extent, request.resolution, request.bands,
            request.overlap)


def _quiet_flags():
    """Cancellable, and Silent where QGIS has it (>= 3.26): no notification when it ends."""
    silent = getattr(QgsTask.Flag, "Silent", None)
    return QgsTask.Flag.CanCancel | silent if silent is not None else QgsTask.Flag.CanCancel


class WarmUpTask(QgsTask):
    """api.encode_view for one view with the holder's loaded model and cache. Afterwards (GUI thread): `.encoded`,
    the tiles it encoded (0: they were cached already), or None when it was cancelled (`.cancelled`), failed (logged;
    `.error`) or the model was no longer loaded. It always ends as completed: QGIS must not report a warm-up as
    failed."""

    def __init__(self, request: PluginRequest, source, holder, on_done: Callable[[WarmUpTask], None]) -> None:
        super().__init__(tr("SegEarth: preparing the view"), _quiet_flags())
        self.request, self.source, self.holder, self.on_done = request, source, holder, on_done
        self.view = view_of(request)
        self.generation = holder.generation
        self.encoded: int | None = None
        self.error: str | None = None
        self.cancelled = False
        self.claim = None  # ownership.Claim: the raster and project it was asked on

    def run(self) -> bool:  # worker thread
        from ..common.cancellable import Cancelled, run_cancellable

        try:
            self.encoded = run_cancellable(self._encode, self.isCanceled)
        except Cancelled:
            pass
        except Exception as exc:  # noqa: BLE001 - logged only: a failed warm-up must not stand in a question's way
            log.warning("SegEarth: preparing the view failed:\n%s", traceback.format_exc())
            self.error = str(exc) or type(exc).__name__
        if self.isCanceled():
            self.cancelled, self.encoded = True, None
        return True

    def _encode(self, job) -> int | None:  # helper thread: asks `job`, never the task, which may be gone on cancel
        from ..packages.heavy_imports import import_engine

        api = import_engine()
        segmenter = self.holder.segmenter
        if segmenter is None or not self.holder.loaded(self.request.model_dir):
            return None  # the model was dropped meanwhile: nothing to prepare the view for
        try:
            return api.encode_view(self.source, segmenter, self.request.to_engine(api), is_cancelled=job.cancelled,
                                   cache=self.holder.cache())
        except api.Cancelled:
            return None

    def finished(self, ok: bool) -> None:  # GUI thread
        self.on_done(self)


class ViewWarmer:
    """Starts a WarmUpTask DEBOUNCE_MS after the last edit of the dock's question, when it is on and the model is
    loaded; remembers the views already encoded into the current cache (nothing is started for them again)."""

    def __init__(self, holder, dock, enabled: bool, asking: Callable[[], PluginRequest | None], watch=None) -> None:
        self.holder, self.dock, self.enabled, self.watch = holder, dock, enabled, watch
        self.asking = asking  # the running question's request, or None (while it runs, the stage line is its own)
        self.task: WarmUpTask | None = None  # the latest warm-up, while it runs
        self.tasks: list[WarmUpTask] = []  # Python references while QGIS runs them
        self._ready: set[tuple] = set()
        self._ready_cache = None  # weak reference to the cache `_ready` describes
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.warm)
        dock.question.textChanged.connect(self.schedule)

    def schedule(self) -> None:
        """(Re)start the quiet-time countdown: every keystroke postpones the warm-up."""
        if self.enabled and self.dock is not None:
            self.timer.start()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = bool(enabled)
        if not self.enabled:
            self.cancel()

    def warm(self) -> WarmUpTask | None:
        """Prepare the view Run would use now; the task, or None when off, not possible yet or nothing to do."""
        if not self.enabled or self.dock is None:
            return None
        try:
            request = self.dock.build_request()
        except RequestError:
            return None  # no layer, question, model or visible view yet
        view, asked = view_of(request), self.asking()
        if not self.holder.loaded(request.model_dir) or view in self._ready_views():
            return None
        if asked is not None and view_of(asked) == view:
            return None  # the running question encodes it
        if self.task is not None:
            if self.task.view == view:
                return None  # being prepared already
            self.task.cancel()  # superseded: the user left that view
        source = self._source(request)
        if source is None:
            return None
        self.task = WarmUpTask(request, source, self.holder, self._done)
        if self.watch is not None:  # its raster removed or its project closed: stop encoding at once
            self.task.claim = self.watch.claim(request.layer_id, lambda _reason, task=self.task: task.cancel())
        self.tasks.append(self.task)
        QgsApplication.taskManager().addTask(self.task)
        return self.task

    def before_question(self, request: PluginRequest) -> bool:
        """A question starts: True when the running warm-up prepares its view (the question waits for it, as the
        next engine run); a warm-up of another view is cancelled."""
        self.timer.stop()
        if self.task is None or self.task.isCanceled():
            return False
        if self.task.view == view_of(request):
            return True
        self.task.cancel()
        return False

    def remember(self, request: PluginRequest) -> None:
        """A question's run encoded its view into the cache: no warm-up for it."""
        self._ready_views().add(view_of(request))

    def cancel(self) -> None:
        self.timer.stop()
        for task in self.tasks:
            task.cancel()

    def close(self) -> None:
        """The dock is going away: warm-ups still running end without touching it."""
        self.cancel()
        try:
            if self.dock is not None:
                self.dock.question.textChanged.disconnect(self.schedule)
        except (TypeError, RuntimeError):  # already disconnected, or the dock's widgets are gone
            pass
        self.dock = None

    def _ready_views(self) -> set[tuple]:
        cache = self.holder.cache()
        if cache is None or self._ready_cache is None or self._ready_cache() is not cache:
            self._ready = set()  # another model, or a cleared holder: nothing of it is cached
            self._ready_cache = weakref.ref(cache) if cache is not None else None
        return self._ready

    @staticmethod
    def _source(request: PluginRequest):
        layer = QgsProject.instance().mapLayer(request.layer_id)
        if not isinstance(layer, QgsRasterLayer):
            return None
        try:
            from .qgis_source import QgisRasterSource

            return QgisRasterSource(layer, request.resolution)  # here: the provider is cloned on the GUI thread
        except Exception:  # noqa: BLE001 - logged only; the question will say what is wrong
            log.info("SegEarth: the view cannot be prepared:\n%s", traceback.format_exc())
            return None

    def _done(self, task: WarmUpTask) -> None:  # GUI thread
        self.tasks.remove(task)
        if self.task is task:
            self.task = None
        lost = task.claim is not None and task.claim.lost()
        if task.claim is not None:
            task.claim.release()
        if task.encoded is None or task.generation != self.holder.generation or lost:
            return
        self._ready_views().add(task.view)
        if self.dock is not None and self.asking() is None and self._current_view() == task.view:
            self.dock.set_stage(tr("View prepared for the next question"))

    def _current_view(self) -> tuple | None:
        try:
            return view_of(self.dock.build_request())
        except RequestError:
            return None
