"""The QgsTask that downloads a model: the engine's resumable download in a worker, its progress for the panel and
QGIS's task manager, and a Cancel that returns at once while what was fetched stays for the next Download.

The transfer itself runs in a helper thread that the task watches: the engine stops within 0.1 s of a cancel while
bytes flow, but a connection attempt to a silent server can take seconds, and the task must not wait for it. One
transfer per destination folder at a time (a Download pressed again while an abandoned attempt winds down waits for
it), so two never write the same partial file.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass

from qgis.core import QgsTask
from qtpy.QtCore import Signal

from ..common.translation import tr

POLL_S = 0.05
_DESTINATIONS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


@dataclass(frozen=True)
class DownloadRequest:
    """Everything the download needs, frozen on the GUI thread (settings, proxy, folder)."""

    repo_id: str
    revision: str
    dest: str
    endpoint: str = ""
    proxy: str | None = None
    no_proxy: str = ""
    token: str | None = None


def _destination_lock(dest: str) -> threading.Lock:
    with _GUARD:
        return _DESTINATIONS.setdefault(dest, threading.Lock())


class ModelDownloadTask(QgsTask):
    """`.folder` (the verified model folder), `.error` (a message) or `.cancelled` for the GUI thread afterwards;
    `progressed(DownloadProgress)` while it runs (queued to the GUI thread, a few times a second)."""

    progressed = Signal(object)  # noqa: N815 - Qt naming
    describeCancelled = Signal()  # noqa: N815 - queued to the GUI thread before QGIS announces the task's end

    def __init__(self, request: DownloadRequest, on_done=None) -> None:
        super().__init__(tr("SegEarth: downloading {}").format(request.repo_id), QgsTask.Flag.CanCancel)
        self.request = request
        self.on_done = on_done
        self.folder = ""
        self.error: str | None = None
        self.cancelled = False
        self.last = None  # the latest DownloadProgress
        self._stop = threading.Event()  # the helper's cancel flag: it may outlive this task object
        self.describeCancelled.connect(lambda: self.setDescription(tr("{} (cancelled)").format(self.description())))

    def run(self) -> bool:  # task thread
        outcome: dict = {}
        helper = threading.Thread(target=self._transfer, args=(outcome,), name="SegEarth download", daemon=True)
        helper.start()
        while helper.is_alive():
            if self.isCanceled():
                self._stop.set()
                helper.join(1.0)  # what is in flight lands in the partial file; never longer than a second
                break
            helper.join(POLL_S)
        self.folder, self.error = outcome.get("folder", ""), outcome.get("error")
        self.cancelled = self._stop.is_set() or outcome.get("cancelled", False)
        if self.cancelled:
            self.describeCancelled.emit()  # "Task complete: … (cancelled)" rather than a plain "Task complete"
        return bool(self.folder) or self.cancelled

    def _transfer(self, outcome: dict) -> None:  # helper thread: never touches the task after a cancel
        stop, request, emit = self._stop, self.request, self._report
        lock = _destination_lock(request.dest)
        while not lock.acquire(timeout=POLL_S):
            if stop.is_set():
                outcome["cancelled"] = True
                return
        try:
            from segearth_engine import api

            access = api.HubAccess(request.endpoint or api.HubAccess.from_environment().endpoint,
                                   token=request.token, proxy=request.proxy, no_proxy=request.no_proxy)
            outcome["folder"] = str(api.download_model(request.repo_id, request.revision or None, request.dest,
                                                       access=access, progress=emit, is_cancelled=stop.is_set))
        except Exception as exc:  # noqa: BLE001 - every failure reaches the user as a message
            from segearth_engine import api

            if isinstance(exc, api.Cancelled):
                outcome["cancelled"] = True
            elif isinstance(exc, api.SegEarthError):
                outcome["error"] = str(exc)
            else:
                outcome["error"] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
        finally:
            lock.release()

    def _report(self, progress) -> None:  # helper thread
        if self._stop.is_set():
            return
        self.last = progress
        self.setProgress(100.0 * progress.fraction)  # QGIS's task manager
        self.progressed.emit(progress)

    def finished(self, ok: bool) -> None:  # GUI thread
        if self.isCanceled():
            self.cancelled = True
        if not ok and self.error is None and not self.cancelled:
            self.cancelled = True  # terminated from QGIS's task manager
        if self.on_done is not None:
            self.on_done(self)
