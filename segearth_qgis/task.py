"""The QgsTask that runs the engine off the GUI thread; results go back to the GUI thread in finished()."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsTask
from qtpy.QtCore import Signal

from .engine_run import run_engine
from .request import PluginRequest

#: engine stage names -> UI text (translated at display time)
STAGES = ("loading model", "reading", "encoding", "reasoning", "decoding", "vectorising")


class SegmentTask(QgsTask):
    """One question on one raster. `on_done(task)` runs on the GUI thread with `.result`, `.error` or cancelled."""

    stageChanged = Signal(str)  # noqa: N815 - Qt naming

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

    def _progress(self, fraction: float, stage: str = "") -> None:
        self.setProgress(max(0.0, min(100.0, 100.0 * float(fraction))))
        if stage:
            self.stageChanged.emit(str(stage))

    def run(self) -> bool:  # worker thread: no widgets, no project, no layers
        outcome = run_engine(self.request, self.source, self.holder, self._progress, self.isCanceled)
        self.result, self.error, self.cancelled = outcome.result, outcome.error, outcome.cancelled
        self.device, self.model_id = outcome.device, outcome.model_id
        return self.result is not None and not self.isCanceled()

    def finished(self, ok: bool) -> None:  # GUI thread
        if self.isCanceled():
            self.cancelled = True
            self.result = None
        if not ok and self.error is None and not self.cancelled:
            self.cancelled = True  # QGIS terminated the task (cancel from the task manager)
        if self.on_done is not None:
            self.on_done(self)


class FunctionTask(QgsTask):
    """Runs `fn()` in the background (downloads, pip installs); `on_done(task)` gets `.value` or `.error`."""

    def __init__(self, description: str, fn: Callable[[], object],
                 on_done: Callable[[FunctionTask], None] | None = None) -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.fn = fn
        self.on_done = on_done
        self.value = None
        self.error: str | None = None

    def run(self) -> bool:
        try:
            self.value = self.fn()
            return True
        except Exception as exc:  # noqa: BLE001 - reported on the GUI thread
            self.error = str(exc) or type(exc).__name__
            return False

    def finished(self, ok: bool) -> None:
        if not ok and self.error is None:
            self.error = "cancelled"
        if self.on_done is not None:
            self.on_done(self)
