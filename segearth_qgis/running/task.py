"""The QgsTask that runs the engine off the GUI thread; results go back to the GUI thread in finished()."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsTask
from qtpy.QtCore import Signal

from ..common.translation import tr
from .engine_run import run_engine
from .request import PluginRequest

#: engine stage names -> UI text (translated at display time)
STAGES = ("loading model", "exporting", "reading", "encoding", "reasoning", "decoding", "vectorising")


def stage_text(stage: str) -> str:
    """Engine stage names shown in the UI language."""
    names = {"loading model": tr("loading model"), "exporting": tr("preparing the model (once)"),
             "reading": tr("reading pixels"), "encoding": tr("encoding"),
             "reasoning": tr("reasoning"), "decoding": tr("decoding"), "vectorising": tr("vectorising")}
    return names.get(stage, stage)


class SegmentTask(QgsTask):
    """One question on one raster. `on_done(task)` runs on the GUI thread with `.result`, `.error` or cancelled."""

    stageChanged = Signal(str)  # noqa: N815 - Qt naming
    describeCancelled = Signal()  # noqa: N815

    def __init__(self, request: PluginRequest, source, holder, on_done: Callable[[SegmentTask], None] | None = None,
                 description: str = "SegEarth") -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.request = request
        self.source = source
        self.holder = holder
        self.on_done = on_done
        self.result = None
        self.error: str | None = None
        self.cancelled = False
        self.device = ""
        self.model_id = ""
        self.prepared = None  # the result layer's fields and features, made in the worker (layers.prepare_features)
        self.claim = None  # ownership.Claim on the project and raster it was asked on (set by the plugin)
        self._marked_cancelled = False
        self.describeCancelled.connect(self._mark_cancelled)

    def _progress(self, fraction: float, stage: str = "") -> None:
        self.setProgress(max(0.0, min(100.0, 100.0 * float(fraction))))
        if stage:
            self.stageChanged.emit(str(stage))

    def run(self) -> bool:  # worker thread: no widgets, no project, no layers
        """The engine runs in a helper thread that this one watches (common/cancellable.py), so that a cancel ends the
        task within 0.05 s at any stage. A cancel asked for completes the task: QGIS reports terminated ones as
        failed."""
        from ..common.cancellable import Cancelled, run_cancellable

        try:
            ok = run_cancellable(self._run_engine, self.isCanceled, self._progress)
        except Cancelled:
            ok = False
        if self.cancelled or self.isCanceled():
            self.cancelled = True
            self.describeCancelled.emit()  # queued to the GUI thread, before QGIS announces the task's end
            return True
        return ok

    def _mark_cancelled(self) -> None:  # GUI thread
        if not self._marked_cancelled:
            self._marked_cancelled = True
            self.setDescription(tr("{} (cancelled)").format(self.description()))

    def _run_engine(self, job) -> bool:  # helper thread: asks `job`, never the task, which may be gone on cancel
        outcome = run_engine(self.request, self.source, self.holder, job.progress, job.cancelled)
        self.result, self.error, self.cancelled = outcome.result, outcome.error, outcome.cancelled
        self.device, self.model_id = outcome.device, outcome.model_id
        if self.result is None or job.cancelled():
            return False
        from ..results.layers import prepare_features

        multi_target = getattr(self.result, "answer", None) is not None
        self.prepared = prepare_features(list(self.result.features), multi_target)  # off the GUI thread
        return not job.cancelled()

    def finished(self, ok: bool) -> None:  # GUI thread
        if self.isCanceled():
            self.cancelled = True
            self.result = None
            self._mark_cancelled()  # also when the cancel came after the engine's last step
        if not ok and self.error is None and not self.cancelled:
            self.cancelled = True  # QGIS terminated the task (cancel from the task manager)
        if self.on_done is not None:
            self.on_done(self)
